"""Keep README.md's table of scan rules equal to the registry.

`python -m archport.devtools.readme_rules` rewrites the block between the
`<!-- rules:start -->` and `<!-- rules:end -->` markers; a test fails when it is stale.
"""

from __future__ import annotations

import sys
from pathlib import Path

from archport.registry import default_registry

START, END = "<!-- rules:start -->", "<!-- rules:end -->"


def render_table() -> str:
    rows = ["| Code | Name | Severity | What it finds |", "| ---- | ---- | -------- | ------------- |"]
    for rule in default_registry():
        if rule.produced_by == "scan":
            rows.append(f"| {rule.code} | {rule.name} | {rule.severity.value} | {rule.summary.replace('|', '/')} |")
    return "\n".join(rows)


def updated(readme: str) -> str:
    head, _, rest = readme.partition(START)
    _, _, tail = rest.partition(END)
    return f"{head}{START}\n{render_table()}\n{END}{tail}"


def main() -> int:
    path = Path(sys.argv[1] if len(sys.argv) > 1 else "README.md")
    path.write_text(updated(path.read_text(encoding="utf-8")), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
