from __future__ import annotations

import re
import struct

from archport.model import Confidence, Impact, Severity
from archport.rule import Rule
from archport.rules.c_cpp import _deep, _scope
from archport.rules.c_cpp._x86_runtime import shorten

_UNSIGNED = {
    8: r"uint8_t|unsigned\s+char|u_int8_t|u8|U8|BYTE|UINT8|Uint8|guint8|uchar|uint8",
    16: r"uint16_t|unsigned\s+short(?:\s+int)?|u_int16_t|u16|U16|WORD|UINT16|Uint16|guint16|ushort|uint16",
    32: r"uint32_t|unsigned(?:\s+int)?|u_int32_t|u32|U32|UINT|UINT32|DWORD|Uint32|guint32|uint|uint32",
    64: r"uint64_t|unsigned\s+long(?:\s+long)?(?:\s+int)?|u_int64_t|u64|U64|UINT64|Uint64|guint64|size_t"
        r"|uintptr_t|uintmax_t|ulong|uint64",
}
_SIGNED = {
    32: r"int|signed(?:\s+int)?|int32_t|S32|I32|INT32|Sint32|int32|gint32",
    64: r"long(?:\s+long)?(?:\s+int)?|signed\s+long(?:\s+long)?|int64_t|S64|I64|INT64|Sint64|gint64|int64"
        r"|ssize_t|intptr_t|intmax_t|ptrdiff_t|off_t|time_t",
}
_TYPE_WIDTH: list[tuple[re.Pattern, bool, int]] = [
    (re.compile(rf"(?:{alt})$"), signed, width)
    for signed, table in ((False, _UNSIGNED), (True, _SIGNED))
    for width, alt in table.items()
]
_ALL_TYPES = "|".join(alt for table in (_UNSIGNED, _SIGNED) for alt in table.values())

_FLOAT_LITERAL = re.compile(
    r"(?<![\w.])(?:(?:\d+\.\d*|\.\d+)(?:[eE][+-]?\d+)?|\d+[eE][+-]?\d+|0[xX][0-9a-fA-F]*\.?[0-9a-fA-F]*[pP][+-]?\d+)[fFlL]?(?![\w.])"
)
_FLOAT_CAST = re.compile(r"\(\s*(?:long\s+)?(?:double|float)\s*\)")
#: functions that return a floating value
_FLOAT_FUNCS = (
    r"(?:floor|ceil|sqrt|cbrt|pow|exp|exp2|expm1|log|log2|log10|log1p|fabs|round|trunc|rint|nearbyint|sin|cos|tan"
    r"|asin|acos|atan|atan2|sinh|cosh|tanh|fmod|remainder|hypot|erf|erfc|lgamma|tgamma|ldexp|frexp|modf|copysign"
    r"|difftime|atof|strtod|strtof|strtold|drand48|erand48)[fl]?"
)
_FLOAT_CALL = re.compile(rf"\b{_FLOAT_FUNCS}\s*\(")
#: results that can be negative (the sign-ranging functions)
_SIGNED_CALL = re.compile(r"\b(?:sin|cos|tan|asin|atan|atan2|sinh|tanh|remainder|fmod|erf|copysign)[fl]?\s*\(")
#: a clamp or a function whose result is never negative: the author bounded the value
_CLAMPED = re.compile(
    r"\b(?:f?max[fl]?|f?min[fl]?|MAX|MIN|CLAMP|[Cc]lamp\w*|\w*_clamp|fabs[fl]?|abs|labs|llabs|saturate\w*|sqrt[fl]?"
    r"|exp[fl]?|exp2[fl]?|hypot[fl]?|std::max|std::min|std::clamp|std::abs|std::fabs)\s*[(<]|\?"
)
_NAN_NAMES = re.compile(r"^\(?\s*-?\s*(?:NAN|INFINITY|HUGE_VALF?L?|__builtin_nanf?|__builtin_inff?)\b")
_NUMBER = re.compile(
    r"(?<![\w.])(?:0[xX][0-9a-fA-F]*\.?[0-9a-fA-F]*[pP][+-]?\d+|\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)"
    r"[fFlLuU]*(?![\w.])"
)
_IDENT = re.compile(r"(?<![\w.>])(?:->)?([A-Za-z_]\w*)\b(?!\s*\()")
_PREFIX = re.compile(r"\s*(?:[-+!~*&]\s*)*")
_PRIMARY = re.compile(r"[A-Za-z_]\w*(?:\s*::\s*[A-Za-z_]\w*)*|(?:0[xX][0-9a-fA-F.]+(?:[pP][+-]?\d+)?|\d[\w.]*(?:[eE][+-]?\d+)?|\.\d[\w.]*)")
_POSTFIX_MEMBER = re.compile(r"\s*(?:\.|->)\s*[A-Za-z_]\w*")
_NOT_A_CAST_BEFORE = re.compile(r"(?:\b(?:sizeof|alignof|_Alignof|__alignof__|decltype|typeof|__typeof__|offsetof)|[\w\]])\s*$")
_KEYWORD_BEFORE = re.compile(r"\b(?:return|case|else|do|co_return|throw)\s*$")
_LEADING_CAST = re.compile(rf"\s*\(\s*(?:const\s+)?(?:{_ALL_TYPES})\s*\)")
_SAMPLE = r"[A-Za-z_][\w.]*(?:\s*(?:->\s*\w+|\[[^\[\]]*\]))*"
_CONSTANT = r"(?:0[xX][0-9a-fA-F.]+(?:[pP][+-]?\d+)?|\d[\d.]*(?:[eE][+-]?\d+)?)[fFlLuU]*"
_SCALED_SAMPLE = re.compile(
    rf"\(?\s*(?:\(\s*(?:double|float)\s*\)\s*)?(?:{_SAMPLE}\s*\*\s*{_CONSTANT}|{_CONSTANT}\s*\*\s*{_SAMPLE})"
    rf"(?:\s*[-+]\s*{_CONSTANT})?\s*\)?"
)
_MEMBER = re.compile(r"(?:\.|->)\s*([A-Za-z_]\w*)")
_FLOAT_TYPES = r"long\s+double|double|float|_Float32|_Float64|_Float128"


def _literal_value(text: str) -> float | None:
    t = text.rstrip("fFlLuU")
    try:
        if t[:2] in ("0x", "0X"):
            return float.fromhex(t) if "p" in t or "P" in t else float(int(t, 16))
        return float(t)
    except ValueError:
        return None


class FloatToIntOutOfRange(Rule):
    """Floating-point value converted to an integer type where it can be negative or out of range.

    ## What it does
    Checks for explicit casts of floating-point expressions to integer types whose result differs
    between x86-64 and AArch64 for values the expression can plausibly take: casts to an
    unsigned type (`(uint8_t)`, `(unsigned)`, `(size_t)`, `(U32)` …) of an expression that
    subtracts, negates or calls a sign-ranging function (`sin`, `fmod` …) unless an earlier
    comparison in the function tests one of its names, casts of a sample scaled by a literal
    that reaches the target's limit at 1.0 (`(int32_t)(s * 2147483648.0f)`,
    `(uint32_t)(buf[i] * 4294967296.0)`: a subscript, a member, a parameter, or any value
    inside a loop), and casts of `NAN`/`INFINITY`. An expression is taken as floating when it
    contains a floating literal, a `(double)`/`(float)` cast, a `<math.h>` call, or a name that
    the enclosing function declares `float` or `double`. Expressions bounded with
    `fminf`/`fmaxf`/`fabs`/`MIN`/`MAX`/`clamp` or a `?:` are not reported.

    ## Why is this a problem on ARM64?
    C and C++ leave the conversion of a value that does not fit the target type undefined, and
    the two instruction sets answer differently. x86-64's `cvttss2si`/`cvttsd2si` return the
    "integer indefinite" value 0x80000000 (0x8000000000000000 in 64 bits) for NaN and
    overflow, and GCC converts to narrow and 32-bit unsigned types through a signed
    conversion, so negative values wrap: `(uint8_t)-1.0f` is 255 and `(unsigned)-1.0` is
    4294967295 on x86-64. AArch64's `fcvtzs`/`fcvtzu` saturate and turn NaN into 0:
    `(uint8_t)-1.0f` and `(unsigned)-1.0` are 0, `(int)1e10` is 2147483647 instead of
    -2147483648, `(int)NAN` is 0 instead of -2147483648, `(int32_t)(1.0f * 2147483648.0f)` is
    2147483647 instead of -2147483648. Pixel, audio-sample and fixed-point code that relied on
    the x86 wrap-around produces different output without any warning.

    ## Example
    ```c
    #include <stdint.h>
    void to_pixels(uint8_t *out, const float *in, int n, float offset) {
        for (int i = 0; i < n; i++)
            out[i] = (uint8_t)(in[i] * 255.0f - offset);
    }
    ```

    Use instead:
    ```c
    #include <math.h>
    #include <stdint.h>
    void to_pixels(uint8_t *out, const float *in, int n, float offset) {
        for (int i = 0; i < n; i++)
            out[i] = (uint8_t)fminf(fmaxf(in[i] * 255.0f - offset, 0.0f), 255.0f);
    }
    ```

    ## Limitations
    In the deep mode (a compile_commands.json and libclang) the operand's type comes from
    libclang, so struct members and names declared in headers count. Without it the rule sees only explicit casts, and only when the expression
    visibly is floating (literals, math calls, casts, or names declared in the same function);
    implicit conversions (`uint8_t px = f;`, arguments, returns) and struct members are missed.
    Whether a value can really be negative or out of range is guessed from the expression's
    shape, so a subtraction that is never negative in practice is reported. `lrint`/`lround`
    also differ for NaN (LONG_MIN on x86-64, 0 on AArch64) and are not reported.

    ## References
    - Arm A64 FCVTZS/FCVTZU (saturating conversion): https://developer.arm.com/documentation/ddi0602/latest/SIMD-FP-Instructions/FCVTZS--scalar--integer---Floating-point-convert-to-signed-integer--rounding-toward-zero--scalar--
    - Intel CVTTSD2SI ("integer indefinite"): https://www.felixcloutier.com/x86/cvttsd2si
    - C11 6.3.1.4 Real floating and integer: https://www.open-std.org/jtc1/sc22/wg14/www/docs/n1570.pdf
    """

    code = "CC203"
    name = "float-to-int-out-of-range"
    summary = "Floating-point value converted to an integer type where it can be negative or out of range"
    languages = frozenset({"c", "cpp"})
    severity = Severity.WARNING
    impact = Impact.SILENT_BEHAVIOUR_CHANGE
    confidence = Confidence.LOW
    tags = ("floating-point", "conversion")
    effort_minutes = 20
    prefilter = (b"double", b"float")
    #: deep mode: offered every file of the compilation database (the float may be declared in a header)
    deep_offer = True
    pattern = rf"\(\s*(?:const\s+)?({_ALL_TYPES})\s*\)(?=\s*[-+(\w.])"

    def check_match(self, ctx, match):
        masked = ctx.masked
        start = match.start()
        if _NOT_A_CAST_BEFORE.search(masked, max(0, start - 40), start) and not _KEYWORD_BEFORE.search(
            masked, max(0, start - 40), start
        ):
            return
        type_text = " ".join(match.group(1).split())
        signed, width = _classify(type_text)
        if width == 0:
            return
        op_start, op_end = _operand(ctx, match.end())
        if op_end <= op_start:
            return
        operand = masked[op_start:op_end]
        if _LEADING_CAST.match(operand, 1 if operand.startswith("(") else 0) or _LEADING_CAST.match(operand):
            return  # `(uint8_t)(int)(x - y)`: converted through an integer type first
        if _CLAMPED.search(operand):
            return
        # cheap text tests first; the function scope is looked up only for real candidates
        reason = _out_of_range_reason(operand, signed, width)
        negative = reason is None and not signed and _can_be_negative(operand)
        if reason is None and not negative:
            return
        if not _is_floating(ctx, operand, start):
            return
        if negative and _compared_before(ctx, operand, start):
            return
        shown = shorten(f"({type_text}){operand.strip()}")
        cast = _deep_cast(ctx, start) if _deep.parsed(ctx) is not None else None
        deep_props = {**_deep.ANALYSIS, "source_type": cast[0]} if cast is not None else {}
        fn = _scope.function_at(ctx, start)
        in_loop = bool(fn and _scope.enclosing_loops(ctx, fn, start))
        if reason is not None and reason[0] == "overflow" and not in_loop and not re.search(r"\[|->|[\w\])]\s*\.\s*[A-Za-z_]", operand) \
                and not _is_parameter(ctx, fn, operand):
            return  # a local scalar scaled outside any loop: not evidently sample data that can reach 1.0
        confidence = Confidence.MEDIUM if in_loop else Confidence.LOW
        if negative:
            examples = {8: "255", 16: "65535", 32: "4294967295", 64: "18446744073709551615"}
            yield ctx.finding(
                self, start, op_end,
                f"`{shown}` converts a floating value that can be negative to an unsigned type: for -1.0 x86-64 "
                f"gives {examples[width]} (wraps through a signed conversion), AArch64 gives 0 (fcvtzu saturates)",
                f"clamp first, e.g. `({type_text})fmaxf(v, 0.0f)` (and fminf for the upper bound); if the x86 "
                f"wrap-around is intended, convert through a signed type: `({type_text})(int64_t)v` gives the same "
                "result on both",
                properties={**deep_props, "target_type": type_text, "width": width, "case": "negative-to-unsigned",
                            "in_loop": in_loop},
                confidence=confidence,
            )
        elif reason is not None:
            kind, detail = reason
            if kind == "nan":
                message = (f"`{shown}` converts NaN/infinity to an integer: x86-64 gives the \"integer indefinite\" "
                           "value (0x80000000...), AArch64 gives 0 for NaN and saturates infinities")
            else:
                x86, arm = {(True, 32): ("-2147483648", "2147483647"),
                            (True, 64): ("-9223372036854775808", "9223372036854775807"),
                            (False, 32): ("0", "4294967295"),
                            (False, 64): ("0", "18446744073709551615")}[(signed, width)]
                message = (f"`{shown}` scales by {detail}, which overflows `{type_text}` at 1.0: x86-64 gives "
                           f"{x86}, AArch64 saturates to {arm}")
            yield ctx.finding(
                self, start, op_end, message,
                "clamp the value into the target range before converting (and handle NaN explicitly), so both "
                "architectures compute the same integer",
                properties={**deep_props, "target_type": type_text, "width": width, "case": kind, "in_loop": in_loop},
                confidence=Confidence.MEDIUM,
            )


def _is_parameter(ctx, fn, operand: str) -> bool:
    """A name of the operand is a parameter of the enclosing function (a conversion helper such as
    `to_pcm32(float s)`, whose input is whatever the caller passes)."""
    if fn is None:
        return False
    params = ctx.masked[fn.params[0] : fn.params[1]]
    return any(re.search(rf"\b{re.escape(m.group(1))}\s*[,)]", params) for m in _IDENT.finditer(operand))


def _classify(type_text: str) -> tuple[bool, int]:
    for pat, signed, width in _TYPE_WIDTH:
        if pat.match(type_text):
            return signed, width
    return False, 0


def _operand(ctx, pos: int) -> tuple[int, int]:
    """The unary expression a cast applies to: prefix operators, a primary, postfix operators."""
    masked = ctx.masked
    m = _PREFIX.match(masked, pos)
    start = pos + (len(m.group(0)) - len(m.group(0).lstrip()))
    i = m.end()
    if i >= len(masked):
        return start, start
    if masked[i] == "(":
        end = _close(masked, i)
        if end < 0:
            return start, start
        i = end
    else:
        p = _PRIMARY.match(masked, i)
        if not p:
            return start, start
        i = p.end()
    while i < len(masked):
        j = i
        while j < len(masked) and masked[j] in " \t":
            j += 1
        if j < len(masked) and masked[j] in "([":
            end = _close(masked, j)
            if end < 0:
                break
            i = end
            continue
        mem = _POSTFIX_MEMBER.match(masked, i)
        if mem:
            i = mem.end()
            continue
        break
    return start, i


def _close(masked: str, open_at: int) -> int:
    return _scope.close_paren(masked, open_at)


def _deep_cast(ctx, offset: int):
    """Deep mode: (source type, source is floating, target type) of the cast libclang saw at
    offset, or None (fast mode, or a cast inside a macro expansion)."""
    facts = _deep.facts(ctx)
    return facts.casts.get(ctx.source.byte_offset(offset)) if facts is not None else None


def _is_floating(ctx, operand: str, offset: int) -> bool:
    cast = _deep_cast(ctx, offset)
    if cast is not None:
        return cast[1]  # libclang's type of the operand, fields and headers included
    if _FLOAT_LITERAL.search(operand) or _FLOAT_CAST.search(operand) or _FLOAT_CALL.search(operand):
        return True
    if _NAN_NAMES.match(operand.strip()):
        return True
    idents = {m.group(1) for m in _IDENT.finditer(operand) if not m.group(0).startswith("->")}
    if not idents or idents.isdisjoint(_scope.float_names_in_file(ctx)):
        return False  # no name of the operand is declared float/double anywhere in the file
    fn = _scope.function_at(ctx, offset)
    if fn is None:
        return False
    floats = _scope.typed_names(ctx, fn, _FLOAT_TYPES)
    # a member access `s.x` names a field, not the local `x`
    members = set(_MEMBER.findall(operand))
    return any(name in floats and name not in members for name in idents)


def _without_call_arguments(operand: str) -> str:
    """The operand with the argument lists of calls blanked: `pow(x, y - 1)` cannot be negative
    because of the `-` inside it."""
    out = list(operand)
    depth_call: list[bool] = []
    for i, c in enumerate(operand):
        if c == "(":
            before = operand[:i].rstrip()
            is_call = bool(before) and (before[-1].isalnum() or before[-1] == "_")
            depth_call.append(is_call or (bool(depth_call) and depth_call[-1]))
        elif c == ")":
            if depth_call:
                depth_call.pop()
        elif depth_call and depth_call[-1]:
            out[i] = " "
    return "".join(out)


def _can_be_negative(operand: str) -> bool:
    body = _without_call_arguments(operand).replace("->", "  ").replace("--", "  ")
    for m in re.finditer(r"-", body):
        before = body[max(0, m.start() - 2) : m.start()]
        if re.match(r"\d[eE]$", before) or (before.endswith(("p", "P")) and re.search(r"0[xX]", body)):
            continue  # an exponent: 1e-5, 0x1p-3
        return True
    return bool(_SIGNED_CALL.search(body))


def _compared_before(ctx, operand: str, offset: int) -> bool:
    """A name of the operand is compared with a bound earlier in the function (`if (v < 0)`,
    `x > lo`): the author has thought about the range."""
    fn = _scope.function_at(ctx, offset)
    if fn is None:
        return False
    floats = _scope.typed_names(ctx, fn, _FLOAT_TYPES)
    outside_subscripts = re.sub(r"\[[^\[\]]*\]", " ", operand)
    names = {m.group(1) for m in _IDENT.finditer(outside_subscripts)} & set(floats)
    names |= set(re.findall(r"(?:\.|->)\s*([A-Za-z_]\w*)", outside_subscripts))  # struct members
    if not names:
        return False
    text = ctx.masked[fn.params[0] : offset]
    alt = "|".join(sorted(map(re.escape, names)))
    return re.search(rf"\b(?:{alt})\b\s*(?:<=?|>=?)(?![<>])|(?<![<>])(?:<=?|>=?)\s*[\w.>-]*\b(?:{alt})\b", text) is not None


def _out_of_range_reason(operand: str, signed: bool, width: int) -> tuple[str, str] | None:
    if _NAN_NAMES.match(operand.strip()):
        # NaN becomes 0 on both for unsigned types up to 32 bits
        return ("nan", "") if signed or width == 64 else None
    if width < 32:
        return None
    # only `x * K` (optionally `+ 0.5`): a normalised sample or fraction scaled to the full range;
    # in longer expressions (`r * ra / 2 / a * K`) the value scaled is not known to reach 1.0
    if not _SCALED_SAMPLE.fullmatch(operand.strip()):
        return None
    limit = 2.0 ** (width - 1 if signed else width)
    for m in _NUMBER.finditer(operand):
        value = _literal_value(m.group(0))
        if value is not None and m.group(0)[-1:] in "fF" and not m.group(0).lower().startswith("0x"):
            value = struct.unpack("f", struct.pack("f", value))[0]  # 2147483647.0f is 2^31
        scaled = re.search(r"\*\s*$", operand[: m.start()]) or re.match(r"\s*\*", operand[m.end() :])
        if value is not None and value >= limit and scaled:
            return ("overflow", f"`{m.group(0)}`")
    return None
