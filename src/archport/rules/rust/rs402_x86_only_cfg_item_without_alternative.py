from __future__ import annotations

import re

from archport.archfiles import rust_cfg
from archport.model import Confidence, Impact, Severity
from archport.rule import Rule
from archport.rules.rust import _cfg

_CFG_ATTR = re.compile(r"#[ \t]*\[[ \t]*cfg[ \t]*\(")
_ATTR = re.compile(r"\s*#[ \t]*\[")
_ITEM = re.compile(
    r"\s*(?:pub(?:[ \t]*\([^)\n]*\))?\s+)?(?:(?:unsafe|const|async|extern(?:[ \t]*\"[^\"\n]*\")?|default)\s+)*"
    r"(?P<kind>fn|struct|enum|mod|use|const|static|type|trait|union)\s+(?:mut\s+)?(?P<rest>[^;{(<=:]*)"
)
_USE_TREE = re.compile(r"\s*(?:::)?([^;]*);")
_SEGMENT = re.compile(r"(\w+)(?:\s+as\s+(\w+))?\s*$")
_KEYWORDS = frozenset({"self", "super", "crate", "Self", "_"})


def _use_names(tree: str) -> list[str]:
    """The names a `use` tree brings into scope (globs are skipped)."""
    names = []
    flat = re.sub(r"[{}]", ",", tree)
    for part in flat.split(","):
        part = part.strip()
        if not part or part.endswith("*"):
            continue
        m = _SEGMENT.search(part)
        if m is None:
            continue
        name = m.group(2) or m.group(1)
        if name == "self":
            prefix = tree.split("{", 1)[0].rstrip(": ")
            name = prefix.rsplit("::", 1)[-1].strip()
        if name and name not in _KEYWORDS and not name.isdigit():
            names.append(name)
    return names


class X86OnlyCfgItemWithoutAlternative(Rule):
    """Item declared only for x86 (`#[cfg(target_arch = "x86_64")]`) but used in code aarch64 compiles.

    ## What it does
    Checks for items (`fn`, `struct`, `enum`, `mod`, `use`, `const`, `static`, `type`,
    `trait`) under a `#[cfg(...)]` that only x86 targets satisfy (`target_arch = "x86_64"`,
    `any(target_arch = "x86", target_arch = "x86_64")`, `target_feature = "avx2"` …) that
    have no other declaration of the same name in the file for other targets
    (`#[cfg(not(...))]`, `#[cfg(target_arch = "aarch64")]`, or without cfg), while the
    name is used in the same file in code an aarch64 build compiles. Code under
    `if cfg!(target_arch = "x86_64")` counts as compiled: `cfg!` only yields a boolean.

    ## Why is this a problem on ARM64?
    An item removed by `cfg` does not exist in the aarch64 build, so every use left in
    compiled code fails with "cannot find function `fast` in this scope" (E0425) or
    "failed to resolve" (E0433), also inside `if cfg!(...)` blocks. The crate does not
    build for aarch64.

    ## Example
    ```rust
    #[cfg(target_arch = "x86_64")]
    fn checksum_fast(data: &[u8]) -> u32 {
        data.len() as u32
    }

    pub fn checksum(data: &[u8]) -> u32 {
        checksum_fast(data)
    }
    ```

    Use instead:
    ```rust
    #[cfg(target_arch = "x86_64")]
    fn checksum_fast(data: &[u8]) -> u32 {
        data.len() as u32
    }

    #[cfg(not(target_arch = "x86_64"))]
    fn checksum_fast(data: &[u8]) -> u32 {
        data.iter().map(|&b| b as u32).sum()
    }

    pub fn checksum(data: &[u8]) -> u32 {
        checksum_fast(data)
    }
    ```

    ## Limitations
    Only uses in the same file are seen (a `pub` item used from other modules is not
    followed). Methods and associated items (`x.name()`, `Type::name`) are not matched, and
    a local variable that shadows the name can be taken for a use. Items in `cfg_if!`
    branches are not checked.

    ## References
    - Conditional compilation: https://doc.rust-lang.org/reference/conditional-compilation.html
    - E0425: https://doc.rust-lang.org/error_codes/E0425.html
    """

    code = "RS402"
    name = "x86-only-cfg-item-without-alternative"
    summary = "item declared only for x86 (`#[cfg(target_arch = \"x86_64\")]`) but used in code aarch64 compiles"
    languages = frozenset({"rust"})
    severity = Severity.ERROR
    impact = Impact.BUILD_BREAK
    confidence = Confidence.MEDIUM
    tags = ("isa", "cfg")
    effort_minutes = 45
    prefilter = (b"target_arch", b"target_feature")

    def check_file(self, ctx):
        masked, text = ctx.masked, ctx.text
        cfg = _cfg.for_context(ctx)
        if cfg.file_arm64() is False:
            return
        items: dict[str, list[tuple[int, int, str, str]]] = {}  # name -> [(decl offset, end, kind, pred)]
        for m in _CFG_ATTR.finditer(masked):
            if masked[m.start() : m.start() + 2] == "#!":
                continue
            close = _cfg._close(masked, m.end() - 1)
            if close < 0:
                continue
            pred = text[m.end() : close - 1]
            sel = rust_cfg(pred)
            if sel.arm64 is not False or sel.x86_64 is False:
                continue
            end_attr = masked.find("]", close - 1)
            if end_attr < 0:
                continue
            i = end_attr + 1
            while True:  # further attributes
                am = _ATTR.match(masked, i)
                if am is None:
                    break
                ac = _cfg._close(masked, am.end() - 1)
                if ac < 0:
                    break
                i = ac
            im = _ITEM.match(masked, i)
            if im is None:
                continue
            kind = im.group("kind")
            if kind == "use":
                um = _USE_TREE.match(masked, im.start("rest"))
                names = _use_names(um.group(1)) if um else []
                decl_end = um.end() if um else im.end()
            else:
                nm = re.match(r"(\w+)", im.group("rest"))
                names = [nm.group(1)] if nm else []
                decl_end = im.end()
            # the item is only interesting where the code around it is compiled for aarch64
            if names and cfg.arm64_at(m.start()) is not True:
                continue
            if names and self._in_impl(cfg, masked, m.start()):
                continue  # a method or associated item: used as `Self::name` / `x.name()`
            for name in names:
                items.setdefault(name, []).append((im.start("kind"), decl_end, kind, " ".join(pred.split())))
        if not items:
            return
        for name, decls in items.items():
            uses = []
            has_alternative = False
            pattern = re.compile(r"(?<![\w$])" + re.escape(name) + r"(?!\w)")
            for um in pattern.finditer(masked):
                pos = um.start()
                if any(d <= pos < e for d, e, _, _ in decls):
                    continue
                before = masked[max(0, pos - 40) : pos]
                after = masked[um.end() : um.end() + 3]
                if re.search(r"\.\s*$", before) or after.lstrip().startswith("!"):
                    continue
                prefix = re.search(r"(\w+)\s*::\s*$", before)
                if prefix and prefix.group(1) not in ("self", "super", "crate"):
                    continue
                state = cfg.arm64_at(pos)
                if re.search(r"\b(?:fn|struct|enum|mod|const|static|type|trait|union|macro_rules!)\s+$|\bas\s+$", before) \
                        or self._in_use(masked, pos):
                    if state is not False:
                        has_alternative = True
                        break
                    continue
                if re.match(r"\s*:(?!:)", masked[um.end() : um.end() + 4]):
                    continue  # a field, parameter or struct-literal key named like the item
                if state is True:
                    uses.append(pos)
            if has_alternative or not uses:
                continue
            decl, _, kind, pred = decls[0]
            line = ctx.source.position(decl)[0]
            pos = uses[0]
            more = f" ({len(uses)} uses in compiled code)" if len(uses) > 1 else ""
            yield ctx.finding(
                self,
                pos,
                pos + len(name),
                f"`{name}` is declared only under `#[cfg({pred})]` (`{kind}` at line {line}) but used here in code "
                f"aarch64 compiles{more}: the aarch64 build fails with \"cannot find `{name}`\"",
                f"give `{name}` an aarch64 or generic definition under `#[cfg(not({pred}))]` "
                "(NEON via `std::arch::aarch64`, or portable Rust), or put this use under the same cfg "
                "(`if cfg!(...)` is not enough: the code is still compiled)",
                properties={"item": name, "kind": kind, "cfg": pred, "uses": len(uses)},
            )

    @staticmethod
    def _in_impl(cfg, masked: str, offset: int) -> bool:
        inner = None
        for open_, close in cfg.pairs:
            if open_ >= offset:
                break
            if close > offset:
                inner = open_
        if inner is None:
            return False
        head = masked[cfg._statement_start(inner) : inner]
        return re.search(r"(?:^|\s)(?:unsafe\s+)?(?:impl|trait)\b", head) is not None

    @staticmethod
    def _in_use(masked: str, pos: int) -> bool:
        """Whether pos is inside a `use …;` declaration."""
        lo = max(0, pos - 2000)
        start = max(masked.rfind(";", lo, pos), masked.rfind("}", lo, pos), masked.rfind("]", lo, pos))
        if start < 0:
            start = lo - 1
        head = masked[start + 1 : pos]
        return re.match(r"\s*(?:#\[[^\]]*\]\s*)*(?:pub(?:\([^)]*\))?\s+)?use\b", head) is not None
