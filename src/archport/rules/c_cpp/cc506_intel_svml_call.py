from __future__ import annotations

import re

from archport import mathlibs
from archport.model import Confidence, Impact, Severity
from archport.rule import Rule
from archport.rules.c_cpp._mathlib_sites import candidate_sites, simde_svml, site_findings
from archport.rules.c_cpp.cc401_x86_intrinsic_call import intrinsic_table

#: exactly the SVML intrinsic names (most `_mm*` names in a SIMD file are not SVML's), or `__svml_*`
_CANDIDATE = re.compile(
    r"(?<![\w$])(?:(?:%s)(?![\w$])|__svml_\w+)" % mathlibs.family("svml-intrinsic").names.pattern
)


class IntelSvmlCall(Rule):
    """Call of an Intel SVML vector math function.

    ## What it does
    Checks for calls of Intel's Short Vector Math Library: the SVML intrinsics that Intel's
    compiler, Clang and MSVC declare in `immintrin.h` (`_mm_sin_pd`, `_mm256_exp_ps`,
    `_mm512_mask_pow_pd`, `_mm_div_epi32` …) and the `__svml_*` entry points. One finding per
    call site, naming the SLEEF function for the same operation on NEON vectors
    (`_mm_sin_pd` -> `Sleef_sind2_u10`), the glibc libmvec AArch64 symbol where one exists
    (`_ZGVnN2v_sin`, glibc 2.38 and later), the Kunpeng KML_SVML family and SIMDe's emulation.
    A 256- or 512-bit call becomes two or four 128-bit calls (a rewrite); a 128-bit call is a
    rename.

    The x86 SIMD intrinsics that GCC declares are CC401's; this rule reports only the SVML
    names, which GCC does not declare, so a call site gets one finding. Files that keep the
    SVML names through SIMDe (`simde/x86/svml.h` with `SIMDE_ENABLE_NATIVE_ALIASES`) are not
    reported.

    ## Why is this a problem on ARM64?
    SVML is an x86 library: AArch64 compilers declare none of these intrinsics and there is no
    `libsvml` to link, so the build fails at each call. The replacements compute the same
    functions with documented error bounds (SLEEF u10 is 1 ulp, u35 is 3.5 ulp), which are not
    SVML's, so results can differ in the last bits.

    ## Example
    ```c
    #include <immintrin.h>
    __m128d wave(__m128d x) {
        return _mm_sin_pd(x);
    }
    ```

    Use instead:
    ```c
    #include <arm_neon.h>
    #include <sleef.h>
    float64x2_t wave(float64x2_t x) {
        return Sleef_sind2_u10(x);
    }
    ```

    ## Limitations
    The list of SVML functions is curated (trigonometric, hyperbolic, exponential,
    logarithmic, power, root, error functions, integer division and a few rounding helpers);
    rarer SVML names are not reported. The libmvec version numbers are those of glibc's
    AArch64 symbol list; the system on the target decides which are present. KML_SVML names
    follow its `svml128_<function>_f64` scheme and are not checked per function.

    ## References
    - SLEEF AArch64 reference: https://sleef.org/aarch64.xhtml
    - glibc libmvec: https://sourceware.org/glibc/wiki/libmvec
    - Kunpeng KML_SVML (ksvml.h): https://www.hikunpeng.com/document/detail/zh/kunpenghpcs/hpckit/devg/kunpengaccel_kml_16_0271.html
    - SIMDe SVML: https://github.com/simd-everywhere/simde
    """

    code = "CC506"
    name = "intel-svml-call"
    summary = "Call of an Intel SVML vector math function"
    languages = frozenset({"c", "cpp"})
    severity = Severity.ERROR
    impact = Impact.BUILD_BREAK
    confidence = Confidence.HIGH
    tags = ("math-library", "svml", "simd", "intrinsics")
    effort_minutes = 15
    prefilter = (
        b"__svml_", b"_sin", b"_cos", b"_tan", b"_asin", b"_acos", b"_atan", b"_exp", b"_log", b"_pow", b"_cbrt",
        b"_invcbrt", b"_invsqrt", b"_hypot", b"_erf", b"_cdfnorm", b"_trunc_p", b"_svml_", b"_cexp", b"_clog",
        b"_csqrt", b"_nearbyint_p", b"_rint_p", b"div_ep", b"rem_ep", b"divrem_ep",
    )

    def check_file(self, ctx):
        if "_mm" not in ctx.text and "__svml_" not in ctx.text:
            return
        gcc = intrinsic_table()
        sites = [(m.start(), m.end(), m.group(0), fam.advice(m.group(0)), False)
                 for m, fam in candidate_sites(ctx, self, _CANDIDATE) if m.group(0) not in gcc]
        if sites and simde_svml(ctx):
            return
        yield from site_findings(ctx, self, sites)
