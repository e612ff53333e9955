"""Looking inside archives without extracting them: zip (wheels, JARs, nupkgs…), tar (plain,
gzip, bzip2, xz, zstd), `ar` (Debian packages, static libraries) and rpm (a cpio payload),
nested up to a depth, all in memory and within limits.

Only members that can hold machine code are read: names binaries have (`.so`, `.dll`…),
names without an extension and files under `bin/` (sniffed by their first bytes), and
nested archives. Nothing is written to disk, so a member name that climbs out of the archive
(`../x`, `/etc/x`) can do no harm; it is skipped and reported all the same.

Limits (see `Limits`) stop compression bombs and giant inputs: a limit that is hit refuses the
whole top-level archive with one error. Damage inside one nested archive is noted and the
walk goes on."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import posixpath
import re
import struct
import tarfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from archport.artifacts.binaries import HEAD_BYTES, BinaryInfo, read_binary, read_head
from archport.artifacts.kinds import archive_format, binary_name, is_machine_code

MiB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    #: an archive file in the tree bigger than this is not opened
    max_archive_bytes: int = 512 * MiB
    #: archives inside archives inside… the top-level one
    max_depth: int = 4
    #: members looked at, all nesting levels together
    max_members: int = 100_000
    #: the most of one member that is held in memory (a nested zip, a binary's full image)
    max_member_bytes: int = 256 * MiB
    #: bytes decompressed for one top-level archive, all levels together
    max_total_bytes: int = 2048 * MiB
    #: decompressed/compressed ratio beyond which data is taken for a compression bomb…
    max_ratio: int = 200
    #: …once this much has come out of it (small, very compressible members are fine)
    ratio_grace_bytes: int = 32 * MiB


class ArchiveRefused(Exception):
    """A limit was hit: the top-level archive is not reported on."""


class ArchiveDamaged(Exception):
    """The data is not a readable archive of the expected format."""


@dataclass
class Archive:
    """One archive and what is inside it that matters here."""

    path: str  # the chain of member paths from the top, joined by "!/" ("" for the top)
    format: str
    #: (member path, machine) of every member with machine code
    binaries: list[tuple[str, BinaryInfo]] = field(default_factory=list)
    children: list[Archive] = field(default_factory=list)
    #: every member name (files and directories), for counterpart lookups
    names: set[str] = field(default_factory=set)
    #: members skipped or damaged (the walk went on)
    problems: list[str] = field(default_factory=list)


class Budget:
    """What one top-level archive may still cost."""

    def __init__(self, limits: Limits):
        self.limits = limits
        self.members = 0
        self.total = 0

    def member(self) -> None:
        self.members += 1
        if self.members > self.limits.max_members:
            raise ArchiveRefused(f"more than {self.limits.max_members} members (nested archives included)")

    def spend(self, n: int) -> None:
        self.total += n
        if self.total > self.limits.max_total_bytes:
            raise ArchiveRefused(f"more than {self.limits.max_total_bytes // MiB} MiB to decompress")


def inspect_archive(path: str, fmt: str, limits: Limits = Limits()) -> Archive:
    """Walk the archive file at `path` (`fmt` from kinds.archive_format). Raises
    ArchiveRefused or ArchiveDamaged for the whole archive."""
    budget = Budget(limits)
    with open(path, "rb") as fh:
        return _walk(fh, fmt, "", budget, 0)


def inspect_archive_bytes(data: bytes, fmt: str, limits: Limits = Limits()) -> Archive:
    return _walk(io.BytesIO(data), fmt, "", Budget(limits), 0)


# -- the walk ------------------------------------------------------------------------------------


@dataclass
class _Entry:
    name: str
    size: int
    regular: bool
    open: object  # () -> readable stream of the member's bytes
    compressed: int | None = None  # zip: the compressed size


_READERS_NEED_SEEK = frozenset({"zip"})
_EXEC_DIRS = frozenset({"bin", "sbin", "libexec"})


def _walk(stream: BinaryIO, fmt: str, path: str, budget: Budget, depth: int) -> Archive:
    archive = Archive(path, fmt)
    try:
        for entry in _entries(stream, fmt, budget):
            budget.member()
            name = entry.name
            if _unsafe(name):
                archive.problems.append(f"{_join(path, name)}: unsafe member name (absolute or `..`), skipped")
                continue
            name = _clean(name)
            if not name:
                continue
            archive.names.add(name)
            if not entry.regular:
                continue
            _visit(archive, entry, name, budget, depth)
    except (ArchiveRefused, ArchiveDamaged):
        raise
    except _DAMAGE as exc:
        raise ArchiveDamaged(_damage_text(exc)) from None
    return archive


def _visit(archive: Archive, entry: _Entry, name: str, budget: Budget, depth: int) -> None:
    limits = budget.limits
    base = posixpath.basename(name)
    nested = archive_format(base)
    member_path = _join(archive.path, name)
    if nested is not None:
        if depth + 1 > limits.max_depth:
            raise ArchiveRefused(f"archives nested more than {limits.max_depth} deep (at {member_path})")
        if nested in _READERS_NEED_SEEK:
            if entry.size > limits.max_member_bytes:
                archive.problems.append(f"{member_path}: nested archive over {limits.max_member_bytes // MiB} MiB, not opened")
                return
            data = _read_all(entry, budget)
            stream: BinaryIO = io.BytesIO(data)
        else:
            stream = _Counted(entry.open(), budget) if archive.format in _READERS_NEED_SEEK else entry.open()
        try:
            archive.children.append(_walk(stream, nested, member_path, budget, depth + 1))
        except ArchiveDamaged as exc:
            archive.problems.append(f"{member_path}: not a readable {nested} archive ({exc})")
        return
    sniff = binary_name(base) or "." not in base or base.rsplit(".", 1)[1].isdigit() or _EXEC_DIRS.intersection(name.split("/")[:-1])
    if not sniff or entry.size < 16:
        return
    member = entry.open()
    head = _read(member, min(entry.size, HEAD_BYTES), budget, archive.format)
    if head.startswith(b"!<arch>\n") and depth + 1 <= limits.max_depth:  # a static library: its objects
        rest = _Counted(member, budget) if archive.format in _READERS_NEED_SEEK else member
        try:
            archive.children.append(_walk(_Prepended(head, rest), "ar", member_path, budget, depth + 1))
        except ArchiveDamaged as exc:
            archive.problems.append(f"{member_path}: not a readable ar archive ({exc})")
        return
    if not (is_machine_code(head) or head.startswith(b"MZ")):
        return
    if head.startswith(b"\x7fELF") and entry.size <= limits.max_member_bytes:
        rest = _read(member, entry.size - len(head), budget, archive.format)
        info = read_binary(io.BytesIO(head + rest))
    else:
        info = read_head(head)
    if info is not None:
        archive.binaries.append((name, info))


def _read(stream, n: int, budget: Budget, container: str) -> bytes:
    chunks = []
    left = n
    while left > 0:
        chunk = stream.read(min(left, 1 << 20))
        if not chunk:
            break
        if container in _READERS_NEED_SEEK:  # zip members decompress here; other streams count themselves
            budget.spend(len(chunk))
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _read_all(entry: _Entry, budget: Budget) -> bytes:
    return _read(entry.open(), entry.size, budget, "zip")


def _unsafe(name: str) -> bool:
    n = name.replace("\\", "/")
    return n.startswith("/") or re.match(r"[A-Za-z]:", n) is not None or ".." in n.split("/")


def _clean(name: str) -> str:
    n = name.replace("\\", "/")
    while n.startswith("./"):
        n = n[2:]
    return n.rstrip("/") if n != "." else ""


def _join(path: str, name: str) -> str:
    return f"{path}!/{name}" if path else name


_DAMAGE = (zipfile.BadZipFile, zipfile.LargeZipFile, tarfile.TarError, EOFError, zlib.error, lzma.LZMAError, OSError,
           ValueError, struct.error, NotImplementedError, RuntimeError, UnicodeDecodeError)


def _damage_text(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    if isinstance(exc, EOFError) or "end of" in text.lower() or "truncated" in text.lower():
        return f"truncated ({text})"
    return text


# -- containers ----------------------------------------------------------------------------------


def _entries(stream: BinaryIO, fmt: str, budget: Budget) -> Iterator[_Entry]:
    if fmt == "zip":
        return _zip_entries(stream, budget)
    if fmt == "tar":
        return _tar_entries(_decompressed(stream, budget), budget)
    if fmt == "ar":
        return _ar_entries(stream)
    if fmt == "rpm":
        return _rpm_entries(stream, budget)
    raise ArchiveDamaged(f"unknown archive format {fmt}")


def _zip_entries(stream: BinaryIO, budget: Budget) -> Iterator[_Entry]:
    limits = budget.limits
    declared = _zip_declared_entries(stream)
    if declared is not None and declared > limits.max_members:  # refused before its directory is loaded
        raise ArchiveRefused(f"{declared} members, over the limit of {limits.max_members}")
    try:
        zf = zipfile.ZipFile(stream)
    except zipfile.BadZipFile as exc:
        raise ArchiveDamaged(f"not a readable zip archive ({exc})") from None
    infos = zf.infolist()
    if len(infos) > limits.max_members:
        raise ArchiveRefused(f"{len(infos)} members, over the limit of {limits.max_members}")
    for info in infos:
        # a member that would inflate far beyond its compressed size is a zip bomb, read or not
        if info.file_size > limits.ratio_grace_bytes and info.file_size > limits.max_ratio * max(info.compress_size, 1):
            raise ArchiveRefused(
                f"member {info.filename!r} inflates {info.compress_size} bytes to {info.file_size} "
                f"(over {limits.max_ratio}:1; a zip bomb?)"
            )
    for info in infos:
        yield _Entry(info.filename, info.file_size, not info.is_dir(), lambda info=info: zf.open(info), info.compress_size)


def _zip_declared_entries(stream: BinaryIO) -> int | None:
    """The member count that a zip's end-of-central-directory record declares (zip64 too)."""
    try:
        stream.seek(0, 2)
        size = stream.tell()
        tail_at = max(0, size - 65536 - 22)
        stream.seek(tail_at)
        tail = stream.read()
        stream.seek(0)
    except (OSError, ValueError):
        return None
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or at + 22 > len(tail):
        return None
    count = struct.unpack_from("<H", tail, at + 10)[0]
    if count != 0xFFFF:
        return count
    locator = at - 20  # the zip64 locator sits just before the record
    if locator >= 0 and tail[locator : locator + 4] == b"PK\x06\x07":
        record = struct.unpack_from("<Q", tail, locator + 8)[0] - tail_at
        if 0 <= record and record + 40 <= len(tail) and tail[record : record + 4] == b"PK\x06\x06":
            return struct.unpack_from("<Q", tail, record + 32)[0]
    return None


def _tar_entries(stream: BinaryIO, budget: Budget) -> Iterator[_Entry]:
    try:
        tf = tarfile.open(fileobj=stream, mode="r|")
    except tarfile.ReadError as exc:
        raise ArchiveDamaged(f"not a readable tar archive ({exc})") from None
    while True:
        info = tf.next()
        if info is None:
            break
        yield _Entry(info.name, info.size, info.isreg(), lambda info=info: tf.extractfile(info))


class _Slice:
    """At most `size` bytes of a sequential stream; `skip()` moves past what was not read."""

    def __init__(self, stream: BinaryIO, size: int):
        self.stream = stream
        self.left = size

    def read(self, n: int = -1) -> bytes:
        if self.left <= 0:
            return b""
        n = self.left if n is None or n < 0 else min(n, self.left)
        data = self.stream.read(n)
        self.left -= len(data)
        return data

    def skip(self) -> None:
        while self.left > 0:
            if not self.read(1 << 20):
                raise ArchiveDamaged("truncated member data")


@dataclass
class _ArMember:
    name: str
    size: int
    stream: _Slice


class ArReader:
    """The members of a System V/GNU or BSD `ar` archive, in order, from a sequential stream."""

    def __init__(self, stream: BinaryIO):
        self.stream = stream

    def __iter__(self) -> Iterator[_ArMember]:
        if self.stream.read(8) != b"!<arch>\n":
            raise ArchiveDamaged("not an ar archive")
        long_names = b""
        while True:
            header = self.stream.read(60)
            if not header:
                return
            if len(header) < 60 or header[58:60] != b"`\n":
                raise ArchiveDamaged("truncated or damaged ar member header")
            raw_name = header[:16].rstrip(b" ")
            try:
                size = int(header[48:58].strip() or b"0")
            except ValueError:
                raise ArchiveDamaged("damaged ar member size") from None
            body = _Slice(self.stream, size)
            if raw_name.startswith(b"#1/"):  # BSD: the name opens the data
                length = int(raw_name[3:] or b"0")
                name = body.read(length).rstrip(b"\0").decode("utf-8", "replace")
                body = _Slice(self.stream, size - length)
            elif raw_name == b"//":
                long_names = body.read(size)
                body.skip()
                self._pad(size)
                continue
            elif raw_name.startswith(b"/") and raw_name[1:].isdigit():
                at = int(raw_name[1:])
                end = long_names.find(b"/\n", at)
                name = long_names[at : end if end >= 0 else None].decode("utf-8", "replace")
            else:
                name = raw_name.rstrip(b"/").decode("utf-8", "replace")
            if raw_name in (b"/", b"/SYM64/", b"__.SYMDEF", b"__.SYMDEF SORTED") or not name:
                body.skip()
                self._pad(size)
                continue
            yield _ArMember(name, body.left, body)
            body.skip()
            self._pad(size)

    def _pad(self, size: int) -> None:
        if size % 2:
            self.stream.read(1)


def _ar_entries(stream: BinaryIO) -> Iterator[_Entry]:
    for member in ArReader(stream):
        yield _Entry(member.name, member.size, True, lambda m=member: m.stream)


def _rpm_entries(stream: BinaryIO, budget: Budget) -> Iterator[_Entry]:
    lead = stream.read(96)
    if len(lead) < 96 or lead[:4] != b"\xed\xab\xee\xdb":
        raise ArchiveDamaged("not an rpm package")
    for signature in (True, False):
        head = stream.read(16)
        if len(head) < 16 or head[:3] != b"\x8e\xad\xe8":
            raise ArchiveDamaged("damaged rpm header")
        count, size = struct.unpack(">II", head[8:16])
        length = 16 * count + size
        if count > 100_000 or size > 256 * MiB:
            raise ArchiveDamaged("implausible rpm header size")
        if signature:
            length += (8 - (16 + length) % 8) % 8
        _Slice(stream, length).skip()
    yield from _cpio_entries(_decompressed(stream, budget))


def _cpio_entries(stream: BinaryIO) -> Iterator[_Entry]:
    """The members of a `newc` (or `crc`) cpio archive, the payload of rpm packages."""
    while True:
        header = stream.read(110)
        if len(header) < 110 or header[:6] not in (b"070701", b"070702"):
            raise ArchiveDamaged("truncated or damaged cpio archive")
        fields = [int(header[6 + 8 * i : 14 + 8 * i], 16) for i in range(13)]
        mode, size, name_size = fields[1], fields[6], fields[11]
        name_raw = stream.read(name_size)
        _Slice(stream, (4 - (110 + name_size) % 4) % 4).skip()
        name = name_raw.rstrip(b"\0").decode("utf-8", "replace")
        if name == "TRAILER!!!":
            return
        body = _Slice(stream, size)
        yield _Entry(name, size, (mode & 0o170000) == 0o100000, lambda body=body: body)
        body.skip()
        _Slice(stream, (4 - size % 4) % 4).skip()


# -- decompression with a bomb guard ---------------------------------------------------------------


class _Prepended:
    """Bytes already read, then the rest of the stream."""

    def __init__(self, head: bytes, stream):
        self.head = head
        self.stream = stream

    def read(self, n: int = -1) -> bytes:
        if self.head:
            if n is None or n < 0:
                data, self.head = self.head + self.stream.read(), b""
                return data
            data, self.head = self.head[:n], self.head[n:]
            return data
        return self.stream.read(n)


class _Peek:
    """A stream whose first bytes can be looked at without losing them."""

    def __init__(self, stream: BinaryIO):
        self.stream = stream
        self.buffer = b""
        self.consumed = 0  # bytes handed out, for the compression ratio

    def peek(self, n: int) -> bytes:
        while len(self.buffer) < n:
            more = self.stream.read(n - len(self.buffer))
            if not more:
                break
            self.buffer += more
        return self.buffer[:n]

    def read(self, n: int = -1) -> bytes:
        if self.buffer:
            if n is None or n < 0:
                data, self.buffer = self.buffer + self.stream.read(), b""
            else:
                data, self.buffer = self.buffer[:n], self.buffer[n:]
        else:
            data = self.stream.read(n)
        self.consumed += len(data)
        return data


class _Counted:
    """Decompressed bytes, counted against the budget and checked against the bomb ratio."""

    def __init__(self, stream: BinaryIO, budget: Budget, source: _Peek | None = None):
        self.stream = stream
        self.budget = budget
        self.source = source
        self.produced = 0

    def read(self, n: int = -1) -> bytes:
        n = n if n is not None and n >= 0 else 1 << 20
        data = self.stream.read(n)
        while data and len(data) < n:  # some decompressors return short reads before the end
            more = self.stream.read(n - len(data))
            if not more:
                break
            data += more
        self.produced += len(data)
        self.budget.spend(len(data))
        limits = self.budget.limits
        if self.source is not None and self.produced > limits.ratio_grace_bytes:
            if self.produced > limits.max_ratio * max(self.source.consumed, 1):
                raise ArchiveRefused(
                    f"{self.source.consumed} compressed bytes inflate to over {self.produced} "
                    f"(over {limits.max_ratio}:1; a compression bomb?)"
                )
        return data


def _decompressed(stream: BinaryIO, budget: Budget) -> _Counted | _Peek:
    """`stream` decompressed by what its first bytes say (gzip, bzip2, xz, lzma, zstd), or as it is."""
    peek = _Peek(stream)
    magic = peek.peek(6)
    if magic.startswith(b"\x1f\x8b"):
        inner: BinaryIO = gzip.GzipFile(fileobj=peek, mode="rb")
    elif magic.startswith(b"BZh"):
        inner = bz2.BZ2File(peek)
    elif magic.startswith(b"\xfd7zXZ\x00") or magic[:3] == b"\x5d\x00\x00":
        inner = lzma.LZMAFile(peek)
    elif magic.startswith(b"\x28\xb5\x2f\xfd"):
        import zstandard

        inner = zstandard.ZstdDecompressor().stream_reader(peek, read_size=1 << 16, closefd=False)
    else:
        return peek
    return _Counted(inner, budget, peek)


_DAMAGE = _DAMAGE + (ImportError,)
try:  # zstandard's own error type
    import zstandard as _zstd

    _DAMAGE = _DAMAGE + (_zstd.ZstdError,)
except ImportError:  # pragma: no cover
    pass
