"""Build-wide compiler flags that change what a source file means, found in the build files
around it (CMake, Make, Meson, autoconf, Bazel, setup.py, compile_commands.json).

`find_flag` looks for any flag pattern; `char_signedness_flag` answers for `-fsigned-char`
(AArch64 then behaves like x86-64) and `-funsigned-char` (x86-64 then like AArch64). Each
directory is read once per process and pattern."""

from __future__ import annotations

import fnmatch
import functools
import os
import re

#: how many directories above the file's own are searched
ANCESTOR_LEVELS = 6
_MAX_READ = 8 * 1024 * 1024
_BUILD_FILE_GLOBS = (
    "CMakeLists.txt", "*.cmake", "Makefile*", "makefile*", "GNUmakefile", "*.mk", "meson.build",
    "meson_options.txt", "configure.ac", "configure.in", "*.bazelrc", "BUILD", "BUILD.bazel",
    "setup.py", "compile_commands.json",
)
#: sub-directories where projects keep their compiler-flag modules
_FLAG_SUBDIRS = ("cmake", "CMake")
_CHAR_FLAG = re.compile(rb"(?<![\w-])-f(no-)?(un)?signed-char\b")


def find_flag(abs_path: str, pattern: re.Pattern[bytes]) -> tuple[str, tuple, str] | None:
    """(text matched, its groups, build file) for the nearest build file, in the directory of
    `abs_path` or one of its ANCESTOR_LEVELS ancestors, in which `pattern` occurs."""
    directory = os.path.dirname(os.path.abspath(abs_path))
    for _ in range(ANCESTOR_LEVELS + 1):
        found = _flag_in_directory(directory, pattern)
        if found is not None:
            return found
        parent = os.path.dirname(directory)
        if parent == directory:
            break
        directory = parent
    return None


def char_signedness_flag(abs_path: str) -> tuple[str, str] | None:
    """(flag, build file) when a build file near `abs_path` passes -fsigned-char or
    -funsigned-char (the `-fno-` forms count as their opposite); the nearest directory wins."""
    found = find_flag(abs_path, _CHAR_FLAG)
    if found is None:
        return None
    _, (no, un), path = found
    unsigned = bool(no) != bool(un)  # -fno-signed-char means unsigned
    return ("-funsigned-char" if unsigned else "-fsigned-char"), path


@functools.lru_cache(maxsize=4096)
def _flag_in_directory(directory: str, pattern: re.Pattern[bytes]) -> tuple[str, tuple, str] | None:
    candidates = _build_files(directory)
    for sub in _FLAG_SUBDIRS:
        candidates.extend(f for f in _build_files(os.path.join(directory, sub)) if f.endswith(".cmake"))
    for path in candidates:
        try:
            with open(path, "rb") as fh:
                data = fh.read(_MAX_READ)
        except OSError:
            continue
        m = pattern.search(data)
        if m:
            return m.group(0).decode(errors="replace"), m.groups(), path
    return None


def _build_files(directory: str) -> list[str]:
    try:
        entries = sorted(os.scandir(directory), key=lambda e: e.name)
    except OSError:
        return []
    out = []
    for entry in entries:
        if any(fnmatch.fnmatchcase(entry.name, g) for g in _BUILD_FILE_GLOBS):
            try:
                if entry.is_file():
                    out.append(entry.path)
            except OSError:
                continue
    return out
