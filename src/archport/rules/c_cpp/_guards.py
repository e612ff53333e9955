"""Helpers shared by the preprocessor-guard rules (CC601, CC602)."""

from __future__ import annotations

from archport.preprocessor import Branch, Chain, Conditionals


def chain_of(conditionals: Conditionals, branch: Branch) -> Chain | None:
    for chain in conditionals.chains:
        if branch in chain.branches:
            return chain
    return None


def guard_text(conditionals: Conditionals, chain: Chain) -> str:
    """`#if defined(__x86_64__)` as written, on one line and shortened."""
    d = conditionals.directives[chain.branches[0].directive]
    text = f"#{d.kind} {' '.join(d.arg.split())}".strip()
    return text if len(text) <= 80 else text[:77] + "..."


def directive_span(ctx, directive) -> tuple[int, int]:
    """Where to point at a directive: from its `#` (indentation skipped) to its end."""
    text = ctx.text[directive.start : directive.end]
    return directive.start + len(text) - len(text.lstrip()), directive.end
