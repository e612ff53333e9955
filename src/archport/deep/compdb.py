"""Compilation databases (`compile_commands.json`): where to find one under a scan root, and the
flags each source file is compiled with, translated for an AArch64 parse."""

from __future__ import annotations

import json
import os
import shlex
from dataclasses import dataclass
from pathlib import Path

NAME = "compile_commands.json"
TARGET = "aarch64-linux-gnu"
#: the AArch64 cross sysroot's headers (Debian's gcc-aarch64-linux-gnu / libc6-dev-arm64-cross)
CROSS_INCLUDE = "/usr/aarch64-linux-gnu/include"

#: options whose value is the next argument and that are kept (paths made absolute)
_PATH_OPTIONS = ("-I", "-isystem", "-iquote", "-idirafter", "-include", "-imacros", "-isysroot", "--sysroot")
#: kept options with a value in the next argument (not paths)
_VALUE_OPTIONS = ("-D", "-U", "-x", "-std")
#: options whose value is the next argument and that are dropped (output, dependency files, ...)
_DROP_WITH_VALUE = frozenset({"-o", "-MF", "-MT", "-MQ", "-target", "--target", "-arch", "-Xclang", "-Xcompiler",
                              "-Xlinker", "-Xassembler", "-Xpreprocessor", "-include-pch", "-aux-info"})
#: -f options that change what the source means (everything else, e.g. -fcf-protection, is dropped)
_KEPT_F = ("-fsigned-char", "-funsigned-char", "-fno-signed-char", "-fno-unsigned-char", "-fms-extensions",
           "-fgnu89-inline", "-fno-common", "-fexceptions", "-fno-exceptions", "-frtti", "-fno-rtti",
           "-fshort-enums", "-fshort-wchar", "-fchar8_t", "-fno-char8_t", "-fpermissive", "-fopenmp",
           "-fgnu-keywords", "-fno-gnu-keywords", "-fblocks", "-fno-builtin", "-ffreestanding")


@dataclass(frozen=True)
class Entry:
    """One translation unit of the database."""

    file: str  # absolute, normalised
    directory: str
    flags: tuple[str, ...]  # for libclang: AArch64 target, no x86-only options, absolute paths
    char_flag: str | None  # "-fsigned-char" / "-funsigned-char" when the build passes one


class CompilationDatabase:
    def __init__(self, path: str, entries: dict[str, Entry], skipped: int = 0):
        self.path = path
        self._entries = entries
        #: entries that could not be read (no file, no command)
        self.skipped = skipped

    def __len__(self) -> int:
        return len(self._entries)

    def entry_for(self, path: str) -> Entry | None:
        entry = self._entries.get(os.path.normpath(os.path.abspath(path)))
        if entry is None:
            entry = self._entries.get(os.path.realpath(path))
        return entry

    @property
    def files(self) -> list[str]:
        return list(self._entries)

    @classmethod
    def load(cls, path: str | os.PathLike) -> CompilationDatabase:
        """Read a database; raises ValueError with a readable reason when it is unusable."""
        path = os.path.abspath(path)
        try:
            with open(path, encoding="utf-8") as fh:
                raw = json.load(fh)
        except OSError as exc:
            raise ValueError(f"cannot read {path}: {exc.strerror or exc}") from None
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ValueError(f"{path} is not valid JSON: {exc}") from None
        if not isinstance(raw, list):
            raise ValueError(f"{path} is not a compilation database (expected a JSON array of entries)")
        entries: dict[str, Entry] = {}
        skipped = 0
        base = os.path.dirname(path)
        for item in raw:
            entry = _entry(item, base) if isinstance(item, dict) else None
            if entry is None:
                skipped += 1
                continue
            entries.setdefault(entry.file, entry)  # the first command of a file wins
            real = os.path.realpath(entry.file)
            if real != entry.file:
                entries.setdefault(real, entry)
        return cls(path, entries, skipped)


def _entry(item: dict, base: str) -> Entry | None:
    file = item.get("file")
    if not isinstance(file, str) or not file:
        return None
    directory = item.get("directory")
    directory = os.path.normpath(os.path.join(base, directory)) if isinstance(directory, str) else base
    args = item.get("arguments")
    if isinstance(args, list) and all(isinstance(a, str) for a in args):
        argv = list(args)
    elif isinstance(item.get("command"), str):
        try:
            argv = shlex.split(item["command"])
        except ValueError:
            return None
    else:
        return None
    source = os.path.normpath(os.path.join(directory, file))
    flags, char_flag = translate(argv[1:], directory, source)
    return Entry(source, directory, tuple(flags), char_flag)


def translate(args: list[str], directory: str, source: str) -> tuple[list[str], str | None]:
    """The compiler arguments (without the compiler itself) as libclang flags for an AArch64
    parse: defines, include paths (absolute), language and standard, and the few -f options that
    change meaning are kept; the output, dependency-file, warning and x86-only options (-m*,
    -march, -mtune) are dropped; `--target=aarch64-linux-gnu` is added."""
    out: list[str] = [f"--target={TARGET}"]
    char_flag = None
    src_real = os.path.realpath(source)
    i = 0
    n = len(args)

    def absolute(p: str) -> str:
        return p if os.path.isabs(p) else os.path.normpath(os.path.join(directory, p))

    while i < n:
        a = args[i]
        i += 1
        if a in _DROP_WITH_VALUE:
            i += 1
            continue
        matched = False
        for opt in _PATH_OPTIONS:
            if a == opt:
                if i < n:
                    out += [opt, absolute(args[i])]
                    i += 1
                matched = True
            elif opt == "--sysroot":
                if a.startswith("--sysroot="):
                    out.append("--sysroot=" + absolute(a[len("--sysroot="):]))
                    matched = True
            elif a.startswith(opt) and len(a) > len(opt):  # joined form: -Iinclude, -isystem/opt/x
                out.append(opt + absolute(a[len(opt):]))
                matched = True
            if matched:
                break
        if matched:
            continue
        if a in _VALUE_OPTIONS and i < n:
            out += [a, args[i]]
            i += 1
            continue
        if a.startswith(("-D", "-U", "-std=", "-x")) or a in ("-ansi", "-pthread"):
            out.append(a)
            continue
        if a.startswith("-f"):
            if a in _KEPT_F or a.startswith("-fopenmp"):
                out.append(a)
                if a in ("-fsigned-char", "-fno-unsigned-char"):
                    char_flag = "-fsigned-char"
                elif a in ("-funsigned-char", "-fno-signed-char"):
                    char_flag = "-funsigned-char"
            continue
        if a.startswith("-"):
            continue  # -c, -O2, -g, -W..., -m..., -march=..., -MD, --target=...: not for this parse
        if os.path.realpath(absolute(a)) == src_real:
            continue  # the source file itself
    if os.path.isdir(CROSS_INCLUDE) and not any(f == "--sysroot" or f.startswith("--sysroot=") for f in out):
        # clang finds the Debian cross headers by itself; naming them makes that explicit
        out += ["-idirafter", CROSS_INCLUDE]
    return out, char_flag


def discover(root: str | os.PathLike) -> str | None:
    """A compile_commands.json at the scan root, or in a `build*` directory (or one level below
    one, e.g. build/release/) under it; None when there is none."""
    root = Path(root)
    if root.is_file():
        root = root.parent
    direct = root / NAME
    if direct.is_file():
        return str(direct)
    try:
        builds = sorted(p for p in root.iterdir() if p.is_dir() and p.name.lower().startswith(("build", "out", "cmake-build")))
    except OSError:
        return None
    for d in builds:
        if (d / NAME).is_file():
            return str(d / NAME)
    for d in builds:
        try:
            subs = sorted(p for p in d.iterdir() if p.is_dir())
        except OSError:
            continue
        for s in subs:
            if (s / NAME).is_file():
                return str(s / NAME)
    return None
