"""Architecture gates in Java, C# and Python source: decisions (if/else chains, switches,
conditional expressions, dict lookups, asserts) on the processor the program runs on.

A rule hands in the places where the architecture value is read (`System.getProperty("os.arch")`,
`platform.machine()`, `RuntimeInformation.ProcessArchitecture`); this module follows the value
into local variables and fields, finds the decisions made on it, and says where an AArch64
process ends up: in a `throw`/`raise`/exit, in a branch that hands out an x86 value, with no
value at all, or somewhere neutral (no finding). A decision whose function (or, for module and
class level code, file) names an Arm architecture anywhere is taken as handling AArch64.

Everything works on the shared tree-sitter tree (`ctx.tree`); rules only ask for it after a
cheap masked-text screen found an architecture read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from archport.artifacts.platforms import X86_WORD

if TYPE_CHECKING:
    import tree_sitter as ts

#: exact architecture names, lower case
_X86_NAMES = frozenset({
    "amd64", "x86_64", "x86-64", "x64", "x86", "i386", "i486", "i586", "i686", "ia32", "em64t", "intel64",
    "x86_32", "i86pc", "x8664",
})
_OTHER_NAMES = frozenset({
    "ppc64le", "ppc64", "ppc", "powerpc", "s390x", "s390", "riscv64", "riscv", "loongarch64", "mips64", "mips",
    "sparc", "sparcv9", "wasm", "wasm32", "wasm64", "ia64", "ppc64el", "loongarch",
})
#: C# System.Runtime.InteropServices.Architecture members
_CS_ENUM = {"X64": "x86", "X86": "x86", "Arm": "arm", "Arm64": "arm", "Armv6": "arm", "Wasm": "other",
            "S390x": "other", "LoongArch64": "other", "Ppc64le": "other", "RiscV64": "other"}
#: an x86 architecture word (the one shared definition; it also knows `intel64`)
_X86_TOKEN = X86_WORD
_ARM_TOKEN = re.compile(r"(?i)(?<![a-z0-9])(?:aarch64|arm64|armv\d\w*|arm(?:hf|el)?)(?![a-z0-9])")
#: a string literal that names an Arm architecture (`"aarch64"`, `"linux-arm64"`), and C#'s Architecture.Arm*
_ARM_STRING = re.compile(
    r"[\"'](?:[^\"'\n]{0,40}?[^a-zA-Z0-9])?(?:aarch64|arm64|ARM64|AArch64|Arm64|armv[5-9]\w*|arm)(?:[^a-zA-Z0-9][^\"'\n]{0,40})?[\"']"
)
_CS_ARM_MEMBER = re.compile(r"\bArchitecture\s*\.\s*Arm")


def arch_class(value: str) -> str | None:
    """'x86', 'arm', 'other' or None for a string that names a processor architecture."""
    v = value.strip().lower()
    if not v or len(v) > 48:
        return None
    if v in _X86_NAMES:
        return "x86"
    if v.startswith(("aarch64", "arm")):
        return "arm"
    if v in _OTHER_NAMES:
        return "other"
    if _ARM_TOKEN.search(v):
        return "arm"
    if _X86_TOKEN.search(v):
        return "x86"
    return None


def has_x86_token(value: str) -> bool:
    return bool(_X86_TOKEN.search(value))


def has_arm_token(value: str) -> bool:
    return bool(_ARM_TOKEN.search(value))


# -- per-language grammar facts -------------------------------------------------------------


@dataclass(frozen=True)
class Grammar:
    name: str
    strings: frozenset[str]
    functions: frozenset[str]
    #: nodes that end the climb from a reference to its decision
    statements: frozenset[str]
    throws: frozenset[str]
    exit_call: re.Pattern
    skip_call: re.Pattern | None = None


JAVA = Grammar(
    "java",
    strings=frozenset({"string_literal"}),
    functions=frozenset({"method_declaration", "constructor_declaration", "lambda_expression", "static_initializer"}),
    statements=frozenset({"block", "expression_statement", "local_variable_declaration", "return_statement",
                          "field_declaration", "class_body", "method_declaration", "lambda_expression"}),
    throws=frozenset({"throw_statement"}),
    exit_call=re.compile(r"^\s*(?:System|Runtime\.getRuntime\(\))\s*\.\s*(?:exit|halt)\s*\("),
)
CSHARP = Grammar(
    "csharp",
    strings=frozenset({"string_literal", "verbatim_string_literal", "raw_string_literal"}),
    functions=frozenset({"method_declaration", "constructor_declaration", "local_function_statement",
                         "lambda_expression", "accessor_declaration", "property_declaration"}),
    statements=frozenset({"block", "expression_statement", "local_declaration_statement", "return_statement",
                          "field_declaration", "declaration_list", "method_declaration", "lambda_expression",
                          "arrow_expression_clause"}),
    throws=frozenset({"throw_statement", "throw_expression"}),
    exit_call=re.compile(r"^\s*Environment\s*\.\s*(?:Exit|FailFast)\s*\("),
)
PYTHON = Grammar(
    "python",
    strings=frozenset({"string"}),
    functions=frozenset({"function_definition", "lambda"}),
    statements=frozenset({"block", "expression_statement", "return_statement", "module", "function_definition",
                          "decorator", "argument_list", "keyword_argument"}),
    throws=frozenset({"raise_statement"}),
    exit_call=re.compile(r"^\s*(?:sys\s*\.\s*exit|os\s*\.\s*_exit|exit|quit|os\s*\.\s*abort)\s*\("),
    skip_call=re.compile(r"^\s*(?:raise\s+)?(?:pytest\s*\.\s*(?:skip|xfail)|self\s*\.\s*skipTest|\w*Skip\w*)\b"),
)
GRAMMARS = {"java": JAVA, "csharp": CSHARP, "python": PYTHON}


@dataclass
class Decision:
    kind: str  # if, switch, ternary, lookup, assert
    node: ts.Node
    #: (value, class, node) of every architecture name the decision tests
    tested: list[tuple[str, str, ts.Node]] = field(default_factory=list)
    #: where an AArch64 process goes: error / x86 / novalue / neutral
    outcome: str = "neutral"
    #: what happens there, in a few words of source (`throw new …`, `"x86"`)
    detail: str = ""

    @property
    def x86_values(self) -> list[str]:
        seen: list[str] = []
        for value, cls, _ in self.tested:
            if cls == "x86" and value not in seen:
                seen.append(value)
        return seen


class ArchGates:
    """The decisions made on an architecture value in one file."""

    def __init__(self, ctx, grammar: Grammar):
        self.ctx = ctx
        self.g = grammar
        self.data = ctx.data
        self._module_seqs: dict[str, list[str]] = {}
        self._done: set[tuple[int, int]] = set()

    # -- text helpers ----------------------------------------------------------------------------

    def text(self, node) -> str:
        return self.data[node.start_byte : node.end_byte].decode("utf-8", errors="replace")

    def string_value(self, node) -> str | None:
        if node.type not in self.g.strings:
            return None
        raw = self.text(node)
        if self.g is PYTHON:
            raw = raw.lstrip("rRbBuUfF")
            q = raw[:3] if raw[:3] in ('"""', "'''") else raw[:1]
            return raw[len(q) : -len(q) or None] if raw.endswith(q) and len(raw) >= 2 * len(q) else raw[len(q) :]
        raw = raw.lstrip("@$")
        return raw[1:-1] if len(raw) >= 2 and raw[0] == '"' and raw[-1] == '"' else None

    def literal(self, node) -> tuple[str, str] | None:
        """(value, class) when the node is a literal naming an architecture."""
        if self.g is CSHARP and node.type == "member_access_expression":
            target = node.child_by_field_name("expression")
            name = node.child_by_field_name("name")
            if target is not None and name is not None and self.text(target).endswith("Architecture"):
                cls = _CS_ENUM.get(self.text(name))
                return (f"Architecture.{self.text(name)}", cls) if cls else None
            return None
        value = self.string_value(node)
        if value is None:
            return None
        cls = arch_class(value)
        return (value, cls) if cls else None

    def literals_in(self, node, polarity_root=None) -> list[tuple[str, str, ts.Node]]:
        out = []
        stack = [node]
        while stack:
            n = stack.pop()
            lit = self.literal(n)
            if lit is not None:
                out.append((lit[0], lit[1], n))
                continue
            if self.g is PYTHON and n.type == "identifier" and n.parent is not None and n.parent.type == "comparison_operator":
                for value in self.module_sequence(self.text(n)):
                    cls = arch_class(value)
                    if cls:
                        out.append((value, cls, n))
            stack.extend(reversed(n.children))
        return out

    def module_sequence(self, name: str) -> list[str]:
        """String items of a module-level `NAME = ("x86_64", "AMD64")` (Python)."""
        if not self._module_seqs:
            self._module_seqs[""] = []
            root = self.ctx.tree.root_node
            for stmt in root.named_children:
                if stmt.type != "expression_statement" or not stmt.named_children:
                    continue
                a = stmt.named_children[0]
                if a.type != "assignment":
                    continue
                left, right = a.child_by_field_name("left"), a.child_by_field_name("right")
                if left is None or right is None or left.type != "identifier" or right.type not in ("tuple", "list", "set"):
                    continue
                vals = [self.string_value(c) for c in right.named_children]
                self._module_seqs[self.text(left)] = [v for v in vals if v is not None]
        return self._module_seqs.get(name, [])

    def enclosing_function(self, node):
        n = node.parent
        while n is not None:
            if n.type in self.g.functions:
                return n
            n = n.parent
        return None

    def names_arm(self, node) -> bool:
        """Whether the function around the node (the whole file at module/class level) names an
        Arm architecture in a string literal (or, in C#, an Architecture.Arm* member)."""
        scope = self.enclosing_function(node)
        while scope is not None and scope.type in ("lambda_expression", "lambda"):
            outer = self.enclosing_function(scope)
            if outer is None:
                break
            scope = outer
        key = (scope.start_byte, scope.end_byte) if scope is not None else (0, len(self.data))
        cache = self.ctx.cache.setdefault("_arch_gate_arm", {})
        if key not in cache:
            if scope is None and self.g is PYTHON:  # module level: the module's own statements
                segment = "\n".join(self.text(c) for c in self.ctx.tree.root_node.named_children
                                     if c.type not in ("function_definition", "class_definition", "decorated_definition"))
            else:
                segment = self.data[key[0] : key[1]].decode("utf-8", errors="replace")
            cache[key] = bool(_ARM_STRING.search(segment) or (self.g is CSHARP and _CS_ARM_MEMBER.search(segment)))
        return cache[key]

    # -- references and variables ---------------------------------------------------------------

    def node_at(self, start: int, end: int):
        """Smallest node covering the character span [start, end)."""
        src = self.ctx.source
        return self.ctx.tree.root_node.descendant_for_byte_range(src.byte_offset(start), max(src.byte_offset(end) - 1, src.byte_offset(start)))

    def expand_value(self, node):
        """The node and the calls chained on it that keep the value (`.toLowerCase()`,
        `.lower()`, `.strip()`, `.ToString()`)."""
        n = node
        while n.parent is not None:
            p = n.parent
            if self.g is PYTHON:
                if p.type == "attribute" and p.child_by_field_name("object") == n:
                    q = p.parent
                    if q is not None and q.type == "call" and q.child_by_field_name("function") == p:
                        n = q
                        continue
                break
            if self.g is JAVA and p.type == "method_invocation" and p.child_by_field_name("object") == n:
                name = p.child_by_field_name("name")
                if name is not None and self.text(name) in ("toLowerCase", "toUpperCase", "trim", "strip", "intern", "toString"):
                    n = p
                    continue
                break
            if self.g is CSHARP:
                if p.type == "member_access_expression" and p.child_by_field_name("expression") == n:
                    q = p.parent
                    name = p.child_by_field_name("name")
                    if q is not None and q.type == "invocation_expression" and name is not None and \
                            self.text(name) in ("ToString", "ToLower", "ToLowerInvariant", "ToUpper", "ToUpperInvariant", "Trim"):
                        n = q
                        continue
                break
            if p.type == "parenthesized_expression":
                n = p
                continue
            break
        return n

    def variable_refs(self, source_node) -> list:
        """Identifiers that hold the value read at source_node (a local, field or module variable
        assigned from it), within the variable's scope."""
        value = self.expand_value(source_node)
        p = value.parent
        name_node = None
        if p is None:
            return []
        if p.type == "variable_declarator":  # Java, C#
            if self.g is JAVA and p.child_by_field_name("value") == value:
                name_node = p.child_by_field_name("name")
            elif self.g is CSHARP:
                name_node = p.child_by_field_name("name") or (p.named_children[0] if p.named_children else None)
        elif p.type in ("assignment_expression", "assignment") and p.child_by_field_name("right") == value:
            name_node = p.child_by_field_name("left")
        if name_node is None or name_node.type != "identifier":
            return []
        name = self.text(name_node)
        scope = self.enclosing_function(p)
        if scope is None or p.type == "variable_declarator" and p.parent is not None and p.parent.type == "field_declaration" \
                or self.g is CSHARP and p.parent is not None and p.parent.parent is not None and p.parent.parent.type == "field_declaration":
            lo, hi = 0, len(self.data)
        else:
            lo, hi = scope.start_byte, scope.end_byte
        refs = []
        pat = re.compile(rb"(?<![\w.$])" + re.escape(name.encode()) + rb"(?![\w$])")
        root = self.ctx.tree.root_node
        for m in pat.finditer(self.data, lo, hi):
            if m.start() == name_node.start_byte:
                continue
            node = root.descendant_for_byte_range(m.start(), m.end() - 1)
            if node is not None and node.type == "identifier" and node.start_byte == m.start():
                refs.append(node)
        return refs

    # -- decisions ------------------------------------------------------------------------------

    def decisions(self, sources: list) -> list[Decision]:
        refs = []
        for s in sources:
            refs.append(self.expand_value(s))
            refs.extend(self.variable_refs(s))
        self._refs = [(r.start_byte, r.end_byte) for r in refs]
        out = []
        for ref in refs:
            d = self._decision_for(ref)
            if d is not None:
                out.append(d)
        return out

    def _mentions_ref(self, node) -> bool:
        if node is None:
            return False
        return any(node.start_byte <= s and e <= node.end_byte for s, e in self._refs)

    def _decision_for(self, ref):
        n = ref
        while n.parent is not None:
            p = n.parent
            d = self._decision(p, n)
            if d is not None:
                return d
            if p.type in self.g.statements or p.type in self.g.functions:
                return None
            if self.g is PYTHON and p.type == "call":
                return None  # an argument of a call: `skipif(...)`, `foo(machine)`
            n = p
        return None

    def _claim(self, node) -> bool:
        key = (node.start_byte, node.end_byte)
        if key in self._done:
            return False
        self._done.add(key)
        return True

    def _decision(self, p, child):
        t = p.type
        g = self.g
        if t == "if_statement" and p.child_by_field_name("condition") == child or t == "elif_clause" and p.child_by_field_name("condition") == child:
            head = p.parent if t == "elif_clause" else p
            # the head of an else-if chain on the same value
            while g is not PYTHON and head.parent is not None and head.parent.type == "if_statement" \
                    and head.parent.child_by_field_name("alternative") == head and self._mentions_ref(head.parent.child_by_field_name("condition")):
                head = head.parent
            if not self._claim(head):
                return None
            return self._if_chain(head)
        if t in ("switch_expression", "switch_statement"):
            if g is JAVA and p.child_by_field_name("condition") == child or g is CSHARP and t == "switch_statement" and p.child_by_field_name("value") == child \
                    or g is CSHARP and t == "switch_expression" and p.named_children and p.named_children[0] == child:
                return self._switch(p) if self._claim(p) else None
            return None
        if t in ("ternary_expression", "conditional_expression"):
            cond = p.child_by_field_name("condition")
            if g is PYTHON:
                kids = p.named_children
                cond = kids[1] if len(kids) == 3 else None
            if cond == child and self._claim(p):
                return self._ternary(p, cond)
            return None
        if g is PYTHON and t == "assert_statement" and self._claim(p):
            tested = self.literals_in(child)
            d = Decision("assert", p, tested)
            if self._polarity(child, tested) == "positive":
                d.outcome, d.detail = "error", "assert"
            return d
        if g is PYTHON and t == "subscript" and p.child_by_field_name("subscript") == child:
            table = p.child_by_field_name("value")
            if table is not None and table.type == "dictionary" and self._claim(p):
                keys = [c.child_by_field_name("key") for c in table.named_children if c.type == "pair"]
                tested = [(v, c, k) for k in keys if k is not None and (lit := self.literal(k)) for v, c in [lit]]
                d = Decision("lookup", p, tested)
                if tested and len(tested) == len(keys):
                    d.outcome, d.detail = "error", "KeyError"
                return d
        return None

    # -- outcomes --------------------------------------------------------------------------------

    def _polarity(self, cond, tested) -> str:
        signs = set()
        for _, _, lit in tested:
            neg = 0
            n = lit
            while n is not None and n != cond.parent:
                if self._negates(n):
                    neg += 1
                if n == cond:
                    break
                n = n.parent
            signs.add(neg % 2)
        if signs == {0}:
            return "positive"
        if signs == {1}:
            return "negative"
        return "mixed"

    def _negates(self, n) -> bool:
        t = n.type
        if t in ("unary_expression", "prefix_unary_expression"):
            return bool(n.children) and n.children[0].type == "!"
        if t == "not_operator":
            return True
        if t == "binary_expression":
            op = n.child_by_field_name("operator")
            return op is not None and op.type == "!="
        if t == "comparison_operator":
            ops = [c.type for c in n.children if not c.is_named]
            return "!=" in ops or "not in" in ops or ("not" in ops and "in" in ops)
        if t == "negated_pattern":
            return True
        return False

    def _statements(self, body) -> list:
        if body is None:
            return []
        if body.type in ("block", "switch_block_statement_group", "switch_section", "switch_rule"):
            return [c for c in body.named_children if c.type not in ("comment", "line_comment", "block_comment", "switch_label")]
        if body.type == "else_clause":
            return self._statements(body.child_by_field_name("body"))
        if body.type == "elif_clause":
            return [body]
        return [body]

    def _classify(self, stmts) -> tuple[str, str]:
        for s in stmts:
            text = self.text(s)
            first = text.split("\n", 1)[0].strip()
            if self.g.skip_call is not None and self.g.skip_call.match(text):
                return "neutral", first
            if s.type in self.g.throws:
                return "error", first[:80]
            if s.type == "expression_statement" and s.named_children and s.named_children[0].type in self.g.throws:
                return "error", first[:80]
            if s.type == "expression_statement" and self.g.exit_call.match(text):
                return "error", first[:80]
            if s.type in ("return_statement", "expression_statement", "local_variable_declaration", "local_declaration_statement") \
                    or s.type in self.g.strings:
                values = [lit for lit in self._value_strings(s)]
                if any(has_x86_token(v) for v in values) and not any(has_arm_token(v) for v in values) \
                        and not self._mentions_ref(s):
                    return "x86", first[:80]
        return "neutral", ""

    def _value_strings(self, node) -> list[str]:
        out = []
        stack = [node]
        while stack:
            n = stack.pop()
            v = self.string_value(n)
            if v is not None:
                out.append(v)
                continue
            if self.g is CSHARP and (lit := self.literal(n)) is not None:
                out.append(lit[1] if lit[1] != "x86" else "x86")
                continue
            stack.extend(n.children)
        return out

    def _following(self, node) -> list:
        """Statements after `node` in its block, skipping further decisions on the same value."""
        out = []
        n = node.next_named_sibling
        while n is not None:
            if n.type in ("comment", "line_comment", "block_comment"):
                n = n.next_named_sibling
                continue
            if n.type == "if_statement" and self._mentions_ref(n.child_by_field_name("condition")):
                self._claim(n)
                n = n.next_named_sibling
                continue
            out.append(n)
            break
        return out

    def _fall_through(self, d: Decision, node, arms: list) -> None:
        after = self._following(node)
        if after:
            d.outcome, d.detail = self._classify(after)
            if d.outcome != "neutral" or len(arms) < 2 or not all(self._assigns(a) for a in arms):
                return
            # a mapping into a variable that starts out empty: it stays empty on AArch64
            names = {self.text(t) for a in arms for t in self._assigned(a)}
            scope = self.enclosing_function(node)
            before = self.data[scope.start_byte if scope is not None else 0 : node.start_byte].decode("utf-8", "replace")
            if not any(re.search(rf"\b{re.escape(n)}\s*(?:=\s*(?:null|None|\"\"|''|default)\s*)?(?:;|\n)", before) for n in names):
                return
            d.outcome, d.detail = "novalue", ""
            return
        # end of the block: the value (a variable or the return value) stays unset on AArch64
        if len(arms) >= 2 and all(self._assigns(a) for a in arms):
            d.outcome, d.detail = "novalue", ""

    def _assigns(self, body) -> bool:
        stmts = self._statements(body)
        return bool(stmts) and all(
            s.type in ("return_statement", "break_statement", "yield_statement")
            or s.type == "expression_statement" and s.named_children and s.named_children[0].type in ("assignment_expression", "assignment")
            for s in stmts
        )

    def _assigned(self, body) -> list:
        out = []
        for s in self._statements(body):
            if s.type == "expression_statement" and s.named_children and s.named_children[0].type in ("assignment_expression", "assignment"):
                left = s.named_children[0].child_by_field_name("left")
                if left is not None and left.type == "identifier":
                    out.append(left)
        return out

    def _if_chain(self, head) -> Decision:
        d = Decision("if", head)
        arms = []
        default = None
        conds = []
        node = head
        if self.g is PYTHON:
            conds.append(head.child_by_field_name("condition"))
            arms.append(head.child_by_field_name("consequence"))
            for alt in head.children_by_field_name("alternative"):
                if alt.type == "elif_clause" and self._mentions_ref(alt.child_by_field_name("condition")) and default is None:
                    conds.append(alt.child_by_field_name("condition"))
                    arms.append(alt.child_by_field_name("consequence"))
                elif default is None:
                    default = alt
        else:
            while True:
                conds.append(node.child_by_field_name("condition"))
                arms.append(node.child_by_field_name("consequence"))
                alt = node.child_by_field_name("alternative")
                if alt is not None and alt.type == "else_clause":  # C# grammars wrap it
                    alt = alt.named_children[-1] if alt.named_children else None
                if alt is not None and alt.type == "if_statement" and self._mentions_ref(alt.child_by_field_name("condition")):
                    node = alt
                    continue
                default = alt
                break
        polarities = set()
        for c in conds:
            lits = self.literals_in(c)
            d.tested.extend(lits)
            if lits:
                polarities.add(self._polarity(c, lits))
        if polarities == {"positive"}:
            if default is not None:
                d.outcome, d.detail = self._classify(self._statements(default))
            else:
                self._fall_through(d, head, arms)
        elif polarities == {"negative"} and len(conds) == 1:
            d.outcome, d.detail = self._classify(self._statements(arms[0]))
        return d

    def _switch(self, sw) -> Decision:
        d = Decision("switch", sw)
        arms = []
        default = None
        if self.g is CSHARP and sw.type == "switch_expression":
            for arm in (c for c in sw.named_children if c.type == "switch_expression_arm"):
                pattern = arm.named_children[0] if arm.named_children else None
                value = arm.named_children[-1] if arm.named_children else None
                if pattern is None:
                    continue
                if pattern.type in ("discard", "declaration_pattern", "var_pattern") or self.text(pattern).strip() == "_":
                    default = value
                    continue
                d.tested.extend(self.literals_in(pattern))
                arms.append(value)
            if default is None:
                d.outcome, d.detail = "error", "SwitchExpressionException"
            else:
                d.outcome, d.detail = self._classify([default])
            return d
        body = sw.child_by_field_name("body")
        if body is None:
            return d
        for group in body.named_children:
            if group.type in ("switch_block_statement_group", "switch_rule"):
                labels = [c for c in group.named_children if c.type == "switch_label"]
                is_default = any(self.text(lab).strip().startswith("default") for lab in labels)
            elif group.type == "switch_section":
                labels = [c for c in group.children if c.type in ("constant_pattern", "case_switch_label", "default", "or_pattern", "case_pattern_switch_label")]
                is_default = any(c.type == "default" for c in group.children)
            else:
                continue
            for lab in labels:
                d.tested.extend(self.literals_in(lab))
            if is_default:
                default = group
            else:
                arms.append(group)
        if default is not None:
            d.outcome, d.detail = self._classify(self._statements(default))
        else:
            self._fall_through(d, sw if sw.parent is None or sw.parent.type != "expression_statement" else sw.parent, arms)
        return d

    def _ternary(self, p, cond) -> Decision:
        d = Decision("ternary", p)
        d.tested = self.literals_in(cond)
        if self.g is PYTHON:
            kids = p.named_children
            yes, no = kids[0], kids[2]
        else:
            yes, no = p.child_by_field_name("consequence"), p.child_by_field_name("alternative")
        pol = self._polarity(cond, d.tested) if d.tested else "mixed"
        other = no if pol == "positive" else yes if pol == "negative" else None
        if other is not None:
            if other.type in self.g.throws:
                d.outcome, d.detail = "error", self.text(other).split("\n", 1)[0][:80]
            else:
                vals = self._value_strings(other)
                if vals and all(has_x86_token(v) for v in vals) and not self._mentions_ref(other):
                    d.outcome, d.detail = "x86", self.text(other)[:80]
        return d


def char_offset(ctx, byte: int) -> int:
    """Character offset of a byte offset in the file."""
    return ctx.source.char_offset(byte)


def gate_findings(rule, ctx, grammar: Grammar, sources: list, *, value_name: str, arm_value: str, help_text: str):
    """Findings for the decisions on the architecture value read at `sources` (tree nodes)."""
    from archport.model import Severity

    gates = ArchGates(ctx, grammar)
    for d in gates.decisions(sources):
        if d.outcome == "neutral" or not d.x86_values:
            continue
        if any(cls == "arm" for _, cls, _ in d.tested) or gates.names_arm(d.node):
            continue
        anchor = next(n for _, cls, n in d.tested if cls == "x86")
        start = char_offset(ctx, anchor.start_byte)
        end = char_offset(ctx, anchor.end_byte)
        names = "/".join(f"`{v}`" for v in d.x86_values[:4])
        what = {"if": "check", "switch": "switch", "ternary": "conditional", "lookup": "table lookup", "assert": "assertion"}[d.kind]
        head = f"{value_name} {what} handles {names} but not `{arm_value}`"
        severity = None
        if d.outcome == "error":
            if d.kind == "assert":
                tail = "an AArch64 process fails the assertion"
            elif d.detail == "KeyError":
                tail = "on AArch64 the lookup raises KeyError"
            elif d.detail == "SwitchExpressionException":
                tail = "on AArch64 no arm matches and the switch expression throws SwitchExpressionException"
            else:
                tail = f"an AArch64 process goes on to `{d.detail}` and stops"
        elif d.outcome == "x86":
            tail = f"an AArch64 process is given the x86 setting `{d.detail}`"
            severity = Severity.WARNING
        else:
            tail = "an AArch64 process gets no value from it"
            severity = Severity.WARNING
        yield ctx.finding(
            rule, start, end, f"{head}: {tail}", help_text,
            properties={"tested": d.x86_values, "outcome": d.outcome, "decision": d.kind},
            severity=severity,
        )


_MULTIARCH = re.compile(r"(?:x86_64|i[3-6]86)-linux-gnu\w*")


def x86_marker(value: str) -> str | None:
    """The x86 architecture word in a library name or path (`libfoo-x86_64.so`,
    `native/linux-amd64/`), or None; Debian multiarch directories are left to CT704, and a
    value that also names an Arm architecture is not x86-only."""
    v = _MULTIARCH.sub(" ", value)
    if _ARM_TOKEN.search(v):
        return None
    m = _X86_TOKEN.search(v)
    return m.group() if m else None
