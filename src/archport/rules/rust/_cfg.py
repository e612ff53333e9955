"""Which Rust code an aarch64 build compiles: `#[cfg(...)]` on the enclosing items and
statements, `#![cfg(...)]` of the file or module, `cfg_if!` branches, and the `mod`
declarations of the parent modules on disk (`#[cfg(target_arch = "x86_64")] mod x86;` in
the parent excludes the whole file). Predicates are evaluated by archfiles.rust_cfg.
Text-based over the masked source (comments and string contents blanked), so it costs
nothing until a rule asks about an offset."""

from __future__ import annotations

import functools
import os
import re

from archport.archfiles import _and, _or, rust_cfg
from archport.source import SourceFile

_ATTR_START = re.compile(r"#!?\[")
_CFG_ATTR = re.compile(r"#(!?)\[\s*cfg\s*\(")
_CFG_IF = re.compile(r"\bcfg_if\s*!\s*$|\bcfg_if::cfg_if\s*!\s*$")
_SCAN_LIMIT = 4000
_READ_LIMIT = 2 << 20


class RustCfg:
    """cfg facts of one Rust file: text (raw) and masked text with the same offsets."""

    def __init__(self, text: str, masked: str, abs_path: str | None = None):
        self.text = text
        self.masked = masked
        self.abs_path = abs_path
        self._pairs: list[tuple[int, int]] | None = None
        self._block: dict[int, bool | None] = {}
        self._file: bool | None | str = "unset"

    # -- braces ----------------------------------------------------------------------------------

    @property
    def pairs(self) -> list[tuple[int, int]]:
        """(open, close) of every `{}` pair, by open offset."""
        if self._pairs is None:
            stack: list[int] = []
            pairs = []
            for m in re.finditer(r"[{}]", self.masked):
                if m.group() == "{":
                    stack.append(m.start())
                elif stack:
                    pairs.append((stack.pop(), m.start()))
            pairs.sort()
            self._pairs = pairs
        return self._pairs

    def _statement_start(self, offset: int) -> int:
        """Start of the statement or item containing offset: just after the previous `;`, `{`
        or `}` outside parentheses and brackets."""
        masked = self.masked
        depth = 0
        i = offset - 1
        stop = max(0, offset - _SCAN_LIMIT)
        while i >= stop:
            ch = masked[i]
            if ch in ")]":
                depth += 1
            elif ch in "([":
                if depth:
                    depth -= 1
            elif depth == 0 and ch in ";{}":
                return i + 1
            i -= 1
        return stop

    def _leading_cfgs(self, start: int, end: int) -> list[tuple[str, bool]]:
        """The cfg predicates of the attributes that open [start, end): (predicate, inner)."""
        out = []
        i = start
        masked = self.masked
        while True:
            while i < end and masked[i].isspace():
                i += 1
            m = _ATTR_START.match(masked, i)
            if m is None or m.start() >= end:
                return out
            close = _close(masked, m.end() - 1)
            if close < 0 or close > end:
                return out
            cfg = _CFG_ATTR.match(masked, i)
            if cfg is not None:
                inner_close = _close(masked, cfg.end() - 1)
                if inner_close > 0:
                    out.append((self.text[cfg.end() : inner_close - 1], bool(cfg.group(1))))
            i = close

    # -- selection -------------------------------------------------------------------------------

    def arm64_at(self, offset: int) -> bool | None:
        """Whether an aarch64 build compiles the code at offset: True, False, or None when a
        cfg the build chooses (a Cargo feature) decides."""
        value = self.file_arm64()
        if value is False:
            return False
        start = self._statement_start(offset)
        for pred, _ in self._leading_cfgs(start, offset):
            value = _and(value, rust_cfg(pred).arm64)
        value = _and(value, self._arm_arm64(offset))
        for open_, close in self.pairs:
            if open_ >= offset:
                break
            if close > offset:
                value = _and(value, self._block_arm64(open_))
                value = _and(value, self._arm_arm64(open_))
                if value is False:
                    return False
        return value

    def _arm_arm64(self, offset: int) -> bool | None:
        """The cfg attributes of the match arm (`#[cfg(...)] Pat => expr`) that offset is the
        body of, when it is one: True when there are none."""
        masked = self.masked
        depth = 0
        i = offset - 1
        stop = max(0, offset - _SCAN_LIMIT)
        arrow = -1
        while i >= stop:
            ch = masked[i]
            if ch in ")]":
                depth += 1
            elif ch in "([":
                if not depth:
                    return True
                depth -= 1
            elif depth == 0:
                if ch == ">" and i > 0 and masked[i - 1] == "=" and arrow < 0:
                    arrow = i - 1
                    i -= 2
                    continue
                if ch in ",;{}":
                    break
            i -= 1
        if arrow < 0 or i < stop:
            return True
        value: bool | None = True
        for pred, _ in self._leading_cfgs(i + 1, arrow):
            value = _and(value, rust_cfg(pred).arm64)
        return value

    def _block_arm64(self, open_: int) -> bool | None:
        if open_ in self._block:
            return self._block[open_]
        start = self._statement_start(open_)
        prefix = self.masked[start:open_]
        value: bool | None = True
        parent = self._parent(open_)
        if parent is not None and _CFG_IF.search(self.masked[self._statement_start(parent) : parent]):
            value = self._cfg_if_branch(parent, open_)
        else:
            for pred, _ in self._leading_cfgs(start, open_):
                value = _and(value, rust_cfg(pred).arm64)
        # `#![cfg(...)]` at the top of the block
        for pred, inner in self._leading_cfgs(open_ + 1, self._close_of(open_)):
            if inner:
                value = _and(value, rust_cfg(pred).arm64)
        del prefix
        self._block[open_] = value
        return value

    def _parent(self, open_: int) -> int | None:
        best = None
        for o, c in self.pairs:
            if o >= open_:
                break
            if c > open_:
                best = o
        return best

    def _close_of(self, open_: int) -> int:
        for o, c in self.pairs:
            if o == open_:
                return c
        return open_

    def _cfg_if_branch(self, parent: int, open_: int) -> bool | None:
        """The value of one branch block of `cfg_if! { if #[cfg(A)] {…} else if #[cfg(B)] {…} else {…} }`."""
        close = self._close_of(parent)
        children = [o for o, c in self.pairs if parent < o < close and self._parent(o) == parent]
        earlier: bool | None = False  # whether an earlier branch was taken
        prev_end = parent + 1
        for child in children:
            head = self.text[prev_end:child]
            m = re.search(r"#\[\s*cfg\s*\(", head)
            if m is not None:
                pred_close = _close(self.masked, prev_end + m.end() - 1)
                pred = self.text[prev_end + m.end() : pred_close - 1] if pred_close > 0 else ""
                this = rust_cfg(pred).arm64
            else:
                this = True  # else
            taken = _and(_not(earlier), this)
            if child == open_:
                return taken
            earlier = _or(earlier, this)
            prev_end = self._close_of(child) + 1
        return None

    # -- the file in its crate -------------------------------------------------------------------

    def file_arm64(self) -> bool | None:
        if self._file == "unset":
            value: bool | None = True
            for pred, inner in self._leading_cfgs(0, len(self.masked)):
                if inner:
                    value = _and(value, rust_cfg(pred).arm64)
            if value is not False and self.abs_path:
                value = _and(value, module_arm64(self.abs_path))
            self._file = value
        return self._file  # type: ignore[return-value]


def _not(v: bool | None) -> bool | None:
    return None if v is None else not v


def _close(masked: str, open_: int) -> int:
    """Offset just past the bracket matching the one at open_, or -1."""
    pairs = {"(": ")", "[": "]", "{": "}"}
    want = [pairs[masked[open_]]]
    i = open_ + 1
    n = min(len(masked), open_ + _SCAN_LIMIT)
    while i < n:
        ch = masked[i]
        if ch in pairs:
            want.append(pairs[ch])
        elif ch in ")]}":
            if ch != want[-1]:
                return -1
            want.pop()
            if not want:
                return i + 1
        i += 1
    return -1


def for_context(ctx) -> RustCfg:
    cfg = ctx.cache.get("rust_cfg")
    if cfg is None:
        cfg = ctx.cache["rust_cfg"] = RustCfg(ctx.text, ctx.masked, ctx.abs_path)
    return cfg


# -- parent modules on disk ---------------------------------------------------------------------


def module_arm64(abs_path: str, depth: int = 0) -> bool | None:
    """Whether the `mod` declarations leading to this file keep it in an aarch64 build."""
    if depth > 12:
        return True
    directory, name = os.path.split(abs_path)
    if name in ("lib.rs", "main.rs", "build.rs") or not name.endswith(".rs"):
        return True
    if name == "mod.rs":
        module = os.path.basename(directory)
        up = os.path.dirname(directory)
        parents = [os.path.join(up, "mod.rs"), os.path.join(up, "lib.rs"), os.path.join(up, "main.rs"),
                   os.path.join(os.path.dirname(up), os.path.basename(up) + ".rs")]
    else:
        module = name[:-3]
        parents = [os.path.join(directory, "mod.rs"), os.path.join(directory, "lib.rs"),
                   os.path.join(directory, "main.rs"),
                   os.path.join(os.path.dirname(directory), os.path.basename(directory) + ".rs")]
    for parent in parents:
        if parent == abs_path:
            continue
        found = _declaration_arm64(parent, module)
        if found == "absent":
            continue
        if found is False:
            return False
        return found  # the parent's own cfg and its parents are in `found`
    return True


def _declaration_arm64(parent: str, module: str):
    try:
        st = os.stat(parent)
    except OSError:
        return "absent"
    return _declaration_cached(parent, st.st_mtime_ns, st.st_size, module)


@functools.lru_cache(maxsize=512)
def _declaration_cached(parent: str, mtime: int, size: int, module: str):
    if size > _READ_LIMIT:
        return "absent"
    try:
        with open(parent, "rb") as fh:
            text = fh.read().decode("utf-8", errors="replace")
    except OSError:
        return "absent"
    cfg = _parsed(parent, mtime, text)
    # `#[path = "rust_sse2.rs"] mod sse2;`: every declaration that loads this file counts
    values = []
    for pm in re.finditer(r"#\[\s*path\s*=\s*\"(?:[^\"\n]*/)?" + re.escape(module) + r"\.rs\"\s*\]", text):
        if cfg.masked.startswith("#", pm.start()) and re.match(r"\s*(?:#\[[^\]]*\]\s*)*(?:pub(?:\([^)]*\))?\s+)?mod\s+\w+\s*;", cfg.masked[pm.end():pm.end() + 400]):
            values.append(cfg.arm64_at(pm.start()))
    if values:
        value: bool | None = False
        for v in values:
            value = _or(value, v)
        return value
    m = re.search(r"\bmod\s+" + re.escape(module) + r"\s*;", cfg.masked)
    if m is None:
        return "absent"
    return cfg.arm64_at(m.start())


@functools.lru_cache(maxsize=64)
def _parsed(path: str, mtime: int, text: str) -> RustCfg:
    return RustCfg(text, SourceFile(path, "rust", text).masked, path)
