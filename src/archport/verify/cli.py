"""`archport verify compile` and `archport verify run`. Exit status: 0 nothing found (identical
runs), 1 findings (differences), 2 usage error, missing tool or failed build (one line on
stderr, never a traceback)."""

from __future__ import annotations

import os
import sys

import click
from rich.console import Console

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


class VerifyUsageError(click.ClickException):
    exit_code = EXIT_ERROR


def _note(text: str) -> None:
    sys.stderr.write(f"archport: note: {text}\n")


def _emit_report(report, fmt: str, output: str | None) -> None:
    if fmt == "json":
        from archport.report import json as json_report

        text = json_report.render(report)
        if output:
            with _open(output) as fh:
                fh.write(text)
        else:
            sys.stdout.write(text)
        return
    from archport.report import terminal

    if output:
        with _open(output) as fh:
            terminal.render(report, Console(file=fh, no_color=True, width=120, highlight=False))
    else:
        terminal.render(report, Console(highlight=False, soft_wrap=True))


def _open(output: str):
    try:
        return open(output, "w", encoding="utf-8")
    except OSError as exc:
        raise VerifyUsageError(f"cannot write {output}: {exc.strerror or exc}") from None


@click.group("verify")
def verify() -> None:
    """Prove it on AArch64: cross-compile, run under qemu-user, compare with x86-64."""


@verify.command("compile")
@click.argument("path", default=".", type=click.Path(path_type=str))
@click.option("-j", "--jobs", type=click.IntRange(min=0), default=0, help="Parallel compiles (default: cores, at most 8).")
@click.option("--compile-commands", type=click.Path(dir_okay=False, path_type=str), help="compile_commands.json to take the flags from (default: PATH/compile_commands.json or PATH/build*/compile_commands.json when present).")
@click.option("--mode", type=click.Choice(["auto", "syntax", "full"]), default="auto", show_default=True, help="full: generate code and assemble every unit; syntax: -fsyntax-only only (inline-asm errors are missed); auto: full only for units that reach inline asm or target_clones.")
@click.option("-D", "--define", multiple=True, metavar="NAME[=VALUE]", help="Extra define for both compilers.")
@click.option("-I", "--include-dir", multiple=True, metavar="DIR", help="Extra include directory for both compilers.")
@click.option("--flag", "flags", multiple=True, metavar="FLAG", help="Extra compiler flag for both compilers (repeatable).")
@click.option("--exclude", multiple=True, metavar="GLOB", help="Skip files matching this gitignore-style glob (without compile_commands.json).")
@click.option("--no-layout", is_flag=True, help="Also check units under x86 directories that have an Arm sibling (arch/x86 beside arch/arm).")
@click.option("--timeout", type=click.FloatRange(min=1), default=300, show_default=True, help="Seconds per compiler run.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=str), help="Write the report to FILE.")
def compile_cmd(path, jobs, compile_commands, mode, define, include_dir, flags, exclude, no_layout, timeout, fmt, output):
    """Compile every C/C++/Fortran translation unit of PATH for AArch64 and report the errors and
    behaviour warnings that the x86-64 compiler, with the same flags, does not give."""
    from archport.verify.compile import CompileOptions, VerifyInputError, run_compile_check
    from archport.verify.tools import ToolMissing

    extra = [f"-D{d}" for d in define] + [f"-I{os.path.abspath(i)}" for i in include_dir] + list(flags)
    options = CompileOptions(
        jobs=jobs, compile_commands=compile_commands, mode=mode, extra_flags=tuple(extra),
        excludes=tuple(exclude), timeout=timeout, respect_layout=not no_layout,
    )
    try:
        report, notes = run_compile_check(path, options)
    except (VerifyInputError, ToolMissing) as exc:
        raise VerifyUsageError(str(exc)) from None
    for n in notes:
        _note(n)
    _emit_report(report, fmt, output)
    sys.exit(EXIT_FINDINGS if report.active else EXIT_CLEAN)


@verify.command("run", context_settings={"ignore_unknown_options": False})
@click.option("--src", "sources", multiple=True, type=click.Path(dir_okay=False, path_type=str), help="A source file of the program (repeatable): built with gcc and aarch64-linux-gnu-gcc, same flags.")
@click.option("--build", metavar="CMD", help="Build command, run twice in copies of --project with CC/CXX/FC set to the x86-64 and the AArch64 compilers.")
@click.option("--project", default=".", show_default=True, type=click.Path(file_okay=False, path_type=str), help="Project directory copied for --build.")
@click.option("--cflags", "cflags", multiple=True, metavar="FLAG", help="Extra compile flag for both builds with --src (repeatable).")
@click.option("--ldflags", "ldflags", multiple=True, metavar="FLAG", help="Extra link flag for both builds with --src (repeatable).")
@click.option("--opt", default="-O2", show_default=True, help="Optimisation level for both builds with --src.")
@click.option("--timeout", type=click.FloatRange(min=0.1), default=10, show_default=True, help="Seconds each run may take.")
@click.option("--build-timeout", type=click.FloatRange(min=1), default=600, show_default=True, help="Seconds each build may take.")
@click.option("--memory", "memory_mb", type=click.IntRange(min=16), default=1024, show_default=True, help="Address-space limit of each run in MiB (qemu's own ~384 MiB is added for the AArch64 run).")
@click.option("--float-tolerance", type=click.FloatRange(min=0), default=None, help="Numbers in the output are equal within this relative tolerance.")
@click.option("--page-size", type=click.IntRange(min=4096), default=None, help="Page size the AArch64 program sees (qemu -p), e.g. 65536.")
@click.option("--cpu", default=None, help="Emulated CPU (qemu -cpu), e.g. neoverse-n1, a64fx, cortex-a72, max.")
@click.option("--target", type=click.Choice(["graviton2", "altra", "rpi4", "a64fx", "64k"]), default=None, help="Preset for --cpu/--page-size: graviton2 and altra = neoverse-n1, rpi4 = cortex-a72, a64fx, 64k = 64 KiB pages.")
@click.option("--stdin", "stdin", type=click.Path(dir_okay=False, path_type=str), help="File given to both runs on standard input (default: empty).")
@click.option("--input", "inputs", multiple=True, type=click.Path(dir_okay=False, path_type=str), help="File copied into each run's directory (repeatable).")
@click.option("--no-static", is_flag=True, help="Do not run the static scan on the sources.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=str), help="Write the report to FILE.")
@click.argument("program", nargs=-1, type=click.UNPROCESSED)
def run_cmd(sources, build, project, cflags, ldflags, opt, timeout, build_timeout, memory_mb, float_tolerance, page_size,
            cpu, target, stdin, inputs, no_static, fmt, output, program):
    """Build a program for x86-64 and AArch64, run both with the same input (AArch64 under
    qemu-aarch64) and report every difference of exit status, stdout and stderr.

    \b
    archport verify run --src prog.c -- prog ARG...
    archport verify run --build 'make' --project . -- build/prog ARG...
    """
    from archport.verify.run import TARGETS, RunError, RunOptions, run_differential
    from archport.verify.tools import ToolMissing

    if target:
        t_cpu, t_page = TARGETS[target]
        cpu = cpu or t_cpu
        page_size = page_size or t_page
    if page_size and page_size & (page_size - 1):
        raise VerifyUsageError(f"--page-size must be a power of two, got {page_size}")
    options = RunOptions(
        sources=tuple(sources), build=build, project=project, cflags=tuple(cflags), ldflags=tuple(ldflags), opt=opt,
        timeout=timeout, build_timeout=build_timeout, memory_mb=memory_mb, float_tolerance=float_tolerance,
        page_size=page_size, cpu=cpu, stdin=stdin, inputs=tuple(inputs), static=not no_static,
    )
    try:
        report, notes = run_differential(list(program), options)
    except (RunError, ToolMissing) as exc:
        raise VerifyUsageError(str(exc)) from None
    for n in notes:
        _note(n)
    _emit_report(report, fmt, output)
    sys.exit(EXIT_FINDINGS if report.active else EXIT_CLEAN)
