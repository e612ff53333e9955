"""The JSON report (schema archport-report/1, shipped in report/schema/report-v1.json)."""

from __future__ import annotations

import json
from importlib import resources

from archport.report._utf8 import json_text
from archport.report.model import Report


def render(report: Report) -> str:
    return json_text(report.to_dict())


def schema() -> dict:
    return json.loads(resources.files("archport.report").joinpath("schema/report-v1.json").read_text())
