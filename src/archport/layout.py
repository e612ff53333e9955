"""Architecture directories: `arch/x86/` beside `arch/arm/` means the build picks one per
target, so what is inside the x86 directory is not compiled for AArch64. Findings there are
kept but marked suppressed, with the reason, so nothing is hidden silently."""

from __future__ import annotations

import os
import re
from pathlib import Path

X86_DIRS = frozenset({"x86", "x86_64", "x86-64", "amd64", "i386", "i686", "ia32", "x64", "intel64"})
ARM_DIRS = frozenset({"arm", "arm64", "aarch64", "armv8", "armv8-a", "neon", "arm_neon"})


def x86_only_directories(root: Path, rel_paths: list[str]) -> dict[str, str]:
    """{"arch/x86/": "arch/arm/"}: x86 directory prefixes that have an Arm sibling."""
    base = root if root.is_dir() else root.parent
    listing: dict[str, dict[str, str]] = {}
    found: dict[str, str] = {}
    for rel in rel_paths:
        parts = rel.split("/")[:-1]
        for i, part in enumerate(parts):
            if part.lower() not in X86_DIRS:
                continue
            prefix = "/".join(parts[: i + 1]) + "/"
            if prefix in found:
                break
            parent = "/".join(parts[:i])
            if parent not in listing:
                try:
                    listing[parent] = {n.lower(): n for n in os.listdir(base / parent)}
                except OSError:
                    listing[parent] = {}
            arm = next((name for low, name in sorted(listing[parent].items()) if low in ARM_DIRS), None)
            if arm is not None:
                found[prefix] = (f"{parent}/{arm}/" if parent else f"{arm}/")
            break
    return found


# an x86 ISA or architecture word as a separate part of a file name: blur_avx2.c, SFMT-sse2.h
_X86_NAME_PART = re.compile(
    r"(?:^|(?<=[-_.]))(?:sse\d*(?:_\d)?|ssse3|avx\d*(?:_?512\w*)?|x86(?:[-_]64)?|x64|amd64|i[3-6]86|ia32"
    r"|pclmul\w*|aesni|bmi2?)(?=$|[-_.])",
    re.I,
)
_ARM_NAME_PARTS = ("neon", "arm", "arm64", "aarch64", "sve", "sve2", "armv8")


def x86_variant_of(base: Path, rel: str, listing: dict[str, set[str]] | None = None) -> str | None:
    """For `dir/SFMT-sse2.h`, the sibling it is the x86 variant of (`dir/SFMT.h`, or an Arm
    variant such as `dir/SFMT-neon.h`), when one exists; builds pick one per architecture."""
    directory, _, name = rel.rpartition("/")
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    m = _X86_NAME_PART.search(stem)
    if m is None:
        return None
    listing = {} if listing is None else listing
    if directory not in listing:
        try:
            listing[directory] = set(os.listdir(base / directory))
        except OSError:
            listing[directory] = set()
    names = listing[directory]
    suffix = f".{ext}" if ext else ""
    head, tail = stem[: m.start()], stem[m.end() :]
    generic = (head.rstrip("-_.") + tail if not tail or not head else head + tail.lstrip("-_.")) + suffix
    candidates = [generic] + [f"{head}{arm}{tail}{suffix}" for arm in _ARM_NAME_PARTS]
    for candidate in candidates:
        if candidate != name and candidate in names:
            return f"{directory}/{candidate}" if directory else candidate
    return None
