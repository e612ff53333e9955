"""End to end: `archport scan --format sarif|csv|gitlab` and `archport report REPORT.json`
(re-rendering a saved report), on the bundled example and on trees written by each test:
empty, thousands of findings, odd file names, and bad report files."""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

import pytest

from archport.report.formats import FORMATS

from ..unit.test_report_formats import github_required_fields, validate_sarif
from .helpers import run

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "pixelpipe"
X86_INCLUDE = "#include <immintrin.h>\nint f(void) { return 0; }\n"
SUPPRESSED = "#include <immintrin.h> // archport: ignore[CC403]\n"


@pytest.fixture(scope="module")
def example_json(tmp_path_factory) -> Path:
    """The bundled example's JSON report, scanned once for this module."""
    out = tmp_path_factory.mktemp("example") / "pixelpipe.json"
    scan_to(EXAMPLE, "json", out)
    return out


def report_cmd(capsys, *args: str) -> tuple[int, str, str]:
    """`archport report ARGS` in this process (through the same entry point as the command):
    exit status, stdout, stderr."""
    from archport.cli import main

    capsys.readouterr()
    with pytest.raises(SystemExit) as exc:
        main(["report", *args])
    out, err = capsys.readouterr()
    return exc.value.code, out, err


def scan_to(tree: Path, fmt: str, out: Path, *args: str):
    proc = run("scan", str(tree), "--format", fmt, "-o", str(out), "--no-progress", *args)
    assert "Traceback" not in proc.stderr and proc.returncode in (0, 1), proc.stderr
    return proc


def odd_tree(root: Path) -> dict[str, str]:
    names = {
        "spaces": "dir with spaces/file name.c",
        "unicode": "ünïcödé/日本語 ファイル.c",
        "punct": "a,b/\"q\" 'x' #1 %20 ?:.c",
        "long": "deep/" + "n" * 240 + ".c",
    }
    for rel in names.values():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(X86_INCLUDE, encoding="utf-8")
    bad = os.fsencode(root) + b"/latin1-caf\xe9.c"  # a name that is not valid UTF-8
    with open(bad, "w") as fh:
        fh.write(X86_INCLUDE)
    return names


# -- the bundled example ----------------------------------------------------------------------------------


def test_bundled_example_sarif(tmp_path, example_json, capsys):
    out = tmp_path / "pixelpipe.sarif"
    proc = scan_to(EXAMPLE, "sarif", out)
    assert proc.returncode == 1
    doc = json.loads(out.read_text(encoding="utf-8"))
    validate_sarif(doc)
    github_required_fields(doc)
    run_ = doc["runs"][0]
    report = json.loads(example_json.read_text(encoding="utf-8"))
    # the saved JSON re-rendered as SARIF is what the scan wrote
    again = json.loads(report_cmd(capsys, str(example_json), "--format", "sarif")[1])
    assert again["runs"][0]["results"] == run_["results"]
    assert [r["id"] for r in again["runs"][0]["tool"]["driver"]["rules"]] == [r["id"] for r in run_["tool"]["driver"]["rules"]]
    assert len(run_["results"]) == len(report["findings"])
    assert {r["ruleId"] for r in run_["results"]} == {f["code"] for f in report["findings"]}
    assert [r["id"] for r in run_["tool"]["driver"]["rules"]][: len(report["rules"])] == report["rules"]
    assert run_["originalUriBaseIds"]["%SRCROOT%"]["uri"] == EXAMPLE.resolve().as_uri() + "/"
    for result in run_["results"]:
        uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert (EXAMPLE / uri).is_file(), uri  # ASCII names: the URI is the relative path


def scan_json(tree: Path, out: Path, *args: str) -> tuple[object, dict]:
    proc = scan_to(tree, "json", out, *args)
    return proc, json.loads(out.read_text(encoding="utf-8"))


# -- archport report -------------------------------------------------------------------------------------------


def test_report_json_round_trips_the_scan_exactly(tmp_path):
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "a.c").write_text(X86_INCLUDE)
    (tree / "s.c").write_text(SUPPRESSED)
    (tree / "bin.c").write_bytes(b"\x7fELF\x00\x00" * 100)  # a scan error
    odd_tree(tree)
    saved = tmp_path / "scan.json"
    scan_to(tree, "json", saved)
    data = json.loads(saved.read_text(encoding="utf-8"))
    assert data["errors"] and any(f["suppressed"] for f in data["findings"])
    again = tmp_path / "again.json"
    proc = run("report", str(saved), "--format", "json", "-o", str(again))
    assert proc.returncode == 0, proc.stderr
    assert again.read_bytes() == saved.read_bytes()


def test_report_json_of_the_example_round_trips(example_json, capsys):
    code, out, err = report_cmd(capsys, str(example_json), "--format", "json")
    assert code == 0 and out == example_json.read_text(encoding="utf-8"), err


def test_report_renders_every_format(tmp_path, example_json, capsys):
    n = len(json.loads(example_json.read_text(encoding="utf-8"))["findings"])
    for fmt in FORMATS:
        code, out, err = report_cmd(capsys, str(example_json), "--format", fmt)
        assert code == 0 and out and not err, (fmt, err)
    code, _, _ = report_cmd(capsys, str(example_json), "--format", "csv", "-o", str(tmp_path / "r.csv"), "--show-suppressed")
    assert code == 0
    assert len(list(csv.DictReader(io.StringIO((tmp_path / "r.csv").read_text(encoding="utf-8"), newline="")))) == n


def test_report_fail_on(tmp_path, example_json, capsys):
    assert report_cmd(capsys, str(example_json), "-o", str(tmp_path / "x.txt"))[0] == 0  # default: never
    assert report_cmd(capsys, str(example_json), "--fail-on", "error", "--format", "csv")[0] == 1
    empty = tmp_path / "empty"
    empty.mkdir()
    saved = tmp_path / "empty.json"
    scan_to(empty, "json", saved)
    assert report_cmd(capsys, str(saved), "--fail-on", "info")[0] == 0


def test_report_text_shows_code_frames_only_while_the_files_exist(tmp_path, capsys):
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "a.c").write_text(X86_INCLUDE)
    saved = tmp_path / "scan.json"
    scan_to(tree, "json", saved)
    code, out, _ = report_cmd(capsys, str(saved))
    assert "a.c:1:10: CC403" in out and "1 | #include <immintrin.h>" in out
    (tree / "a.c").unlink()
    code, out, err = report_cmd(capsys, str(saved))
    assert code == 0, err
    assert "a.c:1:10: CC403" in out and "#include <immintrin.h>" not in out




BAD_REPORTS = {
    "missing": None,
    "not-json": b"{\"schema\": \"archport-report/1\",",
    "not-utf8": b"\xff\xfe\x00garbage",
    "array": b"[1, 2, 3]",
    "no-schema": b"{\"findings\": []}",
    "wrong-schema": "schema",
    "bad-line": "line",
    "bad-code": "code",
    "missing-summary": "summary",
    "directory": "dir",
}


@pytest.mark.parametrize("case", BAD_REPORTS)
def test_report_bad_input_is_one_line_and_exit_2(tmp_path, case, example_json, capsys):
    path = tmp_path / "report.json"
    content = BAD_REPORTS[case]
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content == "dir":
        path.mkdir()
    elif content is not None:
        data = json.loads(example_json.read_text(encoding="utf-8"))
        if content == "schema":
            data["schema"] = "archport-report/9"
        elif content == "line":
            data["findings"][0]["line"] = 0
        elif content == "code":
            data["findings"][0]["code"] = "not a code"
        elif content == "summary":
            del data["summary"]
        path.write_text(json.dumps(data))
    code, out, err = report_cmd(capsys, str(path), "--format", "sarif")
    assert code == 2, (out, err)
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("archport: error: ") and "Traceback" not in err
    assert str(path) in lines[0]
    expected_words = {
        "missing": "cannot read", "not-json": "not valid JSON", "not-utf8": "not UTF-8", "array": "not an archport",
        "no-schema": "not an archport", "wrong-schema": "archport-report/9", "bad-line": "line",
        "bad-code": "code", "missing-summary": "summary", "directory": "cannot read",
    }
    assert expected_words[case] in lines[0]


# -- robustness: empty, thousands of findings, odd names --------------------------------------------------------

FORMATS_HERE = ("sarif", "csv", "gitlab")


def check_output(fmt: str, text: str, n_active: int, n_all: int, validate: bool = True) -> None:
    if fmt == "sarif":
        doc = json.loads(text)
        github_required_fields(doc)
        assert len(doc["runs"][0]["results"]) == n_all
        if validate:
            # the schema check costs about 1 ms per result; results are alike, so 500 of them
            # (with every rule and notification) show as much as all of them
            doc["runs"][0]["results"] = doc["runs"][0]["results"][:500]
            validate_sarif(doc)
    elif fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(text, newline="")))
        assert len(rows) == n_active
    elif fmt == "gitlab":
        issues = json.loads(text)
        assert len(issues) == n_active and len({i["fingerprint"] for i in issues}) == n_active


@pytest.mark.parametrize("fmt", FORMATS_HERE)
def test_empty_tree(tmp_path, fmt):
    tree = tmp_path / "empty"
    tree.mkdir()
    out = tmp_path / f"out.{fmt}"
    assert scan_to(tree, fmt, out).returncode == 0
    check_output(fmt, out.read_text(encoding="utf-8"), 0, 0)


def test_thousands_of_findings(tmp_path, capsys):
    tree = tmp_path / "big"
    tree.mkdir()
    body = "".join("    a = _mm_add_ps(a, b);\n" for _ in range(3000))
    (tree / "big.c").write_text("#include <immintrin.h>\n__m128 f(__m128 a, __m128 b) {\n" + body + "    return a;\n}\n")
    proc, data = scan_json(tree, tmp_path / "big.json", "--jobs", "1")
    n = len(data["findings"])
    assert n >= 3000
    from archport.report.command import load_report
    from archport.report.formats import render

    report = load_report(str(tmp_path / "big.json"))
    for fmt in FORMATS_HERE:
        check_output(fmt, render(report, fmt), n, n, validate=False)
    out = tmp_path / "big.sarif"  # and once through the command
    assert report_cmd(capsys, str(tmp_path / "big.json"), "--format", "sarif", "-o", str(out))[0] == 0
    check_output("sarif", out.read_text(encoding="utf-8"), n, n)


def test_odd_file_names(tmp_path):
    tree = tmp_path / "odd tree ü"
    tree.mkdir()
    names = odd_tree(tree)
    (tree / "s.c").write_text(SUPPRESSED)
    _, data = scan_json(tree, tmp_path / "odd.json")
    paths = {f["path"] for f in data["findings"]}
    assert set(names.values()) <= paths and "latin1-caf\udce9.c" in paths
    n_active = sum(1 for f in data["findings"] if f["suppressed"] is None)
    from archport.report.command import load_report
    from archport.report.formats import render

    report = load_report(str(tmp_path / "odd.json"))
    scan_to(tree, "sarif", tmp_path / "odd.sarif")  # once straight from the scan
    for fmt in FORMATS_HERE:
        text = render(report, fmt)
        if fmt == "sarif":
            direct = json.loads((tmp_path / "odd.sarif").read_text(encoding="utf-8"))
            assert json.loads(text)["runs"][0]["results"] == direct["runs"][0]["results"]
        check_output(fmt, text, n_active, len(data["findings"]))
        for rel in names.values():
            if fmt == "sarif":
                from archport.report.sarif import artifact_uri

                assert f'"{artifact_uri(rel)}"' in text
            elif fmt == "csv":
                assert rel in {r["path"] for r in csv.DictReader(io.StringIO(text, newline=""))}
            else:
                assert rel in {i["location"]["path"] for i in json.loads(text)}
    sarif_text = (tmp_path / "odd.sarif").read_text(encoding="utf-8")
    assert '"latin1-caf%E9.c"' in sarif_text  # the file's real bytes, percent-encoded
