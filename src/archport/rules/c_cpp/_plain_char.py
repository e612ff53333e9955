"""Shared by the plain-`char` rules (CC101-CC104) once a file is parsed: the two readings of a
plain `char` (x86-64: signed -128..127; AArch64 Linux: unsigned 0..255), plain char operands
and constants in the tree, sign-dependent comparisons, and the one place where findings are
made, which turns a finding into information when the build fixes the signedness with
-fsigned-char or -funsigned-char. The text screen that decides which files get parsed is in
_char_screen.py."""

from __future__ import annotations

import os
import re

from archport.buildflags import char_signedness_flag
from archport.model import Severity
from archport.rules.c_cpp._char_screen import INT_TYPES, candidates
from archport.rules.c_cpp._deep import ANALYSIS, char_offset
from archport.rules.c_cpp._deep import parsed as deep_parsed
from archport.rules.c_cpp._symbols import char_symbols

BYTES = range(256)
BUILD_WIDE = "or build the whole program with -fsigned-char, which keeps the x86-64 behaviour on AArch64"

def signed_value(b: int) -> int:
    """A byte read through a plain char on x86-64."""
    return b - 256 if b >= 128 else b


# -- from a text match to the tree --------------------------------------------------------------


def node_at(ctx, start: int, end: int):
    """The smallest named tree node covering characters [start, end): for an operator, the
    expression it is the operator of."""
    table = char_symbols(ctx)
    if table is None:
        return None
    src = ctx.source
    return table.root.named_descendant_for_byte_range(src.byte_offset(start), src.byte_offset(end))


def char_span(ctx, node) -> tuple[int, int]:
    """Character offsets of a node."""
    return char_offset(ctx, node.start_byte), char_offset(ctx, node.end_byte)


def strip_parens(node):
    while node is not None and node.type == "parenthesized_expression" and node.named_child_count == 1:
        node = node.named_children[0]
    return node


def code(node, limit: int = 60) -> str:
    text = " ".join(node.text.decode("utf-8", "replace").split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


# -- the two readings of a byte -----------------------------------------------------------------


class CharOperand:
    """A plain char value, possibly widened by integer casts: `c`, `*p`, `(int)s[i]`,
    `(unsigned)c`. `values(b, arm)` is what the expression evaluates to for byte b."""

    def __init__(self, node, casts: list[tuple[bool, int]]):
        self.node = node  # the plain char expression itself
        self.casts = casts  # outermost first

    @property
    def unsigned_width(self) -> int:
        """Width of the unsigned type the value has after promotion, 0 when it is a signed int."""
        if self.casts:
            signed, width = self.casts[0]
            if not signed and width >= 32:
                return width
        return 0

    @property
    def width(self) -> int:
        return max(32, self.casts[0][1]) if self.casts else 32

    def value(self, b: int, arm: bool) -> int:
        v = b if arm else signed_value(b)
        for signed, width in reversed(self.casts):
            if not signed:
                v %= 1 << width
        return v


def char_operand(table, node) -> CharOperand | None:
    """The expression as a plain char value (through parentheses and widening integer casts),
    or None. `(unsigned char)c`, `(uint8_t)c` and `(signed char)c` are not plain char values."""
    casts: list[tuple[bool, int]] = []
    node = strip_parens(node)
    while node is not None and node.type == "cast_expression":
        descriptor = node.child_by_field_name("type")
        if table.type_descriptor_depth(descriptor) == 0:
            return CharOperand(node, casts)
        kind = _cast_kind(descriptor)
        if kind is None:
            return None
        casts.append(kind)
        node = strip_parens(node.child_by_field_name("value"))
    if node is None or table.depth(node) != 0:
        return None
    return CharOperand(node, casts)


def _cast_kind(descriptor) -> tuple[bool, int] | None:
    if descriptor is None or descriptor.child_by_field_name("declarator") is not None:
        return None
    text = " ".join(descriptor.text.decode("utf-8", "replace").replace("const", " ").split())
    return INT_TYPES.get(text)


class Constant:
    """An integer constant as x86-64 and AArch64 read it (they differ for `'\\xff'` and
    `(char)0xff`)."""

    def __init__(self, x86: int, arm: int, unsigned_width: int = 0, char_typed: bool = False):
        self.x86, self.arm, self.unsigned_width, self.char_typed = x86, arm, unsigned_width, char_typed

    def value(self, arm: bool) -> int:
        return self.arm if arm else self.x86


_ESCAPES = {"n": 10, "t": 9, "r": 13, "0": 0, "a": 7, "b": 8, "f": 12, "v": 11, "\\": 92, "'": 39, '"': 34, "?": 63, "e": 27}


def constant(table, node) -> Constant | None:
    node = strip_parens(node)
    if node is None:
        return None
    t = node.type
    if t == "number_literal":
        return _number(node.text.decode("ascii", "replace"))
    if t == "unary_expression":
        op = node.child_by_field_name("operator")
        inner = constant(table, node.child_by_field_name("argument"))
        if op is not None and op.type == "-" and inner is not None and not inner.char_typed:
            return Constant(-inner.x86, -inner.arm, inner.unsigned_width)
        return None
    if t == "identifier" and node.text == b"EOF":
        return Constant(-1, -1)
    if t == "char_literal":
        byte = _char_literal(node.text.decode("utf-8", "replace"))
        return None if byte is None else Constant(signed_value(byte), byte, char_typed=True)
    if t == "cast_expression" and table.type_descriptor_depth(node.child_by_field_name("type")) == 0:
        inner = constant(table, node.child_by_field_name("value"))
        if inner is None or inner.x86 != inner.arm:
            return None
        byte = inner.x86 % 256
        return Constant(signed_value(byte), byte, char_typed=True)
    return None


def _number(text: str) -> Constant | None:
    m = re.fullmatch(r"(-?)\s*(0[xX][0-9a-fA-F']+|0[bB][01']+|0[0-7']*|[1-9][0-9']*)([uUlLzZ]*)", text.strip())
    if not m:
        return None
    digits = m.group(2).replace("'", "")
    base = 16 if digits[:2] in ("0x", "0X") else 2 if digits[:2] in ("0b", "0B") else 8 if len(digits) > 1 else 10
    if digits[0] != "0":
        base = 10
    value = int(digits[2:] if base in (2, 16) else digits, base)
    if m.group(1):
        value = -value
    suffix = m.group(3).lower()
    unsigned_width = (64 if "l" in suffix or "z" in suffix else 32) if "u" in suffix else 0
    return Constant(value, value, unsigned_width)


def _char_literal(text: str) -> int | None:
    """The byte of a one-character literal `'a'`, `'\\xff'`, `'\\377'` (None for wide ones)."""
    if not (text.startswith("'") and text.endswith("'")) or len(text) < 3:
        return None
    body = text[1:-1]
    if len(body) == 1:
        return ord(body) if ord(body) < 256 else None
    if body[0] != "\\":
        return None
    esc = body[1:]
    if esc[:1] == "x":
        try:
            return int(esc[1:], 16) % 256
        except ValueError:
            return None
    if esc[:1].isdigit():
        try:
            return int(esc, 8) % 256
        except ValueError:
            return None
    return _ESCAPES.get(esc) if len(esc) == 1 else None


_COMPARE = {
    "<": lambda a, b: a < b, ">": lambda a, b: a > b, "<=": lambda a, b: a <= b,
    ">=": lambda a, b: a >= b, "==": lambda a, b: a == b, "!=": lambda a, b: a != b,
}
_MIRROR = {"<": ">", ">": "<", "<=": ">=", ">=": "<=", "==": "==", "!=": "!="}


def outcomes(operand: CharOperand, op: str, const: Constant, const_on_left: bool = False) -> tuple[list, list]:
    """The results of `operand op const` for bytes 0..255, on x86-64 and on AArch64."""
    if const_on_left:
        op = _MIRROR[op]
    compare = _COMPARE[op]
    width = max(operand.unsigned_width, const.unsigned_width)
    result: tuple[list, list] = ([], [])
    for arm in (False, True):
        k = const.value(arm)
        if width:
            k %= 1 << width
        for b in BYTES:
            v = operand.value(b, arm)
            result[arm].append(compare(v % (1 << width) if width else v, k))
    return result


class Comparison:
    """A comparison of a plain char value with a constant whose result depends on the signedness
    of plain char; `op` is written as if the constant were on the right."""

    def __init__(self, node, op: str, operand: CharOperand, const: Constant, const_node, x86: list, arm: list):
        self.node, self.op, self.operand, self.const, self.const_node = node, op, operand, const, const_node
        self.x86, self.arm = x86, arm

    def describe(self) -> str:
        """`is always false on AArch64 but true for bytes 0x80-0xFF on x86-64`."""
        return f"is {describe_results(self.arm)} on AArch64 but {describe_results(self.x86)} on x86-64"


def describe_results(results: list) -> str:
    """`always false`, `true for bytes 0x80-0xFF`, `true for byte 0xFF` (results by byte)."""
    if len(set(results)) == 1:
        return "always " + str(results[0]).lower()
    where = [b for b in BYTES if results[b]]
    if where == list(range(where[0], where[-1] + 1)):
        return f"true for byte 0x{where[0]:02X}" if len(where) == 1 else f"true for bytes 0x{where[0]:02X}-0x{where[-1]:02X}"
    return f"true for {len(where)} of the 256 byte values"


def comparison(table, node) -> Comparison | None:
    """The sign-dependent comparison a binary_expression is, or None."""
    if node is None or node.type != "binary_expression":
        return None
    op_node = node.child_by_field_name("operator")
    op = op_node.type if op_node is not None else ""
    if op not in _COMPARE:
        return None
    left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
    if left is None or right is None:
        return None
    for operand_node, const_node, const_on_left in ((left, right, False), (right, left, True)):
        const = constant(table, const_node)
        if const is None:
            continue
        operand = char_operand(table, operand_node)
        if operand is None:
            return None
        x86, arm = outcomes(operand, op, const, const_on_left)
        if x86 == arm:
            return None
        return Comparison(node, _MIRROR[op] if const_on_left else op, operand, const, const_node, x86, arm)
    return None


# -- findings -----------------------------------------------------------------------------------


def make_finding(ctx, rule, start: int, end: int, message: str, help: str, properties: dict, confidence=None):
    """A finding, downgraded to information when the build passes -fsigned-char/-funsigned-char."""
    flag = ctx.cache.get("_char_flag", False)
    if flag is False:
        flag = ctx.cache["_char_flag"] = char_signedness_flag(ctx.abs_path)
    severity = None
    if flag is not None:
        name, path = flag
        where = os.path.relpath(path, os.path.dirname(os.path.abspath(ctx.abs_path)))
        if name == "-fsigned-char":
            message += f" (the build passes -fsigned-char in {where}, so AArch64 keeps the x86-64 behaviour)"
        else:
            message += f" (the build passes -funsigned-char in {where}, so x86-64 already behaves as AArch64)"
        severity = Severity.INFO
        properties = {**properties, "build_flag": name, "build_file": where}
    facts = deep_parsed(ctx)
    if facts is not None:
        properties = {**properties, **ANALYSIS}
        if flag is None and facts.entry.char_flag:
            name = facts.entry.char_flag
            keeps = "AArch64 keeps the x86-64 behaviour" if name == "-fsigned-char" else "x86-64 already behaves as AArch64"
            message += f" (the compilation database passes {name}, so {keeps})"
            severity = Severity.INFO
            properties["build_flag"] = name
    return ctx.finding(rule, start, end, message, help, properties=properties, severity=severity, confidence=confidence)


# -- comparisons found in a file ----------------------------------------------------------------


def sign_dependent_comparisons(ctx):
    """Every comparison of a plain char value with a constant whose result differs between
    x86-64 and AArch64 (shared with CC102, which owns the ones fed by getc/getopt)."""
    cached = ctx.cache.get("_char_comparisons")
    if cached is not None:
        return cached
    found: dict[tuple[int, int], Comparison] = {}
    ctx.cache["_char_comparisons"] = found
    cands = candidates(ctx)["compare"]
    if not cands:
        return found
    table = char_symbols(ctx)
    if table is None:
        return found
    for op_start, op_end in cands:
        binary = node_at(ctx, op_start, op_end)
        key = (binary.start_byte, binary.end_byte) if binary is not None else None
        if binary is None or binary.type != "binary_expression" or key in found:
            continue
        cmp = comparison(table, binary)
        if cmp is not None:
            found[key] = cmp
    return found

# -- int results of the character readers ----------------------------------------------------------

#: functions whose int result must not be stored in a plain char before it is compared with -1
READERS = ("getc", "fgetc", "getchar", "getc_unlocked", "fgetc_unlocked", "getchar_unlocked", "getopt",
           "getopt_long", "getopt_long_only")
_READER_CALL = re.compile(r"\b(%s)\s*\(" % "|".join(READERS))
_READERS_IN_TEXT = re.compile(rb"get(?:c|char|opt)")


def reader_source(ctx, table, comparison_: Comparison) -> str | None:
    """The reader (getc, getopt ...) whose result the compared variable receives in the same
    function: `c = getc(f)`, `char c = getchar()`, or the comparison's own `(c = getopt(...))`."""
    target = strip_parens(comparison_.operand.node)
    if target.type == "assignment_expression":
        call = strip_parens(target.child_by_field_name("right"))
        while call is not None and call.type == "cast_expression":  # `c = (char)getchar()`
            call = strip_parens(call.child_by_field_name("value"))
        m = _READER_CALL.match(call.text.decode("utf-8", "replace")) if call is not None else None
        if m:
            return m.group(1)
        target = strip_parens(target.child_by_field_name("left"))
    if target is None or target.type not in ("identifier", "field_expression"):
        return None
    function = next((n for n in reversed(table.containers(target)) if n.type == "function_definition"), None)
    if function is None:
        return None
    key = ("_reader", function.start_byte, target.text)
    if key not in ctx.cache:
        if not _READERS_IN_TEXT.search(function.text):
            ctx.cache[key] = None
        else:
            start, end = char_span(ctx, function)
            parts = re.split(r"\s*(?:\.|->)\s*", target.text.decode("utf-8", "replace"))
            name = r"\s*(?:\.|->)\s*".join(map(re.escape, parts))
            assign = re.compile(r"(?<![\w.>])%s\s*=(?!=)\s*(?:\(\s*\w+\s*\)\s*)?(%s)\s*\(" % (name, "|".join(READERS)))
            m = assign.search(ctx.masked, start, end)
            ctx.cache[key] = m.group(1) if m else None
    return ctx.cache[key]
