from __future__ import annotations

import re

from archport.model import Confidence, Impact, Severity
from archport.rule import Rule
from archport.rules.c_cpp._x86_runtime import (
    file_cache,
    file_defines,
    function_bodies,
    function_span,
    includes_translation_header,
    reference_kind,
)

_RATE = "CNTVCT_EL0 ticks at CNTFRQ_EL0 (typically tens of MHz before Armv8.6, 1 GHz from Armv8.6), not at the core clock"
_HELP = (
    "use clock_gettime(CLOCK_MONOTONIC) and work in nanoseconds; if a raw counter is needed, read cntvct_el0 "
    "(after an `isb`) and convert with the rate in cntfrq_el0 (`mrs` in inline asm under `#if defined(__aarch64__)`); "
    "never hard-code a tick rate"
)
_RDTSCP_HELP = "; for the processor id that __rdtscp stores, call sched_getcpu()"

# numeric literals, with C++14 digit separators and suffixes
_NUMBER = re.compile(
    r"(?<![\w.])(0[xX][0-9a-fA-F']+|(?:\d[\d']*(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)(?:[uU]?[lL]{0,2}[uU]?|[fF])(?![\w.])"
)
_OPERATOR_BEFORE = re.compile(r"(?:[*/<>=!+-]|<=|>=)[\s(]*$")
_OPERATOR_AFTER = re.compile(r"[\s)]*(?:[*/<>=!+-])")
_TIME_CONVERSION = re.compile(r"\b(?:tv_sec|tv_nsec|tv_usec|CLOCKS_PER_SEC|NSEC_PER_SEC|USEC_PER_SEC|ns|nsec|usec)\b")
_OBJECT_MACRO = re.compile(r"^[ \t]*#[ \t]*define[ \t]+([A-Za-z_]\w*)[ \t]+\(?[ \t]*(0[xX][0-9a-fA-F']+|[\d.][\d.'eE+-]*)[uUlL]*[ \t]*\)?[ \t]*$", re.M)
_CYCLE_MIN = 1_000_000


def _value(literal: str) -> float | None:
    lit = literal.replace("'", "")
    try:
        if lit[:2] in ("0x", "0X"):
            return float(int(lit, 16))
        return float(lit)
    except ValueError:
        return None


def _cycle_constant(ctx, offset: int) -> str | None:
    """A literal >= 1e6 (or a macro defined as one) that the function around offset multiplies,
    divides, compares or subtracts with: a budget or rate expressed in x86 TSC cycles."""
    span = function_span(ctx, offset)
    if span is None:
        return None
    cache = file_cache(ctx)
    key = ("cycle-constant", span)
    if key not in cache:
        cache[key] = _scan_constant(ctx, span)
    return cache[key]


def _scan_constant(ctx, span: tuple[int, int]) -> str | None:
    start, end = span
    body = ctx.masked[start:end]
    for m in _NUMBER.finditer(body):
        value = _value(m.group(1))
        if value is None or value < _CYCLE_MIN:
            continue
        if not (
            _OPERATOR_BEFORE.search(body, max(0, m.start() - 12), m.start())
            or _OPERATOR_AFTER.match(body, m.end(), m.end() + 12)
        ):
            continue
        line_start = body.rfind("\n", max(0, m.start() - 400), m.start()) + 1
        line_end = body.find("\n", m.end(), m.end() + 400)
        if _TIME_CONVERSION.search(body, max(line_start, m.start() - 200), line_end if line_end != -1 else m.end() + 200):
            continue  # a seconds <-> nanoseconds conversion, not a cycle budget
        return ctx.text[start + m.start() : start + m.end()]
    macros = _cycle_macros(ctx)
    if macros:
        m = re.compile(r"\b(%s)\b" % "|".join(map(re.escape, macros))).search(body)
        if m:
            return f"{m.group(1)} ({macros[m.group(1)]})"
    return None


def _cycle_macros(ctx) -> dict[str, str]:
    cache = file_cache(ctx)
    if "cycle-macros" not in cache:
        macros = {}
        for d in _OBJECT_MACRO.finditer(ctx.text):
            value = _value(d.group(2))
            if value is not None and value >= _CYCLE_MIN:
                macros[d.group(1)] = d.group(2)
        cache["cycle-macros"] = macros
    return cache["cycle-macros"]


def _cntvct_provider(ctx, name: str) -> bool:
    return any("cntvct" in ctx.text[s:e] for s, e in function_bodies(ctx, name))


class X86TimestampCounter(Rule):
    """Read of the x86 time-stamp counter (`__rdtsc`, `__rdtscp`, `_rdtsc`).

    ## What it does
    Checks for calls of the x86 time-stamp-counter intrinsics `__rdtsc()`, `__rdtscp(&aux)`
    and `_rdtsc()` in code an AArch64 build compiles. When the same function multiplies,
    divides, compares or subtracts with a literal of a million or more (or a macro defined as
    one), the finding also names that constant as a probable cycle budget. `asm("rdtsc")` is
    reported by the inline-assembly rule and `__builtin_ia32_rdtsc` by CC405.

    ## Why is this a problem on ARM64?
    The intrinsics do not exist for AArch64, so the build fails (g++: "'__rdtsc' was not
    declared in this scope"; gcc in C: an implicit declaration, then an undefined reference at
    link time).

    Replacing the call is not enough when the code treats the result as core cycles at a GHz
    rate. The counter user space can read on AArch64, CNTVCT_EL0, runs at the frequency in
    CNTFRQ_EL0: typically tens of MHz on cores before Armv8.6 and 1 GHz from Armv8.6, and
    never the core clock (qemu-aarch64 7.2 reports 62.5 MHz). Timeouts, spin calibrations and
    rate limiters written as "3 000 000 000 cycles = 1 s" are then off by the ratio. When the
    project or a translation header (sse2neon's `_rdtsc`) already supplies the name for
    AArch64, the call is reported only if such a cycle constant is found, as a warning.

    ## Example
    ```c
    #include <x86intrin.h>
    int timed_out(unsigned long long t0) {
        return __rdtsc() - t0 > 3000000000ULL;
    }
    ```

    Use instead:
    ```c
    #include <stdint.h>
    #include <time.h>
    static uint64_t now_ns(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    }
    int timed_out(uint64_t t0_ns) { return now_ns() - t0_ns > 1000000000u; }
    ```

    ## Limitations
    The cycle-constant check looks only inside the function that calls the intrinsic: a
    wrapper such as `cycles()` whose result is compared in its callers gets the build-break
    message without the constant. `asm("rdtsc")` and `__builtin_ia32_rdtsc` belong to other
    rules.

    ## References
    - Arm Architecture Reference Manual, the Generic Timer (CNTVCT_EL0, CNTFRQ_EL0): https://developer.arm.com/documentation/ddi0487/latest
    - clock_gettime(2): https://man7.org/linux/man-pages/man2/clock_gettime.2.html
    - Kunpeng porting case, rdtsc: https://www.hikunpeng.com/document/detail/en/kunpengprocs/pinsrcase/kunpengprocessor_18_0014.html
    """

    code = "CC407"
    name = "x86-timestamp-counter"
    summary = "Read of the x86 time-stamp counter with `__rdtsc`, `__rdtscp` or `_rdtsc`"
    languages = frozenset({"c", "cpp"})
    severity = Severity.ERROR
    impact = Impact.BUILD_BREAK
    confidence = Confidence.HIGH
    tags = ("timing", "isa")
    effort_minutes = 30
    prefilter = (b"rdtsc",)
    pattern = r"\b(?:__rdtscp|__rdtsc|_rdtscp|_rdtsc)\b"

    def check_match(self, ctx, match):
        name = match.group(0)
        if reference_kind(ctx, match.start()) != "use":
            return
        function = ctx.function_name(match.start())
        where = f" in `{function}()`" if function else ""
        constant = _cycle_constant(ctx, match.start())
        budget = (
            f"; `{function or 'this function'}` uses the result with `{constant}`, a budget in x86 cycles "
            "that is wrong by the ratio of the rates"
            if constant
            else ""
        )
        help_ = _HELP + (_RDTSCP_HELP if name.endswith("rdtscp") else "")
        props = {"intrinsic": name, "replacement": "clock_gettime(CLOCK_MONOTONIC)", "cycle_constant": constant}

        provided_by_project = file_defines(ctx, name) >= 0
        provided_by_header = name == "_rdtsc" and includes_translation_header(ctx)
        if provided_by_project or provided_by_header:
            if not constant:
                return
            source = "this file defines it" if provided_by_project else "a translation header supplies it"
            counter = (
                "reads CNTVCT_EL0, which ticks at CNTFRQ_EL0 (typically tens of MHz before Armv8.6, 1 GHz from Armv8.6)"
                if provided_by_project and _cntvct_provider(ctx, name)
                else "does not count x86 TSC cycles"
            )
            yield ctx.finding(
                self,
                match.start(),
                match.end(),
                f"`{name}()`{where} builds on AArch64 ({source}), but the AArch64 version {counter}; "
                f"`{function or 'this function'}` uses the result with `{constant}`, a budget in x86 cycles",
                "express the budget in time: compare clock_gettime(CLOCK_MONOTONIC) nanoseconds, or scale "
                "counter ticks by cntfrq_el0",
                properties={**props, "provided_by": "project" if provided_by_project else "translation-header"},
                severity=Severity.WARNING,
                confidence=Confidence.MEDIUM,
            )
            return
        yield ctx.finding(
            self,
            match.start(),
            match.end(),
            f"`{name}()`{where} reads the x86 time-stamp counter, which AArch64 lacks: the build fails, and results "
            f"read as GHz-rate core cycles are wrong there too, as {_RATE}{budget}",
            help_,
            properties=props,
        )
