"""Meta-tests over every registered rule: identity, documentation, fixtures, doc examples."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import archport
from archport.registry import default_registry
from archport.artifacts.kinds import KINDS
from archport.rule import CODE_RE, DOC_SECTIONS, REQUIRED_SECTIONS
from tests.artifacts.tree import build

RULES = list(default_registry())
FIXTURES = Path(__file__).parent / "fixtures"
_BANNED_NAME = re.compile(r"^(use|avoid|prefer|no)-|-fix$")
_EXTENSION = {"c": ".c", "cpp": ".cpp", "c++": ".cpp", "asm": ".S", "nasm": ".asm", "gas": ".s", "cmake": ".cmake", "make": ".mk", "sh": ".sh", "autoconf": ".ac", "requirements": "-requirements.txt",
              "dockerfile": ".dockerfile", "yaml": ".yml", "shell": ".sh", "powershell": ".ps1", "python": ".py", "groovy": ".groovy", "go": ".go", "rust": ".rs", "toml": ".toml", "fortran": ".f90",
              "java": ".java", "csharp": ".cs", "xml": ".csproj", "batch": ".bat"}


def test_registry_is_not_empty_and_codes_are_unique():
    codes = [r.code for r in RULES]
    assert len(codes) == len(set(codes)) > 2
    names = [r.name for r in RULES]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_identity(rule):
    assert CODE_RE.match(rule.code)
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rule.name), rule.name
    assert not _BANNED_NAME.search(rule.name), f"{rule.name} names a remedy, not the hazard"
    assert rule.summary and not rule.summary.endswith(".")
    assert rule.languages
    assert rule.effort_minutes > 0


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_documentation_sections(rule):
    sections = rule.doc_sections()
    assert rule.doc().splitlines()[0].strip(), "docstring starts with a summary line"
    for required in REQUIRED_SECTIONS:
        assert sections.get(required), f"{rule.code}: missing or empty section `## {required}`"
    order = [s for s in sections if s in DOC_SECTIONS]
    assert order == [s for s in DOC_SECTIONS if s in sections], f"{rule.code}: sections out of order: {order}"
    assert set(sections) <= set(DOC_SECTIONS), f"{rule.code}: unknown sections {set(sections) - set(DOC_SECTIONS)}"
    assert sections["What it does"].startswith("Checks for"), rule.code
    assert ("Fix" in sections) == (rule.fix_availability.value != "none")


@pytest.mark.parametrize("rule", [r for r in RULES if not r.code.startswith("AP")], ids=lambda r: r.code)
def test_rule_has_fixtures(rule):
    folder = FIXTURES / rule.code
    assert folder.is_dir() and any(folder.glob("cases*")), f"no fixtures in {folder}"


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_doc_examples(rule, tmp_path):
    """The Example block is flagged by the rule; the Use-instead block is not."""
    bad, good = rule.doc_examples()
    assert bad.strip() and good.strip(), f"{rule.code}: Example needs a flagged block and a `Use instead:` block"
    ext = _EXTENSION.get(rule.example_language(), ".c")
    select = [rule.code] if not rule.code.startswith("AP") else None
    assert rule.produced_by in ("scan", "verify"), rule.code
    for name, text, flagged in (("bad", bad, True), ("good", good, False)):
        if rule.produced_by == "verify":  # scan never reports it; tests/verify checks the examples
            flagged = False
        if rule.languages <= KINDS:  # binaries and archives: the example lists them (tests/artifacts/tree.py)
            folder = tmp_path / name
            build(text, folder)
            report = archport.scan(folder, select=select, jobs=1)
            assert bool([f for f in report.active if f.code == rule.code]) == flagged, f"{rule.code} {name} example"
            continue
        folder = tmp_path
        siblings = rule.example_siblings  # package-level rules read neighbouring files
        if siblings:
            folder = tmp_path / name
            folder.mkdir()
            for sibling, content in siblings.items():
                (folder / sibling).write_text(content)
        path = folder / f"{name}{ext}"
        path.write_text(text)
        report = archport.scan(path, select=select, jobs=1)
        codes = [f.code for f in report.active if f.code == rule.code]
        assert bool(codes) == flagged, f"{rule.code} {name} example: {[f.message for f in report.active]}"
