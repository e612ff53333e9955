"""Architecture directories: `arch/x86/` beside `arch/arm/` means the build picks one per
target, so what is inside the x86 directory is not compiled for AArch64. Findings there are
kept but marked suppressed, with the reason, so nothing is hidden silently."""

from __future__ import annotations

import os
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
