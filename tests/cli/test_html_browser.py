"""The HTML report opened for real in headless Chromium (Debian's `chromium`, driven by
Playwright; no browser download). Screenshots go to $ARCHPORT_TEST_ARTIFACTS, else to
test-artifacts/ in the repository (gitignored).

Locally the tests skip when Chromium or Playwright is missing; in CI (CI set) they fail,
since .ci/run installs both."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from archport.model import Confidence, Finding, Impact, Severity
from archport.report import html as html_report
from archport.report.model import Report

from .helpers import run
from .test_html_report import EXAMPLE, REPO, intrinsic_tree

ARTIFACTS = Path(os.environ.get("ARCHPORT_TEST_ARTIFACTS") or REPO / "test-artifacts")


def _chromium() -> str | None:
    for name in (os.environ.get("ARCHPORT_CHROMIUM"), "chromium", "chromium-browser"):
        if name and shutil.which(name):
            return shutil.which(name)
    return None


def _unavailable(why: str):
    if os.environ.get("CI"):
        pytest.fail(f"{why} (CI installs it: see .ci/run and the test extra)")
    pytest.skip(why)


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed")
    executable = _chromium()
    if executable is None:
        _unavailable("no chromium executable on PATH")
    with sync_playwright() as p:
        # --no-sandbox: Chromium's sandbox refuses to run as root, which CI is
        b = p.chromium.launch(executable_path=executable, args=["--no-sandbox"], timeout=60_000)
        yield b
        b.close()


class Page:
    """A page with its console messages, page errors and requests recorded."""

    def __init__(self, browser, path: Path):
        self.page = browser.new_page(viewport={"width": 1400, "height": 1000})
        self.console: list[tuple[str, str]] = []
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.failed: list[str] = []
        self.page.on("console", lambda m: self.console.append((m.type, m.text)))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("requestfailed", lambda r: self.failed.append(r.url))
        self.url = path.resolve().as_uri()
        self.page.goto(self.url, wait_until="load")

    def visible_rows(self) -> int:
        """Rows the browser lays out (a hidden row has no client rects)."""
        return self.page.evaluate(
            "Array.from(document.querySelectorAll('#findings-table tbody tr'))"
            ".filter(r => r.getClientRects().length > 0).length")

    def assert_clean(self):
        assert self.errors == []
        assert [m for m in self.console if m[0] in ("error", "warning")] == []
        assert self.failed == []
        assert self.requests == [self.url]  # the page itself, nothing else


def _artifact(name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS / name


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    d = tmp_path_factory.mktemp("browser")
    for fmt, name in (("html", "example.html"), ("json", "example.json")):
        proc = run("scan", str(EXAMPLE), "--format", fmt, "-o", str(d / name), "--no-progress")
        assert proc.returncode in (0, 1), proc.stderr
    return d / "example.html", json.loads((d / "example.json").read_text(encoding="utf-8"))


def test_example_report_in_chromium(browser, example):
    path, report = example
    active = [f for f in report["findings"] if f["suppressed"] is None]
    view = Page(browser, path)
    page = view.page
    view.assert_clean()
    assert page.title() == "archport report: pixelpipe"
    page.screenshot(path=str(_artifact("html-report-example.png")), full_page=False)

    # the table: one visible row per active finding, and the count says so
    assert view.visible_rows() == len(active)
    assert page.inner_text("#shown-count") == f"{len(active)} of {len(active)} shown"

    # typing in the filter hides rows that do not contain the text
    needle = "_mm256_cvtepu8_epi16"
    expected = sum(1 for f in active if needle.lower() in (f["message"] + f["help"] + f["path"]).lower())
    assert 0 < expected < len(active)
    page.fill("#filter-text", needle)
    assert view.visible_rows() == expected
    for text in page.locator("#findings-table tbody tr:visible td.msg").all_inner_texts():
        assert needle in text
    page.fill("#filter-text", "")
    assert view.visible_rows() == len(active)

    # the severity, impact and rule filters
    page.select_option("#filter-severity", "warning")
    assert view.visible_rows() == sum(1 for f in active if f["severity"] == "warning")
    page.select_option("#filter-severity", "")
    page.select_option("#filter-rule", "CC403")
    assert view.visible_rows() == sum(1 for f in active if f["code"] == "CC403")
    page.select_option("#filter-rule", "")
    page.select_option("#filter-impact", "silent-behaviour-change")
    assert view.visible_rows() == sum(1 for f in active if f["impact"] == "silent-behaviour-change")
    page.select_option("#filter-impact", "")

    # sorting by location, both ways
    def locations():
        return page.eval_on_selector_all(
            "#findings-table tbody tr:not([hidden])", "rs => rs.map(r => [r.dataset.path, Number(r.dataset.line)])")

    initial = [tuple(x) for x in locations()]  # most severe first
    page.click('th[data-sort="location"] button')
    assert page.get_attribute('th[data-sort="location"]', "aria-sort") == "ascending"
    ascending = [tuple(x) for x in locations()]
    assert ascending == sorted(ascending)
    assert ascending != initial  # the order really changed
    page.click('th[data-sort="location"] button')
    descending = [tuple(x) for x in locations()]
    assert [p for p, _ in descending] == sorted((p for p, _ in ascending), reverse=True)
    page.click('th[data-sort="severity"] button')
    ranks = page.eval_on_selector_all("#findings-table tbody tr", "rs => rs.map(r => Number(r.dataset.rank))")
    assert ranks == sorted(ranks)

    # a rule's documentation is one click away
    page.click('#findings-table tbody tr:visible button.rule[data-doc="CC401"] >> nth=0')
    dialog = page.locator("#doc-CC401")
    assert dialog.is_visible()
    assert "What it does" in dialog.inner_text() and "Why is this a problem on ARM64?" in dialog.inner_text()
    page.screenshot(path=str(_artifact("html-report-rule-doc.png")))
    dialog.locator("[data-close]").click()
    assert not dialog.is_visible()

    # a code frame opens with the finding's line marked and highlighted
    row = page.locator('#findings-table tbody tr[data-rule="CC401"]').first
    row.locator("details.frame summary").click()
    frame = row.locator("pre.code")
    assert frame.is_visible()
    line = row.get_attribute("data-line")
    hit = frame.locator(".ln.hit").first
    assert hit.locator(".no").inner_text().strip() == line
    assert hit.locator("span[class]").count() > 1  # Pygments token classes
    row.scroll_into_view_if_needed()
    page.screenshot(path=str(_artifact("html-report-frame.png")))

    view.assert_clean()
    assert (ARTIFACTS / "html-report-example.png").stat().st_size > 10_000
    view.page.close()


def test_injected_markup_does_not_run(browser, tmp_path):
    evil = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">'
    finding = Finding(
        code="CC401", name="x86-intrinsic-call", severity=Severity.ERROR, impact=Impact.BUILD_BREAK,
        confidence=Confidence.HIGH, path="<img src=y onerror='window.__pwned=3'>.c", line=1, column=1,
        end_line=1, end_column=2, start_byte=0, end_byte=1, message=evil, help=evil,
    )
    path = tmp_path / "evil.html"
    path.write_text(html_report.render(Report(root=str(tmp_path), findings=[finding], files_scanned=1)), encoding="utf-8")
    view = Page(browser, path)
    assert view.page.evaluate("window.__pwned") is None
    assert evil in view.page.inner_text("#findings-table tbody td.msg .text")
    view.assert_clean()
    view.page.close()


def test_thousands_of_findings_filter_in_chromium(browser, tmp_path):
    tree = intrinsic_tree(tmp_path / "big", files=30, calls=50)
    out = tmp_path / "big.html"
    proc = run("scan", str(tree), "--format", "html", "-o", str(out), "--no-progress")
    assert proc.returncode == 1, proc.stderr
    rows = out.read_text(encoding="utf-8").count("<tr data-index=")
    assert rows >= 3000
    view = Page(browser, out)
    page = view.page
    # only the first page of rows is laid out; the count and the button say so
    assert view.visible_rows() == html_report.PAGE_SIZE
    assert page.inner_text("#shown-count") == f"first {html_report.PAGE_SIZE} of {rows} matching shown"
    assert page.is_visible("#show-all")
    # a filter searches all rows, not only the shown ones
    page.fill("#filter-text", "kernel_27.c")
    in_file = view.visible_rows()
    assert 0 < in_file < html_report.PAGE_SIZE
    assert page.inner_text("#shown-count") == f"{in_file} of {rows} shown"
    assert set(page.eval_on_selector_all(
        "#findings-table tbody tr:not([hidden])", "rs => rs.map(r => r.dataset.path)")) == {"d6/kernel_27.c"}
    assert not page.is_visible("#show-all")
    page.fill("#filter-text", "")
    page.click("#show-all")
    assert view.visible_rows() == rows
    page.click('th[data-sort="message"] button')
    assert view.visible_rows() == rows
    view.assert_clean()
    view.page.screenshot(path=str(_artifact("html-report-3000.png")))
    view.page.close()


def test_empty_report_in_chromium(browser, tmp_path):
    tree = tmp_path / "empty"
    tree.mkdir()
    out = tmp_path / "empty.html"
    proc = run("scan", str(tree), "--format", "html", "-o", str(out), "--no-progress")
    assert proc.returncode == 0, proc.stderr
    view = Page(browser, out)
    assert view.visible_rows() == 0
    assert view.page.is_visible("#no-math-calls")
    view.assert_clean()
    view.page.close()
