"""docs/rules/ holds one generated page per rule, equal to what the docstrings give."""

from pathlib import Path

from archport.devtools.rule_docs import expected_pages
from archport.registry import default_registry
from archport.rule_docs import RULE_DOCS_BASE_URL, rule_doc_url, rule_page

DOCS = Path(__file__).resolve().parents[2] / "docs" / "rules"
REGENERATE = "run `python -m archport.devtools.rule_docs docs/rules`"


def test_rule_pages_are_up_to_date():
    pages = expected_pages()
    on_disk = {p.name for p in DOCS.glob("*.md")}
    assert on_disk == set(pages), f"pages missing or stale: {sorted(on_disk ^ set(pages))}; {REGENERATE}"
    for name, text in pages.items():
        assert (DOCS / name).read_text(encoding="utf-8") == text, f"docs/rules/{name} is stale; {REGENERATE}"


def test_every_rule_url_names_its_page_under_the_one_base_url():
    for rule in default_registry():
        url = rule_doc_url(rule.code)
        assert url.startswith(RULE_DOCS_BASE_URL) and url.startswith("https://")
        assert (DOCS / url[len(RULE_DOCS_BASE_URL):]).is_file()


def test_page_carries_the_metadata_and_every_doc_section():
    rule = default_registry().get("CC403")
    page = rule_page(rule)
    assert page.startswith("# CC403: x86-intrinsic-header\n")
    assert "| error | build-break | high | none | c, cpp | `archport scan` |" in page
    for section in rule.doc_sections():
        assert f"\n## {section}\n" in page
