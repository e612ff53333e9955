"""`archport verify compile` for real: our own programs, the bundled example, a
compile_commands.json with x86-only flags, and the promise never to write into the project."""

from __future__ import annotations

import json
import os
import shutil

import jsonschema
import pytest

from archport.report import json as json_report
from archport.verify.compile import CompileOptions, run_compile_check
from tests.cli.helpers import run
from tests.verify.conftest import COMPILE_PROGRAMS, PIXELPIPE, needs_cross, needs_cross_fortran, tree_digest

pytestmark = needs_cross

#: (path, line, code) of every unsuppressed finding in programs/compile (C and C++ only)
EXPECTED_C = {
    ("asm_constraint.c", 7, "CC404"),
    ("asm_mnemonic.c", 6, "CC404"),
    ("asm_mnemonic.c", 12, "CC404"),
    ("behaviour.c", 7, "AP102"),
    ("behaviour.c", 13, "AP102"),
    ("behaviour.c", 19, "AP102"),
    ("behaviour.c", 27, "AP102"),
    ("hazards.c", 2, "CC403"),
    ("hazards.c", 11, "CC402"),
    ("hazards.c", 11, "CC401"),
    ("hazards.c", 12, "CC402"),
    ("hazards.c", 13, "CC401"),
    ("hazards.c", 13, "CC402"),
    ("hazards.c", 20, "CC408"),
    ("hazards.c", 25, "CC407"),
    ("hazards.c", 30, "CC501"),
    ("hazards.c", 36, "CC502"),
    ("hazards.c", 41, "CC406"),
    ("hazards.c", 45, "CC409"),
    ("narrowing.cpp", 3, "AP101"),
    ("x86_only.c", 3, "CC602"),
}
EXPECTED_FORTRAN = {("kind10.f90", 7, "AP101"), ("kind10.f90", 8, "AP101")}


@pytest.fixture(scope="module")
def programs_report():
    before = tree_digest(COMPILE_PROGRAMS)
    report, notes = run_compile_check(str(COMPILE_PROGRAMS), CompileOptions(jobs=2))
    assert tree_digest(COMPILE_PROGRAMS) == before, "the compile check wrote into the project"
    return report, notes


def test_programs_findings_are_exactly_the_expected_ones(programs_report):
    report, _ = programs_report
    got = {(f.path, f.line, f.code) for f in report.active}
    fortran = {x for x in got if x[0].endswith(".f90")}
    assert got - fortran == EXPECTED_C
    if shutil.which("aarch64-linux-gnu-gfortran"):
        assert fortran == EXPECTED_FORTRAN  # uses_extended.f90 only repeats kind10.f90's failure
    assert not report.errors, report.errors


def test_locations_messages_and_properties(programs_report):
    report, _ = programs_report
    by = {(f.path, f.line, f.code): f for f in report.active}
    header = by[("hazards.c", 2, "CC403")]
    assert (header.column, header.end_column) == (11, 22)  # spans `immintrin.h`
    assert header.properties["header"] == "immintrin.h"
    assert "immintrin.h: No such file or directory" in header.message
    limits = by[("behaviour.c", 7, "AP102")]
    assert limits.properties["option"] == "-Wtype-limits" and limits.properties["compared_with_x86_64"]
    assert "comparison is always false" in limits.message and "signed char" in limits.help
    asm = by[("asm_mnemonic.c", 6, "CC404")]
    assert "bswap" in asm.message and asm.properties["compiler"] == "aarch64-linux-gnu-as"
    sys_open = by[("hazards.c", 30, "CC501")]
    assert sys_open.properties["identifier"] == "SYS_open" and sys_open.column == 20
    assert all(f.fingerprint for f in report.findings)


def test_a_warning_both_targets_give_is_not_reported(programs_report):
    report, _ = programs_report
    assert not [f for f in report.findings if f.path == "behaviour.c" and f.line == 34]


def test_portable_code_has_no_findings(programs_report):
    report, _ = programs_report
    assert not [f for f in report.findings if f.path in ("portable.c",) or (f.path == "asm_mnemonic.c" and f.line == 17)]


def test_findings_after_a_units_own_error_directive_are_suppressed(programs_report):
    report, _ = programs_report
    after = [f for f in report.findings if f.path == "x86_only.c" and f.line > 3]
    assert after and all(f.suppressed and "x86_only.c:3" in f.suppressed for f in after)
    error = next(f for f in report.active if f.path == "x86_only.c")
    assert error.properties["diagnostics_after"] == len(after)


def test_json_report_is_valid(programs_report):
    report, _ = programs_report
    data = json.loads(json_report.render(report))
    jsonschema.Draft202012Validator(json_report.schema()).validate(data)
    assert data["settings"]["command"] == "verify compile"


@needs_cross_fortran
def test_fortran_module_order_and_kind10(programs_report):
    report, _ = programs_report
    assert {(f.path, f.line, f.code) for f in report.active if f.path.endswith(".f90")} == EXPECTED_FORTRAN


# -- the bundled example -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pixelpipe_report():
    before = tree_digest(PIXELPIPE)
    report, _ = run_compile_check(str(PIXELPIPE), CompileOptions(jobs=2))
    assert tree_digest(PIXELPIPE) == before
    return report


@pytest.mark.parametrize(
    "path,line,code",
    [
        ("src/blur_avx2.c", 9, "CC403"),
        ("src/blur_avx2.c", 24, "CC402"),
        ("src/blur_avx2.c", 24, "CC401"),
        ("include/pixelpipe/config.h", 16, "CC602"),
        ("src/cpu_features.c", 5, "CC403"),
        ("src/cpu_features.c", 72, "CC406"),
        ("src/crash_handler.c", 46, "CC502"),
        ("src/crc32c.c", 18, "CC401"),
        ("src/cycle_timer.h", 13, "CC407"),
        ("src/cycle_timer.h", 20, "CC404"),
        ("src/fpenv.c", 13, "CC201"),
        ("src/sharpen.c", 12, "CC409"),
        ("src/spinlock.h", 18, "CC404"),
        ("src/spinlock.h", 26, "CC408"),
        ("src/stats.c", 36, "CC202"),
    ],
)
def test_pixelpipe_real_errors_at_their_lines(pixelpipe_report, path, line, code):
    got = {(f.path, f.line, f.code) for f in pixelpipe_report.active}
    assert (path, line, code) in got


def test_pixelpipe_portable_files_have_no_findings(pixelpipe_report):
    portable = {
        ln.strip() for ln in (PIXELPIPE / "PORTABLE.txt").read_text().splitlines()
        if ln.strip() and not ln.startswith("#")
    }
    assert portable
    assert not [f for f in pixelpipe_report.active if f.path in portable]


def test_pixelpipe_cascades_are_not_reported(pixelpipe_report):
    # `expected ';' before 'r'` after an unknown __float128 is a consequence, not a finding
    assert not [f for f in pixelpipe_report.active if "expected" in f.message]
    assert sum(1 for f in pixelpipe_report.active if f.code == "AP101") <= 2


def test_compile_commands_flags_are_rewritten_and_nothing_is_written(tmp_path):
    """x86-only flags are dropped and said so; -MF/-o paths inside the tree are never written."""
    tree = tmp_path / "pp"
    shutil.copytree(PIXELPIPE, tree)
    entries = [
        {
            "directory": str(tree),
            "file": f"src/{name}",
            "command": f"/usr/bin/cc -Iinclude -Isrc -O2 -std=gnu11 -march=haswell -mavx2 -msse4.2 -mcx16 "
                       f"-MD -MF build/{name}.d -o build/{name}.o -c src/{name}",
        }
        for name in ("crc32c.c", "brightness.c", "hwcaps.c")
    ]
    (tree / "compile_commands.json").write_text(json.dumps(entries))
    before = tree_digest(tree)
    out = run("verify", "compile", str(tree), "--format", "json", "-j", "2")
    assert out.returncode == 1, out.stderr
    assert tree_digest(tree) == before and not (tree / "build").exists()
    assert "dropped for the AArch64 compile" in out.stderr and "-mavx2" in out.stderr
    data = json.loads(out.stdout)
    assert data["settings"]["dropped_flags_aarch64"] == {"-march=haswell": 3, "-mavx2": 3, "-mcx16": 3, "-msse4.2": 3}
    assert {(f["path"], f["line"], f["code"]) for f in data["findings"]} == {
        ("src/crc32c.c", 6, "CC403"), ("src/crc32c.c", 18, "CC401"), ("src/crc32c.c", 24, "CC401"),
        ("src/crc32c.c", 41, "CC401"),
    }


def test_setup_problems_shared_with_x86_are_errors_not_findings(make_tree):
    root = make_tree({"a.c": '#include "generated_config.h"\nint a = CONFIG_A;\n'})
    report, _ = run_compile_check(str(root), CompileOptions(jobs=1))
    assert not report.active
    assert len(report.errors) == 1 and "x86-64 compiler too" in report.errors[0].message


def test_cli_clean_tree_exits_0_and_text_output(make_tree):
    root = make_tree({"ok.c": "int add(int a, int b) { return a + b; }\n"})
    out = run("verify", "compile", str(root))
    assert out.returncode == 0, out.stderr
    assert "Found 0 findings" in out.stdout


def test_cli_missing_path_is_a_usage_error(tmp_path):
    out = run("verify", "compile", str(tmp_path / "nope"))
    assert out.returncode == 2 and out.stderr.count("\n") == 1 and "no such file" in out.stderr


def test_syntax_mode_skips_the_assembler(make_tree):
    root = make_tree({"a.c": 'void relax(void) { __asm__ volatile("pause"); }\n'})
    full, _ = run_compile_check(str(root), CompileOptions(jobs=1))
    syntax, _ = run_compile_check(str(root), CompileOptions(jobs=1, mode="syntax"))
    assert [f.code for f in full.active] == ["CC404"] and not syntax.active


def test_scratch_directory_is_removed(make_tree, tmp_path, monkeypatch):
    import tempfile

    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    root = make_tree({"src/a.c": "#include <immintrin.h>\nint x;\n"})
    report, _ = run_compile_check(str(root / "src"), CompileOptions(jobs=1))
    assert [f.code for f in report.active] == ["CC403"]
    assert os.listdir(scratch) == []


def test_other_architectures_and_cmake_probes_are_not_compiled(make_tree):
    root = make_tree({
        "arch/x86/simd.c": "#include <immintrin.h>\nint x;\n",
        "arch/riscv/feat.c": 'void f(void) { __asm__ volatile("csrr a0, vtype"); }\n',
        "arch/arm/neon.c": "#include <arm_neon.h>\nint n;\n",
        "cmake/detect-arch.c": "#if defined(__aarch64__)\n#error archfound aarch64\n#endif\n",
        "main.c": "int main(void) { return 0; }\n",
    })
    report, notes = run_compile_check(str(root), CompileOptions(jobs=1))
    assert not report.active and report.files_scanned == 2
    assert report.settings["layout_skipped"] == {"arch/riscv/": 1, "arch/x86/": 1}
    assert any("arch/x86/ beside arch/arm/" in n for n in notes)
    everything, _ = run_compile_check(str(root), CompileOptions(jobs=1, respect_layout=False))
    assert {(f.path, f.code) for f in everything.active} == {("arch/x86/simd.c", "CC403"), ("arch/riscv/feat.c", "CC404")}
