"""A file's text in the three forms rules need: raw, masked (comments and the insides of
string literals replaced by spaces, so offsets and line numbers are unchanged), and a line
index for offset <-> line/column conversion."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

from archport.languages import FORTRAN_FIXED_EXTENSIONS, HASH_COMMENT_LANGUAGES

_COMMENT_AWARE = frozenset({"c", "cpp", "asm", "groovy", "go", "rust", "java", "csharp", "kotlin", "fortran", "msbuild", "batch"})

# C and C++: where a comment or literal may start, and how each kind continues from there.
# A hand-driven scan (search for the next start, then match that one kind) is about ten times
# faster than one alternation regex, which tries every branch at every character.
_C_START = re.compile(r"/[/*]|[\"']")
_C_LINE_COMMENT = re.compile(r"//(?:[^\n\\]|\\.|\\\n)*")
_C_STRING = re.compile(r'"(?:[^"\\\n]|\\.|\\\n)*"?', re.S)
_C_CHAR = re.compile(r"'(?:[^'\\\n]|\\.){1,8}'")
# Go raw strings; Rust character literals (one character or escape, so lifetimes `'a` are not
# taken for the start of one).
_GO_START = re.compile(r"/[/*]|[\"'`]")
_GO_RAW_STRING = re.compile(r"`[^`]*`?")
_RUST_CHAR = re.compile(r"'(?:[^'\\\n]|\\(?:x[0-9a-fA-F]{2}|u\{[0-9a-fA-F]{1,6}\}|.))'")
# Fortran: `!` comments (outside strings), fixed-form comment lines, '…' and "…" strings.
_FORTRAN_FREE = re.compile(r"""(?P<line>![^\n]*)|(?P<str>'(?:[^'\n]|'')*'?|"(?:[^"\n]|"")*"?)""")
_FORTRAN_FIXED_COMMENT_LINE = re.compile(r"^[cC*!][^\n]*", re.M)
_C_RAW_STRING = re.compile(r'"([^ ()\\\t\n"]{0,16})\((?:.*?)\)\1"', re.S)

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
# Build files, containers, CI and scripts: `#` starts a comment at the start of a word,
# outside quotes; CMake also has `#[[ … ]]` bracket comments, autoconf `dnl`, PowerShell
# `<# … #>`, Groovy (Jenkinsfile) C-style comments. Strings are kept as they are.
_HASH_COMMENT = re.compile(r"(?:^|(?<=[\s;]))(?:#(?:\[(=*)\[.*?\]\1\]|[^\n]*)|dnl\b[^\n]*|<\#.*?(?:\#>|\Z))", re.M | re.S)
_SLASH_COMMENT = re.compile(r"(?:^|(?<=[\s;]))(?://[^\n]*|/\*.*?(?:\*/|\Z))", re.M | re.S)
# MSBuild XML: `<!-- … -->` (`<` cannot occur unescaped inside an attribute value, so no
# quote tracking is needed). Batch files: `REM …` and `:: …` lines. Strings are kept.
_XML_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)", re.S)
_BATCH_COMMENT = re.compile(r"^[ \t]*@?(?:[Rr][Ee][Mm](?![^\s])[^\n]*|::[^\n]*)", re.M)
_NASM_HINT = re.compile(r"^\s*(?:section\s+\.|bits\s+(?:16|32|64)\b|%(?:macro|define|include|ifdef)\b|global\s+\w)", re.M | re.I)



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
    _line_bytes: list[int] = field(default_factory=list)

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
        if self.language in ("c", "cpp", "java", "csharp", "kotlin"):
            return self._mask_c()
        if self.language == "go":
            return self._mask_c(start_re=_GO_START)
        if self.language == "rust":
            return self._mask_c(char_re=_RUST_CHAR, rust=True)
        if self.language == "fortran":
            return self._mask_fortran()
        if self.language in HASH_COMMENT_LANGUAGES:
            return self._mask_comments(_HASH_COMMENT)
        if self.language == "groovy":
            return self._mask_comments(_SLASH_COMMENT)
        if self.language in ("msbuild", "batch"):
            comments = self.comments

            def blank_comment(m: re.Match) -> str:
                comments.append(m.span())
                return _blank(m.group(0))

            return (_XML_COMMENT if self.language == "msbuild" else _BATCH_COMMENT).sub(blank_comment, self.text)
        if self.language != "asm":
            return self.text
        lexemes = _ASM_LEXEMES_NASM if _NASM_HINT.search(self.text) else _ASM_LEXEMES_GAS
        comments, strings = self.comments, self.strings

        def blank(m: re.Match) -> str:
            if m.lastgroup in ("line", "block"):
                comments.append(m.span())
                return _blank(m.group(0))
            strings.append(m.span())
            body = m.group(0)
            return body[0] + _blank(body[1:-1]) + body[-1] if len(body) >= 2 and body[-1] == body[0] else body[0] + _blank(body[1:])

        return lexemes.sub(blank, self.text)

    def _mask_c(self, start_re: re.Pattern = _C_START, char_re: re.Pattern = _C_CHAR, rust: bool = False) -> str:
        text = self.text
        pieces: list[str] = []
        prev = pos = 0
        search = start_re.search
        while True:
            m = search(text, pos)
            if m is None:
                break
            start = m.start()
            ch = text[start]
            if ch == "/":
                if text[start + 1] == "/":
                    end = _C_LINE_COMMENT.match(text, start).end()
                else:
                    close = text.find("*/", start + 2)
                    end = len(text) if close < 0 else close + 2
                self.comments.append((start, end))
                pieces.append(text[prev:start])
                pieces.append(_blank(text[start:end]))
            else:
                if rust and ch == '"':
                    end = self._rust_raw_string(start)
                    if end:
                        close = text.rfind('"', start + 1, end)
                        self.strings.append((start, end))
                        pieces.append(text[prev : start + 1])
                        pieces.append(_blank(text[start + 1 : close]))
                        pieces.append(text[close:end])
                        prev = pos = end
                        continue
                if ch == '"':
                    raw = start > 0 and text[start - 1] == "R" and (start < 2 or not (text[start - 2].isalnum() and text[start - 2] not in "uUL8"))
                    lit = (_C_RAW_STRING.match(text, start) if raw else None) or _C_STRING.match(text, start)
                elif ch == "`":
                    lit = _GO_RAW_STRING.match(text, start)
                else:
                    lit = char_re.match(text, start)
                    if lit is None:  # an apostrophe in prose or a digit separator
                        pos = start + 1
                        continue
                end = lit.end()
                self.strings.append((start, end))
                closed = end - start >= 2 and text[end - 1] == ch
                pieces.append(text[prev : start + 1])
                pieces.append(_blank(text[start + 1 : end - 1] if closed else text[start + 1 : end]))
                if closed:
                    pieces.append(ch)
            prev = pos = end
        if not pieces:
            return text
        pieces.append(text[prev:])
        return "".join(pieces)

    def _rust_raw_string(self, quote: int) -> int:
        """For the `"` of a Rust raw string (`r"…"`, `r#"…"#`, `br##"…"##`), where the literal
        ends; 0 when the quote does not open one (inside it, `"` and `\\` are plain text)."""
        text = self.text
        j = quote
        while j > 0 and text[j - 1] == "#":
            j -= 1
        if j == 0 or text[j - 1] != "r" or (j >= 2 and (text[j - 2].isalnum() or text[j - 2] == "_") and text[j - 2] != "b"):
            return 0
        closing = '"' + "#" * (quote - j)
        close = text.find(closing, quote + 1)
        return len(text) if close < 0 else close + len(closing)

    def _mask_fortran(self) -> str:
        text = self.text
        fixed = self.path.endswith(tuple(FORTRAN_FIXED_EXTENSIONS))
        comments, strings = self.comments, self.strings
        if fixed:  # whole comment lines first (a `c` in column 1 is not code)
            for m in _FORTRAN_FIXED_COMMENT_LINE.finditer(text):
                comments.append(m.span())
        pieces: list[str] = []
        prev = 0
        for start, end in comments:
            pieces.append(text[prev:start])
            pieces.append(_blank(text[start:end]))
            prev = end
        pieces.append(text[prev:])
        masked = "".join(pieces)

        def blank(m: re.Match) -> str:
            if m.lastgroup == "line":
                comments.append(m.span())
                return _blank(m.group(0))
            strings.append(m.span())
            body = m.group(0)
            closed = len(body) >= 2 and body[-1] == body[0]
            return body[0] + _blank(body[1:-1] if closed else body[1:]) + (body[-1] if closed else "")

        masked = _FORTRAN_FREE.sub(blank, masked)
        comments.sort()
        return masked

    def _mask_comments(self, comment: re.Pattern) -> str:
        """Blank the comments a line-oriented language has, skipping a comment marker that
        sits inside a quoted string on its line."""
        text = self.text
        pieces: list[str] = []
        prev = pos = 0
        search = comment.search
        while True:
            m = search(text, pos)
            if m is None:
                break
            start = m.start()
            if _inside_quotes(text, text.rfind("\n", 0, start) + 1, start):
                pos = start + 1
                continue
            end = m.end()
            self.comments.append((start, end))
            pieces.append(text[prev:start])
            pieces.append(_blank(text[start:end]))
            prev = pos = max(end, start + 1)
        if not pieces:
            return text
        pieces.append(text[prev:])
        return "".join(pieces)

    @property
    def knows_comments(self) -> bool:
        """Whether comments of this language are recognised (and so listed in `comments`)."""
        return self.language in _COMMENT_AWARE or self.language in HASH_COMMENT_LANGUAGES

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

    def _line_byte_starts(self) -> list[int]:
        """Byte offset of each line start, built once (only for non-ASCII text)."""
        if not self._line_bytes:
            total, out = 0, []
            for i, start in enumerate(self._line_starts):
                out.append(total)
                end = self._line_starts[i + 1] if i + 1 < len(self._line_starts) else len(self.text)
                total += len(self.text[start:end].encode(self.encoding, errors="surrogateescape"))
            self._line_bytes = out
        return self._line_bytes

    def byte_offset(self, offset: int) -> int:
        if self._ascii:
            return offset
        line_bytes = self._line_byte_starts()
        line = bisect.bisect_right(self._line_starts, offset)
        start = self._line_starts[line - 1]
        return line_bytes[line - 1] + len(self.text[start:offset].encode(self.encoding, errors="surrogateescape"))

    def char_offset(self, byte: int) -> int:
        """The character offset of a byte offset of the file (tree-sitter and libclang count
        bytes); only the bytes of one line are decoded."""
        if self._ascii:
            return byte
        line_bytes = self._line_byte_starts()
        line = bisect.bisect_right(line_bytes, byte) - 1
        start = self._line_starts[line]
        end = self._line_starts[line + 1] if line + 1 < len(self._line_starts) else len(self.text)
        raw = self.text[start:end].encode(self.encoding, errors="surrogateescape")
        return start + len(raw[: byte - line_bytes[line]].decode(self.encoding, errors="surrogateescape"))

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


def _inside_quotes(text: str, start: int, end: int) -> bool:
    """Whether an unclosed ' or " precedes `end` on the line from `start` (backslash escapes
    honoured); a rough test, but enough to keep `"http://x#frag"` from becoming a comment."""
    quote = ""
    i = start
    while i < end:
        ch = text[i]
        if ch == "\\":
            i += 2
            continue
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        i += 1
    return bool(quote)


def _blank(segment: str) -> str:
    """Spaces of the same length, keeping newlines so line numbers do not move."""
    if "\n" not in segment:
        return " " * len(segment)
    return "\n".join(" " * len(part) for part in segment.split("\n"))
