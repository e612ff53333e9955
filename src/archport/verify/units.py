"""The translation units of a project and their flags: from compile_commands.json when there is
one (compiler rewritten, x86-only and file-writing flags dropped), otherwise a best-effort
default (every header directory of the tree as -I, -D_GNU_SOURCE)."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path


from archport.discovery import discover
from archport.verify.tools import compiler_env

C_EXT = (".c",)
CPP_EXT = (".cc", ".cpp", ".cxx", ".c++", ".C", ".cp", ".CPP")
FORTRAN_EXT = (".f", ".for", ".ftn", ".f77", ".f90", ".f95", ".f03", ".f08", ".F", ".FOR", ".F77", ".F90", ".F95", ".F03", ".F08", ".fpp", ".FPP")
HEADER_EXT = (".h", ".hh", ".hpp", ".hxx", ".h++", ".inc", ".inl", ".ipp", ".tcc")
DEFAULT_DEFINES = ("-D_GNU_SOURCE",)

# options whose value is the next argument
_WITH_VALUE = frozenset({
    "-o", "-MF", "-MT", "-MQ", "-I", "-D", "-U", "-include", "-imacros", "-isystem", "-iquote", "-idirafter",
    "-iprefix", "-iwithprefix", "-iwithprefixbefore", "-isysroot", "--sysroot", "-x", "-Xpreprocessor",
    "-Xassembler", "-Xlinker", "-J", "-aux-info", "--param", "-arch", "-target", "-Xclang", "-dumpdir",
    "-dumpbase", "-dumpbase-ext", "-L", "-l", "-T", "-u", "-z", "-e", "-B", "-specs", "-wrapper",
})
# dropped with their value: outputs, link options, and anything that would make the compiler
# write into the project or load code from it (plugins, -B, -specs, -wrapper)
_DROP_WITH_VALUE = frozenset({
    "-o", "-MF", "-MT", "-MQ", "-J", "-aux-info", "-dumpdir", "-dumpbase", "-dumpbase-ext", "-Xlinker",
    "-Xassembler", "-L", "-l", "-T", "-u", "-z", "-e", "-arch", "-target", "-Xclang", "-B", "-specs",
    "-wrapper", "-isysroot", "--sysroot", "-x",
})
_DROP = frozenset({
    "-c", "-S", "-E", "-M", "-MM", "-MD", "-MMD", "-MP", "-MG", "-pipe", "-save-temps", "-v", "-###",
    "-fsyntax-only", "--coverage", "-ftest-coverage", "-fprofile-arcs", "-Wfatal-errors", "-Werror", "-w",
    "-shared", "-static", "-pie", "-no-pie", "-rdynamic", "-s", "-pthread",
})
_DROP_PREFIX = (
    "-Werror=", "-save-temps=", "-fdump-", "-flto", "-ffat-lto", "-fprofile-", "-fauto-profile",
    "-fdiagnostics-", "-fmessage-length", "-fcolor-diagnostics", "-fno-color-diagnostics", "-Wl,", "-Wa,",
    "-Wp,", "-fplugin", "-fcallgraph-info", "-fopt-info", "-specs=", "--sysroot=", "-B", "-o", "-MF", "-MT",
    "-MQ", "-J", "-fmodule-", "-fcreate-profile", "-fuse-ld=", "-fstack-usage",
)
_LEVEL_FLAGS = ("-O", "-g")


@dataclass
class Unit:
    file: str  # absolute
    directory: str  # compile from here (relative include paths)
    language: str  # c | cpp | fortran
    arm_flags: list[str] = field(default_factory=list)
    x86_flags: list[str] = field(default_factory=list)
    modules: tuple[set, set] = field(default_factory=lambda: (set(), set()))  # Fortran (defines, uses)


@dataclass
class UnitSet:
    units: list[Unit]
    source: str  # "compile_commands.json path" or "default"
    dropped_arm: dict[str, int] = field(default_factory=dict)  # flag -> count of units
    dropped_x86: dict[str, int] = field(default_factory=dict)
    unsafe_dropped: dict[str, int] = field(default_factory=dict)
    include_dirs: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def language_of(path: str, compiler: str = "") -> str | None:
    name = os.path.basename(compiler)
    if path.endswith(FORTRAN_EXT) or "fortran" in name or name.startswith(("f95", "f90", "flang", "ifort", "ifx")):
        return "fortran" if path.endswith(FORTRAN_EXT) or not path.endswith(C_EXT + CPP_EXT) else None
    if path.endswith(CPP_EXT) or ("++" in name and path.endswith(C_EXT)):
        return "cpp"
    if path.endswith(C_EXT):
        return "c"
    return None


# -- walking the tree ---------------------------------------------------------------------------


def walk(root: Path, excludes: tuple[str, ...] = ()) -> list[str]:
    """Files under root (absolute), honouring .gitignore files and `excludes`; version-control
    directories and directory symlinks are skipped (the scanner's own walk, taking every name)."""
    return sorted(abs_path for abs_path, _ in discover(root, excludes=excludes, accept=lambda name: True).files)


_INCLUDE = re.compile(rb'^[ \t]*#[ \t]*include[ \t]*[<"]([^>"\n]+)[>"]', re.M)


_PROBE_DIR = re.compile(r"(?:^|[\\/])(?:cmake|CMakeFiles)[\\/]")


def default_units(root: Path, files: list[str], extra_flags: list[str], system_dirs: tuple[str, ...] = ()) -> UnitSet:
    """Every C/C++/Fortran file of the tree, with every directory holding headers as -I (plus the
    prefix directories that `#include "dir/name.h"` spellings need), and -D_GNU_SOURCE. A
    directory with a header that has the name of a system header (a test shim `stddef.h`, a
    `linux/limits.h` stand-in) comes after the system directories (-idirafter) so it cannot
    shadow them."""
    headers = [f for f in files if f.endswith(HEADER_EXT)]
    # CMake's configure-time probes (cmake/, CMakeFiles/) are not part of the build
    base = str(root) if os.path.isdir(root) else os.path.dirname(str(root))
    sources = [f for f in files if language_of(f) and not _PROBE_DIR.search(os.path.relpath(f, base))]
    header_dirs = {os.path.dirname(h) for h in headers}
    by_suffix: dict[str, set[str]] = {}
    for h in headers:
        parts = h.split(os.sep)
        for k in (2, 3):
            if len(parts) > k:
                by_suffix.setdefault("/".join(parts[-k:]), set()).add(os.sep.join(parts[:-k]))
    prefix_dirs: set[str] = set()
    for f in sources + headers:
        try:
            with open(f, "rb") as fh:
                data = fh.read(262144)
        except OSError:
            continue
        for m in _INCLUDE.finditer(data):
            spelled = m.group(1).decode("latin-1").strip()
            if "/" in spelled and not spelled.startswith((".", "/")):
                prefix_dirs.update(by_suffix.get(spelled, ()))
    dirs = sorted(header_dirs | prefix_dirs, key=lambda d: (d.count(os.sep), d))
    shadowing = {d for d in dirs if _shadows(d, headers, system_dirs)}
    include_flags = [f"-I{d}" for d in dirs if d not in shadowing] + [f"-idirafter{d}" for d in dirs if d in shadowing]
    units = []
    for f in sources:
        lang = language_of(f)
        flags = include_flags + list(DEFAULT_DEFINES if lang != "fortran" else ()) + list(extra_flags)
        units.append(Unit(f, os.path.dirname(f), lang, list(flags), list(flags)))
    us = UnitSet(units, "default", include_dirs=dirs)
    us.notes.append(
        f"no compile_commands.json: {len(units)} C/C++/Fortran file(s), {len(dirs)} include director"
        f"{'y' if len(dirs) == 1 else 'ies'} found in the tree, {' '.join(DEFAULT_DEFINES)} "
        "(give --compile-commands for the project's real flags)"
    )
    return us


def _shadows(directory: str, headers: list[str], system_dirs: tuple[str, ...]) -> bool:
    prefix = directory + os.sep
    for h in headers:
        if h.startswith(prefix):
            rel = h[len(prefix):]
            if rel.count(os.sep) <= 2 and any(os.path.isfile(os.path.join(s, rel)) for s in system_dirs):
                return True
    return False


# -- compile_commands.json ----------------------------------------------------------------------


class CompileCommandsError(Exception):
    pass


def find_compile_commands(root: Path) -> Path | None:
    """The compile_commands.json that `scan --deep` would find (deep.compdb.discover); none
    for a one-file verify."""
    from archport.deep.compdb import discover

    if root.is_file():
        return None
    found = discover(root)
    return Path(found) if found is not None else None


def _split_command(entry: dict) -> list[str]:
    if isinstance(entry.get("arguments"), list):
        return [str(a) for a in entry["arguments"]]
    if isinstance(entry.get("command"), str):
        return shlex.split(entry["command"])
    raise CompileCommandsError("an entry has neither `arguments` nor `command`")


def _expand_response_files(args: list[str], directory: str) -> list[str]:
    out = []
    for a in args:
        if a.startswith("@") and len(a) > 1:
            path = os.path.join(directory, a[1:])
            try:
                with open(path, encoding="utf-8", errors="replace") as fh:
                    out.extend(shlex.split(fh.read()))
                continue
            except OSError:
                pass
        out.append(a)
    return out


def split_flags(args: list[str], source: str, directory: str) -> tuple[list[str], list[str]]:
    """(kept flags, dropped-for-safety flags) of a compile command without its compiler; the
    source file, outputs, dependency files, link options and code-loading options are removed.
    Relative include paths stay relative to `directory` (the compiler runs there)."""
    kept, unsafe = [], []
    src_abs = os.path.normpath(os.path.join(directory, source))
    i = 0
    while i < len(args):
        a = args[i]
        if a in _WITH_VALUE and i + 1 < len(args):
            pair = [a, args[i + 1]]
            i += 2
            if a in _DROP_WITH_VALUE:
                if a not in ("-o", "-MF", "-MT", "-MQ", "-x", "-J"):
                    unsafe.append(" ".join(pair))
                continue
            kept.extend(pair)
            continue
        i += 1
        if not a.startswith("-"):
            if os.path.normpath(os.path.join(directory, a)) == src_abs:
                continue
            if a.endswith((".o", ".a", ".so", ".obj")):
                continue
            unsafe.append(a)  # a second input file: compile one TU at a time
            continue
        if a in _DROP or a.startswith(_DROP_PREFIX):
            if a.startswith(("-fplugin", "-specs", "-B", "-wrapper", "--sysroot")):
                unsafe.append(a)
            continue
        kept.append(a)
    return kept, unsafe


def units_from_compile_commands(path: Path, extra_flags: list[str]) -> UnitSet:
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CompileCommandsError(f"cannot read {path}: {exc}") from None
    if not isinstance(entries, list):
        raise CompileCommandsError(f"{path}: expected a JSON array of compile commands")
    us = UnitSet([], str(path))
    seen = set()
    for entry in entries:
        if not isinstance(entry, dict) or "file" not in entry:
            raise CompileCommandsError(f"{path}: an entry has no `file`")
        directory = str(entry.get("directory") or path.parent)
        file_abs = os.path.normpath(os.path.join(directory, entry["file"]))
        if file_abs in seen:
            continue
        args = _split_command(entry)
        if not args:
            continue
        compiler, rest = args[0], _expand_response_files(args[1:], directory)
        lang = language_of(file_abs, compiler)
        if lang is None:
            continue
        seen.add(file_abs)
        kept, unsafe = split_flags(rest, entry["file"], directory)
        for u in unsafe:
            us.unsafe_dropped[u] = us.unsafe_dropped.get(u, 0) + 1
        us.units.append(Unit(file_abs, directory, lang, kept + extra_flags, kept + extra_flags))
    return us


# -- flags each compiler accepts --------------------------------------------------------------------

_PROBE_LANG = {"c": "c", "cpp": "c++", "fortran": "f95"}


def _probable(flag: str) -> bool:
    """Single-token flags whose acceptance depends on the target (the rest pass through)."""
    return flag.startswith("-") and not flag.startswith(("-I", "-D", "-U", "-O", "-g", "-Wno-", "-isystem", "-iquote", "-idirafter", "-include"))


def filter_rejected(units: list[Unit], compilers: dict[str, str], which: str, jobs: int) -> dict[str, int]:
    """Drop from each unit's `which` flags (arm_flags / x86_flags) the flags its compiler rejects,
    found by compiling an empty file with each distinct flag once. Returns flag -> units."""
    todo = sorted({(u.language, f) for u in units for f in getattr(u, which) if _probable(f)})

    def probe(item):
        lang, flag = item
        cc = compilers.get(lang)
        if cc is None:
            return item, True
        try:
            r = subprocess.run(
                [cc, "-x", _PROBE_LANG[lang], "-fsyntax-only", flag, "-"],
                input="", capture_output=True, text=True, timeout=60, env=compiler_env(),
            )
        except (OSError, subprocess.TimeoutExpired):
            return item, True
        return item, r.returncode == 0

    with ThreadPoolExecutor(max(1, jobs)) as pool:
        accepted = dict(pool.map(probe, todo))
    dropped: dict[str, int] = {}
    for u in units:
        keep = []
        for f in getattr(u, which):
            if accepted.get((u.language, f), True):
                keep.append(f)
            else:
                dropped[f] = dropped.get(f, 0) + 1
        setattr(u, which, keep)
    return dropped


# -- Fortran module order ---------------------------------------------------------------------------

_F_MODULE = re.compile(r"^\s*module\s+(?!procedure\b|function\b|subroutine\b)(\w+)\s*(?:!.*)?$", re.I | re.M)
_F_SUBMODULE = re.compile(r"^\s*submodule\s*\(\s*(\w+)", re.I | re.M)
_F_USE = re.compile(r"^\s*use\s*(?:,\s*(?:non_)?intrinsic\s*::\s*|::\s*|\s)\s*(\w+)", re.I | re.M)


def fortran_waves(units: list[Unit]) -> list[list[Unit]]:
    """Fortran units in dependency waves: a unit comes after the units defining the modules it
    uses (modules are compiled into a scratch directory, never next to the sources)."""
    defines: dict[str, Unit] = {}
    for u in units:
        try:
            text = Path(u.file).read_text(encoding="utf-8", errors="replace")
        except OSError:
            text = ""
        mods = {m.lower() for m in _F_MODULE.findall(text)}
        uses = {m.lower() for m in _F_USE.findall(text)} | {m.lower() for m in _F_SUBMODULE.findall(text)}
        u.modules = (mods, uses - mods)
        for m in mods:
            defines.setdefault(m, u)
    level: dict[int, int] = {}

    def depth(u: Unit, stack: set) -> int:
        if id(u) in level:
            return level[id(u)]
        if id(u) in stack:
            return 0
        stack.add(id(u))
        deps = [defines[m] for m in u.modules[1] if m in defines and defines[m] is not u]
        d = 1 + max((depth(x, stack) for x in deps), default=-1)
        stack.discard(id(u))
        level[id(u)] = d
        return d

    waves: dict[int, list[Unit]] = {}
    for u in units:
        waves.setdefault(depth(u, set()), []).append(u)
    return [waves[k] for k in sorted(waves)]


# -- which units need code generation -----------------------------------------------------------------

_INCLUDE_ANY = re.compile(r'^[ \t]*#[ \t]*include(?:_next)?[ \t]*([<"])([^>"\n]+)[>"]', re.M)
#: what only shows when code is generated: inline assembly (impossible constraints, assembler
#: errors) and function multiversioning
CODEGEN_MARKERS = re.compile(r"\b(?:asm|__asm__|__asm|target_clones)\b")


class IncludeGraph:
    """Project files reachable from a unit through `#include`, resolved against the file's own
    directory and the unit's -I/-iquote/-isystem/-idirafter directories (system headers outside
    those directories are not followed). Each file is read once."""

    def __init__(self):
        self._includes: dict[str, list[tuple[str, str]]] = {}
        self._marked: dict[str, bool] = {}

    def _read(self, path: str) -> None:
        try:
            with open(path, encoding="utf-8", errors="replace") as fh:
                text = fh.read()
        except OSError:
            text = ""
        self._includes[path] = [(m.group(1), m.group(2).strip()) for m in _INCLUDE_ANY.finditer(text)]
        self._marked[path] = bool(CODEGEN_MARKERS.search(_strip_comments(text)))

    def needs_codegen(self, unit: Unit, flags: list[str]) -> bool:
        dirs_quote, dirs_angle = _search_dirs(flags, unit.directory)
        seen: set[str] = set()
        stack = [unit.file]
        while stack:
            path = stack.pop()
            if path in seen:
                continue
            seen.add(path)
            if path not in self._includes:
                self._read(path)
            if self._marked[path]:
                return True
            here = os.path.dirname(path)
            for kind, name in self._includes[path]:
                candidates = ([here] + dirs_quote if kind == '"' else []) + dirs_angle
                for d in candidates:
                    p = os.path.normpath(os.path.join(d, name))
                    if p in self._includes or os.path.isfile(p):
                        stack.append(p)
                        break
            if len(seen) > 5000:
                return True
        return False


def _strip_comments(text: str) -> str:
    return re.sub(r"/\*.*?\*/|//[^\n]*", " ", text, flags=re.S)


def _search_dirs(flags: list[str], directory: str) -> tuple[list[str], list[str]]:
    quote, angle = [], []
    i = 0
    while i < len(flags):
        f = flags[i]
        for opt, target in (("-iquote", quote), ("-isystem", angle), ("-idirafter", angle), ("-I", angle)):
            if f == opt and i + 1 < len(flags):
                target.append(os.path.join(directory, flags[i + 1]))
                i += 1
                break
            if f.startswith(opt) and len(f) > len(opt):
                target.append(os.path.join(directory, f[len(opt):]))
                break
        i += 1
    return quote, angle
