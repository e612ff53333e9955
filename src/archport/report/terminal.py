"""Terminal output: each finding with its location, a code frame with carets, the message, a
help line, then a summary by rule."""

from __future__ import annotations

from collections import Counter

from rich.console import Console
from rich.table import Table
from rich.text import Text

from archport.model import Finding, Severity
from archport.report._source import SourceLines
from archport.report.model import Report

_SEVERITY_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "bold yellow", Severity.INFO: "bold cyan"}
_CONTEXT_LINES = 1
_MAX_FRAME_LINES = 6
_MAX_FRAME_WIDTH = 160  # characters of a line shown in a code frame


def render(report: Report, console: Console, *, show_suppressed: bool = False, show_frames: bool = True) -> None:
    lines = SourceLines(report.root)
    shown = report.findings if show_suppressed else report.active
    out = _Batch(console)
    for finding in shown:
        _render_finding(finding, out, lines.of(finding) if show_frames else [])
    out.flush()
    for error in report.errors:
        console.print(Text.assemble(("error", "bold magenta"), f": {error.path}: {error.stage}: {error.message}"))
    _render_summary(report, console)


class _Batch:
    """Collects lines and prints them many at a time: one `console.print` per line costs
    about a millisecond, which made thousands of findings take seconds to print."""

    SIZE = 400

    def __init__(self, console: Console):
        self.console = console
        self.lines: list[Text] = []

    def print(self, line: Text | str = "") -> None:
        self.lines.append(line if isinstance(line, Text) else Text(line))
        if len(self.lines) >= self.SIZE:
            self.flush()

    def flush(self) -> None:
        if self.lines:
            self.console.print(Text("\n").join(self.lines))
            self.lines = []


def _render_finding(f: Finding, console: _Batch, file_lines: list[str]) -> None:
    header = Text()
    header.append(f"{f.path}:{f.line}:{f.column}: ", style="bold")
    header.append(f.code, style=_SEVERITY_STYLE[f.severity])
    header.append(f" [{f.severity.value}] ", style=_SEVERITY_STYLE[f.severity])
    header.append(f.message)
    if f.fix is not None:
        header.append(" [*]", style="green")
    if f.suppressed:
        header.append(f" (suppressed: {f.suppressed})", style="dim")
    console.print(header)
    if file_lines and f.line <= len(file_lines):
        _render_frame(f, console, file_lines)
    if f.help:
        console.print(Text.assemble("   = ", ("help", "bold green"), f": {f.help}"))
    console.print()


def _window(raw: str, column0: int, width: int = _MAX_FRAME_WIDTH) -> tuple[str, int]:
    """At most `width` characters of a line around 0-based `column0`, and where they start:
    a minified line with thousands of findings must not be printed whole for each."""
    if len(raw) <= width:
        return raw, 0
    start = max(0, min(column0 - width // 3, len(raw) - width))
    seg = raw[start : start + width]
    if start > 0:
        seg = "…" + seg[1:]
    if start + width < len(raw):
        seg = seg[:-1] + "…"
    return seg, start


def _render_frame(f: Finding, console: _Batch, file_lines: list[str]) -> None:
    first = max(1, f.line - _CONTEXT_LINES)
    last = min(len(file_lines), f.end_line, f.line + _MAX_FRAME_LINES - 1)
    width = len(str(last))
    console.print(Text(f"{' ' * width} |", style="blue"))
    for n in range(first, last + 1):
        raw = file_lines[n - 1]
        c0 = min(f.column - 1, len(raw)) if n == f.line else 0
        seg, start = _window(raw, c0)
        console.print(Text.assemble((f"{n:>{width}} | ", "blue"), seg.expandtabs(4)))
        if n == f.line:
            col = len(seg[: c0 - start].expandtabs(4))
            end0 = (f.end_column - 1) if f.end_line == f.line else len(raw)
            end0 = min(max(end0, c0), start + len(seg))
            span = max(1, len(seg[: end0 - start].expandtabs(4)) - col)
            console.print(
                Text.assemble((f"{' ' * width} | ", "blue"), " " * col, ("^" * span, _SEVERITY_STYLE[f.severity]))
            )


def _render_summary(report: Report, console: Console) -> None:
    active = report.active
    if active:
        names = {f.code: f.name for f in active}
        severities = {f.code: f.severity for f in active}
        table = Table(title="Findings by rule", title_justify="left", show_edge=False, pad_edge=False)
        table.add_column("code")
        table.add_column("name")
        table.add_column("severity")
        table.add_column("count", justify="right")
        for code, count in sorted(Counter(f.code for f in active).items()):
            table.add_row(code, names[code], Text(severities[code].value, style=_SEVERITY_STYLE[severities[code]]), str(count))
        console.print(table)
        console.print()
        _render_migration_plan(active, console)
    by_sev = Counter(f.severity for f in active)
    parts = [f"{by_sev.get(s, 0)} {s.value}{'s' if by_sev.get(s, 0) != 1 else ''}" for s in Severity]
    line = (
        f"Found {len(active)} finding{'s' if len(active) != 1 else ''} ({', '.join(parts)}) "
        f"in {report.files_scanned} file{'s' if report.files_scanned != 1 else ''} "
        f"({report.lines_scanned:,} lines, {report.duration_seconds:.2f} s)"
    )
    extras = []
    if report.suppressed:
        extras.append(f"{len(report.suppressed)} suppressed")
    if report.errors:
        extras.append(f"{len(report.errors)} file error{'s' if len(report.errors) != 1 else ''}")
    if active:
        extras.append(report.effort().describe())
    console.print(line + (f"; {'; '.join(extras)}" if extras else "") + ".")


def _render_migration_plan(active: list[Finding], console: Console) -> None:
    """Math-library findings (those with `properties["migration"]`) as a short plan: library,
    call family -> replacement, kind, and how many sites in how many files."""
    from archport.mathlibs import migration_plan

    plan = migration_plan(active)
    if not plan:
        return
    console.print(Text("Math-library migration plan", style="bold"))
    library = None
    for g in plan:
        if g.library != library:
            library = g.library
            console.print(Text(f"  {library}", style="bold"))
        calls = ", ".join(g.calls[:4]) + (", …" if len(g.calls) > 4 else "")
        console.print(
            Text.assemble(
                f"    {g.family} → {g.replacement} ",
                (f"[{'/'.join(g.kinds)}]", "green"),
                f": {g.sites} site{'s' if g.sites != 1 else ''} in {g.files} file{'s' if g.files != 1 else ''}",
                f" ({calls})" if calls else "",
            )
        )
    console.print()
