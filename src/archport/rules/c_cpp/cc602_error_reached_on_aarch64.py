from __future__ import annotations

import re

from archport.context import ARM_ENV, GENERIC_ENV, X86_ENV
from archport.knowledge import X86_GUARD_LITERALS
from archport.model import Confidence, Impact, Severity
from archport.preprocessor import State, evaluate, load_environment
from archport.rule import Rule
from archport.rules.c_cpp._guards import chain_of, directive_span, guard_text

# how common type-size and limit expressions read in the predefined-macro tables
_SUBSTITUTIONS = (
    (re.compile(r"\bsizeof\s*\(\s*long\s+double\s*\)"), "__SIZEOF_LONG_DOUBLE__"),
    (re.compile(r"\bsizeof\s*\(\s*(?:unsigned\s+)?long\s+long(?:\s+int)?\s*\)"), "__SIZEOF_LONG_LONG__"),
    (re.compile(r"\bsizeof\s*\(\s*(?:unsigned\s+)?long(?:\s+int)?\s*\)"), "__SIZEOF_LONG__"),
    (re.compile(r"\bsizeof\s*\(\s*(?:const\s+)?(?:void|char)\s*\*\s*\)"), "__SIZEOF_POINTER__"),
    (re.compile(r"\bsizeof\s*\(\s*wchar_t\s*\)"), "__SIZEOF_WCHAR_T__"),
    (re.compile(r"\bsizeof\s*\(\s*(?:unsigned\s+)?__int128\s*\)"), "__SIZEOF_INT128__"),
    (re.compile(r"\bsizeof\s*\(\s*__float128\s*\)"), "__SIZEOF_FLOAT128__"),
    (re.compile(r"\bsizeof\s*\(\s*__float80\s*\)"), "__SIZEOF_FLOAT80__"),
    (re.compile(r"\b(LDBL_MANT_DIG|LDBL_DIG|LDBL_MAX_EXP|LDBL_MIN_EXP|LDBL_MAX_10_EXP|DBL_MANT_DIG|FLT_EVAL_METHOD)\b"), r"__\1__"),
    (re.compile(r"\bstd::numeric_limits\s*<\s*char\s*>\s*::\s*is_signed\b"), "__ARCHPORT_CHAR_SIGNED__"),
    (re.compile(r"\bstd::numeric_limits\s*<\s*long\s+double\s*>\s*::\s*digits\b"), "__LDBL_MANT_DIG__"),
)
# no leading \b: it would stop `re` from skipping ahead to the literal (2.5x slower here)
_ASSERT = r"static_assert\s*\(|_Static_assert\s*\("


def _environment_limits(macros: dict) -> dict:
    unsigned = "__CHAR_UNSIGNED__" in macros
    return {
        "CHAR_MIN": "0" if unsigned else "(-128)",
        "CHAR_MAX": "255" if unsigned else "127",
        "__ARCHPORT_CHAR_SIGNED__": "0" if unsigned else "1",
        "CHAR_BIT": "8",
        "true": "1",
        "false": "0",
    }


class ErrorReachedOnAarch64(Rule):
    """`#error` or static assertion that an AArch64 build reaches and an x86-64 build does not.

    ## What it does
    Checks for `#error` directives that an AArch64 compilation reaches while an x86-64 one
    does not (the usual `#if defined(__x86_64__) … #else #error "unsupported architecture"`),
    and for `static_assert`/`_Static_assert` whose condition holds on x86-64 but fails on
    AArch64 (`LDBL_MANT_DIG == 64`, `sizeof(long double) == 10`, `CHAR_MIN < 0`). The
    condition chains are evaluated under the AArch64 and x86-64 GCC predefined macros. The
    finding is placed at the guard that sends AArch64 to the error.

    ## Why is this a problem on ARM64?
    The build stops at the error. Code after a reached `#error` is not compiled, so archport
    reports nothing else in the rest of that file: port the guard first. A failing static
    assertion marks code written for x86's 80-bit `long double` or signed `char`, which would
    compute different results on AArch64 even if the assertion were removed.

    ## Example
    ```c
    #if defined(__x86_64__) || defined(_M_X64)
    #define CACHE_LINE 64
    #else
    #error "unsupported architecture"
    #endif
    ```

    Use instead:
    ```c
    #if defined(__x86_64__) || defined(_M_X64)
    #define CACHE_LINE 64
    #elif defined(__aarch64__)
    #define CACHE_LINE 64
    #else
    #error "unsupported architecture"
    #endif
    ```

    ## Limitations
    Macros defined by the build (`-D` flags) are unknown unless passed with `--define`;
    conditions that use function-like macros or `__has_attribute` are treated as undecided
    and not reported. Static assertions are evaluated only when they use integer constants,
    predefined macros, `sizeof` of basic types and the `<float.h>`/`<limits.h>` limits.

    ## References
    - GCC predefined macros: `aarch64-linux-gnu-gcc -dM -E - </dev/null`
    - Arm C Language Extensions, predefined macros: https://arm-software.github.io/acle/main/acle.html
    """

    code = "CC602"
    name = "error-reached-on-aarch64"
    summary = "#error or static assertion that an AArch64 build reaches and x86-64 does not"
    languages = frozenset({"c", "cpp"})
    severity = Severity.ERROR
    impact = Impact.BUILD_BREAK
    confidence = Confidence.HIGH
    tags = ("preprocessor",)
    effort_minutes = 60
    prefilter = (b"static_assert", b"_Static_assert") + X86_GUARD_LITERALS
    pattern = _ASSERT
    # every arch-specific #error is reported, also those after the first one
    respect_preprocessor = False

    def check_file(self, ctx):
        cond = ctx.conditionals
        if cond is None or not any(d.kind == "error" for d in cond.directives):
            return
        for directive, states in cond.errors:
            if states.get(ARM_ENV) is not State.ACTIVE or states.get(X86_ENV) is not State.INACTIVE:
                continue
            if states.get(GENERIC_ENV) is State.INACTIVE:
                continue  # a branch written for Arm on purpose (e.g. an architecture probe)
            branches = cond.enclosing_branches(directive.start)
            chain = chain_of(cond, branches[-1]) if branches else None
            message = " ".join(ctx.text[directive.start : directive.end].split())
            if chain is not None:
                guard = cond.directives[chain.branches[0].directive]
                start, end = directive_span(ctx, guard)
                where = f"`{guard_text(cond, chain)}` sends AArch64 to `{message}` (line {ctx.source.line_of(directive.start)})"
            else:
                start, end = directive_span(ctx, directive)
                where = f"`{message}` is reached on AArch64"
            yield ctx.finding(
                self,
                start,
                end,
                f"{where}; the AArch64 build stops there",
                "add an `#elif defined(__aarch64__)` branch with the AArch64 (or a generic) implementation",
                properties={"error": message, "error_line": ctx.source.line_of(directive.start)},
            )

    def check_match(self, ctx, match):
        before = ctx.masked[match.start() - 1] if match.start() else " "
        if before.isalnum() or before == "_" or ctx.arm_state(match.start()) is State.INACTIVE:
            return
        close = ctx.matching_paren(match.end() - 1)
        if close < 0:
            return
        inner = ctx.masked[match.end() : close - 1]
        condition = _top_level_prefix(inner)
        text = condition
        for pattern, repl in _SUBSTITUTIONS:
            text = pattern.sub(repl, text)
        if "sizeof" in text or "::" in text:
            return
        cond = ctx.conditionals
        results = {}
        for env_name in (ARM_ENV, X86_ENV):
            env = cond.envs[env_name] if cond else load_environment(env_name, ctx.language == "cpp")
            base = cond.defines[env_name] if cond else env.macros
            results[env_name] = evaluate(text, {**base, **_environment_limits(base)}, env)
        if results[X86_ENV] and results[ARM_ENV] == 0:
            shown = " ".join(condition.split())
            yield ctx.finding(
                self,
                match.start(),
                close,
                f"static assertion `{shown}` holds on x86-64 but fails on AArch64",
                "the code assumes an x86 data model (80-bit long double, signed char, …); make it hold on both, "
                "or give AArch64 its own branch",
                properties={"condition": shown},
            )


def _top_level_prefix(text: str) -> str:
    depth = 0
    for i, ch in enumerate(text):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "," and depth == 0:
            return text[:i]
    return text

