"""`archport baseline` and `scan --baseline`: after a baseline, only new findings count, however
the old ones moved (inserted lines, reordered functions, reindentation, renamed files)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from archport.baseline import SCHEMA_ID

from .helpers import run as run_subprocess
from .inprocess import run_inprocess as run

# a.c: three hazards in three functions (CC403 include, CC407 __rdtsc, CC408 _mm_pause)
HEADER = "#include <immintrin.h>\n#include <stdint.h>\n\n"
TICKS = "uint64_t ticks(void)\n{\n    return __rdtsc();\n}\n\n"
SPIN = "void spin(void)\n{\n    _mm_pause();\n}\n\n"
FENCE = 'void fence(void)\n{\n    __asm__ volatile("mfence" ::: "memory");\n}\n\n'
NEW_HAZARD = 'void lfence(void)\n{\n    __asm__ volatile("lfence" ::: "memory");\n}\n\n'


@pytest.fixture
def tree(tmp_path):
    root = tmp_path / "tree"
    (root / "src").mkdir(parents=True)
    (root / "src" / "a.c").write_text(HEADER + TICKS + SPIN)
    (root / "src" / "b.c").write_text(FENCE)
    return root


def take_baseline(tree: Path, *args: str) -> Path:
    out = tree.parent / "archport-baseline.json"
    proc = run("baseline", str(tree), "-o", str(out), "--no-progress", "-j", "1", *args)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    return out


def scan(tree: Path, *args: str) -> tuple[int, dict]:
    out = tree.parent / "report.json"
    proc = run("scan", str(tree), "--format", "json", "-o", str(out), "--no-progress", "-j", "1", *args)
    assert proc.returncode in (0, 1), proc.stderr
    return proc.returncode, json.loads(out.read_text())


def active(report: dict) -> list[tuple[str, str, int]]:
    return [(f["code"], f["path"], f["line"]) for f in report["findings"] if f["suppressed"] is None]


def suppressed_by_baseline(report: dict) -> list[str]:
    return [f["code"] for f in report["findings"] if (f["suppressed"] or "").startswith("baseline")]


# -- the file --------------------------------------------------------------------------------------


def test_baseline_file_format(tree):
    doc = json.loads(take_baseline(tree).read_text())
    assert doc["schema"] == SCHEMA_ID
    assert doc["tool"]["name"] == "archport" and doc["tool"]["version"]
    assert doc["created"].endswith("Z")
    assert doc["root"] == str(tree)
    assert sorted((e["code"], e["path"], e["line"]) for e in doc["findings"]) == [
        ("CC403", "src/a.c", 1), ("CC404", "src/b.c", 3), ("CC407", "src/a.c", 6), ("CC408", "src/a.c", 11),
    ]
    for e in doc["findings"]:
        assert set(e) == {"fingerprint", "text_fingerprint", "code", "path", "line", "message"}
        assert e["message"]


def test_baseline_takes_the_scan_selection_options(tree):
    doc = json.loads(take_baseline(tree, "--select", "CC403,CC404", "--exclude", "b.c").read_text())
    assert [e["code"] for e in doc["findings"]] == ["CC403"]


def test_baseline_to_stdout(tree):
    proc = run("baseline", str(tree), "-o", "-", "--no-progress")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["schema"] == SCHEMA_ID


def test_baseline_leaves_out_inline_suppressed_findings(tree):
    (tree / "src" / "b.c").write_text(FENCE.replace('"memory");', '"memory"); // archport: ignore[CC404]'))
    doc = json.loads(take_baseline(tree).read_text())
    assert "CC404" not in {e["code"] for e in doc["findings"]}


# -- the quality bar: edits around old findings, one new hazard ----------------------------------------


def test_unchanged_tree_has_no_new_findings(tree):
    baseline = take_baseline(tree)
    code, report = scan(tree, "--baseline", str(baseline))
    assert code == 0
    assert active(report) == []
    assert sorted(suppressed_by_baseline(report)) == ["CC403", "CC404", "CC407", "CC408"]
    assert report["summary"]["suppressed"] == 4 and report["summary"]["findings"] == 0
    assert report["settings"]["baseline"] == str(baseline)


def test_exactly_the_new_hazard_after_shifts_and_reordering(tree):
    baseline = take_baseline(tree)
    before = "/* licence\n * header\n */\n\n#include <stddef.h>\n\n"
    # lines inserted above every finding, functions reordered, bodies reindented
    edited = before + HEADER + SPIN.replace("    ", "\t") + "static int unused;\n\n" + TICKS
    (tree / "src" / "a.c").write_text(edited)
    (tree / "src" / "b.c").write_text("// moved down\n\n\n" + FENCE.replace("    __asm__", "  __asm__"))
    code, report = scan(tree, "--baseline", str(baseline))
    assert active(report) == [] and code == 0

    (tree / "src" / "a.c").write_text(edited + NEW_HAZARD)
    code, report = scan(tree, "--baseline", str(baseline))
    new_line = (edited + NEW_HAZARD).splitlines().index('    __asm__ volatile("lfence" ::: "memory");') + 1
    assert active(report) == [("CC404", "src/a.c", new_line)]
    assert code == 1
    assert len(suppressed_by_baseline(report)) == 4

    # the text report says the same: one finding, four suppressed
    proc = run_subprocess("scan", str(tree), "--baseline", str(baseline), "--no-progress", "-j", "1")
    assert proc.returncode == 1
    assert "lfence" in proc.stdout and "mfence" not in proc.stdout
    assert "4 suppressed" in proc.stdout
    shown = run("scan", str(tree), "--baseline", str(baseline), "--show-suppressed", "--no-progress", "-j", "1")
    assert "suppressed: baseline" in shown.stdout and "mfence" in shown.stdout


def test_fixed_finding_leaves_nothing_behind(tree):
    baseline = take_baseline(tree)
    (tree / "src" / "a.c").write_text(HEADER + TICKS)  # spin() with _mm_pause removed
    code, report = scan(tree, "--baseline", str(baseline))
    assert code == 0 and active(report) == []


# -- duplicates -----------------------------------------------------------------------------------------

DUP = "void spin{n}(void)\n{{\n    _mm_pause();\n}}\n\n"


def test_identical_hazard_lines(tree):
    (tree / "src" / "a.c").write_text("".join(DUP.format(n=n) for n in (1, 2)))
    baseline = take_baseline(tree)

    # reordered: both identical lines still known
    (tree / "src" / "a.c").write_text(DUP.format(n=2) + "int x;\n" + DUP.format(n=1))
    code, report = scan(tree, "--baseline", str(baseline))
    assert code == 0 and active(report) == []

    # one of the two removed: the other is still known
    (tree / "src" / "a.c").write_text("\n\n" + DUP.format(n=2))
    code, report = scan(tree, "--baseline", str(baseline))
    assert code == 0 and active(report) == []

    # a third identical line: exactly one new finding
    (tree / "src" / "a.c").write_text("".join(DUP.format(n=n) for n in (3, 1, 2)))
    code, report = scan(tree, "--baseline", str(baseline))
    assert [c for c, _, _ in active(report)] == ["CC408"]
    assert code == 1


def test_same_line_in_another_file_is_new(tree):
    baseline = take_baseline(tree)
    (tree / "src" / "c.c").write_text(SPIN)  # a copy of a known hazard line, in a new file
    code, report = scan(tree, "--baseline", str(baseline))
    assert active(report) == [("CC408", "src/c.c", 3)] and code == 1


# -- renamed and copied files -----------------------------------------------------------------------------


def test_renamed_file_keeps_its_baseline(tree):
    baseline = take_baseline(tree)
    (tree / "src" / "x86").mkdir()
    shutil.move(tree / "src" / "a.c", tree / "src" / "x86" / "timing.c")
    code, report = scan(tree, "--baseline", str(baseline))
    assert code == 0 and active(report) == []
    reasons = {f["suppressed"] for f in report["findings"] if f["path"] == "src/x86/timing.c"}
    assert reasons == {"baseline (moved from src/a.c)"}


def test_renamed_file_with_a_new_hazard(tree):
    baseline = take_baseline(tree)
    (tree / "src" / "a.c").unlink()
    (tree / "src" / "timing.c").write_text("\n" + HEADER + SPIN + TICKS + NEW_HAZARD)
    code, report = scan(tree, "--baseline", str(baseline))
    assert [(c, p) for c, p, _ in active(report)] == [("CC404", "src/timing.c")] and code == 1


def test_new_file_repeating_a_line_of_a_deleted_file_is_new(tree):
    baseline = take_baseline(tree)
    (tree / "src" / "a.c").unlink()  # three findings gone
    (tree / "src" / "other.c").write_text(HEADER + "int unrelated(void) { return 1; }\n" + NEW_HAZARD)
    code, report = scan(tree, "--baseline", str(baseline))
    assert sorted(c for c, _, _ in active(report)) == ["CC403", "CC404"] and code == 1


def test_copied_file_is_new(tree):
    baseline = take_baseline(tree)
    shutil.copy(tree / "src" / "a.c", tree / "src" / "a_copy.c")
    code, report = scan(tree, "--baseline", str(baseline))
    assert sorted(c for c, p, _ in active(report)) == ["CC403", "CC407", "CC408"]
    assert {p for _, p, _ in active(report)} == {"src/a_copy.c"}
    assert code == 1


def test_baseline_written_by_a_scan_with_a_baseline_is_complete(tree):
    baseline = take_baseline(tree)
    (tree / "src" / "b.c").write_text("int nothing;\n")  # the CC404 fixed
    (tree / "src" / "a.c").write_text(HEADER + TICKS + SPIN + NEW_HAZARD)
    refreshed = tree.parent / "refreshed.json"
    proc = run("scan", str(tree), "--baseline", str(baseline), "--format", "baseline", "-o", str(refreshed), "--no-progress")
    assert proc.returncode == 1  # the new hazard still fails this run
    doc = json.loads(refreshed.read_text())
    assert sorted(e["code"] for e in doc["findings"]) == ["CC403", "CC404", "CC407", "CC408"]
    assert {e["path"] for e in doc["findings"]} == {"src/a.c"}


def test_baseline_of_a_subdirectory_still_matches_through_the_moved_file_rule(tree):
    baseline = take_baseline(tree / "src")  # paths a.c, b.c; this scan sees src/a.c, src/b.c
    code, report = scan(tree, "--baseline", str(baseline))
    assert code == 0 and active(report) == []


def test_baseline_of_another_tree_gets_a_note(tree, tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    (other / "old.c").write_text("void f(void) { _mm_sfence(); }\n")
    baseline = take_baseline(other)
    proc = run("scan", str(tree), "--baseline", str(baseline), "--no-progress")
    assert proc.returncode == 1
    assert "archport: note: no file that" in proc.stderr


# -- bad baseline files --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content, message",
    [
        (None, "does not exist"),
        ("{not json", "invalid JSON at line 1"),
        ('{"schema": "archport-report/1", "findings": []}', "schema `archport-report/1`"),
        ("[]", "no `schema` field"),
        ('{"schema": "archport-baseline/1", "findings": {}}', "`findings` must be a list"),
        ('{"schema": "archport-baseline/1", "findings": [{"code": "CC403"}]}', "finding 1 has no `fingerprint`"),
        (b"\xff\xfe\x00", "not UTF-8"),
        ("DIR", "is a directory"),
    ],
)
def test_bad_baseline_file_is_one_line_exit_2(tree, content, message):
    path = tree.parent / "bad.json"
    if content == "DIR":
        path.mkdir()
    elif isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    proc = run("scan", str(tree), "--baseline", str(path), "--no-progress")
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("archport: error: ")
    assert message in proc.stderr
    assert proc.stdout == ""


def test_empty_baseline_reports_everything(tree):
    path = tree.parent / "empty.json"
    path.write_text(json.dumps({"schema": SCHEMA_ID, "findings": []}))
    code, report = scan(tree, "--baseline", str(path))
    assert code == 1 and len(active(report)) == 4


def test_baseline_honours_the_configuration_file_and_command_line_wins(tree):
    (tree / "archport.toml").write_text('fail-on = "info"\nignore = ["CC404"]\n')
    doc = json.loads(take_baseline(tree).read_text())  # exit 0 although the file says fail-on info
    assert sorted(e["code"] for e in doc["findings"]) == ["CC403", "CC407", "CC408"]
    # an explicit --select replaces the file's selection (so the file's ignore goes too)
    doc = json.loads(take_baseline(tree, "--select", "CC404,CC407").read_text())
    assert sorted(e["code"] for e in doc["findings"]) == ["CC404", "CC407"]


def test_reports_with_a_baseline_keep_their_contracts(tree):
    import jsonschema

    from archport.report.json import schema

    baseline = take_baseline(tree)
    (tree / "src" / "a.c").write_text(HEADER + TICKS + SPIN + NEW_HAZARD)
    _, report = scan(tree, "--baseline", str(baseline))
    jsonschema.validate(report, schema())
    sarif_out = tree.parent / "r.sarif"
    assert run("scan", str(tree), "--baseline", str(baseline), "--format", "sarif", "-o", str(sarif_out)).returncode == 1
    results = json.loads(sarif_out.read_text())["runs"][0]["results"]
    suppressed = [r for r in results if r.get("suppressions")]
    assert len(results) == 5 and len(suppressed) == 4
    assert {r["suppressions"][0]["justification"] for r in suppressed} == {"baseline"}
