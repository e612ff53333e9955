"""What a list of distribution file names says about a release: AArch64 or x86-64 Linux
wheels, pure-Python wheels, a source distribution (names read with `packaging.utils`)."""

from __future__ import annotations

from dataclasses import dataclass

from packaging.utils import InvalidWheelFilename, parse_wheel_filename


@dataclass(frozen=True)
class FileFacts:
    has_aarch64: bool  # a Linux aarch64 wheel, or a pure-Python (`any`) wheel
    has_x86_64: bool  # a Linux x86-64 wheel
    has_sdist: bool
    x86_64: tuple[str, ...] = ()


def platforms(filename: str) -> set[str] | None:
    """The platform tags of a wheel file name (None for other files)."""
    name = filename.split("#", 1)[0].split("?", 1)[0]
    if not name.endswith(".whl"):
        return None
    try:
        tags = parse_wheel_filename(name.replace("%2B", "+").replace("%2b", "+"))[3]
    except InvalidWheelFilename:
        return None
    return {t.platform for t in tags}


def is_linux_aarch64(platform: str) -> bool:
    return "aarch64" in platform and "linux" in platform


def is_linux_x86_64(platform: str) -> bool:
    return "x86_64" in platform and "linux" in platform


def file_facts(files) -> FileFacts:
    arm = x86 = sdist = False
    x86_files = []
    for f in files:
        plats = platforms(f)
        if plats is None:
            if f.endswith((".tar.gz", ".zip", ".tar.bz2", ".tgz")):
                sdist = True
            continue
        if any(p == "any" or is_linux_aarch64(p) for p in plats):
            arm = True
        if any(is_linux_x86_64(p) for p in plats):
            x86 = True
            x86_files.append(f)
    return FileFacts(arm, x86, sdist, tuple(x86_files))


def lock_file_facts(dep) -> FileFacts | None:
    return file_facts(dep.files) if dep.files else None
