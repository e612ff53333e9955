"""The effort model (archport.effort): fix units, the range, the rule of thumb, readiness."""

from __future__ import annotations

import pytest

from archport import effort
from archport.model import Confidence, Finding, Impact, Severity
from archport.report.model import Report


def finding(code="CC401", path="src/a.c", line=1, *, end_line=None, confidence=Confidence.HIGH,
            severity=Severity.ERROR, impact=Impact.BUILD_BREAK, suppressed=None, **properties) -> Finding:
    return Finding(
        code=code, name="x", severity=severity, impact=impact, confidence=confidence, path=path,
        line=line, column=1, end_line=end_line or line, end_column=2, start_byte=0, end_byte=1,
        message="m", help="h", properties=properties, suppressed=suppressed,
    )


def report(*findings, weights=None, files_scanned=None) -> Report:
    return Report(
        root=".", findings=list(findings), effort_minutes=weights if weights is not None else {"CC401": 60, "CC404": 120, "AS401": 240},
        files_scanned=files_scanned if files_scanned is not None else len({f.path for f in findings}),
    )


def minutes(rep: Report) -> float:
    return effort.estimate(rep).minutes


def test_empty_report():
    est = effort.estimate(report())
    assert (est.minutes, est.units, est.findings) == (0, 0, 0)
    d = est.to_dict()
    assert d["person_days"] == d["person_days_low"] == d["person_days_high"] == 0
    assert d["by_code"] == {}
    assert d["rule_of_thumb"]["lines"] == {} and d["rule_of_thumb"]["person_days"] == 0
    assert "0 person-days" in est.describe()


def test_same_family_in_one_file_is_one_unit():
    one = report(finding(line=3, intrinsic="_mm_add_ps"))
    many = report(*[finding(line=n, intrinsic="_mm_add_ps") for n in range(1, 11)])
    assert minutes(one) == 60
    # one unit: full weight plus 5 % per repeat, not ten times the weight
    assert minutes(many) == pytest.approx(60 + 9 * 0.05 * 60)
    assert effort.estimate(many).units == 1


def test_further_units_of_a_rule_in_a_file_cost_a_fraction():
    rep = report(finding(line=1, intrinsic="_mm_add_ps"), finding(line=2, intrinsic="_mm_mul_ps"))
    assert minutes(rep) == pytest.approx(60 + 0.25 * 60)
    assert effort.estimate(rep).units == 2


def test_findings_without_a_family_key_are_units_of_their_own():
    rep = report(finding(line=1), finding(line=2), finding(line=3))
    assert effort.estimate(rep).units == 3
    assert minutes(rep) == pytest.approx(60 + 2 * 0.25 * 60)


def test_family_known_from_an_earlier_file_costs_half():
    rep = report(finding(path="a.c", intrinsic="_mm_add_ps"), finding(path="b.c", intrinsic="_mm_add_ps"))
    assert minutes(rep) == pytest.approx(60 + 0.5 * 60)
    # but another family in the second file is a new fix there
    other = report(finding(path="a.c", intrinsic="_mm_add_ps"), finding(path="b.c", intrinsic="_mm_mul_ps"))
    assert minutes(other) == pytest.approx(120)


def test_rules_are_grouped_separately_and_by_code():
    rep = report(finding(code="CC401", intrinsic="_mm_add_ps"), finding(code="CC404", line=5))
    est = effort.estimate(rep)
    assert est.minutes == pytest.approx(60 + 120)
    assert set(est.by_code) == {"CC401", "CC404"}
    assert est.to_dict()["by_code"]["CC404"] == {"findings": 1, "fix_units": 1, "hours": 2.0, "hours_low": 1.5, "hours_high": 3.0}


def test_suppressed_findings_cost_nothing():
    rep = report(finding(intrinsic="_mm_add_ps"), finding(path="b.c", intrinsic="x", suppressed="noqa"))
    assert minutes(rep) == 60


def test_family_key_precedence_and_migration():
    assert effort.family_of(finding(intrinsic="_mm_add_ps", replacement="vaddq_f32")) == "intrinsic=_mm_add_ps"
    assert effort.family_of(finding(replacement="vaddq_f32")) == "replacement=vaddq_f32"
    assert effort.family_of(finding(migration={"library": "Intel MKL", "call": "vdExp"})) == "call=vdExp"
    assert effort.family_of(finding(case="x", intrinsic=["not", "hashable"])) is None


def test_range_follows_confidence():
    high = effort.estimate(report(finding(confidence=Confidence.HIGH)))
    low = effort.estimate(report(finding(confidence=Confidence.LOW)))
    assert (high.low_minutes, high.minutes, high.high_minutes) == (45, 60, 90)
    assert (low.low_minutes, low.minutes, low.high_minutes) == (0, 60, 120)
    # a unit takes the highest confidence among its findings
    mixed = effort.estimate(report(finding(line=1, confidence=Confidence.LOW, call="f"),
                                   finding(line=2, confidence=Confidence.HIGH, call="f")))
    assert mixed.low_minutes == pytest.approx(0.75 * mixed.minutes)


def test_person_days_use_the_documented_day():
    # 4 units of 240 min = 16 h = 2.67 days at 6 h
    rep = report(*[finding(code="AS401", path=f"s{i}.S") for i in range(4)])
    est = effort.estimate(rep)
    assert est.minutes == 4 * 240
    assert est.person_days == round(16 / effort.HOURS_PER_DAY, 1)
    assert est.person_days_low < est.person_days < est.person_days_high


def test_unknown_rule_weight_comes_from_registry_or_default():
    rep = report(finding(code="CC401"), finding(code="ZZ999", path="b.c"), weights={})
    from archport.registry import default_registry

    assert minutes(rep) == default_registry().get("CC401").effort_minutes + effort.DEFAULT_MINUTES


def test_estimate_is_deterministic_whatever_the_order():
    fs = [finding(path=p, line=n, intrinsic=i) for p in ("a.c", "b.c") for n, i in ((1, "x"), (2, "y"), (3, "x"))]
    assert effort.estimate(report(*fs)).to_dict() == effort.estimate(report(*reversed(fs))).to_dict()


def test_rule_of_thumb_counts_distinct_lines_by_language():
    rep = report(
        finding(path="src/a.c", line=10, end_line=12),  # 3 lines
        finding(path="src/a.c", line=11, code="CC404"),  # already counted
        finding(path="src/b.cpp", line=1),
        finding(path="src/k.S", line=4),
        finding(path="notes/plan.zzz", line=2),
    )
    rot = effort.estimate(rep).rule_of_thumb
    assert rot.lines == {"c": 3, "cpp": 1, "asm": 1, "other": 1}
    months = 3 / 500 + 1 / 500 + 1 / 250 + 1 / 500
    assert rot.person_months == pytest.approx(months)
    assert rot.person_days == round(months * effort.DAYS_PER_MONTH, 1)


def test_rule_of_thumb_whole_assembly_file_and_span_cap():
    asm = report(finding(code="AS401", path="x.asm", line=3, instruction_lines=120))
    assert effort.estimate(asm).rule_of_thumb.lines == {"asm": 120}
    assert effort.estimate(asm).rule_of_thumb.person_days == round(120 / 250 * 21, 1)
    long_span = report(finding(path="a.c", line=1, end_line=500))
    assert effort.estimate(long_span).rule_of_thumb.lines == {"c": effort.MAX_SPAN_LINES}


def test_summary_has_effort_and_keeps_effort_hours():
    rep = report(finding(intrinsic="a"), finding(line=2, intrinsic="a"))
    summary = rep.summary()
    assert summary["effort_hours"] == 2.0  # the plain sum stays
    assert summary["effort"]["person_days"] == effort.estimate(rep).person_days
    assert summary["effort"]["fix_units"] == 1


def test_readiness():
    assert effort.readiness(report()).score == 100
    assert effort.readiness(report()).status == "ready"
    rep = report(finding(path="a.c"), files_scanned=4)
    r = effort.readiness(rep)
    assert (r.score, r.status, r.files_with_errors) == (75, "blocked", 1)
    warn = report(finding(path="a.c", severity=Severity.WARNING, impact=Impact.SILENT_BEHAVIOUR_CHANGE), files_scanned=3)
    r = effort.readiness(warn)
    assert (r.score, r.status) == (100, "review")
    perf = report(finding(path="a.c", severity=Severity.INFO, impact=Impact.PERFORMANCE), files_scanned=3)
    assert effort.readiness(perf).status == "ready"
    # rounding down: 2 of 3 files clean is 66 %, never shown as more ready than it is
    assert effort.readiness(report(finding(path="a.c"), files_scanned=3)).score == 66
