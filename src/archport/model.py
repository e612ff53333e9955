"""The data that flows between engine, suppression, reporters and fixer.

Findings and errors are immutable and complete when created; reporters only read them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class Severity(str, enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"info": 1, "warning": 2, "error": 3}[self.value]


class Impact(str, enum.Enum):
    BUILD_BREAK = "build-break"
    RUNTIME_TRAP = "runtime-trap"
    SILENT_BEHAVIOUR_CHANGE = "silent-behaviour-change"
    PERFORMANCE = "performance"
    PACKAGING = "packaging"


class Confidence(str, enum.Enum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class FixAvailability(str, enum.Enum):
    NONE = "none"
    SOMETIMES = "sometimes"
    ALWAYS = "always"


class Applicability(str, enum.Enum):
    SAFE = "safe"
    UNSAFE = "unsafe"
    DISPLAY_ONLY = "display-only"


@dataclass(frozen=True, slots=True)
class Edit:
    """Replace bytes [start, end) of the finding's file with `replacement`."""

    start: int
    end: int
    replacement: str

    def to_dict(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "replacement": self.replacement}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Edit:
        return cls(start=d["start"], end=d["end"], replacement=d["replacement"])


@dataclass(frozen=True, slots=True)
class Fix:
    title: str
    edits: tuple[Edit, ...]
    applicability: Applicability

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "applicability": self.applicability.value,
            "edits": [e.to_dict() for e in self.edits],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Fix:
        return cls(
            title=d["title"],
            edits=tuple(Edit.from_dict(e) for e in d["edits"]),
            applicability=Applicability(d["applicability"]),
        )


@dataclass(frozen=True, slots=True)
class Finding:
    code: str
    name: str
    severity: Severity
    impact: Impact
    confidence: Confidence
    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    start_byte: int
    end_byte: int
    message: str
    help: str
    fingerprint: str = ""
    fix: Fix | None = None
    properties: dict[str, Any] = field(default_factory=dict)
    suppressed: str | None = None

    @property
    def sort_key(self) -> tuple:
        return (self.path, self.line, self.column, self.code, self.end_line, self.end_column, self.message)

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "severity": self.severity.value,
            "impact": self.impact.value,
            "confidence": self.confidence.value,
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line,
            "end_column": self.end_column,
            "start_byte": self.start_byte,
            "end_byte": self.end_byte,
            "message": self.message,
            "help": self.help,
            "fingerprint": self.fingerprint,
            "fix": self.fix.to_dict() if self.fix else None,
            "properties": self.properties,
            "suppressed": self.suppressed,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Finding:
        """The inverse of `to_dict` (a finding of a saved JSON report)."""
        return cls(
            code=d["code"],
            name=d["name"],
            severity=Severity(d["severity"]),
            impact=Impact(d["impact"]),
            confidence=Confidence(d.get("confidence", "high")),
            path=d["path"],
            line=d["line"],
            column=d["column"],
            end_line=d["end_line"],
            end_column=d["end_column"],
            start_byte=d.get("start_byte", 0),
            end_byte=d.get("end_byte", 0),
            message=d["message"],
            help=d["help"],
            fingerprint=d.get("fingerprint", ""),
            fix=Fix.from_dict(d["fix"]) if d.get("fix") else None,
            properties=dict(d.get("properties") or {}),
            suppressed=d.get("suppressed"),
        )


@dataclass(frozen=True, slots=True)
class ScanError:
    """A file (or a rule on a file) that could not be handled; the scan goes on."""

    path: str
    stage: str  # read | decode | parse | rule | config
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "stage": self.stage, "message": self.message}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ScanError:
        return cls(path=d["path"], stage=d["stage"], message=d["message"])


@dataclass(slots=True)
class FileResult:
    """What one worker returns for one file."""

    path: str
    findings: list[Finding] = field(default_factory=list)
    errors: list[ScanError] = field(default_factory=list)
    lines: int = 0
    size: int = 0
    parsed: bool = False
    scanned: bool = True
    #: False for a file that turned out not to be source at all (an extensionless non-script)
    considered: bool = True
