"""The external tools `archport verify` drives, and the one-line message when one is missing.

Nothing here runs code from the project: these are lookups of compilers and the emulator."""

from __future__ import annotations

import functools
import os
import platform
import shutil
import subprocess

SYSROOT = "/usr/aarch64-linux-gnu"

#: per language: the AArch64 cross compiler and the x86-64 reference compiler
CROSS = {"c": "aarch64-linux-gnu-gcc", "cpp": "aarch64-linux-gnu-g++", "fortran": "aarch64-linux-gnu-gfortran"}
NATIVE = {"c": "gcc", "cpp": "g++", "fortran": "gfortran"}
CROSS_BINUTILS = {"AR": "aarch64-linux-gnu-ar", "RANLIB": "aarch64-linux-gnu-ranlib", "LD": "aarch64-linux-gnu-ld",
                  "AS": "aarch64-linux-gnu-as", "STRIP": "aarch64-linux-gnu-strip", "NM": "aarch64-linux-gnu-nm"}
ASSEMBLER = "aarch64-linux-gnu-as"
QEMU = "qemu-aarch64"

#: the Debian package of each executable
PACKAGES = {
    "aarch64-linux-gnu-gcc": "gcc-aarch64-linux-gnu",
    "sysroot": "libc6-dev-arm64-cross",
    "aarch64-linux-gnu-as": "binutils-aarch64-linux-gnu",
    "aarch64-linux-gnu-g++": "g++-aarch64-linux-gnu",
    "aarch64-linux-gnu-gfortran": "gfortran-aarch64-linux-gnu",
    "qemu-aarch64": "qemu-user",
    "gcc": "gcc",
    "g++": "g++",
    "gfortran": "gfortran",
}


class ToolMissing(Exception):
    """A tool `verify` needs is not installed; the message is one line with the install command."""


def which(exe: str) -> str | None:
    return shutil.which(exe)


def install_line(executables) -> str:
    packages = sorted({PACKAGES.get(e, e) for e in executables})
    return "apt-get install " + " ".join(packages)


def require(executables, what: str) -> dict[str, str]:
    """Paths of `executables`, or ToolMissing naming the missing ones and the apt-get line."""
    found, missing = {}, []
    for exe in dict.fromkeys(executables):
        path = which(exe)
        if path:
            found[exe] = path
        else:
            missing.append(exe)
    if missing:
        raise ToolMissing(
            f"{what} needs {', '.join(missing)}, which {'is' if len(missing) == 1 else 'are'} not installed; "
            f"install with: {install_line(missing)} (see `archport doctor`)"
        )
    return found


def host_is_x86_64() -> bool:
    return platform.machine().lower() in ("x86_64", "amd64")


def sysroot_ok() -> bool:
    return os.path.isdir(os.path.join(SYSROOT, "lib"))


@functools.lru_cache(maxsize=None)
def version(exe: str) -> str:
    try:
        out = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=20, stdin=subprocess.DEVNULL).stdout
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    return out.splitlines()[0].strip() if out else "?"


def compiler_env() -> dict[str, str]:
    """The environment for compiler runs: untranslated, uncoloured diagnostics."""
    env = dict(os.environ)
    env["LC_ALL"] = "C"
    env.pop("GCC_COLORS", None)
    env.pop("GCC_URLS", None)
    return env


def run_tool(cmd: list[str], cwd: str, timeout: float) -> subprocess.CompletedProcess | str:
    """Run a compiler or assembler; the CompletedProcess, or a one-line reason it did not run."""
    try:
        return subprocess.run(
            cmd, cwd=cwd, capture_output=True, text=True, errors="replace", timeout=timeout,
            env=compiler_env(), stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        return f"`{os.path.basename(cmd[0])}` did not finish within {timeout:.0f} s"
    except OSError as exc:
        return f"cannot run {cmd[0]}: {exc.strerror or exc}"


@functools.lru_cache(maxsize=None)
def search_dirs(compiler: str, lang: str = "c") -> tuple[str, ...]:
    """The compiler's own `#include <...>` search directories (from `-E -v`), normalised."""
    try:
        r = subprocess.run(
            [compiler, "-x", lang, "-E", "-v", "-"], input="", capture_output=True, text=True, timeout=60,
            env=compiler_env(),
        )
    except (OSError, subprocess.TimeoutExpired):
        return ()
    out, inside = [], False
    for line in r.stderr.splitlines():
        if line.startswith("#include <...> search starts here"):
            inside = True
        elif line.startswith("End of search list"):
            break
        elif inside and line.startswith(" "):
            out.append(os.path.normpath(line.strip()))
    return tuple(out)
