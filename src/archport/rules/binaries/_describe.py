"""Words shared by the BN rules: what a binary is, what it needs, what to do on AArch64."""

from __future__ import annotations

from collections import Counter

from archport.artifacts.binaries import ISA_LEVEL_FEATURES, BinaryInfo

#: members listed in a finding's properties (the count is always complete)
MEMBERS_LISTED = 20
MEMBERS_IN_MESSAGE = 3


def isa_note(infos: list[BinaryInfo]) -> str | None:
    """The highest x86 ISA level that the binaries declare (GNU_PROPERTY_X86_ISA_1_NEEDED)."""
    levels = sorted({i.x86_isa_needed for i in infos if i.x86_isa_needed})
    return levels[-1] if levels else None


def isa_words(level: str | None) -> str:
    if not level or level not in ISA_LEVEL_FEATURES:
        return ""
    return f"; it declares it needs {level} ({ISA_LEVEL_FEATURES[level]})"


def x86_only_libraries(infos: list[BinaryInfo]) -> list[str]:
    return sorted({lib for i in infos for lib in i.x86_only_libraries})


def library_words(libs: list[str]) -> str:
    if not libs:
        return ""
    return f"; it links {', '.join(libs[:3])}, which exist only for x86 (Intel MKL, SVML, compiler runtime or IPP)"


def machines(infos: list[BinaryInfo]) -> dict[str, int]:
    return dict(sorted(Counter(f"{i.format} {'+'.join(i.arches)}" for i in infos).items()))


def listed(paths: list[str], limit: int = MEMBERS_IN_MESSAGE) -> str:
    shown = ", ".join(f"`{p}`" for p in paths[:limit])
    return shown + (f" and {len(paths) - limit} more" if len(paths) > limit else "")
