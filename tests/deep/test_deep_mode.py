"""The libclang deep mode (archport.deep): the compilation database, the mode a scan runs in,
and the char, float and memory-order rules on one tree in both modes. Tests that run libclang
skip when it is genuinely missing (never in CI, where .ci/run installs it)."""

from __future__ import annotations

import json
import os

import pytest
from click.testing import CliRunner

from archport.cli import cli
from archport.deep import compdb, plan
from archport.deep import libclang
from archport.runner import ScanInputError, run_scan
from archport.settings import ScanSettings

_CLANG, _WHY = libclang.load()
if _CLANG is None and os.environ.get("CI"):
    raise RuntimeError(f"CI must run the deep-mode tests, but {_WHY}")
needs_clang = pytest.mark.skipif(_CLANG is None, reason=f"libclang unavailable: {_WHY}")

TYPES_H = """\
#ifndef TYPES_H
#define TYPES_H
typedef char byte_t;
#define BYTE byte_t
struct header_rec { int c; };
struct sample { float level; };
#define MY_RELAXED memory_order_relaxed
#endif
"""

FILES = {
    "include/types.h": TYPES_H,
    # the plain-char type comes from a typedef and a macro in another header
    "src/header_typedef.c": """\
#include "types.h"
int negative(const byte_t *s) {
    return s[0] < 0;
}
int high(BYTE c) {
    return c > 127;
}
struct flags { byte_t mode : 3; };
""",
    # the database's -DUSE_SIGNED=1 makes text_t signed: only the fast mode reports it
    "src/signed_define.c": """\
#ifdef USE_SIGNED
typedef signed char text_t;
#else
typedef char text_t;
#endif
int neg(text_t c) {
    return c < 0;
}
""",
    # tree-sitter takes `r->c` for the char field of the local struct; it is the header's int
    "src/field_from_header.c": """\
#include "types.h"
struct local { char c; };
int is_neg(const struct header_rec *r) {
    return r->c < 0;
}
""",
    # a float field declared in a header, and a relaxed order spelled through a macro
    "src/float_and_order.c": """\
#include <stdatomic.h>
#include <stdint.h>
#include "types.h"
struct node { int value; struct node *next; };
_Atomic(struct node *) head;
void publish(struct node *n, int v) {
    n->value = v;
    atomic_store_explicit(&head, n, MY_RELAXED);
}
uint8_t level(const struct sample *s) {
    return (uint8_t)(s->level - 1);
}
""",
    # the same in both modes
    "src/common.c": """\
int sign(char c) {
    return c < 0;
}
""",
}

SELECT = ("CC101", "CC104", "CC203", "CC306")


def _write_tree(root, files=FILES):
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)


def _write_db(root, where="build", extra_flags=None):
    build = root / where
    build.mkdir(parents=True, exist_ok=True)
    entries = []
    for rel in FILES:
        if not rel.endswith(".c"):
            continue
        args = ["cc", "-I../include", "-march=haswell", "-msse4.2", "-O2", "-c", f"../{rel}", "-o", "x.o"]
        if rel == "src/signed_define.c":
            args.insert(1, "-DUSE_SIGNED=1")
        entries.append({"directory": str(build), "file": f"../{rel}", "arguments": args + (extra_flags or [])})
    path = build / "compile_commands.json"
    path.write_text(json.dumps(entries))
    return path


def _scan(root, **kw):
    report = run_scan(root, ScanSettings(select=SELECT, jobs=1, **kw))
    return report, {(f.path, f.line, f.code) for f in report.findings}


# -- the compilation database ------------------------------------------------------------------------


def test_translate_keeps_meaning_and_drops_x86_options(tmp_path):
    flags, char_flag = compdb.translate(
        ["-c", "-o", "a.o", "-I", "inc", "-Iinc2", "-isystem", "/opt/x", "-DFOO=1", "-D", "BAR", "-UBAZ",
         "-march=haswell", "-mavx2", "-m64", "-mtune=native", "-O2", "-Wall", "-Werror", "-MD", "-MF", "a.d",
         "-fsigned-char", "-fcf-protection", "-std=c11", "src/a.c"],
        "/proj/build", "/proj/build/src/a.c")
    assert flags[0] == "--target=aarch64-linux-gnu"
    assert ["-I", "/proj/build/inc"] == flags[1:3] and "-I/proj/build/inc2" in flags
    assert {"-DFOO=1", "-UBAZ", "-std=c11", "-fsigned-char"} <= set(flags) and "BAR" in flags
    assert not any(f.startswith(("-m", "-O", "-W", "-MD", "-fcf")) or f in ("-o", "-c", "a.o", "a.d") for f in flags)
    assert "src/a.c" not in flags
    assert char_flag == "-fsigned-char"


def test_database_reads_arguments_and_command_with_relative_directories(tmp_path):
    (tmp_path / "b").mkdir()
    db = tmp_path / "b" / "compile_commands.json"
    db.write_text(json.dumps([
        {"directory": ".", "file": "../x.c", "arguments": ["cc", "-DX=1", "-c", "../x.c"]},
        {"directory": str(tmp_path), "file": "y.c", "command": "gcc -I 'my inc' -DY -c y.c"},
        {"directory": ".", "command": "no file"},
    ]))
    loaded = compdb.CompilationDatabase.load(db)
    assert len(loaded) == 2 and loaded.skipped == 1
    x = loaded.entry_for(str(tmp_path / "x.c"))
    assert x is not None and "-DX=1" in x.flags and x.directory == str(tmp_path / "b")
    y = loaded.entry_for(str(tmp_path / "y.c"))
    assert y is not None and str(tmp_path / "my inc") in y.flags and "-DY" in y.flags
    assert loaded.entry_for(str(tmp_path / "z.c")) is None


def test_unreadable_database_is_a_clear_error(tmp_path):
    bad = tmp_path / "compile_commands.json"
    bad.write_text("{not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        compdb.CompilationDatabase.load(bad)
    with pytest.raises(ScanInputError, match="--compile-commands"):
        run_scan(tmp_path, ScanSettings(select=("CC101",), jobs=1, compile_commands=str(bad)))


def test_discovery_at_root_and_in_build_directories(tmp_path):
    assert compdb.discover(tmp_path) is None
    (tmp_path / "build-release").mkdir()
    (tmp_path / "build-release" / "compile_commands.json").write_text("[]")
    assert compdb.discover(tmp_path) == str(tmp_path / "build-release" / "compile_commands.json")
    (tmp_path / "compile_commands.json").write_text("[]")
    assert compdb.discover(tmp_path) == str(tmp_path / "compile_commands.json")


def test_plan_without_database_or_with_no_deep_is_fast(tmp_path):
    _write_tree(tmp_path)
    p = plan(tmp_path, [], None, True)
    assert not p.enabled and "no compile_commands.json" in p.reason
    _write_db(tmp_path)
    p = plan(tmp_path, [], None, False)
    assert not p.enabled and p.reason == "fast mode: --no-deep"


# -- both modes on one tree ------------------------------------------------------------------------


@needs_clang
def test_deep_mode_uses_clang_types(tmp_path):
    _write_tree(tmp_path)
    fast_report, fast = _scan(tmp_path)
    assert fast_report.settings["analysis"]["mode"] == "fast"
    _write_db(tmp_path)
    deep_report, deep = _scan(tmp_path)
    analysis = deep_report.settings["analysis"]
    assert analysis["mode"] == "deep" and analysis["files_in_database"] == 5
    assert "5 of 5 C/C++ source files from build/compile_commands.json" in analysis["reason"]

    only_deep = {
        ("src/header_typedef.c", 3, "CC101"),  # byte_t from types.h
        ("src/header_typedef.c", 6, "CC101"),  # BYTE -> byte_t -> char
        ("src/header_typedef.c", 8, "CC104"),  # byte_t bit-field
        ("src/float_and_order.c", 8, "CC306"),  # MY_RELAXED -> memory_order_relaxed
        ("src/float_and_order.c", 11, "CC203"),  # float field declared in types.h
    }
    only_fast = {
        ("src/signed_define.c", 7, "CC101"),  # -DUSE_SIGNED=1 makes text_t signed char
        ("src/field_from_header.c", 4, "CC101"),  # r->c is the header's int, not the local char
    }
    both = {("src/common.c", 2, "CC101")}
    assert deep == only_deep | both
    assert fast == only_fast | both
    for f in deep_report.findings:
        assert f.properties.get("analysis") == "libclang", f
    for f in fast_report.findings:
        assert "analysis" not in f.properties


@needs_clang
def test_results_without_database_match_fast_mode(tmp_path):
    _write_tree(tmp_path)
    _, no_db = _scan(tmp_path)
    db = _write_db(tmp_path)
    _, forced_fast = _scan(tmp_path, deep=False)
    assert forced_fast == no_db
    db.unlink()
    _, removed = _scan(tmp_path)
    assert removed == no_db


@needs_clang
def test_file_without_the_word_char_is_offered_in_deep_mode(tmp_path):
    files = {"include/types.h": TYPES_H, "src/nochar.c": '#include "types.h"\nint n(byte_t c) { return c < 0; }\n'}
    _write_tree(tmp_path, files)
    (tmp_path / "compile_commands.json").write_text(json.dumps([
        {"directory": str(tmp_path), "file": "src/nochar.c", "arguments": ["cc", "-Iinclude", "-c", "src/nochar.c"]}]))
    _, fast = _scan(tmp_path, deep=False)
    _, deep = _scan(tmp_path)
    assert fast == set() and deep == {("src/nochar.c", 2, "CC101")}


@needs_clang
def test_signed_char_flag_in_the_database_makes_findings_information(tmp_path):
    _write_tree(tmp_path, {"src/common.c": FILES["src/common.c"]})
    (tmp_path / "compile_commands.json").write_text(json.dumps([
        {"directory": str(tmp_path), "file": "src/common.c", "arguments": ["cc", "-fsigned-char", "-c", "src/common.c"]}]))
    report, found = _scan(tmp_path)
    assert found == {("src/common.c", 2, "CC101")}
    (f,) = report.findings
    assert f.severity.value == "info" and f.properties["build_flag"] == "-fsigned-char"
    assert "passes -fsigned-char" in f.message and "keeps the x86-64 behaviour" in f.message


@needs_clang
def test_file_libclang_cannot_parse_falls_back_to_fast_mode(tmp_path):
    _write_tree(tmp_path, {"src/common.c": '#include "missing_header.h"\n' + FILES["src/common.c"]})
    (tmp_path / "compile_commands.json").write_text(json.dumps([
        {"directory": str(tmp_path), "file": "src/common.c", "arguments": ["cc", "-c", "src/common.c"]}]))
    report, found = _scan(tmp_path)
    assert found == {("src/common.c", 3, "CC101")}
    assert "analysis" not in report.findings[0].properties  # fast mode answered
    assert not report.errors


# -- the command line ------------------------------------------------------------------------------


@needs_clang
def test_cli_compile_commands_option_and_note(tmp_path):
    _write_tree(tmp_path)
    db = _write_db(tmp_path, where="elsewhere")  # not found by discovery
    runner = CliRunner()
    auto = runner.invoke(cli, ["scan", str(tmp_path), "--select", "CC101", "--format", "json", "--no-progress"])
    assert json.loads(auto.stdout)["settings"]["analysis"]["mode"] == "fast"
    res = runner.invoke(cli, ["scan", str(tmp_path), "--select", "CC101", "--format", "json", "--no-progress",
                              "--compile-commands", str(db)])
    report = json.loads(res.stdout)
    assert report["settings"]["analysis"]["mode"] == "deep"
    assert "deep mode (libclang): 5 of 5" in res.stderr
    assert {(f["path"], f["line"]) for f in report["findings"]} >= {("src/header_typedef.c", 3)}
    off = runner.invoke(cli, ["scan", str(tmp_path), "--select", "CC101", "--format", "json", "--no-progress",
                              "--compile-commands", str(db), "--no-deep"])
    assert json.loads(off.stdout)["settings"]["analysis"]["mode"] == "fast"
    assert "fast mode: --no-deep" in off.stderr


def test_doctor_reports_libclang():
    res = CliRunner().invoke(cli, ["doctor"])
    assert "libclang" in res.output
