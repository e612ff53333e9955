"""End-to-end tests of the `archport` command line, run as `python -m archport` in a
subprocess on trees written by each test."""

from __future__ import annotations

import json
import subprocess
from importlib import resources
from pathlib import Path

import jsonschema
import pytest

import archport
from archport.registry import default_registry
from archport.report.json import schema as shipped_schema

from .helpers import run

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "pixelpipe"
RULES = list(default_registry())
CODES = [r.code for r in RULES]
_EXTENSION = {"c": ".c", "cpp": ".cpp", "c++": ".cpp", "asm": ".S", "nasm": ".asm", "gas": ".s"}

X86_INCLUDE = "#include <immintrin.h>\nint f(void) { return 0; }\n"
PORTABLE = "#include <stdio.h>\nint main(void) { puts(\"hello\"); return 0; }\n"
GUARDED = (
    "#if defined(__x86_64__)\n#include <immintrin.h>\n#elif defined(__aarch64__)\n"
    "#include <arm_neon.h>\n#endif\nint g(void) { return 1; }\n"
)


# -- helpers -----------------------------------------------------------------------------------


def write_tree(root: Path, files: dict[str, str | bytes]) -> Path:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


def scan_json(tree: Path, *args: str, out: Path | None = None) -> tuple[subprocess.CompletedProcess, dict]:
    out = out or tree.parent / f"{tree.name}-report.json"
    proc = run("scan", str(tree), "--format", "json", "-o", str(out), "--no-progress", *args)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode in (0, 1), proc.stderr
    return proc, json.loads(out.read_text(encoding="utf-8"))


def active_codes(report: dict) -> set[str]:
    return {f["code"] for f in report["findings"] if f["suppressed"] is None}


def without_duration(report: dict) -> dict:
    report = json.loads(json.dumps(report))
    report["summary"].pop("duration_seconds", None)
    return report


def rule_example_files() -> dict[str, str]:
    """Each rule's documented flagged example and its portable alternative, as files."""
    files = {}
    for rule in RULES:
        bad, good = rule.doc_examples()
        ext = _EXTENSION.get(rule.example_language(), ".c")
        if bad.strip():
            files[f"examples/{rule.code.lower()}_bad{ext}"] = bad
        if good.strip():
            files[f"examples/{rule.code.lower()}_good{ext}"] = good
    return files


@pytest.fixture
def tree(tmp_path):
    root = tmp_path / "tree"
    root.mkdir()
    return root


# -- exit codes ----------------------------------------------------------------------------------


def test_clean_tree_exits_0(tree):
    write_tree(tree, {"main.c": PORTABLE, "simd.c": GUARDED, "README.txt": "_mm_add_ps(a, b)\n"})
    proc = run("scan", str(tree), "--no-progress")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stderr == ""


def test_empty_directory_exits_0(tree):
    proc = run("scan", str(tree), "--no-progress")
    assert proc.returncode == 0, proc.stderr


def test_findings_exit_1(tree):
    write_tree(tree, {"simd.c": X86_INCLUDE, "main.c": PORTABLE})
    proc = run("scan", str(tree), "--no-progress")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "CC403" in proc.stdout
    assert "simd.c" in proc.stdout


def test_single_file_argument(tree):
    write_tree(tree, {"simd.c": X86_INCLUDE})
    proc, report = scan_json(tree / "simd.c")
    assert proc.returncode == 1
    assert [f["path"] for f in report["findings"]] == ["simd.c"]


def test_fail_on_levels(tree):
    write_tree(tree, {"simd.c": X86_INCLUDE})
    assert run("scan", str(tree), "--fail-on", "never").returncode == 0
    assert run("scan", str(tree), "--fail-on", "error").returncode == 1


def test_warnings_below_fail_on_error_exit_0(tree):
    # an unused suppression (AP001) is a warning
    write_tree(tree, {"a.c": "int x; // archport: ignore[CC403]\n"})
    assert run("scan", str(tree)).returncode == 1
    assert run("scan", str(tree), "--fail-on", "error").returncode == 0


INFO_RULES = [r for r in RULES if r.severity.value == "info" and r.doc_examples()[0].strip()]


@pytest.mark.skipif(not INFO_RULES, reason="no info-severity rule in the registry yet")
def test_only_info_findings_exit_0_by_default(tree):
    rule = INFO_RULES[0]
    ext = _EXTENSION.get(rule.example_language(), ".c")
    write_tree(tree, {f"info{ext}": rule.doc_examples()[0]})
    proc, report = scan_json(tree, "--select", rule.code)
    assert active_codes(report) == {rule.code}
    assert proc.returncode == 0
    assert run("scan", str(tree), "--select", rule.code, "--fail-on", "info").returncode == 1


@pytest.mark.parametrize(
    "args",
    [
        ("scan", "{missing}"),
        ("scan", "{tree}", "--select", "ZZ999"),
        ("scan", "{tree}", "--ignore", "QQ"),
        ("scan", "{tree}", "--format", "xml"),
        ("scan", "{tree}", "--jobs", "-3"),
        ("scan", "{tree}", "--define", "1BAD"),
        ("rule", "XX999"),
        ("no-such-command",),
    ],
    ids=["missing-path", "unknown-select", "unknown-ignore", "bad-format", "bad-jobs", "bad-define", "unknown-rule", "unknown-command"],
)
def test_usage_errors_exit_2_with_one_line(tree, args):
    write_tree(tree, {"simd.c": X86_INCLUDE})
    args = [a.format(tree=tree, missing=tree / "does-not-exist") for a in args]
    proc = run(*args)
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("archport: "), lines[0]


def test_unwritable_output_exits_2(tree):
    write_tree(tree, {"simd.c": X86_INCLUDE})
    proc = run("scan", str(tree), "--format", "json", "-o", str(tree / "no" / "such" / "dir" / "r.json"))
    assert proc.returncode == 2
    assert len(proc.stderr.splitlines()) == 1 and "Traceback" not in proc.stderr


# -- JSON report ----------------------------------------------------------------------------------


def test_json_report_matches_shipped_schema(tree):
    write_tree(tree, {"simd.c": X86_INCLUDE, "main.c": PORTABLE, **rule_example_files()})
    proc, report = scan_json(tree)
    assert proc.returncode == 1
    schema = json.loads(resources.files("archport.report").joinpath("schema/report-v1.json").read_text())
    assert schema == shipped_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(report)
    assert report["schema"] == "archport-report/1"
    assert report["summary"]["findings"] == sum(1 for f in report["findings"] if f["suppressed"] is None)
    assert report["summary"]["by_code"] == {
        c: sum(1 for f in report["findings"] if f["code"] == c and f["suppressed"] is None) for c in active_codes(report)
    }


def test_json_to_stdout(tree):
    write_tree(tree, {"simd.c": X86_INCLUDE})
    proc = run("scan", str(tree), "--format", "json")
    assert proc.returncode == 1
    report = json.loads(proc.stdout)
    jsonschema.Draft202012Validator(shipped_schema()).validate(report)
    assert [(f["path"], f["line"], f["code"]) for f in report["findings"]] == [("simd.c", 1, "CC403")]


def test_python_api_equals_cli_json(tree):
    write_tree(tree, {"simd.c": X86_INCLUDE, "sub/main.c": PORTABLE, **rule_example_files()})
    _, cli_report = scan_json(tree)
    api_report = archport.scan(str(tree)).to_dict()
    assert without_duration(api_report) == without_duration(cli_report)


# -- selection ------------------------------------------------------------------------------------


def test_select_and_ignore_codes(tree):
    write_tree(tree, {"simd.c": X86_INCLUDE, "stale.c": "int y; /* archport: ignore[CC403] */\n"})
    _, report = scan_json(tree, "--select", "CC403")
    assert report["rules"] == ["CC403"]
    assert active_codes(report) == {"CC403"}
    _, report = scan_json(tree, "--ignore", "CC403")
    assert "CC403" not in report["rules"]
    assert "CC403" not in active_codes(report)
    _, report = scan_json(tree, "--select", "AP001,CC403")
    assert report["rules"] == ["AP001", "CC403"]
    assert active_codes(report) == {"AP001", "CC403"}


def test_select_prefix_longest_match_wins(tree):
    write_tree(tree, {"simd.c": X86_INCLUDE})
    _, report = scan_json(tree, "--select", "CC4", "--ignore", "CC40", "--select", "CC403")
    run_codes = set(report["rules"])
    assert "CC403" in run_codes
    assert run_codes == {c for c in CODES if c.startswith("CC4") and (not c.startswith("CC40") or c == "CC403")}
    assert active_codes(report) == {"CC403"}

    _, report = scan_json(tree, "--select", "CC", "--ignore", "CC4")
    assert set(report["rules"]) == {c for c in CODES if c.startswith("CC") and not c.startswith("CC4")}
    assert "CC403" not in active_codes(report)

    _, report = scan_json(tree, "--select", "ALL", "--ignore", "AP")
    assert set(report["rules"]) == {c for c in CODES if not c.startswith("AP")}


def test_exclude_globs(tree):
    write_tree(
        tree,
        {
            "src/a.c": X86_INCLUDE,
            "vendor/lib/b.c": X86_INCLUDE,
            "gen/c_gen.c": X86_INCLUDE,
            "src/d_gen.c": X86_INCLUDE,
        },
    )
    _, report = scan_json(tree)
    assert {f["path"] for f in report["findings"]} == {"src/a.c", "vendor/lib/b.c", "gen/c_gen.c", "src/d_gen.c"}
    _, report = scan_json(tree, "--exclude", "vendor/", "--exclude", "*_gen.c")
    assert {f["path"] for f in report["findings"]} == {"src/a.c"}
    assert report["summary"]["files_scanned"] == 1


def test_gitignore_respected_and_no_ignore(tree):
    write_tree(
        tree,
        {
            ".gitignore": "build/\n*.generated.c\n",
            "src/a.c": X86_INCLUDE,
            "build/b.c": X86_INCLUDE,
            "src/c.generated.c": X86_INCLUDE,
            "src/.gitignore": "local.c\n",
            "src/local.c": X86_INCLUDE,
            "other/local.c": X86_INCLUDE,
        },
    )
    _, report = scan_json(tree)
    assert {f["path"] for f in report["findings"]} == {"src/a.c", "other/local.c"}
    _, report = scan_json(tree, "--no-ignore")
    assert {f["path"] for f in report["findings"]} == {
        "src/a.c",
        "build/b.c",
        "src/c.generated.c",
        "src/local.c",
        "other/local.c",
    }


def test_jobs_do_not_change_the_report(tree):
    files = {}
    for i in range(24):
        files[f"mod{i:02d}/simd.c"] = f"// module {i}\n" + X86_INCLUDE * (1 + i % 3)
        files[f"mod{i:02d}/guarded.c"] = GUARDED
    for i in range(6):
        files[f"supp/s{i}.c"] = f"#include <xmmintrin.h> // archport: ignore[CC403]\nint v{i};\n"
        files[f"supp/t{i}.cpp"] = "int w; // archport: ignore\n"
    files.update(rule_example_files())
    write_tree(tree, files)
    assert len(files) >= 60
    _, one = scan_json(tree, "--jobs", "1", out=tree.parent / "one.json")
    _, two = scan_json(tree, "--jobs", "2", out=tree.parent / "two.json")
    assert one["summary"]["files_scanned"] >= 60
    assert one["findings"] == two["findings"]
    assert one["errors"] == two["errors"]
    assert without_duration(one) == without_duration(two)


# -- suppression ----------------------------------------------------------------------------------


def test_inline_suppression_same_line_and_line_before(tree):
    write_tree(
        tree,
        {
            "s.c": (
                "#include <immintrin.h> // archport: ignore[CC403]\n"
                "int a;\n"
                "// archport: ignore[CC403]\n"
                "#include <xmmintrin.h>\n"
                "int b;\n"
                "#include <emmintrin.h>\n"
            )
        },
    )
    proc, report = scan_json(tree)
    assert proc.returncode == 1
    by_line = {f["line"]: f for f in report["findings"] if f["code"] == "CC403"}
    assert set(by_line) == {1, 4, 6}
    assert by_line[1]["suppressed"] and "CC403" in by_line[1]["suppressed"]
    assert by_line[4]["suppressed"] and "CC403" in by_line[4]["suppressed"]
    assert by_line[6]["suppressed"] is None
    assert report["summary"]["findings"] == 1
    assert report["summary"]["suppressed"] == 2
    assert report["summary"]["by_code"] == {"CC403": 1}


def test_fully_suppressed_tree_exits_0(tree):
    write_tree(tree, {"s.c": "#include <immintrin.h> /* archport: ignore[CC403] */\n"})
    proc, report = scan_json(tree)
    assert proc.returncode == 0
    assert report["summary"]["findings"] == 0 and report["summary"]["suppressed"] == 1
    text = run("scan", str(tree), "--show-suppressed")
    assert text.returncode == 0 and "suppressed" in text.stdout


def test_unused_suppression_reports_ap001(tree):
    write_tree(tree, {"u.c": "int x; // archport: ignore[CC403]\n"})
    proc, report = scan_json(tree)
    assert proc.returncode == 1
    assert [(f["code"], f["line"]) for f in report["findings"]] == [("AP001", 1)]
    # a suppression naming a rule that did not run is left alone
    proc, report = scan_json(tree, "--ignore", "CC403")
    assert report["findings"] == [] and proc.returncode == 0


def test_blanket_suppression_reports_ap002_and_suppresses_nothing(tree):
    write_tree(tree, {"b.c": "#include <immintrin.h> // archport: ignore\n"})
    proc, report = scan_json(tree)
    assert proc.returncode == 1
    assert sorted((f["code"], f["suppressed"]) for f in report["findings"]) == [("AP002", None), ("CC403", None)]


# -- rule catalogue ---------------------------------------------------------------------------------


def test_rules_lists_every_code():
    proc = run("rules")
    assert proc.returncode == 0, proc.stderr
    for code in CODES:
        assert code in proc.stdout
    proc = run("rules", "--format", "json")
    assert proc.returncode == 0
    assert [r["code"] for r in json.loads(proc.stdout)] == CODES


def test_rule_prints_documentation():
    proc = run("rule", "CC403")
    assert proc.returncode == 0, proc.stderr
    assert "x86-intrinsic-header" in proc.stdout
    for section in ("What it does", "Why is this a problem on ARM64?", "Example", "Use instead", "Limitations", "References"):
        assert section in proc.stdout, section
    assert run("rule", "cc403").returncode == 0


def test_version_and_help():
    proc = run("--version")
    assert proc.returncode == 0 and archport.__version__ in proc.stdout
    proc = run("scan", "--help")
    assert proc.returncode == 0 and "--select" in proc.stdout


# -- the bundled example -------------------------------------------------------------------------------


def test_bundled_example(tmp_path):
    assert EXAMPLE.is_dir()
    portable = {line.strip() for line in (EXAMPLE / "PORTABLE.txt").read_text().splitlines() if line.strip()}
    assert portable and all((EXAMPLE / p).is_file() for p in portable)
    proc, report = scan_json(EXAMPLE, out=tmp_path / "pixelpipe.json")
    assert proc.returncode == 1
    assert report["errors"] == []
    flagged_portable = sorted({f["path"] for f in report["findings"]} & portable)
    assert not flagged_portable, [
        (f["path"], f["line"], f["code"], f["message"]) for f in report["findings"] if f["path"] in portable
    ]
    expected = {"CC401", "CC403", "CC404", "AS401", "CC406", "CC407", "CC408", "CC102", "CC103", "CC112", "CC203", "CC302"}
    missing = expected - active_codes(report)
    assert not missing, f"codes not reported on the example: {sorted(missing)}"
