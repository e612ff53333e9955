from __future__ import annotations

import re

from archport.model import Confidence, Impact, Severity
from archport.rule import Rule
from archport.rules.fortran._fortran import compiled, integer_parameters, integer_value, real_kind_uses

#: a named-constant statement that declares floating-point kinds (so `ep = 10` there is one)
_KIND_CONTEXT = re.compile(r"\bselected_real_kind\b|\bkind\s*\(|\breal(?:32|64|128)\b|\bc_(?:float|double|long_double)\b", re.I)
_HELP = (
    "ask for the precision instead of the x86 kind number: `integer, parameter :: ep = selected_real_kind(18)` "
    "(kind 10 on x86-64, kind 16 = IEEE binary128 on AArch64, computed in software); if double precision "
    "suffices, use `selected_real_kind(15)` or `real64` from iso_fortran_env"
)


def _kind_of(how: str, word: str, size: str) -> int | None:
    if not size.isdigit():
        return None
    n = int(size)
    return n // 2 if how == "star" and word.lower().startswith("complex") else n


class X87ExtendedRealKind(Rule):
    """Real or complex kind 10 (the x87 80-bit format), which AArch64 compilers do not have.

    ## What it does
    Checks for the x87 extended-precision kind written as a number: `REAL*10`, `COMPLEX*20`,
    `REAL(10)`, `REAL(KIND=10)`, `COMPLEX(10)`, conversions `REAL(x, 10)`/`CMPLX(a, b, 10)`,
    literals such as `1.0_10`, and integer named constants set to 10 that the file uses as a
    real kind (`integer, parameter :: ep = 10` with `real(ep)`) or declares next to other kind
    constants. Code in preprocessor branches an AArch64 build never compiles is not reported.

    ## Why is this a problem on ARM64?
    Kind 10 is gfortran's name for the x87 80-bit extended format, which only x86 has. The
    AArch64 gfortran knows kinds 4, 8 and 16 and stops with "Error: Kind 10 not supported for
    type REAL", "Error: Old-style type declaration REAL*10 not supported" or "Error: Invalid
    real kind 10" (gfortran 12). `selected_real_kind(18)` is the portable request: kind 10 on
    x86-64, kind 16 (IEEE binary128, 33 decimal digits, done in software) on AArch64.

    ## Example
    ```fortran
    subroutine accumulate(x, n, total)
      integer :: n, i
      real(8) :: x(n)
      real(kind=10) :: total
      total = 0.0_10
      do i = 1, n
        total = total + x(i)
      end do
    end subroutine
    ```

    Use instead:
    ```fortran
    subroutine accumulate(x, n, total)
      integer, parameter :: ep = selected_real_kind(18)
      integer :: n, i
      real(8) :: x(n)
      real(kind=ep) :: total
      total = 0.0_ep
      do i = 1, n
        total = total + x(i)
      end do
    end subroutine
    ```

    ## Limitations
    A named constant defined in another file (a kinds module) is reported where it is defined,
    and only when its declaration also defines other kinds (`selected_real_kind`, `kind(...)`,
    `real64`); its uses in other files are not reported. Kinds computed by expressions
    (`merge(10, 16, ...)`) are not evaluated. `REAL*10` after a statement label on a
    continuation line is not recognised.

    ## References
    - gfortran KIND type parameters: https://gcc.gnu.org/onlinedocs/gfortran/KIND-Type-Parameters.html
    - gfortran SELECTED_REAL_KIND: https://gcc.gnu.org/onlinedocs/gfortran/SELECTED_005fREAL_005fKIND.html
    """

    code = "FT201"
    name = "x87-extended-real-kind"
    summary = "Real or complex kind 10 (the x87 80-bit format), which AArch64 compilers do not have"
    languages = frozenset({"fortran"})
    severity = Severity.ERROR
    impact = Impact.BUILD_BREAK
    confidence = Confidence.HIGH
    tags = ("floating-point", "fortran", "x87")
    effort_minutes = 20
    prefilter = (b"10", b"20")

    def check_file(self, ctx):
        params = integer_parameters(ctx)
        via_constant: dict[str, int] = {}
        for start, end, how, kind in real_kind_uses(ctx):
            written = ctx.text[start:end]
            word = re.match(r"\w+", written).group(0)
            value = _kind_of(how, word, kind) if kind.isdigit() else integer_value(kind, params)
            if value != 10:
                continue
            if not kind.isdigit():  # reported once, where the constant is set to 10
                via_constant.setdefault(_root(kind, params), start)
                continue
            if not compiled(ctx, start):
                continue
            shown = re.sub(r"\s+", " ", written) if len(written) < 60 else written[:57] + "..."
            what = {"star": "declaration", "type": "declaration", "conversion": "conversion", "literal": "literal"}[how]
            yield ctx.finding(
                self, start, end,
                f"`{shown}` uses kind 10, the x87 80-bit extended format: the AArch64 gfortran has no kind 10 "
                f"and rejects this {what}",
                _HELP,
                properties={"kind": 10, "form": how, "x86_64_kind": 10, "aarch64_kinds": [4, 8, 16]},
            )
        for name, (value, vstart, vend) in params.items():
            if integer_value(value, params) != 10 or not re.fullmatch(r"\s*10\s*", value):
                continue
            if name not in via_constant:
                stmt_start = ctx.masked.rfind("\n", 0, vstart) + 1
                stmt_end = ctx.masked.find("\n", vend)
                if not _KIND_CONTEXT.search(ctx.masked, stmt_start, stmt_end if stmt_end >= 0 else len(ctx.masked)):
                    continue
            if not compiled(ctx, vstart):
                continue
            name_start = _name_before(ctx.masked, vstart, name)
            yield ctx.finding(
                self, name_start, vend,
                f"named constant `{ctx.text[name_start:vend].split('=')[0].strip()}` = 10 is used as a real kind: "
                "kind 10 is the x87 80-bit extended format, and the AArch64 gfortran rejects every declaration "
                "and literal of this kind",
                "define it as `selected_real_kind(18)` (kind 10 on x86-64, kind 16 = IEEE binary128 on AArch64, "
                "computed in software) or, if double precision suffices, `selected_real_kind(15)`",
                properties={"kind": 10, "form": "named-constant", "constant": name},
            )


def _root(kind: str, params: dict) -> str:
    name = kind.lower()
    for _ in range(4):
        entry = params.get(name)
        if entry is None or not re.fullmatch(r"[a-z_]\w*", entry[0], re.I):
            return name
        name = entry[0].lower()
    return name


def _name_before(masked: str, value_start: int, name: str) -> int:
    """Offset of `name` in `name = value` (searching back from the value)."""
    m = None
    for m in re.finditer(rf"(?i)\b{re.escape(name)}\b", masked[max(0, value_start - 200) : value_start]):
        pass
    return max(0, value_start - 200) + m.start() if m else value_start
