"""Running something from the project under limits: its own process group (killed whole on
timeout), an address-space limit, no core files, a cap on the size of files it writes, and
stdout/stderr captured to files (read back truncated, so endless output cannot exhaust memory)."""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import time
from dataclasses import dataclass

MAX_CAPTURE = 1 << 20  # bytes of each stream kept for comparison
FILE_SIZE_LIMIT = 256 << 20  # bytes any file the program writes may grow to (RLIMIT_FSIZE)


@dataclass
class Outcome:
    returncode: int | None  # None when it timed out
    stdout: str
    stderr: str
    timed_out: bool
    seconds: float
    stdout_truncated: bool = False
    stderr_truncated: bool = False

    def status(self, timeout: float | None = None) -> str:
        if self.timed_out:
            return f"timed out after {timeout:g} s" if timeout else "timed out"
        return describe_status(self.returncode)


def describe_status(returncode: int | None) -> str:
    if returncode is None:
        return "did not finish"
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        return f"killed by signal {-returncode} ({name})"
    return f"exit status {returncode}"


def _limits(memory_bytes: int | None):
    def apply():  # runs in the child between fork and exec
        if memory_bytes:
            resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_SIZE_LIMIT, FILE_SIZE_LIMIT))

    return apply


def _read(path: str) -> tuple[str, bool]:
    with open(path, "rb") as fh:
        data = fh.read(MAX_CAPTURE + 1)
    truncated = len(data) > MAX_CAPTURE
    return data[:MAX_CAPTURE].decode("utf-8", errors="replace"), truncated


def run_limited(
    argv: list[str],
    *,
    cwd: str,
    capture_dir: str,
    timeout: float,
    memory_bytes: int | None,
    env: dict[str, str] | None = None,
    stdin_path: str | None = None,
    shell: bool = False,
) -> Outcome:
    out_path = os.path.join(capture_dir, "stdout")
    err_path = os.path.join(capture_dir, "stderr")
    started = time.monotonic()
    with open(out_path, "wb") as out, open(err_path, "wb") as err, open(stdin_path or os.devnull, "rb") as stdin:
        proc = subprocess.Popen(
            argv if not shell else ["/bin/sh", "-c", argv[0]],
            cwd=cwd,
            env=env,
            stdin=stdin,
            stdout=out,
            stderr=err,
            start_new_session=True,
            preexec_fn=_limits(memory_bytes),
            close_fds=True,
        )
        timed_out = False
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
        finally:
            # the whole group: also whatever the program (or a build) started and left behind
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            proc.wait()
    seconds = time.monotonic() - started
    stdout, t_out = _read(out_path)
    stderr, t_err = _read(err_path)
    os.unlink(out_path)
    os.unlink(err_path)
    return Outcome(None if timed_out else proc.returncode, stdout, stderr, timed_out, seconds, t_out, t_err)
