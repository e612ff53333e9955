"""Each rule's documentation page, and where the pages are published.

The pages are generated from the rule docstrings into `docs/rules/CODE.md` of this repository
by `python -m archport.devtools.rule_docs docs/rules` (a test fails when they are stale). SARIF
reports link each rule to its page through `rule_doc_url`, and carry the same Markdown inline
(`help.markdown`), so a report is complete even where the link cannot be reached.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from archport.rule import Rule

#: The project's home page (SARIF `tool.driver.informationUri`).
PROJECT_URL = "https://archport.dev/"
#: The one base URL of the published rule pages: the URL under which the repository's
#: `docs/rules/` folder is served, so that `docs/rules/CC401.md` is `RULE_DOCS_BASE_URL +
#: "CC401.md"`. Change it here (and nowhere else) if the documentation moves.
RULE_DOCS_BASE_URL = PROJECT_URL + "docs/rules/"


def rule_doc_url(code: str) -> str:
    """The published page of rule `code`."""
    return f"{RULE_DOCS_BASE_URL}{code.upper()}.md"


def rule_page(rule: type[Rule]) -> str:
    """The Markdown page of one rule: title, metadata table, then the docstring's sections."""
    doc = rule.doc()
    intro, sep, sections = doc.partition("\n## ")
    intro = intro.strip() or rule.summary + "."
    command = "archport scan" if rule.produced_by == "scan" else "archport verify"
    rows = [
        "| Severity | Impact | Confidence | Fix | Languages | Reported by |",
        "| -------- | ------ | ---------- | --- | --------- | ----------- |",
        f"| {rule.severity.value} | {rule.impact.value} | {rule.confidence.value} | {rule.fix_availability.value} "
        f"| {', '.join(sorted(rule.languages)) or '-'} | `{command}` |",
    ]
    parts = [f"# {rule.code}: {rule.name}", intro, "\n".join(rows)]
    if rule.tags:
        parts.append("Tags: " + ", ".join(f"`{t}`" for t in rule.tags) + ".")
    if sep:
        parts.append("## " + sections.strip())
    return "\n\n".join(parts) + "\n"


def index_page(rules) -> str:
    """`docs/rules/README.md`: every rule with a link to its page."""
    lines = [
        "# archport rules",
        "",
        "Generated from the rule docstrings by `python -m archport.devtools.rule_docs docs/rules`;"
        " do not edit by hand. `archport rule CODE` prints the same text.",
        "",
        "| Code | Name | Severity | Impact | What it finds |",
        "| ---- | ---- | -------- | ------ | ------------- |",
    ]
    for rule in rules:
        lines.append(
            f"| [{rule.code}]({rule.code}.md) | {rule.name} | {rule.severity.value} | {rule.impact.value} "
            f"| {rule.summary.replace('|', '/')} |"
        )
    return "\n".join(lines) + "\n"
