"""The JSON report (schema archport-report/1, shipped in report/schema/report-v1.json)."""

from __future__ import annotations

import json
from importlib import resources

from archport.report.model import Report


def render(report: Report) -> str:
    return json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n"


def schema() -> dict:
    return json.loads(resources.files("archport.report").joinpath("schema/report-v1.json").read_text())
