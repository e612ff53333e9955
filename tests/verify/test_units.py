"""Translation units and their flags: compile_commands.json rewriting, the best-effort default,
the include graph that decides code generation, and Fortran module order (no tools needed)."""

from __future__ import annotations

import json
import shlex

import pytest

from archport.verify.units import (
    CompileCommandsError,
    IncludeGraph,
    default_units,
    find_compile_commands,
    fortran_waves,
    split_flags,
    units_from_compile_commands,
    walk,
)


def test_split_flags_drops_outputs_dependency_files_and_code_loaders():
    args = shlex.split(
        "-DNDEBUG -I include -Isrc -O2 -march=haswell -mavx2 -MD -MF build/a.d -MT build/a.o -o build/a.o "
        "-c src/a.c -Werror -Werror=format -fplugin=./evil.so -B ./bin -specs=x.specs -Wl,-z,now -flto=auto -w"
    )
    kept, unsafe = split_flags(args, "src/a.c", "/proj")
    assert kept == ["-DNDEBUG", "-I", "include", "-Isrc", "-O2", "-march=haswell", "-mavx2"]
    assert "-fplugin=./evil.so" in unsafe and "-B ./bin" in unsafe and "-specs=x.specs" in unsafe


def test_compile_commands_entries(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.c").write_text("int a;\n")
    (tmp_path / "src" / "b.cpp").write_text("int b;\n")
    (tmp_path / "src" / "c.f90").write_text("module m\nend module m\n")
    db = [
        {"directory": str(tmp_path), "file": "src/a.c", "command": "cc -Iinc -DX=1 -o a.o -c src/a.c"},
        {"directory": str(tmp_path), "file": "src/a.c", "command": "cc -DDUPLICATE -c src/a.c"},
        {"directory": str(tmp_path), "file": "src/b.cpp", "arguments": ["c++", "-std=c++17", "-c", "src/b.cpp"]},
        {"directory": str(tmp_path), "file": "src/c.f90", "arguments": ["gfortran", "-J", "mods", "-c", "src/c.f90"]},
        {"directory": str(tmp_path), "file": "README", "command": "cc -c README"},
    ]
    path = tmp_path / "compile_commands.json"
    path.write_text(json.dumps(db))
    us = units_from_compile_commands(path, ["-DEXTRA"])
    assert [(u.file, u.language) for u in us.units] == [
        (str(tmp_path / "src" / "a.c"), "c"),
        (str(tmp_path / "src" / "b.cpp"), "cpp"),
        (str(tmp_path / "src" / "c.f90"), "fortran"),
    ]
    assert us.units[0].arm_flags == ["-Iinc", "-DX=1", "-DEXTRA"]
    assert us.units[1].arm_flags == ["-std=c++17", "-DEXTRA"]
    assert us.units[2].arm_flags == ["-DEXTRA"]  # -J mods replaced by a scratch module directory
    assert find_compile_commands(tmp_path) == path


@pytest.mark.parametrize("text", ["{}", "[{\"directory\": \"/\"}]", "not json"])
def test_bad_compile_commands(tmp_path, text):
    path = tmp_path / "compile_commands.json"
    path.write_text(text)
    with pytest.raises(CompileCommandsError):
        units_from_compile_commands(path, [])


def test_default_units_find_header_directories_and_include_prefixes(make_tree):
    root = make_tree({
        "include/proj/config.h": "#define X 1\n",
        "src/a.c": '#include <proj/config.h>\n#include "local.h"\n',
        "src/local.h": "",
        "src/sub/b.cc": "int b;\n",
        "tools/c.F90": "program c\nend program c\n",
        "docs/notes.txt": "",
        "build/ignored.c": "",
        ".gitignore": "build/\n",
    })
    files = walk(root)
    assert str(root / "build" / "ignored.c") not in files
    us = default_units(root, files, [])
    assert sorted(u.language for u in us.units) == ["c", "cpp", "fortran"]
    a = next(u for u in us.units if u.file.endswith("a.c"))
    assert f"-I{root / 'include'}" in a.arm_flags  # the prefix that <proj/config.h> needs
    assert f"-I{root / 'src'}" in a.arm_flags and "-D_GNU_SOURCE" in a.arm_flags
    assert a.arm_flags == a.x86_flags


def test_include_graph_follows_project_headers_only(make_tree):
    root = make_tree({
        "a.c": '#include "x.h"\n#include <stdio.h>\n',
        "x.h": '#include "y.h"\n',
        "y.h": "static inline void relax(void) { __asm__ volatile(\"yield\"); }\n",
        "b.c": '#include "z.h"\n/* asm in a comment does not count */\n',
        "z.h": "int z;\n",
    })
    from archport.verify.units import Unit

    graph = IncludeGraph()
    assert graph.needs_codegen(Unit(str(root / "a.c"), str(root), "c"), [])
    assert not graph.needs_codegen(Unit(str(root / "b.c"), str(root), "c"), [])


def test_fortran_waves_put_module_users_after_definitions(make_tree):
    root = make_tree({
        "main.f90": "program p\n  use helpers\n  use, intrinsic :: iso_fortran_env\nend program p\n",
        "helpers.f90": "module helpers\n  use base\ncontains\nend module helpers\n",
        "base.f90": "module base\n  integer, parameter :: k = 8\nend module base\n",
    })
    from archport.verify.units import Unit

    units = [Unit(str(root / n), str(root), "fortran") for n in ("main.f90", "helpers.f90", "base.f90")]
    waves = fortran_waves(units)
    assert [[u.file.rsplit("/", 1)[1] for u in w] for w in waves] == [["base.f90"], ["helpers.f90"], ["main.f90"]]


def test_codegen_markers_ignore_asm_labels_of_system_headers():
    from archport.verify.compile import _has_codegen_markers

    system = '# 1 "/usr/include/stdio.h" 1 3 4\nextern int scanf (const char *, ...) __asm__ ("" "__isoc99_scanf");\n'
    project = '# 5 "src/relax.h" 1\nstatic inline void relax(void) { __asm__ volatile("yield"); }\n'
    back = '# 12 "src/a.c" 2\nint main(void) { return 0; }\n'
    assert not _has_codegen_markers(system + back)
    assert _has_codegen_markers(system + project + back)
    assert _has_codegen_markers('# 1 "a.c"\n__attribute__((target_clones("default", "arch=armv8.2-a"))) int f(void);\n')
