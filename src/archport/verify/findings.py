"""Findings of `archport verify`: archport `Finding` objects located in the project's files, so
the terminal and JSON reporters render them like scan findings."""

from __future__ import annotations

import os
import re
from collections import defaultdict

from archport.fingerprint import with_fingerprints
from archport.model import Finding
from archport.registry import default_registry
from archport.source import SourceFile

_TOKEN = re.compile(r"[A-Za-z_]\w*|\S")


class FileTexts:
    """The text of each reported file, read once; positions are computed from it."""

    def __init__(self, root: str):
        self.root = root
        self._text: dict[str, str | None] = {}

    def get(self, path: str) -> str | None:
        if path not in self._text:
            try:
                with open(path, "rb") as fh:
                    self._text[path] = fh.read().decode("utf-8", errors="surrogateescape")
            except OSError:
                self._text[path] = None
        return self._text[path]

    def rel(self, path: str) -> str:
        """The reported path: relative to the root when inside it, else absolute."""
        root = self.root if os.path.isdir(self.root) else os.path.dirname(self.root)
        try:
            rel = os.path.relpath(path, root)
        except ValueError:
            return path
        if rel.startswith(".."):
            return os.path.abspath(path)
        return rel.replace(os.sep, "/")


def rule(code: str):
    r = default_registry().get(code)
    if r is None:  # pragma: no cover - the AP1xx rules ship with archport
        raise KeyError(code)
    return r


def make_finding(
    texts: FileTexts,
    code: str,
    path: str,
    line: int,
    col: int,
    message: str,
    help: str,
    properties: dict,
    *,
    token: str = "",
) -> Finding:
    """A finding at 1-based `line` and 1-based byte column `col` (0: start of line) of `path`;
    it spans `token` when it is found there, else the word or character at the column."""
    r = rule(code)
    text = texts.get(path)
    start_char = end_char = 0
    column = max(col, 1)
    start_byte = end_byte = 0
    end_line, end_column = line, column
    if text is not None:
        lines = text.split("\n")
        if 1 <= line <= len(lines):
            raw = lines[line - 1]
            raw_bytes = raw.encode("utf-8", errors="surrogateescape")
            bcol = min(max(col - 1, 0), len(raw_bytes))
            start_char = len(raw_bytes[:bcol].decode("utf-8", errors="surrogateescape"))
            if col <= 0:  # no column: the first non-blank character
                start_char = len(raw) - len(raw.lstrip())
            if token:
                at = raw.find(token, start_char)
                if at == -1:
                    at = raw.find(token)
                if at != -1 and (col <= 0 or abs(at - start_char) <= 2 or raw.find(token, start_char) == at):
                    start_char, end_char = at, at + len(token)
            if end_char <= start_char:
                m = _TOKEN.match(raw, start_char)
                end_char = m.end() if m else start_char + 1
            column = start_char + 1
            end_column = end_char + 1
            line_start = sum(len(x.encode("utf-8", errors="surrogateescape")) + 1 for x in lines[: line - 1])
            start_byte = line_start + len(raw[:start_char].encode("utf-8", errors="surrogateescape"))
            end_byte = line_start + len(raw[:end_char].encode("utf-8", errors="surrogateescape"))
    return Finding(
        code=r.code,
        name=r.name,
        severity=r.severity,
        impact=r.impact,
        confidence=r.confidence,
        path=texts.rel(path),
        line=max(line, 1),
        column=column,
        end_line=end_line,
        end_column=max(end_column, column),
        start_byte=start_byte,
        end_byte=max(end_byte, start_byte),
        message=message,
        help=help,
        properties=properties,
    )


def fingerprinted(findings: list[Finding], texts: FileTexts) -> list[Finding]:
    """Findings sorted, with the same line-text fingerprints scan findings get."""
    by_path: dict[str, list[Finding]] = defaultdict(list)
    for f in findings:
        by_path[f.path].append(f)
    out: list[Finding] = []
    root = texts.root if os.path.isdir(texts.root) else os.path.dirname(texts.root)
    for path, group in by_path.items():
        text = texts.get(path if os.path.isabs(path) else os.path.join(root, path))
        source = SourceFile(path, "text", text) if text is not None else None
        if source is not None:
            if any(not 1 <= f.line <= source.line_count for f in group):
                source = None
        out.extend(with_fingerprints(group, source))
    return sorted(out, key=lambda f: f.sort_key)
