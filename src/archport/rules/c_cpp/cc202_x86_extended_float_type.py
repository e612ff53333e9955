from __future__ import annotations

import re

from archport.model import Confidence, Impact, Severity
from archport.preprocessor import State
from archport.rule import Rule
from archport.rules.c_cpp._enclosing import guarded

_INCLUDE = re.compile(r"#\s*include\s*[<\"]\s*quadmath\.h\s*[>\"]")
#: libquadmath names that exist nowhere else, with their AArch64 (glibc, long double) counterpart
_QUADMATH_API = {
    "quadmath_snprintf": 'snprintf() with "%Lg" on a long double (or strfromf128() in C)',
    "strtoflt128": "strtold() (or strtof128() in C)",
    "__complex128": "long double _Complex",
    "HUGE_VALQ": "HUGE_VALL",
}
_QUAD_CONSTANT = re.compile(r"^M_(?:E|LOG2E|LOG10E|LN2|LN10|PI|PI_2|PI_4|1_PI|2_PI|2_SQRTPI|SQRT2|SQRT1_2)q$")
_QUAD_FUNCS = frozenset(
    "acosq acoshq asinq asinhq atanq atanhq atan2q cbrtq ceilq copysignq coshq cosq erfq erfcq exp2q expq expm1q "
    "fabsq fdimq finiteq floorq fmaq fmaxq fminq fmodq frexpq hypotq ilogbq isinfq isnanq issignalingq j0q j1q jnq "
    "ldexpq lgammaq llrintq llroundq logbq logq log10q log1pq log2q lrintq lroundq modfq nanq nearbyintq "
    "nextafterq powq remainderq remquoq rintq roundq scalblnq scalbnq signbitq sincosq sinhq sinq sqrtq tanq "
    "tanhq tgammaq truncq y0q y1q ynq cabsq cargq cimagq crealq cacosq cacoshq casinq casinhq catanq catanhq "
    "ccosq ccoshq cexpq cexpiq clogq clog10q conjq cpowq cprojq csinq csinhq csqrtq ctanq ctanhq".split()
)
_DIRECTIVE = re.compile(r"[ \t]*#")
#: a condition that tests for libquadmath or the x86 types, so the code under it is guarded
_FEATURE_TEST = re.compile(r"(?i:quadmath|float128|float80)|\bM_[A-Z0-9_]+q\b|\bHUGE_VALQ\b")
_QUAD_FUNC_RE = "|".join(sorted(_QUAD_FUNCS, key=len, reverse=True))
#: code (not `#if` tests) that relies on long double / _Float64x being the 80-bit x87 format
_EIGHTY_BIT = re.compile(
    r"\b_?_?(?:LDBL|FLT64X)_MANT_DIG(?:__)?\s*==\s*64\b|\b__float80\b"
    r"|\bsizeof\s*\(\s*(?:long\s+double|_Float64x)\s*\)\s*==\s*(?:10|12)\b"
)


class X86ExtendedFloatType(Rule):
    """x86-only floating-point types and libquadmath.

    ## What it does
    Checks for GCC's x86 floating-point type names `__float128` and `__float80`,
    `__attribute__((mode(XF)))`, `#include <quadmath.h>` and libquadmath's API
    (`quadmath_snprintf`, `strtoflt128`, `__complex128`, `M_PIq`-style constants, `HUGE_VALQ`,
    and `sinq`-style functions in files that use libquadmath), and `_Float64x` in files that
    assume it is the 80-bit x87 format.

    ## Why is this a problem on ARM64?
    GCC for AArch64 has no `__float128` or `__float80` type ("unknown type name"), no XF
    machine mode and no libquadmath, so this code does not compile. The 128-bit type is still
    there under other names: on AArch64 Linux `long double` is IEEE binary128
    (`LDBL_MANT_DIG` is 113, `sizeof` 16; computed in software, so slow), and in C `_Float128`
    is the same type. There is no 80-bit type: `_Float64x` and `long double` are binary128
    there, so code that depends on the x87 format (64-bit mantissa, 10 significant bytes)
    computes with a different precision and layout.

    ## Example
    ```c
    #include <quadmath.h>
    __float128 area(__float128 r) { return M_PIq * r * r; }
    ```

    Use instead:
    ```c
    #if defined(__aarch64__)
    typedef long double quad;   /* IEEE binary128 on AArch64 Linux */
    #define QUAD_PI 3.141592653589793238462643383279502884L
    #else
    #include <quadmath.h>
    typedef __float128 quad;
    #define QUAD_PI M_PIq
    #endif
    quad area(quad r) { return QUAD_PI * r * r; }
    ```

    ## Limitations
    `Q`-suffixed literals (`1.0Q`) are not reported: GCC for AArch64 accepts them as
    `long double`, which is binary128 there. Names declared by libquadmath are recognised by
    spelling; a project function called `sinq` in a file that also uses `__float128` would be
    reported. Types introduced through a typedef are reported at the typedef only. Windows on
    ARM64 (where `long double` is 64-bit) is not modelled.

    ## References
    - GCC floating types: https://gcc.gnu.org/onlinedocs/gcc/Floating-Types.html
    - GCC libquadmath: https://gcc.gnu.org/onlinedocs/libquadmath/
    - Procedure Call Standard for the Arm 64-bit Architecture (long double): https://github.com/ARM-software/abi-aa/blob/main/aapcs64/aapcs64.rst
    """

    code = "CC202"
    name = "x86-extended-float-type"
    summary = "x86-only floating-point types and libquadmath"
    languages = frozenset({"c", "cpp"})
    severity = Severity.ERROR
    impact = Impact.BUILD_BREAK
    confidence = Confidence.HIGH
    tags = ("floating-point", "types")
    effort_minutes = 30
    prefilter = (b"__float128", b"__float80", b"quadmath", b"strtoflt128", b"__complex128", b"HUGE_VALQ",
                 b"XF)", b"XF__)", b"_Float64x")
    pattern = (
        r"\b(?:__float128|__float80|_Float64x|quadmath_snprintf|strtoflt128|__complex128|HUGE_VALQ|M_[A-Z0-9_]+q"
        rf"|(?:{_QUAD_FUNC_RE})(?=\s*\())\b"
        r"|\bmode\s*\(\s*(?:__)?XF(?:__)?\s*\)"
        r"|^[ \t]*#[ \t]*include[ \t]*(?:<[ \t]*quadmath\.h|\")"  # "..." is masked: checked in the raw text
    )

    _ctx = None
    _quadmath = False
    _evidence: re.Match | None = None

    def _file_facts(self, ctx) -> tuple[bool, re.Match | None]:
        """(the file uses libquadmath or __float128, where it relies on the 80-bit format)."""
        if self._ctx is not ctx:
            self._ctx = ctx
            self._quadmath = bool(_INCLUDE.search(ctx.text)) or "__float128" in ctx.masked
            self._evidence = _eighty_bit_evidence(ctx) if "_Float64x" in ctx.masked else None
        return self._quadmath, self._evidence

    def check_match(self, ctx, match):
        token = match.group(0)
        start, end = match.span()
        if guarded(ctx, start, _FEATURE_TEST):
            return  # under `#ifdef HAVE_QUADMATH`, `#if __has_include(<quadmath.h>)`, `#ifdef HAVE___FLOAT128`…
        is_c = ctx.language == "c"
        quad_type = "`_Float128` (C) or `long double`" if is_c else "`long double`"
        if token.lstrip().startswith("#"):
            eol = ctx.text.find("\n", start)
            target = _INCLUDE.search(ctx.text, start, eol if eol != -1 else len(ctx.text))
            if not target:
                return
            yield ctx.finding(
                self, target.start(), target.end(),
                "<quadmath.h> is part of GCC's libquadmath, which GCC for AArch64 does not ship; the build stops here",
                "on AArch64 Linux use long double (IEEE binary128) with the <math.h> `l` functions (sinq -> sinl, "
                "M_PIq -> a long double constant, quadmath_snprintf -> snprintf with %Lg)"
                + ("; in C, glibc also offers _Float128 with sinf128(), strfromf128() and M_PIf128 (_GNU_SOURCE)" if is_c else ""),
                properties={"header": "quadmath.h"},
            )
        elif token in ("__float128", "__float80"):
            if token == "__float128":
                message = ("`__float128` is an x86 GCC type: GCC for AArch64 rejects it (\"unknown type name\"); "
                           "AArch64 Linux's long double is the same IEEE binary128 format, computed in software")
                help_text = (f"under `#elif defined(__aarch64__)` use {quad_type}, e.g. `typedef long double quad;`, "
                             "and the long double library (sinl, strtold, snprintf(\"%Lg\"))")
            else:
                message = ("`__float80` is the x87 80-bit extended type: GCC for AArch64 rejects it and AArch64 has no "
                           "80-bit floating-point format")
                help_text = ("decide on a precision: `double`, or `long double` (IEEE binary128 on AArch64 Linux, "
                             "slower and more precise than x87 extended)")
            yield ctx.finding(self, start, end, message, help_text, properties={"type": token, "replacement": quad_type})
        elif token.startswith("mode"):
            yield ctx.finding(
                self, start, end,
                "`mode(XF)` asks for the x87 80-bit format; GCC for AArch64 has no XF mode (\"unknown machine mode\")",
                "use `double`, or `long double` (IEEE binary128 on AArch64 Linux) under `#elif defined(__aarch64__)`",
                properties={"type": "XF"},
            )
        elif token == "_Float64x":
            evidence = self._file_facts(ctx)[1]
            if not evidence:
                return
            line = ctx.source.line_of(evidence.start())
            yield ctx.finding(
                self, start, end,
                f"`_Float64x` is x87 extended (64-bit mantissa) on x86-64 but IEEE binary128 (113-bit mantissa, "
                f"software) on AArch64, and this file assumes the 80-bit format (line {line}: `{evidence.group(0)}`)",
                "test the format through LDBL_MANT_DIG/FLT64X_MANT_DIG instead of assuming 64 bits, and check results "
                "and performance with the 113-bit format",
                properties={"type": token, "evidence_line": line},
                severity=Severity.WARNING,
            )
        elif token in _QUADMATH_API or _QUAD_CONSTANT.match(token):
            replacement = _QUADMATH_API.get(token) or f"a long double constant (e.g. {token[:-1]}l from <math.h> with _GNU_SOURCE)"
            yield ctx.finding(
                self, start, end,
                f"`{token}` comes from libquadmath, which GCC for AArch64 does not ship; it is undeclared there",
                f"on AArch64 Linux use {replacement}",
                properties={"name": token, "replacement": replacement},
            )
        elif token in _QUAD_FUNCS and self._file_facts(ctx)[0]:
            replacement = token[:-1] + "l"
            yield ctx.finding(
                self, start, end,
                f"`{token}()` is a libquadmath function, which GCC for AArch64 does not ship; it is undeclared there",
                f"on AArch64 Linux call `{replacement}()` on a long double (IEEE binary128)"
                + (f", or `{token[:-1]}f128()` on a _Float128" if is_c else ""),
                properties={"name": token, "replacement": replacement},
            )


def _eighty_bit_evidence(ctx) -> re.Match | None:
    """The first place, in code an AArch64 build compiles and outside `#if` lines, that relies on
    the 80-bit format (`_Static_assert(LDBL_MANT_DIG == 64)`, `sizeof(long double) == 10`)."""
    for m in _EIGHTY_BIT.finditer(ctx.masked):
        if _DIRECTIVE.match(ctx.masked, ctx.source.line_start(ctx.source.line_of(m.start()))):
            continue
        if ctx.arm_state(m.start()) is State.INACTIVE:
            continue
        return m
    return None
