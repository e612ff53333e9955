from __future__ import annotations

import re

from archport import mathlibs
from archport.model import Confidence, Impact, Severity
from archport.rule import Rule
from archport.rules.c_cpp._mathlib_sites import candidate_sites, project_switch, site_findings, uses_library

#: identifiers that may belong to an MKL family; archport.mathlibs decides
_CANDIDATE = re.compile(
    r"(?<![\w$])(?:mkl_|MKL_|cblas_|LAPACKE_|Dfti|vsl|vml|vm?[sdcz][A-Z]|v[sdi]Rng|pardiso|dss_|d(?:cg|fgmres)"
    r"|[sdcz]feast_|df[sdi]?[A-Z]|[sd]_(?:init|commit|forward|backward)_|free_(?:trig|Helm)|[sd]trnlsp|[sd]jacobi)\w*"
)


def _under_mkl_switch(ctx, offset: int) -> bool:
    """`vdTanh(...)` inside `#ifdef HAVE_MKL`: the switch itself says the name is MKL's."""
    switch = project_switch(ctx, offset)
    return switch is not None and "MKL" in switch[0].upper()


class IntelMklCall(Rule):
    """Call of an Intel MKL function.

    ## What it does
    Checks for calls of Intel oneMKL functions, one finding per call site, grouped by call
    family: CBLAS and its MKL-only extensions (`cblas_?gemm_batch`, `cblas_gemm_s8u8s32`),
    LAPACKE, Vector Math (`vdExp`, `vsAdd`, `vmdLn`), VSL random numbers (`vslNewStream`,
    `vdRngGaussian`) and statistics, the DFTI FFT (`DftiCreateDescriptor`), legacy and
    inspector-executor sparse BLAS, PARDISO/DSS solvers, data fitting, trigonometric
    transforms, service functions (`mkl_malloc`, `mkl_set_num_threads`, `mkl_cbwr_set`) and
    other `mkl_*` extensions. Each finding names the AArch64 replacement (Huawei KML on
    Kunpeng, Arm Performance Libraries, OpenBLAS/BLIS, the FFTW3 API, OpenRNG), whether the
    move is a drop-in, a rename or a rewrite, and an example call; the JSON output carries it
    in `properties["migration"]` and the terminal summary groups it into a migration plan.

    Standard CBLAS and LAPACKE calls, and the short VML and solver names, are reported only in
    files that use MKL (an `mkl*.h` include or an identifier only MKL defines, in code an
    AArch64 build compiles) or under an MKL project switch (`#ifdef HAVE_MKL`): elsewhere they
    are portable calls to whatever BLAS is linked and are not reported. Drop-in calls are reported at `info` severity. A call compiled only under
    a project switch that selects MKL (`#ifdef USE_MKL`, `#if HAVE_MKL`) is `info` when the
    same `#if` chain has a branch without MKL (an AArch64 build leaves the switch off) and
    `warning` when it has none (turning the switch off drops the feature).

    ## Why is this a problem on ARM64?
    Intel does not ship oneMKL for AArch64, so every MKL symbol is undefined at link time and
    `mkl.h` is missing at compile time. How much work the port is depends on the family: BLAS,
    CBLAS and LAPACKE keep their names and arguments in every AArch64 BLAS (only the link line
    changes; with MKL's ILP64 interface an ILP64 build is needed), VSL random numbers keep their
    names in OpenRNG, KML_VML renames the VML functions to lower case, and the DFTI descriptor
    model, the inspector-executor sparse API, PARDISO and the service layer need rewriting.
    Results can differ in the last bits after the move (different kernels and summation order).

    ## Example
    ```c
    #include <mkl.h>
    void transform(int n, const double *a, double *r, MKL_Complex16 *x) {
        DFTI_DESCRIPTOR_HANDLE h;
        vdExp(n, a, r);
        DftiCreateDescriptor(&h, DFTI_DOUBLE, DFTI_COMPLEX, 1, (MKL_LONG)n);
        DftiCommitDescriptor(h);
        DftiComputeForward(h, x);
    }
    ```

    Use instead:
    ```c
    #include <math.h>
    #include <fftw3.h>
    void transform(int n, const double *a, double *r, fftw_complex *x) {
        for (int i = 0; i < n; i++) r[i] = exp(a[i]);
        fftw_plan p = fftw_plan_dft_1d(n, x, x, FFTW_FORWARD, FFTW_ESTIMATE);
        fftw_execute(p);
        fftw_destroy_plan(p);
    }
    ```

    ## Limitations
    Whether a file uses MKL is decided per file: a `cblas_dgemm` call in a file that reaches
    MKL only through a project header or the link line is not reported (the link flags and
    CMake rules report the dependency). MKL types (`MKL_INT`, `MKL_Complex16`) and constants
    (`DFTI_DOUBLE`) are not reported one by one; the include is (CC508). A project function
    whose name starts with `mkl_` and is defined in another file is reported as an MKL
    extension. KML, HMPP and ArmPL function names in the advice are taken from their public
    manuals and headers; check the exact function in the version you install.

    ## References
    - Intel oneMKL Developer Reference for C: https://www.intel.com/content/www/us/en/docs/onemkl/developer-reference-c/
    - Kunpeng KML (HPCKit) migration guide: https://www.hikunpeng.com/document/detail/zh/kunpenghpcs/hpckit/mg/KunpengHPCKit_migration_0016.html
    - Porting an application that uses Intel VSL to OpenRNG: https://learn.arm.com/learning-paths/servers-and-cloud-computing/using-and-porting-performance-libs/4
    - FFTW3 manual: https://www.fftw.org/fftw3_doc/
    - OpenBLAS: https://github.com/OpenMathLib/OpenBLAS
    """

    code = "CC504"
    name = "intel-mkl-call"
    summary = "Call of an Intel MKL function"
    languages = frozenset({"c", "cpp"})
    severity = Severity.ERROR
    impact = Impact.BUILD_BREAK
    confidence = Confidence.HIGH
    tags = ("math-library", "mkl", "dependencies")
    effort_minutes = 20
    #: MKL code includes an mkl*.h header or names MKL types (`MKL_INT`, `VSLStreamStatePtr`); plain
    #: b"vml"/b"vsl" would offer every NEON file (`vmlal_u32`, `vsli_n_u8`)
    prefilter = (b"mkl", b"MKL", b"Dfti", b"VSL", b"VML_", b"vmlSet", b"vmlGet", b"vmlClear", b"Rng")

    def check_file(self, ctx):
        sites = []
        for m, fam in candidate_sites(ctx, self, _CANDIDATE):
            if fam.corroborate and not uses_library(ctx, mathlibs.MKL) and not _under_mkl_switch(ctx, m.start()):
                continue
            sites.append((m.start(), m.end(), m.group(0), fam.advice(m.group(0)), fam.corroborate))
        yield from site_findings(ctx, self, sites)
