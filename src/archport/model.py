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


@dataclass(frozen=True, slots=True)
class ScanError:
    """A file (or a rule on a file) that could not be handled; the scan goes on."""

    path: str
    stage: str  # read | decode | parse | rule | config
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "stage": self.stage, "message": self.message}


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
