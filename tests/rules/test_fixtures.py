"""One parametrized harness for every rule fixture: tests/rules/fixtures/<CODE>/cases*.

Each case file is scanned with only its rule selected; the (line, code) pairs reported must
equal the `expect` markers exactly, with no unmarked finding anywhere."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

import archport
from tests.rules.markers import parse_markers

FIXTURES = Path(__file__).parent / "fixtures"


def _cases():
    for rule_dir in sorted(FIXTURES.iterdir()):
        if not rule_dir.is_dir():
            continue
        for case in sorted(rule_dir.iterdir()):
            if case.name.startswith("cases") and ".fixed" not in case.name:
                yield pytest.param(rule_dir.name, case, id=f"{rule_dir.name}/{case.name}")


@pytest.mark.parametrize("code,case", list(_cases()))
def test_fixture(code: str, case: Path, tmp_path: Path):
    if case.suffix == ".tree":  # binaries and archives, built from a listing (tests/artifacts/tree.py)
        return _check_tree(code, case, tmp_path)
    # a case is one file, or a directory of files whose names matter (Makefile, Dockerfile…)
    files = sorted(p for p in case.rglob("*") if p.is_file()) if case.is_dir() else [case]
    report = archport.scan(case, select=[code], jobs=1)
    assert not report.errors, report.errors
    problems = []
    if not case.is_dir():
        problems += _check_file(case, case.name, report.active)
    else:
        for path in files:
            rel = path.relative_to(case).as_posix()
            problems += _check_file(path, rel, [f for f in report.active if f.path == rel])
        known = {p.relative_to(case).as_posix() for p in files}
        problems += [f"{f.path}:{f.line} unexpected {f.code} in an unknown file" for f in report.active if f.path not in known]
    assert not problems, "\n".join(problems)


def _check_tree(code: str, case: Path, tmp_path: Path) -> None:
    """Build the listed artifacts, scan them, and hold each finding (at the artifact's top-level
    line in the listing) against the listing's markers."""
    from tests.artifacts.tree import build

    lines = build(case.read_text(encoding="utf-8"), tmp_path)
    report = archport.scan(tmp_path, select=[code], jobs=1)
    assert not report.errors, report.errors
    text = case.read_text(encoding="utf-8")
    markers = parse_markers(text)
    got = Counter((lines[f.path], f.code) for f in report.active)
    listing = text.splitlines()
    problems = [f"{case.name}:{line} expected {n}x {c}, got {got[(line, c)]}: {listing[line - 1].strip()}"
                for (line, c), n in sorted(markers.expected.items()) if got[(line, c)] != n]
    problems += [f"{case.name}:{lines[f.path]} unexpected {f.code}: {f.message}" for f in report.active
                 if (lines[f.path], f.code) not in markers.expected]
    assert not problems, "\n".join(problems)


def _check_file(path: Path, rel: str, findings: list) -> list[str]:
    text = path.read_text(encoding="utf-8", errors="surrogateescape")
    markers = parse_markers(text)
    got = Counter((f.line, f.code) for f in findings)
    lines = text.splitlines()
    problems = []
    for (line, c), n in sorted(markers.expected.items()):
        if got[(line, c)] != n:
            problems.append(f"{rel}:{line} expected {n}x {c}, got {got[(line, c)]}: {lines[line - 1].strip()}")
    for f in findings:
        key = (f.line, f.code)
        if key in markers.expected or key in markers.todo_ok:
            continue
        problems.append(f"{rel}:{f.line}:{f.column} unexpected {f.code}: {f.message}\n    {lines[f.line - 1].strip()}")
    for key in sorted(markers.todo_expect):
        if got[key]:
            problems.append(f"{rel}:{key[0]} todo-expect {key[1]} is now reported: turn it into `expect`")
    for key in sorted(markers.todo_ok):
        if not got[key]:
            problems.append(f"{rel}:{key[0]} todo-ok {key[1]} is no longer reported: turn it into `ok`")
    return problems


def test_every_fixture_folder_has_positive_and_negative_cases():
    for rule_dir in sorted(FIXTURES.iterdir()):
        if not rule_dir.is_dir():
            continue
        expect = ok = 0
        for case in (p for p in rule_dir.rglob("*") if p.is_file()):
            m = parse_markers(case.read_text(encoding="utf-8", errors="replace"))
            expect += sum(n for (_, c), n in m.expected.items() if c == rule_dir.name)
            ok += sum(1 for _, c in m.ok if c == rule_dir.name)
        assert expect and ok, f"{rule_dir.name}: needs at least one `expect:` and one `ok:` marker"
