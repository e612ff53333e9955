"""What machine a binary is for: ELF (with pyelftools: class, type, needed libraries, the
x86 ISA level it declares), PE/COFF and Mach-O (thin and universal) from their headers, and
`ar` libraries of object files. Only headers are read: a 1 GB shared library costs a few
kilobytes."""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass, field
from typing import BinaryIO

X86_64 = "x86-64"
X86 = "x86"
AARCH64 = "aarch64"
X86_ARCHES = frozenset({X86_64, X86})

_ELF_MACHINES = {
    3: X86, 6: X86, 62: X86_64, 183: AARCH64, 40: "arm", 8: "mips", 20: "ppc", 21: "ppc64", 22: "s390x",
    243: "riscv", 258: "loongarch", 2: "sparc", 43: "sparc64",
}
_ELF_OSABI = {2: "netbsd", 6: "solaris", 9: "freebsd", 12: "openbsd"}
_ELF_TYPES = {1: "object file", 2: "executable", 3: "shared library", 4: "core dump"}
_PE_MACHINES = {0x14C: X86, 0x8664: X86_64, 0xAA64: AARCH64, 0xA641: AARCH64, 0xA64E: AARCH64, 0x1C0: "arm", 0x1C4: "arm"}
_MACHO_CPUS = {7: X86, 0x01000007: X86_64, 12: "arm", 0x0100000C: AARCH64, 0x0200000C: "arm64_32", 18: "ppc", 0x01000012: "ppc64"}
#: libraries that exist only for x86: Intel MKL, SVML, the Intel compiler runtime, IPP (not
#: libiomp5: LLVM's OpenMP runtime installs that name as an alias on every architecture)
X86_ONLY_LIBRARY_PREFIXES = ("libmkl_", "libsvml", "libimf", "libintlc", "libirng", "libippcore", "libipps", "libippi")
#: bits of GNU_PROPERTY_X86_ISA_1_NEEDED, highest first
_X86_ISA_LEVELS = ((1 << 3, "x86-64-v4"), (1 << 2, "x86-64-v3"), (1 << 1, "x86-64-v2"))
#: what each level adds that AArch64 has no binary-compatible form of (for messages)
ISA_LEVEL_FEATURES = {"x86-64-v2": "SSE4.2, POPCNT", "x86-64-v3": "AVX2, FMA, BMI2", "x86-64-v4": "AVX-512"}
HEAD_BYTES = 4096


@dataclass(frozen=True)
class BinaryInfo:
    """One file of machine code."""

    format: str  # "ELF", "PE", "Mach-O", "ar"
    arches: tuple[str, ...]  # one, or several for a universal Mach-O or a mixed `ar` library
    kind: str = ""  # "shared library", "executable", "object file", "static library", ".NET assembly"…
    bits: int = 0
    needed: tuple[str, ...] = ()
    #: GNU_PROPERTY_X86_ISA_1_NEEDED as its highest level above the baseline, e.g. "x86-64-v3"
    x86_isa_needed: str | None = None
    #: for an `ar` library: the object files with x86 code (capped)
    x86_members: tuple[str, ...] = ()
    #: a .NET assembly of IL code, which runs on any architecture
    managed: bool = False
    #: the operating system the format or header names: "linux" for ELF unless its OS/ABI byte
    #: says FreeBSD, NetBSD, OpenBSD or Solaris; "windows" for PE, "macos" for Mach-O
    os: str = "linux"
    notes: tuple[str, ...] = field(default=(), compare=False)

    @property
    def is_x86_only(self) -> bool:
        """x86 machine code with no AArch64 code in the same file."""
        return not self.managed and any(a in X86_ARCHES for a in self.arches) and AARCH64 not in self.arches

    @property
    def has_aarch64(self) -> bool:
        return AARCH64 in self.arches

    @property
    def x86_only_libraries(self) -> tuple[str, ...]:
        return tuple(n for n in self.needed if n.startswith(X86_ONLY_LIBRARY_PREFIXES))

    def describe(self) -> str:
        """"ELF 64-bit x86-64 shared library", "PE x86-64 DLL"…"""
        arch = "+".join(self.arches) or "unknown machine"
        bits = f" {self.bits}-bit" if self.bits else ""
        kind = f" {self.kind}" if self.kind else " binary"
        return f"{self.format}{bits} {arch}{kind}"


def read_binary(fh: BinaryIO, *, details: bool = True) -> BinaryInfo | None:
    """The machine of the binary in `fh` (a seekable binary stream positioned anywhere), or
    None when it is not ELF, PE or Mach-O. `details` reads the ELF dynamic section and notes
    (needed libraries, x86 ISA level) too; a damaged file yields what its header says."""
    fh.seek(0)
    head = fh.read(HEAD_BYTES)
    if head.startswith(b"\x7fELF"):
        info = _elf_header(head)
        if info is not None and details:
            info = _elf_details(fh, info)
        return info
    if head.startswith(b"MZ"):
        return _pe(fh, head)
    if head[:4] in (b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe"):
        return _macho(head)
    if head[:4] in (b"\xca\xfe\xba\xbe", b"\xca\xfe\xba\xbf"):
        return _fat_macho(head)
    return None


def read_head(head: bytes) -> BinaryInfo | None:
    """The machine from the first bytes only (no ELF details): for members too big to read."""
    return read_binary(io.BytesIO(head), details=False)


# -- ELF -----------------------------------------------------------------------------------------


def _elf_header(head: bytes) -> BinaryInfo | None:
    if len(head) < 20 or head[4] not in (1, 2) or head[5] not in (1, 2):
        return None
    order = "<" if head[5] == 1 else ">"
    e_type, e_machine = struct.unpack_from(order + "HH", head, 16)
    arch = _ELF_MACHINES.get(e_machine, f"machine {e_machine}")
    os_name = _ELF_OSABI.get(head[7], "linux")
    return BinaryInfo("ELF", (arch,), _ELF_TYPES.get(e_type, ""), 32 if head[4] == 1 else 64, os=os_name)


def _elf_details(fh: BinaryIO, info: BinaryInfo) -> BinaryInfo:
    """Needed libraries and the x86 ISA level, through pyelftools; what cannot be parsed is
    left out (a stripped or damaged file keeps its header facts)."""
    from elftools.common.exceptions import ELFError
    from elftools.elf.elffile import ELFFile

    needed: list[str] = []
    isa = None
    notes: list[str] = []
    elf_kind = info.kind
    try:
        fh.seek(0)
        elf = ELFFile(fh)
        for segment in elf.iter_segments():
            kind = segment["p_type"]
            if kind == "PT_INTERP" and info.kind == "shared library":
                elf_kind = "executable"  # a position-independent executable
            elif kind == "PT_DYNAMIC":
                needed.extend(t.needed for t in segment.iter_tags() if t.entry.d_tag == "DT_NEEDED")
            elif kind == "PT_NOTE":
                for note in segment.iter_notes():
                    if note["n_type"] != "NT_GNU_PROPERTY_TYPE_0":
                        continue
                    for prop in note.get("n_desc") or ():
                        if prop.get("pr_type") == "GNU_PROPERTY_X86_ISA_1_NEEDED" and isinstance(prop.get("pr_data"), int):
                            isa = next((name for bit, name in _X86_ISA_LEVELS if prop["pr_data"] & bit), isa)
    except (ELFError, Exception) as exc:  # pyelftools raises many kinds on damaged input
        notes.append(f"ELF details unreadable: {type(exc).__name__}")
    return BinaryInfo(info.format, info.arches, elf_kind, info.bits, tuple(needed), isa, notes=tuple(notes), os=info.os)


# -- PE/COFF -------------------------------------------------------------------------------------


def _pe(fh: BinaryIO, head: bytes) -> BinaryInfo | None:
    if len(head) < 0x40:
        return None
    offset = struct.unpack_from("<I", head, 0x3C)[0]
    if offset + 0x200 > len(head):
        fh.seek(offset)
        pe = fh.read(0x200)
    else:
        pe = head[offset : offset + 0x200]
    if len(pe) < 24 or pe[:4] != b"PE\0\0":
        return None
    machine, _, _, _, _, opt_size, characteristics = struct.unpack_from("<HHIIIHH", pe, 4)
    arch = _PE_MACHINES.get(machine)
    kind = "DLL" if characteristics & 0x2000 else "executable"
    managed = False
    if opt_size >= 2 and len(pe) >= 26:
        magic = struct.unpack_from("<H", pe, 24)[0]
        dirs = 24 + (96 if magic == 0x10B else 112)  # data directories after the standard fields
        count_at = dirs - 4
        clr = dirs + 14 * 8  # the CLR runtime header directory
        if clr + 8 <= len(pe) and struct.unpack_from("<I", pe, count_at)[0] > 14:
            managed = struct.unpack_from("<II", pe, clr) != (0, 0)
    if managed:
        # IL code: AnyCPU, or ReadyToRun images whose native part has a fallback in IL
        return BinaryInfo("PE", (arch or f"machine 0x{machine:04x}",), ".NET assembly", managed=True, os="windows")
    if arch is None:
        return BinaryInfo("PE", (f"machine 0x{machine:04x}",), kind, os="windows")
    return BinaryInfo("PE", (arch,), kind, 64 if machine in (0x8664, 0xAA64) else 32, os="windows")


# -- Mach-O --------------------------------------------------------------------------------------


def _macho(head: bytes) -> BinaryInfo | None:
    if len(head) < 8:
        return None
    order = ">" if head[:2] == b"\xfe\xed" else "<"
    cpu = struct.unpack_from(order + "i", head, 4)[0] & 0xFFFFFFFF
    bits = 64 if head[:4] in (b"\xfe\xed\xfa\xcf", b"\xcf\xfa\xed\xfe") else 32
    return BinaryInfo("Mach-O", (_MACHO_CPUS.get(cpu, f"cpu 0x{cpu:x}"),), "", bits, os="macos")


def _fat_macho(head: bytes) -> BinaryInfo | None:
    count = int.from_bytes(head[4:8], "big")
    if not 0 < count < 40:
        return None  # a Java class file
    size = 32 if head[3] == 0xBF else 20
    arches = []
    for i in range(count):
        at = 8 + i * size
        if at + 4 > len(head):
            break
        cpu = int.from_bytes(head[at : at + 4], "big")
        arches.append(_MACHO_CPUS.get(cpu, f"cpu 0x{cpu:x}"))
    return BinaryInfo("Mach-O", tuple(dict.fromkeys(arches)), "universal binary", os="macos")


# -- ar libraries of object files ----------------------------------------------------------------


def read_static_library(fh: BinaryIO, *, max_members: int = 100_000) -> BinaryInfo | None:
    """An `ar` library (`libfoo.a`): the machines of its object files, from each member's
    header. None when it is not an `ar` archive or holds no object file we know."""
    from archport.artifacts.archives import ArReader

    fh.seek(0)
    if fh.read(8) != b"!<arch>\n":
        return None
    fh.seek(0)
    arches: dict[str, None] = {}
    systems: dict[str, None] = {}
    x86: list[str] = []
    count = 0
    for entry in ArReader(fh):
        count += 1
        if count > max_members:
            break
        head = entry.stream.read(64)
        info = read_head(head)
        if info is None:
            continue
        systems[info.os] = None
        for arch in info.arches:
            arches[arch] = None
        if info.is_x86_only and len(x86) < 50:
            x86.append(entry.name)
    if not arches:
        return None
    return BinaryInfo("ar", tuple(arches), "static library", x86_members=tuple(x86), os=next(iter(systems), "linux"))
