"""The plain-char symbol table: scopes, shadowing, aliases, fields, C++ members and strings."""

from __future__ import annotations

from archport.parsing import treesitter
from archport.rules.c_cpp._symbols import CharSymbols

C = b"""
typedef char byte_t;
typedef byte_t unit_t;
#define CHAR_T char
struct a { char tag; int same; };
struct b { int same; };
static char global;
int f(char c, unsigned char u, unit_t t, CHAR_T m, const char *p, char **v, struct a *s) {
    int n = c + u + t + m + *p + p[0] + **v + v[0][0] + s->tag + s->same + global;
    { int c = 0; n += c; }
    return n + c;
}
int kr(x) char x; { return x; }
int broken(char q) { int z = = q; return q; }
"""

CPP = b"""
#include <string>
class K { char m_; int f() { return m_; } int g(); };
int K::g() { return m_; }
int h(char &r, const std::string &s) {
    auto l = [](char z) { return z; };
    for (char e : s) r += e;
    return r + s[0] + l(r);
}
"""


def _depths(grammar: str, source: bytes) -> dict[str, list]:
    tree = treesitter.parse(grammar, source)
    table = CharSymbols(tree.root_node, grammar, source)
    out: dict[str, list] = {}
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.type in ("identifier", "field_expression", "pointer_expression", "subscript_expression") and node.parent.type not in (
            "function_declarator", "init_declarator", "parameter_declaration", "pointer_declarator", "reference_declarator",
            "declaration", "call_expression", "for_range_loop", "array_declarator", "parameter_list",
        ):
            out.setdefault(node.text.decode(), []).append(table.depth(node))
        stack.extend(node.children)
    return out


def test_c_scopes_aliases_and_fields():
    d = _depths("c", C)
    assert set(d["u"]) == {None}
    assert set(d["t"]) == {0} and set(d["m"]) == {0}  # typedef of a typedef, and a macro
    assert set(d["p"]) == {1} and set(d["*p"]) == {0} and set(d["p[0]"]) == {0}
    assert set(d["v"]) == {2} and set(d["**v"]) == {0} and set(d["v[0][0]"]) == {0}
    assert set(d["s->tag"]) == {0} and set(d["s->same"]) == {None}
    assert set(d["global"]) == {0}
    assert sorted(d["c"], key=str) == [0, 0, None]  # the inner `int c` shadows the parameter
    assert set(d["x"]) == {0}  # K&R parameter declaration
    assert 0 in d["q"]  # a function with a syntax error still answers


def test_cpp_members_references_lambdas_and_strings():
    d = _depths("cpp", CPP)
    assert set(d["m_"]) == {0}  # inside the class and in the out-of-line K::g
    assert len(d["m_"]) == 2
    assert set(d["r"]) == {0} and set(d["z"]) == {0} and set(d["e"]) == {0}
    assert set(d["s"]) == {1} and set(d["s[0]"]) == {0}
