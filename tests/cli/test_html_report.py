"""The HTML report as text: self-contained, escaped, complete, and of a sane size on empty,
huge and oddly named trees. (tests/cli/test_html_browser.py opens it in Chromium.)"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path

import pytest

from archport.model import Confidence, Finding, Impact, Severity
from archport.report import html as html_report
from archport.report.model import Report

from .helpers import run

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "pixelpipe"


def scan_html(tree: Path, out: Path, *args: str) -> str:
    proc = run("scan", str(tree), "--format", "html", "-o", str(out), "--no-progress", *args)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode in (0, 1), proc.stderr
    return out.read_text(encoding="utf-8")


def scan_json(tree: Path, out: Path) -> dict:
    proc = run("scan", str(tree), "--format", "json", "-o", str(out), "--no-progress")
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(out.read_text(encoding="utf-8"))


def intrinsic_tree(root: Path, files: int, calls: int) -> Path:
    """`files` C files with `calls` x86 intrinsic calls each (one CC401 finding per call)."""
    body = "".join(f"    a = _mm_add_ps(a, _mm_set1_ps({i}.0f));\n" for i in range(calls))
    for i in range(files):
        path = root / f"d{i % 7}" / f"kernel_{i}.c"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            "#include <stddef.h>\n"
            f"float k{i}(const float *p) {{\n    __m128 a = _mm_loadu_ps(p);\n{body}"
            "    return _mm_cvtss_f32(a);\n}\n",
            encoding="utf-8",
        )
    return root


def external_references(page: str) -> list[str]:
    """Everything in the page that would make a browser fetch something: src/href/action
    attributes, CSS url()/@import, other than in-page anchors, data: URLs and the
    documentation's plain <a href> links (which load nothing until clicked)."""
    bad = []
    for m in re.finditer(r"<(\w+)\b[^>]*?\s(src|href|action|srcset|poster|data)\s*=\s*\"([^\"]*)\"", page):
        tag, attr, value = m.group(1).lower(), m.group(2).lower(), m.group(3)
        if attr == "data" and tag != "object":
            continue
        if value.startswith(("#", "data:")):
            continue
        if tag == "a" and attr == "href":
            continue
        bad.append(m.group(0))
    bad += re.findall(r"url\(\s*['\"]?(?!data:)[^)]*\)", page)
    bad += re.findall(r"@import", page)
    return bad


@pytest.fixture(scope="module")
def example_html(tmp_path_factory) -> str:
    out = tmp_path_factory.mktemp("html") / "report.html"
    return scan_html(EXAMPLE, out)


def test_example_page_is_self_contained(example_html):
    assert example_html.startswith("<!DOCTYPE html>")
    assert external_references(example_html) == []
    # no scheme-relative or absolute URL outside the rule docs (whose references are text
    # and links that load nothing)
    outside_docs = re.sub(r"<dialog\b.*?</dialog>", "", example_html, flags=re.DOTALL)
    assert not re.search(r"(?:https?:)?//[\w.-]+\.\w{2,}/", outside_docs)
    # the script may run only because its hash is in the CSP; nothing else can load
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', example_html).group(1)
    assert "default-src 'none'" in csp
    scripts = re.findall(r"<script>(.*?)</script>", example_html, re.DOTALL)
    assert len(scripts) == 1
    digest = base64.b64encode(hashlib.sha256(scripts[0].encode()).digest()).decode()
    assert f"'sha256-{digest}'" in csp


def test_example_page_has_every_part(example_html, tmp_path):
    report = scan_json(EXAMPLE, tmp_path / "r.json")
    active = [f for f in report["findings"] if f["suppressed"] is None]
    assert example_html.count("<tr data-index=") == len(report["findings"])
    for section in ("overview", "effort", "findings", "rules", "migration"):
        assert f'<section id="{section}">' in example_html
    # charts: inline SVG, one per overview dimension
    assert example_html.count('<svg class="chart') == 3
    for impact in {f["impact"] for f in active}:
        assert f"bar-{impact}" in example_html
    # readiness and effort cards carry the model's numbers
    effort = report["summary"]["effort"]
    card = re.search(r'id="card-effort">(.*?)</div>\s*</div>', example_html, re.DOTALL).group(1)
    assert f'<div class="big">{effort["person_days"]}</div>' in card
    assert f'{effort["person_days_low"]}–{effort["person_days_high"]}' in card
    assert f'rule of thumb: {effort["rule_of_thumb"]["person_days"]} person-days' in card
    assert re.search(r'id="card-readiness">\s*<div class="big">\d+%</div>', example_html)
    # one documentation dialog per rule with findings, rendered from its docstring
    codes = sorted({f["code"] for f in report["findings"]})
    assert re.findall(r'<dialog id="doc-(\w+)"', example_html) == codes
    assert "<h2>What it does</h2>" in example_html
    # code frames: highlighted source lines, shipped once per file
    assert 'data-frame="' in example_html
    assert re.search(r'<template id="src-0"><span data-n="\d+">.*?<span class="\w+">', example_html)
    # no math-library rule fires on the example: the plan says so
    assert "No x86 math-library calls found" in example_html


def test_untrusted_text_is_escaped(tmp_path):
    evil = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">'
    f = Finding(
        code="CC401", name="x86-intrinsic-call", severity=Severity.ERROR, impact=Impact.BUILD_BREAK,
        confidence=Confidence.HIGH, path='dir/"><svg onload=alert(1)>.c', line=1, column=1, end_line=1,
        end_column=2, start_byte=0, end_byte=1, message=evil, help=evil,
        properties={"migration": {"library": evil, "replacement": evil, "kind": "rename", "call": evil}},
    )
    page = html_report.render(Report(root=str(tmp_path), findings=[f], files_scanned=1))
    assert "<script>window.__pwned" not in page
    assert "<img src=x" not in page and "<svg onload" not in page
    assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in page
    assert len(re.findall(r"<script>", page)) == 1  # only our own


def test_backtick_spans_become_code_after_escaping():
    assert str(html_report.ticks("use `a<b>` & `c`")) == "use <code>a&lt;b&gt;</code> &amp; <code>c</code>"


def test_migration_plan_groups_library_replacement_sites():
    def use(path, line, call, library, family, replacement, kind, group=None, note=""):
        migration = {"library": library, "family": family, "call": call, "replacement": replacement, "kind": kind}
        if group:
            migration["group"] = group
        if note:
            migration["note"] = note
        return Finding(
            code="CC504", name="intel-mkl-call", severity=Severity.ERROR, impact=Impact.BUILD_BREAK,
            confidence=Confidence.HIGH, path=path, line=line, column=1, end_line=line, end_column=2,
            start_byte=0, end_byte=1, message="m", help="h",
            properties={"call": call, "library": library, "migration": migration},
        )

    blas = "any CBLAS: OpenBLAS, BLIS, ArmPL, KML_BLAS"
    findings = [
        use("b.c", 9, "vdExp", "Intel MKL", "VML", "KML_VML `vdexp`", "rename", group="KML_VML", note="last-bit <diffs>"),
        use("a.c", 3, "vdExp", "Intel MKL", "VML", "KML_VML `vdexp`", "rename", group="KML_VML"),
        use("a.c", 4, "vsAdd", "Intel MKL", "VML", "KML_VML `vsadd`", "rename", group="KML_VML"),
        use("a.c", 5, "cblas_dgemm", "Intel MKL", "CBLAS", blas, "drop-in"),
        use("c.c", 1, "ippsAdd_32f", "Intel IPP", "signal", "HMPP HMPPS_Add_32f", "rewrite"),
    ]
    plan = html_report.migration_plan(findings)
    assert [lib["library"] for lib in plan] == ["Intel IPP", "Intel MKL"]
    mkl = plan[1]
    assert mkl["sites"] == 4
    # grouped by family-level replacement (group, else replacement), then by call
    assert [(g["family"], g["replacement"], g["kinds"]) for g in mkl["groups"]] == [
        ("CBLAS", blas, ["drop-in"]), ("VML", "KML_VML", ["rename"])]
    vml = mkl["groups"][1]
    assert (vml["sites"], vml["files"]) == (3, 2)
    assert [c["call"] for c in vml["calls"]] == ["vdExp", "vsAdd"]
    assert [(s["path"], s["line"]) for s in vml["calls"][0]["sites"]] == [("a.c", 3), ("b.c", 9)]
    assert vml["calls"][0]["replacement"] == "KML_VML `vdexp`" and vml["calls"][0]["note"] == "last-bit <diffs>"

    page = html_report.render(Report(root=".", findings=findings, files_scanned=3))
    assert "No x86 math-library calls found" not in page
    assert "Intel MKL" in page and "(4 uses)" in page and "KML_VML <code>vdexp</code>" in page
    assert "last-bit &lt;diffs&gt;" in page


def test_migration_plan_from_the_math_library_rules(tmp_path):
    """The contract holds with the real rules: an MKL call lands in the plan."""
    from archport.registry import default_registry

    if default_registry().get("CC504") is None:
        pytest.skip("no MKL call rule (CC504) in this build")
    tree = tmp_path / "mkl"
    tree.mkdir()
    (tree / "gemm.c").write_text(
        "#include <mkl.h>\nvoid g(int n, const double *a, const double *b, double *c) {\n"
        "    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0, a, n, b, n, 0.0, c, n);\n}\n",
        encoding="utf-8",
    )
    page = scan_html(tree, tmp_path / "mkl.html")
    assert 'id="no-math-calls"' not in page
    section = page[page.index('<section id="migration">'):]
    assert "Intel MKL" in section and "<code>cblas_dgemm</code>" in section and "gemm.c:3" in section


def test_empty_tree(tmp_path):
    tree = tmp_path / "empty"
    tree.mkdir()
    page = scan_html(tree, tmp_path / "e.html")
    assert 'id="no-findings"' in page and "No x86 math-library calls found" in page
    assert "<tr data-index=" not in page
    assert '<div class="big">0</div>' in page
    assert external_references(page) == []


def test_thousands_of_findings_stay_a_reasonable_size(tmp_path):
    tree = intrinsic_tree(tmp_path / "big", files=30, calls=50)  # 2 findings per call line
    page = scan_html(tree, tmp_path / "big.html")
    rows = page.count("<tr data-index=")
    assert rows >= 3000
    size = len(page.encode())
    # each row is under 1 kB; code frames are capped by html.MAX_FRAME_LINES distinct lines
    assert size < 1000 * rows + 1_500_000, size
    assert page.count('data-frame="') <= rows
    shipped_lines = len(re.findall(r'<span data-n="', page))
    assert 0 < shipped_lines <= html_report.MAX_FRAME_LINES
    # the directory chart keeps to the top N
    assert "Findings by directory" in page


def test_odd_paths(tmp_path):
    tree = tmp_path / "odd tree"
    for rel in ("with space/ünïcödé файл.c", "we<ird>&'\"/x.c", "日本/カーネル.cpp"):
        path = tree / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("#include <immintrin.h>\nint f(void) { return 0; }\n", encoding="utf-8")
    page = scan_html(tree, tmp_path / "odd.html")
    assert page.count("<tr data-index=") == 3
    assert "with space/ünïcödé файл.c" in page and "日本/カーネル.cpp" in page
    assert "we&lt;ird&gt;&amp;&#39;&#34;/x.c" in page
    assert "we<ird>" not in page
    assert page.count('data-frame="') == 3  # frames read from paths with spaces and unicode
