"""Shared by the Fortran rules: statement positions, integer named constants, real-kind
selection as each compiler resolves it, Intel compiler directive lines and BIND(C) names.

Everything works on the masked text (comments and string contents blanked) with
case-insensitive patterns, in free and fixed form alike; tree-sitter is not needed."""

from __future__ import annotations

import re

from archport.languages import FORTRAN_FIXED_EXTENSIONS
from archport.preprocessor import State

_FIXED = tuple(FORTRAN_FIXED_EXTENSIONS)
#: what may precede a statement on its line: blanks, a statement label, a fixed-form
#: continuation mark in column 6 (`     &`, `     1`), or the end of a previous `;` statement
_LINE_HEAD = re.compile(r"(?:[ \t]*\d{0,5}[ \t]*|.*;[ \t]*)")
_FIXED_CONTINUATION = re.compile(r"[ \t]{5}[^ \t0\n]")
_INT_PARAM_STMT = re.compile(r"^[ \t\d]*integer\b[^\n!;]*?\bparameter\b[^\n;]*?::", re.I | re.M)
_NAME_VALUE = re.compile(r"\s*([a-z_]\w*)\s*=\s*", re.I)
_PARAMETER_STMT = re.compile(r"^[ \t\d]*parameter[ \t]*\(", re.I | re.M)
_INTEGER = re.compile(r"[+-]?\d+(?:_\w+)?")
_DIRECTIVE_FREE = re.compile(r"^[ \t]*!(dir|dec|ms)\$[ \t]*([^\n]*)", re.I | re.M)
_DIRECTIVE_FIXED = re.compile(r"^(?:[cC*!]|[ \t]*!)(dir|dec|ms)\$[ \t]*([^\n]*)", re.I | re.M)
_BIND_C_NAME = re.compile(r"\bbind\s*\(\s*c\s*,\s*name\s*=\s*(['\"])", re.I)
_INTERFACE = re.compile(r"^[ \t\d]*(?:(abstract[ \t]+)?interface\b|end[ \t]*interface\b)", re.I | re.M)
_ROUTINE_DEF = re.compile(
    r"^[ \t\d]*(?:(?:pure|elemental|impure|recursive|module|non_recursive|real|integer|logical|complex|double"
    r"[ \t]*precision|character|type[ \t]*\([^)\n]*\)|\*\d+|\([^)\n]*\)|[ \t])*)(?:subroutine|function)[ \t]+([a-z_]\w*)",
    re.I | re.M,
)


def is_fixed_form(ctx) -> bool:
    return ctx.path.endswith(_FIXED)


def compiled(ctx, offset: int) -> bool:
    """False in preprocessor branches an AArch64 build never compiles (.F/.F90 files)."""
    return ctx.arm_state(offset) is not State.INACTIVE


def at_statement_start(ctx, offset: int) -> bool:
    """Whether only a label, blanks or an earlier `;`-separated statement precede offset on
    its line (so a word there begins a statement, e.g. a type declaration)."""
    masked = ctx.masked
    line_start = masked.rfind("\n", 0, offset) + 1
    head = masked[line_start:offset]
    if is_fixed_form(ctx) and _FIXED_CONTINUATION.match(head):
        return False  # a continuation line continues the previous statement
    if head.rstrip().endswith("&"):  # free-form `&` continuation at the start of a line
        return False
    return bool(_LINE_HEAD.fullmatch(head))


def statement_end(masked: str, start: int, fixed: bool) -> int:
    """Offset of the end of the statement that contains `start` (following continuation
    lines: a trailing `&` in free form, a column-6 mark in fixed form)."""
    pos = start
    while True:
        nl = masked.find("\n", pos)
        if nl < 0:
            return len(masked)
        line = masked[masked.rfind("\n", 0, pos) + 1 : nl]
        if not fixed and line.rstrip().endswith("&"):
            pos = nl + 1
            continue
        if fixed and _FIXED_CONTINUATION.match(masked, nl + 1) and masked[nl + 1 : nl + 6].strip() == "":
            pos = nl + 1
            continue
        return nl


def integer_parameters(ctx) -> dict[str, tuple[str, int, int]]:
    """Integer named constants of the file: lower-case name -> (value expression, start and
    end offset of `name = value`). Only `integer, parameter :: a = …` statements are read."""
    cache = ctx.cache.setdefault("_fortran", {})
    if "params" in cache:
        return cache["params"]
    params: dict[str, tuple[str, int, int]] = {}
    masked = ctx.masked
    fixed = is_fixed_form(ctx)
    for stmt in _INT_PARAM_STMT.finditer(masked):
        end = statement_end(masked, stmt.start(), fixed)
        body_start = stmt.end()
        body = masked[body_start:end]
        for name, value_start, value_end in _split_assignments(body):
            value = re.sub(r"[ \t]*&[ \t]*\n[ \t]*&?|\n[ \t]{5}\S|\s+", " ", body[value_start:value_end]).strip()
            params.setdefault(name.lower(), (value, body_start + value_start, body_start + value_end))
    for stmt in _PARAMETER_STMT.finditer(masked):  # FORTRAN 77: PARAMETER (EP = 10, ...)
        close = ctx.matching_paren(stmt.end() - 1, limit=4000)
        if close < 0:
            continue
        body_start = stmt.end()
        body = masked[body_start : close - 1]
        for name, value_start, value_end in _split_assignments(body):
            value = re.sub(r"\s+", " ", body[value_start:value_end]).strip()
            if _INTEGER.fullmatch(value) or value.lower().startswith("selected_real_kind"):
                params.setdefault(name.lower(), (value, body_start + value_start, body_start + value_end))
    cache["params"] = params
    return params


def _split_assignments(body: str):
    """(name, value start, value end) for each `name = value` of a declaration list."""
    depth = 0
    item_start = 0
    for i, ch in enumerate(body + ","):
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif ch == "," and depth == 0:
            m = _NAME_VALUE.match(body, item_start)
            if m and m.end() <= i:
                yield m.group(1), m.end(), i
            item_start = i + 1


def integer_value(expr: str, params: dict, depth: int = 0) -> int | None:
    """An integer literal (with an optional kind suffix) or a named constant resolving to one."""
    expr = expr.strip()
    if _INTEGER.fullmatch(expr):
        return int(expr.split("_")[0])
    entry = params.get(expr.lower())
    if entry is not None and depth < 4:
        return integer_value(entry[0], params, depth + 1)
    return None


def real_kind_for(p: int | None, r: int | None, with_kind_10: bool) -> int:
    """What gfortran's SELECTED_REAL_KIND(P, R) returns on x86-64 (kinds 4, 8, 10, 16) or on
    AArch64 (4, 8, 16). Verified with gfortran 12 on both: p=16..18 -> 10 / 16, r=308..4931
    -> 10 / 16, p=33 -> 16 / 16, r=4932 -> -2 / -2."""
    p = p or 0
    r = r or 0
    table = [(4, 6, 37), (8, 15, 307)] + ([(10, 18, 4931)] if with_kind_10 else []) + [(16, 33, 4931)]
    for kind, precision, exponent in table:
        if p <= precision and r <= exponent:
            return kind
    return -1


def selected_real_kind_args(args: str, params: dict) -> tuple[int | None, int | None] | None:
    """(P, R) of a SELECTED_REAL_KIND argument list, None when an argument is not a constant
    the file defines or a RADIX other than 2 is given."""
    positional = ("p", "r", "radix")
    values: dict[str, int] = {}
    parts = _top_level_split(args)
    for i, part in enumerate(parts):
        m = re.match(r"\s*(?:(p|r|radix)\s*=\s*)?(.*\S)\s*$", part, re.I | re.S)
        if not m:
            return None
        key = (m.group(1) or (positional[i] if i < 3 else "")).lower()
        value = integer_value(m.group(2), params)
        if not key or value is None:
            return None
        values[key] = value
    if values.get("radix", 2) != 2 or not ("p" in values or "r" in values):
        return None
    return values.get("p"), values.get("r")


def _top_level_split(args: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(args):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(args[start:i])
            start = i + 1
    parts.append(args[start:])
    return [p for p in parts if p.strip()]


def directives(ctx) -> list[tuple[int, int, str, str]]:
    """Intel compiler directive lines (`!DIR$ …`, `!DEC$ …`, `!MS$ …`; in fixed form also
    `CDEC$`, `*DIR$`): (start, end, sentinel, directive text without the sentinel)."""
    cache = ctx.cache.setdefault("_fortran", {})
    if "directives" in cache:
        return cache["directives"]
    text = ctx.text
    pattern = _DIRECTIVE_FIXED if is_fixed_form(ctx) else _DIRECTIVE_FREE
    found = []
    for m in pattern.finditer(text):
        # the sentinel must start a comment: not the inside of a string that spans the line
        if ctx.masked[m.start(1) - 1] != " " and not is_fixed_form(ctx):
            continue
        body = m.group(2)
        cut = body.find("!")  # a trailing comment after the directive
        if cut >= 0:
            body = body[:cut]
        found.append((m.start(1) - 1, m.end(), m.group(1).upper(), body.strip()))
    cache["directives"] = found
    return found


def bind_c_names(ctx) -> list[tuple[int, int, str]]:
    """(start, end, name) of the string in each `BIND(C, NAME="…")` of compiled code."""
    cache = ctx.cache.setdefault("_fortran", {})
    if "bind" in cache:
        return cache["bind"]
    out = []
    text = ctx.text
    for m in _BIND_C_NAME.finditer(ctx.masked):
        quote = m.group(1)
        close = text.find(quote, m.end())
        if close < 0 or "\n" in text[m.end() : close]:
            continue
        out.append((m.end(), close, text[m.end() : close].strip()))
    cache["bind"] = out
    return out


def interface_spans(ctx) -> list[tuple[int, int]]:
    """(start, end) of each INTERFACE … END INTERFACE block (masked text)."""
    cache = ctx.cache.setdefault("_fortran", {})
    if "interfaces" in cache:
        return cache["interfaces"]
    spans, opened = [], []
    for m in _INTERFACE.finditer(ctx.masked):
        if m.group(0).strip().lower().lstrip("0123456789 \t").startswith("end"):
            if opened:
                spans.append((opened.pop(), m.end()))
        else:
            opened.append(m.start())
    cache["interfaces"] = spans
    return spans


def in_interface(ctx, offset: int) -> bool:
    return any(s <= offset < e for s, e in interface_spans(ctx))


def defined_routines(ctx) -> set[str]:
    """Lower-case names of the subroutines and functions the file defines (not the ones an
    interface block only declares)."""
    cache = ctx.cache.setdefault("_fortran", {})
    if "defined" not in cache:
        cache["defined"] = {
            m.group(1).lower()
            for m in _ROUTINE_DEF.finditer(ctx.masked)
            if not re.match(r"[ \t\d]*end\b", m.group(0), re.I) and not in_interface(ctx, m.start())
        }
    return cache["defined"]


_KIND_CALL = re.compile(r"\b(real|complex|cmplx)\s*(?:(\*)\s*(\d+)\b|\()", re.I)
_REAL_LITERAL = re.compile(
    r"(?<![\w.])(?:\d+\.\d*(?:[ed][+-]?\d+)?|\.\d+(?:[ed][+-]?\d+)?|\d+[ed][+-]?\d+)_([a-z_]\w*|\d+)\b", re.I
)
_DECL_HEAD = re.compile(
    r"(?:(?:pure|elemental|impure|recursive|module)[ \t]+)*$|.*\bimplicit[ \t]+(?:none\b.*)?(?:.*,)?[ \t]*$"
    r"|.*\ballocate[ \t]*\([ \t]*$",
    re.I,
)


def real_kind_uses(ctx) -> list[tuple[int, int, str, str]]:
    """Where the file names a real or complex kind: (start, end, how, kind expression) with
    `how` one of "star" (`REAL*10`, the byte size), "type" (`REAL(10)`, `REAL(KIND=ep)`),
    "conversion" (`REAL(x, 10)`, `CMPLX(a, b, KIND=ep)`) and "literal" (`1.0_10`). Only
    compiled code (masked text) is read."""
    cache = ctx.cache.setdefault("_fortran", {})
    if "kind_uses" in cache:
        return cache["kind_uses"]
    masked = ctx.masked
    out: list[tuple[int, int, str, str]] = []
    for m in _KIND_CALL.finditer(masked):
        word = m.group(1).lower()
        start = m.start()
        line_start = masked.rfind("\n", 0, start) + 1
        declaration = at_statement_start(ctx, start) or bool(_DECL_HEAD.fullmatch(masked[line_start:start].lstrip(" \t0123456789")))
        if m.group(2):  # REAL*n / COMPLEX*n
            if word != "cmplx" and declaration:
                out.append((start, m.end(), "star", m.group(3)))
            continue
        close = ctx.matching_paren(m.end() - 1, limit=2000)
        if close < 0:
            continue
        args = _top_level_split(masked[m.end() : close - 1])
        named = [a for a in args if re.match(r"\s*kind\s*=", a, re.I)]
        if word != "cmplx" and len(args) == 1 and (declaration or named):
            kind = re.sub(r"(?i)^\s*kind\s*=\s*", "", args[0]).strip()
            if re.fullmatch(r"\w+", kind) and not re.match(r"(?i)len\b", kind):
                out.append((start, close, "type", kind))
            continue
        if word == "complex":
            continue
        if named:
            kind = named[0].split("=", 1)[1].strip()
        elif len(args) == (2 if word == "real" else 3):
            kind = args[-1].strip()
        else:
            continue
        if re.fullmatch(r"\w+", kind):
            out.append((start, close, "conversion", kind))
    for m in _REAL_LITERAL.finditer(masked):
        out.append((m.start(), m.end(), "literal", m.group(1)))
    out.sort()
    cache["kind_uses"] = out
    return out
