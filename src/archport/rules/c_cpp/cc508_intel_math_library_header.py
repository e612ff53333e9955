from __future__ import annotations

from archport import mathlibs
from archport.model import Confidence, Impact, Severity
from archport.rule import Rule
from archport.rules.c_cpp._mathlib_sites import includes, site_findings, uses_library


class IntelMathLibraryHeader(Rule):
    """Include of an Intel MKL, IPP or libimf header.

    ## What it does
    Checks for `#include` of the headers of Intel's x86 math libraries: `mkl.h` and every
    `mkl_*.h` (`mkl_cblas.h`, `mkl_lapacke.h`, `mkl_vml.h`, `mkl_vsl.h`, `mkl_dfti.h`,
    `mkl_spblas.h` …), IPP's `ipp.h`, `ipps.h`, `ippi.h`, `ippcore.h`, `ippcp.h` …, and the
    Intel compiler's `mathimf.h`. The finding names the header to include instead
    (`<cblas.h>`, `<lapacke.h>`, `<fftw3.h>`, `<openrng.h>`, `<math.h>` …) in
    `properties["migration"]`. A bare `ipp.h` counts as IPP's only in a file that uses IPP
    types; `cups/ipp.h` never does. Includes under a project switch (`#ifdef USE_MKL`) follow
    CC504's `info`/`warning` policy.

    ## Why is this a problem on ARM64?
    None of these libraries has an AArch64 build, so the header is missing and the compile
    stops at the include ("fatal error: mkl.h: No such file or directory") before any call is
    looked at.

    ## Example
    ```c
    #include <mkl_cblas.h>
    ```

    Use instead:
    ```c
    #include <cblas.h>
    ```

    ## Limitations
    A project header that wraps the Intel header is reported where the Intel header is
    included, not at each file that includes the wrapper.

    ## References
    - Intel oneMKL header files: https://www.intel.com/content/www/us/en/docs/onemkl/developer-reference-c/
    - OpenBLAS: https://github.com/OpenMathLib/OpenBLAS
    """

    code = "CC508"
    name = "intel-math-library-header"
    summary = "Include of an Intel MKL, IPP or libimf header"
    languages = frozenset({"c", "cpp"})
    severity = Severity.ERROR
    impact = Impact.BUILD_BREAK
    confidence = Confidence.HIGH
    tags = ("math-library", "headers", "dependencies")
    effort_minutes = 5
    prefilter = (
        b"mkl", b"ipp.h", b"ipps.h", b"ippi.h", b"ippcore.h", b"ippcp.h", b"ippcv.h", b"ippcc.h", b"ippdc.h",
        b"ippch.h", b"ippvm.h", b"ippm.h", b"ippr.h", b"ippe.h", b"ippj.h", b"ipptypes.h", b"ippdefs.h", b"ippbase.h",
        b"ipp/", b"mathimf.h",
    )

    def check_file(self, ctx):
        sites = []
        for start, end, header, advice in includes(ctx):
            base = header.rsplit("/", 1)[-1]
            if base == "ipp.h" and "/" not in header and not uses_library(ctx, mathlibs.IPP):
                continue
            sites.append((start, end, header, advice, False))
        yield from site_findings(
            ctx, self, sites, what="header",
            unavailable="is not installed on AArch64: the compile stops at this include",
            compatible="the functions it declares exist in an AArch64 library under the header named below",
        )
