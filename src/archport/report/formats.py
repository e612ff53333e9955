"""Every report format by name, and how to write a report in one of them. Each format other
than `text` is a module of this package with `render(report) -> str`."""

from __future__ import annotations

import importlib
from typing import TextIO

from rich.console import Console

from archport.report.model import Report

#: format name -> module under archport.report that renders it
FORMAT_MODULES = {
    "json": "json",
}
FORMATS = ("text", *FORMAT_MODULES)


def render(report: Report, fmt: str) -> str:
    """The report as text in format `fmt` (not `text`, which writes to a console)."""
    module = importlib.import_module(f"archport.report.{FORMAT_MODULES[fmt]}")
    return module.render(report)


def write_text(report: Report, out: TextIO | None, *, show_suppressed: bool = False) -> None:
    """The terminal report: coloured on a terminal, plain 120 columns into a file."""
    from archport.report import terminal

    if out is None:
        console = Console(highlight=False, soft_wrap=True)
    else:
        console = Console(file=out, no_color=True, width=120, highlight=False)
    terminal.render(report, console, show_suppressed=show_suppressed)
