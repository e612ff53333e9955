"""Small structural look-ups shared by some C/C++ rules: which `#if` conditions enclose an offset
(a feature test such as `#ifdef SYS_open` or `#if __has_include(<quadmath.h>)` is a guard), and
where a parenthesis closes (one linear pass per file, so files with thousands of calls or
unbalanced parentheses stay fast)."""

from __future__ import annotations

import bisect
import re

_TEST_DIRECTIVE = re.compile(r"[ \t]*#[ \t]*(?:if|ifdef|ifndef|elif|elifdef|elifndef|undef)\b")
_MAX_SPAN = 20000


def enclosing_branches(ctx, offset: int) -> list[tuple[object, int]]:
    """(chain, branch position) of every conditional branch whose body contains offset,
    innermost first."""
    conditionals = ctx.conditionals
    if conditionals is None or not conditionals.chains:
        return []
    starts, branches, where = _branch_index(ctx, conditionals)
    i = bisect.bisect_right(starts, offset) - 1
    branch = branches[i] if i >= 0 else None
    out = []
    while branch is not None:
        chain, index = where[id(branch)]
        if branch.body_start <= offset < branch.body_end:
            out.append((chain, index))
        branch = chain.parent
    return out


def enclosing_conditions(ctx, offset: int) -> list[str]:
    """The condition texts of every chain around offset: for each branch that contains it, that
    branch's directive and those of the branches before it in the same chain."""
    directives = ctx.conditionals.directives if ctx.conditionals is not None else ()
    return [
        directives[b.directive].arg
        for chain, index in enclosing_branches(ctx, offset)
        for b in chain.branches[: index + 1]
    ]


def _branch_index(ctx, conditionals):
    """All branches sorted by where their body starts, and each branch's (chain, position);
    built once per file."""
    index = ctx.cache.get("_branch_index")
    if index is None:
        where = {}
        for chain in conditionals.chains:
            for i, branch in enumerate(chain.branches):
                where[id(branch)] = (chain, i)
        branches = sorted((b for c in conditionals.chains for b in c.branches), key=lambda b: b.body_start)
        index = ctx.cache["_branch_index"] = ([b.body_start for b in branches], branches, where)
    return index


def on_test_directive(ctx, offset: int) -> bool:
    """True when offset is on an `#if`/`#ifdef`/`#elif`/`#undef` line (a feature test, not a use)."""
    return _TEST_DIRECTIVE.match(ctx.masked, ctx.source.line_start(ctx.source.line_of(offset))) is not None


def guarded(ctx, offset: int, test: re.Pattern) -> bool:
    """True when offset is on a feature-test line, or inside a conditional whose chain tests
    something `test` matches (`#ifdef SYS_open`, `#if defined(_FPU_EXTENDED)`)."""
    if on_test_directive(ctx, offset):
        return True
    return any(test.search(c) for c in enclosing_conditions(ctx, offset))


def close_paren(ctx, open_offset: int) -> int:
    """Offset just past the `)` that closes the `(` at open_offset in the masked text, or -1
    (unbalanced, or more than 20000 characters away)."""
    return ctx.matching_paren(open_offset, limit=_MAX_SPAN)
