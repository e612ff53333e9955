from __future__ import annotations

import re

from archport.model import Confidence, Impact, Severity
from archport.rule import Rule
from archport.rules.build import _flags

_LIB = re.compile(
    r"(?<![\w./-])(?:-l(?P<lib>mkl_\w+|iomp5|ipp\w+|svml|imf|irc|intlc|irng|ifcore\w*|ifport)|(?P<flag>-q?mkl(?:=\w+)?))(?![\w.+-])"
    r"|\bfind_package[ \t]*\([ \t]*(?P<pkg>MKL|IPP|IntelSYCL)\b(?P<pkgargs>[^)]*)\)"
    r"|\bBLA_VENDOR\b[^\n]*?(?P<vendor>Intel10_\w+|Intel\b)"
)

_ADVICE = {
    "mkl": "link an AArch64 BLAS/LAPACK instead: OpenBLAS (`-lopenblas`), Arm Performance Libraries "
           "(`-larmpl_lp64`), BLIS, or Huawei KML on Kunpeng; MKL-only extensions (mkl_*, DFTI, VML) need code changes",
    "iomp5": "use the compiler's own OpenMP runtime: `-fopenmp` (GCC links libgomp; Clang links libomp)",
    "ipp": "IPP exists only for x86: replace the primitives (OpenCV, Ne10, FFTW, zlib/zstd for ippdc, OpenSSL for ippcp, "
           "Huawei HMPP on Kunpeng)",
    "svml": "replace SVML vector math with SLEEF (`-lsleef`), glibc libmvec, or Arm Performance Libraries' libamath",
    "imf": "use glibc libm (`-lm`), with SLEEF for Intel-only functions (erfinv, cdfnorm, invsqrt …)",
    "irc": "drop it: libirc/libintlc are Intel compiler runtimes; GCC/Clang need no replacement",
    "ifcore": "drop it: Intel Fortran runtime; gfortran/flang link their own",
}


def _kind(name: str) -> str:
    name = name.lower()
    for key in ("mkl", "iomp5", "ipp", "svml", "imf", "irc", "intlc", "ifcore", "ifport", "irng"):
        if name.startswith(key) or name.lstrip("-q").startswith(key):
            return {"intlc": "irc", "ifport": "ifcore", "irng": "mkl"}.get(key, key)
    return "mkl"


class X86MathLibraryLink(Rule):
    """Link against an x86-only Intel library (MKL, IPP, SVML, libimf, libiomp5).

    ## What it does
    Checks for links, in build files, against Intel libraries that exist only for x86:
    `-lmkl_*`, `-qmkl`/`-mkl`, `-liomp5`, `-lipp*`, `-lsvml`, `-limf`, `-lirc`, `-lintlc`,
    `find_package(MKL REQUIRED)` / `find_package(IPP REQUIRED)`, and `BLA_VENDOR` set to an
    Intel MKL vendor, outside x86-only branches and probes.

    ## Why is this a problem on ARM64?
    Intel ships MKL, IPP, SVML, libimf and libiomp5 for x86 only, so the AArch64 link stops
    with "cannot find -lmkl_rt" (or configuration fails in `find_package`). Standard
    BLAS/LAPACK calls move over by relinking; MKL-only extensions, IPP primitives and SVML
    vector functions need a replacement library and code changes.

    ## Example
    ```make
    LDLIBS += -lmkl_rt -liomp5 -lpthread -lm
    ```

    Use instead:
    ```make
    LDLIBS += -lopenblas -fopenmp -lpthread -lm
    ```

    ## Limitations
    Libraries named through variables (`${MKL_LIBRARIES}`) or linked by full path are only
    seen where `find_package(MKL REQUIRED)` appears. A `find_package(MKL)` without REQUIRED
    is treated as optional and not reported.

    ## References
    - Arm Performance Libraries: https://developer.arm.com/Tools%20and%20Software/Arm%20Performance%20Libraries
    - OpenBLAS: https://github.com/OpenMathLib/OpenBLAS
    - SLEEF: https://sleef.org/
    """

    code = "BD501"
    name = "x86-math-library-link"
    summary = "Link against an x86-only Intel library (MKL, IPP, SVML, libimf, libiomp5)"
    languages = _flags.FLAG_LANGUAGES
    severity = Severity.ERROR
    impact = Impact.BUILD_BREAK
    confidence = Confidence.HIGH
    tags = ("build", "libraries", "intel")
    effort_minutes = 120
    prefilter = (b"-lmkl", b"mkl", b"MKL", b"-liomp5", b"-lipp", b"-lsvml", b"-limf", b"-lirc", b"-lintlc", b"IPP", b"Intel10")
    pattern = _LIB.pattern

    def check_match(self, ctx, match):
        if not _flags.reads(ctx) or _flags.skip_reason(ctx, match.start()) is not None:
            return
        if match.group("pkg"):
            if "REQUIRED" not in match.group("pkgargs"):
                return
            name = match.group("pkg")
            kind = "mkl" if name != "IPP" else "ipp"
            text = f"find_package({name} REQUIRED)"
            start, end = match.start("pkg"), match.end("pkg")
            what = f"`{text}` requires Intel {'MKL' if kind == 'mkl' else name}"
        elif match.group("vendor"):
            kind, start, end = "mkl", match.start("vendor"), match.end("vendor")
            text = match.group("vendor")
            what = f"BLA_VENDOR `{text}` selects Intel MKL"
        else:
            text = match.group("lib") or match.group("flag")
            kind = _kind(text)
            start, end = match.start(), match.end()
            what = f"`{match.group(0)}` links an Intel library"
        yield ctx.finding(
            self,
            start,
            end,
            f"{what}, which exists only for x86; the AArch64 link (or configure step) fails",
            _ADVICE.get(kind, _ADVICE["mkl"]),
            properties={"library": text, "kind": kind},
        )
