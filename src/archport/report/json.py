"""The JSON report (schema archport-report/1, shipped in report/schema/report-v1.json)."""

from __future__ import annotations

import json
import re
from importlib import resources

from archport.report.model import Report


def render(report: Report) -> str:
    text = json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n"
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            # a file name that is not valid UTF-8 holds surrogate escapes (U+DC80-U+DCFF), which
            # UTF-8 cannot encode: write them as JSON `\\udcXX` escapes, which read back as the same name
            text = _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    return text


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def schema() -> dict:
    return json.loads(resources.files("archport.report").joinpath("schema/report-v1.json").read_text())
