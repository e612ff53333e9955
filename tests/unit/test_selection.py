"""--select / --ignore: codes and prefixes, the longest matching entry decides, an ignore
wins a tie, ALL means every rule, unknown entries are errors."""

from __future__ import annotations

import pytest

from archport.model import Impact, Severity
from archport.registry import default_registry
from archport.rule import Rule
from archport.selection import SelectionError, select_rules

CODES = ["AP001", "AP002", "AS401", "CC201", "CC401", "CC402", "CC403", "CC410", "CC501"]


def _rule(code: str) -> type[Rule]:
    return type(
        f"Rule{code}",
        (Rule,),
        {
            "code": code,
            "name": f"rule-{code.lower()}",
            "summary": "test rule",
            "languages": frozenset({"c"}),
            "severity": Severity.ERROR,
            "impact": Impact.BUILD_BREAK,
        },
    )


RULES = [_rule(c) for c in CODES]


def chosen(select, ignore=()):
    return [r.code for r in select_rules(RULES, select, ignore)]


CASES = [
    # (select, ignore, expected codes)
    (None, (), CODES),
    (["ALL"], (), CODES),
    (["all"], (), CODES),
    (["CC403"], (), ["CC403"]),
    (["cc403"], (), ["CC403"]),
    ([" CC403 "], (), ["CC403"]),
    (["CC401,CC403"], (), ["CC401", "CC403"]),
    (["CC401", "CC403"], (), ["CC401", "CC403"]),
    (["CC401, ,CC403,"], (), ["CC401", "CC403"]),
    (["CC4"], (), ["CC401", "CC402", "CC403", "CC410"]),
    (["CC40"], (), ["CC401", "CC402", "CC403"]),
    (["C"], (), ["CC201", "CC401", "CC402", "CC403", "CC410", "CC501"]),
    (["A"], (), ["AP001", "AP002", "AS401"]),
    (None, ["AP"], ["AS401", "CC201", "CC401", "CC402", "CC403", "CC410", "CC501"]),
    (None, ["CC4"], ["AP001", "AP002", "AS401", "CC201", "CC501"]),
    (["CC4"], ["CC40"], ["CC410"]),
    # the longest matching entry wins, whichever list it is in
    (["CC4", "CC403"], ["CC40"], ["CC403", "CC410"]),
    (["CC"], ["CC4"], ["CC201", "CC501"]),
    (["CC"], ["CC4", "CC40", "CC401"], ["CC201", "CC501"]),
    (["CC", "CC40"], ["CC4"], ["CC201", "CC401", "CC402", "CC403", "CC501"]),
    (["ALL"], ["CC"], ["AP001", "AP002", "AS401"]),
    (["CC401"], ["CC"], ["CC401"]),
    # an ignore wins a tie
    (["CC403"], ["CC403"], []),
    (["CC4"], ["CC4"], []),
    (["ALL"], ["ALL"], []),
    # an explicit empty selection selects nothing
    ([], (), []),
]


@pytest.mark.parametrize("select,ignore,expected", CASES, ids=[f"{s}-{i}" for s, i, _ in CASES])
def test_selection_table(select, ignore, expected):
    assert chosen(select, ignore) == expected


def test_result_keeps_registry_order_and_classes():
    out = select_rules(RULES, ["CC403", "AP001", "CC201"])
    assert out == [RULES[0], RULES[3], RULES[6]]
    assert all(isinstance(r, type) and issubclass(r, Rule) for r in out)


@pytest.mark.parametrize(
    "select,ignore,bad",
    [
        (["ZZ999"], (), "ZZ999"),
        (["CC9"], (), "CC9"),
        (["CC4031"], (), "CC4031"),
        (["CC403", "XX"], (), "XX"),
        (None, ["QQ1"], "QQ1"),
        (["ALL"], ["CC404"], "CC404"),
        (["CC401,NOPE"], (), "NOPE"),
    ],
)
def test_unknown_code_or_prefix_is_an_error(select, ignore, bad):
    with pytest.raises(SelectionError) as info:
        select_rules(RULES, select, ignore)
    assert bad in str(info.value)
    assert "\n" not in str(info.value)


def test_selection_error_is_a_value_error():
    assert issubclass(SelectionError, ValueError)


def test_default_registry_selects_everything_by_default():
    registry = list(default_registry())
    assert select_rules(registry) == registry
    assert select_rules(registry, ["ALL"], ["AP"]) == [r for r in registry if not r.code.startswith("AP")]
    assert [r.code for r in select_rules(registry, ["CC403"])] == ["CC403"]
