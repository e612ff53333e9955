"""File kinds by name, extension and `#!` line, and comment masking of the build-layer
languages (comments blanked, strings kept)."""

from __future__ import annotations

import pytest

import archport
from archport.languages import classify
from archport.source import SourceFile


@pytest.mark.parametrize(
    "name,head,expected",
    [
        ("Makefile", b"", "make"),
        ("rules.mk", b"", "make"),
        ("Makefile.am", b"", "make"),
        ("CMakeLists.txt", b"", "cmake"),
        ("FindMKL.cmake", b"", "cmake"),
        ("meson.build", b"", "meson"),
        ("BUILD.bazel", b"", "bazel"),
        (".bazelrc", b"", "bazel"),
        ("configure.ac", b"", "autoconf"),
        ("config.guess", b"", "shell"),
        ("build.sh", b"", "shell"),
        ("Dockerfile", b"", "dockerfile"),
        ("Dockerfile.arm64", b"", "dockerfile"),
        ("base.dockerfile", b"", "dockerfile"),
        ("ci.yml", b"", "yaml"),
        ("Jenkinsfile", b"", "groovy"),
        ("binding.gyp", b"", "gyp"),
        ("setup.py", b"", "python"),
        ("install.ps1", b"", "powershell"),
        ("bootstrap", b"#!/bin/sh\nset -e\n", "shell"),
        ("tool", b"#!/usr/bin/env bash\n", "shell"),
        ("gen", b"#!/usr/bin/env -S python3 -u\n", "python"),
        ("main.go", b"", "go"),
        ("lib.rs", b"", "rust"),
        ("Native.java", b"", "java"),
        ("Simd.cs", b"", "csharp"),
        ("solver.f90", b"", "fortran"),
        ("legacy.f", b"", "fortran"),
        ("blas.F", b"", "fortran"),
        ("LICENSE", b"Apache License\n", None),
        ("runme", b"#!/usr/bin/perl\n", None),
    ],
)
def test_classify(name, head, expected):
    lang = classify(name, head)
    assert (lang.name if lang else None) == expected


@pytest.mark.parametrize(
    "language,text,kept,blanked",
    [
        ("cmake", 'set(F "-mavx2 #x") # -msse\n', "-mavx2 #x", "-msse"),
        ("cmake", "#[[ block\n -mavx ]]\nadd_compile_options(-mfma)\n", "-mfma", "-mavx"),
        ("shell", 'echo "a#b" ${#x} $# # -mavx\n', "${#x} $#", "-mavx"),
        ("autoconf", 'dnl -mavx2\nCFLAGS="$CFLAGS -msse4.2"\n', "-msse4.2", "-mavx2"),
        ("yaml", "url: https://h/x#frag # amd64\n", "#frag", "amd64"),
        ("powershell", "<# x64\n #>\n$a = 'x64'\n", "'x64'", "x64\n"),
        ("groovy", "sh 'make' // amd64\n", "sh 'make'", "amd64"),
    ],
)
def test_comment_masking(language, text, kept, blanked):
    src = SourceFile("f", language, text)
    assert len(src.masked) == len(text) and src.masked.count("\n") == text.count("\n")
    assert kept in src.masked
    assert blanked not in src.masked
    assert src.comments


def test_extensionless_files_are_sniffed_not_counted(tmp_path):
    (tmp_path / "LICENSE").write_text("MIT\n")
    (tmp_path / "blob").write_bytes(b"\x7fELF\x00\x00" * 100)
    (tmp_path / "bootstrap").write_text("#!/bin/sh\necho hi\n")
    report = archport.scan(tmp_path, jobs=1)
    assert report.errors == []  # the binary blob is not a source file: no "binary content" error
    assert report.files_scanned == 1 and report.files_skipped == 0


@pytest.mark.parametrize(
    "path,language,text,kept,blanked",
    [
        ("a.go", "go", "s := `raw // x86` // amd64\nf()\n", "f()", "amd64"),
        ("a.rs", "rust", "fn f<'a>(x: &'a u8) {} // x86_64\n", "fn f<'a>(x: &'a u8)", "x86_64"),
        ("a.rs", "rust", 'let s = r#"say "hi" _mm_add_ps"#; g(); // c\n', "g();", "_mm_add_ps"),
        ("a.rs", "rust", 'let s = br##"a"#b\\"##; h(); let t = r"\\"; k();\n', "k();", "a\"#b"),
        ("a.f", "fortran", "C avx comment\n      x = 'a ! b' ! mkl\n", "x = '", "mkl"),
        ("a.f90", "fortran", 'call f("!") ! x87\n', "call f(", "x87"),
        ("A.java", "java", 'String s = "amd64"; /* x86 */\n', "String s", "x86"),
    ],
)
def test_code_masking(path, language, text, kept, blanked):
    src = SourceFile(path, language, text)
    assert len(src.masked) == len(text)
    assert kept in src.masked and blanked not in src.masked


def test_every_grammar_loads():
    from archport.languages import LANGUAGES
    from archport.parsing import treesitter

    for lang in LANGUAGES.values():
        if lang.grammar:
            tree = treesitter.parse(lang.grammar, b"x")
            assert tree.root_node is not None


@pytest.mark.parametrize(
    "name,language",
    [
        ("requirements.txt", "pip-requirements"),
        ("requirements-dev.txt", "pip-requirements"),
        ("requirements_test.txt", "pip-requirements"),
        ("dev-requirements.in", "pip-requirements"),
        ("constraints.txt", "pip-requirements"),
        ("pyproject.toml", "toml"),
        ("Cargo.toml", "toml"),
        ("requirements.py", "python"),
        ("requirements.md", None),
        ("myrequirements.txt", None),
        ("notes.txt", None),
    ],
)
def test_requirement_files_and_toml(name, language):
    from archport.languages import candidate, classify

    lang = classify(name)
    assert (lang.name if lang else None) == language
    assert candidate(name) == (language is not None)


def test_requirement_file_comments_are_masked():
    src = SourceFile("requirements.txt", "pip-requirements", "numpy>=1.21  # not mkl\nmkl==2023.1\n")
    assert "mkl==2023.1" in src.masked and "not mkl" not in src.masked


@pytest.mark.parametrize(
    "name,language",
    [
        ("App.csproj", "msbuild"),
        ("Directory.Build.props", "msbuild"),
        ("Native.targets", "msbuild"),
        ("jvm.config", "jvm-options"),
        ("jvm.options", "jvm-options"),
        (".jvmopts", "jvm-options"),
        ("idea64.vmoptions", "jvm-options"),
        ("gradle.properties", "jvm-options"),
        ("run.bat", "batch"),
        ("START.CMD", "batch"),
        ("app.properties", None),
    ],
)
def test_msbuild_jvm_options_and_batch_files(name, language):
    from archport.languages import candidate, classify

    lang = classify(name)
    assert (lang.name if lang else None) == language
    assert candidate(name) == (language is not None)


def test_msbuild_xml_comments_are_masked():
    text = "<A>x</A> <!-- <RuntimeIdentifier>linux-x64</RuntimeIdentifier>\n -->\n<B>linux-arm64</B>\n"
    src = SourceFile("a.csproj", "msbuild", text)
    assert "linux-x64" not in src.masked and "<B>linux-arm64</B>" in src.masked
    assert len(src.masked) == len(text) and src.masked.count("\n") == text.count("\n")
    assert src.in_comment(text.index("linux-x64")) and not src.in_comment(text.index("linux-arm64"))


def test_batch_comments_are_masked():
    text = "@echo off\nREM java -XX:UseAVX=2\n:: -XX:+UseSSE42Intrinsics\nremark -Xmx1g\nset J=-XX:UseAVX=2\n"
    src = SourceFile("run.bat", "batch", text)
    assert src.masked.count("UseAVX") == 1 and "UseSSE42" not in src.masked and "remark -Xmx1g" in src.masked


@pytest.mark.parametrize(
    "name,language",
    [
        ("package.json", "json"), ("package-lock.json", "json"), ("Pipfile.lock", "json"), ("packages.lock.json", "json"),
        ("data.json", None), ("pom.xml", "maven"), ("settings.xml", None), ("app.csproj", "msbuild"),
        ("Directory.Packages.props", "msbuild"), ("go.mod", "gomod"), ("build.gradle", "gradle"),
        ("build.gradle.kts", "gradle"), ("other.kts", "kotlin"), ("setup.cfg", "ini"), ("Pipfile", "toml"),
        ("poetry.lock", "toml"), ("uv.lock", "toml"), ("Cargo.lock", "toml"), ("yarn.lock", None),
    ],
)
def test_dependency_manifest_kinds(name, language):
    from archport.languages import candidate, classify

    lang = classify(name)
    assert (lang.name if lang else None) == language
    if language is not None:
        assert candidate(name)


def test_char_offset_inverts_byte_offset():
    text = "a = 'é'\n// 😀 x86\nint ü = _mm_add_ps(a, b);\n\nend\n"
    src = SourceFile("f.c", "c", text)
    for offset in range(len(text) + 1):
        assert src.char_offset(src.byte_offset(offset)) == offset
