"""Running `python -m archport` in a subprocess for the CLI tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest


def run(*args: str, timeout: float = 180, cwd=None) -> subprocess.CompletedProcess:
    """Runs the CLI with no terminal; on timeout kills its whole process group (worker
    processes included, so none is left behind) and fails the test."""
    env = {**os.environ, "COLUMNS": "250", "NO_COLOR": "1", "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("ARCHPORT_DEBUG", None)
    cmd = [sys.executable, "-m", "archport", *args]
    with subprocess.Popen(
        cmd,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    ) as proc:
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            pytest.fail(f"`archport {' '.join(map(str, args))}` did not finish within {timeout} s")
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)
