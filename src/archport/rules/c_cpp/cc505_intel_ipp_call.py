from __future__ import annotations

import re

from archport import mathlibs
from archport.model import Confidence, Impact, Severity
from archport.rule import Rule
from archport.rules.c_cpp._mathlib_sites import candidate_sites, site_findings, uses_library

_CANDIDATE = re.compile(r"(?<![\w$])ipp[a-z]{0,2}[A-Z_]\w*")


class IntelIppCall(Rule):
    """Call of an Intel IPP function.

    ## What it does
    Checks for calls of Intel Integrated Performance Primitives: signal processing (`ipps*`),
    image processing (`ippi*`), cryptography (`ippsAES*`, `ippsSHA*`, `ippsRSA*` from
    ippcp), the other domains (`ippcc*`, `ippcv*`, `ippdc*`, `ippvm*` …) and the core
    functions (`ippInit`, `ippMalloc`, `ippsMalloc_32f`). One finding per call site, with the
    AArch64 replacement in `properties["migration"]`: Huawei HMPP (`HMPPS_*`/`HMPPI_*`, IPP-like
    names) on Kunpeng, OpenSSL for cryptography, OpenCV or zlib/zstd for the other domains.

    Calls are reported only in files that use IPP (an IPP header, or IPP's types such as
    `Ipp32f` and `IppStatus`), so the CUPS `ipp*` printing API and project functions that
    happen to start with `ipp` are not reported. Calls under a project switch (`#ifdef
    HAVE_IPP`) follow the same `info`/`warning` policy as CC504.

    ## Why is this a problem on ARM64?
    IPP exists only for x86: its headers and libraries are missing on AArch64 and the build
    stops at the include or the link. HMPP offers many of the same operations with names built
    the same way (`ippsAdd_16s_I` and `HMPPS_Add_16s_I`), but not all of them, and the status
    type and spec/buffer-size conventions differ, so each call needs checking. IPP
    Cryptography has no AArch64 counterpart with the same API.

    ## Example
    ```c
    #include <ipps.h>
    IppStatus scale(Ipp32f *v, int n) {
        return ippsMulC_32f_I(2.0f, v, n);
    }
    ```

    Use instead:
    ```c
    void scale(float *v, int n) {
        for (int i = 0; i < n; i++) v[i] *= 2.0f;
    }
    ```

    ## Limitations
    The HMPP names in the advice are derived from the IPP name by HMPP's documented naming
    scheme; whether HMPP provides that exact function (and with which arguments) must be
    checked against its manual. A file that reaches IPP only through a project header without
    using IPP types is not reported.

    ## References
    - Intel IPP Developer Reference: https://www.intel.com/content/www/us/en/docs/ipp/developer-reference/
    - Kunpeng HMPP function naming: https://www.hikunpeng.com/document/detail/en/kunpengboostkithistory/240RC2/accel/kunpengaccel_hmpp_06_0008.html
    - Ne10: https://github.com/projectNe10/Ne10
    """

    code = "CC505"
    name = "intel-ipp-call"
    summary = "Call of an Intel IPP function"
    languages = frozenset({"c", "cpp"})
    severity = Severity.ERROR
    impact = Impact.BUILD_BREAK
    confidence = Confidence.HIGH
    tags = ("math-library", "ipp", "dependencies")
    effort_minutes = 20
    #: IPP code names its types (`Ipp32f`, `IppStatus`) or includes an IPP header; plain
    #: b"ipp" would offer every file that says "skipping"
    prefilter = (
        b"Ipp", b"ippSts", b"ipp.h", b"ipps.h", b"ippi.h", b"ippcore.h", b"ippcp.h", b"ippcv.h", b"ippcc.h",
        b"ippdc.h", b"ippch.h", b"ippvm.h", b"ippm.h", b"ipp/",
    )

    def check_file(self, ctx):
        if not uses_library(ctx, mathlibs.IPP):
            return
        sites = [(m.start(), m.end(), m.group(0), fam.advice(m.group(0)), False)
                 for m, fam in candidate_sites(ctx, self, _CANDIDATE)]
        yield from site_findings(ctx, self, sites)
