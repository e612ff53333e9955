from __future__ import annotations

import re

from archport.model import Confidence, Impact, Severity
from archport.rule import Rule
from archport.rules.build import _flags

_INTEL_FLAG = re.compile(
    r"(?<![\w./-])("
    r"-xHost|-x(?:CORE-AVX2|CORE-AVX512|CORE-AVX-I|COMMON-AVX512|MIC-AVX512|AVX2?|SSE[234](?:\.[12])?|SSSE3|SSE2|"
    r"SKYLAKE(?:-AVX512)?|CASCADELAKE|ICELAKE-(?:CLIENT|SERVER)|SAPPHIRERAPIDS|HASWELL|BROADWELL|ATOM_SSE4\.2|ATOM_SSSE3)|"
    r"-ax(?:CORE-AVX2|CORE-AVX512|CORE-AVX-I|COMMON-AVX512|MIC-AVX512|AVX2?|SSE[234](?:\.[12])?|SSSE3|SKYLAKE(?:-AVX512)?|"
    r"CASCADELAKE|ICELAKE-(?:CLIENT|SERVER)|SAPPHIRERAPIDS|HASWELL|BROADWELL)(?:,[\w.-]+)*|"
    r"-qopenmp(?:-simd|-stubs)?|-qopt-[\w=-]+|-qopenmp-link=\w+|-ipo\d*|-no-ipo|-fp-model[= ](?:fast(?:=[12])?|precise|strict|source|consistent|except)|"
    r"-no-prec-div|-no-prec-sqrt|-prec-div|-prec-sqrt|-fimf-[\w=:-]+|-static-intel|-shared-intel|-diag-disable[=:][\w,]+|"
    r"-qoverride-limits|-qno-opt-[\w-]+|-qsimd-[\w=-]+|-align[ ]+array\d+byte|-fast-transcendentals|-complex-limited-range"
    r")(?![\w.+-])"
)
_INTEL_CC = re.compile(
    r"^[ \t]*(?:export[ \t]+|override[ \t]+)?(CC|CXX|FC|F77|F90|MPICC|MPICXX|CMAKE_C_COMPILER|CMAKE_CXX_COMPILER)"
    r"[ \t]*(?:\?|:|\+)?=[ \t]*[\"']?(icc|icpc|icx|icpx|ifort|ifx|mpiicc|mpiicpc|mpiifort)\b",
    re.M,
)
_CMAKE_INTEL_CC = re.compile(r"\bset[ \t]*\([ \t]*(CMAKE_C_COMPILER|CMAKE_CXX_COMPILER|CMAKE_Fortran_COMPILER)[ \t]+\"?(icc|icpc|icx|icpx|ifort|ifx)\b", re.I)

_ADVICE = [
    (re.compile(r"-xHost$"), "use `-mcpu=native` when building on the deployment machine, or a named Arm target such as `-mcpu=neoverse-n1`"),
    (re.compile(r"-a?x"), "use an Arm target instead: `-march=armv8.2-a` or `-mcpu=neoverse-n1` (Graviton2/N1), `-mcpu=neoverse-v1` (Graviton3); for several targets, build with `-march=armv8-a` and dispatch at run time on getauxval(AT_HWCAP)"),
    (re.compile(r"-qopenmp-simd"), "use `-fopenmp-simd` (GCC and Clang)"),
    (re.compile(r"-qopenmp"), "use `-fopenmp` (GCC: libgomp; Clang: libomp)"),
    (re.compile(r"-no-ipo"), "drop it (GCC/Clang do no cross-file optimisation without `-flto`)"),
    (re.compile(r"-ipo"), "use `-flto` for link-time (interprocedural) optimisation"),
    (re.compile(r"-fp-model[= ](?:fast)"), "use `-ffast-math` (or the parts you need, e.g. `-fno-math-errno -freciprocal-math`), checking results"),
    (re.compile(r"-fp-model[= ](?:precise|source|consistent)"), "drop it (GCC's default is value-safe); on AArch64 also consider `-ffp-contract=off` if results must match x86 bit for bit"),
    (re.compile(r"-fp-model[= ](?:strict|except)"), "use `-frounding-math -fsignaling-nans -ffp-contract=off`"),
    (re.compile(r"-no-prec-div|-no-prec-sqrt"), "use `-freciprocal-math` (part of `-ffast-math`) if the precision loss is acceptable, else drop it"),
    (re.compile(r"-(?:prec-div|prec-sqrt)$"), "drop it (GCC divides and takes square roots exactly by default)"),
    (re.compile(r"-(?:static|shared)-intel"), "drop it: there is no Intel runtime on AArch64"),
]
_DEFAULT_ADVICE = "drop it or replace it with the GCC/Clang equivalent: there is no Intel compiler for AArch64"


class IntelCompilerFlag(Rule):
    """Intel-compiler-only flag or Intel compiler choice applied to an AArch64 build.

    ## What it does
    Checks for flags that only the Intel compilers (icc/icpc, icx/icpx, ifort/ifx) accept —
    `-xHost`, `-xCORE-AVX2`, `-axCORE-AVX2`, `-qopenmp`, `-qopt-*`, `-ipo`, `-fp-model`,
    `-no-prec-div`, `-fimf-*`, `-static-intel`, `-diag-disable` — and for `CC = icc` /
    `set(CMAKE_C_COMPILER icx)` style compiler choices, in build files, outside branches that
    only an Intel-compiler or x86 build enters (`if(CMAKE_C_COMPILER_ID MATCHES "Intel")`,
    `ifeq ($(CC),icc)`).

    ## Why is this a problem on ARM64?
    Intel's compilers and runtimes exist only for x86. On AArch64 the build runs GCC or Clang,
    which do not know these flags: `aarch64-linux-gnu-gcc -qopenmp` stops with "unrecognized
    command-line option", and `-xHost` is read as `-x Host` ("language Host not recognized").

    ## Example
    ```make
    CFLAGS += -O3 -xHost -ipo -qopenmp
    ```

    Use instead:
    ```make
    CFLAGS += -O3 -mcpu=native -flto -fopenmp
    ```

    ## Limitations
    Only spellings with a leading dash are recognised (not the Windows `/Qipo` forms). A
    condition on a variable set elsewhere (`if(USE_ICC)`) counts as reachable.

    ## References
    - Intel C++ compiler options: https://www.intel.com/content/www/us/en/docs/dpcpp-cpp-compiler/developer-guide-reference/current/compiler-options.html
    - GCC optimize options: https://gcc.gnu.org/onlinedocs/gcc/Optimize-Options.html
    """

    code = "BD403"
    name = "intel-compiler-flag"
    summary = "Intel-compiler-only flag or Intel compiler choice applied to an AArch64 build"
    languages = _flags.FLAG_LANGUAGES
    severity = Severity.ERROR
    impact = Impact.BUILD_BREAK
    confidence = Confidence.HIGH
    tags = ("build", "flags", "intel")
    effort_minutes = 20
    prefilter = (b"-xHost", b"-xCORE", b"-axCORE", b"-xAVX", b"-axAVX", b"-xSSE", b"-axSSE", b"-qopenmp", b"-qopt-",
                 b"-ipo", b"-fp-model", b"-prec-div", b"-prec-sqrt", b"-fimf-", b"-static-intel", b"-shared-intel",
                 b"-diag-disable", b"-xCOMMON", b"-xMIC", b"-xSKYLAKE", b"-axSKYLAKE", b"-xHASWELL", b"-xBROADWELL",
                 b"-xCASCADE", b"-xICELAKE", b"-xSAPPHIRE", b"-xSSSE3",
                 b"icc", b"icx", b"icpc", b"icpx", b"ifort", b"ifx")
    pattern = _INTEL_FLAG.pattern + "|" + _INTEL_CC.pattern + "|" + _CMAKE_INTEL_CC.pattern

    def check_match(self, ctx, match):
        if not _flags.reads(ctx) or _flags.skip_reason(ctx, match.start()) is not None:
            return
        if match.group(1):
            flag = match.group(1)
            advice = next((a for r, a in _ADVICE if r.match(flag)), _DEFAULT_ADVICE)
            yield ctx.finding(
                self,
                match.start(1),
                match.end(1),
                f"`{flag}` is an Intel compiler flag and reaches AArch64 builds; there is no Intel "
                "compiler for AArch64, and GCC/Clang reject it",
                advice,
                properties={"flag": flag},
            )
            return
        var = match.group(2) or match.group(4)
        compiler = match.group(3) or match.group(5)
        start = match.start(3) if match.group(3) else match.start(5)
        yield ctx.finding(
            self,
            start,
            start + len(compiler),
            f"`{var}` is set to the Intel compiler `{compiler}`, which exists only for x86; an AArch64 build "
            "cannot run it",
            "use `gcc`/`g++`/`gfortran` or `clang`/`clang++`/`flang` (or leave the compiler to the environment: `CC ?= cc`), "
            "and translate the Intel-only flags",
            properties={"compiler": compiler, "variable": var},
        )
