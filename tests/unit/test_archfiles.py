"""Go build constraints and Rust cfg predicates, evaluated for linux/arm64 and linux/amd64."""

from __future__ import annotations

import pytest

from archport.archfiles import evaluate_go_constraint, go_file, rust_cfg


@pytest.mark.parametrize(
    "path,text,arm64,x86_64",
    [
        ("sum.go", "package x\n", True, True),
        ("sum_amd64.go", "package x\n", False, True),
        ("sum_arm64.go", "package x\n", True, False),
        ("sum_linux_amd64.go", "package x\n", False, True),
        ("sum_windows.go", "package x\n", False, False),
        ("sum_amd64_test.go", "package x\n", False, True),
        ("sum_noasm.go", "//go:build !amd64 || purego\n\npackage x\n", True, None),
        ("sum_asm.go", "//go:build (amd64 || arm64) && !purego\n\npackage x\n", None, None),
        ("sum_decl.go", "//go:build amd64 && !appengine && gc\n\npackage x\n", False, None),
        ("old.go", "// +build amd64,!noasm\n\npackage x\n", False, None),
        ("old2.go", "// +build !amd64 appengine\n\npackage x\n", True, None),
        ("unix.go", "//go:build unix\n\npackage x\n", True, True),
        ("late.go", "package x\n\n//go:build amd64\n", True, True),  # after `package`: not a constraint
        ("v.go", "//go:build go1.21\n\npackage x\n", True, True),
    ],
)
def test_go_file(path, text, arm64, x86_64):
    sel = go_file(path, text)
    assert (sel.arm64, sel.x86_64) == (arm64, x86_64)


def test_go_x86_only():
    assert go_file("a_amd64.go", "package a\n").x86_only
    assert not go_file("a.go", "package a\n").x86_only


@pytest.mark.parametrize(
    "expr,arm64",
    [("arm64", True), ("!arm64", False), ("linux && (arm64 || amd64)", True), ("custom", None), ("!(", None)],
)
def test_go_expressions(expr, arm64):
    assert evaluate_go_constraint(expr, "linux", "arm64") is arm64


@pytest.mark.parametrize(
    "predicate,arm64,x86_64",
    [
        ('target_arch = "x86_64"', False, True),
        ('target_arch = "aarch64"', True, False),
        ('any(target_arch = "x86", target_arch = "x86_64")', False, True),
        ('not(target_arch = "x86_64")', True, False),
        ('all(target_arch = "x86_64", target_feature = "avx2")', False, None),
        ('target_feature = "sse2"', False, True),
        ('target_feature = "neon"', True, False),
        ('all(unix, target_pointer_width = "64")', True, True),
        ('feature = "simd"', None, None),
        ('any(target_arch = "aarch64", feature = "std")', True, None),
    ],
)
def test_rust_cfg(predicate, arm64, x86_64):
    sel = rust_cfg(predicate)
    assert (sel.arm64, sel.x86_64) == (arm64, x86_64)


def test_go_default_tags_and_assembly_files():
    from archport.archfiles import is_go_assembly

    text = "//go:build (amd64 || arm64) && !noasm && gc\n\npackage x\n"
    assert go_file("dec_asm.go", text).arm64 is None  # `noasm` may be set
    assert go_file("dec_asm.go", text, default_tags=True).arm64 is True  # a plain `go build`
    assert go_file("dec_asm.go", "//go:build purego\n\npackage x\n", default_tags=True).arm64 is False
    assert (go_file("dec_amd64.s", "#include \"textflag.h\"\n").arm64, go_file("dec_amd64.s", "").x86_64) == (False, True)
    assert go_file("dec_arm64.s", "//go:build !noasm\n", default_tags=True).arm64 is True
    assert is_go_assembly("TEXT \u00b7decode(SB), NOSPLIT, $0-56\n\tMOVQ a+0(FP), AX\n")
    assert not is_go_assembly(".globl decode\ndecode:\n\tmovq %rdi, %rax\n")
