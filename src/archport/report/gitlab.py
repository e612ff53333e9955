"""GitLab Code Quality (the `codequality` report artifact): a JSON array with one issue per
active finding (GitLab has no notion of a suppressed issue, so suppressed findings are left out).

Each issue has GitLab's required fields, `description`, `check_name` (the rule code),
`fingerprint` (unique within the report; archport's line-shift-proof finding fingerprint, so
GitLab's merge-request widget tells new issues from old ones), `severity`, `location.path` and
`location.lines.begin`, plus the optional Code Climate fields `type`, `engine_name`,
`categories` and `content.body` (the help line).

Severity mapping (GitLab's scale is info < minor < major < critical < blocker):

| archport | GitLab   | why |
| -------- | -------- | --- |
| error    | critical | the code does not build or traps on AArch64 |
| warning  | major    | the code builds but may behave differently on AArch64 |
| info     | info     | worth knowing (mostly performance); nothing breaks |

`blocker` and `minor` are not used: whether a hazard blocks a release is the project's call.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from archport.model import Finding, Impact, Severity
from archport.report._utf8 import utf8_safe
from archport.report.model import Report

SEVERITY = {Severity.ERROR: "critical", Severity.WARNING: "major", Severity.INFO: "info"}
#: Code Climate categories: porting hazards are compatibility issues, performance ones both
CATEGORIES = {Impact.PERFORMANCE: ["Compatibility", "Performance"]}


def render(report: Report) -> str:
    return utf8_safe(json.dumps(to_gitlab(report), indent=2, ensure_ascii=False) + "\n")


def to_gitlab(report: Report) -> list[dict[str, Any]]:
    seen: set[str] = set()
    return [_issue(f, _unique_fingerprint(f, seen)) for f in report.active]


def _issue(f: Finding, fingerprint: str) -> dict[str, Any]:
    issue: dict[str, Any] = {
        "type": "issue",
        "engine_name": "archport",
        "check_name": f.code,
        "description": f"{f.code} {f.name}: {f.message}",
        "categories": CATEGORIES.get(f.impact, ["Compatibility"]),
        "severity": SEVERITY[f.severity],
        "fingerprint": fingerprint,
        "location": {"path": f.path, "lines": {"begin": f.line, "end": max(f.end_line, f.line)}},
    }
    if f.help:
        issue["content"] = {"body": f.help}
    return issue


def _unique_fingerprint(f: Finding, seen: set[str]) -> str:
    """The finding's fingerprint; a stand-in from its identity when it has none, and a derived
    one when an earlier issue of this report already took it (GitLab drops duplicates)."""
    fp = f.fingerprint or _sha(f"{f.code}\0{f.path}\0{f.line}\0{f.column}\0{f.message}")
    n = 0
    candidate = fp
    while candidate in seen:
        n += 1
        candidate = _sha(f"{fp}\0{n}")
    seen.add(candidate)
    return candidate


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]
