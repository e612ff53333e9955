"""Every report format by name, and how to write a report in one of them. Each format other
than `text` is a module of this package with `render(report) -> str`."""

from __future__ import annotations

import importlib
import inspect
from typing import TextIO

from rich.console import Console

from archport.report.model import Report

#: format name -> module under archport.report that renders it
FORMAT_MODULES = {
    "json": "json",
    "sarif": "sarif",  # SARIF 2.1.0 (GitHub code scanning)
    "csv": "csv_format",  # one row per finding
    "gitlab": "gitlab",  # GitLab Code Quality
    "html": "html",  # one self-contained page (report/html.py)
    "baseline": "baseline",  # the findings as a baseline file (archport.baseline)
}
FORMATS = ("text", *FORMAT_MODULES)


def render(report: Report, fmt: str, *, show_suppressed: bool = False) -> str:
    """The report as text in format `fmt` (not `text`, which writes to a console). Formats
    whose `render` takes `show_suppressed` are told whether to list suppressed findings."""
    module = importlib.import_module(f"archport.report.{FORMAT_MODULES[fmt]}")
    if "show_suppressed" in inspect.signature(module.render).parameters:
        return module.render(report, show_suppressed=show_suppressed)
    return module.render(report)


def write_text(report: Report, out: TextIO | None, *, show_suppressed: bool = False) -> None:
    """The terminal report: coloured on a terminal, plain 120 columns into a file."""
    from archport.report import terminal

    if out is None:
        console = Console(highlight=False, soft_wrap=True)
    else:
        console = Console(file=out, no_color=True, width=120, highlight=False)
    terminal.render(report, console, show_suppressed=show_suppressed)
