"""The source lines of reported files, read once each and numbered as the scanner numbers them
(engine.py / source.SourceFile): UTF-8, else Latin-1, lines split at "\\n" only, so a form
feed or U+2028 inside a line never shifts a code frame or a baseline's line text."""

from __future__ import annotations

import os
from pathlib import Path

from archport.model import Finding


def scan_base(root: str | os.PathLike) -> Path:
    """The directory finding paths are relative to (a file's directory for a one-file scan)."""
    root = Path(root)
    return root if root.is_dir() else root.parent


def decode_lines(data: bytes) -> list[str]:
    """The lines of a file's bytes, without line ends (a final "\\n" starts no extra line)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("latin-1")  # as the scanner reads a file that is not UTF-8
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line.removesuffix("\r") for line in lines]


class SourceLines:
    """The lines of the files findings point at, under the scan root, each file read once. A
    file that is gone (a saved report re-rendered elsewhere) has none; so has a finding on a
    binary or an archive (properties["artifact"]), whose file is never read."""

    def __init__(self, root: str | os.PathLike):
        self.base = scan_base(root)
        self._cache: dict[str, list[str]] = {}

    def get(self, rel: str) -> list[str]:
        lines = self._cache.get(rel)
        if lines is None:
            try:
                lines = decode_lines((self.base / rel).read_bytes())
            except (OSError, ValueError):  # ValueError: a NUL in a saved report's path
                lines = []
            self._cache[rel] = lines
        return lines

    def of(self, finding: Finding) -> list[str]:
        """The lines of `finding`'s file; none for an artifact finding."""
        if finding.properties and "artifact" in finding.properties:
            return []
        return self.get(finding.path)
