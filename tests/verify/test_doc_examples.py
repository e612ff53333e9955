"""The Example blocks of the verify-only rules, checked with verify itself: the flagged block
is reported, the `Use instead:` block is not."""

from __future__ import annotations

import pytest

from archport.registry import default_registry
from archport.verify.compile import CompileOptions, run_compile_check
from archport.verify.run import RunOptions, run_differential
from tests.verify.conftest import needs_cross, needs_qemu

_EXT = {"c": ".c", "cpp": ".cpp"}


def _write(tmp_path, name, rule, text):
    path = tmp_path / name / f"example{_EXT[rule.example_language()]}"
    path.parent.mkdir()
    path.write_text(text)
    return path


def test_verify_rules_are_marked_and_never_scanned():
    codes = {r.code for r in default_registry() if r.produced_by == "verify"}
    assert codes == {"AP101", "AP102", "AP103"}


@needs_cross
@pytest.mark.parametrize("code", ["AP101", "AP102"])
def test_compile_rule_examples(code, tmp_path):
    rule = default_registry().get(code)
    bad, good = rule.doc_examples()
    for name, text, flagged in (("bad", bad, True), ("good", good, False)):
        path = _write(tmp_path, name, rule, text)
        report, _ = run_compile_check(str(path.parent), CompileOptions(jobs=1))
        codes = [f.code for f in report.active]
        assert (code in codes) == flagged, f"{code} {name}: {[f.message for f in report.active]}"
        assert not [c for c in codes if c != code], codes


@needs_qemu
def test_run_rule_example(tmp_path):
    rule = default_registry().get("AP103")
    bad, good = rule.doc_examples()
    for name, text, flagged in (("bad", bad, True), ("good", good, False)):
        path = _write(tmp_path, name, rule, text)
        report, _ = run_differential(["example"], RunOptions(sources=(str(path),), static=False))
        assert bool(report.active) == flagged, [f.message for f in report.active]
