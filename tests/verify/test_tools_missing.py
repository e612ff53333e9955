"""Without the cross compilers or qemu-user, verify stops with one line naming the apt-get
install command (exit 2), never a traceback."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

from tests.verify.conftest import PIXELPIPE, PROGRAMS


def _run(path_dir: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": path_dir, "COLUMNS": "200"}
    env.pop("ARCHPORT_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "archport", *args], capture_output=True, text=True, env=env, timeout=120)


def test_compile_without_cross_compiler(tmp_path):
    out = _run(str(tmp_path), "verify", "compile", str(PIXELPIPE))
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1 and "Traceback" not in out.stderr
    assert "aarch64-linux-gnu-gcc" in out.stderr and "apt-get install" in out.stderr and "gcc-aarch64-linux-gnu" in out.stderr


def test_run_without_qemu(tmp_path):
    for exe in ("gcc", "aarch64-linux-gnu-gcc"):
        found = shutil.which(exe)
        if found:
            os.symlink(found, tmp_path / exe)
    out = _run(str(tmp_path), "verify", "run", "--src", str(PROGRAMS / "char_sign.c"), "--", "p")
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1 and "Traceback" not in out.stderr
    assert "apt-get install" in out.stderr and "qemu-user" in out.stderr
