"""The effort estimate and the readiness score: numbers for the people who plan a migration.

Two estimates, side by side (docs/effort.md explains both):

* **archport's model** sums per-rule weights (`Rule.effort_minutes`) over *fix units*, not over
  findings. Findings of one rule in one file that share a family key (the same intrinsic,
  call, header, type, ...; the first of FAMILY_KEYS present in `properties`) are one unit:
  the first occurrence costs the unit's weight and each further one REPEAT of it. In a file,
  the first unit of a rule costs the full weight and each further unit FURTHER_UNIT of it (the
  engineer is already in that file, on that problem). A unit whose (rule, family) was already
  fixed in an earlier file (in path order) costs KNOWN_FAMILY of that: the fix is known, what
  is left is applying and testing it. Each unit also gets a low and a high bound from its
  confidence (RANGE). Minutes become person-days at HOURS_PER_DAY.
* **The rule of thumb** published with Huawei's Kunpeng Porting Advisor: about 500 lines per
  person-month for C/C++/Fortran/Go (and build files), 250 for assembly, applied to the
  distinct lines that need change, at DAYS_PER_MONTH working days a month.

Everything here is deterministic: the same report gives the same numbers.
"""

from __future__ import annotations

import posixpath
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from archport.model import Confidence, Finding, Impact, Severity

if TYPE_CHECKING:
    from archport.report.model import Report

MODEL_ID = "archport-effort/1"

#: focused engineering hours in a person-day (meetings, builds and reviews take the rest)
HOURS_PER_DAY = 6.0
#: working days in a person-month, to put the rule of thumb in person-days
DAYS_PER_MONTH = 21.0
#: the weight of a rule nobody declared (a plugin, or a report from another version)
DEFAULT_MINUTES = 30

#: cost of each further fix unit of a rule in a file whose first unit was already paid
FURTHER_UNIT = 0.25
#: cost of each further occurrence inside one fix unit (the same change repeated)
REPEAT = 0.05
#: factor on a unit whose (rule, family) was already fixed in an earlier file
KNOWN_FAMILY = 0.5
#: (low, high) factors on a unit's cost by its confidence. Low-confidence findings may be
#: false positives (low bound 0); the weights themselves are rough medians.
RANGE = {
    Confidence.HIGH: (0.75, 1.5),
    Confidence.MEDIUM: (0.5, 2.0),
    Confidence.LOW: (0.0, 2.0),
}
#: the `properties` keys that name what a finding is about, most specific first; findings of
#: one rule in one file with the same value of the first present key are one fix
FAMILY_KEYS = (
    "family",
    "intrinsic",
    "builtin",
    "call",
    "syscall",
    "header",
    "type",
    "replacement",
    "barrier",
    "name",
    "constant",
)

#: Huawei's rule of thumb, lines per person-month by language; languages not listed use DEFAULT
LINES_PER_MONTH = {"asm": 250}
LINES_PER_MONTH_DEFAULT = 500
#: a finding counts at most this many lines as "needing change" (long spans are rare and are
#: usually one construct, not that many edits)
MAX_SPAN_LINES = 20

_CONFIDENCE_RANK = {Confidence.LOW: 0, Confidence.MEDIUM: 1, Confidence.HIGH: 2}


def family_of(finding: Finding) -> str | None:
    """The family key of a finding: what it is about, for grouping into fix units."""
    props = finding.properties or {}
    migration = props.get("migration")
    for key in FAMILY_KEYS:
        value = props.get(key)
        if value is None and isinstance(migration, dict):
            value = migration.get(key)
        if isinstance(value, (str, int, float)) and not isinstance(value, bool) and value != "":
            return f"{key}={value}"
    return None


@dataclass
class RuleEffort:
    code: str
    findings: int = 0
    units: int = 0
    minutes: float = 0.0
    low_minutes: float = 0.0
    high_minutes: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "findings": self.findings,
            "fix_units": self.units,
            "hours": round(self.minutes / 60, 1),
            "hours_low": round(self.low_minutes / 60, 1),
            "hours_high": round(self.high_minutes / 60, 1),
        }


@dataclass
class RuleOfThumb:
    lines: dict[str, int] = field(default_factory=dict)  # language -> distinct lines needing change

    @property
    def person_months(self) -> float:
        return sum(n / LINES_PER_MONTH.get(lang, LINES_PER_MONTH_DEFAULT) for lang, n in self.lines.items())

    @property
    def person_days(self) -> float:
        return round(self.person_months * DAYS_PER_MONTH, 1)

    def to_dict(self) -> dict[str, Any]:
        return {
            "lines": dict(sorted(self.lines.items())),
            "lines_per_person_month": {
                **{lang: LINES_PER_MONTH.get(lang, LINES_PER_MONTH_DEFAULT) for lang in sorted(self.lines)},
            },
            "days_per_month": DAYS_PER_MONTH,
            "person_months": round(self.person_months, 2),
            "person_days": self.person_days,
        }


@dataclass
class Estimate:
    minutes: float = 0.0
    low_minutes: float = 0.0
    high_minutes: float = 0.0
    findings: int = 0
    units: int = 0
    by_code: dict[str, RuleEffort] = field(default_factory=dict)
    rule_of_thumb: RuleOfThumb = field(default_factory=RuleOfThumb)

    @property
    def person_days(self) -> float:
        return _days(self.minutes)

    @property
    def person_days_low(self) -> float:
        return _days(self.low_minutes)

    @property
    def person_days_high(self) -> float:
        return _days(self.high_minutes)

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": MODEL_ID,
            "hours_per_day": HOURS_PER_DAY,
            "findings": self.findings,
            "fix_units": self.units,
            "person_days": self.person_days,
            "person_days_low": self.person_days_low,
            "person_days_high": self.person_days_high,
            "by_code": {code: r.to_dict() for code, r in sorted(self.by_code.items())},
            "rule_of_thumb": self.rule_of_thumb.to_dict(),
        }

    def describe(self) -> str:
        """One short line for the terminal summary."""
        return (
            f"estimated effort {self.person_days:g} person-days "
            f"({self.person_days_low:g}–{self.person_days_high:g}; "
            f"rule of thumb {self.rule_of_thumb.person_days:g})"
        )


def _days(minutes: float) -> float:
    return round(minutes / 60 / HOURS_PER_DAY, 1)


def _weight(report: Report, code: str) -> int:
    minutes = report.effort_minutes.get(code)
    if minutes is None:
        from archport.registry import default_registry

        rule = default_registry().get(code)
        minutes = rule.effort_minutes if rule is not None else DEFAULT_MINUTES
    return minutes


def estimate(report: Report) -> Estimate:
    """archport's estimate and the rule of thumb for the active findings of `report`."""
    return estimate_findings(report.active, lambda code: _weight(report, code))


def estimate_findings(findings: Iterable[Finding], weight) -> Estimate:
    """The estimate for `findings`, with `weight(code)` the minutes of one fix of a rule."""
    findings = sorted(findings, key=lambda f: f.sort_key)
    result = Estimate(findings=len(findings))
    # (path, code) -> family -> findings; paths in sorted order so "earlier file" is stable
    units: dict[tuple[str, str], dict[str, list[Finding]]] = defaultdict(lambda: defaultdict(list))
    for f in findings:
        family = family_of(f)
        units[(f.path, f.code)][family or f"at={f.line}:{f.column}"].append(f)
    known: set[tuple[str, str]] = set()
    for (path, code), families in sorted(units.items()):
        w = float(weight(code))
        per_rule = result.by_code.setdefault(code, RuleEffort(code))
        for index, (family, members) in enumerate(sorted(families.items(), key=lambda kv: kv[1][0].sort_key)):
            base = w if index == 0 else w * FURTHER_UNIT
            if (code, family) in known and not family.startswith("at="):
                base *= KNOWN_FAMILY
            known.add((code, family))
            cost = base + w * REPEAT * (len(members) - 1)
            confidence = max((m.confidence for m in members), key=_CONFIDENCE_RANK.__getitem__)
            lo, hi = RANGE[confidence]
            per_rule.findings += len(members)
            per_rule.units += 1
            per_rule.minutes += cost
            per_rule.low_minutes += cost * lo
            per_rule.high_minutes += cost * hi
    for r in result.by_code.values():
        result.units += r.units
        result.minutes += r.minutes
        result.low_minutes += r.low_minutes
        result.high_minutes += r.high_minutes
    result.rule_of_thumb = rule_of_thumb(findings)
    return result


def rule_of_thumb(findings: Iterable[Finding]) -> RuleOfThumb:
    """Distinct lines that need change, by language of their file. A finding covers its own
    lines (at most MAX_SPAN_LINES); one that reports a whole assembly file through the
    `instruction_lines` property (AS401) covers that many lines of the file."""
    from archport.languages import classify

    lines: dict[str, set[int]] = defaultdict(set)
    whole: dict[str, int] = {}
    for f in findings:
        last = min(max(f.end_line, f.line), f.line + MAX_SPAN_LINES - 1)
        lines[f.path].update(range(f.line, last + 1))
        n = (f.properties or {}).get("instruction_lines")
        if isinstance(n, int) and not isinstance(n, bool) and n > 0:
            whole[f.path] = max(whole.get(f.path, 0), n)
    by_language: dict[str, int] = defaultdict(int)
    for path, numbers in lines.items():
        language = classify(posixpath.basename(path))
        name = language.name if language is not None else "other"
        by_language[name] += max(len(numbers), whole.get(path, 0))
    return RuleOfThumb(dict(by_language))


# -- readiness -------------------------------------------------------------------------------

#: what stops or endangers the AArch64 build or its results, worst first
BLOCKING = (Impact.BUILD_BREAK, Impact.RUNTIME_TRAP, Impact.SILENT_BEHAVIOUR_CHANGE)


@dataclass
class Readiness:
    score: int  # 0..100: percent of scanned files with no active error-severity finding
    files_scanned: int
    files_with_errors: int
    status: str  # blocked | review | ready
    label: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "score": self.score,
            "files_scanned": self.files_scanned,
            "files_with_errors": self.files_with_errors,
            "status": self.status,
        }


def readiness(report: Report) -> Readiness:
    """How close the tree is to building and behaving the same on AArch64.

    The score is the share of scanned files that have no active finding of severity error,
    in percent (rounded down, so 100 means no such file at all). The status says what the
    worst finding is: `blocked` when any active finding breaks the build, `review` when the
    build should work but findings may trap or change behaviour at run time (or are errors of
    another impact), `ready` when nothing of severity error or of those impacts is left.
    """
    active = report.active
    scanned = max(report.files_scanned, len({f.path for f in report.findings}))
    with_errors = len({f.path for f in active if f.severity is Severity.ERROR})
    score = 100 if scanned == 0 else (100 * (scanned - with_errors)) // scanned
    impacts = {f.impact for f in active}
    if Impact.BUILD_BREAK in impacts:
        status, label = "blocked", "Blocked: the AArch64 build breaks"
    elif impacts & set(BLOCKING) or any(f.severity is Severity.ERROR for f in active):
        status, label = "review", "Builds; run-time behaviour to review"
    else:
        status, label = "ready", "No blocking findings"
    return Readiness(score, scanned, with_errors, status, label)
