"""The offline knowledge base (data/dependencies.json): for packages with native code, the
first release that ships an AArch64 Linux build, and what happens with an earlier one.

`verdict()` decides whether a declared dependency is held to releases without an AArch64
build; the online clients (online.py) produce the same `Entry` from a package index."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from importlib import resources

from packaging.version import InvalidVersion, Version

from archport.dependencies import versions
from archport.dependencies.manifests import CARGO, MAVEN, NPM, NUGET, PYPI, Dependency, normalize

#: what an install of a release without an AArch64 build does
WITHOUT_NONE = "none"  # nothing to install: pip/npm/Maven resolution or the first run fails
WITHOUT_HEAVY = "heavy-source-build"  # pip builds the sdist; needs libraries most machines lack
WITHOUT_SOURCE = "source-build"  # pip builds the sdist; a compiler is enough


@dataclass(frozen=True)
class Entry:
    ecosystem: str
    name: str
    #: first release with an AArch64 Linux build; None: no release has one
    first_aarch64: str | None
    source: str
    artifact: str = ""
    without: str = WITHOUT_NONE
    #: releases at or after first_aarch64 that lack the AArch64 build all the same
    missing: tuple[str, ...] = ()
    #: first release with an x86-64 build (older ones lack both: not an AArch64 problem)
    x86_64_from: str | None = None
    build_needs: str = ""
    replacement: str = ""
    notes: str = ""
    #: Maven classifier of the AArch64 artefact (`linux-aarch_64`) when natives come per classifier
    classifier: str = ""
    #: where the fact came from: "knowledge base", or the index URL of an online answer
    origin: str = "knowledge base"
    extra: dict = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class Verdict:
    entry: Entry
    #: the version that gets installed, when the file fixes one
    version: str | None
    #: the release to move to (None: no release has an AArch64 build)
    target: str | None
    #: "pinned" (exact version), "constrained" (the range excludes every AArch64 release),
    #: "missing" (a later release that lacks the build), "never"
    reason: str


@functools.lru_cache(maxsize=1)
def _table() -> dict[tuple[str, str], Entry]:
    raw = json.loads(resources.files("archport").joinpath("data/dependencies.json").read_text(encoding="utf-8"))
    table = {}
    for e in raw["packages"]:
        entry = Entry(
            ecosystem=e["ecosystem"], name=e["name"], first_aarch64=e.get("first_aarch64"), source=e["source"],
            artifact=e.get("artifact", ""), without=e.get("without", WITHOUT_NONE), missing=tuple(e.get("missing", ())),
            x86_64_from=e.get("x86_64_from"), build_needs=e.get("build_needs", ""), replacement=e.get("replacement", ""),
            notes=e.get("notes", ""), classifier=e.get("classifier", ""),
        )
        table[(entry.ecosystem, normalize(entry.ecosystem, entry.name))] = entry
    return table


def entries() -> list[Entry]:
    return list(_table().values())


def lookup(ecosystem: str, name: str) -> Entry | None:
    return _table().get((ecosystem, normalize(ecosystem, name)))


def _key(ecosystem: str, text: str):
    if ecosystem == PYPI:
        try:
            return Version(text)
        except InvalidVersion:
            pass
    return versions.LooseVersion(text)


def older(ecosystem: str, a: str, b: str) -> bool:
    ka, kb = _key(ecosystem, a), _key(ecosystem, b)
    if type(ka) is not type(kb):
        ka, kb = versions.LooseVersion(a), versions.LooseVersion(b)
    return ka < kb


def same(ecosystem: str, a: str, b: str) -> bool:
    return not older(ecosystem, a, b) and not older(ecosystem, b, a)


def allows_at_least(dep: Dependency, first: str) -> bool | None:
    """Whether the dependency's constraint admits `first` or a later release (None: unknown)."""
    if dep.ecosystem == PYPI:
        return versions.pypi_allows_at_least(dep.spec, first)
    if dep.ecosystem == NPM:
        return versions.range_allows_at_least(dep.spec, first)
    if dep.ecosystem == CARGO:
        return versions.range_allows_at_least(dep.spec, first, cargo=True)
    if dep.ecosystem == MAVEN:
        return versions.maven_allows_at_least(dep.spec, first)
    return None


def verdict(entry: Entry, dep: Dependency) -> Verdict | None:
    """A Verdict when `dep` is held to releases without an AArch64 build, else None."""
    eco = dep.ecosystem
    exact = dep.exact
    if dep.ecosystem == NUGET and exact is None:
        return None
    if entry.first_aarch64 is None:
        if exact is not None and entry.x86_64_from and older(eco, exact, entry.x86_64_from):
            return None
        return Verdict(entry, exact, None, "never")
    first = entry.first_aarch64
    if exact is not None:
        if entry.x86_64_from and older(eco, exact, entry.x86_64_from):
            return None  # no x86-64 build either: not an AArch64 difference
        if older(eco, exact, first):
            return Verdict(entry, exact, first, "pinned")
        if any(same(eco, exact, m) for m in entry.missing):
            later = _next_with_build(entry, exact)
            return Verdict(entry, exact, later, "missing")
        return None
    if dep.locked:
        return None
    allowed = allows_at_least(dep, first)
    if allowed is False:
        return Verdict(entry, None, first, "constrained")
    return None


def _next_with_build(entry: Entry, version: str) -> str | None:
    """The first release after `version` that is not in `missing` (as far as the entry knows:
    the release right after the last missing one that follows `version`)."""
    eco = entry.ecosystem
    later = sorted((m for m in entry.missing if older(eco, version, m)), key=lambda m: _key(eco, m))
    return f"a release after {later[-1]}" if later else f"a release after {version}"
