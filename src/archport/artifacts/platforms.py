"""Architecture words in file and directory names, and the AArch64 counterpart of an x86
artifact: `linux-x86_64/libfoo.so` beside `linux-aarch64/libfoo.so`, `foo_1.0_amd64.deb`
beside `foo_1.0_arm64.deb`, a `manylinux…_x86_64` wheel beside an `…_aarch64` (or pure) wheel
of the same package."""

from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Iterable
from pathlib import Path

#: an x86 architecture word, delimited by anything but a letter or digit
X86_WORD = re.compile(r"(?i)(?<![a-z0-9])(?:x86[_-]?64|amd64|x64|x86|i[3-6]86|ia32|intel64)(?![a-z0-9])")
#: an AArch64 architecture word (and macOS `universal2`, which includes arm64)
ARM_WORD = re.compile(
    r"(?i)(?<![a-z0-9])(?:aarch[_-]?64(?:[_-]?be)?|arm[_-]?64(?:[_-]?v8a?|e)?|armv8(?:\.\d)?(?:-?a)?|universal2?)(?![a-z0-9])"
)
_SEPARATORS = re.compile(r"[-_.]+")



def normalized(name: str) -> str:
    """`name` with every architecture word replaced by `{arch}` and separators unified, so
    that the x86 and the AArch64 spelling of one artifact compare equal."""
    text = ARM_WORD.sub("{arch}", X86_WORD.sub("{arch}", name.lower()))
    return _SEPARATORS.sub("-", text)


def arm_spelling(name: str) -> str:
    """`name` with its x86 words in their usual AArch64 spelling (x86_64 → aarch64,
    amd64/x64 → arm64), for help texts: a convention, not a promise that such a build exists."""

    def arm(m: re.Match) -> str:
        word = m.group().lower()
        return "aarch64" if word.startswith("x86") and word.endswith("64") else "arm64"

    return X86_WORD.sub(arm, name)


# -- operating systems -----------------------------------------------------------------------------

#: words of a path that name an operating system other than Linux (`win32-x86-64/`, `Mac/`, `FreeBSD/`)
_OS_WORDS = {
    "windows": "windows", "win": "windows", "win32": "windows", "win64": "windows", "mingw": "windows", "msvc": "windows",
    "darwin": "macos", "mac": "macos", "macos": "macos", "macosx": "macos", "osx": "macos", "ios": "ios",
    "freebsd": "freebsd", "openbsd": "openbsd", "netbsd": "netbsd", "sunos": "solaris", "solaris": "solaris",
    "aix": "aix", "android": "android",
}
_WORDS = re.compile(r"[a-z0-9]+")


def path_system(path: str) -> str | None:
    """The non-Linux operating system a path names (its last such word), if any."""
    found = None
    for word in _WORDS.findall(path.lower()):
        found = _OS_WORDS.get(word, found)
    return found


def system_of(path: str, os_name: str) -> str:
    """The operating system of a binary at `path` whose header says `os_name`: the header
    wins for PE, Mach-O and BSD/Solaris ELF, the path for ELF files that say nothing."""
    if os_name != "linux":
        return os_name
    return path_system(path) or "linux"


# -- wheels --------------------------------------------------------------------------------------

_WHEEL = re.compile(r"(?P<dist>[^-]+)-(?P<ver>[^-]+)(?:-(?P<build>\d[^-]*))?-(?P<py>[^-]+)-(?P<abi>[^-]+)-(?P<plat>[^-]+)\.whl", re.I)


def wheel_tags(name: str) -> tuple[str, frozenset[str], str, tuple[str, ...]] | None:
    """(normalised distribution name, python tags, abi tag, platform tags) of a wheel file name."""
    m = _WHEEL.fullmatch(name)
    if m is None:
        return None
    dist = re.sub(r"[-_.]+", "_", m["dist"]).lower()
    return dist, frozenset(m["py"].lower().split(".")), m["abi"].lower(), tuple(m["plat"].lower().split("."))


def _wheel_counterpart(name: str, siblings: Iterable[str]) -> str | None:
    """A wheel of the same package for AArch64 (or a pure one, which pip takes on any machine)
    that serves the same Python: same interpreter tag, or a stable-ABI (abi3) wheel."""
    tags = wheel_tags(name)
    if tags is None:
        return None
    dist, py, _, _ = tags
    for other in sorted(siblings):
        if other == name:
            continue
        o = wheel_tags(other)
        if o is None or o[0] != dist:
            continue
        o_dist, o_py, o_abi, o_plat = o
        pure = o_plat == ("any",)
        arm = any(ARM_WORD.search(p) for p in o_plat)
        if not (pure or arm):
            continue
        if py & o_py or o_abi == "abi3" or pure and any(p.startswith("py") for p in o_py):
            return other
    return None


# -- counterparts ----------------------------------------------------------------------------------


def counterpart_name(name: str, siblings: Iterable[str]) -> str | None:
    """The AArch64 counterpart of the file or directory `name` among the names beside it."""
    if name.lower().endswith(".whl"):
        return _wheel_counterpart(name, siblings)
    if not X86_WORD.search(name):
        return None
    key = normalized(name)
    for other in sorted(siblings):
        if other != name and ARM_WORD.search(other) and normalized(other) == key:
            return other
    return None


def counterpart_in_tree(base: Path, rel: str, listings: dict[str, list[str]] | None = None) -> str | None:
    """For a file at `base/rel`: the path of its AArch64 counterpart when one component of the
    path (a directory or the file) has an arm sibling: named the same with an AArch64 word
    (`lib/x86_64/` beside `lib/aarch64/`), or, for a directory, any AArch64-named sibling for
    the same operating system that holds the same file (`Linux/x86_64-musl/libfoo.so` beside
    `Linux/aarch64/libfoo.so`)."""
    listings = {} if listings is None else listings
    parts = rel.split("/")
    for i, part in enumerate(parts):
        is_file = i == len(parts) - 1
        if not X86_WORD.search(part) and not (is_file and part.lower().endswith(".whl")):
            continue
        parent = "/".join(parts[:i])
        if parent not in listings:
            try:
                listings[parent] = os.listdir(base / parent) if parent else os.listdir(base)
            except OSError:
                listings[parent] = []
        other = counterpart_name(part, listings[parent])
        if other is not None:
            return "/".join(parts[:i] + [other])
        if is_file:
            continue
        rest = "/".join(parts[i + 1 :])
        system = path_system(part)
        for sibling in sorted(listings[parent]):
            if ARM_WORD.search(sibling) and path_system(sibling) == system and (base / parent / sibling / rest).is_file():
                return "/".join(parts[:i] + [sibling, rest])
    return None


class MemberIndex:
    """The names inside one archive, to find the AArch64 counterpart of a member."""

    def __init__(self, names: Iterable[str], arm_binaries: Iterable[tuple[str, str]] = ()):
        """`arm_binaries`: (member path, operating system) of the AArch64 binaries."""
        self.names = set(names)
        self.by_dir: dict[str, list[str]] = {}
        for n in self.names:
            d, _, b = n.rpartition("/")
            self.by_dir.setdefault(d, []).append(b)
        arm = list(arm_binaries)
        self.arm_paths = {normalized(p) for p, _ in arm}
        self.arm_dirs = {normalized(posixpath.dirname(p)) for p, _ in arm}
        self.arm_files = {(system, normalized(posixpath.basename(p))) for p, system in arm}
        self.arm_named = {normalized(n) for n in self.names if ARM_WORD.search(n)}

    def binary_counterpart(self, path: str, system: str) -> bool:
        """An AArch64 binary at the same place under AArch64 words (`linux-aarch64/libfoo.so`
        for `linux-x86-64/libfoo.so`, `…_aarch_64.so` for `…_x86_64.so`), in the AArch64
        spelling of the member's architecture-named directory, or of the same file name for the
        same operating system (`Linux/aarch64/libfoo.so` for `Linux/x86_64-musl/libfoo.so`)."""
        if normalized(path) in self.arm_paths:
            return True
        if (system, normalized(posixpath.basename(path))) in self.arm_files:
            return True
        directory = posixpath.dirname(path)
        return bool(X86_WORD.search(directory)) and normalized(directory) in self.arm_dirs

    def archive_counterpart(self, path: str) -> bool:
        """A nested archive's AArch64 sibling (by name, or a wheel for aarch64)."""
        d, _, b = path.rpartition("/")
        if b.lower().endswith(".whl"):
            return _wheel_counterpart(b, self.by_dir.get(d, ())) is not None
        if not X86_WORD.search(path):
            return False
        return normalized(path) in self.arm_named
