"""Skips for the verify tests: each test says which real tools it needs and is skipped, with
the apt-get line, when they are absent."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pytest

from archport.verify import tools

PROGRAMS = Path(__file__).parent / "programs"
COMPILE_PROGRAMS = PROGRAMS / "compile"
REPO = Path(__file__).resolve().parents[2]
PIXELPIPE = REPO / "examples" / "pixelpipe"


def _missing(exes) -> list[str]:
    return [e for e in exes if shutil.which(e) is None]


def _skip_unless(exes, extra_ok=True, why=""):
    missing = _missing(exes)
    reason = f"needs {', '.join(missing)} ({tools.install_line(missing)})" if missing else why
    return pytest.mark.skipif(bool(missing) or not extra_ok, reason=reason or "tool missing")


needs_cross = _skip_unless(["aarch64-linux-gnu-gcc", "aarch64-linux-gnu-g++", "aarch64-linux-gnu-as", "gcc", "g++"],
                           tools.host_is_x86_64(), "needs an x86-64 host")
needs_cross_fortran = _skip_unless(["aarch64-linux-gnu-gfortran", "gfortran"], tools.host_is_x86_64(), "needs an x86-64 host")
needs_qemu = _skip_unless(
    ["aarch64-linux-gnu-gcc", "gcc", "qemu-aarch64"],
    tools.host_is_x86_64() and tools.sysroot_ok(),
    "needs an x86-64 host and the AArch64 C library in /usr/aarch64-linux-gnu",
)
needs_qemu_fortran = _skip_unless(["aarch64-linux-gnu-gfortran", "gfortran", "qemu-aarch64"], tools.host_is_x86_64())


def tree_digest(root: Path) -> str:
    """A digest of every path, mode and content under root (to prove nothing was written)."""
    h = hashlib.sha256()
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames) + [d + "/" for d in dirnames]:
            path = os.path.join(dirpath, name.rstrip("/"))
            st = os.lstat(path)
            h.update(f"{os.path.relpath(path, root)}\0{st.st_mode}\0".encode())
            if not name.endswith("/") and os.path.isfile(path) and not os.path.islink(path):
                with open(path, "rb") as fh:
                    h.update(hashlib.sha256(fh.read()).digest())
    return h.hexdigest()
