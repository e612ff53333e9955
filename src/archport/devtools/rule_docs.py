"""Write one Markdown page per rule into docs/rules/ (and an index), from the docstrings.

`python -m archport.devtools.rule_docs docs/rules` rewrites the folder: pages of rules that
no longer exist are removed. tests/unit/test_rule_docs.py fails when the folder is stale.
"""

from __future__ import annotations

import sys
from pathlib import Path

from archport.registry import default_registry
from archport.rule_docs import index_page, rule_page


def expected_pages() -> dict[str, str]:
    """File name -> content of every page the folder must hold."""
    rules = list(default_registry())
    pages = {f"{r.code}.md": rule_page(r) for r in rules}
    pages["README.md"] = index_page(rules)
    return pages


def main() -> int:
    args = sys.argv[1:]
    if len(args) > 1 or (args and args[0].startswith("-")):
        sys.stderr.write("usage: python -m archport.devtools.rule_docs [FOLDER]  (default docs/rules)\n")
        return 2
    folder = Path(args[0] if args else "docs/rules")
    folder.mkdir(parents=True, exist_ok=True)
    pages = expected_pages()
    for stale in folder.glob("*.md"):
        if stale.name not in pages:
            stale.unlink()
    for name, text in pages.items():
        path = folder / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
