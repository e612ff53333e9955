"""The x86 math-library migration table: Intel MKL, IPP, SVML, libimf and the Intel OpenMP
runtime, call family by call family, with what replaces each on AArch64.

One table serves every rule that finds a use of these libraries (C/C++ calls and includes,
CMake packages, link flags, Python/conda dependencies) and the reports that group those
findings into a migration plan. A finding carries the advice as

    properties["migration"] = {
        "library": "Intel MKL",            # the x86 library
        "family": "VML",                   # the call family within it
        "call": "vdExp",                   # what was found (a call, header, package or flag)
        "replacement": "KML_VML `vdexp` (Kunpeng)",   # the first choice on AArch64
        "alternatives": ["...", "..."],    # other choices, best first
        "kind": "drop-in" | "rename" | "rewrite",
        "example": "vdexp(n, a, r);",      # the replacement call, as code
        "note": "...",                     # caveats (accuracy, licence, versions)
        "source": "...",                   # where the fact comes from
    }

`kind` says how much of the call site changes: *drop-in* — nothing in the source, only the
header or link line; *rename* — a mechanical name change with the same arguments (or a
one-to-one argument shuffle); *rewrite* — a different programming model (DFTI descriptors to
FFTW plans, SVML 256-bit vectors to two 128-bit calls, a service call with no equivalent).

Public API (stable; other rules and the reports import it):
    lookup(name)                 an identifier (function, macro) -> MigrationAdvice | None
    lookup_header(header)        `mkl_vml.h`, `ipps.h`, `mathimf.h` -> MigrationAdvice | None
    lookup_link_library(name)    `mkl_rt`, `-lmkl_core`, `iomp5`, `ippcore`, `svml` -> ... | None
    lookup_python_package(name)  `mkl`, `mkl-service`, `intel-openmp`, `daal4py` -> ... | None
    FAMILIES                     the table itself, one Family per call family

Facts marked in `source`: SLEEF names from SLEEF's docs/aarch64.xhtml (shibatch/sleef @7623d6cf);
glibc libmvec AArch64 symbols from glibc's sysdeps/aarch64/fpu/Versions (2.38: sin, cos,
exp, log; 2.39: more); KML from hikunpeng.com manuals and KML headers as vendored in public
repositories (see /shared/reference/kunpeng-tools.md §5); OpenRNG from Arm's learning path
and ArmPL 24.04 release notes. Names we could not check against documentation are described
as a family ("KML_SPBLAS `kml_sparse_*`") rather than cited as a function.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Callable

KINDS = ("drop-in", "rename", "rewrite")

MKL = "Intel MKL"
IPP = "Intel IPP"
SVML = "Intel SVML"
LIBIMF = "Intel libimf"
IOMP = "Intel OpenMP runtime"


@dataclass(frozen=True)
class MigrationAdvice:
    """What replaces one use of an x86 math library on AArch64."""

    library: str
    family: str
    call: str
    replacement: str
    kind: str
    example: str
    alternatives: tuple[str, ...] = ()
    note: str = ""
    source: str = ""
    #: the family-level replacement (the same for every call of the family), for grouping
    group: str = ""

    def as_properties(self) -> dict[str, Any]:
        """The `properties["migration"]` dict of a finding (JSON-ready)."""
        out: dict[str, Any] = {
            "library": self.library,
            "family": self.family,
            "call": self.call,
            "replacement": self.replacement,
            "alternatives": list(self.alternatives),
            "kind": self.kind,
            "example": self.example,
        }
        if self.note:
            out["note"] = self.note
        if self.source:
            out["source"] = self.source
        out["group"] = self.group or self.replacement
        return out

    def help_text(self) -> str:
        """One help line: the replacement, the kind, the example, then the alternatives."""
        text = f"{self.replacement} ({self.kind}), e.g. `{self.example}`"
        if self.alternatives:
            text += "; or " + "; or ".join(self.alternatives[:2])
        if self.note:
            text += f". {self.note}"
        return text


@dataclass(frozen=True)
class Family:
    """One call family of an x86 math library and its AArch64 migration."""

    key: str
    library: str
    family: str
    #: rule code that reports call sites of this family ("" when no call rule does)
    rule: str
    #: identifiers of the family (fullmatch); None for families known only by header/link/package
    names: re.Pattern | None
    replacement: str
    kind: str
    example: str
    alternatives: tuple[str, ...] = ()
    note: str = ""
    source: str = ""
    #: report a call only in a file that otherwise shows it uses the library (an MKL or IPP
    #: include, or an identifier only that library defines): the names are also portable
    #: (CBLAS, LAPACKE) or short enough to be a project's own (`vsAdd`, `pardiso`)
    corroborate: bool = False
    #: headers of the family (basenames)
    headers: tuple[str, ...] = ()
    #: per-name specialisation: (name, family) -> dict of MigrationAdvice fields to override
    specialise: Callable[[str, "Family"], dict[str, Any]] | None = field(default=None, compare=False)

    def advice(self, call: str) -> MigrationAdvice:
        fields: dict[str, Any] = {
            "library": self.library,
            "family": self.family,
            "call": call,
            "replacement": self.replacement,
            "kind": self.kind,
            "example": self.example,
            "alternatives": self.alternatives,
            "note": self.note,
            "source": self.source,
            "group": self.replacement,
        }
        if self.specialise is not None:
            fields.update(self.specialise(call, self))
        return MigrationAdvice(**fields)


def _re(pattern: str) -> re.Pattern:
    return re.compile(pattern)


# -- per-name specialisations ---------------------------------------------------------------------


def _vml(name: str, fam: Family) -> dict[str, Any]:
    if name.endswith("I") and fam.names.fullmatch(name[:-1]):  # strided variant (vdExpI): KML_VML has none
        return {
            "replacement": "a plain loop over the <math.h> function (KML_VML has no strided variants)",
            "kind": "rewrite",
            "example": "for (i = 0; i < n; i++) r[i * incr] = exp(a[i * inca]);",
        }
    lower = name.lower()
    mode = name.startswith("vm")
    return {
        "replacement": f"KML_VML `{lower}` (Kunpeng; lower-case name, same argument order)",
        "example": f"{lower}(n, a, {'r, KML_HA' if mode else 'r'});",
    }


_SLEEF_ULP = {
    # function -> best-accuracy suffix SLEEF documents for AArch64 AdvSIMD (docs/aarch64.xhtml)
    "sin": "u10", "cos": "u10", "tan": "u10", "asin": "u10", "acos": "u10", "atan": "u10", "atan2": "u10",
    "sinh": "u10", "cosh": "u10", "tanh": "u10", "asinh": "u10", "acosh": "u10", "atanh": "u10",
    "exp": "u10", "exp2": "u10", "exp10": "u10", "expm1": "u10", "log": "u10", "log2": "u10",
    "log10": "u10", "log1p": "u10", "pow": "u10", "cbrt": "u10", "erf": "u10", "erfc": "u15",
    "hypot": "u05", "sincos": "u10", "sqrt": "u05", "sinpi": "u05", "cospi": "u05",
}
#: glibc libmvec AdvSIMD symbols on AArch64 and the glibc release that added them
_LIBMVEC = {
    "sin": "2.38", "cos": "2.38", "exp": "2.38", "log": "2.38",
    "acos": "2.39", "asin": "2.39", "atan": "2.39", "atan2": "2.39", "exp10": "2.39", "exp2": "2.39",
    "expm1": "2.39", "log10": "2.39", "log1p": "2.39", "log2": "2.39", "tan": "2.39",
}
_TWO_ARG = {"atan2", "pow", "hypot"}
_SVML_FN = re.compile(r"_mm(\d*)(?:_maskz?)?_(?:svml_)?([a-z0-9]+?)_(ps|pd|ph|epi\d+|epu\d+)")


def _svml_intrinsic(name: str, fam: Family) -> dict[str, Any]:
    m = _SVML_FN.fullmatch(name)
    if not m:
        return {}
    width, fn, elem = int(m.group(1) or 128), m.group(2), m.group(3)
    if elem not in ("ps", "pd"):
        return {
            "replacement": "NEON integer code or a scalar loop (SVML integer division has no AArch64 library)",
            "kind": "rewrite",
            "example": "for (i = 0; i < 4; i++) q[i] = a[i] / b[i];",
            "alternatives": ("SIMDe, which emulates the SVML integer division intrinsics",),
        }
    dbl = elem == "pd"
    ulp = _SLEEF_ULP.get(fn)
    if ulp is None:
        return {
            "replacement": "a NEON/scalar implementation (no SLEEF equivalent of this SVML function)",
            "kind": "rewrite",
            "example": f"for (i = 0; i < {2 if dbl else 4}; i++) r[i] = {fn}{'' if dbl else 'f'}(x[i]);",
            "alternatives": ("SIMDe's SVML emulation (`simde_" + name[1:] + "`)",),
        }
    lanes = 2 if dbl else 4
    sleef = f"Sleef_{fn}{'d' if dbl else 'f'}{lanes}_{ulp}"
    args = "x, y" if fn in _TWO_ARG else "x"
    alternatives = []
    ver = _LIBMVEC.get(fn)
    if ver:
        vec = f"_ZGVnN{lanes}{'vv' if fn in _TWO_ARG else 'v'}_{fn}{'' if dbl else 'f'}"
        alternatives.append(
            f"glibc libmvec `{vec}` (glibc >= {ver}; reached by vectorising a `{fn}()` loop with "
            "`#pragma omp simd` and -fopenmp-simd -ffast-math)"
        )
    alternatives.append(f"KML_SVML `svml128_{fn}_f{64 if dbl else 32}` (Kunpeng, ksvml.h; check it is provided)")
    alternatives.append(f"SIMDe's SVML emulation (`simde_{name[1:]}`)")
    if width == 128:
        return {
            "replacement": f"SLEEF `{sleef}` on float{64 if dbl else 32}x{lanes}_t",
            "kind": "rename",
            "example": f"float{64 if dbl else 32}x{lanes}_t r = {sleef}({args});",
            "alternatives": tuple(alternatives),
        }
    halves = width // 128
    return {
        "replacement": f"{halves} calls of SLEEF `{sleef}` (one per 128-bit part)",
        "kind": "rewrite",
        "example": f"r.val[0] = {sleef}({'x.val[0], y.val[0]' if fn in _TWO_ARG else 'x.val[0]'}); /* and .val[1] */",
        "alternatives": tuple(alternatives),
    }


def _svml_symbol(name: str, fam: Family) -> dict[str, Any]:
    m = re.fullmatch(r"__svml_([a-z]+?)(f?)(\d+)(?:_\w+)?", name)
    if not m or m.group(1) not in _SLEEF_ULP:
        return {}
    fn, single = m.group(1), bool(m.group(2))
    sleef = f"Sleef_{fn}{'f4' if single else 'd2'}_{_SLEEF_ULP[fn]}"
    return {"replacement": f"SLEEF `{sleef}` per 128-bit vector", "example": f"{sleef}(x)"}


_SERVICE = {
    "mkl_malloc": ("`aligned_alloc()` (C11) or `posix_memalign()`", "rename", "p = aligned_alloc(64, size_rounded_to_64);"),
    "mkl_calloc": ("`aligned_alloc()` then `memset()`", "rewrite", "p = aligned_alloc(64, n * size); memset(p, 0, n * size);"),
    "mkl_realloc": ("`realloc()` (alignment is not kept)", "rename", "p = realloc(p, size);"),
    "mkl_free": ("`free()`", "rename", "free(p);"),
    "MKL_malloc": ("`aligned_alloc()` (C11) or `posix_memalign()`", "rename", "p = aligned_alloc(64, size_rounded_to_64);"),
    "MKL_free": ("`free()`", "rename", "free(p);"),
    "mkl_set_num_threads": ("`openblas_set_num_threads()` (OpenBLAS) or `omp_set_num_threads()`", "rename",
                            "openblas_set_num_threads(n);"),
    "mkl_set_num_threads_local": ("`omp_set_num_threads()` in the calling thread", "rename", "omp_set_num_threads(n);"),
    "MKL_Set_Num_Threads": ("`openblas_set_num_threads()` (OpenBLAS) or `omp_set_num_threads()`", "rename",
                            "openblas_set_num_threads(n);"),
    "mkl_domain_set_num_threads": ("`openblas_set_num_threads()`/`omp_set_num_threads()` (no per-domain control)",
                                   "rewrite", "openblas_set_num_threads(n);"),
    "mkl_get_max_threads": ("`openblas_get_num_threads()` (OpenBLAS) or `omp_get_max_threads()`", "rename",
                            "n = openblas_get_num_threads();"),
    "MKL_Get_Max_Threads": ("`openblas_get_num_threads()` (OpenBLAS) or `omp_get_max_threads()`", "rename",
                            "n = openblas_get_num_threads();"),
    "mkl_domain_get_max_threads": ("`openblas_get_num_threads()` or `omp_get_max_threads()`", "rename",
                                   "n = omp_get_max_threads();"),
    "mkl_set_dynamic": ("`omp_set_dynamic()`", "rename", "omp_set_dynamic(0);"),
    "mkl_get_dynamic": ("`omp_get_dynamic()`", "rename", "d = omp_get_dynamic();"),
    "mkl_cbwr_set": ("nothing equivalent: no AArch64 BLAS offers MKL's conditional numerical reproducibility; "
                     "pin the thread count and library version instead", "rewrite", "openblas_set_num_threads(1);"),
    "mkl_cbwr_get": ("nothing equivalent (see mkl_cbwr_set)", "rewrite", "/* remove */"),
    "mkl_cbwr_get_auto_branch": ("nothing equivalent (see mkl_cbwr_set)", "rewrite", "/* remove */"),
    "mkl_enable_instructions": ("delete the call: it selects x86 instruction sets", "rewrite", "/* remove */"),
    "mkl_verbose": ("delete the call (OpenBLAS has no verbose mode; ArmPL and KML have their own tracing)",
                    "rewrite", "/* remove */"),
    "mkl_get_version": ("the replacement library's version query, e.g. `openblas_get_config()`", "rewrite",
                        "puts(openblas_get_config());"),
    "mkl_get_version_string": ("the replacement library's version query, e.g. `openblas_get_config()`", "rewrite",
                               "puts(openblas_get_config());"),
    "MKL_Get_Version_String": ("the replacement library's version query, e.g. `openblas_get_config()`", "rewrite",
                               "puts(openblas_get_config());"),
    "mkl_free_buffers": ("delete the call (OpenBLAS keeps no MKL-style buffer pool)", "rewrite", "/* remove */"),
    "MKL_Free_Buffers": ("delete the call (OpenBLAS keeps no MKL-style buffer pool)", "rewrite", "/* remove */"),
    "mkl_thread_free_buffers": ("delete the call", "rewrite", "/* remove */"),
    "mkl_set_threading_layer": ("choose the threaded build at link time (`libopenblasp`/`-larmpl_mp`)", "rewrite",
                                "/* link -lopenblas built with OpenMP */"),
    "mkl_set_interface_layer": ("choose LP64/ILP64 at link time (OpenBLAS INTERFACE64=1, `-larmpl_ilp64`)",
                                "rewrite", "/* link the ILP64 build */"),
}


def _service(name: str, fam: Family) -> dict[str, Any]:
    entry = _SERVICE.get(name)
    if entry is None:
        return {}
    replacement, kind, example = entry
    return {"replacement": replacement, "kind": kind, "example": example}


def _ipp_rename(prefix: str) -> Callable[[str, Family], dict[str, Any]]:
    def specialise(name: str, fam: Family) -> dict[str, Any]:
        rest = name[4:]
        target = f"{prefix}_{rest}"
        return {"replacement": f"HMPP `{target}` if HMPP provides it (Kunpeng; IPP-like naming)",
                "example": f"{target}(...);"}

    return specialise


def _kmp(name: str, fam: Family) -> dict[str, Any]:
    std = {
        "kmp_set_blocktime": ("the OMP_WAIT_POLICY / GOMP_SPINCOUNT environment variables", "setenv(\"OMP_WAIT_POLICY\", \"passive\", 1);"),
        "kmp_get_blocktime": ("nothing in libgomp (read GOMP_SPINCOUNT if you set it)", "/* remove */"),
        "kmp_set_stacksize": ("the OMP_STACKSIZE environment variable", "setenv(\"OMP_STACKSIZE\", \"16M\", 1);"),
        "kmp_set_stacksize_s": ("the OMP_STACKSIZE environment variable", "setenv(\"OMP_STACKSIZE\", \"16M\", 1);"),
        "kmp_malloc": ("`omp_alloc()` (OpenMP 5) or `malloc()`", "p = omp_alloc(size, omp_default_mem_alloc);"),
        "kmp_aligned_malloc": ("`aligned_alloc()`", "p = aligned_alloc(64, size);"),
        "kmp_calloc": ("`calloc()`", "p = calloc(n, size);"),
        "kmp_realloc": ("`realloc()`", "p = realloc(p, size);"),
        "kmp_free": ("`omp_free()` or `free()` (matching the allocation)", "free(p);"),
    }
    if name.startswith("kmp_") and "affinity" in name:
        return {"alternatives": ("GNU libgomp: OMP_PROC_BIND/OMP_PLACES (or GOMP_CPU_AFFINITY) instead of the "
                                 "kmp affinity-mask API",)}
    entry = std.get(name)
    if entry is None:
        return {}
    return {"alternatives": (f"GNU libgomp: {entry[0]}, e.g. `{entry[1]}`",)}


# -- the table ------------------------------------------------------------------------------------

_VML_FUNCS = (
    "Abs|Acos|Acosh|Acospi|Add|Arg|Asin|Asinh|Asinpi|Atan|Atan2|Atan2pi|Atanh|Atanpi|Cbrt|CdfNorm|CdfNormInv|Ceil|CIS"
    "|Conj|CopySign|Cos|Cosd|Cosh|Cospi|Div|Erf|Erfc|ErfcInv|ErfInv|Exp|Exp10|Exp2|ExpInt1|Expm1|Fdim|Floor|Fmax"
    "|Fmin|Fmod|Frac|Hypot|Inv|InvCbrt|InvSqrt|LGamma|LinearFrac|Ln|Log10|Log1p|Log2|Logb|MaxMag|MinMag|Modf|Mul"
    "|MulByConj|NearbyInt|NextAfter|Pow|Pow2o3|Pow3o2|Powr|Powx|Remainder|Rint|Round|Sin|SinCos|Sind|Sinh|Sinpi"
    "|Sqr|Sqrt|Sub|Tan|Tand|Tanh|Tanpi|TGamma|Trunc"
)
_SVML_FUNCS = (
    "sin|cos|tan|asin|acos|atan|atan2|sinh|cosh|tanh|asinh|acosh|atanh|sincos|sind|cosd|tand|sinpi|cospi|tanpi"
    "|exp|exp2|exp10|expm1|log|log2|log10|log1p|logb|pow|cbrt|invcbrt|invsqrt|hypot|erf|erfc|erfinv|erfcinv"
    "|cdfnorm|cdfnorminv|trunc|svml_floor|svml_ceil|svml_round|svml_sqrt|cexp|clog|csqrt|nearbyint|rint"
)
_KMP_NAMES = (
    "kmp_set_blocktime|kmp_get_blocktime|kmp_set_stacksize|kmp_set_stacksize_s|kmp_get_stacksize|kmp_get_stacksize_s"
    "|kmp_set_library|kmp_get_library|kmp_set_library_serial|kmp_set_library_turnaround|kmp_set_library_throughput"
    "|kmp_set_defaults|kmp_set_disp_num_buffers|kmp_malloc|kmp_aligned_malloc|kmp_calloc|kmp_realloc|kmp_free"
    "|kmp_set_warnings_on|kmp_set_warnings_off|kmp_create_affinity_mask|kmp_destroy_affinity_mask"
    "|kmp_set_affinity|kmp_get_affinity|kmp_get_affinity_max_proc|kmp_set_affinity_mask_proc"
    "|kmp_unset_affinity_mask_proc|kmp_get_affinity_mask_proc|kmp_get_cancellation_status"
)
_CORE_SRC = "shared/reference/kunpeng-tools.md §5-§6"

FAMILIES: tuple[Family, ...] = (
    # -- Intel MKL ------------------------------------------------------------------------------
    Family(
        "mkl-cblas-ext", MKL, "CBLAS (MKL extensions)", "CC504",
        _re(r"cblas_(?:[sdcz]gemm(?:3m)?_batch(?:_strided)?|[sdcz]gemm3m|[sdcz]gemmt|gemm_(?:s8u8s32|s16s16s32"
            r"|bf16bf16f32|f16f16f32|e5m2e5m2f32|e4m3e4m3f32)(?:_compute|_pack(?:_get_size)?)?|[sdh]?gemm_(?:pack"
            r"(?:_get_size)?|compute|alloc|free)|[sdcz](?:trsm|axpy|gemv|copy|dgmm)_batch(?:_strided)?)"),
        "a loop of standard `cblas_?gemm`/`cblas_?axpy` calls (these batched/packed/integer GEMMs are MKL "
        "extensions)", "rewrite", "for (b = 0; b < batch; b++) cblas_dgemm(CblasRowMajor, ...);",
        ("KML_BLAS `cblas_gemm_s8s8s32` for int8 GEMM (signed x signed, not MKL's s8u8)",
         "LIBXSMM or oneDNN, which have AArch64 back-ends, for small/batched GEMM"),
        note="check your CBLAS's header: newer OpenBLAS releases add some batched names", source=_CORE_SRC,
        corroborate=True,
    ),
    Family(
        "mkl-sparse-legacy", MKL, "sparse BLAS (legacy)", "CC504",
        _re(r"mkl_(?:[sdcz](?:csr|csc|coo|bsr|dia|sky)\w+|cspblas_\w+)|cblas_[sdcz](?:axpyi|doti|dotci|dotui"
            r"|dotci_sub|dotui_sub|gthrz?|roti|sctr)"),
        "KML_SPBLAS `kml_sparse_*`/`kml_csparse_*` (Kunpeng; renamed subset, e.g. `mkl_?csrgemv` -> "
        "`kml_sparse_?csrgemv`, `cblas_?dotci` -> `kml_sparse_?dotci_sub`)", "rename",
        "kml_sparse_dcsrgemv(...);",
        ("ArmPL sparse (`armpl_spmat_*` handles; a rewrite)", "Eigen::SparseMatrix or SuiteSparse (a rewrite)"),
        note="only the routines KML_SPBLAS lists map by renaming; the legacy MKL sparse API is deprecated",
        source="hikunpeng HPCKit migration guide (KML_SPBLAS) via " + _CORE_SRC,
    ),
    Family(
        "mkl-solvers", MKL, "sparse solvers (PARDISO/DSS/RCI ISS/FEAST)", "CC504",
        _re(r"pardiso(?:init|_64|_getenv|_setenv|_handle_\w+|_export)?|dss_\w+|d(?:cg|cgmrhs|fgmres)(?:_init|_check"
            r"|_get)?|[sdcz]feast_\w+|mkl_sparse_[sd]_(?:ev|gv|svd)\w*"),
        "KML_SOLVER (`KmlDss*` direct, `KmlIss*` CG/GCR iterative; Kunpeng)", "rewrite",
        "KmlDssInit(&solver, &A, &opt);",
        ("MUMPS, SuperLU or SuiteSparse (UMFPACK/CHOLMOD) for direct solves", "PETSc or Eigen for iterative solves"),
        note="PARDISO's iparm[] settings have no counterpart: re-tune the solver", source=_CORE_SRC, corroborate=True,
    ),
    Family(
        "mkl-sparse-ie", MKL, "sparse BLAS (inspector-executor)", "CC504",
        _re(r"mkl_sparse_\w+"),
        "ArmPL sparse (`armpl_spmat_create_*` handles, `armpl_spmv_exec_*`)", "rewrite",
        "armpl_spmv_exec_d(ARMPL_SPARSE_OPERATION_NOTRANS, alpha, A, x, beta, y);",
        ("Eigen::SparseMatrix", "Ginkgo or librsb"),
        note="handle-based like MKL's API, so the structure carries over; names and enums differ",
        source=_CORE_SRC,
    ),
    Family(
        "mkl-transpose", MKL, "matrix transposition", "CC504",
        _re(r"mkl_[sdcz](?:imatcopy|omatcopy2?|omatadd)(?:_batch(?:_strided)?)?"),
        "OpenBLAS `cblas_?imatcopy`/`cblas_?omatcopy` (CBLAS enums instead of MKL's 'R'/'C', 'N'/'T' chars)",
        "rename", "cblas_domatcopy(CblasRowMajor, CblasTrans, rows, cols, 1.0, a, lda, b, ldb);",
        ("a plain transpose loop",), source=_CORE_SRC,
    ),
    Family(
        "mkl-jit", MKL, "JIT GEMM", "CC504", _re(r"mkl_(?:cblas_)?jit_\w+"),
        "plain `cblas_?gemm`", "rewrite", "cblas_sgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, m, n, k, ...);",
        ("LIBXSMM, which generates small-GEMM kernels for AArch64",), source=_CORE_SRC,
    ),
    Family(
        "mkl-service", MKL, "service functions", "CC504",
        _re(r"mkl_(?:malloc|calloc|realloc|free|set_num_threads(?:_local)?|get_max_threads|set_dynamic|get_dynamic"
            r"|domain_set_num_threads|domain_get_max_threads|cbwr_set|cbwr_get|cbwr_get_auto_branch|verbose"
            r"|enable_instructions|get_version|get_version_string|free_buffers|thread_free_buffers"
            r"|set_threading_layer|set_interface_layer|mem_stat|peak_mem_usage|disable_fast_mm|set_memory_limit)"
            r"|MKL_(?:malloc|free|Set_Num_Threads|Get_Max_Threads|Free_Buffers|Get_Version_String)"),
        "the standard C/OpenMP/OpenBLAS equivalent", "rename", "free(p);",
        ("ArmPL and KML have no MKL service layer: use OpenMP calls for threads",),
        source=_CORE_SRC, specialise=_service,
    ),
    Family(
        "mkl-lapacke-ext", MKL, "LAPACKE (MKL extensions)", "CC504", _re(r"LAPACKE_mkl_\w+"),
        "standard LAPACKE (e.g. `LAPACKE_?getrf` with pivoting)", "rewrite", "LAPACKE_dgetrf(LAPACK_ROW_MAJOR, m, n, a, lda, ipiv);",
        source=_CORE_SRC,
    ),
    Family(
        "mkl-dfti", MKL, "FFT (DFTI)", "CC504", _re(r"Dfti[A-Z]\w*"),
        "the FFTW3 API (FFTW, ArmPL's FFTW3 interface, or KML_FFT through kml_adapter's libfftw3)", "rewrite",
        "fftw_plan p = fftw_plan_dft_1d(n, in, out, FFTW_FORWARD, FFTW_ESTIMATE); fftw_execute(p);",
        ("KML_FFT's own FFTW-style `kml_fft_*` API (Kunpeng)", "PocketFFT or KissFFT (permissive licences)"),
        note="descriptor settings map to plan arguments one to one (precision, domain, lengths, strides, "
             "placement, batch); FFTW itself is GPL",
        source=_CORE_SRC + "; Intel oneMKL FFTW3-interface docs; CMake FindBLAS ArmPL support",
        headers=("mkl_dfti.h",),
    ),
    Family(
        "mkl-vsl-rng", MKL, "VSL random numbers", "CC504",
        _re(r"vsl(?:NewStream(?:Ex)?|[sdi]?NewAbstractStream|DeleteStream|CopyStream(?:State)?|SkipAheadStream(?:Ex)?"
            r"|LeapfrogStream|GetStreamSize|SaveStreamF|LoadStreamF|SaveStreamM|LoadStreamM|GetStreamStateBrng"
            r"|GetNumRegBrngs|GetBrngProperties|RegisterBrng)|v[sdi]Rng[A-Z]\w*"),
        "OpenRNG (open source, in ArmPL since 24.04): the same VSL RNG names; include <openrng.h>", "drop-in",
        "vslNewStream(&stream, VSL_BRNG_MT19937, 777); vdRngGaussian(VSL_RNG_METHOD_GAUSSIAN_ICDF, stream, n, r, 0.0, 1.0);",
        ("C++ <random> or PCG for simple uses (a rewrite)",),
        note="streams are bit-identical only for generators OpenRNG implements the same way; KML has no VSL",
        source="learn.arm.com 'Port an example application that uses Intel VSL' and ArmPL 24.04 release notes",
        headers=("mkl_vsl.h", "mkl_vsl_functions.h"),
    ),
    Family(
        "mkl-vsl-stats", MKL, "VS summary statistics / convolution", "CC504",
        _re(r"vsl[sd]?SS\w+|vsl[sdcz]?(?:Conv|Corr)\w+"),
        "your own code, or GSL statistics and FFT-based convolution", "rewrite",
        "gsl_stats_mean(x, 1, n);", note="OpenRNG covers only the RNG part of VSL", source=_CORE_SRC,
    ),
    Family(
        "mkl-vml-service", MKL, "VML modes and errors", "CC504",
        _re(r"vml(?:Set|Get)(?:Mode|ErrStatus)|vmlClearErrStatus|vml(?:Set|Get|Clear)ErrorCallBack"),
        "per-call accuracy modes (KML_VML `vm?` variants with KML_HA/KML_LA/KML_EP)", "rewrite",
        "vmdexp(n, a, r, KML_HA);", note="there is no global VML mode or error status on AArch64 libraries",
        source=_CORE_SRC,
    ),
    Family(
        "mkl-vml", MKL, "VML", "CC504", _re(rf"vm?[sdcz](?:{_VML_FUNCS})I?"),
        "KML_VML (Kunpeng; lower-case names, same argument order)", "rename", "vdexp(n, a, r);",
        ("a plain loop over <math.h> vectorised by the compiler (GCC with glibc >= 2.38 libmvec and -O3 -ffast-math; "
         "Clang -fveclib=ArmPL or -fveclib=SLEEF)", "SLEEF vector functions in a loop"),
        note="expect last-bit differences from MKL; check that KML_VML has the function",
        source="KML_VML header (kml_vml.h, 2020) as vendored in public repositories; " + _CORE_SRC,
        corroborate=True, headers=("mkl_vml.h", "mkl_vml_functions.h", "mkl_vml_defines.h"), specialise=_vml,
    ),
    Family(
        "mkl-datafitting", MKL, "data fitting", "CC504",
        _re(r"df[sd](?:NewTask1D|EditPPSpline1D|EditPtr|EditIdxPtr|EditTask|QueryPtr|QueryIdxPtr|QueryTask|Construct1D"
            r"|Interpolate1D|InterpolateEx1D|SearchCells1D|SearchCellsEx1D|Integrate1D|IntegrateEx1D)|dfDeleteTask"
            r"|dfi(?:EditVal|QueryVal)"),
        "GSL interpolation (`gsl_spline_*`)", "rewrite", "gsl_spline_init(spline, x, y, n);",
        ("Boost.Math interpolators", "Eigen splines"), source=_CORE_SRC,
    ),
    Family(
        "mkl-pde", MKL, "trigonometric transforms / Poisson solver", "CC504",
        _re(r"[sd]_(?:init|commit|forward|backward)_(?:trig_transform|Helmholtz_[23]D)|free_trig_transform"
            r"|free_Helmholtz_[23]D"),
        "FFTW real-to-real transforms (`fftw_plan_r2r_1d` with FFTW_RODFT00/REDFT10 …)", "rewrite",
        "fftw_plan p = fftw_plan_r2r_1d(n, in, out, FFTW_RODFT00, FFTW_ESTIMATE);", source=_CORE_SRC,
    ),
    Family(
        "mkl-optim", MKL, "nonlinear least squares (TR)", "CC504",
        _re(r"[sd]trnlsp(?:bc)?_(?:init|check|solve|get|delete)|[sd]jacobix?(?:_init|_solve|_delete)?"),
        "Ceres Solver, MINPACK (`lmdif`) or NLopt", "rewrite", "ceres::Solve(options, &problem, &summary);",
        source=_CORE_SRC, corroborate=True,
    ),
    Family(
        "mkl-lapacke", MKL, "LAPACKE", "CC504", _re(r"LAPACKE_\w+"),
        "any LAPACKE: OpenBLAS, ArmPL, KML_LAPACK (same names and arguments; only the header and link line change)",
        "drop-in", "LAPACKE_dgesv(LAPACK_ROW_MAJOR, n, nrhs, a, lda, ipiv, b, ldb);",
        ("reference LAPACK + LAPACKE",),
        note="with MKL's ILP64 interface, link an ILP64 build (OpenBLAS INTERFACE64=1, ArmPL *_ilp64)",
        source="KML_LAPACK migration guide (names/parameters consistent with MKL) via " + _CORE_SRC,
        corroborate=True, headers=("mkl_lapacke.h", "mkl_lapack.h"),
    ),
    Family(
        "mkl-cblas", MKL, "CBLAS", "CC504", _re(r"cblas_\w+"),
        "any CBLAS: OpenBLAS, BLIS, ArmPL, KML_BLAS (same names and arguments; include <cblas.h> and relink)",
        "drop-in", "cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0, a, lda, b, ldb, 0.0, c, ldc);",
        note="with MKL's ILP64 interface (MKL_INT = 64-bit), link an ILP64 build",
        source=_CORE_SRC, corroborate=True, headers=("mkl_cblas.h", "mkl_blas.h"),
    ),
    Family(
        "mkl-other", MKL, "other MKL extensions", "CC504", _re(r"mkl_[a-z]\w*"),
        "no direct equivalent: rewrite with the replacement library's API", "rewrite", "/* see the library docs */",
        source=_CORE_SRC,
    ),
    # -- Intel IPP ------------------------------------------------------------------------------
    Family(
        "ipp-crypto", IPP, "cryptography (ippcp)", "CC505",
        _re(r"ipps(?:AES|SMS4|SM4|TDES|DES|SHA\d*|SM3|MD5|Hash|HMAC|CMAC|RSA|ECC|GFp|BigNum|BN|Mont|PRNG|PrimeGen"
            r"|DLP|DL|ARCFour|Rijndael|XMSS|LMS|Poly1305|ChaCha20|MGF|MAC)\w*|ippcp\w*"),
        "OpenSSL libcrypto (EVP API)", "rewrite",
        "EVP_EncryptInit_ex(ctx, EVP_aes_128_gcm(), NULL, key, iv);",
        ("Kunpeng KAE, an OpenSSL engine/provider using the Kunpeng crypto accelerator",),
        note="IPP Cryptography is x86-only", source=_CORE_SRC, corroborate=True,
        headers=("ippcp.h",),
    ),
    Family(
        "ipp-core", IPP, "core (init, memory, CPU features)", "CC505",
        _re(r"ipp(?:Init|InitCpu|GetLibVersion|GetCpuFeatures|GetEnabledCpuFeatures|SetCpuFeatures|GetCpuType"
            r"|GetStatusString|Malloc|Malloc_L|Free|SetNumThreads|GetNumThreads|SetFlushToZero|SetDenormAreZeros"
            r"|GetMaxCacheSizeB)|ipp[si](?:Malloc|Free)\w*"),
        "`aligned_alloc()`/`free()` for memory; delete CPU-dispatch and init calls", "rewrite",
        "p = aligned_alloc(64, n * sizeof(float));", source=_CORE_SRC, corroborate=True,
        headers=("ippcore.h", "ipp.h", "ipptypes.h", "ippdefs.h", "ippbase.h"),
    ),
    Family(
        "ipp-signal", IPP, "signal processing (ipps)", "CC505", _re(r"ipps[A-Z]\w*"),
        "HMPP `HMPPS_*` (Kunpeng; IPP-like names, e.g. `ippsAdd_16s_I` -> `HMPPS_Add_16s_I`)", "rename",
        "HMPPS_Add_16s_I(src, srcDst, len);",
        ("Ne10 or plain loops the compiler vectorises for NEON", "FFTW/KissFFT for ippsFFT*/ippsDFT*"),
        note="check that HMPP provides the function and compare arguments: status type and spec/buffer-size "
             "patterns differ", source="hikunpeng HMPP manual (function naming) via " + _CORE_SRC,
        corroborate=True, headers=("ipps.h",), specialise=_ipp_rename("HMPPS"),
    ),
    Family(
        "ipp-image", IPP, "image processing (ippi)", "CC505", _re(r"ippi[A-Z]\w*"),
        "HMPP `HMPPI_*` (Kunpeng; IPP-like names)", "rename", "HMPPI_...(...);",
        ("OpenCV, whose image functions have NEON paths", "plain loops the compiler vectorises for NEON"),
        note="check that HMPP provides the function and compare arguments (ROI/step conventions)",
        source="hikunpeng HMPP manual (function naming) via " + _CORE_SRC, corroborate=True,
        headers=("ippi.h",), specialise=_ipp_rename("HMPPI"),
    ),
    Family(
        "ipp-other", IPP, "other domains (ippcc/ippcv/ippdc/ippch/ippvm/ippm/ippr/ippe/ippj)", "CC505",
        _re(r"ipp(?:cc|cv|dc|ch|vm|m|r|e|j|ac|sc|sr|di|vc)[A-Z]\w*"),
        "a per-domain library: OpenCV (ippcc/ippcv), zlib/zstd or ISA-L (ippdc), SLEEF/KML_VML (ippvm)",
        "rewrite", "cv::cvtColor(src, dst, cv::COLOR_BGR2YUV);", source=_CORE_SRC, corroborate=True,
        headers=("ippcc.h", "ippcv.h", "ippdc.h", "ippch.h", "ippvm.h", "ippm.h", "ippr.h", "ippe.h", "ippj.h"),
    ),
    # -- SVML -----------------------------------------------------------------------------------
    Family(
        "svml-intrinsic", SVML, "SVML intrinsics", "CC506",
        _re(rf"_mm(?:256|512)?(?:_maskz?)?_(?:{_SVML_FUNCS})_(?:ps|pd|ph)"
            r"|_mm(?:256|512)?(?:_maskz?)?_(?:div|rem|idiv|irem|udiv|urem|idivrem|udivrem)_(?:epi|epu)(?:8|16|32|64)"),
        "SLEEF vector functions (`Sleef_<fn>d2_u10` / `Sleef_<fn>f4_u10` on NEON types)", "rename",
        "float64x2_t r = Sleef_sind2_u10(x);",
        ("glibc libmvec (AArch64 AdvSIMD since glibc 2.38)", "SIMDe's SVML emulation"),
        note="SVML's default accuracy is not SLEEF's: pick u10 (1 ulp) or u35 explicitly",
        source="SLEEF docs/aarch64.xhtml; glibc sysdeps/aarch64/fpu/Versions; " + _CORE_SRC,
        specialise=_svml_intrinsic,
    ),
    Family(
        "svml-symbol", SVML, "SVML entry points", "CC506", _re(r"__svml_\w+"),
        "SLEEF vector functions (`Sleef_<fn>d2_u10`)", "rewrite", "Sleef_expd2_u10(x)",
        ("glibc libmvec `_ZGVnN2v_<fn>` (glibc >= 2.38)",), source="SLEEF docs/aarch64.xhtml; " + _CORE_SRC,
        specialise=_svml_symbol,
    ),
    # -- Intel OpenMP runtime --------------------------------------------------------------------
    Family(
        "iomp-kmp", IOMP, "kmp_* runtime extensions", "CC507", _re(rf"(?:{_KMP_NAMES})"),
        "LLVM libomp (build with Clang -fopenmp): the open-source Intel runtime keeps the kmp_* extensions",
        "drop-in", "kmp_set_blocktime(0);",
        ("GNU libgomp: the standard omp_* calls and OMP_* environment variables",),
        note="GCC's libgomp declares no kmp_* functions", source=_CORE_SRC, specialise=_kmp,
    ),
    # -- families known by header, link flag or package only --------------------------------------
    Family(
        "libimf", LIBIMF, "Intel math library (libimf/libirc)", "", None,
        "glibc libm (<math.h>)", "drop-in", "#include <math.h>",
        ("SLEEF or Boost.Math for Intel-only functions (cdfnorm, erfinv, invsqrt, sind)", "KML_MATH libkm (Kunpeng)"),
        note="Intel-only functions in mathimf.h are not in glibc", source=_CORE_SRC, headers=("mathimf.h",),
    ),
)

_BY_KEY = {f.key: f for f in FAMILIES}


def family(key: str) -> Family:
    return _BY_KEY[key]


@lru_cache(maxsize=16384)
def lookup(name: str) -> MigrationAdvice | None:
    """The advice for an identifier of an x86 math library, or None when it is not one."""
    fam = lookup_family(name)
    return fam.advice(name) if fam is not None else None


@lru_cache(maxsize=16384)
def lookup_family(name: str) -> Family | None:
    for fam in FAMILIES:
        if fam.names is not None and fam.names.fullmatch(name):
            return fam
    return None


# -- headers ----------------------------------------------------------------------------------------

_HEADER_ADVICE: dict[str, tuple[str, str, str, str]] = {
    # header: (family key, replacement, kind, example)
    "mkl.h": ("mkl-other", "the headers of the replacement libraries (<cblas.h>, <lapacke.h>, <fftw3.h>, "
              "<openrng.h>, …)", "rename", "#include <cblas.h>"),
    "mkl_cblas.h": ("mkl-cblas", "<cblas.h> (OpenBLAS, BLIS, ArmPL) or KML's kblas.h", "rename", "#include <cblas.h>"),
    "mkl_blas.h": ("mkl-cblas", "the Fortran BLAS prototypes of the replacement (e.g. OpenBLAS <f77blas.h>)",
                   "rename", "#include <f77blas.h>"),
    "mkl_lapacke.h": ("mkl-lapacke", "<lapacke.h>", "rename", "#include <lapacke.h>"),
    "mkl_lapack.h": ("mkl-lapacke", "the replacement's Fortran LAPACK prototypes (<lapack.h>)", "rename",
                     "#include <lapack.h>"),
    "mkl_dfti.h": ("mkl-dfti", "<fftw3.h>", "rewrite", "#include <fftw3.h>"),
    "mkl_vsl.h": ("mkl-vsl-rng", "<openrng.h>", "rename", "#include <openrng.h>"),
    "mkl_vsl_functions.h": ("mkl-vsl-rng", "<openrng.h>", "rename", "#include <openrng.h>"),
    "mkl_vml.h": ("mkl-vml", "KML_VML's header (Kunpeng) or <math.h> loops", "rename", "#include <math.h>"),
    "mkl_vml_functions.h": ("mkl-vml", "KML_VML's header (Kunpeng) or <math.h> loops", "rename", "#include <math.h>"),
    "mkl_spblas.h": ("mkl-sparse-ie", "the replacement's sparse header (ArmPL <armpl.h>, KML_SPBLAS)", "rewrite",
                     "#include <armpl.h>"),
    "mkl_pardiso.h": ("mkl-solvers", "the replacement solver's header (KML_SOLVER, MUMPS, SuiteSparse)", "rewrite",
                      "#include <umfpack.h>"),
    "mkl_dss.h": ("mkl-solvers", "the replacement solver's header", "rewrite", "#include <umfpack.h>"),
    "mkl_rci.h": ("mkl-solvers", "the replacement solver's header", "rewrite", "#include <umfpack.h>"),
    "mkl_service.h": ("mkl-service", "<stdlib.h> and <omp.h> (see the service calls)", "rename", "#include <omp.h>"),
    "mkl_trans.h": ("mkl-transpose", "<cblas.h> (OpenBLAS `cblas_?omatcopy`)", "rename", "#include <cblas.h>"),
    "mkl_df.h": ("mkl-datafitting", "<gsl/gsl_spline.h>", "rewrite", "#include <gsl/gsl_spline.h>"),
    "mkl_trig_transforms.h": ("mkl-pde", "<fftw3.h>", "rewrite", "#include <fftw3.h>"),
    "mkl_poisson.h": ("mkl-pde", "<fftw3.h>", "rewrite", "#include <fftw3.h>"),
    "mkl_types.h": ("mkl-other", "the replacement's integer type (`blasint` in OpenBLAS, `armpl_int_t`)",
                    "rename", "#include <cblas.h>"),
    "mathimf.h": ("libimf", "<math.h>", "drop-in", "#include <math.h>"),
    "ippcp.h": ("ipp-crypto", "<openssl/evp.h>", "rewrite", "#include <openssl/evp.h>"),
    "ipps.h": ("ipp-signal", "HMPP's signal header (Kunpeng)", "rename", "/* HMPP header */"),
    "ippi.h": ("ipp-image", "HMPP's image header (Kunpeng)", "rename", "/* HMPP header */"),
}
_MKL_HEADER = re.compile(r"mkl(?:_\w+)?\.h")
_IPP_HEADER = re.compile(r"ipp(?:s|i|cp|cc|cv|dc|ch|vm|m|r|e|j|core|types|defs|base|_\w+)?\.h")


def lookup_header(header: str) -> MigrationAdvice | None:
    """Advice for an `#include` of an Intel math-library header (`mkl_vml.h`, `ipp.h`,
    `ipp/ipps.h`, `mathimf.h`), or None. Headers under other directories (`cups/ipp.h`) are
    not IPP's."""
    path = header.strip().strip("<>\"").strip()
    directory, _, base = path.rpartition("/")
    entry = _HEADER_ADVICE.get(base)
    if base.startswith("ipp") and directory not in ("", "ipp", "ippcp"):
        return None
    if entry is None:
        if _MKL_HEADER.fullmatch(base):
            entry = ("mkl-other", "the headers of the replacement libraries", "rename", "#include <cblas.h>")
        elif _IPP_HEADER.fullmatch(base):
            entry = ("ipp-core", "HMPP's headers (Kunpeng) or the per-domain replacement", "rewrite", "/* HMPP header */")
        else:
            return None
    key, replacement, kind, example = entry
    fam = _BY_KEY[key]
    return MigrationAdvice(
        library=fam.library, family="headers", call=base, replacement=replacement, kind=kind, example=example,
        alternatives=fam.alternatives, note=fam.note, source=fam.source,
        group="include the replacement libraries' headers instead",
    )


# -- link libraries ---------------------------------------------------------------------------------

_LINK: tuple[tuple[re.Pattern, str, str, str, str], ...] = (
    # (library name pattern, family key, replacement, kind, example link line)
    (_re(r"mkl_(?:rt|core|sequential|intel_thread|gnu_thread|tbb_thread|pgi_thread|intel_lp64|intel_ilp64|gf_lp64"
         r"|gf_ilp64|def|avx\w*|mc3?|vml_\w+|intel)"),
     "mkl-cblas", "OpenBLAS, BLIS, ArmPL or KML_BLAS/KML_LAPACK", "drop-in", "-lopenblas"),
    (_re(r"mkl_(?:scalapack_\w+|blacs_\w+|cdft_core)"), "mkl-other",
     "Netlib ScaLAPACK with the target's MPI (or KML_SCALAPACK)", "drop-in", "-lscalapack-openmpi"),
    (_re(r"mkl\w*"), "mkl-other", "the replacement library's link line", "drop-in", "-lopenblas"),
    (_re(r"iomp5(?:md)?"), "iomp-kmp", "GNU libgomp (-fopenmp) or LLVM libomp", "drop-in", "-fopenmp"),
    (_re(r"ippcp\w*"), "ipp-crypto", "OpenSSL libcrypto", "rewrite", "-lcrypto"),
    (_re(r"ipp\w*"), "ipp-signal", "HMPP (Kunpeng) or the per-domain replacement", "rewrite", "/* HMPP libraries */"),
    (_re(r"svml"), "svml-symbol", "SLEEF (-lsleef) or glibc libmvec (-lmvec, glibc >= 2.38)", "rewrite", "-lsleef"),
    (_re(r"imf|irc|intlc|irng|cilkrts"), "libimf", "glibc libm (-lm)", "drop-in", "-lm"),
)


def lookup_link_library(name: str) -> MigrationAdvice | None:
    """Advice for linking an Intel math/runtime library: `mkl_rt`, `-lmkl_core`,
    `libmkl_intel_lp64.so`, `iomp5`, `ippcore`, `svml`, `imf`; None for anything else."""
    lib = name.strip()
    if lib.startswith("-l"):
        lib = lib[2:]
    lib = re.sub(r"^lib", "", lib.rsplit("/", 1)[-1])
    lib = re.sub(r"\.(?:so(?:\.\d+)*|a|lib|dll|dylib)$", "", lib)
    for pattern, key, replacement, kind, example in _LINK:
        if pattern.fullmatch(lib):
            fam = _BY_KEY[key]
            return MigrationAdvice(
                library=fam.library, family="link library", call=lib, replacement=replacement, kind=kind,
                example=example, note="Intel's libraries have no AArch64 build", source=fam.source,
                group="link the replacement libraries instead",
            )
    return None


# -- Python / conda packages ----------------------------------------------------------------------

_PYTHON: dict[str, tuple[str, str, str, str, str]] = {
    # normalised name: (library, replacement, kind, example, note)
    "mkl": (MKL, "remove it: NumPy/SciPy wheels for aarch64 bundle OpenBLAS", "drop-in", "numpy>=1.21.1",
            "no aarch64 wheel on PyPI"),
    "mkl-devel": (MKL, "remove it (build against OpenBLAS: `libopenblas-dev`, `scipy-openblas32`)", "drop-in",
                  "scipy-openblas32", "no aarch64 build"),
    "mkl-include": (MKL, "remove it (build against OpenBLAS headers)", "drop-in", "scipy-openblas32", "no aarch64 build"),
    "mkl-static": (MKL, "remove it (link OpenBLAS)", "drop-in", "scipy-openblas32", "no aarch64 build"),
    "mkl-service": (MKL, "threadpoolctl (`threadpool_limits(n)`) instead of `mkl.set_num_threads(n)`", "rewrite",
                    "with threadpool_limits(limits=4): ...", "no aarch64 wheel on PyPI"),
    "mkl-fft": (MKL, "numpy.fft or scipy.fft (same function names for the common calls)", "rename",
                "scipy.fft.fft(x)", "no aarch64 wheel on PyPI"),
    "mkl-random": (MKL, "numpy.random.Generator", "rewrite", "rng = numpy.random.default_rng(seed)",
                   "no aarch64 build"),
    "mkl-umath": (MKL, "NumPy's own ufuncs", "drop-in", "numpy.exp(x)", "no aarch64 build"),
    "intel-openmp": (IOMP, "remove it: wheels bring their own OpenMP runtime (libgomp)", "drop-in", "",
                     "no aarch64 wheel on PyPI"),
    "intel-cmplr-lib-rt": (LIBIMF, "remove it (glibc libm and libgomp)", "drop-in", "", "no aarch64 build"),
    "daal": ("Intel oneDAL", "stock scikit-learn", "rewrite", "scikit-learn", "no aarch64 build"),
    "daal4py": ("Intel oneDAL", "stock scikit-learn", "rewrite", "scikit-learn", "no aarch64 build"),
    "scikit-learn-intelex": ("Intel oneDAL", "stock scikit-learn (drop `patch_sklearn()`)", "rewrite",
                             "scikit-learn", "no aarch64 wheel on PyPI"),
    "intel-numpy": (MKL, "numpy (aarch64 wheels use OpenBLAS)", "drop-in", "numpy", "no aarch64 build"),
    "intel-scipy": (MKL, "scipy (aarch64 wheels use OpenBLAS)", "drop-in", "scipy", "no aarch64 build"),
    "ipp": (IPP, "remove it (HMPP on Kunpeng, or OpenCV/NumPy for the Python-level work)", "rewrite", "",
            "no aarch64 build"),
    "ipp-devel": (IPP, "remove it", "rewrite", "", "no aarch64 build"),
}


def normalise_package(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name.strip()).lower()


def lookup_python_package(name: str) -> MigrationAdvice | None:
    """Advice for a pip/conda dependency on an Intel math package (`mkl`, `mkl-service`,
    `mkl_fft`, `intel-openmp`, `daal4py`, `scikit-learn-intelex` …), or None."""
    entry = _PYTHON.get(normalise_package(name))
    if entry is None:
        return None
    library, replacement, kind, example, note = entry
    return MigrationAdvice(
        library=library, family="Python/conda package", call=normalise_package(name), replacement=replacement,
        kind=kind, example=example or "(delete the line)", note=note,
        group="drop the package (aarch64 NumPy/SciPy wheels bundle OpenBLAS) or use the named replacement",
        source="pip download --platform manylinux2014_aarch64 (no wheel for mkl, mkl-fft, intel-openmp, "
               "scikit-learn-intelex); " + _CORE_SRC,
    )


def python_package_names() -> tuple[str, ...]:
    return tuple(_PYTHON)


# -- the migration plan -----------------------------------------------------------------------------


@dataclass
class PlanGroup:
    library: str
    family: str
    replacement: str
    kinds: list[str]
    sites: int
    files: int
    calls: list[str]


def migration_plan(findings: Any) -> list[PlanGroup]:
    """Findings with a `properties["migration"]` dict, grouped by library and family (each
    family with its family-level replacement), largest libraries first."""
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    for f in findings:
        m = (f.properties or {}).get("migration")
        if not isinstance(m, dict) or not m.get("library"):
            continue
        key = (str(m["library"]), str(m.get("family") or ""))
        g = groups.setdefault(key, {"replacement": str(m.get("group") or m.get("replacement") or ""),
                                    "kinds": [], "sites": 0, "files": set(), "calls": []})
        g["sites"] += 1
        g["files"].add(f.path)
        kind = str(m.get("kind") or "")
        if kind and kind not in g["kinds"]:
            g["kinds"].append(kind)
        call = str(m.get("call") or "")
        if call and call not in g["calls"]:
            g["calls"].append(call)
    per_library: dict[str, int] = {}
    for (library, _), g in groups.items():
        per_library[library] = per_library.get(library, 0) + g["sites"]
    out = [
        PlanGroup(library, family, g["replacement"], sorted(g["kinds"], key=lambda k: KINDS.index(k) if k in KINDS else len(KINDS)), g["sites"], len(g["files"]),
                  g["calls"])
        for (library, family), g in groups.items()
    ]
    out.sort(key=lambda p: (-per_library[p.library], p.library, -p.sites, p.family))
    return out
