from pathlib import Path

from archport.devtools.readme_rules import updated

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_rule_table_is_up_to_date():
    text = README.read_text(encoding="utf-8")
    assert updated(text) == text, "run `python -m archport.devtools.readme_rules README.md`"
