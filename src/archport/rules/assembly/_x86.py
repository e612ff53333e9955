"""Reading assembly text as x86 or not: statements, evidence and idioms.

Shared by CC404 (inline assembly templates) and AS401 (assembly source files). The
vocabulary is in archport.rules._tables.asm_idioms; this module only splits text into
statements and weighs the words it finds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from archport.rules._tables import asm_idioms as V

_ATT_REG = re.compile(r"(?<![\w%])%%?(" + V.X86_REGISTER + r")(?![\w])")
_BARE_REG = re.compile(r"(?<![\w%$.])(" + V.X86_BARE_REGISTER + r")(?![\w])", re.I)
_BARE_REG_STRICT = re.compile(r"(?<![\w%$.])(" + V.X86_BARE_REGISTER_STRICT + r")(?![\w])")
_SIZE_KEYWORD = re.compile(V.X86_SIZE_KEYWORD, re.I)
_OTHER_REG = re.compile(r"(?<![\w%$.])(" + V.OTHER_REGISTER + r")(?![\w])")
_SIMD_REG = re.compile(r"(?<![\w])%{0,2}[xyz]mm\d", re.I)

_LABEL = re.compile(r"^\s*(?:[\w.$@]|%=)+:(?!:)")
_PSEUDO_PREFIX = re.compile(r"^\s*\{\w+\}")
_WORD = re.compile(r"\s*([A-Za-z_.][\w.]*)")
_BLOCK_COMMENT = re.compile(r"/\*.*?\*/", re.S)
_ESCAPE = re.compile(r"\\(x[0-9A-Fa-f]{1,2}|[0-7]{1,3}|.)", re.S)
_INT_OPERAND = re.compile(r"^\$?(?:0x0*3|3|0x0*80|128|80h|3h)$", re.I)
_NUMBER = re.compile(r"^(?:0x[0-9a-f]+|[0-9a-f]+h|\d+)$", re.I)
_STRING_OP = re.compile(r"(movs|stos|lods|scas|cmps)[bwdlq]?$")


@dataclass
class Statement:
    mnemonic: str  # lower case, as written; a directive keeps its dot
    operands: str
    prefixes: tuple[str, ...] = ()

    @property
    def directive(self) -> bool:
        return self.mnemonic.startswith(".")

    @property
    def base(self) -> str:
        """The mnemonic without its AT&T size suffix (`xaddl` -> `xadd`)."""
        m = self.mnemonic
        if m in V.IDIOM_BY_MNEMONIC or m in ("cmpxchg8b", "cmpxchg16b"):
            return m
        if len(m) > 2 and m[-1] in "bwlq" and m[:-1] in V.SUFFIXABLE:
            return m[:-1]
        return m


@dataclass
class Assessment:
    """What a piece of assembly says about its architecture."""

    x86: list[str] = field(default_factory=list)  # x86-only words, in order
    other: list[str] = field(default_factory=list)  # words of other architectures
    unknown: list[str] = field(default_factory=list)  # mnemonics no table knows (macros, other ISAs)
    idioms: list[str] = field(default_factory=list)  # idiom keys, in order of first appearance
    shown: dict[str, str] = field(default_factory=dict)  # idiom key -> the words that showed it
    instructions: int = 0  # statements that are not directives

    @property
    def is_x86(self) -> bool:
        return bool(self.x86) and len(self.x86) > len(self.other)

    def add_idiom(self, key: str | None, shown: str = "") -> None:
        if key and key not in self.idioms:
            self.idioms.append(key)
            self.shown[key] = shown or key

    def merge(self, other: Assessment) -> None:
        self.x86 += other.x86
        self.other += other.other
        self.unknown += other.unknown
        self.instructions += other.instructions
        for key in other.idioms:
            self.add_idiom(key, other.shown.get(key, ""))


# -- statements ----------------------------------------------------------------------------------


def unescape_c(literal: str) -> str:
    """The text of a C string literal's contents (`\\n`, `\\t`, `\\"` decoded)."""

    def sub(m: re.Match) -> str:
        s = m.group(1)
        if s == "n":
            return "\n"
        if s in "tvfr":
            return " "
        if s[0] == "x":
            return chr(int(s[1:], 16))
        if s[0].isdigit():
            return chr(int(s, 8) & 0xFF)
        return s

    return _ESCAPE.sub(sub, literal)


def strip_comments(line: str, *, semicolon_comments: bool) -> str:
    """One line without its assembler comment (`#`, `//`, and `;` for NASM/MASM/MSVC)."""
    cut = len(line)
    for leader in ("//", "#", ";") if semicolon_comments else ("//", "#"):
        i = line.find(leader)
        if i != -1 and i < cut:
            cut = i
    return line[:cut]


def split_statements(line: str, *, semicolon_comments: bool = False) -> list[Statement]:
    """The statements of one comment-free line (GAS separates statements with `;`)."""
    out: list[Statement] = []
    pending: tuple[str, ...] = ()
    parts = [line] if semicolon_comments else line.split(";")
    for part in parts:
        while True:  # labels, possibly several
            m = _LABEL.match(part)
            if not m:
                break
            part = part[m.end() :]
        m = _PSEUDO_PREFIX.match(part)
        if m:
            part = part[m.end() :]
        prefixes = list(pending)
        pending = ()
        rest = part
        mnemonic = ""
        while True:
            m = _WORD.match(rest)
            if not m:
                break
            word = m.group(1).lower()
            rest = rest[m.end() :]
            if word in V.X86_PREFIXES:
                prefixes.append(word)
                continue
            mnemonic = word
            break
        if not mnemonic:
            if prefixes and not rest.strip():
                pending = tuple(prefixes)  # `lock;` or `rep;` before the instruction it prefixes
            elif prefixes:
                out.append(Statement("", rest.strip(), tuple(prefixes)))
            continue
        out.append(Statement(mnemonic, rest.strip(), tuple(prefixes)))
    if pending:
        out.append(Statement("", "", pending))
    return out


def _operand_count(operands: str) -> int:
    depth = 0
    count = 1 if operands.strip() else 0
    for ch in operands:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "," and depth == 0:
            count += 1
    return count


# -- evidence ------------------------------------------------------------------------------------


def assess_statement(st: Statement, *, intel: bool = False, idioms: bool = True) -> Assessment:
    """Evidence of one statement. `intel`: bare register names are x86 (Intel syntax);
    `idioms`: also name the idiom (callers that only count lines skip it)."""
    a = Assessment()
    if st.directive:
        if st.mnemonic in V.X86_DIRECTIVES:
            a.x86.append(st.mnemonic)
        elif st.mnemonic in V.OTHER_DIRECTIVES:
            a.other.append(st.mnemonic)
        return a
    for p in st.prefixes:
        a.x86.append(p)
    m = st.mnemonic
    if m:
        a.instructions += 1
        kind = mnemonic_kind(st)
        if kind == "x86":
            a.x86.append(m)
        elif kind == "other":
            a.other.append(m)
        elif kind == "unknown":
            a.unknown.append(m)
    ops = st.operands
    if ops:
        a.x86 += ["%" + r for r in _ATT_REG.findall(ops)]
        a.x86 += (_BARE_REG if intel else _BARE_REG_STRICT).findall(ops)
        if intel:
            a.x86 += [k.split()[0].lower() for k in _SIZE_KEYWORD.findall(ops)]
        a.other += _OTHER_REG.findall(ops)
    if a.x86 and idioms:
        shown = " ".join((*st.prefixes, m)).strip()
        if m == "int":
            shown += " " + st.operands.strip()
        a.add_idiom(_idiom(st), shown)
    return a


def mnemonic_kind(st: Statement) -> str:
    """`x86`, `other` (another architecture), `neutral` (shared) or `unknown`."""
    m = st.mnemonic
    if m.startswith("crc32"):
        if m in ("crc32b", "crc32w"):  # both ISAs: x86 has two operands, AArch64 three
            return "other" if _operand_count(st.operands) >= 3 else "x86"
        return "x86" if m in V.X86_MNEMONICS else "other"
    if m == "int":
        return "x86" if _INT_OPERAND.match(st.operands.strip()) else "unknown"
    if m in V.X86_MNEMONICS or V.X86_SCALAR_FAMILIES.fullmatch(m) or V.X86_SIMD_FAMILIES.fullmatch(m):
        return "x86"
    if m in V.OTHER_MNEMONICS or "." in m:
        return "other"
    if m in V.NEUTRAL_MNEMONICS:
        return "neutral"
    return "unknown"


def _idiom(st: Statement) -> str | None:
    m = st.mnemonic
    base = st.base
    prefixes = st.prefixes
    if "lock" in prefixes:
        if base == "xadd":
            return "lock-xadd"
        if base == "cmpxchg16b":
            return "lock-cmpxchg16b"
        if base in ("cmpxchg", "cmpxchg8b"):
            return "lock-cmpxchg"
        if base == "xchg":
            return "xchg"
        if base in V.LOCKABLE_RMW:
            return "lock-rmw"
    if any(p.startswith("rep") for p in prefixes):
        if m == "nop" or not m:
            return "pause"
        string_op = _STRING_OP.match(m)
        if string_op and string_op.group(1) == "movs":
            return "rep-movs"
        if string_op and string_op.group(1) == "stos":
            return "rep-stos"
    if m == "int":
        op = st.operands.strip().lstrip("$").lower()
        return "syscall" if op in ("0x80", "128", "80h") else "int3"
    key = V.IDIOM_BY_MNEMONIC.get(base)
    if key:
        return key
    if m in V.X86_MNEMONICS and V.X87_MNEMONIC.fullmatch(m):
        return "x87"
    if m.startswith("cmov"):
        return "cmov"
    if m in V.X86_SIMD_MNEMONICS or V.X86_SIMD_FAMILIES.fullmatch(m) or _SIMD_REG.search(st.operands):
        return "simd"
    return None


def assess_lines(lines: list[str], *, intel: bool = False, semicolon_comments: bool = False) -> Assessment:
    """Evidence of a whole template: lines of assembly, comments still in."""
    total = Assessment()
    for raw in lines:
        line = strip_comments(raw, semicolon_comments=semicolon_comments)
        for st in split_statements(line, semicolon_comments=semicolon_comments):
            total.merge(assess_statement(st, intel=intel))
    return total


def template_lines(literals: list[str]) -> list[str]:
    """The assembly lines of an inline-assembly template given as C string literals."""
    text = "\n".join(unescape_c(lit) for lit in literals)
    return _BLOCK_COMMENT.sub(" ", text).split("\n")


def encoded_instructions(lines: list[str]) -> list[str]:
    """x86 instructions written as `.byte` lists (`.byte 0x0f, 0xa2` -> ["cpuid"]); empty when
    the bytes are not a sequence of known encodings."""
    data: list[int] = []
    for raw in lines:
        line = strip_comments(raw, semicolon_comments=False)
        for st in split_statements(line):
            if st.mnemonic != ".byte":
                if st.mnemonic:
                    return []
                continue
            for item in st.operands.split(","):
                item = item.strip()
                if not _NUMBER.match(item):
                    return []
                if item[-1] in "hH":
                    data.append(int(item[:-1], 16))
                else:
                    data.append(int(item, 16) if item[:2].lower() == "0x" else int(item, 10))
    found: list[str] = []
    i = 0
    while i < len(data):
        for enc, name in V.X86_ENCODINGS.items():
            if tuple(data[i : i + len(enc)]) == enc:
                found.append(name)
                i += len(enc)
                break
        else:
            return []
    return found


def uses_intel_syntax(lines: list[str]) -> bool:
    return any(".intel_syntax" in line for line in lines)
