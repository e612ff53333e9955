"""Fingerprints that survive unrelated edits: they hash the rule, the file and the flagged
line's text (whitespace-normalised), plus the occurrence index among identical ones, never the
line number."""

from __future__ import annotations

import dataclasses
import hashlib

from archport.model import Finding
from archport.source import SourceFile


def with_fingerprints(findings: list[Finding], source: SourceFile | None) -> list[Finding]:
    seen: dict[tuple[str, str], int] = {}
    normalised: dict[int, str] = {}  # per line: a long line with many findings is split once
    prefixes: dict[tuple[str, int], object] = {}
    out = []
    for f in sorted(findings, key=lambda f: f.sort_key):
        text = normalised.get(f.line)
        if text is None:
            text = normalised[f.line] = " ".join(source.line_text(f.line).split()) if source is not None else ""
        key = (f.code, text)
        index = seen.get(key, 0)
        seen[key] = index + 1
        base = prefixes.get((f.code, f.line))
        if base is None:  # hash the line once per rule, then only the occurrence index
            base = prefixes[(f.code, f.line)] = hashlib.sha256(
                f"{f.code}\0{f.path}\0{text}\0".encode("utf-8", "surrogatepass")
            )
        h = base.copy()
        h.update(str(index).encode())
        digest = h.hexdigest()
        out.append(dataclasses.replace(f, fingerprint=digest[:20]))
    return out
