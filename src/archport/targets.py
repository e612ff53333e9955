"""Deployment targets (`--target`, `target =`): the AArch64 machines a port is meant for.

A target gives the facts that change advice: the base page size distributions on it use, the
distance that keeps data of different threads apart, SVE/SVE2 and LSE availability, and the
`-mcpu`/`-march` flags to suggest. The table is data/targets.json; every fact names its source
there, and the GCC 12 flags are checked against the cross compiler by the tests.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

DEFAULT_TARGET = "armv8-a"
#: extensions GCC 12 enables with the architecture level alone (its `.arch` line omits them);
#: checked against the __ARM_FEATURE_* macros by tests/unit/test_targets.py
_IMPLIED = {
    "armv8.4-a": ("crc", "dotprod"),
    "armv8.6-a": ("crc", "dotprod"),
    "armv9-a": ("crc", "dotprod", "fp16", "sve", "sve2"),
}


@dataclass(frozen=True)
class Target:
    name: str
    title: str
    kind: str  # "cpu" or "baseline"
    core: str | None
    arch: str
    lse: bool
    dotprod: bool
    sve: bool
    sve2: bool
    sve_vector_bits: int | None
    cache_line_bytes: int | None
    false_sharing_bytes: int
    page_sizes_kib: tuple[int, ...]
    page_size_note: str
    mcpu: str | None
    mcpu_gcc: str | None
    march: str
    gcc12_flag: str
    gcc12_arch: str
    notes: tuple[str, ...] = ()
    sources: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def is_baseline(self) -> bool:
        return self.kind == "baseline"

    @property
    def flag(self) -> str:
        """The flag to suggest: `-mcpu=` for a CPU, `-march=` for an architecture baseline."""
        return f"-mcpu={self.mcpu}" if self.mcpu else f"-march={self.march}"

    @property
    def flag_text(self) -> str:
        """`flag`, with the GCC version it needs and the GCC 12 fallback when they differ."""
        if self.mcpu and self.mcpu_gcc and int(self.mcpu_gcc) > 12:
            return f"{self.flag} (GCC {self.mcpu_gcc}+; {self.gcc12_flag} with GCC 12)"
        return self.flag

    def flag_with(self, extension: str) -> str:
        """A flag that enables `extension` (e.g. "+crc") for this target: the target's own flag
        when GCC 12 turns the extension on for it, else the flag with the extension added."""
        ext = extension.lstrip("+")
        arch, *extras = self.gcc12_arch.split("+")
        if ext in extras or ext in _IMPLIED.get(arch, ()):
            return self.gcc12_flag
        return f"{self.gcc12_flag}+{ext}"

    @property
    def typical_page_kib(self) -> int:
        return self.page_sizes_kib[0]

    @property
    def large_pages_typical(self) -> bool:
        """Whether distributions on this target typically use pages larger than 4 KiB."""
        return not self.is_baseline and self.typical_page_kib > 4

    def page_phrase(self) -> str:
        """How the page size reads in a message, e.g. "on kunpeng920, where distributions
        typically use 64 KiB pages"."""
        if self.is_baseline:
            return "on AArch64 kernels with 64 KiB pages (the RHEL family)"
        if self.large_pages_typical:
            return f"on {self.name}, whose distributions typically use {self.typical_page_kib} KiB pages,"
        return f"on {self.name} under a 64 KiB-page kernel (the RHEL family; {_four_k_distros(self)} use 4 KiB)"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "kind": self.kind,
            "core": self.core,
            "arch": self.arch,
            "lse": self.lse,
            "dotprod": self.dotprod,
            "sve": self.sve,
            "sve2": self.sve2,
            "sve_vector_bits": self.sve_vector_bits,
            "cache_line_bytes": self.cache_line_bytes,
            "false_sharing_bytes": self.false_sharing_bytes,
            "page_sizes_kib": list(self.page_sizes_kib),
            "page_size_note": self.page_size_note,
            "mcpu": self.mcpu,
            "mcpu_gcc": self.mcpu_gcc,
            "march": self.march,
            "gcc12_flag": self.gcc12_flag,
            "gcc12_arch": self.gcc12_arch,
            "flag": self.flag,
            "notes": list(self.notes),
            "sources": dict(self.sources),
        }


def _four_k_distros(target: Target) -> str:
    return "Amazon Linux, Ubuntu and Debian" if target.name.startswith("graviton") else "Ubuntu and Debian"


@functools.lru_cache(maxsize=1)
def _table() -> dict[str, Any]:
    with resources.files("archport").joinpath("data/targets.json").open(encoding="utf-8") as fh:
        return json.load(fh)


@functools.lru_cache(maxsize=1)
def all_targets() -> dict[str, Target]:
    """Every target by name, in the table's order."""
    out = {}
    for name, t in _table()["targets"].items():
        out[name] = Target(
            name=name,
            title=t["title"],
            kind=t["kind"],
            core=t["core"],
            arch=t["arch"],
            lse=t["lse"],
            dotprod=t["dotprod"],
            sve=t["sve"],
            sve2=t["sve2"],
            sve_vector_bits=t["sve_vector_bits"],
            cache_line_bytes=t["cache_line_bytes"],
            false_sharing_bytes=t["false_sharing_bytes"],
            page_sizes_kib=tuple(t["page_sizes_kib"]),
            page_size_note=t["page_size_note"],
            mcpu=t["mcpu"],
            mcpu_gcc=t["mcpu_gcc"],
            march=t["march"],
            gcc12_flag=t["gcc12_flag"],
            gcc12_arch=t["gcc12_arch"],
            notes=tuple(t["notes"]),
            sources=dict(t["sources"]),
        )
    return out


def source_notes() -> dict[str, str]:
    return dict(_table()["sources"])


TARGET_NAMES: tuple[str, ...] = tuple(all_targets())


def get_target(name: str | None) -> Target:
    """The target called `name` (None: the armv8-a default). KeyError for an unknown name."""
    return all_targets()[name or DEFAULT_TARGET]


def default_note() -> str:
    return (
        f"no target chosen: advice assumes the conservative {DEFAULT_TARGET} baseline; choose the machines you "
        f"deploy to with --target or `target =` ({', '.join(TARGET_NAMES)})"
    )
