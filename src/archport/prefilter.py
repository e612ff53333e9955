"""One fast pass over a file's bytes that says which rules could possibly match it, so files
with nothing of interest are neither decoded nor parsed. Uses Hyperscan (Vectorscan) when it
is installed, and plain substring search otherwise."""

from __future__ import annotations

from collections.abc import Iterable

try:  # optional: a C multi-pattern matcher, about as fast as ripgrep
    import hyperscan
except ImportError:  # pragma: no cover - exercised on platforms without wheels
    hyperscan = None


class Prefilter:
    def __init__(self, literals_by_key: dict[str, Iterable[bytes]]):
        self.always: set[str] = set()
        self._literals: list[tuple[bytes, str]] = []
        for key, literals in literals_by_key.items():
            lits = list(literals)
            if not lits:
                self.always.add(key)
            self._literals.extend((lit, key) for lit in lits)
        self._keys = [key for _, key in self._literals]
        self._db = None
        if hyperscan is not None and self._literals:
            db = hyperscan.Database()
            db.compile(
                expressions=[_escape(lit) for lit, _ in self._literals],
                ids=list(range(len(self._literals))),
                flags=[hyperscan.HS_FLAG_SINGLEMATCH] * len(self._literals),
            )
            self._db = db

    def hits(self, data: bytes) -> set[str]:
        """Keys whose literals occur in data, plus the keys that are always offered."""
        found = set(self.always)
        if self._db is not None:
            keys = self._keys

            def on_match(pattern_id, start, end, flags, context):
                found.add(keys[pattern_id])

            self._db.scan(data, match_event_handler=on_match)
        else:
            for lit, key in self._literals:
                if key not in found and lit in data:
                    found.add(key)
        return found


def _escape(literal: bytes) -> bytes:
    return b"".join(b"\\x%02x" % b if not (chr(b).isalnum()) else bytes([b]) for b in literal)
