"""Baselines: record today's findings once (`archport baseline PATH -o FILE`), then report
only findings that are new (`archport scan PATH --baseline FILE`).

The file is JSON, schema `archport-baseline/1`:

    {"schema": "archport-baseline/1", "tool": {"name": "archport", "version": "..."},
     "created": "2025-01-31T12:00:00Z", "root": ".",
     "findings": [{"fingerprint": "...", "text_fingerprint": "...", "code": "CC403",
                   "path": "src/a.c", "line": 12, "message": "..."}]}

A finding matches an entry by its fingerprint (rule, path relative to the scan root, the
flagged line's whitespace-normalised text, and its index among identical lines of that file;
see fingerprint.py), so inserted lines, reindentation and reordered functions keep it matched,
while a new hazard, or one more copy of an existing hazard line, is new. `line` and `message`
are for people reading the file; they never take part in matching.

A renamed or moved file: its findings' fingerprints change with the path. They still match
when a file the baseline names no longer exists under the scan root, and a file it does not
name shares at least half of its findings both ways (compared by the path-free
`text_fingerprint`: rule, line text, index), the way git pairs renames by similarity. A copied
file (the original still there) is new code, and its findings are reported; so is a new file
that merely repeats one hazard line of a deleted one.

Matched findings stay in the report, suppressed with the reason `baseline` (so they count as
suppressed, never fail the exit status, and show with --show-suppressed and in JSON).
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import json
import os
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from archport import __version__
from archport.model import Finding
from archport.report._source import SourceLines, scan_base
from archport.report._utf8 import json_text
from archport.report.model import Report

SCHEMA_ID = "archport-baseline/1"
REASON = "baseline"
DEFAULT_FILE = "archport-baseline.json"


class BaselineError(Exception):
    """The baseline file cannot be used; the CLI exits 2 with this one-line message."""


def is_baseline_reason(reason: str | None) -> bool:
    return reason is not None and (reason == REASON or reason.startswith(REASON + " ("))


@dataclass
class Baseline:
    path: str  # the file it was read from, for messages
    root: str
    entries: list[dict[str, Any]] = field(default_factory=list)

    @property
    def fingerprints(self) -> set[str]:
        return {e["fingerprint"] for e in self.entries}


# -- writing -------------------------------------------------------------------------------------


def recorded(finding: Finding) -> bool:
    """Whether a finding belongs in a baseline: active ones, and those that only a baseline or
    --diff hides (so a baseline written by a scan that used either is still complete); not the
    ones an inline comment or the layout suppresses."""
    reason = finding.suppressed
    return reason is None or is_baseline_reason(reason) or reason.startswith("unchanged since ")


def build(report: Report) -> dict[str, Any]:
    """The baseline document for a scan's report."""
    base = scan_base(report.root)
    texts = _TextFingerprints(base, report.findings)
    entries = [
        {
            "fingerprint": f.fingerprint,
            "text_fingerprint": texts.of(f),
            "code": f.code,
            "path": f.path,
            "line": f.line,
            "message": f.message,
        }
        for f in sorted(report.findings, key=lambda f: f.sort_key)
        if recorded(f)
    ]
    created = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    return {
        "schema": SCHEMA_ID,
        "tool": {"name": "archport", "version": __version__},
        "created": created,
        "root": report.root,
        "findings": entries,
    }


def render(report: Report) -> str:
    return json_text(build(report))


# -- reading -------------------------------------------------------------------------------------


def load(path: str | os.PathLike) -> Baseline:
    """Reads and checks a baseline file; any problem is one BaselineError line."""
    name = str(path)
    try:
        with open(path, encoding="utf-8") as fh:
            doc = json.load(fh)
    except FileNotFoundError:
        raise BaselineError(f"baseline file {name} does not exist (create it with `archport baseline PATH -o {name}`)") from None
    except IsADirectoryError:
        raise BaselineError(f"baseline file {name} is a directory") from None
    except OSError as exc:
        raise BaselineError(f"cannot read baseline file {name}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise BaselineError(f"{name} is not an archport baseline (not UTF-8 text)") from None
    except json.JSONDecodeError as exc:
        raise BaselineError(f"{name} is not an archport baseline (invalid JSON at line {exc.lineno}: {exc.msg})") from None
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA_ID:
        found = doc.get("schema") if isinstance(doc, dict) else None
        what = f"schema `{found}`" if isinstance(found, str) else "no `schema` field"
        raise BaselineError(f"{name} is not an archport baseline ({what}; expected `{SCHEMA_ID}`)")
    entries = doc.get("findings")
    if not isinstance(entries, list):
        raise BaselineError(f"{name}: `findings` must be a list")
    for i, e in enumerate(entries):
        if not isinstance(e, dict) or not isinstance(e.get("fingerprint"), str) or not e["fingerprint"]:
            raise BaselineError(f"{name}: finding {i + 1} has no `fingerprint` string")
        for key in ("path", "code", "text_fingerprint"):
            if key in e and not isinstance(e[key], str):
                raise BaselineError(f"{name}: finding {i + 1}: `{key}` must be a string")
    root = doc.get("root")
    return Baseline(path=name, root=root if isinstance(root, str) else "", entries=entries)


# -- matching ------------------------------------------------------------------------------------


@dataclass
class Matched:
    findings: int = 0  # findings marked as in the baseline
    moved: int = 0  # of which matched through a renamed or moved file
    baseline_paths_present: bool = True  # whether any file the baseline names exists now


def apply_baseline(report: Report, baseline: Baseline) -> Matched:
    """Marks the report's findings that the baseline holds as suppressed (`baseline`)."""
    base = scan_base(report.root)
    known = baseline.fingerprints
    used: set[str] = set()
    out: list[Finding] = []
    for f in report.findings:
        if f.fingerprint in known:
            used.add(f.fingerprint)
            if f.suppressed is None:
                f = dataclasses.replace(f, suppressed=REASON)
        out.append(f)
    report.findings = out
    result = Matched(findings=sum(1 for f in out if f.suppressed == REASON))

    _match_moved_files(report, baseline, base, used, result)
    report.settings["baseline"] = baseline.path
    return result


def _match_moved_files(report: Report, baseline: Baseline, base: Path, used: set[str], result: Matched) -> None:
    """Renamed or moved files: pairs each file the baseline does not know with the vanished
    baseline file whose entries it shares most (by rule + line text + index), as git pairs
    renames by similarity: at least half of each side must match."""
    baseline_paths = {e.get("path") for e in baseline.entries}
    gone: dict[str, Counter] = defaultdict(Counter)  # old path -> (code, text fp) counts
    exists: dict[str, bool] = {}
    for e in baseline.entries:
        p = e.get("path")
        if not isinstance(p, str) or e["fingerprint"] in used:
            continue
        if p not in exists:
            exists[p] = (base / p).exists()
        if not exists[p] and e.get("text_fingerprint") and e.get("code"):
            gone[p][(e["code"], e["text_fingerprint"])] += 1
    result.baseline_paths_present = not exists or any(exists.values()) or bool(used)
    if not gone:
        return
    out = report.findings
    fresh: dict[str, list[int]] = defaultdict(list)  # new path -> indexes of its active findings
    for i, f in enumerate(out):
        if f.suppressed is None and f.path not in baseline_paths:
            fresh[f.path].append(i)
    if not fresh:
        return
    texts = _TextFingerprints(base, [f for f in out if f.path in fresh])
    keys = {i: (out[i].code, texts.of(out[i])) for idx in fresh.values() for i in idx}
    holders: dict[tuple[str, str], set[str]] = defaultdict(set)  # key -> gone paths with it
    for old, theirs in gone.items():
        for key in theirs:
            holders[key].add(old)
    pairs = []
    for new, idx in fresh.items():
        mine = Counter(keys[i] for i in idx)
        for old in sorted(set().union(*(holders.get(key, ()) for key in mine))):
            theirs = gone[old]
            overlap = sum((mine & theirs).values())
            if overlap * 2 >= len(idx) and overlap * 2 >= sum(theirs.values()):
                pairs.append((-overlap, new, old))
    taken_new: set[str] = set()
    taken_old: set[str] = set()
    for _, new, old in sorted(pairs):
        if new in taken_new or old in taken_old:
            continue
        taken_new.add(new)
        taken_old.add(old)
        left = Counter(gone[old])
        for i in fresh[new]:
            if left[keys[i]] > 0:
                left[keys[i]] -= 1
                out[i] = dataclasses.replace(out[i], suppressed=f"{REASON} (moved from {old})")
                result.findings += 1
                result.moved += 1


class _TextFingerprints:
    """Path-free fingerprints: rule, whitespace-normalised line text, index among identical
    (rule, text) findings of the same file, in file order (as fingerprint.py counts them)."""

    def __init__(self, base: Path, findings: list[Finding]):
        self.values: dict[tuple, str] = {}
        source = SourceLines(base)
        by_path: dict[str, list[Finding]] = defaultdict(list)
        for f in findings:
            by_path[f.path].append(f)
        for group in by_path.values():
            # a binary or an archive is never read: its findings have no line text (as their
            # fingerprints have none)
            lines = source.of(group[0])
            seen: dict[tuple[str, str], int] = {}
            for f in sorted(group, key=lambda f: f.sort_key):
                text = " ".join(lines[f.line - 1].split()) if 0 < f.line <= len(lines) else ""
                index = seen.get((f.code, text), 0)
                seen[(f.code, text)] = index + 1
                digest = hashlib.sha256(f"{f.code}\0{text}\0{index}".encode("utf-8", "surrogatepass")).hexdigest()
                self.values[self._key(f)] = digest[:20]

    @staticmethod
    def _key(f: Finding) -> tuple:
        return (f.path, f.sort_key, f.fingerprint)

    def of(self, f: Finding) -> str:
        return self.values.get(self._key(f), "")
