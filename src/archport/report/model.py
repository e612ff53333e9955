"""The result of a scan: the same content as the JSON report, as Python objects."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from archport import __version__
from archport.model import Finding, ScanError, Severity

SCHEMA_ID = "archport-report/1"


@dataclass
class Report:
    root: str
    findings: list[Finding] = field(default_factory=list)  # including suppressed ones
    errors: list[ScanError] = field(default_factory=list)
    files_scanned: int = 0
    files_skipped: int = 0
    files_parsed: int = 0
    lines_scanned: int = 0
    bytes_scanned: int = 0
    duration_seconds: float = 0.0
    rules_run: list[str] = field(default_factory=list)
    effort_minutes: dict[str, int] = field(default_factory=dict)  # rule code -> minutes per finding
    settings: dict[str, Any] = field(default_factory=dict)
    #: set by `from_dict`: top-level keys and summary values of a saved report that this object
    #: does not hold or cannot recompute (a newer writer's keys, the effort of the scan's own
    #: rule weights); written back unchanged, so a re-rendered report says what the scan said
    saved: dict[str, Any] = field(default_factory=dict, repr=False)
    saved_summary: dict[str, Any] = field(default_factory=dict, repr=False)
    #: the last effort estimate with what it was computed from (see `effort`)
    _effort_cache: tuple | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def active(self) -> list[Finding]:
        """Findings that are not suppressed."""
        return [f for f in self.findings if f.suppressed is None]

    @property
    def suppressed(self) -> list[Finding]:
        return [f for f in self.findings if f.suppressed is not None]

    def count_at_or_above(self, severity: Severity) -> int:
        return sum(1 for f in self.active if f.severity.rank >= severity.rank)

    def by_code(self) -> dict[str, int]:
        return dict(sorted(Counter(f.code for f in self.active).items()))

    def effort_hours(self) -> float:
        if "effort_hours" in self.saved_summary:
            return self.saved_summary["effort_hours"]
        minutes = sum(self.effort_minutes.get(f.code, 0) for f in self.active)
        return round(minutes / 60, 1)

    def effort(self):
        """The effort estimate (archport.effort): person-days with a range, and the rule of thumb.
        Computed once for as long as the active findings and the weights stay the same (the
        summary, the terminal and the HTML page of one run all show it)."""
        from archport.effort import estimate

        active = self.active
        cached = self._effort_cache
        if (
            cached is not None
            and cached[1] == self.effort_minutes
            and len(cached[0]) == len(active)
            and all(a is b for a, b in zip(cached[0], active))
        ):
            return cached[2]
        result = estimate(self)
        self._effort_cache = (active, dict(self.effort_minutes), result)
        return result

    def summary(self) -> dict[str, Any]:
        active = self.active
        return {
            "files_scanned": self.files_scanned,
            "files_skipped": self.files_skipped,
            "files_parsed": self.files_parsed,
            "lines_scanned": self.lines_scanned,
            "bytes_scanned": self.bytes_scanned,
            "findings": len(active),
            "suppressed": len(self.findings) - len(active),
            "errors": len(self.errors),
            "by_code": self.by_code(),
            "by_severity": {s.value: sum(1 for f in active if f.severity is s) for s in Severity},
            "effort_hours": self.effort_hours(),
            "effort": self.effort().to_dict(),
            "duration_seconds": round(self.duration_seconds, 3),
            **self.saved_summary,
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA_ID,
            "tool": {"name": "archport", "version": __version__},
            "root": self.root,
            "settings": self.settings,
            "rules": self.rules_run,
            "findings": [f.to_dict() for f in self.findings],
            "errors": [e.to_dict() for e in self.errors],
            "summary": self.summary(),
            **self.saved,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Report:
        """A saved JSON report (already validated against the schema) as a Report again:
        `Report.from_dict(r.to_dict()).to_dict() == r.to_dict()`."""
        from archport.registry import default_registry

        summary = data.get("summary", {})
        rules_run = list(data.get("rules", []))
        registry = default_registry()
        report = cls(
            root=data["root"],
            findings=[Finding.from_dict(f) for f in data["findings"]],
            errors=[ScanError.from_dict(e) for e in data["errors"]],
            files_scanned=summary.get("files_scanned", 0),
            files_skipped=summary.get("files_skipped", 0),
            files_parsed=summary.get("files_parsed", 0),
            lines_scanned=summary.get("lines_scanned", 0),
            bytes_scanned=summary.get("bytes_scanned", 0),
            duration_seconds=summary.get("duration_seconds", 0.0),
            rules_run=rules_run,
            effort_minutes={c: r.effort_minutes for c in rules_run if (r := registry.get(c)) is not None},
            settings=dict(data.get("settings", {})),
        )
        mapped = {"schema", "root", "settings", "rules", "findings", "errors", "summary"}
        report.saved = {k: v for k, v in data.items() if k not in mapped}
        computed = report.summary()
        counted = {"findings", "suppressed", "errors", "by_code", "by_severity"}  # always recomputed
        report.saved_summary = {
            k: v for k, v in summary.items() if k not in counted and (k not in computed or computed[k] != v)
        }
        return report
