"""Which code an AArch64 build compiles, across languages: one question, "does a
linux/arm64 build compile this, and does an x86-64 build?", answered from the conventions of
each language. Go: file-name suffixes (`_amd64.go`) and `//go:build` lines; Rust: `cfg(...)`
predicates; C and C++: the preprocessor model (preprocessor.py); every language: x86
directories beside Arm ones (layout.py).

Answers are three-valued: True, False, or None when the build decides by something we cannot
see (a custom build tag, a Cargo feature)."""

from __future__ import annotations

import re
from dataclasses import dataclass

# -- targets ----------------------------------------------------------------------------------

#: (GOOS, GOARCH) of the builds compared
ARM64 = ("linux", "arm64")
X86_64 = ("linux", "amd64")

KNOWN_GOOS = frozenset(
    "aix android darwin dragonfly freebsd hurd illumos ios js linux nacl netbsd openbsd plan9 solaris wasip1 windows zos".split()
)
KNOWN_GOARCH = frozenset(
    "386 amd64 amd64p32 arm arm64 arm64be armbe loong64 mips mipsle mips64 mips64le mips64p32 mips64p32le ppc ppc64 "
    "ppc64le riscv riscv64 s390 s390x sparc sparc64 wasm".split()
)
_UNIX = frozenset("aix android darwin dragonfly freebsd hurd illumos ios linux netbsd openbsd solaris".split())
#: tags every gc build of the time sets besides GOOS/GOARCH (`cgo` when a C compiler exists)
_ALWAYS_ON = frozenset({"gc", "cgo"})


@dataclass(frozen=True)
class Selection:
    """Whether each build compiles a piece of code, and why."""

    arm64: bool | None
    x86_64: bool | None
    reason: str = ""

    @property
    def x86_only(self) -> bool:
        return self.x86_64 is not False and self.arm64 is False


ALWAYS = Selection(True, True, "")


# -- Go -----------------------------------------------------------------------------------------

_GO_BUILD_LINE = re.compile(r"^//go:build[ \t]+(?P<expr>[^\n]+)$", re.M)
_GO_PLUS_BUILD = re.compile(r"^//[ \t]*\+build[ \t]+(?P<expr>[^\n]+)$", re.M)
_GO_PACKAGE = re.compile(r"^package[ \t]", re.M)


def go_file(rel_path: str, text: str, *, default_tags: bool = False) -> Selection:
    """Whether `go build` for linux/arm64 and linux/amd64 compiles this .go (or Go assembly
    `.s`) file. With `default_tags`, custom tags (`purego`, `noasm`, `appengine`) count as
    unset, as in a plain `go build` without `-tags`; otherwise they make the answer None."""
    name = rel_path.rsplit("/", 1)[-1]
    stem = name[:-3] if name.endswith(".go") else name[:-2] if name.endswith((".s", ".S")) else name
    if stem.endswith("_test"):
        stem = stem[: -len("_test")]
    by_name = _go_name_constraint(stem)
    expr = _go_constraint_text(text)
    results = []
    for goos, goarch in (ARM64, X86_64):
        ok: bool | None = True
        if by_name is not None:
            ok = by_name(goos, goarch)
        if ok and expr is not None:
            ok = evaluate_go_constraint(expr, goos, goarch, default_tags=default_tags)
        results.append(ok)
    reason = " and ".join(filter(None, [f"file name `{name}`" if by_name else "", f"`//go:build {expr}`" if expr else ""]))
    return Selection(results[0], results[1], reason)


def _go_name_constraint(stem: str):
    """The implicit constraint of `name_GOOS_GOARCH`, `name_GOARCH` or `name_GOOS`."""
    parts = stem.split("_")
    if len(parts) >= 3 and parts[-2] in KNOWN_GOOS and parts[-1] in KNOWN_GOARCH:
        os_, arch = parts[-2], parts[-1]
        return lambda goos, goarch: _goos_matches(os_, goos) and arch == goarch
    if len(parts) >= 2 and parts[-1] in KNOWN_GOARCH:
        arch = parts[-1]
        return lambda goos, goarch: arch == goarch
    if len(parts) >= 2 and parts[-1] in KNOWN_GOOS:
        os_ = parts[-1]
        return lambda goos, goarch: _goos_matches(os_, goos)
    return None


def _goos_matches(os_: str, goos: str) -> bool:
    return os_ == goos or (os_ == "linux" and goos == "android") or (os_ == "solaris" and goos == "illumos")


def _go_constraint_text(text: str) -> str | None:
    """The `//go:build` expression of the file header (before `package`), or the `// +build`
    lines joined as the go tool reads them."""
    end = _GO_PACKAGE.search(text)
    head = text[: end.start()] if end else text[:4096]
    m = _GO_BUILD_LINE.search(head)
    if m:
        return m.group("expr").strip()
    lines = [m.group("expr").strip() for m in _GO_PLUS_BUILD.finditer(head)]
    if not lines:
        return None
    # `// +build a,b c` = (a && b) || c; several lines are ANDed
    ors = []
    for line in lines:
        alts = [" && ".join(_plus_term(t) for t in alt.split(",")) for alt in line.split()]
        ors.append("(" + " || ".join(f"({a})" for a in alts) + ")")
    return " && ".join(ors)


def _plus_term(term: str) -> str:
    return f"!{term[1:]}" if term.startswith("!") else term


_GO_TOKEN = re.compile(r"\s*(?:(?P<op>&&|\|\||!|\(|\))|(?P<tag>[\w.]+))")


def evaluate_go_constraint(expr: str, goos: str, goarch: str, *, default_tags: bool = False) -> bool | None:
    """A build-constraint expression for one GOOS/GOARCH; None for a tag we cannot know
    (a custom tag that `go build -tags` may set: `purego`, `noasm`…) when it decides, or
    False for such a tag with `default_tags` (a plain `go build`)."""
    tokens = []
    pos = 0
    while pos < len(expr):
        m = _GO_TOKEN.match(expr, pos)
        if m is None:
            if expr[pos:].strip():
                return None
            break
        tokens.append(m.group("op") or ("tag", m.group("tag")))
        pos = m.end()
    tags = {goos, goarch} | _ALWAYS_ON | ({"unix"} if goos in _UNIX else set())

    def tag_value(tag: str) -> bool | None:
        if tag in tags or re.fullmatch(r"go1\.\d+", tag):
            return True
        if tag in KNOWN_GOOS or tag in KNOWN_GOARCH or tag in ("unix", "gccgo", "ignore"):
            return False
        # a custom tag: off by default, but a build may turn it on
        return False if default_tags else None

    index = 0

    def parse_or():
        nonlocal index
        value = parse_and()
        while index < len(tokens) and tokens[index] == "||":
            index += 1
            value = _or(value, parse_and())
        return value

    def parse_and():
        nonlocal index
        value = parse_not()
        while index < len(tokens) and tokens[index] == "&&":
            index += 1
            value = _and(value, parse_not())
        return value

    def parse_not():
        nonlocal index
        if index < len(tokens) and tokens[index] == "!":
            index += 1
            v = parse_not()
            return None if v is None else not v
        if index < len(tokens) and tokens[index] == "(":
            index += 1
            v = parse_or()
            if index < len(tokens) and tokens[index] == ")":
                index += 1
            return v
        if index < len(tokens) and isinstance(tokens[index], tuple):
            tag = tokens[index][1]
            index += 1
            return tag_value(tag)
        index += 1
        return None

    try:
        return parse_or()
    except RecursionError:
        return None


def _and(a: bool | None, b: bool | None) -> bool | None:
    if a is False or b is False:
        return False
    return None if a is None or b is None else True


def _or(a: bool | None, b: bool | None) -> bool | None:
    if a is True or b is True:
        return True
    return None if a is None or b is None else False


_GO_ASM_TEXT = re.compile(r"^[ \t]*TEXT[ \t]+[\w./\"]*\u00b7\w+", re.M)


def is_go_assembly(text: str) -> bool:
    """Whether an assembly file is Go (Plan 9) assembly: `TEXT ·name(SB)` symbols. The go
    tool selects such files by their `_GOARCH.s` name and `//go:build` lines, never the C
    toolchain, so the Go rules judge them with their package."""
    return _GO_ASM_TEXT.search(text) is not None


# -- Rust ---------------------------------------------------------------------------------------

_RUST_TOKEN = re.compile(r'\s*(?:(?P<punct>[(),=])|(?P<str>"[^"]*")|(?P<ident>[A-Za-z_][\w]*))')
_RUST_TARGETS = {
    "arm64": {"target_arch": "aarch64", "target_os": "linux", "target_family": "unix", "target_pointer_width": "64",
              "target_endian": "little", "target_env": "gnu", "target_vendor": "unknown"},
    "x86_64": {"target_arch": "x86_64", "target_os": "linux", "target_family": "unix", "target_pointer_width": "64",
               "target_endian": "little", "target_env": "gnu", "target_vendor": "unknown"},
}
#: target features a default build of each target has on (x86-64 baseline: SSE2; AArch64: NEON)
_RUST_DEFAULT_FEATURES = {"arm64": {"neon", "fp"}, "x86_64": {"sse", "sse2", "fxsr"}}


def rust_cfg(predicate: str) -> Selection:
    """A `cfg(...)` predicate (the text inside `#[cfg(...)]` or `cfg!(...)`) for both targets."""
    values = [evaluate_rust_cfg(predicate, t) for t in ("arm64", "x86_64")]
    return Selection(values[0], values[1], f"`cfg({predicate.strip()})`")


def evaluate_rust_cfg(predicate: str, target: str) -> bool | None:
    tokens = []
    pos = 0
    while pos < len(predicate):
        m = _RUST_TOKEN.match(predicate, pos)
        if m is None:
            if predicate[pos:].strip():
                return None
            break
        tokens.append(m.group("punct") or m.group("ident") or m.group("str"))
        pos = m.end()
    facts = _RUST_TARGETS[target]
    index = 0

    def parse() -> bool | None:
        nonlocal index
        if index >= len(tokens):
            return None
        name = tokens[index]
        index += 1
        if name in ("all", "any", "not") and index < len(tokens) and tokens[index] == "(":
            index += 1
            items = []
            while index < len(tokens) and tokens[index] != ")":
                if tokens[index] == ",":
                    index += 1
                    continue
                items.append(parse())
            index += 1  # ")"
            if name == "not":
                return None if not items or items[0] is None else not items[0]
            result: bool | None = name == "all"
            for item in items:
                result = _and(result, item) if name == "all" else _or(result, item)
            return result
        if index < len(tokens) and tokens[index] == "=":
            index += 1
            value = tokens[index].strip('"') if index < len(tokens) else ""
            index += 1
            if name == "target_feature":
                return True if value in _RUST_DEFAULT_FEATURES[target] else None if _feature_of(target, value) else False
            if name in facts:
                return facts[name] == value
            return None  # feature = "…" and other keys a build chooses
        # a bare name: unix, windows, test, debug_assertions, doc…
        if name == "unix":
            return True
        if name == "windows":
            return False
        return None

    try:
        return parse()
    except (IndexError, RecursionError):
        return None


_X86_FEATURES = frozenset(
    "sse3 ssse3 sse4.1 sse4.2 sse4a avx avx2 fma bmi1 bmi2 lzcnt popcnt pclmulqdq aes sha adx rdrand rdseed f16c "
    "movbe avx512f avx512bw avx512cd avx512dq avx512vl avx512vnni avx512vbmi gfni vaes vpclmulqdq xsave cmpxchg16b".split()
)
_ARM_FEATURES = frozenset("neon fp aes sha2 sha3 crc lse rdm dotprod fp16 sve sve2 i8mm bf16 rcpc".split())


def _feature_of(target: str, feature: str) -> bool:
    """Whether a target feature exists on this architecture (then a build may enable it)."""
    return feature in (_ARM_FEATURES if target == "arm64" else _X86_FEATURES)
