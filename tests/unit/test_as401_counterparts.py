"""AS401: the AArch64 counterpart and build-file hints, on real directory trees."""

from __future__ import annotations

import archport

X86_ATT = """\
    .text
    .globl  sum2
sum2:
    leaq    (%rdi,%rsi), %rax
    ret
"""
ARM64 = """\
    .text
    .globl  sum2
sum2:
    add     x0, x0, x1
    ret
"""
ARM32 = """\
    .syntax unified
    .arm
    .globl  sum2
sum2:
    add     r0, r0, r1
    bx      lr
"""
NASM = """\
bits 64
section .text
global sum2
sum2:
    lea     rax, [rdi+rsi]
    ret
"""
GUARDED = "#if defined(__x86_64__)\n" + X86_ATT + "#endif\n"


def _findings(root):
    report = archport.scan(root, select=["AS401"], respect_layout=False)
    assert not report.errors, report.errors
    return {f.path: f for f in report.active}


def test_same_directory_counterpart_and_cmake_reference(make_tree):
    root = make_tree(
        {
            "src/sum_amd64.S": X86_ATT,
            "src/sum_arm64.S": ARM64,
            "CMakeLists.txt": "add_library(sum src/sum_amd64.S)\n",
        }
    )
    found = _findings(root)
    assert set(found) == {"src/sum_amd64.S"}
    f = found["src/sum_amd64.S"]
    assert f.line == 4
    assert f.properties["counterpart"] == "src/sum_arm64.S"
    assert f.properties["build_files"] == ["CMakeLists.txt"]
    assert f.properties["syntax"] == "gas-att"
    assert f.properties["instruction_lines"] == 2
    assert "an AArch64 counterpart exists: `src/sum_arm64.S`" in f.message
    assert "referenced by `CMakeLists.txt`" in f.message
    assert "src/sum_arm64.S" in f.help


def test_no_counterpart_and_no_build_reference(make_tree):
    root = make_tree({"src/sum_amd64.S": X86_ATT, "src/other_arm64.S": ARM64, "Makefile": "all:\n\tcc -o app main.c\n"})
    f = _findings(root)["src/sum_amd64.S"]
    assert f.properties["counterpart"] is None
    assert f.properties["build_files"] == []
    assert "no AArch64 counterpart found beside it" in f.message
    assert "not referenced by any build file found" in f.message


def test_sibling_directory_counterpart_and_makefile_glob(make_tree):
    root = make_tree(
        {
            "lib/x86/sum.asm": NASM,
            "lib/aarch64/sum.S": ARM64,
            "lib/Makefile": "ASM_SRCS := $(wildcard x86/*.asm)\n",
        }
    )
    f = _findings(root)["lib/x86/sum.asm"]
    assert f.properties["syntax"] == "nasm"
    assert f.properties["counterpart"] == "lib/aarch64/sum.S"
    assert f.properties["build_files"] == ["lib/Makefile"]
    assert "NASM" in f.help


def test_nested_arm64_directory_and_meson_reference(make_tree):
    root = make_tree(
        {
            "src/x86/mc_avx2.asm": NASM,
            "src/arm/64/mc.S": ARM64,
            "src/meson.build": "libsrc += files('x86/mc_avx2.asm')\n",
        }
    )
    f = _findings(root)["src/x86/mc_avx2.asm"]
    assert f.properties["counterpart"] == "src/arm/64/mc.S"
    assert f.properties["build_files"] == ["src/meson.build"]


def test_arm32_file_is_not_an_aarch64_counterpart(make_tree):
    root = make_tree({"lib/x86/sum.asm": NASM, "lib/arm/sum.S": ARM32})
    found = _findings(root)
    assert set(found) == {"lib/x86/sum.asm"}  # the Arm32 file itself is not x86 either
    assert found["lib/x86/sum.asm"].properties["counterpart"] is None


def test_build_file_must_name_the_file_itself(make_tree):
    root = make_tree({"src/sum_amd64.S": X86_ATT, "CMakeLists.txt": "add_library(sum src/xsum_amd64.S src/sum_amd64.S.in)\n"})
    assert _findings(root)["src/sum_amd64.S"].properties["build_files"] == []


def test_guarded_and_aarch64_files_are_not_reported(make_tree):
    root = make_tree({"a/guarded.S": GUARDED, "a/sum_arm64.S": ARM64, "a/sum_arm32.S": ARM32})
    assert _findings(root) == {}


def test_edited_tree_is_reread(make_tree):
    root = make_tree({"src/sum_amd64.S": X86_ATT})
    assert _findings(root)["src/sum_amd64.S"].properties["counterpart"] is None
    (root / "src" / "sum_arm64.S").write_text(ARM64)
    (root / "CMakeLists.txt").write_text("set(SRCS src/sum_amd64.S)\n")
    f = _findings(root)["src/sum_amd64.S"]
    assert f.properties["counterpart"] == "src/sum_arm64.S"
    assert f.properties["build_files"] == ["CMakeLists.txt"]
