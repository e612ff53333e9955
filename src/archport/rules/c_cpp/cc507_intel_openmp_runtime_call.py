from __future__ import annotations

import re

from archport.model import Confidence, Impact, Severity
from archport.rule import Rule
from archport.rules.c_cpp._mathlib_sites import candidate_sites, site_findings

_CANDIDATE = re.compile(r"(?<![\w$])kmp_[a-z_]+\b")


class IntelOpenmpRuntimeCall(Rule):
    """Call of an Intel OpenMP runtime extension (`kmp_*`).

    ## What it does
    Checks for calls of the `kmp_*` extensions of Intel's OpenMP runtime (libiomp5):
    `kmp_set_blocktime`, `kmp_set_stacksize_s`, `kmp_set_library_*`, `kmp_malloc`/`kmp_free`,
    the `kmp_*affinity*` mask API and the rest of the documented list. One finding per call
    site, with the standard OpenMP replacement for GNU libgomp and the note that LLVM's libomp
    keeps these names. Project functions that merely start with `kmp_` (the Knuth-Morris-Pratt
    search, for one) are not reported.

    ## Why is this a problem on ARM64?
    The usual AArch64 toolchain is GCC with libgomp, which declares and exports none of the
    `kmp_*` functions (checked with the aarch64 GCC 12 `omp.h` and `libgomp.so.1`): C code gets
    an implicit declaration and an undefined reference, C++ does not compile. LLVM's libomp,
    the open-source form of Intel's runtime, still provides them, so building with Clang and
    `-fopenmp` is the other way out. The `KMP_*` environment variables are ignored by libgomp
    in the same way.

    ## Example
    ```c
    #include <omp.h>
    void setup(void) {
        kmp_set_blocktime(0);
    }
    ```

    Use instead:
    ```c
    #include <stdlib.h>
    void setup(void) {
        setenv("OMP_WAIT_POLICY", "passive", 1);  /* before the first parallel region */
    }
    ```

    ## Limitations
    Only the documented `kmp_*` API functions are recognised. `KMP_AFFINITY` and the other
    `KMP_*` environment variables set in scripts are not reported by this rule.

    ## References
    - LLVM OpenMP runtime: https://openmp.llvm.org/
    - GNU libgomp environment variables: https://gcc.gnu.org/onlinedocs/libgomp/Environment-Variables.html
    """

    code = "CC507"
    name = "intel-openmp-runtime-call"
    summary = "Call of an Intel OpenMP runtime extension"
    languages = frozenset({"c", "cpp"})
    severity = Severity.WARNING
    impact = Impact.BUILD_BREAK
    confidence = Confidence.HIGH
    tags = ("math-library", "openmp", "dependencies")
    effort_minutes = 10
    prefilter = (b"kmp_",)

    def check_file(self, ctx):
        sites = [(m.start(), m.end(), m.group(0), fam.advice(m.group(0)), False)
                 for m, fam in candidate_sites(ctx, self, _CANDIDATE)]
        yield from site_findings(ctx, self, sites)
