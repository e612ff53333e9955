"""Which files are binaries or archives, from their name and (for names without an
extension) their first bytes. Imported by languages.py and discovery, so it stays light:
no parsing library is loaded here."""

from __future__ import annotations

import re

#: a file of machine code: ELF, PE/COFF or Mach-O (or an `ar` library of object files)
BINARY = "binary"
#: a container of other files: zip (wheel, JAR, nupkg…), tar (plain or compressed), deb, rpm
ARCHIVE = "archive"
KINDS = frozenset({BINARY, ARCHIVE})

_BINARY_EXTENSIONS = frozenset(
    {".so", ".a", ".o", ".dll", ".exe", ".dylib", ".node", ".pyd", ".ko", ".elf", ".jnilib", ".bundle"}
)
_VERSIONED_SO = re.compile(r"\.so(?:\.\d+)+$")
#: archive name endings (lower case) and the container format behind them
_ARCHIVE_SUFFIXES: tuple[tuple[str, str], ...] = (
    (".tar.gz", "tar"), (".tar.xz", "tar"), (".tar.bz2", "tar"), (".tar.zst", "tar"), (".tar.lzma", "tar"),
    (".tgz", "tar"), (".txz", "tar"), (".tbz2", "tar"), (".tbz", "tar"), (".tzst", "tar"), (".tar", "tar"),
    (".gem", "tar"),
    (".whl", "zip"), (".jar", "zip"), (".war", "zip"), (".ear", "zip"), (".aar", "zip"), (".apk", "zip"),
    (".nupkg", "zip"), (".zip", "zip"), (".egg", "zip"),
    (".deb", "ar"), (".udeb", "ar"), (".ipk", "ar"),
    (".rpm", "rpm"),
)
_MACHO_MAGICS = (b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe")


def archive_format(name: str) -> str | None:
    """"zip", "tar", "ar" or "rpm" for an archive name (`foo.tar.gz`, `bar.whl`), else None."""
    low = name.lower()
    for suffix, fmt in _ARCHIVE_SUFFIXES:
        if low.endswith(suffix) and len(low) > len(suffix):
            return fmt
    return None


def binary_name(name: str) -> bool:
    """A name that binaries have: `libfoo.so`, `libfoo.so.1.2`, `foo.dll`, `bar.a`…"""
    dot = name.rfind(".")
    if dot <= 0:
        return False
    return name[dot:].lower() in _BINARY_EXTENSIONS or _VERSIONED_SO.search(name) is not None


def is_machine_code(head: bytes) -> bool:
    """First bytes of an ELF or Mach-O file (thin or universal)."""
    if head.startswith(b"\x7fELF") or head[:4] in _MACHO_MAGICS:
        return True
    # universal Mach-O shares 0xCAFEBABE with Java class files; a class file's next word is its
    # version (45 and up), a universal binary's is its number of slices (a handful)
    return head[:4] in (b"\xca\xfe\xba\xbe", b"\xca\xfe\xba\xbf") and 0 < int.from_bytes(head[4:8], "big") < 40


def artifact_kind(name: str, head: bytes | None = None) -> str | None:
    """BINARY or ARCHIVE for a file name (and, when given, its first bytes), else None. Files
    with an extension are known by it alone; an extensionless file is a binary when its first
    bytes are ELF or Mach-O."""
    if archive_format(name):
        return ARCHIVE
    if binary_name(name):
        return BINARY
    if head is not None and "." not in name.lstrip(".") and is_machine_code(head):
        return BINARY
    return None
