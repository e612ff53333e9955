"""Running the CLI inside the test process (no interpreter start-up per call): for the
baseline and --diff tests, which run it dozens of times on tiny trees. The end-to-end
subprocess runner is helpers.run."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess

from archport.cli import main


def run_inprocess(*args: str, cwd=None) -> subprocess.CompletedProcess:
    out, err = io.StringIO(), io.StringIO()
    before = os.getcwd()
    code = 0
    try:
        if cwd is not None:
            os.chdir(cwd)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                main(list(args))
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        os.chdir(before)
    return subprocess.CompletedProcess(["archport", *args], code, out.getvalue(), err.getvalue())
