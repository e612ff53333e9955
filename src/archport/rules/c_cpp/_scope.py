"""Function scopes for the silent-behaviour rules (CC111-CC119, CC203-CC206), from brackets
alone (no syntax tree): which function definition encloses an offset, the names it declares
with a given type, and its loops. Every index is built once per file in `ctx.cache`."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

_NOT_FUNCTION = frozenset(
    {"if", "for", "while", "switch", "catch", "return", "sizeof", "__attribute__", "defined", "alignas",
     "_Alignas", "decltype", "typeof", "__typeof__", "__declspec", "throw", "noexcept", "do", "else"}
)
# what may stand between a function's `)` and its `{` (matched backwards, one item at a time)
_TRAILER_WORD = re.compile(r"(?:\b(?:const|noexcept|override|final|mutable|volatile)|&&?|\bthrow\s*\(\s*\))\s*$")
_TRAILING_RETURN = re.compile(r"->\s*[\w:<>,\s*&]{1,120}$")
_LOOP = re.compile(r"\b(for|while|do)\b")


@dataclass(frozen=True)
class Function:
    head: int  # start of the declaration (after the previous `;`, `}` or `{`)
    params: tuple[int, int]  # the parameter list's parentheses, ( .. ) inclusive
    body: tuple[int, int]  # the body's braces, { .. } inclusive
    name: str

    @property
    def start(self) -> int:
        return self.head

    @property
    def end(self) -> int:
        return self.body[1]

    def contains(self, offset: int) -> bool:
        return self.head <= offset < self.body[1]


def braces(ctx) -> dict[int, int]:
    """`{` offset -> offset just past its `}`, from one pass over the braces only (much cheaper
    than a map of every bracket); built once per file."""
    pairs = ctx.cache.get("_scope_braces")
    if pairs is None:
        pairs = ctx.cache["_scope_braces"] = {}
        stack: list[int] = []
        masked = ctx.masked
        i = masked.find("{")
        j = masked.find("}")
        while i >= 0 or j >= 0:
            if i >= 0 and (j < 0 or i < j):
                stack.append(i)
                i = masked.find("{", i + 1)
            else:
                if stack:
                    pairs[stack.pop()] = j + 1
                j = masked.find("}", j + 1)
    return pairs


def open_paren_before(masked: str, close_at: int, limit: int = 2000) -> int:
    """Offset of the `(` matching the `)` at close_at, by a local backward scan, or -1."""
    depth = 0
    lo = max(0, close_at - limit)
    for i in range(close_at, lo - 1, -1):
        c = masked[i]
        if c in ")]":
            depth += 1
        elif c in "([":
            depth -= 1
            if depth == 0:
                return i
        elif c in "{};":
            return -1
    return -1


def functions(ctx) -> tuple[list[int], list[Function]]:
    """Function definitions, outermost only, sorted by start."""
    cached = ctx.cache.get("_scope_functions")
    if cached is not None:
        return cached
    masked = ctx.masked
    pairs = braces(ctx)
    found: list[Function] = []
    covered_until = -1
    for open_at in sorted(pairs):
        if open_at < covered_until:
            continue  # inside a function already found
        before = masked[max(0, open_at - 400) : open_at]
        head_text = _strip_trailer(before, masked, open_at - len(before))
        if not head_text.endswith(")"):
            continue
        close_paren = open_at - len(before) + len(head_text) - 1
        open_paren = open_paren_before(masked, close_paren)
        if open_paren < 0:
            continue
        # a constructor's initializer list: `) : a(x), b(y) {` -> look further back for the signature
        ident = _identifier_before(masked, open_paren)
        if ident is None or ident[1].split("::")[-1] in _NOT_FUNCTION:
            continue
        head = _head_start(masked, ident[0])
        found.append(Function(head, (open_paren, close_paren + 1), (open_at, pairs[open_at]), ident[1]))
        covered_until = pairs[open_at]
    out = ([f.head for f in found], found)
    ctx.cache["_scope_functions"] = out
    return out


def _strip_trailer(before: str, masked: str, base: int) -> str:
    """`before` without what may follow a function's parameter list: qualifiers, attributes,
    a trailing return type."""
    text = before.rstrip()
    for _ in range(8):
        if text.endswith(")"):
            open_at = open_paren_before(masked, base + len(text) - 1)
            if open_at < 0:
                return text
            if re.search(r"__attribute__\s*$", before[: max(0, open_at - base)]):
                # `__attribute__((x))`: drop both parentheses and the keyword
                text = before[: max(0, open_at - base)]
                text = re.sub(r"__attribute__\s*$", "", text).rstrip()
                continue
            return text
        m = _TRAILER_WORD.search(text, max(0, len(text) - 30))
        if m:
            text = text[: m.start()].rstrip()
            continue
        m = _TRAILING_RETURN.search(text, max(0, len(text) - 130))
        if m and m.start() > 0:
            text = text[: m.start()].rstrip()
            continue
        return text
    return text


def _identifier_before(masked: str, pos: int) -> tuple[int, str] | None:
    """(start, text) of the identifier (with `::` and `~`) that ends just before pos, spaces
    skipped."""
    i = pos
    while i > 0 and masked[i - 1] in " \t\n\r":
        i -= 1
    j = i
    while j > 0 and (masked[j - 1].isalnum() or masked[j - 1] in "_:~"):
        j -= 1
    if j == i or masked[j].isdigit():
        return None
    return j, masked[j:i]


def _head_start(masked: str, offset: int) -> int:
    lo = max(0, offset - 400)
    start = max(masked.rfind(";", lo, offset), masked.rfind("{", lo, offset), masked.rfind("}", lo, offset))
    start = lo if start < 0 else start + 1
    # a preprocessor line between it and the name ends the declaration too
    hash_at = masked.rfind("#", start, offset)
    while hash_at >= 0:
        line_start = masked.rfind("\n", 0, hash_at) + 1
        if not masked[line_start:hash_at].strip():
            line_end = masked.find("\n", hash_at, offset)
            return line_end + 1 if line_end >= 0 else offset
        hash_at = masked.rfind("#", start, hash_at)
    return start


def function_at(ctx, offset: int) -> Function | None:
    starts, funcs = functions(ctx)
    i = bisect.bisect_right(starts, offset) - 1
    if i >= 0 and funcs[i].contains(offset):
        return funcs[i]
    return None


def typed_names(ctx, fn: Function, types: str) -> dict[str, int]:
    """Names the function declares (parameters and locals) with a type matching the regex
    alternation `types` (e.g. r"double|float"), with the offset of the first declaration."""
    key = ("_scope_typed", fn.head, types)
    cached = ctx.cache.get(key)
    if cached is not None:
        return cached
    masked = ctx.masked
    type_re = _type_re(types)
    out: dict[str, int] = {}
    p_open, p_close = fn.params
    for t in type_re.finditer(masked, p_open, fn.body[1]):
        if t.start() > 0 and (masked[t.start() - 1].isalnum() or masked[t.start() - 1] == "_"):
            continue  # the end of a longer name (`mydouble`)
        m = _DECLARATOR.match(masked, t.end())
        if not m:
            continue
        name = m.group("name")
        if name in _KEYWORDS:
            continue
        out.setdefault(name, m.start("name"))
        if p_open <= t.start() < p_close:
            continue  # a parameter: the next one carries its own type
        # more declarators of the same declaration: `double a = 1, *b, c[4];`
        stop = _statement_end(masked, m.end(), min(len(masked), m.end() + 400))
        for extra in _more_declarators(masked[m.end() : stop]):
            out.setdefault(extra, m.end())
    ctx.cache[key] = out
    return out


_DECLARATOR = re.compile(r"\b(?:\s+const\b)?[\s*&]*(?P<name>[A-Za-z_]\w*)\s*(?=[=;,)\[])")
_TYPE_CACHE: dict[str, re.Pattern] = {}


def _type_re(types: str) -> re.Pattern:
    pat = _TYPE_CACHE.get(types)
    if pat is None:
        pat = _TYPE_CACHE[types] = re.compile(rf"(?:{types})\b")
    return pat


_KEYWORDS = frozenset({"const", "volatile", "static", "register", "inline", "return", "sizeof", "unsigned",
                       "signed", "long", "short", "int", "char", "operator"})
def _statement_end(masked: str, start: int, limit: int) -> int:
    depth = 0
    for i in range(start, limit):
        c = masked[i]
        if c in "([{":
            depth += 1
        elif c in ")]}":
            if depth == 0:
                return i
            depth -= 1
        elif c == ";" and depth == 0:
            return i
    return limit


def _more_declarators(text: str) -> list[str]:
    names = []
    depth = 0
    piece_start = None
    for i, c in enumerate(text):
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        elif c == "," and depth == 0:
            piece_start = i + 1
            m = re.match(r"[\s*&]*([A-Za-z_]\w*)", text[piece_start:])
            if m:
                names.append(m.group(1))
    return names


_FLOAT_DECL = re.compile(r"(?:double|float|_Float(?:32|64|128)x?)\b([^;(){}]{0,300})")
_DECLARATOR_NAME = re.compile(r"(?:^|,)[\s*&]*([A-Za-z_]\w*)")


def float_names_in_file(ctx) -> frozenset[str]:
    """Every name that follows `float`/`double` somewhere in the file (declarators of one
    declaration included): a cheap over-approximation used to screen before `typed_names`."""
    names = ctx.cache.get("_scope_float_names")
    if names is None:
        names = ctx.cache["_scope_float_names"] = frozenset(
            n for decl in _FLOAT_DECL.findall(ctx.masked) for n in _DECLARATOR_NAME.findall(decl)
        )
    return names


@dataclass(frozen=True)
class Loop:
    keyword: int  # offset of for/while/do
    body: tuple[int, int]  # the loop's extent after its header (braces or one statement)


def loops(ctx, fn: Function) -> list[Loop]:
    key = ("_scope_loops", fn.head)
    cached = ctx.cache.get(key)
    if cached is not None:
        return cached
    masked = ctx.masked
    pairs = braces(ctx)
    out: list[Loop] = []
    b_open, b_close = fn.body
    for m in _LOOP.finditer(masked, b_open, b_close):
        pos = m.end()
        if m.group(1) != "do":
            paren = re.compile(r"\s*\(").match(masked, pos)
            if not paren:
                continue
            close = close_paren(masked, paren.end() - 1, stop_at_semicolon=False)
            if close < 0:
                continue
            pos = close
        nxt = re.compile(r"\s*").match(masked, pos).end()
        if nxt >= b_close:
            continue
        if masked[nxt] == "{":
            end = pairs.get(nxt, -1)
            if end < 0:
                continue
            out.append(Loop(m.start(), (nxt, end)))
        elif masked[nxt] == ";":
            continue  # `while (x);` (or a do-while's tail)
        else:
            out.append(Loop(m.start(), (nxt, _statement_end(masked, nxt, min(b_close, nxt + 2000)) + 1)))
    ctx.cache[key] = out
    return out


def enclosing_loops(ctx, fn: Function, offset: int) -> list[Loop]:
    return [lp for lp in loops(ctx, fn) if lp.keyword <= offset < lp.body[1]]


def call_arguments(ctx, open_paren: int) -> list[tuple[int, int]]:
    """Spans of the top-level comma-separated arguments of the call whose `(` is at open_paren."""
    masked = ctx.masked
    close = close_paren(masked, open_paren, limit=20000, stop_at_semicolon=False)
    if close < 0:
        return []
    args = []
    depth = 0
    start = open_paren + 1
    for i in range(open_paren + 1, close - 1):
        c = masked[i]
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        elif c == "," and depth == 0:
            args.append((start, i))
            start = i + 1
    if masked[start : close - 1].strip() or args:
        args.append((start, close - 1))
    return args


def strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


_TOKEN_CACHE: dict[tuple[str, str], re.Pattern] = {}


def find_tokens(ctx, names, suffix: str = r"\b"):
    """Matches of any of `names` (whole identifiers, followed by `suffix`) in the masked text, in
    order. One literal-prefixed regex per name is much faster in Python's engine than one
    alternation, which has no literal prefix to scan for."""
    masked = ctx.masked
    found = []
    for name in names:
        key = (name, suffix)
        pat = _TOKEN_CACHE.get(key)
        if pat is None:
            if len(_TOKEN_CACHE) > 4096:
                _TOKEN_CACHE.clear()
            pat = _TOKEN_CACHE[key] = re.compile(re.escape(name) + suffix)
        for m in pat.finditer(masked):
            s = m.start()
            if s > 0 and (masked[s - 1].isalnum() or masked[s - 1] == "_"):
                continue
            found.append(m)
    found.sort(key=lambda m: m.start())
    return found


def close_paren(masked: str, open_at: int, limit: int = 2000, stop_at_semicolon: bool = True) -> int:
    """Offset just past the bracket closing the one at open_at, by a local scan (for short spans
    such as one call's arguments: no file-wide bracket map), or -1. With stop_at_semicolon, a
    `;` on the way means the bracket is not closed in this statement."""
    depth = 0
    end = min(len(masked), open_at + limit)
    for i in range(open_at, end):
        c = masked[i]
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
            if depth == 0:
                return i + 1
            if depth < 0:
                return -1
        elif c == ";" and stop_at_semicolon:
            return -1
    return -1
