"""Fixture markers: `expect: CC401`, `expect: CC401 x2`, `expect-next: CC401`, `ok: CC401`,
`todo-expect: CC401` (known false negative) and `todo-ok: CC401` (known false positive),
written in a comment of the fixture's own language."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

_MARKER = re.compile(r"\b(expect-next|expect|ok|todo-expect|todo-ok):\s*((?:[A-Z]{2}\d{3}(?:\s*x\d+)?\s*,?\s*)+)")
_ITEM = re.compile(r"([A-Z]{2}\d{3})(?:\s*x(\d+))?")


@dataclass
class Markers:
    expected: Counter = field(default_factory=Counter)  # (line, code) -> count
    ok: set = field(default_factory=set)  # (line, code)
    todo_expect: set = field(default_factory=set)
    todo_ok: set = field(default_factory=set)


def parse_markers(text: str) -> Markers:
    out = Markers()
    for lineno, line in enumerate(text.splitlines(), 1):
        for m in _MARKER.finditer(line):
            kind = m.group(1)
            for code, times in _ITEM.findall(m.group(2)):
                n = int(times or 1)
                if kind == "expect":
                    out.expected[(lineno, code)] += n
                elif kind == "expect-next":
                    out.expected[(lineno + 1, code)] += n
                elif kind == "ok":
                    out.ok.add((lineno, code))
                elif kind == "todo-expect":
                    out.todo_expect.add((lineno, code))
                else:
                    out.todo_ok.add((lineno, code))
    return out
