from __future__ import annotations

import re

from archport.model import Confidence, Impact, Severity
from archport.rule import Rule
from archport.rules.c_cpp._enclosing import close_paren, guarded

_INT = re.compile(r"\b(0[xX][0-9a-fA-F]+|\d+)[uUlL]*\b")
_CONTROLFP_CALL = re.compile(r"\b(?:_controlfp_s|_controlfp|_control87|__control87_2)\s*\(")
_X87_PRECISION = re.compile(r"\b(?:_PC_(?:24|53|64)|_?MCW_PC|_?MCW_IC|_IC_AFFINE|_IC_PROJECTIVE)\b")
_X87_FPU_MACRO = re.compile(r"\b_FPU_(?:EXTENDED|DOUBLE|SINGLE|RC_NEAREST|RC_DOWN|RC_UP|RC_ZERO|MASK_[IDZOUP]M|IEEE)\b")
_SETCSR_CALL = re.compile(r"\b_mm_setcsr\s*\(")

_FZ_HELP = (
    "under `#elif defined(__aarch64__)` set FPCR.FZ (bit 24): "
    "`__builtin_aarch64_set_fpcr(__builtin_aarch64_get_fpcr() | (1u << 24))` (GCC), or `_FPU_GETCW`/`_FPU_SETCW` "
    "from <fpu_control.h>; AArch64 has a single FZ bit that flushes subnormal inputs and results together, "
    "so FTZ and DAZ cannot be set separately"
)
_ROUND_HELP = "use fesetround()/fegetround() from <fenv.h> (FE_TONEAREST, FE_DOWNWARD, FE_UPWARD, FE_TOWARDZERO; link with -lm)"
_EXCEPT_MASK_HELP = (
    "use feenableexcept()/fedisableexcept()/fegetexcept() from <fenv.h> (_GNU_SOURCE); they return -1 on AArch64 "
    "cores that do not implement floating-point exception traps"
)
_EXCEPT_STATE_HELP = "use fetestexcept()/feclearexcept() from <fenv.h> for the sticky exception flags"
_CSR_HELP = (
    "save and restore the whole FP environment with fegetenv()/fesetenv() from <fenv.h>; for rounding use "
    "fesetround(); for flush-to-zero " + _FZ_HELP.split(": ", 1)[1]
)
_X87_PRECISION_HELP = (
    "drop the precision control under `#elif defined(__aarch64__)`: AArch64 evaluates float and double in their "
    "own precision (there are no extended-precision intermediates), and long double is IEEE binary128 on AArch64 Linux"
)
_MSVC_HELP = (
    "drop the precision/infinity control for ARM64 (AArch64 evaluates float and double in their own precision); "
    "`_controlfp` with _MCW_RC (rounding), _MCW_DN (denormals) or _MCW_EM (exception masks) works on ARM64, "
    "where it applies to the FP control register"
)

#: name -> (what it does on x86, help)
_MXCSR = {
    "FLUSH_ZERO": ("flush-to-zero (MXCSR.FTZ) mode", _FZ_HELP),
    "DENORMALS_ZERO": ("denormals-are-zero (MXCSR.DAZ) mode", _FZ_HELP),
    "ROUNDING": ("MXCSR rounding mode", _ROUND_HELP),
    "EXCEPTION_MASK": ("MXCSR exception masks", _EXCEPT_MASK_HELP),
    "EXCEPTION_STATE": ("MXCSR exception flags", _EXCEPT_STATE_HELP),
}
#: MXCSR bit fields, for describing a literal passed to _mm_setcsr
_MXCSR_BITS = ((0x8000, "FTZ"), (0x0040, "DAZ"), (0x6000, "RC"), (0x1F80, "exception masks"), (0x003F, "exception flags"))
#: FPCR bits as <fpu_control.h> for AArch64 names them, for a literal written with _FPU_SETCW
_FPCR_BITS = (
    (1 << 8, "IOE"), (1 << 9, "DZE"), (1 << 10, "OFE"), (1 << 11, "UFE"), (1 << 12, "IXE"), (1 << 15, "IDE"),
    (3 << 22, "RMode"), (1 << 24, "FZ"), (1 << 25, "DN"), (1 << 26, "AHP"),
)


def _literals(text: str) -> list[int]:
    """The non-zero integer literals in an argument list."""
    return [v for v in (int(m.group(1), 0 if m.group(1)[:2].lower() == "0x" else 10) for m in _INT.finditer(text)) if v]


def _describe(value: int, bits) -> str:
    names = [name for mask, name in bits if value & mask]
    rest = value & ~sum(mask for mask, _ in bits)
    if rest:
        names.append(f"bits {rest:#x}")
    return "|".join(names) if names else "no control bits"


class X86FpEnvironmentControl(Rule):
    """Control of the x86 floating-point environment (MXCSR, x87 control word).

    ## What it does
    Checks for code that reads or writes the x86 floating-point control registers: the SSE
    MXCSR (`_mm_setcsr`, `_mm_getcsr`, `_MM_SET_FLUSH_ZERO_MODE`, `_MM_SET_DENORMALS_ZERO_MODE`,
    `_MM_SET_ROUNDING_MODE`, `_MM_SET_EXCEPTION_MASK` and the `_MM_GET_*` forms), the x87
    control-word macros of glibc's `<fpu_control.h>` (`_FPU_EXTENDED`, `_FPU_DOUBLE`,
    `_FPU_SINGLE`, `_FPU_RC_*`, `_FPU_MASK_*`, `_FPU_IEEE`, and `_FPU_SETCW` with an x87 value),
    and MSVC x87 precision control (`_controlfp`/`_control87` with `_MCW_PC`/`_PC_24`/`_PC_53`/
    `_PC_64`, `__control87_2`).

    ## Why is this a problem on ARM64?
    AArch64 has no MXCSR and no x87 unit: its FP controls live in FPCR. The `_mm_*csr`
    intrinsics and `_MM_*` macros come from x86 headers that AArch64 compilers do not ship, so
    the build fails. AArch64's `<fpu_control.h>` exists, but it defines only `_FPU_GETCW`/
    `_FPU_SETCW` (which read and write FPCR), `_FPU_DEFAULT`, `_FPU_RESERVED` and FPCR masks:
    the x87 precision, rounding and mask macros are undeclared, and an x87 control-word value
    written with `_FPU_SETCW` lands in FPCR bits that mean something else (bits 8-12 are the
    exception trap enables). Flush-to-zero has one bit, FPCR.FZ, which flushes subnormal inputs
    and results together, so x86's separate FTZ and DAZ cannot be reproduced one by one.

    ## Example
    ```c
    #include <xmmintrin.h>
    void fast_math_mode(void) {
        _MM_SET_FLUSH_ZERO_MODE(_MM_FLUSH_ZERO_ON);
        _mm_setcsr(_mm_getcsr() | 0x6000);
    }
    ```

    Use instead:
    ```c
    #include <fenv.h>
    void fast_math_mode(void) {
    #if defined(__aarch64__)
        __builtin_aarch64_set_fpcr(__builtin_aarch64_get_fpcr() | (1u << 24));
    #endif
        fesetround(FE_TOWARDZERO);
    }
    ```

    ## Limitations
    `_FPU_SETCW(cw)` is reported only when its argument is written as a literal; a control word
    built from x86 macros is reported at the macros, and one loaded from elsewhere is not
    reported. `__builtin_ia32_ldmxcsr`/`__builtin_ia32_stmxcsr` are reported by CC405, and
    `ldmxcsr`/`fldcw` in inline assembly by CC404. MSVC `_controlfp` calls that only change
    rounding, denormal or exception control work on ARM64 and are not reported.

    ## References
    - Arm Architecture Reference Manual, FPCR: https://developer.arm.com/documentation/ddi0601/latest/AArch64-Registers/FPCR--Floating-point-Control-Register
    - glibc `<fpu_control.h>` for AArch64: https://sourceware.org/git/?p=glibc.git;a=blob;f=sysdeps/aarch64/fpu/fpu_control.h
    - MSVC `_controlfp`: https://learn.microsoft.com/en-us/cpp/c-runtime-library/reference/control87-controlfp-control87-2
    """

    code = "CC201"
    name = "x86-fp-environment-control"
    summary = "Control of the x86 floating-point environment (MXCSR, x87 control word)"
    languages = frozenset({"c", "cpp"})
    severity = Severity.ERROR
    impact = Impact.BUILD_BREAK
    confidence = Confidence.HIGH
    tags = ("floating-point", "fp-environment")
    effort_minutes = 45
    prefilter = (b"_mm_setcsr", b"_mm_getcsr", b"_MM_SET_", b"_MM_GET_", b"_FPU_", b"_controlfp", b"_control87",
                 b"_PC_", b"MCW_PC", b"MCW_IC")
    pattern = (
        r"\b(?:_mm_[sg]etcsr|_MM_(?:SET|GET)_(?:(?:FLUSH_ZERO|DENORMALS_ZERO|ROUNDING)_MODE|EXCEPTION_(?:MASK|STATE))"
        r"|_FPU_(?:EXTENDED|DOUBLE|SINGLE|RC_NEAREST|RC_DOWN|RC_UP|RC_ZERO|MASK_[IDZOUP]M|IEEE|SETCW)"
        r"|_controlfp_s|_controlfp|_control87|__control87_2"
        r"|_PC_(?:24|53|64)|_?MCW_PC|_?MCW_IC|_IC_AFFINE|_IC_PROJECTIVE)\b"
    )

    def check_match(self, ctx, match):
        name = match.group(0)
        start, end = match.span()
        if guarded(ctx, start, _NAME_TEST):
            return  # `#ifdef _FPU_EXTENDED` and the code under it: compiled only where the name exists
        masked = ctx.masked
        args_end = -1
        open_paren = _skip_space(masked, end)
        if open_paren < len(masked) and masked[open_paren] == "(":
            args_end = close_paren(ctx, open_paren)
        args = masked[open_paren + 1 : args_end - 1] if args_end > 0 else ""
        props = {"name": name}

        if name in ("_mm_setcsr", "_mm_getcsr"):
            if name == "_mm_getcsr" and _inside_call(ctx, start, _SETCSR_CALL):
                return  # reported with the _mm_setcsr around it
            detail = ""
            values = _literals(args)
            if name == "_mm_setcsr" and values:
                shown = [f"{v:#x} = " + ("the default: exceptions masked, round to nearest" if v == 0x1F80 else _describe(v, _MXCSR_BITS)) for v in values]
                detail = f" (sets {', '.join(shown)})"
                props["mxcsr_values"] = [f"{v:#x}" for v in values]
            verb = "writes" if name == "_mm_setcsr" else "reads"
            yield ctx.finding(
                self, start, args_end if args_end > 0 else end,
                f"`{name}` {verb} the x86 SSE control register MXCSR{detail}; AArch64 has no MXCSR and no "
                f"`{name}`, so the build fails",
                _CSR_HELP, properties=props,
            )
        elif name.startswith("_MM_"):
            key = name[8:].rsplit("_", 1)[0] if "EXCEPTION" not in name else name[8:]
            what, help_text = _MXCSR[key]
            verb = "sets" if "_SET_" in name else "reads"
            yield ctx.finding(
                self, start, args_end if args_end > 0 else end,
                f"`{name}` {verb} the x86 {what}; the macro comes from an x86 intrinsic header that AArch64 "
                "toolchains do not have, so the build fails",
                help_text, properties=props,
            )
        elif name == "_FPU_SETCW":
            source = args + " " + _assigned_before(ctx.masked, args.strip(), start)
            if _X87_FPU_MACRO.search(source):
                return  # the x87 macros that built the value are reported themselves
            values = _literals(source)
            if not values:
                return  # saving and restoring FPCR with _FPU_GETCW/_FPU_SETCW is portable
            value = values[0]
            props["value"] = f"{value:#x}"
            yield ctx.finding(
                self, start, args_end if args_end > 0 else end,
                f"`_FPU_SETCW` loads the x87 control word {value:#x} on x86; on AArch64 it compiles but writes FPCR, "
                f"where {value:#x} sets {_describe(value, _FPCR_BITS)} instead of x87 precision and rounding",
                _X87_PRECISION_HELP + "; use fesetround() for rounding", properties=props, severity=Severity.WARNING,
            )
        elif name.startswith("_FPU_"):
            field = "rounding" if "_RC_" in name else "exception-mask" if "_MASK_" in name else "precision"
            help_text = {"rounding": _ROUND_HELP, "exception-mask": _EXCEPT_MASK_HELP}.get(field, _X87_PRECISION_HELP)
            yield ctx.finding(
                self, start, end,
                f"`{name}` is an x87 control-word {field} constant; AArch64's <fpu_control.h> does not define it "
                "(it only describes FPCR), so the build fails",
                help_text, properties=props,
            )
        elif name in ("_controlfp_s", "_controlfp", "_control87", "__control87_2"):
            precision = _X87_PRECISION.search(args)
            if name != "__control87_2" and not precision:
                return  # rounding, denormal and exception control work on ARM64
            if precision:
                what = f"changes x87 precision/infinity control (`{precision.group(0)}`), which MSVC documents as unsupported on ARM64"
            else:
                what = "sets the x87 control word; MSVC rejects it when compiling for ARM64"
            yield ctx.finding(
                self, start, args_end if args_end > 0 else end,
                f"`{name}` {what}, and GCC for AArch64 does not declare `{name}`",
                _MSVC_HELP, properties=props,
            )
        else:  # a bare _PC_* / _MCW_PC token
            if _inside_call(ctx, start, _CONTROLFP_CALL):
                return  # reported with the call around it
            yield ctx.finding(
                self, start, end,
                f"`{name}` selects x87 precision/infinity control, which ARM64 does not have "
                "(MSVC documents it as unsupported on ARM64; GCC for AArch64 does not define it)",
                _MSVC_HELP, properties=props,
            )


def _assigned_before(masked: str, var: str, offset: int, window: int = 2000) -> str:
    """The right-hand sides of the `=` and `|=` assignments to a plain variable in the `window`
    characters before offset, from its last plain `=` on (`cw = 0x27f; cw |= 0x300;`)."""
    if not re.fullmatch(r"[A-Za-z_]\w*", var):
        return ""
    found = list(re.finditer(rf"\b{var}\s*([|&^]?=)(?!=)([^;]*);", masked[max(0, offset - window) : offset]))
    plain = [i for i, m in enumerate(found) if m.group(1) == "="]
    return " ".join(m.group(2) for m in found[plain[-1] if plain else 0 :] if m.group(1) in ("=", "|="))


def _skip_space(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n":
        pos += 1
    return pos


def _inside_call(ctx, offset: int, call: re.Pattern, window: int = 400) -> bool:
    """True when offset lies inside the argument list of a call matching `call` that starts
    at most `window` characters before it."""
    lo = max(0, offset - window)
    for m in call.finditer(ctx.masked, lo, offset):
        close = close_paren(ctx, m.end() - 1)
        if close == -1 or close > offset:
            return True
    return False


_NAME_TEST = re.compile(X86FpEnvironmentControl.pattern)
