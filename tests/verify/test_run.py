"""`archport verify run` for real: our programs whose behaviour differs on AArch64 are each
reported as differing, the control programs as identical; limits, scratch directories, build
mode, and the project tree left untouched."""

from __future__ import annotations

import json
import os
import tempfile

import jsonschema
import pytest

from archport.report import json as json_report
from archport.verify.run import RunError, RunOptions, run_differential
from tests.cli.helpers import run
from tests.verify.conftest import PROGRAMS, needs_qemu, needs_qemu_fortran, tree_digest

pytestmark = needs_qemu


def verify(name: str, *args: str, **options):
    options.setdefault("static", False)
    src = PROGRAMS / name
    before = tree_digest(PROGRAMS)
    report, notes = run_differential([src.stem, *args], RunOptions(sources=(str(src),), **options))
    assert tree_digest(PROGRAMS) == before
    return report, notes


def streams(report) -> dict[str, str]:
    return {f.properties["stream"]: f.message for f in report.active}


@pytest.mark.parametrize(
    "program,stream,x86,arm",
    [
        ("char_sign.c", "stdout", "char from 200: -56", "char from 200: 200"),
        ("float_to_int.c", "stdout", "(int)3e9f = -2147483648", "(int)3e9f = 2147483647"),
        ("nan_to_int.c", "stdout", "(int)NaN = -2147483648", "(int)NaN = 0"),
        ("long_double.c", "stdout", "LDBL_MANT_DIG = 64", "LDBL_MANT_DIG = 113"),
        ("fma_contract.c", "stdout", "a*b-c = 0x0p+0", "a*b-c = -0x1p-54"),
        ("div_zero.c", "status", "killed by signal 8 (SIGFPE)", "exit status 0"),
    ],
)
def test_differing_programs_are_reported(program, stream, x86, arm):
    report, _ = verify(program)
    got = streams(report)
    assert stream in got, got
    assert x86 in got[stream] and arm in got[stream]
    f = next(f for f in report.active if f.properties["stream"] == stream)
    assert f.code == "AP103" and f.path == program and f.line >= 1
    assert f.properties["x86_64"]["status"] and f.properties["aarch64"]["command"][0] == "qemu-aarch64"
    if stream != "status":
        assert x86 in f.properties["first_difference"]["x86_64"] and arm in f.properties["first_difference"]["aarch64"]


def test_fma_difference_goes_away_without_contraction():
    report, _ = verify("fma_contract.c", cflags=("-ffp-contract=off",))
    assert not report.findings


def test_division_by_zero_also_differs_in_output_and_says_why():
    report, _ = verify("div_zero.c")
    assert set(streams(report)) == {"status", "stdout"}
    status = next(f for f in report.active if f.properties["stream"] == "status")
    assert "SIGFPE" in status.help and "0" in status.help


@pytest.mark.parametrize(
    "program,args",
    [("control_integer.c", ("11",)), ("control_float.c", ()), ("control_stdin.c", ())],
)
def test_control_programs_are_identical(program, args):
    report, notes = verify(program, *args)
    assert not report.findings and report.settings["identical"]
    assert any(n.startswith("identical") for n in notes)


def test_control_exit_status_and_stdin_are_passed(tmp_path):
    data = tmp_path / "in.txt"
    data.write_text("one\ntwo\nthree\n")
    report, _ = verify("control_stdin.c", stdin=str(data))
    assert report.settings["aarch64"]["stdout_head"] == "3 lines, 14 bytes\n" == report.settings["x86_64"]["stdout_head"]
    report, _ = verify("control_integer.c")
    assert report.settings["x86_64"]["status"] == "exit status 3" == report.settings["aarch64"]["status"]


def test_page_size_assumption_shows_only_with_64k_pages():
    same, _ = verify("page_size.c")
    assert not same.findings
    report, _ = verify("page_size.c", page_size=65536)
    got = streams(report)
    assert "65536-byte system page" in got["stdout"] and "exit status 1" in got["status"]
    assert report.active[0].properties["page_size"] == 65536
    assert "-p" in report.active[0].properties["aarch64"]["command"]


def test_float_tolerance():
    exact, _ = verify("float_tolerance.c")
    assert set(streams(exact)) == {"stdout"}
    tolerant, _ = verify("float_tolerance.c", float_tolerance=1e-6)
    assert not tolerant.findings


def test_timeout_is_a_difference_and_the_process_is_gone(tmp_path):
    data = tmp_path / "in.txt"
    data.write_text("abc\n")
    report, _ = verify("eof_loop.c", stdin=str(data), timeout=1.0, static=True)
    got = streams(report)
    assert "AArch64 timed out after 1 s" in got["status"] and "x86-64 exit status 0" in got["status"]
    # the static scan's findings in the source are linked
    static = report.active[0].properties["static_findings"]
    assert static and all({"code", "path", "line"} <= set(s) for s in static)
    assert not _running("eof_loop")


def _running(name: str) -> bool:
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as fh:
                    if name.encode() in fh.read():
                        return True
            except OSError:
                continue
    return False


def test_memory_limit_applies_to_both_runs():
    limited, _ = verify("control_memory.c", memory_mb=128)
    assert limited.settings["x86_64"]["stdout_head"] == "allocation of 512 MiB failed\n"
    assert limited.settings["aarch64"]["stdout_head"] == "allocation of 512 MiB failed\n"


def test_cpu_and_target_presets(tmp_path):
    report, _ = verify("arch_name.c", "hello", cpu="neoverse-n1")
    f = report.active[0]
    assert f.properties["cpu"] == "neoverse-n1" and "-cpu" in f.properties["aarch64"]["command"]
    assert "x86_64 hello" in f.message and "aarch64 hello" in f.message  # the AArch64 build is AArch64
    with pytest.raises(RunError, match="no CPU model"):
        verify("arch_name.c", cpu="pentium4")


def test_scratch_directories_are_removed(tmp_path, monkeypatch):
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    verify("char_sign.c")
    assert os.listdir(scratch) == []


def test_build_mode_runs_in_a_copy_and_never_touches_the_project(tmp_path):
    project = tmp_path / "proj"
    (project / "src").mkdir(parents=True)
    (project / "src" / "main.c").write_text((PROGRAMS / "arch_name.c").read_text())
    (project / "out").mkdir()
    os.symlink(project / "out", project / "bin")  # an absolute link back into the project
    (project / "build.sh").write_text('"$CC" -O2 -o bin/prog src/main.c\n')
    before = tree_digest(project)
    out = run("verify", "run", "--build", "sh build.sh", "--project", str(project), "--format", "json", "--", "out/prog", "x")
    assert out.returncode == 1, out.stderr
    assert tree_digest(project) == before and not (project / "out" / "prog").exists()
    data = json.loads(out.stdout)
    jsonschema.Draft202012Validator(json_report.schema()).validate(data)
    assert [f["properties"]["first_difference"] for f in data["findings"]] == [
        {"line": 1, "x86_64": "x86_64 x", "aarch64": "aarch64 x"}
    ]


def test_cli_exit_status_and_usage_errors(tmp_path):
    same = run("verify", "run", "--src", str(PROGRAMS / "control_float.c"), "--no-static", "--", "cf")
    assert same.returncode == 0, same.stderr
    assert "identical" in same.stderr
    differs = run("verify", "run", "--src", str(PROGRAMS / "char_sign.c"), "--no-static", "--", "cs")
    assert differs.returncode == 1 and "AP103" in differs.stdout and "char from 200: -56" in differs.stdout
    for args in (
        ["verify", "run", "--", "prog"],  # neither --src nor --build
        ["verify", "run", "--src", str(tmp_path / "missing.c"), "--", "p"],
        ["verify", "run", "--src", str(PROGRAMS / "char_sign.c"), "--page-size", "5000", "--", "p"],
        ["verify", "run", "--build", "false", "--project", str(tmp_path), "--", "p"],
    ):
        out = run(*args)
        assert out.returncode == 2, (args, out.stdout, out.stderr)
        assert out.stderr.startswith("archport: error:") and "Traceback" not in out.stderr


@needs_qemu_fortran
def test_fortran_real_kind_differs_and_control_is_identical():
    report, _ = verify("real_kind.f90")
    assert "kind = 10" in streams(report)["stdout"] and "kind = 16" in streams(report)["stdout"]
    same, _ = verify("control_fortran.f90")
    assert not same.findings
