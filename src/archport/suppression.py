"""Inline suppressions: `archport: ignore[CC401]` in a comment on the flagged line or the line
before, `archport: ignore-file[CC401]` anywhere in the file. Suppressed findings are kept and
marked; a suppression that matched nothing, or names no code, is itself reported."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field

from archport.model import Finding
from archport.source import SourceFile

_MARKER = re.compile(r"archport:\s*(ignore(?:-file)?)\b(?:\[([^\]]*)\])?")
_CODE = re.compile(r"^[A-Za-z]{2}\d{0,3}$")


@dataclass
class Suppression:
    start: int  # offset of the marker
    end: int
    first_line: int
    last_line: int  # the suppression covers first_line .. last_line
    codes: tuple[str, ...]
    whole_file: bool
    used: set[str] = field(default_factory=set)

    def covers(self, finding: Finding) -> str | None:
        if not self.whole_file and not (self.first_line <= finding.line <= self.last_line):
            return None
        for code in self.codes:
            if finding.code.startswith(code):
                return code
        return None


@dataclass
class Malformed:
    start: int
    end: int
    reason: str


def parse_suppressions(source: SourceFile) -> tuple[list[Suppression], list[Malformed]]:
    found: list[Suppression] = []
    bad: list[Malformed] = []
    # where the language has a comment model, only comments count; elsewhere, any line
    spans = source.comments if source.knows_comments else [(0, len(source.text))]
    for cstart, cend in spans:
        segment = source.text[cstart:cend]
        if "archport:" not in segment:
            continue
        for m in _MARKER.finditer(segment):
            start, end = cstart + m.start(), cstart + m.end()
            kind, codes_text = m.groups()
            if codes_text is None or not codes_text.strip():
                bad.append(Malformed(start, end, f"`archport: {kind}` needs the codes to ignore, e.g. `archport: {kind}[CC401]`"))
                continue
            codes = tuple(c.strip().upper() for c in codes_text.split(",") if c.strip())
            wrong = [c for c in codes if not _CODE.match(c)]
            if wrong:
                bad.append(Malformed(start, end, f"`{', '.join(wrong)}` is not a rule code or prefix"))
                continue
            first = source.line_of(cstart)
            last = source.line_of(max(cstart, cend - 1)) + 1
            found.append(Suppression(start, end, first, last, codes, kind == "ignore-file"))
    return found, bad


def apply_suppressions(findings: list[Finding], suppressions: list[Suppression]) -> list[Finding]:
    if not suppressions:
        return findings
    out = []
    for f in findings:
        reason = None
        for s in suppressions:
            code = s.covers(f)
            if code is not None:
                s.used.add(code)
                reason = f"inline: archport: {'ignore-file' if s.whole_file else 'ignore'}[{code}]"
                break
        out.append(dataclasses.replace(f, suppressed=reason) if reason else f)
    return out
