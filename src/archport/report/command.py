"""`archport report REPORT.json`: render a saved JSON report in another format without
scanning again. The input is checked against the shipped report schema first; a file that is
missing, not JSON, another schema or not valid gives one line on stderr and exit status 2."""

from __future__ import annotations

import functools
import json
import sys
from typing import Any

import click

from archport.model import Severity
from archport.report.formats import FORMATS
from archport.report.model import SCHEMA_ID, Report


class ReportInputError(click.ClickException):
    exit_code = 2


def load_report(path: str) -> Report:
    """The report saved in `path` (written by `archport scan --format json`), validated."""
    data = load_report_data(path)
    try:
        return Report.from_dict(data)
    except (KeyError, TypeError, ValueError) as exc:  # valid by the schema, yet unusable
        raise ReportInputError(f"{path} is not a usable {SCHEMA_ID} report: {type(exc).__name__}: {exc}") from None


def load_report_data(path: str) -> dict[str, Any]:
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError as exc:
        raise ReportInputError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise ReportInputError(f"{path} is not a JSON report: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise ReportInputError(f"{path} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except RecursionError:
        raise ReportInputError(f"{path} is not a JSON report: nested too deeply") from None
    if not isinstance(data, dict) or "schema" not in data:
        raise ReportInputError(f"{path} is not an archport JSON report (no \"schema\" key; write one with `archport scan --format json`)")
    if data["schema"] != SCHEMA_ID:
        raise ReportInputError(f"{path} has schema {json.dumps(data['schema'])}; this archport reads {SCHEMA_ID}")
    _validate(path, data)
    return data


@functools.lru_cache(maxsize=1)
def _validator():
    # fastjsonschema compiles the schema to Python once: a report of 100,000 findings is
    # checked in seconds (jsonschema's interpreter takes about 15 times as long)
    import fastjsonschema

    from archport.report.json import schema

    return fastjsonschema.compile(schema())


def _validate(path: str, data: dict[str, Any]) -> None:
    import fastjsonschema

    try:
        _validator()(data)
    except fastjsonschema.JsonSchemaValueException as exc:
        message = exc.message if len(exc.message) <= 200 else exc.message[:197] + "..."
        raise ReportInputError(f"{path} is not a valid {SCHEMA_ID} report: {message}") from None


@click.command("report")
@click.argument("report_file", metavar="REPORT.json", type=click.Path(dir_okay=True, path_type=str))
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True, help="Report format.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="Write the report to FILE.")
@click.option(
    "--fail-on",
    type=click.Choice(["error", "warning", "info", "never"]),
    default="never",
    show_default=True,
    help="Exit 1 when the saved report has an unsuppressed finding at or above this severity.",
)
@click.option("--show-suppressed", is_flag=True, help="Also list suppressed findings (text and csv).")
def report(report_file, fmt, output, fail_on, show_suppressed):
    """Render a saved JSON report (from `archport scan --format json`) in another format,
    without scanning again. The text format shows code frames where the files are still there."""
    from archport.cli import EXIT_CLEAN, EXIT_FINDINGS, write_report

    loaded = load_report(report_file)
    write_report(loaded, fmt, output, show_suppressed=show_suppressed)
    if fail_on != "never" and loaded.count_at_or_above(Severity(fail_on)):
        sys.exit(EXIT_FINDINGS)
    sys.exit(EXIT_CLEAN)
