"""The x86 math-library migration table (archport.mathlibs), the properties contract the rules
fill from it, the severity policy of the math-library rules, and the terminal migration plan."""

from __future__ import annotations

import json

import pytest
from rich.console import Console

import archport
from archport import mathlibs
from archport.report import json as json_report
from archport.report import terminal

CONTRACT_KEYS = {"library", "family", "call", "replacement", "alternatives", "kind", "example", "group"}


@pytest.mark.parametrize(
    "name,library,kind,needle",
    [
        ("cblas_dgemm", mathlibs.MKL, "drop-in", "OpenBLAS"),
        ("LAPACKE_dgesv", mathlibs.MKL, "drop-in", "KML_LAPACK"),
        ("cblas_sgemm_batch", mathlibs.MKL, "rewrite", "cblas_?gemm"),
        ("cblas_gemm_s8u8s32", mathlibs.MKL, "rewrite", "cblas_?gemm"),
        ("vdExp", mathlibs.MKL, "rename", "`vdexp`"),
        ("vmsLn", mathlibs.MKL, "rename", "`vmsln`"),
        ("vdExpI", mathlibs.MKL, "rewrite", "loop"),
        ("vslNewStream", mathlibs.MKL, "drop-in", "OpenRNG"),
        ("viRngUniform", mathlibs.MKL, "drop-in", "OpenRNG"),
        ("vsldSSNewTask", mathlibs.MKL, "rewrite", "GSL"),
        ("DftiCreateDescriptor", mathlibs.MKL, "rewrite", "FFTW3"),
        ("mkl_malloc", mathlibs.MKL, "rename", "aligned_alloc"),
        ("mkl_cbwr_set", mathlibs.MKL, "rewrite", "nothing equivalent"),
        ("mkl_dcsrgemv", mathlibs.MKL, "rename", "kml_sparse"),
        ("mkl_sparse_d_mv", mathlibs.MKL, "rewrite", "armpl_spmat"),
        ("pardiso", mathlibs.MKL, "rewrite", "KML_SOLVER"),
        ("ippsAdd_16s_I", mathlibs.IPP, "rename", "HMPPS_Add_16s_I"),
        ("ippiCopy_8u_C1R", mathlibs.IPP, "rename", "HMPPI_Copy_8u_C1R"),
        ("ippsAESInit", mathlibs.IPP, "rewrite", "OpenSSL"),
        ("_mm_sin_pd", mathlibs.SVML, "rename", "Sleef_sind2_u10"),
        ("_mm_exp_ps", mathlibs.SVML, "rename", "Sleef_expf4_u10"),
        ("_mm256_sin_pd", mathlibs.SVML, "rewrite", "2 calls of SLEEF `Sleef_sind2_u10`"),
        ("_mm512_erfc_pd", mathlibs.SVML, "rewrite", "Sleef_erfcd2_u15"),
        ("_mm_div_epi32", mathlibs.SVML, "rewrite", "scalar"),
        ("__svml_exp4", mathlibs.SVML, "rewrite", "Sleef_expd2_u10"),
        ("kmp_set_blocktime", mathlibs.IOMP, "drop-in", "libomp"),
    ],
)
def test_lookup_gives_family_kind_and_replacement(name, library, kind, needle):
    advice = mathlibs.lookup(name)
    assert advice is not None and advice.library == library
    assert advice.kind == kind and needle in advice.replacement
    assert advice.example and advice.call == name


@pytest.mark.parametrize(
    "name", ["_mm_sqrt_pd", "_mm_div_ps", "_mm256_add_pd", "kmp_search", "vsadd", "openblas_set_num_threads",
             "fftw_plan_dft_1d", "ippAddString", "main"],
)
def test_lookup_ignores_portable_and_foreign_names(name):
    assert mathlibs.lookup(name) is None


def test_advice_contract_is_json_ready():
    props = mathlibs.lookup("_mm_sin_pd").as_properties()
    assert CONTRACT_KEYS <= set(props)
    assert props["kind"] in mathlibs.KINDS
    json.dumps(props)
    assert any("_ZGVnN2v_sin" in a and "2.38" in a for a in props["alternatives"])


def test_every_family_is_consistent():
    for fam in mathlibs.FAMILIES:
        assert fam.kind in mathlibs.KINDS, fam.key
        assert fam.replacement and fam.example and fam.source, fam.key
        assert fam.rule in ("", "CC504", "CC505", "CC506", "CC507"), fam.key


@pytest.mark.parametrize(
    "header,replacement",
    [("mkl_cblas.h", "<cblas.h>"), ("mkl_lapacke.h", "<lapacke.h>"), ("mkl_dfti.h", "<fftw3.h>"),
     ("mkl_vsl.h", "<openrng.h>"), ("mathimf.h", "<math.h>"), ("ipp/ipps.h", "HMPP"), ("mkl_whatever.h", "headers")],
)
def test_lookup_header(header, replacement):
    advice = mathlibs.lookup_header(header)
    assert advice is not None and replacement in advice.replacement


@pytest.mark.parametrize("header", ["cups/ipp.h", "cblas.h", "lapacke.h", "fftw3.h", "math.h"])
def test_lookup_header_ignores_other_headers(header):
    assert mathlibs.lookup_header(header) is None


@pytest.mark.parametrize(
    "name,library", [("-lmkl_rt", mathlibs.MKL), ("libmkl_intel_lp64.so", mathlibs.MKL), ("iomp5", mathlibs.IOMP),
                     ("-lippcore", mathlibs.IPP), ("ippcp", mathlibs.IPP), ("svml", mathlibs.SVML),
                     ("imf", mathlibs.LIBIMF)],
)
def test_lookup_link_library(name, library):
    advice = mathlibs.lookup_link_library(name)
    assert advice is not None and advice.library == library


@pytest.mark.parametrize("name", ["m", "openblas", "tbb", "gomp", "-lpthread"])
def test_lookup_link_library_ignores_others(name):
    assert mathlibs.lookup_link_library(name) is None


def test_lookup_python_package_normalises_names():
    assert mathlibs.lookup_python_package("MKL_Service").call == "mkl-service"
    assert mathlibs.lookup_python_package("mkl.fft").kind == "rename"
    assert mathlibs.lookup_python_package("numpy") is None


_SEVERITY_CASE = """\
#include <mkl.h>
void f(int n, double *a, double *b, double *c) {
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0, a, n, b, n, 0.0, c, n);
    vdExp(n, a, b);
#ifdef USE_MKL
    vdLn(n, a, b);
#else
    for (int i = 0; i < n; i++) b[i] = a[i];
#endif
#if HAVE_MKL
    vdSin(n, a, b);
#endif
}
"""


def test_severity_follows_kind_and_project_switch(tmp_path):
    (tmp_path / "a.c").write_text(_SEVERITY_CASE)
    report = archport.scan(tmp_path, select=["CC504"], jobs=1)
    got = {f.properties["call"]: f for f in report.active}
    assert got["cblas_dgemm"].severity.value == "info"  # drop-in: only the link line changes
    assert got["vdExp"].severity.value == "error"
    assert got["vdLn"].severity.value == "info" and got["vdLn"].properties["switch"] == "USE_MKL"
    assert got["vdSin"].severity.value == "warning" and got["vdSin"].properties["switch"] == "HAVE_MKL"
    assert got["vdExp"].properties["migration"]["call"] == "vdExp"


def test_json_output_carries_the_migration_contract(tmp_path):
    (tmp_path / "a.c").write_text("#include <immintrin.h>\n__m128d f(__m128d x) { return _mm_sin_pd(x); }\n")
    report = archport.scan(tmp_path, select=["CC506"], jobs=1)
    doc = json.loads(json_report.render(report))
    props = doc["findings"][0]["properties"]
    assert props["migration"]["kind"] == "rename"
    assert props["migration"]["example"].startswith("float64x2_t r = Sleef_sind2_u10(")
    assert CONTRACT_KEYS <= set(props["migration"])


def test_terminal_summary_has_the_migration_plan(tmp_path):
    (tmp_path / "a.c").write_text(_SEVERITY_CASE)
    (tmp_path / "b.c").write_text("#include <mkl.h>\nvoid g(int n, double *a) { vdExp(n, a, a); }\n")
    report = archport.scan(tmp_path, select=["CC504", "CC508"], jobs=1)
    console = Console(record=True, width=400, color_system=None)
    terminal.render(report, console, show_frames=False)
    out = console.export_text()
    plan = out[out.index("Math-library migration plan"):]
    assert "Intel MKL" in plan
    assert "VML → KML_VML" in plan and "[rename]: 4 sites in 2 files (vdExp, vdLn, vdSin)" in plan
    assert "CBLAS → any CBLAS" in plan and "[drop-in]: 1 site in 1 file (cblas_dgemm)" in plan
    assert "headers → include the replacement libraries' headers instead [rename]: 2 sites in 2 files" in plan


def test_terminal_summary_has_no_plan_without_math_findings(tmp_path):
    (tmp_path / "a.c").write_text("#include <cblas.h>\nvoid g(void) { cblas_dgemm(0); }\nint x = 1 / 0;\n")
    report = archport.scan(tmp_path, jobs=1)
    console = Console(record=True, width=200, color_system=None)
    terminal.render(report, console, show_frames=False)
    assert "migration plan" not in console.export_text()
