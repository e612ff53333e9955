"""A Go package seen from one of its files: the sibling `.go` and Go assembly files of the
directory, which of them a default `go build` compiles for linux/arm64, and their top-level
names. Built once per directory and worker process (files are scanned in parallel)."""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass, field

from archport.archfiles import go_file, is_go_assembly
from archport.source import SourceFile

_READ_LIMIT = 4 << 20
_PACKAGE = re.compile(r"^package[ \t]+(\w+)", re.M)
_FUNC = re.compile(r"^func[ \t]+(\w+)[ \t]*(?:\[[^\]\n]*\][ \t]*)?\(", re.M)
_SINGLE = re.compile(r"^(?:type|var|const)[ \t]+(\w+(?:[ \t]*,[ \t]*\w+)*)", re.M)
_GROUP = re.compile(r"^(?:type|var|const)[ \t]*\(", re.M)
_GROUP_ITEM = re.compile(r"^[ \t]+(\w+(?:[ \t]*,[ \t]*\w+)*)", re.M)
_ASM_TEXT = re.compile(r"^[ \t]*TEXT[ \t]+(?:\"\")?\u00b7(\w+)", re.M)
_LINKNAME = re.compile(r"//go:linkname[ \t]+(\w+)")
_IMPORT_C = re.compile(r'^import[ \t]+"C"', re.M)


@dataclass
class GoFile:
    name: str
    path: str
    #: compiled by a plain `go build` for linux/arm64 / linux/amd64 (custom tags unset)
    arm64: bool
    x86_64: bool
    reason: str
    assembly: bool
    package: str = ""
    text: str = ""
    masked: str = ""
    #: top-level func name -> offset of the name, for declarations without a body
    bodyless: dict[str, int] = field(default_factory=dict)
    #: every top-level name the file declares (funcs, types, vars, consts) -> offset
    names: dict[str, int] = field(default_factory=dict)
    #: functions an assembly file implements (`TEXT ·name(SB)`)
    text_symbols: set[str] = field(default_factory=set)
    #: names given a body elsewhere by `//go:linkname`
    linknamed: set[str] = field(default_factory=set)


def _skip_to_close(masked: str, i: int) -> int:
    """Index just past the bracket that closes the one at i (or len when unbalanced)."""
    depth = 0
    n = len(masked)
    while i < n:
        ch = masked[i]
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return n


def _has_body(masked: str, after_params: int) -> bool:
    """After a func's parameter list: whether a `{` body follows before the line ends (result
    types may hold `struct{}`/`interface{}` and parenthesised lists)."""
    i, n = after_params, len(masked)
    while i < n:
        ch = masked[i]
        if ch == "\n":
            return False
        if ch in "([":
            i = _skip_to_close(masked, i)
            continue
        if ch == "{":
            word = masked[max(0, i - 10) : i].rstrip()
            if word.endswith(("struct", "interface")):
                i = _skip_to_close(masked, i)
                continue
            return True
        i += 1
    return False


def parse_go(name: str, path: str, text: str) -> GoFile:
    sel = go_file(name, text, default_tags=True)
    gf = GoFile(name, path, sel.arm64 is True, sel.x86_64 is True, sel.reason, name.endswith((".s", ".S")))
    gf.text = text
    if gf.assembly:
        gf.text_symbols = set(_ASM_TEXT.findall(text))
        return gf
    masked = SourceFile(name, "go", text).masked
    gf.masked = masked
    m = _PACKAGE.search(masked)
    gf.package = m.group(1) if m else ""
    gf.linknamed = set(_LINKNAME.findall(text))
    for m in _FUNC.finditer(masked):
        fname = m.group(1)
        gf.names.setdefault(fname, m.start(1))
        if not _has_body(masked, _skip_to_close(masked, m.end() - 1)):
            gf.bodyless[fname] = m.start(1)
    for m in _SINGLE.finditer(masked):
        for i, part in enumerate(m.group(1).split(",")):
            gf.names.setdefault(part.strip(), m.start(1) if i == 0 else m.start(1))
    for m in _GROUP.finditer(masked):
        end = _skip_to_close(masked, m.end() - 1)
        block = masked[m.end() : end - 1]
        for item in _GROUP_ITEM.finditer(block):
            line_start = block.rfind("\n", 0, item.start()) + 1
            if item.start() != line_start:
                continue
            indent = item.group(0)[: len(item.group(0)) - len(item.group(0).lstrip())]
            if indent not in ("\t", "    "):
                continue  # a nested line (struct fields, continued expressions)
            for part in item.group(1).split(","):
                gf.names.setdefault(part.strip(), m.end() + item.start(1))
    return gf


def here(ctx) -> GoFile:
    """The scanned file itself, parsed once and shared by the GO rules."""
    gf = ctx.cache.get("go.here")
    if gf is None:
        gf = ctx.cache["go.here"] = parse_go(ctx.path.rsplit("/", 1)[-1], ctx.abs_path, ctx.text)
    return gf


def package(ctx) -> dict[str, GoFile]:
    """`package_of` the scanned file, looked up once per file for all the GO rules."""
    files = ctx.cache.get("go.package")
    if files is None:
        files = ctx.cache["go.package"] = package_of(ctx.abs_path) if ctx.abs_path else {}
    return files


def uses_cgo(text: str) -> bool:
    return _IMPORT_C.search(text) is not None


def package_of(abs_path: str) -> dict[str, GoFile]:
    """The non-test Go files and Go assembly files of abs_path's directory, by name."""
    directory = os.path.dirname(abs_path)
    try:
        entries = sorted(os.listdir(directory))
    except OSError:
        return {}
    key = []
    for name in entries:
        if name.startswith(("_", ".")) or not (name.endswith((".go", ".s")) and not name.endswith("_test.go")):
            continue
        try:
            st = os.stat(os.path.join(directory, name))
        except OSError:
            continue
        key.append((name, st.st_mtime_ns, st.st_size))
    return _package_cached(directory, tuple(key))


@functools.lru_cache(maxsize=64)
def _package_cached(directory: str, key: tuple) -> dict[str, GoFile]:
    files: dict[str, GoFile] = {}
    for name, _, size in key:
        path = os.path.join(directory, name)
        if size > _READ_LIMIT:
            continue
        try:
            with open(path, "rb") as fh:
                text = fh.read().decode("utf-8", errors="replace")
        except OSError:
            continue
        if name.endswith(".s") and not is_go_assembly(text):
            continue
        files[name] = parse_go(name, path, text)
    # files of another package (a `package main` generator, `package foo_test`) do not count
    packages = [f.package for f in files.values() if not f.assembly and f.package]
    if packages:
        main = max(set(packages), key=packages.count)
        files = {n: f for n, f in files.items() if f.assembly or f.package == main}
    return files


def identifier_uses(masked: str, name: str) -> list[int]:
    """Offsets where `name` is used as a package-level identifier (not as a selector `x.name`,
    a struct key `name:`, or a field or parameter declaration `name Type`)."""
    if name not in masked:
        return []
    out = []
    pattern = r"(?<![\w.])" + re.escape(name) + r"\b(?![ \t]*:[^=])(?![ \t]+(?:\*[A-Za-z_]|\[\]|[A-Za-z_]))"
    for m in re.finditer(pattern, masked):
        out.append(m.start())
    return out


# -- who imports a package ----------------------------------------------------------------------

_MODULE_LINE = re.compile(r"^module[ \t]+(\S+)", re.M)
_IMPORT_BLOCK = re.compile(r"^import[ \t]*\((.*?)^\)", re.M | re.S)
_IMPORT_ONE = re.compile(r'^import[ \t]+(?:[\w.]+[ \t]+)?"([^"]+)"', re.M)
_IMPORT_PATH = re.compile(r'"([^"]+)"')


def module_root(directory: str) -> tuple[str, str] | None:
    """(module directory, module path) from the nearest go.mod above `directory`."""
    d = os.path.abspath(directory)
    while True:
        mod = os.path.join(d, "go.mod")
        if os.path.isfile(mod):
            try:
                with open(mod, encoding="utf-8", errors="replace") as fh:
                    m = _MODULE_LINE.search(fh.read(65536))
            except OSError:
                return None
            return (d, m.group(1)) if m else None
        parent = os.path.dirname(d)
        if parent == d:
            return None
        d = parent


@functools.lru_cache(maxsize=8)
def arm64_imports(module_dir: str) -> frozenset[str]:
    """Import paths that some file of the module which an arm64 build compiles imports
    (test files included: `go test` builds them). Read once per module and process."""
    found: set[str] = set()
    for dirpath, dirnames, filenames in os.walk(module_dir):
        dirnames[:] = [d for d in dirnames if not d.startswith((".", "_")) and d not in ("testdata", "vendor")]
        for name in filenames:
            if not name.endswith(".go"):
                continue
            try:
                with open(os.path.join(dirpath, name), encoding="utf-8", errors="replace") as fh:
                    text = fh.read()
            except OSError:
                continue
            if not parse_go(name, os.path.join(dirpath, name), text).arm64:
                continue
            for block in _IMPORT_BLOCK.findall(text):
                found.update(_IMPORT_PATH.findall(block))
            found.update(_IMPORT_ONE.findall(text))
    return frozenset(found)


def internal_unused_on_arm64(directory: str) -> bool:
    """Whether this is an `internal` package (nobody outside the module can import it) that
    no file an arm64 build compiles imports: arm64 builds never compile it."""
    root = module_root(directory)
    if root is None:
        return False
    module_dir, module_path = root
    rel = os.path.relpath(os.path.abspath(directory), module_dir).replace(os.sep, "/")
    if rel == "." or "internal" not in rel.split("/"):
        return False
    return f"{module_path}/{rel}" not in arm64_imports(module_dir)
