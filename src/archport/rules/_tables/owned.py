"""Intrinsic and builtin names that a dedicated rule reports, so the general intrinsic rule
(CC401) stays silent on them and each call site is reported exactly once."""

from __future__ import annotations

import re

#: exact names -> the rule that reports them
OWNED_NAMES: dict[str, str] = {
    "_mm_pause": "CC408",
    "__rdtsc": "CC407",
    "__rdtscp": "CC407",
    "_rdtsc": "CC407",
    "_rdtscp": "CC407",
    "__cpuid": "CC406",
    "__cpuidex": "CC406",
    "__cpuid_count": "CC406",
    "__get_cpuid": "CC406",
    "__get_cpuid_count": "CC406",
    "__get_cpuid_max": "CC406",
    "_xgetbv": "CC406",
    "_mm_getcsr": "CC201",
    "_mm_setcsr": "CC201",
}

#: name patterns -> the rule that reports them
OWNED_PATTERNS: tuple[tuple[re.Pattern, str], ...] = (
    (re.compile(r"^__builtin_ia32_\w+$"), "CC405"),
    (re.compile(r"^_MM_(?:SET|GET)_(?:FLUSH_ZERO|DENORMALS_ZERO|ROUNDING|EXCEPTION)_\w+$"), "CC201"),
)


def owner(name: str) -> str | None:
    """The code of the dedicated rule that reports `name`, or None."""
    code = OWNED_NAMES.get(name)
    if code:
        return code
    for pattern, code in OWNED_PATTERNS:
        if pattern.match(name):
            return code
    return None
