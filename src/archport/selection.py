"""Which rules run: --select and --ignore take codes or prefixes; for each rule the longest
matching entry decides, and an ignore wins a tie (flake8's rule)."""

from __future__ import annotations

from collections.abc import Iterable

from archport.rule import Rule

ALL = "ALL"


class SelectionError(ValueError):
    pass


def _normalise(entries: Iterable[str]) -> list[str]:
    out = []
    for entry in entries:
        for part in entry.split(","):
            part = part.strip().upper()
            if part:
                out.append("" if part == ALL else part)
    return out


def select_rules(
    rules: Iterable[type[Rule]],
    select: Iterable[str] | None = None,
    ignore: Iterable[str] = (),
) -> list[type[Rule]]:
    rules = list(rules)
    selected = _normalise(select) if select is not None else [""]
    ignored = _normalise(ignore)
    known = [r.code for r in rules]
    for entry in selected + ignored:
        if entry and not any(code.startswith(entry) for code in known):
            raise SelectionError(f"unknown rule code or prefix `{entry}` (see `archport rules`)")
    chosen = []
    for rule in rules:
        s = max((len(p) for p in selected if rule.code.startswith(p)), default=-1)
        i = max((len(p) for p in ignored if rule.code.startswith(p)), default=-1)
        if s > i:
            chosen.append(rule)
    return chosen
