"""Build-wide compiler flags that change what a source file means, found in the build files
around it (CMake, Make, Meson, autoconf, Bazel, setup.py, compile_commands.json).

Only the plain-`char` signedness flags for now: `-fsigned-char` (AArch64 then behaves like
x86-64) and `-funsigned-char` (x86-64 then behaves like AArch64). Each directory is read once
per process."""

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


def char_signedness_flag(abs_path: str) -> tuple[str, str] | None:
    """(flag, build file) when a build file in the directory of `abs_path` or one of its
    ANCESTOR_LEVELS ancestors passes -fsigned-char or -funsigned-char (the `-fno-` forms count as
    their opposite); the nearest directory wins. None when no build file mentions either."""
    directory = os.path.dirname(os.path.abspath(abs_path))
    for _ in range(ANCESTOR_LEVELS + 1):
        found = _flag_in_directory(directory)
        if found is not None:
            return found
        parent = os.path.dirname(directory)
        if parent == directory:
            break
        directory = parent
    return None


@functools.lru_cache(maxsize=4096)
def _flag_in_directory(directory: str) -> tuple[str, str] | None:
    candidates = _build_files(directory)
    for sub in _FLAG_SUBDIRS:
        candidates.extend(f for f in _build_files(os.path.join(directory, sub)) if f.endswith(".cmake"))
    for path in candidates:
        try:
            with open(path, "rb") as fh:
                data = fh.read(_MAX_READ)
        except OSError:
            continue
        m = _CHAR_FLAG.search(data)
        if m:
            unsigned = bool(m.group(1)) != bool(m.group(2))  # -fno-signed-char means unsigned
            return ("-funsigned-char" if unsigned else "-fsigned-char"), path
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
