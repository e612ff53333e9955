"""Every rule archport knows: built-ins and plugins, loaded through the `archport.rules`
entry-point group (built-ins register there too), with lookups by code and prefix."""

from __future__ import annotations

import functools
from importlib.metadata import entry_points

from archport.rule import CODE_RE, Rule


class RegistryError(Exception):
    pass


class Registry:
    def __init__(self, rules: list[type[Rule]]):
        by_code: dict[str, type[Rule]] = {}
        for rule in rules:
            if not CODE_RE.match(rule.code):
                raise RegistryError(f"rule {rule.__module__}.{rule.__name__} has malformed code {rule.code!r}")
            other = by_code.get(rule.code)
            if other is not None and other is not rule:
                raise RegistryError(
                    f"rule code {rule.code} is defined twice: {other.__module__} and {rule.__module__}"
                )
            by_code[rule.code] = rule
        self._by_code = dict(sorted(by_code.items()))

    def __iter__(self):
        return iter(self._by_code.values())

    def __len__(self) -> int:
        return len(self._by_code)

    def get(self, code: str) -> type[Rule] | None:
        return self._by_code.get(code.upper())

    def codes(self) -> list[str]:
        return list(self._by_code)

    def matching(self, prefix: str) -> list[type[Rule]]:
        prefix = prefix.upper()
        return [r for c, r in self._by_code.items() if c.startswith(prefix)]


def _load_entry_points() -> list[type[Rule]]:
    rules: list[type[Rule]] = []
    loaded_builtin = False
    for ep in entry_points(group="archport.rules"):
        if ep.value == "archport.rules:builtin_rules":
            if loaded_builtin:
                continue  # the same distribution seen twice (editable + site install)
            loaded_builtin = True
        rules.extend(ep.load()())
    if not loaded_builtin:  # running from a source tree without installed metadata
        from archport.rules import builtin_rules

        rules.extend(builtin_rules())
    return rules


@functools.lru_cache(maxsize=1)
def default_registry() -> Registry:
    return Registry(_load_entry_points())
