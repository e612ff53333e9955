"""A file's text in the three forms rules need: raw, masked (comments and the insides of
string literals replaced by spaces, so offsets and line numbers are unchanged), and a line
index for offset <-> line/column conversion."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

# C, C++ and preprocessed assembly: comments, raw strings, strings, character literals.
_C_LEXEMES = re.compile(
    r"""
      (?P<line>//(?:[^\n\\]|\\.|\\\n)*)
    | (?P<block>/\*.*?(?:\*/|\Z))
    | (?P<raw>(?<![\w])(?:u8|[uUL])?R"(?P<delim>[^ ()\\\t\n"]{0,16})\(.*?\)(?P=delim)")
    | (?P<str>(?<![\w])(?:u8|[uUL])?"(?:[^"\\\n]|\\.|\\\n)*"?)
    | (?P<chr>(?<![\w])(?:u8|[uUL])?'(?:[^'\\\n]|\\.){1,8}')
    """,
    re.S | re.X,
)

# Assembly: C-style comments (for .S), `#` comments that are not directives, `;` comments
# (NASM/MASM; in GAS `;` separates statements, so only taken when the file is NASM-like),
# and strings.
_ASM_LEXEMES_GAS = re.compile(
    r"""
      (?P<block>/\*.*?(?:\*/|\Z))
    | (?P<line>//[^\n]*|(?:^[ \t]*|[ \t])\#(?![ \t]*(?:if|ifdef|ifndef|elif|else|endif|define|undef|include|error|warning|pragma|line)\b)[^\n]*|@[ \t][^\n]*)
    | (?P<str>"(?:[^"\\\n]|\\.)*"?)
    """,
    re.S | re.X | re.M,
)
_ASM_LEXEMES_NASM = re.compile(
    r"""
      (?P<line>;[^\n]*)
    | (?P<str>"(?:[^"\\\n]|\\.)*"?|'(?:[^'\\\n]|\\.)*'?)
    """,
    re.S | re.X,
)
_NASM_HINT = re.compile(r"^\s*(?:section\s+\.|bits\s+(?:16|32|64)\b|%(?:macro|define|include|ifdef)\b|global\s+\w)", re.M | re.I)

_NON_NEWLINE = re.compile(r"[^\n]")


@dataclass
class SourceFile:
    path: str  # relative POSIX path, as reported
    language: str
    text: str
    encoding: str = "utf-8"
    masked: str = ""
    comments: list[tuple[int, int]] = field(default_factory=list)
    strings: list[tuple[int, int]] = field(default_factory=list)
    _line_starts: list[int] = field(default_factory=list)
    _ascii: bool = True

    def __post_init__(self) -> None:
        self._line_starts = [0]
        find = self.text.find
        pos = find("\n")
        while pos != -1:
            self._line_starts.append(pos + 1)
            pos = find("\n", pos + 1)
        self._ascii = self.text.isascii()
        self.masked = self._mask()

    # -- masking -------------------------------------------------------------------------------

    def _mask(self) -> str:
        if self.language in ("c", "cpp"):
            lexemes = _C_LEXEMES
        elif self.language == "asm":
            lexemes = _ASM_LEXEMES_NASM if _NASM_HINT.search(self.text) else _ASM_LEXEMES_GAS
        else:
            return self.text
        comments, strings = self.comments, self.strings

        def blank(m: re.Match) -> str:
            kind = m.lastgroup
            s = m.group(0)
            if kind in ("line", "block"):
                comments.append(m.span())
                return _NON_NEWLINE.sub(" ", s)
            strings.append(m.span())
            # keep the quotes so the code keeps its shape: "abc" -> "   "
            q = s.find("'" if kind == "chr" else '"')
            closed = len(s) > q + 1 and s[-1] == s[q]
            inner = s[q + 1 : -1] if closed else s[q + 1 :]
            return s[: q + 1] + _NON_NEWLINE.sub(" ", inner) + (s[-1] if closed else "")

        if kind_free(self.text):
            return self.text
        return lexemes.sub(blank, self.text)

    # -- positions ------------------------------------------------------------------------------

    @property
    def line_count(self) -> int:
        return len(self._line_starts) - (1 if self.text.endswith("\n") else 0)

    def line_of(self, offset: int) -> int:
        """1-based line of a character offset."""
        return bisect.bisect_right(self._line_starts, offset)

    def position(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) of a character offset."""
        line = bisect.bisect_right(self._line_starts, offset)
        return line, offset - self._line_starts[line - 1] + 1

    def line_start(self, line: int) -> int:
        return self._line_starts[line - 1]

    def line_text(self, line: int) -> str:
        start = self._line_starts[line - 1]
        end = self._line_starts[line] - 1 if line < len(self._line_starts) else len(self.text)
        return self.text[start:end]

    def byte_offset(self, offset: int) -> int:
        if self._ascii:
            return offset
        return len(self.text[:offset].encode(self.encoding, errors="surrogateescape"))

    def string_literals(self, start: int, end: int) -> list[str]:
        """Raw text of the string literals inside [start, end), quotes removed."""
        i = bisect.bisect_left(self.strings, (start, -1))
        out = []
        while i < len(self.strings) and self.strings[i][0] < end:
            s, e = self.strings[i]
            lit = self.text[s:e]
            i += 1
            if lit.lstrip("u8UL").startswith("'"):
                continue  # a character literal
            q = lit.find('"')
            out.append(lit[q + 1 : -1] if len(lit) > q + 1 and lit.endswith('"') else lit[q + 1 :])
        return out

    def in_comment(self, offset: int) -> bool:
        i = bisect.bisect_right(self.comments, (offset, float("inf"))) - 1
        return i >= 0 and self.comments[i][0] <= offset < self.comments[i][1]


def kind_free(text: str) -> bool:
    """True when the text has no comment or string delimiters at all (nothing to mask)."""
    return not any(ch in text for ch in "/\"'#;@")
