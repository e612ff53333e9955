from __future__ import annotations

import bisect
import re

from archport.context import ARM_ENV, X86_ENV
from archport.knowledge import X86_GUARD_LITERALS
from archport.model import Confidence, Impact, Severity
from archport.preprocessor import State
from archport.rule import Rule
from archport.rules.c_cpp._guards import directive_span, guard_text

_DEFINE_NAME = re.compile(r"\s*([A-Za-z_]\w*)")
# a function definition's head: name ( params ) [attributes] {
_FUNCTION = re.compile(r"\b([A-Za-z_]\w*)\s*\([^;{}()]*(?:\([^;{}()]*\)[^;{}()]*)*\)\s*(?:const\s*)?(?:__attribute__\s*\(\([^;{}]*\)\)\s*)*\{")
_TYPEDEF = re.compile(r"\btypedef\b[^;{}]*(?:\{[^{}]*\}[^;{}]*)?\b([A-Za-z_]\w*)\s*;")
_NOT_NAMES = frozenset({"if", "for", "while", "switch", "return", "sizeof", "defined", "__attribute__", "catch"})


class X86OnlyGuardWithoutFallback(Rule):
    """x86-only preprocessor branch with no AArch64 alternative for what it defines.

    ## What it does
    Checks for `#if`/`#ifdef` chains that only an x86 build enters (`defined(__x86_64__)`,
    `__SSE2__`, `_M_X64`, `X86_AVX2`-style project macros …), that give AArch64 no branch at
    all (no `#elif`, no `#else`), and that define a function, macro or type which code compiled
    on AArch64 then uses in the same file. The finding is at the guard, and names the symbol
    and the line that uses it.

    ## Why is this a problem on ARM64?
    On AArch64 the branch is skipped, the symbol is never declared, and the first use fails to
    compile ("implicit declaration of function", "undeclared identifier"). Branches that have
    an AArch64 or generic alternative, and x86-only helpers used only by other x86-only code,
    are fine and are not reported.

    ## Example
    ```c
    #include <stdint.h>
    #if defined(__x86_64__)
    static inline uint64_t ticks(void) { return __builtin_ia32_rdtsc(); }
    #endif
    uint64_t elapsed(uint64_t t0) { return ticks() - t0; }
    ```

    Use instead:
    ```c
    #include <stdint.h>
    #include <time.h>
    #if defined(__x86_64__)
    static inline uint64_t ticks(void) { return __builtin_ia32_rdtsc(); }
    #else
    static inline uint64_t ticks(void) {
        struct timespec ts; clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    }
    #endif
    uint64_t elapsed(uint64_t t0) { return ticks() - t0; }
    ```

    ## Limitations
    Uses are looked for in the same file only: a header that defines a helper for x86 only
    and a source file that calls it are not connected. Function definitions are recognised
    by their shape (`name(...) {`), so definitions produced by macros are missed.

    ## References
    - Arm C Language Extensions, predefined macros: https://arm-software.github.io/acle/main/acle.html
    """

    code = "CC601"
    name = "x86-only-guard-without-fallback"
    summary = "x86-only preprocessor branch with no AArch64 alternative for what it defines"
    languages = frozenset({"c", "cpp"})
    severity = Severity.ERROR
    impact = Impact.BUILD_BREAK
    confidence = Confidence.MEDIUM
    tags = ("preprocessor",)
    effort_minutes = 60
    prefilter = X86_GUARD_LITERALS

    def check_file(self, ctx):
        cond = ctx.conditionals
        if cond is None:
            return
        # only a chain without #else can leave AArch64 with no branch at all
        candidates = [c for c in cond.chains if cond.directives[c.branches[-1].directive].kind != "else"]
        if not candidates:
            return
        cond.ensure(ARM_ENV, X86_ENV)
        directive_spans = [(d.start, d.end) for d in cond.directives]
        starts = [s for s, _ in directive_spans]
        for chain in candidates:
            first = chain.branches[0]
            if ctx.arm_state(cond.directives[first.directive].start) is State.INACTIVE:
                continue  # the whole chain is skipped on AArch64 anyway
            if any(b.states.get(ARM_ENV) is not State.INACTIVE for b in chain.branches):
                continue  # AArch64 takes some branch (its own, or a generic #else)
            x86_only = [b for b in chain.branches if b.states.get(X86_ENV) is State.ACTIVE]
            if not x86_only:
                continue
            chain_start = cond.directives[first.directive].start
            chain_end = cond.directives[chain.endif].end if chain.endif >= 0 else x86_only[-1].body_end
            for branch in x86_only:
                for name in self._defined_names(ctx, cond, branch):
                    use = self._first_use(ctx, name, chain_start, chain_end, directive_spans, starts)
                    if use is None:
                        continue
                    guard = cond.directives[first.directive]
                    start, end = directive_span(ctx, guard)
                    use_line = ctx.source.line_of(use)
                    yield ctx.finding(
                        self,
                        start,
                        end,
                        f"`{guard_text(cond, chain)}` defines `{name}` only for x86, but line {use_line} uses it "
                        "in code that AArch64 compiles: undeclared there",
                        f"add an `#elif defined(__aarch64__)` or `#else` branch that defines `{name}` for AArch64",
                        properties={"symbol": name, "use_line": use_line},
                    )
                    break  # one finding per guard
                else:
                    continue
                break

    @staticmethod
    def _defined_names(ctx, cond, branch) -> list[str]:
        names = []
        for d in cond.directives:
            if branch.body_start <= d.start < branch.body_end and d.kind == "define":
                m = _DEFINE_NAME.match(d.arg)
                if m:
                    names.append(m.group(1))
        body = ctx.masked[branch.body_start : branch.body_end]
        names += [m.group(1) for m in _FUNCTION.finditer(body) if m.group(1) not in _NOT_NAMES]
        names += [m.group(1) for m in _TYPEDEF.finditer(body)]
        return list(dict.fromkeys(names))

    @staticmethod
    def _first_use(ctx, name, chain_start, chain_end, spans, starts) -> int | None:
        for m in re.finditer(rf"\b{re.escape(name)}\b", ctx.masked):
            pos = m.start()
            if chain_start <= pos < chain_end:
                continue
            i = bisect.bisect_right(starts, pos) - 1
            if i >= 0 and spans[i][0] <= pos < spans[i][1]:
                continue  # inside a directive (#ifdef NAME, #define OTHER NAME)
            if ctx.arm_state(pos) is State.INACTIVE:
                continue
            return pos
        return None
