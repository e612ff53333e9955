"""`archport doctor`: which optional tools are here, and whether the bundled AArch64
predefined-macro table matches the installed cross compiler."""

from __future__ import annotations

import os
import shutil
import subprocess

from rich.console import Console
from rich.table import Table

from archport.preprocessor import LIBC_MACROS, load_environment

TOOLS = (
    ("aarch64-linux-gnu-gcc", "gcc-aarch64-linux-gnu", "C cross compiler"),
    ("aarch64-linux-gnu-g++", "g++-aarch64-linux-gnu", "C++ cross compiler"),
    ("aarch64-linux-gnu-gfortran", "gfortran-aarch64-linux-gnu", "Fortran cross compiler"),
    ("aarch64-linux-gnu-as", "binutils-aarch64-linux-gnu", "AArch64 assembler (inline-asm check)"),
    ("qemu-aarch64", "qemu-user", "user-mode emulator"),
    ("gcc", "gcc", "x86-64 reference C compiler"),
    ("g++", "g++", "x86-64 reference C++ compiler"),
    ("gfortran", "gfortran", "x86-64 reference Fortran compiler"),
)
# macros that legitimately differ between compiler builds and releases
_VOLATILE = ("__VERSION__", "__GNUC_MINOR__", "__GNUC_PATCHLEVEL__", "__GNUC__", "__GCC_IEC_559", "__GCC_IEC_559_COMPLEX")


def _version(exe: str) -> str:
    try:
        out = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    return out.splitlines()[0].strip() if out else "?"


def compare_macro_table(compiler: str) -> tuple[list[str], list[str], list[str]]:
    """(missing from table, extra in table, different value) against `compiler -dM -E -`."""
    out = subprocess.run([compiler, "-dM", "-E", "-x", "c", "-"], input="", capture_output=True, text=True, timeout=60).stdout
    actual = {}
    for line in out.splitlines():
        parts = line.split(None, 2)
        if len(parts) >= 2 and parts[0] == "#define":
            actual[parts[1]] = parts[2] if len(parts) == 3 else ""
    table = {k: v for k, v in load_environment("aarch64", False).macros.items() if k not in LIBC_MACROS}
    missing = sorted(k for k in actual if k not in table)
    extra = sorted(k for k in table if k not in actual)
    different = sorted(k for k in actual if k in table and table[k] != actual[k] and k not in _VOLATILE)
    return missing, extra, different


def run_doctor(console: Console) -> int:
    from archport.verify import tools as vtools

    table = Table(show_edge=False, pad_edge=False)
    for col in ("tool", "purpose", "status"):
        table.add_column(col)
    missing_packages = []
    present = set()
    for exe, package, purpose in TOOLS:
        path = shutil.which(exe)
        if path:
            present.add(exe)
            table.add_row(exe, purpose, f"[green]found[/green] {_version(exe)}")
        else:
            table.add_row(exe, purpose, "[red]missing[/red]")
            missing_packages.append(package)
    sysroot = vtools.sysroot_ok()
    if not sysroot:
        missing_packages.append("libc6-dev-arm64-cross")
    table.add_row(
        vtools.SYSROOT, "AArch64 C library (qemu -L)",
        "[green]found[/green]" if sysroot else "[red]missing[/red]",
    )
    binfmt = os.path.exists("/proc/sys/fs/binfmt_misc/qemu-aarch64")
    table.add_row("binfmt_misc", "run AArch64 binaries directly", "[green]registered[/green]" if binfmt else "not registered (archport calls qemu-aarch64 explicitly)")
    host = "x86-64" if vtools.host_is_x86_64() else "not x86-64"
    table.add_row("host", "reference runs need x86-64", f"{'[green]' if host == 'x86-64' else '[red]'}{host}[/]")
    from rich.markup import escape

    from archport.deep import libclang

    clang_ok, clang_detail = libclang.describe()
    table.add_row("libclang", "deep mode of `scan` (with compile_commands.json)",
                  f"[green]found[/green] {escape(clang_detail)}" if clang_ok else f"[yellow]not available[/yellow]: {escape(clang_detail)}")
    console.print(table)
    if missing_packages:
        console.print(f"\nTo install what is missing: [bold]apt-get install {' '.join(sorted(set(missing_packages)))}[/bold]")
    console.print("\n`archport scan` needs none of these; they are for `verify` and for checking the macro table.")
    console.print(
        "Everything `archport verify` uses: apt-get install gcc-aarch64-linux-gnu g++-aarch64-linux-gnu "
        "gfortran-aarch64-linux-gnu qemu-user gcc g++ gfortran"
    )
    compile_langs = [lang for lang, exe in (("C", "aarch64-linux-gnu-gcc"), ("C++", "aarch64-linux-gnu-g++"), ("Fortran", "aarch64-linux-gnu-gfortran")) if exe in present]
    console.print(
        "`archport verify compile`: "
        + (f"ready for {', '.join(compile_langs)}" if compile_langs else "not available (no AArch64 cross compiler)")
    )
    run_ready = {"aarch64-linux-gnu-gcc", "gcc", "qemu-aarch64"} <= present and sysroot and host == "x86-64"
    console.print("`archport verify run`: " + ("ready" if run_ready else "not available (needs gcc, aarch64-linux-gnu-gcc, qemu-aarch64 on an x86-64 host)"))
    gcc = shutil.which("aarch64-linux-gnu-gcc")
    if gcc:
        missing, extra, different = compare_macro_table(gcc)
        if not (missing or extra or different):
            console.print("AArch64 predefined-macro table: matches the installed cross compiler.")
        else:
            console.print(
                f"AArch64 predefined-macro table: {len(missing)} macro(s) only in the compiler, "
                f"{len(extra)} only in the table, {len(different)} with other values."
            )
            for label, names in (("only in compiler", missing), ("only in table", extra), ("different", different)):
                if names:
                    console.print(f"  {label}: {', '.join(names[:20])}{' …' if len(names) > 20 else ''}")
    return 0
