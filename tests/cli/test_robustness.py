"""Bad input must become entries in the report's `errors`, never a traceback, a hang or a
crash: invalid UTF-8, binary files, huge files, symlink loops, broken links, FIFOs,
unreadable files, empty files and a minified one-line file."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from archport.fingerprint import with_fingerprints
from archport.model import Confidence, Finding, Impact, Severity
from archport.source import SourceFile

from .helpers import run

TIMEOUT = 180  # seconds; generous for a slow, busy CI machine, far below "hung"
ONE_LINE_REPEAT = " x = _mm_add_ps(x, y);"
X86_INCLUDE = "#include <immintrin.h>\nint f(void) { return 0; }\n"
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def build_hostile_tree(root: Path, padding: int = 0, long_line: bool = True) -> dict[str, str]:
    """Writes the tree; returns {relative path: expected error stage} for the problem files."""
    root.mkdir(parents=True, exist_ok=True)
    expected: dict[str, str] = {}

    (root / "good.c").write_text(X86_INCLUDE)
    (root / "good_portable.cpp").write_text("#include <cstdio>\nint main() { std::puts(\"ok\"); }\n")
    for i in range(padding):
        (root / "pad" / f"p{i:03d}.c").parent.mkdir(exist_ok=True)
        (root / "pad" / f"p{i:03d}.c").write_text(f"int pad{i}(void) {{ return {i}; }}\n")

    # invalid UTF-8 (a Latin-1 é) in a file that also has a finding: reported, and still scanned
    (root / "latin1.c").write_bytes(b"/* caf\xe9 au lait */\n#include <immintrin.h>\nint g(void);\n")
    expected["latin1.c"] = "decode"

    # a binary file that claims to be C
    (root / "x.c").write_bytes(b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 8 + b"#include <immintrin.h>\n")
    expected["x.c"] = "decode"

    # 50 MB of C: over the default 10 MiB limit
    with open(root / "huge.c", "wb") as fh:
        block = b"#include <immintrin.h>\nstatic int filler_array[] = {1, 2, 3, 4, 5, 6, 7, 8};\n" * 1000
        written = 0
        while written < 50 * 1024 * 1024:
            fh.write(block)
            written += len(block)
    expected["huge.c"] = "read"

    # a symlink loop: a.c -> b.c -> a.c
    os.symlink("b.c", root / "a.c")
    os.symlink("a.c", root / "b.c")
    expected["a.c"] = "read"
    expected["b.c"] = "read"

    # a broken symlink
    os.symlink("does-not-exist.c", root / "dangling.c")
    expected["dangling.c"] = "read"

    # a directory symlink that points back up (never followed, not an error)
    (root / "sub").mkdir()
    (root / "sub" / "inner.c").write_text(X86_INCLUDE)
    os.symlink("..", root / "sub" / "up.c")

    # a FIFO: opening it for reading would block forever
    os.mkfifo(root / "pipe.c")
    expected["pipe.c"] = "read"

    # unreadable (root can still read it: then it is an ordinary good file)
    locked = root / "locked.c"
    locked.write_text(X86_INCLUDE)
    locked.chmod(0)
    if not os.access(locked, os.R_OK):
        expected["locked.c"] = "read"

    (root / "empty.c").write_bytes(b"")

    # one 1 MB line, minified style, full of intrinsic calls (tens of thousands of findings)
    if long_line:
        line = "void kernel(void){" + ONE_LINE_REPEAT * (1024 * 1024 // len(ONE_LINE_REPEAT)) + "}"
        (root / "oneline.c").write_text(line)
    return expected


def check_report(report: dict, expected: dict[str, str], padding: int = 0, long_line: bool = True) -> None:
    errors = report["errors"]
    by_path: dict[str, list[dict]] = {}
    for e in errors:
        by_path.setdefault(e["path"], []).append(e)
    assert set(by_path) == set(expected), json.dumps(errors, indent=1)
    for path, stage in expected.items():
        assert len(by_path[path]) == 1, by_path[path]
        assert by_path[path][0]["stage"] == stage, by_path[path]
        assert by_path[path][0]["message"]

    flagged = {f["path"] for f in report["findings"]}
    # the good files are still scanned and reported, also the one with a decode problem
    assert {"good.c", "latin1.c", "sub/inner.c"} <= flagged
    assert not flagged & {"x.c", "huge.c", "a.c", "b.c", "dangling.c", "pipe.c", "empty.c", "good_portable.cpp"}
    if "locked.c" not in expected:
        assert "locked.c" in flagged
    assert not any(p.startswith("sub/up.c/") for p in flagged), "a directory symlink was followed"
    latin1 = [f for f in report["findings"] if f["path"] == "latin1.c" and f["code"] == "CC403"]
    assert latin1 and latin1[0]["line"] == 2

    scanned_at_least = {"good.c", "good_portable.cpp", "latin1.c", "sub/inner.c", "empty.c"}
    if long_line:
        scanned_at_least.add("oneline.c")
    if "locked.c" not in expected:
        scanned_at_least.add("locked.c")
    assert report["summary"]["files_scanned"] >= len(scanned_at_least) + padding


@pytest.fixture
def hostile(tmp_path):
    root = tmp_path / "tree"
    try:
        expected = build_hostile_tree(root, long_line=False)
        yield root, expected
    finally:
        (root / "locked.c").chmod(0o644)


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_hostile_tree_json(tmp_path, jobs):
    root = tmp_path / "tree"
    # with 60 padding files the tree is above the in-process threshold: worker processes run;
    # the 1 MB line is scanned once (jobs=1), it is the slow part
    padding = 60 if jobs == "2" else 0
    long_line = jobs == "1"
    expected = build_hostile_tree(root, padding=padding, long_line=long_line)
    out = tmp_path / "report.json"
    try:
        started = time.monotonic()
        proc = run("scan", str(root), "--format", "json", "-o", str(out), "--jobs", jobs, "--no-progress", timeout=TIMEOUT)
        elapsed = time.monotonic() - started
    finally:
        (root / "locked.c").chmod(0o644)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode in (0, 1), proc.stderr
    assert proc.returncode == 1  # good.c has a finding
    assert elapsed < TIMEOUT
    report = json.loads(out.read_text())
    check_report(report, expected, padding, long_line)
    if long_line and any(f["code"] == "CC401" for f in report["findings"]):
        assert sum(1 for f in report["findings"] if f["path"] == "oneline.c") > 40_000


def test_hostile_tree_text_output(hostile):
    root, expected = hostile
    proc = run("scan", str(root), "--no-progress")
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 1
    for path in expected:
        assert path in proc.stdout, f"error for {path} not shown"


@pytest.mark.skipif(IS_ROOT, reason="root can read a chmod 000 file")
def test_unreadable_file_is_an_error(tmp_path):
    root = tmp_path / "tree"
    root.mkdir()
    secret = root / "secret.c"
    secret.write_text(X86_INCLUDE)
    secret.chmod(0)
    try:
        proc = run("scan", str(root), "--format", "json")
    finally:
        secret.chmod(0o644)
    report = json.loads(proc.stdout)
    assert [(e["path"], e["stage"]) for e in report["errors"]] == [("secret.c", "read")]


def test_unreadable_file_as_root_is_scanned(tmp_path):
    if not IS_ROOT:
        pytest.skip("only meaningful as root")
    root = tmp_path / "tree"
    root.mkdir()
    secret = root / "secret.c"
    secret.write_text(X86_INCLUDE)
    secret.chmod(0)
    try:
        proc = run("scan", str(root), "--format", "json")
    finally:
        secret.chmod(0o644)
    report = json.loads(proc.stdout)
    assert report["errors"] == []
    assert [f["path"] for f in report["findings"]] == ["secret.c"]


def test_fifo_given_as_the_scan_path_does_not_hang(tmp_path):
    fifo = tmp_path / "pipe.c"
    os.mkfifo(fifo)
    proc = run("scan", str(fifo), "--format", "json", timeout=60)
    assert "Traceback" not in proc.stderr
    assert proc.returncode in (0, 1, 2)


def test_max_file_size_option(tmp_path):
    root = tmp_path / "tree"
    root.mkdir()
    (root / "big.c").write_text(X86_INCLUDE + "/* padding */\n" * 100_000)  # ~1.4 MB
    proc = run("scan", str(root), "--format", "json", "--max-file-size", "1")
    report = json.loads(proc.stdout)
    assert [(e["path"], e["stage"]) for e in report["errors"]] == [("big.c", "read")]
    assert report["findings"] == []
    proc = run("scan", str(root), "--format", "json", "--max-file-size", "2")
    report = json.loads(proc.stdout)
    assert report["errors"] == [] and [f["path"] for f in report["findings"]] == ["big.c"]


# -- many findings on one very long line --------------------------------------------------------------


def _finding(line: int, column: int, code: str = "CC401") -> Finding:
    return Finding(
        code=code, name="x86-intrinsic-call", severity=Severity.ERROR, impact=Impact.BUILD_BREAK,
        confidence=Confidence.HIGH, path="min.c", line=line, column=column, end_line=line,
        end_column=column + 10, start_byte=column - 1, end_byte=column + 9, message="m", help="h",
    )


def test_fingerprints_take_linear_time_on_one_long_line():
    """1,000 findings on one 1 MB line: the work per finding must not be proportional to the
    line length. Normalising or hashing the whole line once per finding costs ~5 ms each
    (~5 s here, and minutes for the 45,000 findings of a minified file); once per line, ~50 ms."""
    text = "void k(void){" + ONE_LINE_REPEAT * (1024 * 1024 // len(ONE_LINE_REPEAT)) + "}\n"
    source = SourceFile("min.c", "c", text)
    findings = [_finding(1, 20 + 22 * i) for i in range(1000)]
    started = time.perf_counter()
    out = with_fingerprints(findings, source)
    elapsed = time.perf_counter() - started
    assert len({f.fingerprint for f in out}) == 1000
    assert elapsed < 1.0, f"{elapsed:.1f} s for 1,000 fingerprints on one line"


def test_fingerprints_ignore_line_shifts_and_whitespace():
    a = SourceFile("f.c", "c", "int a;\n  x = _mm_add_ps(a, b);\n")
    b = SourceFile("f.c", "c", "int a;\n\n\nx  =  _mm_add_ps(a,  b);\n")
    fa = with_fingerprints([_finding(2, 7)], a)[0].fingerprint
    fb = with_fingerprints([_finding(4, 6)], b)[0].fingerprint
    assert fa == fb


def test_text_output_of_a_long_line_stays_small(tmp_path):
    """Code frames of findings on a minified line must not print the whole line each time."""
    root = tmp_path / "tree"
    root.mkdir()
    (root / "min.c").write_text("#include <immintrin.h>\nvoid k(void){" + ONE_LINE_REPEAT * 1000 + "}\n")
    proc = run("scan", str(root), "--no-progress", timeout=120)
    assert "Traceback" not in proc.stderr
    assert proc.returncode == 1
    n_findings = proc.stdout.count("min.c:")
    # about 1 KB per finding is plenty; printing the 22 KB line for each finding is not
    assert len(proc.stdout) < 4096 * max(n_findings, 1), (n_findings, len(proc.stdout))


def test_malformed_manifests_and_pipelines_are_parse_errors(tmp_path):
    """A broken manifest or CI file is one `parse` error each; the rest of the tree is
    still scanned and reported."""
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / ".github" / "workflows" / "ci.yml").write_text("jobs:\n  a: [\n   runs-on: ubuntu\n")
    (tmp_path / "package.json").write_text('{"dependencies": ')
    (tmp_path / "pyproject.toml").write_text("[project\nname=\n")
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "deploy.yaml").write_text("image: {{ .Values.image }}:amd64\n  bad: [\n")
    (tmp_path / "Dockerfile").write_text("FROM --platform=linux/amd64 ubuntu:22.04\n")
    import archport

    report = archport.scan(tmp_path, jobs=1)
    errors = sorted((e.path, e.stage) for e in report.errors)
    assert errors == [(".github/workflows/ci.yml", "parse"), ("package.json", "parse"), ("pyproject.toml", "parse")]
    messages = {e.path: e.message for e in report.errors}
    assert "line 4" in messages[".github/workflows/ci.yml"] and "<unicode string>" not in messages[".github/workflows/ci.yml"]
    assert [f.code for f in report.active] == ["CT701"]
