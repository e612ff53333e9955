"""CSV: a header row, then one row per finding (active ones; suppressed ones too with
`--show-suppressed`, their reason in the last column). Written with the csv module (RFC 4180:
CRLF line ends, fields with commas, quotes or line breaks quoted), so any path or message reads
back unchanged with `csv.reader` or a spreadsheet. (Named csv_format so that it is never
mistaken for the standard library's csv module.)

A text cell that a spreadsheet would run as a formula (it starts with `=`, `+`, `-`, `@`, a tab
or a carriage return) gets a leading apostrophe, the usual guard against CSV formula injection:
paths and messages come from the scanned tree, which may not be trusted."""

from __future__ import annotations

import csv
import io

from archport.report._utf8 import utf8_safe
from archport.report.model import Report

COLUMNS = (
    "path", "line", "column", "end_line", "end_column", "code", "name", "severity", "impact",
    "confidence", "message", "help", "fingerprint", "suppressed",
)


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_START) else text


def render(report: Report, *, show_suppressed: bool = False) -> str:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for f in report.findings if show_suppressed else report.active:
        writer.writerow((
            _cell(f.path), f.line, f.column, f.end_line, f.end_column, f.code, f.name, f.severity.value,
            f.impact.value, f.confidence.value, _cell(f.message), _cell(f.help), f.fingerprint,
            _cell(f.suppressed or ""),
        ))
    return utf8_safe(out.getvalue())
