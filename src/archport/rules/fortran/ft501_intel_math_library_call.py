from __future__ import annotations

import re
from functools import lru_cache

from archport import mathlibs
from archport.model import Confidence, Impact, Severity
from archport.rule import Rule
from archport.rules.fortran._fortran import bind_c_names, compiled, defined_routines, in_interface

#: `use mkl_service`, `use mkl_dfti`, `use mkl95_lapack`, `use mkl_vsl_type` …
_USE_MKL = re.compile(r"^[ \t\d]*use\b[ \t]*(?:,[ \t]*(?:non_)?intrinsic[ \t]*)?(?:::)?[ \t]*(mkl\w*)\b", re.I | re.M)
#: `include 'mkl_vsl.f90'`, `#include "mkl_dfti.f90"`, `include 'mkl.fi'`
_INCLUDE_MKL = re.compile(r"^[ \t]*#?[ \t]*include[ \t]*(['\"<])((?:[^'\">\n]*/)?mkl\w*\.(?:f90|fi|f|h))['\">]", re.I | re.M)
#: identifiers that may be Fortran-callable MKL routines; archport.mathlibs decides
_CANDIDATE = re.compile(
    r"(?<![\w%])(?:mkl_\w+|dfti\w+|vsl\w+|vm?[sdcz][a-z]\w*|v[sdi]rng\w+|pardiso\w*|dss_\w+|[sdcz]gemm(?:3m|t|_batch\w*)"
    r"|[sd]trnlsp\w*|df[sd]\w+)\b",
    re.I,
)
#: MKL Fortran BLAS extensions, looked up under their CBLAS names
_BLAS_EXT = re.compile(r"[sdcz]gemm(?:3m|t|3m_batch|_batch(?:_strided)?)", re.I)
_FORTRAN_FAMILIES = frozenset({
    "mkl-sparse-legacy", "mkl-solvers", "mkl-sparse-ie", "mkl-transpose", "mkl-service", "mkl-dfti", "mkl-vsl-rng",
    "mkl-vsl-stats", "mkl-vml-service", "mkl-vml", "mkl-datafitting", "mkl-optim", "mkl-other",
})
_MKL_ONLY = re.compile(r"(?<![\w%])(?:mkl_\w+|dfti_\w+|vsl_\w+|dfti(?:create|commit|compute|free|set|get)\w*|vslnewstream\w*)\b", re.I)
_TYPE_DECL = re.compile(
    r"^[ \t\d]*(?:integer|real|logical|complex|character|double[ \t]*precision|type[ \t]*\(|external|intrinsic"
    r"|procedure|subroutine|function|end\b|module|interface|public|private)",
    re.I,
)


@lru_cache(maxsize=4096)
def fortran_lookup(name: str) -> tuple[mathlibs.MigrationAdvice, bool] | None:
    """(advice, corroborate) for a Fortran-callable MKL routine written in any case, or None.
    Fortran names are case-insensitive, the table's are C's, so the name is tried as written,
    in lower case, and against each family's pattern ignoring case."""
    if _BLAS_EXT.fullmatch(name):
        fam = mathlibs.lookup_family("cblas_" + name.lower())
        return (fam.advice(name.lower()), True) if fam is not None else None
    for candidate in (name, name.lower()):
        fam = mathlibs.lookup_family(candidate)
        if fam is not None and fam.key in _FORTRAN_FAMILIES:
            return fam.advice(candidate), fam.corroborate
    for fam in mathlibs.FAMILIES:
        if fam.key in _FORTRAN_FAMILIES and fam.names is not None and _insensitive(fam.key).fullmatch(name):
            return fam.advice(name), fam.corroborate
    return None


@lru_cache(maxsize=64)
def _insensitive(key: str) -> re.Pattern:
    return re.compile(mathlibs.family(key).names.pattern, re.I)


def _uses_mkl(ctx) -> bool:
    cache = ctx.cache.setdefault("_fortran", {})
    if "uses_mkl" not in cache:
        masked = ctx.masked
        cache["uses_mkl"] = any(
            compiled(ctx, m.start())
            for pattern in (_USE_MKL, _MKL_ONLY)
            for m in pattern.finditer(masked)
        ) or any(
            compiled(ctx, m.start(2))
            for m in _INCLUDE_MKL.finditer(ctx.text)
            if masked[m.start() + m.group(0).lower().index("include")] != " "
        )
    return cache["uses_mkl"]


class IntelMathLibraryCall(Rule):
    """Fortran use of Intel MKL (modules, includes, calls) or a binding to an MKL, IPP or SVML symbol.

    ## What it does
    Checks for Intel oneMKL in Fortran sources: `USE` of MKL modules (`mkl_service`, `mkl_dfti`,
    `mkl_vsl`, `mkl95_*`), `INCLUDE` of MKL's Fortran interface files (`mkl_vml.f90`,
    `mkl_service.fi`), and calls of MKL-only routines, written in any case: Vector Math
    (`vdexp`), VSL random numbers and statistics (`vslnewstream`, `vdrnggaussian`), the DFTI
    FFT (`DftiCreateDescriptor`), sparse BLAS and PARDISO, service routines
    (`mkl_set_num_threads`) and MKL's BLAS extensions (`dgemm_batch`, `dgemmt`). It also checks
    `BIND(C, NAME="...")` interfaces to MKL, IPP or SVML C symbols. Standard BLAS and LAPACK
    calls (`call dgemm`) are portable and never reported; the short VML, solver and BLAS
    extension names only in files that otherwise use MKL. Each finding carries the AArch64
    replacement from archport's math-library table in `properties["migration"]`.

    ## Why is this a problem on ARM64?
    Intel does not ship oneMKL or IPP for AArch64. The AArch64 gfortran stops at `use
    mkl_service` ("Fatal Error: Cannot open module file 'mkl_service.mod' for reading"), and
    every MKL-only routine is an undefined reference at link time. BLAS and LAPACK keep their
    names in OpenBLAS, BLIS, Arm Performance Libraries and KML; the DFTI descriptor model maps
    to the FFTW3 Fortran interface (`include 'fftw3.f03'`); VML, VSL, sparse and service
    routines need a replacement library or OpenMP calls (`omp_set_num_threads` from `omp_lib`).

    ## Example
    ```fortran
    subroutine transform(n, a, r)
      use mkl_service
      integer :: n
      real(8) :: a(n), r(n)
      call mkl_set_num_threads(4)
      call vdexp(n, a, r)
    end subroutine
    ```

    Use instead:
    ```fortran
    subroutine transform(n, a, r)
      use omp_lib
      integer :: n
      real(8) :: a(n), r(n)
      call omp_set_num_threads(4)
      r = exp(a)
    end subroutine
    ```

    ## Limitations
    Whether a file uses MKL is decided per file; a call in a file that reaches MKL only through
    the link line is reported only for names that are MKL's alone. A project routine named like
    an MKL one and defined in another file is reported. The replacement names come from the
    shared table written for C; where the replacement is a C API (KML_VML, OpenRNG), Fortran
    code calls it through `BIND(C)` interfaces unless the library ships Fortran modules.

    ## References
    - Intel oneMKL Developer Reference for Fortran: https://www.intel.com/content/www/us/en/docs/onemkl/developer-reference-fortran/
    - FFTW3 Fortran interface: https://www.fftw.org/fftw3_doc/Calling-FFTW-from-Modern-Fortran.html
    - OpenBLAS: https://github.com/OpenMathLib/OpenBLAS
    """

    code = "FT501"
    name = "intel-math-library-call"
    summary = "Fortran use of Intel MKL (modules, includes, calls) or a binding to an MKL, IPP or SVML symbol"
    languages = frozenset({"fortran"})
    severity = Severity.ERROR
    impact = Impact.BUILD_BREAK
    confidence = Confidence.HIGH
    tags = ("math-library", "mkl", "fortran", "dependencies")
    effort_minutes = 20
    prefilter = (b"mkl", b"MKL", b"Mkl", b"dfti", b"Dfti", b"DFTI", b"vsl", b"VSL", b"Vsl", b"ipp", b"__svml")

    def check_file(self, ctx):
        masked, text = ctx.masked, ctx.text
        for m in _USE_MKL.finditer(masked):
            if compiled(ctx, m.start(1)):
                module = m.group(1)
                yield self._module_finding(ctx, m.start(1), m.end(1), f"`use {module}`",
                                           f"module file `{module.lower()}.mod`")
        for m in _INCLUDE_MKL.finditer(text):
            keyword = m.start() + m.group(0).lower().index("include")
            if masked[m.start(2) - 1] in "'\"<" and masked[keyword] != " " and compiled(ctx, m.start(2)):
                yield self._module_finding(ctx, m.start(2), m.end(2), f"include of `{m.group(2)}`",
                                           f"MKL interface file `{m.group(2)}`")
        defined = defined_routines(ctx)
        for m in _CANDIDATE.finditer(masked):
            name = m.group(0)
            found = fortran_lookup(name)
            if found is None or name.lower() in defined:
                continue
            advice, corroborate = found
            start = m.start()
            if in_interface(ctx, start) or not _is_reference(masked, start, m.end()):
                continue
            if name.lower() in _variables(ctx):
                continue  # `character(len=200) mkl_string` … `mkl_string(45:50)`: a local variable
            if corroborate and not _uses_mkl(ctx):
                continue
            if not compiled(ctx, start):
                continue
            yield self._call_finding(ctx, start, m.end(), name, advice, corroborate, "call")
        for start, end, name in bind_c_names(ctx):
            advice = mathlibs.lookup(name)
            if advice is None or not compiled(ctx, start):
                continue
            fam = mathlibs.lookup_family(name)
            if fam is not None and fam.corroborate and advice.library == mathlibs.MKL and not _uses_mkl(ctx):
                continue  # `cblas_dgemm`, `LAPACKE_dgesv`: any CBLAS/LAPACKE provides them
            yield self._call_finding(ctx, start, end, name, advice, False, "binding")

    def _module_finding(self, ctx, start, end, what, missing):
        return ctx.finding(
            self, start, end,
            f"{what}: Intel MKL has no AArch64 build, so the {missing} does not exist there and the AArch64 "
            "build stops here",
            "remove it and use the replacement's interfaces: standard BLAS/LAPACK calls need no module (link "
            "OpenBLAS, BLIS, ArmPL or KML), DFTI becomes the FFTW3 interface (`include 'fftw3.f03'`), thread "
            "control `use omp_lib`",
            properties={"module": what, "library": mathlibs.MKL},
        )

    def _call_finding(self, ctx, start, end, name, advice, corroborated, what):
        label = f"`{name}` ({advice.library} {advice.family})"
        if what == "binding":
            label = f"this interface binds to {label}"
        props = {"call" if what == "call" else "symbol": name, "library": advice.library,
                 "migration": advice.as_properties()}
        if advice.kind == "drop-in":
            message = (f"{label}: {advice.library} has no AArch64 build, but an AArch64 library keeps the routine "
                       "names (check that it has a Fortran interface, or call its C API through BIND(C))")
            severity = Severity.INFO
        else:
            message = (f"{label}: {advice.library} has no AArch64 build, so this is an undefined reference there; "
                       f"migration is a {advice.kind}")
            severity = self.severity
        return ctx.finding(self, start, end, message, advice.help_text(), properties=props, severity=severity,
                           confidence=Confidence.MEDIUM if corroborated else None)


_DECL_STMT = re.compile(
    r"^[ \t\d]*(?:integer|real|logical|complex|character|double[ \t]*precision|type[ \t]*\()[^\n]*", re.I | re.M
)
_EXTERNAL = re.compile(r"^[ \t\d]*external\b[^\n]*|\bexternal\b[^\n]*::[^\n]*", re.I | re.M)


def _variables(ctx) -> set[str]:
    """Lower-case names the file declares with a type and never as EXTERNAL or with CALL:
    variables (a typed function name also needs EXTERNAL in old code, or is called)."""
    cache = ctx.cache.setdefault("_fortran", {})
    if "variables" not in cache:
        masked = ctx.masked
        typed = {w.lower() for m in _DECL_STMT.finditer(masked) for w in re.findall(r"\b(?:mkl|dfti|vsl|pardiso)\w*", m.group(0), re.I)}
        external = {w.lower() for m in _EXTERNAL.finditer(masked) for w in re.findall(r"\b\w+\b", m.group(0))}
        called = {w.lower() for w in re.findall(r"(?i)\bcall[ \t]+(\w+)", masked)}
        cache["variables"] = typed - external - called
    return cache["variables"]


def _is_reference(masked: str, start: int, end: int) -> bool:
    """`call name(...)` or `name(` inside an executable statement (not a declaration)."""
    line_start = masked.rfind("\n", 0, start) + 1
    head = masked[line_start:start]
    if re.search(r"(?i)\bcall[ \t]+$", head):
        return True
    if not re.match(r"[ \t]*\(", masked[end : end + 40]):
        return False
    return not _TYPE_DECL.match(masked, line_start) and "::" not in masked[line_start:start]
