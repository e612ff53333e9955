"""The `archport` command line. Exit status: 0 nothing at or above --fail-on, 1 findings,
2 usage or input error (one line on stderr, never a traceback)."""

from __future__ import annotations

import os
import sys
import time

import click
from rich.console import Console

from archport import __version__
from archport.model import Severity
from archport.registry import RegistryError, default_registry
from archport.report.formats import FORMATS
from archport.selection import SelectionError
from archport.settings import DEFAULT_MAX_FILE_SIZE, ScanSettings
from archport.targets import TARGET_NAMES, default_note

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


class InputError(click.ClickException):
    exit_code = EXIT_ERROR


def _split(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(part.strip() for v in values for part in v.split(",") if part.strip())


def _parse_defines(values: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    out = []
    for v in values:
        name, _, value = v.partition("=")
        if not name.isidentifier():
            raise InputError(f"--define expects NAME or NAME=VALUE, got `{v}`")
        out.append((name, value if "=" in v else "1"))
    return tuple(sorted(out))


def _apply_config(path, settings, fail_on, *, config_file=None, isolated=False, target=None, extend_select=(), extend_ignore=()):
    """The scan settings with the configuration file merged in (command-line flags win), and
    the effective --fail-on."""
    from archport.config import ConfigError, fail_on as config_fail_on, merge, resolve
    from click.core import ParameterSource

    ctx = click.get_current_context()
    explicit = {
        name for name in ("select", "ignore", "exclude", "no_ignore", "no_layout", "jobs", "fail_on", "max_file_size", "define")
        if ctx.get_parameter_source(name) not in (None, ParameterSource.DEFAULT)
    }
    try:
        config = resolve(path, config_file, isolated)
    except ConfigError as exc:
        raise InputError(str(exc)) from None
    merged = merge(settings, config, explicit, extend_select=_split(extend_select), extend_ignore=_split(extend_ignore), target=target)
    return merged, config_fail_on(config, fail_on, explicit)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="archport")
def cli() -> None:
    """Find, fix and prove x86-64 to AArch64 porting hazards."""


@cli.command()
@click.argument("path", default=".", type=click.Path(path_type=str))
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True, help="Report format.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="Write the report to FILE.")
@click.option("--select", multiple=True, metavar="CODES", help="Only these rule codes or prefixes (comma-separated).")
@click.option("--ignore", multiple=True, metavar="CODES", help="Skip these rule codes or prefixes (comma-separated).")
@click.option("--exclude", multiple=True, metavar="GLOB", help="Skip paths matching this gitignore-style glob.")
@click.option("--no-ignore", is_flag=True, help="Do not honour .gitignore files.")
@click.option("--no-layout", is_flag=True, help="Report findings under x86 directories that have an Arm sibling (arch/x86 beside arch/arm) instead of marking them suppressed.")
@click.option("-j", "--jobs", type=click.IntRange(min=0), default=0, help="Worker processes (default: all cores).")
@click.option(
    "--fail-on",
    type=click.Choice(["error", "warning", "info", "never"]),
    default="warning",
    show_default=True,
    help="Exit 1 when a finding at or above this severity remains.",
)
@click.option("--max-file-size", type=click.FloatRange(min=0.001), default=DEFAULT_MAX_FILE_SIZE / 1048576, show_default=True, help="Skip files larger than this many MiB.")
@click.option("-D", "--define", multiple=True, metavar="NAME[=VALUE]", help="Preprocessor define of the AArch64 build.")
@click.option("--show-suppressed", is_flag=True, help="Also print suppressed findings.")
@click.option("--no-progress", is_flag=True, help="Never show a progress bar.")
@click.option("--baseline", "baseline", metavar="FILE", help="Report only findings not in this baseline (see `archport baseline`); the others are marked suppressed.")
@click.option("--diff", "diff_ref", metavar="REF", help="Report only findings on lines added or changed since git revision REF (working tree incl. staged edits; `REF...` = since the merge base with HEAD).")
@click.option("--compile-commands", "compile_commands", type=click.Path(dir_okay=False, path_type=str), metavar="FILE", help="compile_commands.json for the libclang deep mode of the char, float and memory-order rules (default: found at PATH or in a build*/ directory under it).")
@click.option("--no-deep", is_flag=True, help="Never use libclang (fast mode), even with a compile_commands.json.")
@click.option("--online", is_flag=True, help="Also ask the package indexes your pip, npm and Maven are configured for which releases of the declared dependencies have AArch64 builds (answers cached for a day; offline the built-in knowledge base is used).")
@click.option("--refresh", is_flag=True, help="With --online: ignore cached index answers.")
@click.option("--config", "config_file", type=click.Path(dir_okay=False, path_type=str), metavar="FILE", help="Read the configuration from FILE (default: the nearest archport.toml, .archport.toml or pyproject.toml with [tool.archport]).")
@click.option("--isolated", is_flag=True, help="Ignore configuration files.")
@click.option("--target", type=click.Choice(TARGET_NAMES), metavar="NAME", help="The AArch64 machines you deploy to: " + ", ".join(TARGET_NAMES) + " (default: the armv8-a baseline; see `archport targets`).")
@click.option("--extend-select", multiple=True, metavar="CODES", help="Also run these rule codes or prefixes (added to the configured selection).")
@click.option("--extend-ignore", multiple=True, metavar="CODES", help="Also skip these rule codes or prefixes.")
def scan(path, fmt, output, select, ignore, exclude, no_ignore, no_layout, jobs, fail_on, max_file_size, define, show_suppressed, no_progress, baseline, diff_ref, compile_commands, no_deep, online=False, refresh=False, **config_opts):
    """Scan PATH (a directory or a file) for x86-64 to AArch64 porting hazards."""
    from archport.runner import ScanInputError, run_scan

    settings = ScanSettings(
        select=_split(select) or None,
        ignore=_split(ignore),
        excludes=tuple(exclude),
        respect_gitignore=not no_ignore,
        respect_layout=not no_layout,
        jobs=jobs,
        max_file_size=int(max_file_size * 1048576),
        defines=_parse_defines(define),
        compile_commands=compile_commands,
        deep=not no_deep,
        online=online,
        online_refresh=refresh,
    )
    settings, fail_on = _apply_config(path, settings, fail_on, **config_opts)
    from archport.newfindings import NewFindingsError, prepare

    try:
        mark_new = prepare(path, baseline, diff_ref)
    except NewFindingsError as exc:
        raise InputError(str(exc)) from None
    progress = _ProgressBar() if not no_progress and sys.stderr.isatty() else None
    try:
        report = run_scan(path, settings, progress=progress)
    except (ScanInputError, SelectionError, RegistryError) as exc:
        raise InputError(str(exc)) from None
    finally:
        if progress:
            progress.close()

    analysis = report.settings.get("analysis") or {}
    for note in (report.settings.get("online") or {}).get("notes", []):
        click.echo(f"note: {note}", err=True)  # an index could not be reached: offline answers stand
    if analysis.get("compile_commands") or compile_commands or no_deep:
        click.echo(analysis.get("reason", ""), err=True)  # which mode ran, and why
    mark_new(report)
    write_report(report, fmt, output, show_suppressed=show_suppressed)
    if fmt == "text" and not report.settings.get("target_chosen", True) and any("target" in f.properties for f in report.active):
        click.echo(f"note: {default_note()}", err=True)  # some advice above depends on the target

    if fail_on != "never" and report.count_at_or_above(Severity(fail_on)):
        sys.exit(EXIT_FINDINGS)
    sys.exit(EXIT_CLEAN)


@cli.command("rules")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def list_rules(fmt):
    """List every rule: code, name, severity, impact, fixable."""
    registry = default_registry()
    if fmt == "json":
        import json

        click.echo(json.dumps([r.meta() for r in registry], indent=2))
        return
    from rich.table import Table

    table = Table(show_edge=False, pad_edge=False)
    for col in ("code", "name", "severity", "impact", "fixable", "summary"):
        table.add_column(col)
    for r in registry:
        table.add_row(r.code, r.name, r.severity.value, r.impact.value, r.fix_availability.value, r.summary)
    Console(highlight=False).print(table)


@cli.command("rule")
@click.argument("code")
def show_rule(code):
    """Print the documentation of rule CODE."""
    from rich.markdown import Markdown

    rule = default_registry().get(code)
    if rule is None:
        raise InputError(f"unknown rule `{code}` (see `archport rules`)")
    console = Console(highlight=False)
    console.print(f"[bold]{rule.code}[/bold] {rule.name}")
    console.print(
        f"severity: {rule.severity.value} · impact: {rule.impact.value} · confidence: {rule.confidence.value} · "
        f"fix: {rule.fix_availability.value} · languages: {', '.join(sorted(rule.languages))}"
    )
    console.print()
    console.print(Markdown(rule.doc()))


@cli.command("config")
@click.argument("path", default=".", type=click.Path(path_type=str))
@click.option("--format", "fmt", type=click.Choice(["toml", "json"]), default="toml", show_default=True)
@click.option("--config", "config_file", type=click.Path(dir_okay=False, path_type=str), metavar="FILE", help="Read this configuration file instead of the nearest one.")
@click.option("--isolated", is_flag=True, help="Ignore configuration files (print the defaults).")
def show_config(path, fmt, config_file, isolated):
    """Print the effective configuration for a scan of PATH: defaults merged with the nearest
    configuration file, whose path is shown."""
    import json

    from archport.config import ConfigError, effective, resolve, to_toml

    try:
        config = resolve(path, config_file, isolated)
    except ConfigError as exc:
        raise InputError(str(exc)) from None
    values = effective(config)
    source = str(config.path) if config.path else None
    if fmt == "json":
        click.echo(json.dumps({"config_file": source, "table": config.table or None, "settings": values}, indent=2))
        return
    if source:
        click.echo(f"# configuration: {source}" + (f" {config.table}" if config.table else ""))
    else:
        click.echo("# no configuration file found: defaults (archport.toml, .archport.toml or [tool.archport] in pyproject.toml)")
    if "target" not in config.values:
        click.echo(f"# {default_note()}")
    click.echo(to_toml(values, "tool.archport" if config.table else ""), nl=False)


@cli.command("targets")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def list_targets(fmt):
    """List the deployment targets for --target: core, architecture, SVE/LSE, cache line,
    typical page size and the compiler flag to use."""
    from archport.targets import all_targets, source_notes

    targets = all_targets()
    if fmt == "json":
        import json

        click.echo(json.dumps({"targets": [t.to_dict() for t in targets.values()], "sources": source_notes()}, indent=2))
        return
    rows = [("target", "core", "arch", "SVE", "LSE", "dotprod", "line", "pages (KiB, typical first)", "flag")]
    for t in targets.values():
        sve = "SVE2" if t.sve2 else "SVE" if t.sve else "no"
        if t.sve_vector_bits:
            sve += f" {t.sve_vector_bits}-bit"
        rows.append((
            t.name, t.core or "(baseline)", t.arch, sve, "yes" if t.lse else "no", "yes" if t.dotprod else "no",
            f"{t.cache_line_bytes} B" if t.cache_line_bytes else "varies",
            ", ".join(map(str, t.page_sizes_kib)), t.flag_text,
        ))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip())
    click.echo()
    click.echo(
        "Default: armv8-a (runs on any AArch64 machine; the advice is conservative). Page sizes are the ones\n"
        "distributions typically use; the real one is the running kernel's (`getconf PAGESIZE`).\n"
        "`archport targets --format json` gives every fact with its source."
    )


@cli.command()
def doctor():
    """Check the optional tools (cross compilers, qemu-user) and the bundled macro table."""
    from archport.doctor import run_doctor

    sys.exit(run_doctor(Console(highlight=False)))


from archport.verify.cli import verify as _verify_group  # noqa: E402  (after `cli` exists)

cli.add_command(_verify_group)

from archport.report.command import report as _report_command  # noqa: E402

cli.add_command(_report_command)

from archport.newfindings import baseline_command as _baseline_command  # noqa: E402

cli.add_command(_baseline_command(scan))


def write_report(report, fmt: str, output: str | None, *, show_suppressed: bool = False) -> None:
    """Write `report` in format `fmt` to stdout or to the file `output`."""
    from archport.report import formats

    if fmt == "text":
        if output:
            with _open_output(output) as fh:
                formats.write_text(report, fh, show_suppressed=show_suppressed)
        else:
            formats.write_text(report, None, show_suppressed=show_suppressed)
    else:
        _emit(formats.render(report, fmt, show_suppressed=show_suppressed), output)


def _emit(text: str, output: str | None) -> None:
    if output:
        with _open_output(output) as fh:
            fh.write(text)
    else:
        sys.stdout.write(text)


def _open_output(output: str):
    try:
        return open(output, "w", encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write {output}: {exc.strerror or exc}") from None


class _ProgressBar:
    """A transient progress bar on stderr, shown only once a scan has run for a moment."""

    DELAY = 0.5

    def __init__(self):
        self.started = time.monotonic()
        self.progress = None
        self.task = None

    def __call__(self, done: int, total: int) -> None:
        if self.progress is None:
            if time.monotonic() - self.started < self.DELAY:
                return
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self.progress = Progress(
                TextColumn("scanning"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                console=Console(stderr=True), transient=True,
            )
            self.progress.start()
            self.task = self.progress.add_task("scan", total=total)
        self.progress.update(self.task, completed=done, total=total)

    def close(self) -> None:
        if self.progress is not None:
            self.progress.stop()


def main(argv: list[str] | None = None) -> None:
    """Entry point: click's own messages and any unexpected failure become one stderr line."""
    try:
        rv = cli.main(args=argv, prog_name="archport", standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        sys.stderr.write("archport: aborted\n")
        sys.exit(EXIT_ERROR)
    except click.ClickException as exc:
        sys.stderr.write(f"archport: error: {exc.format_message()}\n")
        sys.exit(EXIT_ERROR)
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(EXIT_ERROR)
    except KeyboardInterrupt:
        sys.stderr.write("archport: interrupted\n")
        sys.exit(130)
    except Exception as exc:  # a bug: still one line, with a hint to get the details
        if os.environ.get("ARCHPORT_DEBUG"):
            raise
        sys.stderr.write(f"archport: internal error: {type(exc).__name__}: {exc} (set ARCHPORT_DEBUG=1 for details)\n")
        sys.exit(EXIT_ERROR)
    sys.exit(rv if isinstance(rv, int) else EXIT_CLEAN)
