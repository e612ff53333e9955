from __future__ import annotations

import re

from archport.model import Confidence, Impact, Severity
from archport.rule import Rule
from archport.rules.fortran._fortran import compiled, integer_parameters, real_kind_for, selected_real_kind_args

_SELECT = re.compile(r"\b(?:ieee_)?selected_real_kind\s*\(", re.I)
_LONG_DOUBLE = re.compile(r"\bc_long_double(?:_complex)?\b", re.I)
_HELP = (
    "where 15-16 significant digits suffice, ask for `selected_real_kind(15)` (binary64, hardware on both), "
    "e.g. with compensated (Kahan) summation for long accumulations; keep this kind only where more digits "
    "are needed, expect software-speed arithmetic on AArch64, and compare results with x86-64 to a tolerance "
    "rather than exactly"
)


class X87ExtendedKindSelection(Rule):
    """Real kind request that gets x87 extended precision on x86-64 and software binary128 on AArch64.

    ## What it does
    Checks for `SELECTED_REAL_KIND` and `IEEE_SELECTED_REAL_KIND` calls with constant arguments
    that gfortran resolves to kind 10 on x86-64 (a precision `P` of 16 to 18 digits, or a
    decimal exponent range `R` of 308 to 4931), including arguments given by named constants
    of the same file, and real kinds written as `C_LONG_DOUBLE` (reported at `info`).

    ## Why is this a problem on ARM64?
    On x86-64 such a request gets kind 10, the x87 80-bit format (64-bit significand, 18
    digits, `epsilon` 1.08E-19) computed by x87 instructions. AArch64 has no kind 10, so the
    same request gets kind 16, IEEE binary128 (113-bit significand, 33 digits, `epsilon`
    1.93E-34), and every operation becomes a libgcc call (`__addtf3`, `__multf3`, ...). The
    program still compiles, but its results differ from the x86-64 run and arithmetic in that
    kind is many times slower. `C_LONG_DOUBLE` follows C's `long double` in the same way (10
    on x86-64, 16 on AArch64). Explicit `REAL(16)`/`REAL*16` is software binary128 on both
    targets, so it is not reported.

    ## Example
    ```fortran
    module precision
      integer, parameter :: ep = selected_real_kind(18)
    end module
    ```

    Use instead:
    ```fortran
    module precision
      integer, parameter :: ep = selected_real_kind(15)
    end module
    ```

    ## Limitations
    Arguments that are expressions, or named constants from other modules, are not evaluated.
    The finding is reported where the kind is selected, not at the loops that use it: whether
    that arithmetic is hot needs a profile. Where 18 or more digits are what the code needs,
    kind 16 on AArch64 is the right answer and the finding only explains the cost.

    ## References
    - gfortran SELECTED_REAL_KIND: https://gcc.gnu.org/onlinedocs/gfortran/SELECTED_005fREAL_005fKIND.html
    - gfortran KIND type parameters: https://gcc.gnu.org/onlinedocs/gfortran/KIND-Type-Parameters.html
    - GCC soft-float library routines: https://gcc.gnu.org/onlinedocs/gccint/Soft-float-library-routines.html
    """

    code = "FT202"
    name = "x87-extended-kind-selection"
    summary = "Real kind request that gets x87 extended precision on x86-64 and software binary128 on AArch64"
    languages = frozenset({"fortran"})
    severity = Severity.WARNING
    impact = Impact.SILENT_BEHAVIOUR_CHANGE
    confidence = Confidence.HIGH
    tags = ("floating-point", "fortran", "x87", "performance")
    effort_minutes = 30
    prefilter = (b"elected_real_kind", b"ELECTED_REAL_KIND", b"elected_Real_Kind", b"long_double", b"LONG_DOUBLE")

    def check_file(self, ctx):
        masked = ctx.masked
        params = integer_parameters(ctx)
        for m in _SELECT.finditer(masked):
            close = ctx.matching_paren(m.end() - 1, limit=400)
            if close < 0 or not compiled(ctx, m.start()):
                continue
            args = selected_real_kind_args(masked[m.end() : close - 1], params)
            if args is None:
                continue
            p, r = args
            x86, arm = real_kind_for(p, r, True), real_kind_for(p, r, False)
            if x86 != 10:
                continue
            call = re.sub(r"\s+", "", ctx.text[m.start() : close])
            yield ctx.finding(
                self, m.start(), close,
                f"`{call}` selects kind 10 on x86-64 (x87 80-bit, 18 digits, hardware) but kind {arm} on AArch64 "
                "(IEEE binary128, 33 digits, every operation a libgcc call): results change and this arithmetic "
                "becomes much slower",
                _HELP,
                properties={"precision": p, "range": r, "x86_64_kind": x86, "aarch64_kind": arm},
            )
        for m in _LONG_DOUBLE.finditer(masked):
            if not compiled(ctx, m.start()) or not _used_as_kind(masked, m.start(), m.end()):
                continue
            yield ctx.finding(
                self, m.start(), m.end(),
                f"`{ctx.text[m.start():m.end()]}` is kind 10 (x87 80-bit, hardware) on x86-64 and kind 16 (IEEE "
                "binary128 in software) on AArch64: interoperability with C `long double` is kept, but arithmetic "
                "in this kind becomes much slower and more precise",
                "keep it where the value crosses into C `long double`; compute in `c_double` where 15-16 digits "
                "suffice",
                properties={"kind_constant": "c_long_double", "x86_64_kind": 10, "aarch64_kind": 16},
                severity=Severity.INFO,
            )


def _used_as_kind(masked: str, start: int, end: int) -> bool:
    """`real(c_long_double)`, `real(kind=c_long_double)`, `1.0_c_long_double`."""
    before = masked[max(0, start - 40) : start]
    return bool(re.search(r"(?i)(?:\b(?:real|complex)\s*\(\s*(?:kind\s*=\s*)?|[\d.]_)$", before))
