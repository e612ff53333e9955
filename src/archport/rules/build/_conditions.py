"""Which conditional blocks of a build file enclose an offset, and whether an AArch64 build
can reach it.

One small structural model per build language, built once per file and cached in
`ctx.cache`: CMake `if/elseif/else/endif` (and `function`/`macro` bodies, whose names count as
conditions), Make `ifeq/ifneq/ifdef/ifndef/else/endif` and rule targets (recipes and
target-specific variables belong to their targets), Meson `if/elif/else/endif`, shell and
autoconf `if/elif/else/fi` and `case … esac` arms, Python blocks by indentation, Bazel
`select()` keys and `.bazelrc` `build:config` lines, gyp `['condition', {…}, {…}]` lists.

A condition is classified by the platform names it tests: x86 (`x86_64`, `AMD64`, `i686`,
`x64`, SSE/AVX feature names, the Intel compiler), AArch64/Arm (`aarch64`, `arm64`, `arm`,
NEON), or another platform (PowerPC, s390x, RISC-V, SunOS …), with negations (`NOT`, `!=`,
`ifneq`, `not in`) and alternatives (`x86_64|AMD64`, `OR`) taken into account. A branch that
only x86 (or only another non-AArch64 platform) enters is *x86-only*; so is an `else` after a
branch that AArch64 takes, and the `else` of a negated x86 test.
"""

from __future__ import annotations

import bisect
import os
import re
from dataclasses import dataclass, field

# -- platform vocabulary ---------------------------------------------------------------------

_B = r"(?<![A-Za-z0-9])"
X86_RE = re.compile(
    _B + r"(?:x86(?:[-_]?64)?|amd64|x64|x32|i[3-6?.x]86|i\[3-6\]86|\*86|ia32|k8|em64t|intel\w*|icc|icx|icpc|icpx|"
    r"sse[\d_.]*|ssse3|avx\w*|bmi\d?|pclmul\w*|vpclmul\w*|aesni|mmx|popcnt|lzcnt|f16c|sha_?ni|"
    r"m(?:sse|avx|bmi|pclmul)\w*|xsave\w*|rdrnd|rdseed|vaes|gfni|cx16|build(?:32|64)|m(?:32|64)|(?:32|64)bit|haswell|broadwell|skylake\w*|cascadelake|icelake\w*|sapphirerapids|znver\d|core2|nehalem|westmere|sandybridge|ivybridge|x86intrin|immintrin|cpuid|win64|nasm|yasm)(?![A-Za-z])",
    re.I,
)
ARM_RE = re.compile(_B + r"(?:aarch64|arm64|cortex\w*|arm(?!v[4-7])\w*|neon|acle|armv[89]\w*|sve\d?|a64)(?![A-Za-z])", re.I)
OTHER_RE = re.compile(
    _B + r"(?:ppc\w*|powerpc\w*|power[789]|altivec|vsx|s390x?|sparc\w*|mips\w*|riscv\w*|rv64\w*|"
    r"loongarch\w*|loong64|ia64|alpha\w*|hppa\w*|parisc\w*|m68k|m88k|e2k|sh[1-5]\w*|csky|nios2|microblaze\w*|or1k|"
    r"xtensa|vax|bfin|blackfin|tile\w*|sunos|solaris|aix|hp-?ux|wasm\w*|emscripten|"
    r"armv[4-7]\w*|armhf|armel|gnueabi\w*)(?![A-Za-z])",
    re.I,
)
#: Make target names that build a 32-bit or other-variant binary on purpose (`all32`, `m32build`)
_TARGET_32 = re.compile(r"(?:32(?:bit)?|(?<![A-Za-z0-9])m32\w*)$|32build", re.I)

_OR = re.compile(r"\bOR\b|\|\||(?<![\w-])-o(?![\w-])|\bor\b", re.I)
_AND = re.compile(r"\bAND\b|&&|(?<![\w-])-a(?![\w-])|\band\b", re.I)
_NEG = re.compile(r"\bNOT\b|!=|(?:^|[\s(\[])!(?!=)|\bnot\b|-ne\b|\bSTRNOTEQUAL\b|\$\(\s*NOT\b", re.I)
_QUOTED = re.compile(r"\"([^\"\n]*)\"|'([^'\n]*)'")

X86, NONARM, ARM, NEGX86, ANY = "x86", "nonarm", "arm", "negx86", "any"
_MAX_COND = 2000


def _piece_kind(piece: str) -> str | None:
    x86, arm, other = X86_RE.search(piece), ARM_RE.search(piece), OTHER_RE.search(piece)
    if arm and not other:
        return ARM if not x86 else None
    if x86:
        return X86
    if other:
        return NONARM
    return None


def _clause_kind(clause: str) -> str:
    """x86 / nonarm / arm (positive tests), negx86 (`NOT x86`), nonarm for `NOT arm`, or any."""
    kinds: set[str | None] = set()
    for m in _QUOTED.finditer(clause):
        value = m.group(1) if m.group(1) is not None else m.group(2)
        if "|" in value:  # a regex or pattern alternative list: every piece must be classified
            pieces = [p for p in value.split("|") if p.strip("^$()[]*.?+ ")]
            kinds.update(_piece_kind(p) for p in pieces)
            clause = clause.replace(m.group(0), " ")
    rest = _piece_kind(clause)
    if rest is not None:
        kinds.add(rest)
    negated = bool(_NEG.search(clause))
    if ARM in kinds and X86 not in kinds:
        # `"(arm(v[0-9])?|aarch64|cortex)"`: the test can match aarch64
        return NONARM if negated else ARM
    if not kinds or None in kinds:
        return ANY
    if kinds <= {X86}:
        return NEGX86 if negated else X86
    if kinds <= {X86, NONARM}:
        return ANY if negated else NONARM
    if kinds == {ARM}:
        return NONARM if negated else ARM
    return ANY


def classify(cond: str, negate: bool = False) -> str:
    """What kind of platform a condition selects: X86, NONARM (some non-AArch64 platform),
    ARM, NEGX86 (everything but x86) or ANY."""
    alts = []
    cond = cond[:_MAX_COND]  # a runaway "condition" (unbalanced file) is not worth reading whole
    for alt in _OR.split(cond):
        clauses = [_clause_kind(c) for c in _AND.split(alt) if c.strip()]
        if not clauses:
            continue
        if X86 in clauses:
            alts.append(X86)
        elif NONARM in clauses:
            alts.append(NONARM)
        elif ARM in clauses:
            alts.append(ARM)
        elif NEGX86 in clauses and all(c in (NEGX86, ANY) for c in clauses) and len(clauses) == 1:
            alts.append(NEGX86)
        else:
            alts.append(ANY)
    if not alts:
        kind = ANY
    elif all(a == X86 for a in alts):
        kind = X86
    elif all(a in (X86, NONARM) for a in alts):
        kind = NONARM
    elif all(a == ARM for a in alts):
        kind = ARM
    elif all(a == NEGX86 for a in alts):
        kind = NEGX86
    else:
        kind = ANY
    if negate:
        kind = {X86: NEGX86, NEGX86: X86, ARM: NONARM, NONARM: ANY}.get(kind, ANY)
    return kind


#: x86 words inside identifiers (`ssse3flag`, `bmix64build`, `check_xsave_intrinsics`)
_NAME_X86 = re.compile(
    r"x86|x64|amd64|i[3-6]86|ia32|(?<![a-ln-rt-z])sse|avx|(?<![a-ln-z])bmi|pclmul|aesni|popcnt|lzcnt|f16c|xsave|"
    r"rdrnd|rdseed|vaes|gfni|cx16|mmx|fma4|haswell|skylake|cascadelake|icelake|znver|sapphirerapids|intel|"
    r"(?<![a-z])icc|nasm|yasm|(?<![a-z0-9])m32|32bit|build32|32build|^\w*?32$",
    re.I,
)


def names_x86(text: str) -> bool:
    """A name (variable, target, file, function) that names x86 or its instruction sets and
    nothing Arm."""
    return bool(X86_RE.search(text) or _NAME_X86.search(text)) and not ARM_RE.search(text)


def names_other_platform(text: str) -> bool:
    return bool(OTHER_RE.search(text)) and not ARM_RE.search(text)


# -- the model ------------------------------------------------------------------------------


@dataclass
class Branch:
    kind: str  # if, elif, else, arm, default, def, target, select, config
    head: int  # offset of the keyword / pattern
    start: int  # body start
    end: int = -1  # body end
    cond: str = ""
    negate: bool = False  # the condition is written negated (ifneq, ifndef)
    chain: list["Branch"] = field(default_factory=list, repr=False)
    subject: str = ""  # the word a case statement examines
    case_head: int = -1  # offset of the `case` keyword, for case arms
    model: "Model | None" = field(default=None, repr=False, compare=False)
    _own: str | None = field(default=None, repr=False, compare=False)

    @property
    def priors(self) -> list["Branch"]:
        return self.chain[: self.chain.index(self)]

    def platform(self) -> str:
        """X86 / NONARM when an AArch64 build never enters this branch, ARM when only AArch64
        does, else ANY."""
        if self.kind in ("def", "target"):
            names = self.cond.split()
            named = None
            if names and all(names_x86(n) for n in names):
                named = X86
            elif names and all(names_other_platform(n) or self.kind == "target" and _TARGET_32.search(n) for n in names):
                named = NONARM
            if self.kind == "target" and self.model is not None:
                if named is not None:
                    # an x86-named target (`crc_sse42.o`, `all32`) is x86-only, unless a build
                    # variable pulls it in where AArch64 goes too (`OBJS += crc_sse42.o` outside
                    # any x86 branch, or behind an Arm switch the user must set by hand)
                    refs = self.model.target_x86_only(self, assignments_only=True)
                    return ANY if refs is False else named
                refs = self.model.target_x86_only(self)
                return X86 if refs else ANY
            return named or ANY
        if self.kind in ("else", "default"):
            prior = [b.own_kind() for b in self.priors]
            if any(k == ARM for k in prior):
                return NONARM  # AArch64 took an earlier branch
            if prior and any(k == NEGX86 for k in prior):
                return X86
            return ANY
        kind = self.own_kind()
        return kind if kind in (X86, NONARM, ARM) else ANY

    def own_kind(self) -> str:
        if self._own is None:
            switch = self.model.arm_user_switch(self.cond) if self.model is not None and self.kind in ("if", "elif") else None
            if switch:
                # `ifeq ($(arm_neon),)`: a switch the user must pass on AArch64 (`make arm_neon=1`);
                # a plain `make` there takes this branch
                self._own = ANY
            elif self.kind == "arm":
                self._own = _arm_pattern_kind(self.cond[:_MAX_COND])
            else:
                self._own = classify(self.cond, self.negate)
        return self._own


def _arm_pattern_kind(pattern: str) -> str:
    pieces = [p.strip().strip("\"'") for p in pattern.split("|") if p.strip()]
    if not pieces or any(p in ("*", "*)") for p in pieces):
        return ANY
    kinds = {_piece_kind(p) for p in pieces}
    if None in kinds:
        return ANY
    if kinds <= {X86}:
        return X86
    if kinds <= {X86, NONARM}:
        return NONARM
    if kinds == {ARM}:
        return ARM
    return ANY


@dataclass
class Model:
    branches: list[Branch]
    chains: list[list[Branch]]
    starts: list[int] = field(default_factory=list)
    text: str | None = None
    language: str = ""
    _target_cache: dict = field(default_factory=dict)
    _switch_cache: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.branches.sort(key=lambda b: b.start)
        self.starts = [b.start for b in self.branches]
        for b in self.branches:
            b.model = self
        # Make targets and conditional blocks nest among themselves but not with each other:
        # one nesting index for each
        self._indexes = [_Index([b for b in self.branches if b.kind == "target"]),
                         _Index([b for b in self.branches if b.kind != "target"])]

    def arm_user_switch(self, cond_text: str) -> str | None:
        """The variable when a Make condition only tests an Arm-named variable (`$(arm_neon)`,
        `aarch64`) that nothing in the file derives from the machine: a user switch."""
        if self.language != "make":
            return None
        m = re.fullmatch(r"\s*(?:\$[({](\w+)[)}]|(\w+))\s*", cond_text)
        if not m:
            return None
        var = m.group(1) or m.group(2)
        if not ARM_RE.search(var) or X86_RE.search(var):
            return None
        if var in self._switch_cache:
            return self._switch_cache[var]
        self._switch_cache[var] = None
        derived = False
        for a in re.finditer(r"^[ \t]*(?:override[ \t]+|export[ \t]+)?" + re.escape(var) + r"[ \t]*(?:\?|:|\+)?=([^\n]*)", self.text or "", re.M):
            if re.search(r"\$\(shell|uname|\$[({](?:ARCH|arch|UNAME\w*|uname\w*|HOST\w*|MACHINE|CPU)\b", a.group(1)):
                derived = True
                break
            for b in self.enclosing(a.start()):
                if b.kind in ("if", "elif") and b.cond.strip() != cond_text.strip() and not self.arm_user_switch(b.cond):
                    derived = True
                    break
            if derived:
                break
        self._switch_cache[var] = None if derived else var
        return self._switch_cache[var]

    def target_x86_only(self, target: Branch, assignments_only: bool = False) -> bool | None:
        """For a Make rule whose targets are mentioned elsewhere in the file (`OBJS += crc.o`):
        True when every mention is inside an x86-only branch, else False; None when the
        targets are never mentioned (opt-in targets such as `all32`)."""
        key = (target.cond, assignments_only)
        if key in self._target_cache:
            return self._target_cache[key]
        self._target_cache[key] = None  # guards recursion
        uses = self.target_uses(target, assignments_only)
        result = None
        if uses:
            result = all(
                any(b.platform() in (X86, NONARM) for b in self.enclosing(u) if b is not target)
                for u in uses
            )
        self._target_cache[key] = result
        return result

    def _var_builds(self, var: str) -> bool:
        """`$(VAR)` is used as a prerequisite, in a recipe or in another build variable — not
        only as a rule target or a CLEAN list."""
        text = self.text or ""
        for m in re.finditer(r"\$[({]" + re.escape(var) + r"[)}]", text):
            line_start = text.rfind("\n", 0, m.start()) + 1
            head = text[line_start : m.start()]
            if not head.strip() and re.match(r"[ \t]*:", text[m.end() : m.end() + 40]):
                continue  # `$(VAR) : …` names the targets
            if re.match(r"[ \t]*\w*(?:CLEAN|clean)\w*[ \t]*(?:\+|:|\?)?=", head):
                continue
            return True
        return False

    def target_uses(self, target: Branch, assignments_only: bool = False) -> list[int]:
        """Where the targets are pulled into a build: variable assignments (`OBJS += x.o`) and
        prerequisite lists of other rules; not `.PHONY`, not recipes (`$(MAKE) all32`)."""
        names = [n for n in target.cond.split() if "%" not in n and "$" not in n]
        text = self.text or ""
        out = []
        for name in names:
            for m in re.finditer(r"(?<![\w./-])" + re.escape(name) + r"(?![\w.-])", text):
                if target.head <= m.start() < target.head + len(target.cond) + 1:
                    continue
                line_start = text.rfind("\n", 0, m.start()) + 1
                while line_start >= 2 and text[line_start - 2] == "\\":
                    line_start = text.rfind("\n", 0, line_start - 1) + 1
                head = text[line_start : m.start()]
                assign = re.match(r"[ \t]*(?:override[ \t]+|export[ \t]+)?(?!\w*CLEAN|\w*clean|RM\b)[\w.]+[ \t]*(?:\+|:|\?|::)?=", head)
                if head.startswith("\t") and not (assign and "$(" not in head[: assign.end()]) or head.lstrip().startswith("."):
                    continue  # a recipe line, or .PHONY/.SECONDARY
                if assignments_only and not assign:
                    continue
                if assign:
                    var = re.search(r"([\w.]+)[ \t]*(?:\+|:|\?|::)?=$", head[: assign.end()].rstrip())
                    if var and not self._var_builds(var.group(1)):
                        continue  # `FULLBENCHS := fullbench fullbench32` only names targets
                if re.match(r"[ \t]*(?:override[ \t]+|export[ \t]+)?(?!\w*CLEAN|\w*clean|RM\b)[\w.]+[ \t]*(?:\+|:|\?|::)?=", head) or \
                        re.match(r"[^\t=#\n]*[^:=]:(?!=)", head):
                    out.append(m.start())
        return out

    def enclosing(self, offset: int) -> list[Branch]:
        out: list[Branch] = []
        for index in self._indexes:
            out.extend(index.enclosing(offset))
        return out


class _Index:
    """Branches sorted by start with parent links (the innermost earlier branch that contains
    each one's start), so that the branches around an offset are found by walking up from the
    last branch that starts before it: O(depth), not O(branches)."""

    def __init__(self, branches: list[Branch]):
        self.branches = sorted(branches, key=lambda b: (b.start, -b.end))
        self.starts = [b.start for b in self.branches]
        self.parent: list[int] = []
        stack: list[int] = []
        for i, b in enumerate(self.branches):
            while stack and self.branches[stack[-1]].end <= b.start:
                stack.pop()
            self.parent.append(stack[-1] if stack else -1)
            stack.append(i)

    def enclosing(self, offset: int) -> list[Branch]:
        out = []
        j = bisect.bisect_right(self.starts, offset) - 1
        steps = 0
        while j >= 0 and steps < 10000:
            b = self.branches[j]
            if b.start <= offset < b.end:
                out.append(b)
            j = self.parent[j]
            steps += 1
        return out


def model(ctx) -> Model:
    cached = ctx.cache.get("bd_model")
    if cached is None:
        builder = _BUILDERS.get(ctx.language)
        chains = builder(ctx) if builder else []
        branches = [b for chain in chains for b in chain]
        if ctx.language == "make":
            branches.extend(_make_targets(ctx))
        cached = ctx.cache["bd_model"] = Model(branches, chains, text=ctx.masked, language=ctx.language)
    return cached


def x86_only_reason(ctx, offset: int) -> str | None:
    """Why an AArch64 build never reaches offset (a short phrase), or None when it may."""
    for b in model(ctx).enclosing(offset):
        kind = b.platform()
        if kind in (X86, NONARM):
            what = {"def": "definition", "target": "Make target", "select": "select() key", "config": "named config"}.get(b.kind, "branch")
            return f"{what} `{_short(b.cond) or b.kind}`"
    return None


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 60 else text[:57] + "..."


# -- CMake ----------------------------------------------------------------------------------

_CMAKE_CMD = re.compile(
    r"^[ \t]*(if|elseif|else|endif|function|endfunction|macro|endmacro)[ \t]*\(", re.M | re.I
)


def _cmake(ctx) -> list[list[Branch]]:
    text = ctx.masked
    chains: list[list[Branch]] = []
    stack: list[list[Branch]] = []
    for m in _CMAKE_CMD.finditer(text):
        word = m.group(1).lower()
        open_ = m.end() - 1
        close = matching(ctx, open_)
        if close < 0:
            continue
        arg = text[open_ + 1 : close - 1]
        line_end = text.find("\n", close)
        body = len(text) if line_end < 0 else line_end + 1
        if word in ("if", "function", "macro"):
            kind = "if" if word == "if" else "def"
            cond = arg if word == "if" else (arg.split() or [""])[0]
            chain: list[Branch] = []
            b = Branch(kind, m.start(1), body, cond=cond, chain=chain)
            chain.append(b)
            stack.append(chain)
            chains.append(chain)
        elif word in ("elseif", "else") and stack and stack[-1][0].kind == "if":
            chain = stack[-1]
            chain[-1].end = m.start()
            chain.append(Branch("elif" if word == "elseif" else "else", m.start(1), body, cond=arg if word == "elseif" else "", chain=chain))
        elif word in ("endif", "endfunction", "endmacro") and stack:
            chain = stack.pop()
            chain[-1].end = m.start()
    for chain in stack:
        chain[-1].end = len(text)
    return chains


# -- Make -----------------------------------------------------------------------------------

_MAKE_DIRECTIVE = re.compile(r"^[ ]*(?:(else)[ \t]+)?(ifeq|ifneq|ifdef|ifndef)\b[ \t]*([^\n]*)|^[ ]*(else|endif)\b[^\n]*", re.M)


def _make_cond(word: str, arg: str) -> tuple[str, bool]:
    """(condition text, negated) of an ifeq/ifneq/ifdef/ifndef line."""
    negate = word in ("ifneq", "ifndef")
    arg = arg.strip()
    if word in ("ifeq", "ifneq"):
        inner = arg[1:-1] if arg.startswith("(") and arg.endswith(")") else arg
        parts = _split_make_args(inner)
        if len(parts) == 2:
            a, b = (p.strip().strip("\"'") for p in parts)
            if not a or not b:
                # ifneq (,$(filter x86_64,$(ARCH))): "the filter result is not empty"
                return a or b, not negate
            return f"{a} == {b}", negate
    return arg, negate


def _split_make_args(inner: str) -> list[str]:
    depth = 0
    for i, ch in enumerate(inner):
        if ch in "({":
            depth += 1
        elif ch in ")}":
            depth -= 1
        elif ch == "," and depth == 0:
            return [inner[:i], inner[i + 1 :]]
    return [inner]


def _make(ctx) -> list[list[Branch]]:
    text = ctx.masked
    chains: list[list[Branch]] = []
    stack: list[list[Branch]] = []
    for m in _MAKE_DIRECTIVE.finditer(text):
        body = m.end() + 1
        if m.group(2):  # ifeq / else ifeq
            cond, negate = _make_cond(m.group(2), m.group(3))
            if m.group(1) and stack:
                chain = stack[-1]
                chain[-1].end = m.start()
                chain.append(Branch("elif", m.start(), body, cond=cond, negate=negate, chain=chain))
            else:
                chain = []
                chain.append(Branch("if", m.start(), body, cond=cond, negate=negate, chain=chain))
                stack.append(chain)
                chains.append(chain)
        elif m.group(4) == "else" and stack:
            chain = stack[-1]
            chain[-1].end = m.start()
            chain.append(Branch("else", m.start(), body, chain=chain))
        elif m.group(4) == "endif" and stack:
            chain = stack.pop()
            chain[-1].end = m.start()
    for chain in stack:
        chain[-1].end = len(text)
    return chains


_MAKE_RULE = re.compile(r"^([^\s:=#][^:=\n]*?)[ \t]*::?(?![=])[ \t]*([^\n]*)$", re.M)


def _make_targets(ctx) -> list[Branch]:
    """A rule's recipe (and a target-specific variable line) as a branch whose condition is
    the target names: `all32: CFLAGS += -m32` and `zstd32: …\\n\\t$(CC) -m32 …` belong to
    variant targets."""
    text = ctx.masked
    out = []
    for m in _MAKE_RULE.finditer(text):
        targets = m.group(1)
        if re.match(r"(?:ifeq|ifneq|ifdef|ifndef|else|endif|define|endef|include|-include|vpath)\b", targets):
            continue
        # the recipe: following lines that start with a tab (or continue with a backslash)
        end = m.end()
        pos = end + 1
        while pos < len(text):
            nl = text.find("\n", pos)
            line = text[pos : nl if nl >= 0 else len(text)]
            if line.startswith("\t") or not line.strip() or text[pos - 2 : pos - 1] == "\\":
                if nl < 0:
                    pos = len(text)
                    break
                pos = nl + 1
                continue
            break
        out.append(Branch("target", m.start(), m.start(), end=max(pos, m.end()), cond=targets))
    return out


# -- Meson ----------------------------------------------------------------------------------

_MESON_KW = re.compile(r"^[ \t]*(if|elif|else|endif)\b([^\n]*)", re.M)


def _meson(ctx) -> list[list[Branch]]:
    text = ctx.masked
    chains: list[list[Branch]] = []
    stack: list[list[Branch]] = []
    for m in _MESON_KW.finditer(text):
        word, cond = m.group(1), m.group(2)
        body = m.end() + 1
        if word == "if":
            chain: list[Branch] = []
            chain.append(Branch("if", m.start(1), body, cond=cond, chain=chain))
            stack.append(chain)
            chains.append(chain)
        elif word in ("elif", "else") and stack:
            chain = stack[-1]
            chain[-1].end = m.start()
            chain.append(Branch(word if word == "else" else "elif", m.start(1), body, cond=cond if word == "elif" else "", chain=chain))
        elif word == "endif" and stack:
            chain = stack.pop()
            chain[-1].end = m.start()
    for chain in stack:
        chain[-1].end = len(text)
    return chains


# -- shell and autoconf ---------------------------------------------------------------------

_SH_TOKEN = re.compile(
    r"(?:^|(?<=[;&|({`])|(?<=\bthen)|(?<=\bdo)|(?<=\belse))[ \t]*(if|elif|else|fi|case|esac)(?=[\s;]|$)"
    r"|(;;|;&|;;&)",
    re.M,
)
_THEN = re.compile(r"\bthen\b")
_CASE_IN = re.compile(r"case[ \t]+([^\n;]*?)[ \t]+in\b")
_ARM_PATTERN = re.compile(r"[ \t\n]*\(?[ \t]*((?:[^()\n;\\]|\\\n|\\.)*?)\)")


def _shell(ctx) -> list[list[Branch]]:
    text = ctx.masked
    chains: list[list[Branch]] = []
    stack: list[list[Branch]] = []  # if-chains and case-chains
    n = len(text)

    def open_arm(chain: list[Branch], pos: int) -> int:
        """Parse a case arm pattern at pos; return where scanning continues."""
        m = _ARM_PATTERN.match(text, pos)
        if not m or m.group(1).strip().startswith("esac") or not m.group(1).strip():
            return pos
        pattern = m.group(1).strip()
        kind = "default" if pattern.strip("\"'") in ("*",) or pattern.endswith("|*") else "arm"
        chain.append(Branch(kind, m.start(1), m.end(), cond=pattern, chain=chain, subject=chain[0].subject if chain else ""))
        return m.end()

    pos = 0
    while pos < n:
        m = _SH_TOKEN.search(text, pos)
        if m is None:
            break
        word = m.group(1) or m.group(2)
        pos = m.end()
        if word == "if":
            then = _THEN.search(text, m.end(), m.end() + 4000)
            cond = text[m.end() : then.start()] if then else ""
            body = then.end() if then else m.end()
            chain: list[Branch] = []
            chain.append(Branch("if", m.start(1), body, cond=cond, chain=chain))
            stack.append(chain)
            chains.append(chain)
            pos = body
        elif word == "elif" and stack and stack[-1][0].kind == "if":
            then = _THEN.search(text, m.end(), m.end() + 4000)
            cond = text[m.end() : then.start()] if then else ""
            chain = stack[-1]
            chain[-1].end = m.start(1)
            body = then.end() if then else m.end()
            chain.append(Branch("elif", m.start(1), body, cond=cond, chain=chain))
            pos = body
        elif word == "else" and stack and stack[-1][0].kind == "if":
            chain = stack[-1]
            chain[-1].end = m.start(1)
            chain.append(Branch("else", m.start(1), m.end(), chain=chain))
        elif word == "fi" and stack and stack[-1][0].kind == "if":
            chain = stack.pop()
            chain[-1].end = m.start(1)
        elif word == "case":
            cin = _CASE_IN.match(text, m.start(1))
            if not cin:
                continue
            chain = []
            # a placeholder head carrying the subject; arms follow
            head = Branch("case", m.start(1), cin.end(), end=cin.end(), cond="", subject=cin.group(1), chain=chain)
            chain.append(head)
            stack.append(chain)
            chains.append(chain)
            pos = open_arm(chain, cin.end())
        elif word in (";;", ";&", ";;&") and stack and stack[-1][0].kind == "case":
            chain = stack[-1]
            if chain[-1].kind != "case" and chain[-1].end < 0:
                chain[-1].end = m.start()
            pos = open_arm(chain, m.end())
        elif word == "esac" and stack and stack[-1][0].kind == "case":
            chain = stack.pop()
            if chain[-1].end < 0:
                chain[-1].end = m.start(1)
            chain[0].end = m.end()
            chain[0].start = chain[0].head
    for chain in stack:
        if chain[-1].end < 0:
            chain[-1].end = n
        if chain[0].kind == "case":
            chain[0].end = n
    # the case head itself is not a branch
    out = []
    for chain in chains:
        if chain and chain[0].kind == "case":
            head = chain[0]
            arms = [b for b in chain[1:]]
            for b in arms:
                b.subject = head.subject
                b.case_head = head.head
            arms_chain = arms
            for b in arms:
                b.chain = arms_chain
            out.append(arms_chain if arms_chain else [])
            case_index = ctx.cache.setdefault("bd_case_heads", [])
            case_index.append((head.head, head.end, head.subject, arms_chain))
        else:
            out.append(chain)
    return [c for c in out if c]


_HEREDOC = re.compile(r"<<-?[ \t]*[\"']?(\w+)[\"']?[^\n]*\n")


def m4_call_end(text: str, open_: int, limit: int = 200000) -> int:
    """Offset just past the `)` closing an m4 call opened at open_, honouring `[…]` quotes
    (shell `case` patterns inside the quotes leave parentheses unbalanced)."""
    quote = paren = 0
    for i in range(open_, min(len(text), open_ + limit)):
        ch = text[i]
        if ch == "[":
            quote += 1
        elif ch == "]":
            quote = max(0, quote - 1)
        elif quote == 0 and ch == "(":
            paren += 1
        elif quote == 0 and ch == ")":
            paren -= 1
            if paren == 0:
                return i + 1
    return -1


_ARG_OPTION = re.compile(r"\bAC_ARG_(?:WITH|ENABLE)[ \t]*\([ \t\n]*\[?([\w-]+)")


def autoconf_option(ctx, offset: int) -> str | None:
    """The name of the AC_ARG_WITH/AC_ARG_ENABLE whose action holds offset (`--with-icc`)."""
    spans = ctx.cache.get("bd_arg_options")
    if spans is None:
        spans = []
        text = ctx.masked
        for m in _ARG_OPTION.finditer(text):
            open_ = text.index("(", m.start())
            end = m4_call_end(text, open_)
            if end > 0:
                spans.append((open_, end, m.group(1)))
        ctx.cache["bd_arg_options"] = spans
    for s, e, name in spans:
        if s < offset < e:
            return name
    return None


def heredocs(ctx) -> list[tuple[int, int]]:
    """(start, end) of every here-document body in a shell/autoconf file."""
    spans = ctx.cache.get("bd_heredocs")
    if spans is None:
        spans = []
        text = ctx.masked
        for m in _HEREDOC.finditer(text):
            end = re.compile(r"^[ \t]*" + re.escape(m.group(1)) + r"[ \t]*$", re.M).search(text, m.end())
            spans.append((m.end(), end.start() if end else len(text)))
        ctx.cache["bd_heredocs"] = spans
    return spans


def in_case_pattern(ctx, offset: int) -> bool:
    """offset lies in a `case` arm pattern (`*-m32*)`): a test, not a use."""
    spans = ctx.cache.get("bd_case_patterns")
    if spans is None:
        spans = sorted((b.head, b.start) for b in model(ctx).branches if b.kind in ("arm", "default") and b.head < b.start)
        ctx.cache["bd_case_patterns"] = spans
    i = bisect.bisect_right(spans, (offset, 1 << 62)) - 1
    return i >= 0 and spans[i][0] <= offset < spans[i][1]


def case_statements(ctx) -> list[tuple[int, int, str, list[Branch]]]:
    """(start, end, subject, arms) of every shell `case` statement."""
    model(ctx)
    return ctx.cache.get("bd_case_heads", [])


# -- autoconf: shell plus AS_IF / AS_CASE ---------------------------------------------------

_AS_MACRO = re.compile(r"\bAS_(IF|CASE)\(")


def _autoconf(ctx) -> list[list[Branch]]:
    chains = _shell(ctx)
    text = ctx.masked
    for m in _AS_MACRO.finditer(text):
        close = matching(ctx, m.end() - 1, limit=200000)
        if close < 0:
            continue
        args = _m4_args(text, m.end(), close - 1)
        if not args:
            continue
        chain: list[Branch] = []
        if m.group(1) == "IF":
            # AS_IF([test1], [then1], [test2], [then2], ..., [else])
            i = 0
            while i + 1 < len(args):
                (cs, ce), (bs, be) = args[i], args[i + 1]
                chain.append(Branch("if" if i == 0 else "elif", cs, bs, end=be, cond=text[cs:ce], chain=chain))
                i += 2
            if i < len(args):
                bs, be = args[i]
                chain.append(Branch("else", bs, bs, end=be, chain=chain))
        else:
            ss, se = args[0]
            subject = text[ss:se]
            rest = args[1:]
            i = 0
            while i + 1 < len(rest):
                (ps, pe), (bs, be) = rest[i], rest[i + 1]
                pattern = text[ps:pe].strip().strip("[]")
                chain.append(Branch("default" if pattern == "*" else "arm", ps, bs, end=be, cond=pattern, subject=subject, chain=chain, case_head=m.start()))
                i += 2
            if i < len(rest):
                bs, be = rest[i]
                chain.append(Branch("default", bs, bs, end=be, cond="*", subject=subject, chain=chain, case_head=m.start()))
            ctx.cache.setdefault("bd_case_heads", []).append((m.start(), close, subject, chain))
        if chain:
            chains.append(chain)
    return chains


def _m4_args(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The (start, end) spans of the top-level, comma-separated arguments of an m4 call, quotes
    `[…]` stripped."""
    out = []
    depth_paren = depth_quote = 0
    arg_start = start
    for i in range(start, end):
        ch = text[i]
        if ch == "[":
            depth_quote += 1
        elif ch == "]":
            depth_quote -= 1
        elif depth_quote == 0 and ch == "(":
            depth_paren += 1
        elif depth_quote == 0 and ch == ")":
            depth_paren -= 1
        elif ch == "," and depth_quote == 0 and depth_paren == 0:
            out.append(_strip_quotes(text, arg_start, i))
            arg_start = i + 1
    out.append(_strip_quotes(text, arg_start, end))
    return out


def _strip_quotes(text: str, s: int, e: int) -> tuple[int, int]:
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    if s < e and text[s] == "[" and text[e - 1] == "]":
        s, e = s + 1, e - 1
    return s, e


# -- Python (setup.py) ----------------------------------------------------------------------

_PY_BLOCK = re.compile(r"^([ \t]*)(if|elif|else)\b([^\n]*?):[ \t]*$", re.M)


def _python(ctx) -> list[list[Branch]]:
    text = ctx.masked
    chains: list[list[Branch]] = []
    open_chains: dict[int, list[Branch]] = {}
    for m in _PY_BLOCK.finditer(text):
        indent = len(m.group(1).expandtabs())
        word = m.group(2)
        body = m.end() + 1
        end = _py_block_end(text, body, indent)
        if word == "if":
            chain: list[Branch] = []
            chain.append(Branch("if", m.start(2), body, end=end, cond=m.group(3), chain=chain))
            open_chains[indent] = chain
            chains.append(chain)
        elif indent in open_chains:
            chain = open_chains[indent]
            chain.append(Branch(word, m.start(2), body, end=end, cond=m.group(3) if word == "elif" else "", chain=chain))
    return chains


def _py_block_end(text: str, pos: int, indent: int) -> int:
    while pos < len(text):
        nl = text.find("\n", pos)
        line = text[pos : nl if nl >= 0 else len(text)]
        if line.strip() and len(line) - len(line.lstrip()) <= indent:
            return pos
        if nl < 0:
            break
        pos = nl + 1
    return len(text)


# -- Bazel and gyp --------------------------------------------------------------------------

_SELECT = re.compile(r"\bselect\s*\(\s*\{")
_KEY = re.compile(r"[\"']([^\"'\n]+)[\"']\s*:")
_BAZELRC_LINE = re.compile(r"^[ \t]*(?:build|common|test|run)(?::([\w.-]+))?[ \t][^\n]*", re.M)


def _bazel(ctx) -> list[list[Branch]]:
    text = ctx.masked
    chains: list[list[Branch]] = []
    for m in _SELECT.finditer(text):
        brace = m.end() - 1
        close = matching(ctx, brace, limit=200000)
        if close < 0:
            continue
        chain: list[Branch] = []
        keys = [k for k in _KEY.finditer(text, brace + 1, close - 1) if _depth(ctx, brace, k.start()) == 0]
        for i, k in enumerate(keys):
            end = keys[i + 1].start() if i + 1 < len(keys) else close - 1
            key = k.group(1)
            kind = "default" if key.endswith("conditions:default") else "select"
            chain.append(Branch(kind if kind == "default" else "if", k.start(), k.end(), end=end, cond=key.rsplit(":", 1)[-1].rsplit("/", 1)[-1], chain=chain))
        if chain:
            # a default key is the else of the select: reached when no other key matches
            for b in chain:
                if b.kind == "default":
                    b.kind = "else"
                    chain.remove(b)
                    chain.append(b)
                    break
            chains.append(chain)
    for m in _BAZELRC_LINE.finditer(text):
        if m.group(1):
            chains.append([Branch("if", m.start(), m.start(), end=m.end(), cond=m.group(1))])
    return chains


def _depth(ctx, open_: int, offset: int) -> int:
    """Bracket depth of offset below the bracket opened at open_ (0 = directly inside)."""
    pairs = _pairs(ctx)
    depth = 0
    lo = bisect.bisect_right(pairs, (open_, 1 << 62))
    hi = bisect.bisect_left(pairs, (offset, -1))
    for o, c in pairs[lo:hi]:
        if c > offset:
            depth += 1
    return depth


_GYP_COND = re.compile(r"\[\s*(?:'([^'\n]+)'|\"([^\"\n]+)\")\s*,\s*$")


def _gyp(ctx) -> list[list[Branch]]:
    text = ctx.masked
    chains: list[list[Branch]] = []
    for open_, close in _pairs(ctx):
        if text[open_] != "{":
            continue
        before = text[max(0, open_ - 300) : open_]
        m = _GYP_COND.search(before)
        if not m:
            continue
        chain: list[Branch] = []
        chain.append(Branch("if", open_, open_ + 1, end=close - 1, cond=(m.group(1) or m.group(2)).replace("==", " == "), chain=chain))
        # an optional else dictionary follows: [cond, {...}, {...}]
        m2 = re.compile(r"\s*,\s*\{").match(text, close)
        if m2:
            eopen = m2.end() - 1
            eclose = matching(ctx, eopen, limit=200000)
            if eclose > 0:
                chain.append(Branch("else", eopen, eopen + 1, end=eclose - 1, chain=chain))
        chains.append(chain)
    return chains


_BUILDERS = {
    "cmake": _cmake,
    "make": _make,
    "meson": _meson,
    "shell": _shell,
    "autoconf": _autoconf,
    "python": _python,
    "bazel": _bazel,
    "gyp": _gyp,
}


# -- brackets and commands ------------------------------------------------------------------

_BRACKET = re.compile(r"[()\[\]{}]")


def _pairs(ctx) -> list[tuple[int, int]]:
    """(open, end) of every balanced bracket pair, sorted by open offset (one pass per file)."""
    pairs = ctx.cache.get("bd_pairs")
    if pairs is None:
        out = []
        stacks: dict[str, list[int]] = {"(": [], "[": [], "{": []}
        opener = {")": "(", "]": "[", "}": "{"}
        for m in _BRACKET.finditer(ctx.masked):
            ch = m.group()
            if ch in stacks:
                stacks[ch].append(m.start())
            elif stacks[opener[ch]]:
                out.append((stacks[opener[ch]].pop(), m.end()))
        out.sort()
        pairs = ctx.cache["bd_pairs"] = out
        ctx.cache["bd_pair_map"] = dict(out)
    return pairs


def matching(ctx, open_: int, limit: int = 50000) -> int:
    _pairs(ctx)
    end = ctx.cache["bd_pair_map"].get(open_, -1)
    return end if end != -1 and end - open_ <= limit else -1


#: calls (and brackets) opened further back than this are not looked for
_CALL_REACH = 8000
_CALL_NAME = re.compile(r"([A-Za-z_][\w.]*)\s*$")


def enclosing_calls(ctx, offset: int) -> list[tuple[str, int, int]]:
    """(name, open, end) of every call `name(…)` around offset, innermost first."""
    pairs = _pairs(ctx)
    text = ctx.masked
    out = []
    i = bisect.bisect_right(pairs, (offset, 1 << 62))
    lo = bisect.bisect_left(pairs, (offset - _CALL_REACH, -1))
    for open_, end in reversed(pairs[lo:i]):
        if open_ < offset < end and text[open_] == "(":
            m = _CALL_NAME.search(text, max(0, open_ - 80), open_)
            out.append((m.group(1) if m else "", open_, end))
    return out


def logical_line(ctx, offset: int) -> tuple[int, int]:
    """(start, end) of the line holding offset, joined with backslash-continued lines."""
    text = ctx.masked
    start = text.rfind("\n", 0, offset) + 1
    while start >= 2 and text[start - 2] == "\\":
        start = text.rfind("\n", 0, start - 1) + 1
    end = text.find("\n", offset)
    while end > 0 and text[end - 1] == "\\":
        end = text.find("\n", end + 1)
    return start, len(text) if end < 0 else end


def path_names_x86(path: str) -> bool:
    """The file lives in an x86-specific place (`arch/x86/`, `cmake/x86.cmake`, `avx2.mk`)."""
    parts = path.replace("\\", "/").split("/")
    return any(names_x86(p) or names_other_platform(p) for p in parts)


def basename(path: str) -> str:
    return os.path.basename(path)
