"""Build trees of binaries and archives from a text listing, at test time (no binary blobs in
the repository). The listing is what BN rule docs show and BN fixtures (`cases*.tree`) hold:

    libs/foo.jar                                   # expect: BN702
        native/linux-x86_64/libfoo.so    ELF x86-64
    tools/protoc                         ELF x86-64   # ok: BN701

One entry per line: a path, then after two or more spaces what it is (`ELF x86-64`,
`ELF aarch64`, `ELF x86`, `PE x86-64`, `PE x86-64 .NET`, `Mach-O x86-64`, `Mach-O x86-64+aarch64`);
a path with no description is an archive when its name says so (zip family, tar, tar.gz,
tar.xz, tar.bz2, tar.zst, deb, rpm, `.a`) and a small text file otherwise. Lines indented by
four more spaces than an archive's are its members. `#` starts a comment (markers live there).
The binaries are minimal: a valid header for the machine, nothing else."""

from __future__ import annotations

import gzip
import io
import lzma
import re
import struct
import tarfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

_ELF_MACHINES = {"x86-64": 62, "x86": 3, "aarch64": 183, "arm": 40, "ppc64": 21, "s390x": 22, "riscv": 243}
_PE_MACHINES = {"x86-64": 0x8664, "x86": 0x14C, "aarch64": 0xAA64, "arm": 0x1C4}
_MACHO_CPUS = {"x86-64": 0x01000007, "x86": 7, "aarch64": 0x0100000C, "arm": 12}
_ARCHIVE = re.compile(r"(?i)\.(?:whl|jar|war|ear|aar|apk|nupkg|zip|egg|tar|tar\.gz|tgz|tar\.xz|txz|tar\.bz2|tbz2|tar\.zst|tzst|deb|rpm|a)$")


@dataclass
class Entry:
    path: str
    spec: str
    line: int
    members: list[Entry] = field(default_factory=list)


def parse(listing: str) -> list[Entry]:
    """The top-level entries of a listing, members nested under their archive."""
    roots: list[Entry] = []
    stack: list[tuple[int, Entry]] = []
    for lineno, raw in enumerate(listing.splitlines(), 1):
        text = raw.split("#", 1)[0].rstrip()
        if not text.strip():
            continue
        indent = len(text) - len(text.lstrip(" "))
        path, _, spec = text.strip().partition("  ")
        entry = Entry(path.strip(), spec.strip(), lineno)
        while stack and stack[-1][0] >= indent:
            stack.pop()
        (stack[-1][1].members if stack else roots).append(entry)
        stack.append((indent, entry))
    return roots


def build(listing: str, root: Path) -> dict[str, int]:
    """Write the listing's files under `root`; {top-level path: listing line}."""
    lines = {}
    for entry in parse(listing):
        target = root / entry.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content(entry))
        lines[entry.path] = entry.line
    return lines


def content(entry: Entry) -> bytes:
    if entry.spec:
        return binary(entry.spec, entry.path)
    if _ARCHIVE.search(entry.path):
        return archive(entry.path, [(m.path, content(m)) for m in entry.members])
    return f"text of {entry.path}\n".encode()


# -- binaries --------------------------------------------------------------------------------------


def binary(spec: str, name: str = "") -> bytes:
    fmt, _, rest = spec.partition(" ")
    arch, _, extra = rest.partition(" ")
    if fmt == "ELF":
        return elf(arch, kind=_elf_type(name))
    if fmt == "PE":
        return pe(arch, managed=".NET" in extra)
    if fmt == "Mach-O":
        arches = arch.split("+")
        return macho(arches[0]) if len(arches) == 1 else fat_macho(arches)
    raise ValueError(f"unknown binary spec {spec!r}")


def _elf_type(name: str) -> int:
    if name.endswith(".o"):
        return 1
    return 3 if ".so" in name or name.endswith((".node", ".ko")) else 2


def elf(arch: str, kind: int = 3) -> bytes:
    """An ELF header (64-bit, little-endian; 32-bit for x86 and arm) and nothing else."""
    machine = _ELF_MACHINES[arch]
    if arch in ("x86", "arm"):
        ident = b"\x7fELF" + bytes([1, 1, 1]) + bytes(9)
        return ident + struct.pack("<HHIIIIIHHHHHH", kind, machine, 1, 0, 0, 0, 0, 52, 32, 0, 40, 0, 0)
    ident = b"\x7fELF" + bytes([2, 1, 1]) + bytes(9)
    return ident + struct.pack("<HHIQQQIHHHHHH", kind, machine, 1, 0, 0, 0, 0, 64, 56, 0, 64, 0, 0)


def pe(arch: str, *, managed: bool = False, dll: bool = True) -> bytes:
    """A DOS stub pointing at a PE32+ header with an empty section table."""
    dos = b"MZ" + bytes(0x3A) + struct.pack("<I", 0x40)
    coff = struct.pack("<HHIIIHH", _PE_MACHINES[arch], 0, 0, 0, 0, 240, 0x2022 if dll else 0x0022)
    optional = bytearray(240)
    struct.pack_into("<H", optional, 0, 0x20B)
    struct.pack_into("<I", optional, 108, 16)  # NumberOfRvaAndSizes
    if managed:
        struct.pack_into("<II", optional, 112 + 14 * 8, 0x2008, 0x48)  # the CLR runtime header
    return dos + b"PE\0\0" + coff + bytes(optional)


def macho(arch: str) -> bytes:
    return struct.pack("<IiiIIII", 0xFEEDFACF, _MACHO_CPUS[arch], 3, 6, 0, 0, 0) + bytes(4)


def fat_macho(arches: list[str]) -> bytes:
    head = struct.pack(">II", 0xCAFEBABE, len(arches))
    slices = [macho(a) for a in arches]
    offset = 4096
    table = b""
    for arch, body in zip(arches, slices):
        table += struct.pack(">iiIII", _MACHO_CPUS[arch], 3, offset, len(body), 12)
        offset += 4096
    data = bytearray(head + table)
    for body in slices:
        data += bytes(4096 - len(data) % 4096 if len(data) % 4096 else 0) + body
    return bytes(data)


# -- archives --------------------------------------------------------------------------------------


def archive(name: str, members: list[tuple[str, bytes]]) -> bytes:
    low = name.lower()
    if low.endswith((".tar", ".tar.gz", ".tgz", ".tar.xz", ".txz", ".tar.bz2", ".tbz2", ".tar.zst", ".tzst")):
        return tar(members, _tar_compression(low))
    if low.endswith(".deb"):
        return deb(members)
    if low.endswith(".rpm"):
        return rpm(members)
    if low.endswith(".a"):
        return ar(members)
    return zip_(members)


def _tar_compression(low: str) -> str:
    for suffixes, comp in (((".gz", ".tgz"), "gz"), ((".xz", ".txz"), "xz"), ((".bz2", ".tbz2"), "bz2"), ((".zst", ".tzst"), "zst")):
        if low.endswith(suffixes):
            return comp
    return ""


def zip_(members: list[tuple[str, bytes]]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members:
            zf.writestr(name, data)
    return buf.getvalue()


def tar(members: list[tuple[str, bytes]], compression: str = "") -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o755
            tf.addfile(info, io.BytesIO(data))
    raw = buf.getvalue()
    if compression == "gz":
        return gzip.compress(raw)
    if compression == "xz":
        return lzma.compress(raw)
    if compression == "bz2":
        import bz2

        return bz2.compress(raw)
    if compression == "zst":
        import zstandard

        return zstandard.ZstdCompressor().compress(raw)
    return raw


def ar(members: list[tuple[str, bytes]]) -> bytes:
    """A GNU `ar` archive (long names through the `//` table)."""
    out = bytearray(b"!<arch>\n")
    long_names = b""
    names = []
    for name, _ in members:
        if len(name) > 15:
            names.append(f"/{len(long_names)}".encode())
            long_names += name.encode() + b"/\n"
        else:
            names.append(name.encode() + b"/")
    entries = ([(b"//", long_names)] if long_names else []) + list(zip(names, (d for _, d in members)))
    for raw_name, data in entries:
        out += raw_name.ljust(16) + b"0".ljust(12) + b"0".ljust(6) + b"0".ljust(6) + b"644".ljust(8)
        out += str(len(data)).encode().ljust(10) + b"`\n" + data
        if len(data) % 2:
            out += b"\n"
    return bytes(out)


def deb(members: list[tuple[str, bytes]]) -> bytes:
    """A Debian package: `debian-binary`, `control.tar.gz`, and the members in `data.tar.xz`."""
    control = tar([("./control", b"Package: demo\nArchitecture: amd64\n")], "gz")
    data = tar([("./" + n, d) for n, d in members], "xz")
    return ar([("debian-binary", b"2.0\n"), ("control.tar.gz", control), ("data.tar.xz", data)])


def cpio(members: list[tuple[str, bytes]]) -> bytes:
    """A `newc` cpio archive, the payload format of rpm."""
    out = bytearray()
    for i, (name, data) in enumerate(members + [("TRAILER!!!", b"")]):
        raw_name = name.encode() + b"\0"
        mode = 0o100755 if name != "TRAILER!!!" else 0
        fields = [i + 1, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(raw_name), 0]
        out += b"070701" + b"".join(b"%08X" % f for f in fields) + raw_name
        out += bytes((4 - len(out) % 4) % 4) + data
        out += bytes((4 - len(out) % 4) % 4)
    return bytes(out)


def _rpm_header(tags: int = 1, store: int = 16) -> bytes:
    """An rpm header structure with `tags` zeroed index entries and `store` bytes of data."""
    return b"\x8e\xad\xe8\x01" + bytes(4) + struct.pack(">II", tags, store) + bytes(16 * tags + store)


def rpm(members: list[tuple[str, bytes]]) -> bytes:
    """An rpm: lead, signature header (padded to 8 bytes), header, gzip'd cpio payload."""
    lead = b"\xed\xab\xee\xdb" + bytes(92)
    signature = _rpm_header(1, 12)  # 16 + 16 + 12 = 44 bytes: 4 bytes of padding follow
    signature += bytes((8 - len(signature) % 8) % 8)
    header = _rpm_header(2, 20)
    payload = gzip.compress(cpio([("./" + n, d) for n, d in members]))
    return lead + signature + header + payload
