"""SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.

One run. `tool.driver.rules` describes every rule that ran (and any other rule a finding names),
with the rule's Markdown documentation as help and a link to its page. Each finding is a result:
location relative to `%SRCROOT%` (the scan root), `partialFingerprints` from the finding's
line-shift-proof fingerprint, fixes when the finding has one, and `suppressions` when it was
suppressed. Files the scan could not handle are notifications of the invocation.

Positions: archport's lines and columns are 1-based and count Unicode code points (a tab is
one column), and an end column is the column just after the last character, which is SARIF's
convention too; the run says so with `columnKind: unicodeCodePoints`. Fix edits are byte
ranges of the file, so their `deletedRegion` is a `byteOffset`/`byteLength` region.
"""

from __future__ import annotations

import json
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

from archport import __version__
from archport.model import Finding, ScanError, Severity
from archport.registry import default_registry
from archport.report._utf8 import utf8_safe
from archport.report.model import Report
from archport.rule_docs import PROJECT_URL, rule_doc_url, rule_page

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SRCROOT = "%SRCROOT%"
#: the key of archport's fingerprint in `partialFingerprints` (versioned, as SARIF asks)
FINGERPRINT_KEY = "archport/v1"

LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
#: GitHub code scanning reads `properties.precision`; archport's confidence maps onto it
PRECISION = {"high": "high", "medium": "medium", "low": "low"}
#: scan-error stages that mean archport itself failed on a file (the others mean it skipped one)
_TOOL_FAILURE_STAGES = {"rule", "config"}


def render(report: Report) -> str:
    return utf8_safe(json.dumps(to_sarif(report), indent=2, ensure_ascii=False) + "\n")


def to_sarif(report: Report) -> dict[str, Any]:
    rules, index = _rules(report)
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "archport",
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": PROJECT_URL,
                "rules": rules,
            }
        },
        "invocations": [_invocation(report)],
        "columnKind": "unicodeCodePoints",
        "results": [_result(f, index) for f in report.findings],
    }
    base = _srcroot_uri(report.root)
    if base is not None:
        run["originalUriBaseIds"] = {SRCROOT: {"uri": base}}
    return {"$schema": SARIF_SCHEMA_URI, "version": SARIF_VERSION, "runs": [run]}


# -- paths ---------------------------------------------------------------------------------------


def artifact_uri(path: str) -> str:
    """A relative POSIX path as a relative URI reference: every byte outside the unreserved set
    and `/` percent-encoded (spaces, `#`, `%`, `?`, `:`, non-ASCII as UTF-8, and the raw bytes of
    a name that is not valid UTF-8)."""
    return quote(path.encode("utf-8", "surrogateescape"), safe="/")


def _artifact_location(path: str) -> dict[str, Any]:
    if PurePosixPath(path).is_absolute():  # never for findings; possible for an error's path
        return {"uri": "file://" + artifact_uri(path)}
    return {"uri": artifact_uri(path), "uriBaseId": SRCROOT}


def _srcroot_uri(root: str) -> str | None:
    """The scan root as an absolute `file:` URI ending in `/` (the directory the finding paths
    are relative to: the root itself, or its folder when a single file was scanned), or None
    when the root does not exist here (a saved report re-rendered elsewhere)."""
    path = Path(root)
    if not path.exists():
        return None
    path = path.resolve()
    if not path.is_dir():
        path = path.parent
    uri = "file://" + artifact_uri(path.as_posix())
    return uri if uri.endswith("/") else uri + "/"


# -- rules ---------------------------------------------------------------------------------------


def _rules(report: Report) -> tuple[list[dict[str, Any]], dict[str, int]]:
    registry = default_registry()
    codes = list(dict.fromkeys([*report.rules_run, *sorted({f.code for f in report.findings})]))
    first = {}
    for f in report.findings:
        first.setdefault(f.code, f)
    descriptors = []
    for code in codes:
        rule = registry.get(code)
        descriptors.append(_rule_descriptor(rule) if rule is not None else _unknown_rule(code, first.get(code)))
    return descriptors, {d["id"]: i for i, d in enumerate(descriptors)}


def _rule_descriptor(rule) -> dict[str, Any]:
    sections = rule.doc_sections()
    what = sections.get("What it does", rule.summary + ".")
    why = sections.get("Why is this a problem on ARM64?", "")
    url = rule_doc_url(rule.code)
    help_text = "\n\n".join(p for p in (what, why) if p) + f"\n\nFull documentation: {url}"
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": what, "markdown": what},
        "help": {"text": help_text, "markdown": rule_page(rule)},
        "helpUri": url,
        "defaultConfiguration": {"level": LEVELS[rule.severity]},
        "properties": {
            "tags": _tags(rule.tags, rule.impact.value),
            "precision": PRECISION[rule.confidence.value],
            "impact": rule.impact.value,
            "confidence": rule.confidence.value,
            "fixAvailability": rule.fix_availability.value,
            "languages": sorted(rule.languages),
        },
    }


def _unknown_rule(code: str, finding: Finding | None) -> dict[str, Any]:
    """A rule a saved report names but this installation does not have (a plugin)."""
    descriptor: dict[str, Any] = {"id": code}
    if finding is not None:
        descriptor["name"] = finding.name
        descriptor["shortDescription"] = {"text": finding.name.replace("-", " ")}
        descriptor["defaultConfiguration"] = {"level": LEVELS[finding.severity]}
        descriptor["properties"] = {"tags": _tags((), finding.impact.value), "impact": finding.impact.value}
    return descriptor


def _tags(tags, impact: str) -> list[str]:
    # never "security": GitHub files results with that tag as security alerts; these are porting
    # hazards
    out = ["portability", "aarch64", impact, *tags]
    return [t for t in dict.fromkeys(out) if t.lower() != "security"]


# -- results -------------------------------------------------------------------------------------


def _result(f: Finding, index: dict[str, int]) -> dict[str, Any]:
    text = f.message if not f.help else f"{f.message}\nHelp: {f.help}"
    properties: dict[str, Any] = {"impact": f.impact.value, "confidence": f.confidence.value}
    if f.properties:
        properties["facts"] = f.properties
    result: dict[str, Any] = {
        "ruleId": f.code,
        "ruleIndex": index[f.code],
        "level": LEVELS[f.severity],
        "message": {"text": text},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": _artifact_location(f.path),
                    "region": {
                        "startLine": f.line,
                        "startColumn": f.column,
                        "endLine": max(f.end_line, f.line),
                        "endColumn": max(f.end_column, f.column) if f.end_line <= f.line else f.end_column,
                    },
                }
            }
        ],
        "properties": properties,
    }
    if f.fingerprint:
        result["partialFingerprints"] = {FINGERPRINT_KEY: f.fingerprint}
    if f.fix is not None:
        result["fixes"] = [_fix(f)]
    if f.suppressed is not None:
        result["suppressions"] = [_suppression(f.suppressed)]
    return result


def _fix(f: Finding) -> dict[str, Any]:
    return {
        "description": {"text": f.fix.title},
        "artifactChanges": [
            {
                "artifactLocation": _artifact_location(f.path),
                "replacements": [
                    {
                        "deletedRegion": {"byteOffset": e.start, "byteLength": max(0, e.end - e.start)},
                        "insertedContent": {"text": e.replacement},
                    }
                    for e in f.fix.edits
                ],
            }
        ],
        "properties": {"applicability": f.fix.applicability.value},
    }


def _suppression(reason: str) -> dict[str, Any]:
    """`inline: ...` reasons come from a comment in the file (inSource); the others (layout,
    verify's reachability) are archport's own judgement outside the file (external)."""
    kind = "inSource" if reason.startswith("inline:") else "external"
    return {"kind": kind, "status": "accepted", "justification": reason}


# -- invocation ------------------------------------------------------------------------------------


def _invocation(report: Report) -> dict[str, Any]:
    invocation: dict[str, Any] = {"executionSuccessful": True}
    if report.errors:
        invocation["toolExecutionNotifications"] = [_notification(e) for e in report.errors]
    return invocation


def _notification(e: ScanError) -> dict[str, Any]:
    note: dict[str, Any] = {
        "level": "error" if e.stage in _TOOL_FAILURE_STAGES else "warning",
        "message": {"text": f"{e.path}: {e.stage}: {e.message}" if e.path else f"{e.stage}: {e.message}"},
        "properties": {"stage": e.stage},
    }
    if e.path:
        note["locations"] = [{"physicalLocation": {"artifactLocation": _artifact_location(e.path)}}]
    return note
