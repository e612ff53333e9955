"""Build-file flags found near a source file change what the FMA rule says (CC206)."""

from __future__ import annotations

import re

import archport
from archport.buildflags import find_flag

_CODE = "int is_zero(double a, double b, double c) { return a * b + c == 0.0; }\n"


def _cc206(tmp_path, build_text: str | None):
    root = tmp_path / "p"
    (root / "src").mkdir(parents=True)
    if build_text is not None:
        (root / "CMakeLists.txt").write_text(build_text)
    (root / "src" / "a.c").write_text(_CODE)
    findings = [f for f in archport.scan(root / "src" / "a.c", select=["CC206"], jobs=1).active]
    assert len(findings) == 1
    return findings[0]


def test_without_build_flags_the_finding_is_a_warning(tmp_path):
    f = _cc206(tmp_path, None)
    assert f.severity.value == "warning" and f.properties["build_flag"] is None


def test_fp_contract_off_in_the_build_turns_it_into_information(tmp_path):
    f = _cc206(tmp_path, 'add_compile_options(-O2 -ffp-contract=off)\n')
    assert f.severity.value == "info"
    assert f.properties == {**f.properties, "build_flag": "-ffp-contract=off", "build_file": "CMakeLists.txt"}


def test_fast_math_in_the_build_is_named_and_stays_a_warning(tmp_path):
    f = _cc206(tmp_path, "set(CMAKE_C_FLAGS \"-Ofast\")\n")
    assert f.severity.value == "warning" and f.properties["build_flag"] == "-Ofast"


def test_find_flag_takes_the_nearest_build_file(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "Makefile").write_text("CFLAGS += -fsigned-char\n")
    (tmp_path / "a" / "meson.build").write_text("add_project_arguments('-funsigned-char', language: 'c')\n")
    pattern = re.compile(rb"-f(un)?signed-char")
    text, groups, path = find_flag(str(tmp_path / "a" / "b" / "x.c"), pattern)
    assert (text, groups, path) == ("-funsigned-char", (b"un",), str(tmp_path / "a" / "meson.build"))
