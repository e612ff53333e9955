"""The plain-char rules turn into information when the build passes -fsigned-char (AArch64 then
keeps the x86-64 behaviour) or -funsigned-char, found in build files up to six levels above."""

from __future__ import annotations

import archport
from archport.buildflags import char_signedness_flag

_CODE = """\
#include <stdio.h>
struct s { char mode : 2; };
int high(const char *p) { return *p < 0; }
void copy(FILE *in) { char c; while ((c = getc(in)) != EOF) putchar(c); }
unsigned hash(const char *s) { unsigned h = 0; while (*s) h = h * 31 + *s++; return h; }
"""
_CODES = ["CC101", "CC102", "CC103", "CC104"]


def _scan(tmp_path, build_file: str | None, text: str = "", depth: int = 2):
    root = tmp_path / "project"
    src = root.joinpath(*(f"d{i}" for i in range(depth)))
    src.mkdir(parents=True)
    if build_file:
        (root / build_file).write_text(text)
    (src / "a.c").write_text(_CODE)
    report = archport.scan(src / "a.c", select=_CODES, jobs=1)
    assert not report.errors, report.errors
    return report.active


def test_without_flag_findings_are_warnings(tmp_path):
    found = _scan(tmp_path, "CMakeLists.txt", "project(x C)\nadd_compile_options(-O2)\n")
    assert sorted(f.code for f in found) == _CODES
    assert {f.severity.value for f in found} == {"warning"}
    assert all("build_flag" not in f.properties for f in found)


def test_signed_char_in_cmake_makes_them_information(tmp_path):
    found = _scan(tmp_path, "CMakeLists.txt", 'project(x C)\nset(CMAKE_C_FLAGS "${CMAKE_C_FLAGS} -fsigned-char")\n')
    assert sorted(f.code for f in found) == _CODES
    assert {f.severity.value for f in found} == {"info"}
    assert all(f.properties["build_flag"] == "-fsigned-char" for f in found)
    assert all("-fsigned-char" in f.message and "keeps the x86-64 behaviour" in f.message for f in found)
    assert all(f.properties["build_file"].endswith("CMakeLists.txt") for f in found)


def test_unsigned_char_in_makefile_is_reported_too(tmp_path):
    found = _scan(tmp_path, "Makefile", "CFLAGS += -O2 -funsigned-char\n")
    assert {f.severity.value for f in found} == {"info"}
    assert all(f.properties["build_flag"] == "-funsigned-char" for f in found)


def test_flag_spellings(tmp_path):
    for i, (text, expected) in enumerate(
        [
            ("CFLAGS=-fno-unsigned-char", "-fsigned-char"),
            ("CFLAGS=-fno-signed-char", "-funsigned-char"),
            ("CFLAGS=-Wall", None),
            ("CFLAGS=-xfsigned-char", None),
        ]
    ):
        d = tmp_path / f"p{i}"
        d.mkdir()
        (d / "meson.build").write_text(f"add_project_arguments('{text}', language: 'c')\n")
        (d / "a.c").write_text("")
        found = char_signedness_flag(str(d / "a.c"))
        assert (found[0] if found else None) == expected, text


def test_flag_more_than_six_levels_up_is_not_seen(tmp_path):
    found = _scan(tmp_path, "CMakeLists.txt", "add_compile_options(-fsigned-char)\n", depth=7)
    assert {f.severity.value for f in found} == {"warning"}
