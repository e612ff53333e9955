"""The file walk: .gitignore files at every level, --exclude globs, symlinks (directories
never followed), special files, and the directories that are always skipped."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from archport.discovery import ALWAYS_SKIPPED_DIRS, discover

IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def touch(root: Path, *paths: str, text: str = "int x;\n") -> None:
    for rel in paths:
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)


def rels(root: Path, **kwargs) -> list[str]:
    found = discover(root, **kwargs)
    assert not found.errors, found.errors
    return [rel for _, rel in found.files]


def test_sorted_relative_posix_paths_with_absolute_partners(tmp_path):
    touch(tmp_path, "b.c", "a/z.h", "a/b/y.cpp", "c.S", "a.asm")
    found = discover(tmp_path)
    assert [rel for _, rel in found.files] == ["a.asm", "a/b/y.cpp", "a/z.h", "b.c", "c.S"]
    for abs_path, rel in found.files:
        assert Path(abs_path) == tmp_path / rel


def test_only_source_candidates(tmp_path):
    touch(tmp_path, "a.c", "README.md", "setup.py", "Makefile", "notes.txt", "x.o", ".hidden.c", "noext")
    # extensionless names stay candidates: their `#!` line (or ELF magic) is read later;
    # object files are binaries, read by the artifact rules (BN)
    assert rels(tmp_path) == [".hidden.c", "Makefile", "a.c", "noext", "setup.py", "x.o"]


def test_root_may_be_a_file(tmp_path):
    touch(tmp_path, "one.c")
    found = discover(tmp_path / "one.c")
    assert found.files == [(str(tmp_path / "one.c"), "one.c")]


def test_gitignore_at_the_root(tmp_path):
    touch(tmp_path, "src/a.c", "build/gen.c", "src/build/deep.c", "x.gen.c", "src/y.gen.c", "keep.c")
    (tmp_path / ".gitignore").write_text("# comment\nbuild/\n*.gen.c\n\n")
    assert rels(tmp_path) == ["keep.c", "src/a.c"]
    assert rels(tmp_path, respect_gitignore=False) == sorted(
        ["src/a.c", "build/gen.c", "src/build/deep.c", "x.gen.c", "src/y.gen.c", "keep.c"]
    )


def test_nested_gitignore_applies_below_its_directory_only(tmp_path):
    touch(tmp_path, "local.c", "sub/local.c", "sub/deeper/local.c", "other/local.c")
    (tmp_path / "sub" / ".gitignore").write_text("local.c\n")
    assert rels(tmp_path) == ["local.c", "other/local.c"]


def test_anchored_pattern_in_nested_gitignore(tmp_path):
    touch(tmp_path, "only_here.c", "sub/only_here.c", "sub/deeper/only_here.c")
    (tmp_path / "sub" / ".gitignore").write_text("/only_here.c\n")
    assert rels(tmp_path) == ["only_here.c", "sub/deeper/only_here.c"]


def test_path_pattern_in_nested_gitignore(tmp_path):
    touch(tmp_path, "gen/x.c", "lib/gen/x.c", "lib/src/gen/x.c")
    (tmp_path / "lib" / ".gitignore").write_text("gen/x.c\n")
    # a pattern with a slash is relative to the .gitignore's directory
    assert rels(tmp_path) == ["gen/x.c", "lib/src/gen/x.c"]


def test_negation_within_one_gitignore(tmp_path):
    touch(tmp_path, "a.gen.c", "keep.gen.c", "b.c")
    (tmp_path / ".gitignore").write_text("*.gen.c\n!keep.gen.c\n")
    assert rels(tmp_path) == ["b.c", "keep.gen.c"]


def test_negation_in_a_deeper_gitignore_reincludes(tmp_path):
    """As in git: the deepest .gitignore with a matching pattern decides."""
    touch(tmp_path, "x.gen.c", "sub/keep.gen.c", "sub/drop.gen.c")
    (tmp_path / ".gitignore").write_text("*.gen.c\n")
    (tmp_path / "sub" / ".gitignore").write_text("!keep.gen.c\n")
    assert rels(tmp_path) == ["sub/keep.gen.c"]


def test_ignored_directory_is_not_entered(tmp_path):
    touch(tmp_path, "out/a.c", "out/inner/b.c", "src/c.c")
    (tmp_path / ".gitignore").write_text("out/\n")
    (tmp_path / "out" / ".gitignore").write_text("!*.c\n")
    assert rels(tmp_path) == ["src/c.c"]


def test_gitignore_without_git_repository(tmp_path):
    assert not (tmp_path / ".git").exists()
    touch(tmp_path, "a.c", "b.c")
    (tmp_path / ".gitignore").write_text("b.c\n")
    assert rels(tmp_path) == ["a.c"]


@pytest.mark.parametrize(
    "patterns,expected",
    [
        (("vendor/",), ["src/a.c", "src/a_test.c", "src/gen/b.c", "third_party/x/gen/c.c"]),
        (("*_test.c",), ["src/a.c", "src/gen/b.c", "third_party/x/gen/c.c", "vendor/v.c"]),
        (("third_party/**/gen/*.c",), ["src/a.c", "src/a_test.c", "src/gen/b.c", "vendor/v.c"]),
        (("gen/",), ["src/a.c", "src/a_test.c", "vendor/v.c"]),
        (("/src/gen/",), ["src/a.c", "src/a_test.c", "third_party/x/gen/c.c", "vendor/v.c"]),
        (("*.c", "!src/a.c"), ["src/a.c"]),
        (("vendor", "third_party", "*_test.c"), ["src/a.c", "src/gen/b.c"]),
    ],
)
def test_exclude_globs(tmp_path, patterns, expected):
    touch(tmp_path, "src/a.c", "src/a_test.c", "src/gen/b.c", "vendor/v.c", "third_party/x/gen/c.c")
    assert rels(tmp_path, excludes=patterns) == expected


def test_exclude_applies_with_gitignore_off(tmp_path):
    touch(tmp_path, "a.c", "b.c")
    (tmp_path / ".gitignore").write_text("a.c\n")
    assert rels(tmp_path, excludes=("b.c",), respect_gitignore=False) == ["a.c"]


def test_directory_symlinks_are_not_followed(tmp_path):
    touch(tmp_path, "real/r.c")
    os.symlink("real", tmp_path / "alias")
    os.symlink("real", tmp_path / "alias.c")  # a directory link with a source-like name
    os.symlink(".", tmp_path / "real" / "self")
    os.symlink("..", tmp_path / "real" / "up.c")
    assert rels(tmp_path) == ["real/r.c"]


def test_file_symlinks_are_followed(tmp_path):
    touch(tmp_path, "real.c")
    os.symlink("real.c", tmp_path / "link.c")
    assert rels(tmp_path) == ["link.c", "real.c"]


def test_symlink_problems_are_errors(tmp_path):
    touch(tmp_path, "ok.c")
    os.symlink("b.c", tmp_path / "a.c")
    os.symlink("a.c", tmp_path / "b.c")
    os.symlink("missing.c", tmp_path / "dangling.c")
    found = discover(tmp_path)
    assert [rel for _, rel in found.files] == ["ok.c"]
    assert sorted((e.path, e.stage) for e in found.errors) == [("a.c", "read"), ("b.c", "read"), ("dangling.c", "read")]


def test_fifo_is_an_error_and_never_opened(tmp_path):
    touch(tmp_path, "ok.c")
    os.mkfifo(tmp_path / "pipe.c")
    os.mkfifo(tmp_path / "pipe.txt")  # not a candidate: silently skipped
    found = discover(tmp_path)
    assert [rel for _, rel in found.files] == ["ok.c"]
    assert [(e.path, e.stage) for e in found.errors] == [("pipe.c", "read")]


def test_symlink_to_fifo_is_an_error(tmp_path):
    os.mkfifo(tmp_path / "fifo")
    os.symlink("fifo", tmp_path / "link.c")
    found = discover(tmp_path)
    assert found.files == []
    assert [(e.path, e.stage) for e in found.errors] == [("link.c", "read")]


@pytest.mark.skipif(IS_ROOT, reason="root can list a chmod 000 directory")
def test_unreadable_directory_is_an_error(tmp_path):
    touch(tmp_path, "ok.c", "locked/x.c")
    (tmp_path / "locked").chmod(0)
    try:
        found = discover(tmp_path)
    finally:
        (tmp_path / "locked").chmod(0o755)
    assert [rel for _, rel in found.files] == ["ok.c"]
    assert [(e.path, e.stage) for e in found.errors] == [("locked", "read")]


@pytest.mark.parametrize("name", sorted(ALWAYS_SKIPPED_DIRS))
def test_always_skipped_dirs(tmp_path, name):
    touch(tmp_path, f"{name}/inside.c", f"src/{name}/deep.c", "src/ok.c")
    assert rels(tmp_path) == ["src/ok.c"]
    assert rels(tmp_path, respect_gitignore=False) == ["src/ok.c"]


def test_always_skipped_dirs_contents():
    assert {".git", ".hg", ".svn", "__pycache__", ".venv"} <= ALWAYS_SKIPPED_DIRS


def test_skipped_names_are_only_directories(tmp_path):
    touch(tmp_path, "CVS.c", "x/.git.c")
    assert rels(tmp_path) == ["CVS.c", "x/.git.c"]
