from __future__ import annotations

import re

from archport.model import Confidence, Impact, Severity
from archport.rule import Rule
from archport.rules.fortran._fortran import compiled, directives

#: a portable equivalent already next to the Intel directive
_PORTABLE = re.compile(r"^[ \t]*[!cC*](?:\$omp[ \t]+(?:(?:parallel[ \t]+)?do[ \t]+)?(?:declare[ \t]+)?simd|gcc\$[ \t]+(?:ivdep|vector|novector|unroll))", re.I | re.M)
_NEIGHBOURHOOD = 4  # lines before and after

_SIMD_HELP = "`!$omp simd` with the same clauses (compile with -fopenmp-simd; portable to gfortran, flang and ifx)"
#: (pattern on the upper-cased directive text, label, severity, what gfortran/flang make of it, help)
_TABLE: tuple[tuple[re.Pattern, str, Severity, str, str], ...] = (
    (re.compile(r"ATTRIBUTES\s+VECTOR\b.*\bPROCESSOR\s*\(\s*(\w+)"), "ATTRIBUTES VECTOR: PROCESSOR", Severity.WARNING,
     "asks the Intel compiler for SIMD variants of the procedure for the x86 processor `{0}`; gfortran ignores the "
     "directive, so an AArch64 build has no vector variant and loops calling the procedure are not vectorised",
     "declare the variants portably with `!$omp declare simd(name)` inside the procedure (compile with "
     "-fopenmp-simd: gfortran then emits AdvSIMD variants such as `_ZGVnN2v_name_`)"),
    (re.compile(r"ATTRIBUTES\s+VECTOR\b"), "ATTRIBUTES VECTOR", Severity.INFO,
     "asks the Intel compiler for SIMD variants of the procedure; gfortran ignores the directive, so an AArch64 "
     "build has no vector variant and loops calling the procedure are not vectorised",
     "declare the variants portably with `!$omp declare simd(name)` inside the procedure (compile with "
     "-fopenmp-simd: gfortran then emits AdvSIMD variants such as `_ZGVnN2v_name_`)"),
    (re.compile(r"ATTRIBUTES\s+OPTIMIZATION_PARAMETER\b.*\bTARGET_ARCH\s*=\s*(\w+)"), "TARGET_ARCH", Severity.WARNING,
     "compiles the procedure for the x86 architecture `{0}` under the Intel compiler; gfortran ignores it",
     "drop it; choose the AArch64 target for the whole build with `-mcpu=` (e.g. -mcpu=neoverse-v1)"),
    (re.compile(r"NOVECTOR\b|VECTOR\b.*\bNEVER\b"), "NOVECTOR", Severity.INFO,
     "keeps the Intel compiler from vectorising the loop; gfortran ignores it and may vectorise the loop",
     "add `!GCC$ novector` before the loop (LLVM flang: `!dir$ novector`)"),
    (re.compile(r"VECTOR\b(?=.*\bALWAYS\b)|VECTOR\s*$"), "VECTOR ALWAYS", Severity.INFO,
     "makes the Intel compiler vectorise the loop regardless of its cost model; gfortran ignores it",
     "add `!GCC$ vector` before the loop, or " + _SIMD_HELP + " (LLVM flang honours `!dir$ vector always`)"),
    (re.compile(r"IVDEP\b"), "IVDEP", Severity.INFO,
     "tells the Intel compiler to ignore assumed loop-carried dependences; gfortran ignores it, so the loop may "
     "stay scalar on AArch64",
     "add `!GCC$ ivdep` before the loop, or " + _SIMD_HELP),
    (re.compile(r"SIMD\b"), "SIMD", Severity.INFO,
     "forces Intel-compiler vectorisation of the loop; gfortran ignores it, so the loop may stay scalar on AArch64",
     "use " + _SIMD_HELP),
    (re.compile(r"UNROLL\s*(?:[(=:]\s*)?(\d+)"), "UNROLL", Severity.INFO,
     "asks the Intel compiler to unroll the loop {0} times; gfortran ignores it",
     "add `!GCC$ unroll {0}` before the loop (LLVM flang: `!dir$ unroll {0}`)"),

)


class IntelVectorizationDirective(Rule):
    """Intel compiler vectorisation directive that gfortran ignores.

    ## What it does
    Checks for `!DIR$`/`!DEC$` directives (in fixed form also `CDEC$`, `*DIR$`) that tune x86
    code generation under ifort/ifx: `ATTRIBUTES VECTOR` (with or without an x86
    `PROCESSOR(...)`), `ATTRIBUTES OPTIMIZATION_PARAMETER: TARGET_ARCH=...`, `VECTOR ALIGNED`,
    `VECTOR NONTEMPORAL`, `VECTOR ALWAYS`, `NOVECTOR`, `IVDEP`, `SIMD`, `UNROLL(n)` and
    `ATTRIBUTES ALIGN: n`. A directive with a portable equivalent within four lines
    (`!$omp simd`, `!$omp declare simd`, `!GCC$ ivdep|vector|novector|unroll`) is not
    reported. Directives naming an x86 processor or architecture are `warning`, the others
    `info`.

    ## Why is this a problem on ARM64?
    The Intel Fortran compilers target x86 only, so an AArch64 build uses gfortran, LLVM flang
    or a vendor compiler. gfortran treats every `!DIR$`/`!DEC$` line as a comment, without a
    warning even under -Wall -Wextra (checked with gfortran 12), so loops that ifort
    vectorised because of a directive may run scalar on AArch64, and SIMD variants of
    procedures are not generated. The portable forms are OpenMP SIMD directives (`!$omp simd`,
    `!$omp declare simd`, honoured with -fopenmp-simd without OpenMP threading) and gfortran's
    `!GCC$ ivdep`, `!GCC$ vector`, `!GCC$ novector` and `!GCC$ unroll n`.

    ## Example
    ```fortran
    subroutine scale(a, b, n)
      integer :: n, i
      real(8) :: a(n), b(n)
    !DIR$ IVDEP
      do i = 1, n
        a(i) = 2.0d0 * b(i)
      end do
    end subroutine
    ```

    Use instead:
    ```fortran
    subroutine scale(a, b, n)
      integer :: n, i
      real(8) :: a(n), b(n)
    !DIR$ IVDEP
    !GCC$ ivdep
      do i = 1, n
        a(i) = 2.0d0 * b(i)
      end do
    end subroutine
    ```

    ## Limitations
    `VECTOR ALIGNED`, `ATTRIBUTES ALIGN: n` and `VECTOR NONTEMPORAL` are not reported: they
    tune x86 aligned and streaming vector moves, AdvSIMD loads and stores need no alignment, and
    gfortran has nothing to carry them over to, so dropping them costs nothing on AArch64.
    Whether gfortran vectorises the loop anyway is not checked: the finding says the hint is
    lost, not that the loop is slow. Intel directives that change meaning rather than code
    generation (`ATTRIBUTES ALIAS`, `VALUE`, `REFERENCE`, `!DEC$ IF DEFINED`, `!DEC$ REAL:8`) are
    left to FT601. LLVM flang honours some `!dir$` forms (`vector always`,
    `unroll n`); the finding does not know which compiler the AArch64 build uses.

    ## References
    - gfortran IVDEP directive (and its neighbours VECTOR, NOVECTOR, UNROLL): https://gcc.gnu.org/onlinedocs/gfortran/IVDEP-directive.html
    - LLVM flang directives: https://flang.llvm.org/docs/Directives.html
    - OpenMP specifications (SIMD and DECLARE SIMD constructs): https://www.openmp.org/specifications/
    """

    code = "FT401"
    name = "intel-vectorization-directive"
    summary = "Intel compiler vectorisation directive that gfortran ignores"
    languages = frozenset({"fortran"})
    severity = Severity.WARNING
    impact = Impact.PERFORMANCE
    confidence = Confidence.HIGH
    tags = ("simd", "fortran", "intel-compiler", "directives")
    effort_minutes = 10
    prefilter = (b"DIR$", b"dir$", b"Dir$", b"DEC$", b"dec$", b"Dec$")

    def check_file(self, ctx):
        text = ctx.text
        for start, end, sentinel, body in directives(ctx):
            upper = body.upper()
            for pattern, label, severity, what, help_text in _TABLE:
                m = pattern.match(upper)
                if m is None:
                    continue
                if not compiled(ctx, start) or _has_portable_neighbour(text, start):
                    break
                arg = (m.group(1).lower() if m.groups() else "")
                directive = f"!{sentinel}$ {body}".strip()
                yield ctx.finding(
                    self, start, end,
                    f"`{directive}` {what.format(arg)}",
                    help_text.format(arg),
                    properties={"directive": label, "sentinel": sentinel, "argument": arg or None},
                    severity=severity,
                )
                break


def _has_portable_neighbour(text: str, offset: int) -> bool:
    lo = offset
    for _ in range(_NEIGHBOURHOOD):
        lo = text.rfind("\n", 0, max(lo - 1, 0)) + 1 if lo > 0 else 0
    hi = offset
    for _ in range(_NEIGHBOURHOOD + 1):
        nxt = text.find("\n", hi + 1)
        hi = len(text) if nxt < 0 else nxt
    return bool(_PORTABLE.search(text, lo, hi))
