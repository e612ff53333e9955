"""The cheap text screen of the plain-`char` rules (CC101-CC104): which names the masked text
declares with a plain `char` type, whether the operand next to an operator is one of them, and
the operators worth a look. Only files where this finds a candidate are parsed."""

from __future__ import annotations

import bisect
import re

_IDENT = re.compile(r"[A-Za-z_]\w*")
_WORD_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
_ALIAS_RES = (
    re.compile(r"typedef\s+(?:(?:const|volatile)\s+)*(?P<base>[A-Za-z_]\w*)\s*(?P<stars>\**)\s*(?P<name>[A-Za-z_]\w*)\s*;"),
    re.compile(r"using\s+(?P<name>[A-Za-z_]\w*)\s*=\s*(?:const\s+)?(?P<base>[A-Za-z_]\w*)\s*(?P<stars>\**)\s*;"),
    re.compile(r"#[ \t]*define[ \t]+(?P<name>[A-Za-z_]\w*)[ \t]+(?P<base>char)[ \t]*(?P<stars>\**)[ \t]*$", re.M),
)
_DECLARATORS = re.compile(r"[^;{}()]{0,300}")
_SPLIT_DECLARATOR = re.compile(r"[=\[:]")
_QUALIFIERS = frozenset({
    "const", "volatile", "restrict", "__restrict", "__restrict__", "static", "register", "extern",
    "inline", "constexpr", "mutable", "thread_local", "__thread",
})
_BRACKET_SPAN = 400
_ASSIGNED = re.compile(r"\s*([A-Za-z_]\w*)\s*=(?!=)")
_UNARY_CONTEXT = frozenset({"return", "case", "sizeof", "else", "do", "co_return", "throw"})
_FUNCTION_END = re.compile(r"\n\}")
_TYPE_HEAD = re.compile(r"\b(?:struct|class|union)\b")
_ASSIGN = re.compile(r"(?<![=!<>+\-*/%&|^])=(?!=)")
#: what operand_before/operand_after return for `(char)x`
CAST = "(char)"

#: integer types a plain char is widened to by a cast: (signed, width in bits)
INT_TYPES = {
    "int": (True, 32), "signed": (True, 32), "signed int": (True, 32), "short": (True, 16),
    "long": (True, 64), "long int": (True, 64), "long long": (True, 64), "int16_t": (True, 16),
    "int32_t": (True, 32), "int64_t": (True, 64), "ssize_t": (True, 64), "ptrdiff_t": (True, 64),
    "intptr_t": (True, 64), "unsigned": (False, 32), "unsigned int": (False, 32),
    "unsigned short": (False, 16), "unsigned long": (False, 64), "unsigned long long": (False, 64),
    "uint16_t": (False, 16), "uint32_t": (False, 32), "uint64_t": (False, 64), "size_t": (False, 64),
    "uintptr_t": (False, 64), "u_int": (False, 32), "uint": (False, 32), "u32": (False, 32),
    "u64": (False, 64), "DWORD": (False, 32),
}


#: the words of those type names, for reading casts in the text screen
_TYPE_WORDS = frozenset(w for name in INT_TYPES for w in name.split())


# -- the text screen --------------------------------------------------------------------------


class Screen:
    """What the masked text says about plain char in one file, without parsing it: which names
    are declared with a plain char type, where, at which pointer depth; and whether the
    operand next to an operator is a plain char value."""

    def __init__(self, text: str, cpp: bool = False):
        self.text = text
        self.aliases = _text_aliases(text)
        self.type_words = frozenset(["char", *self.aliases])
        #: name -> [(offset of the declaration, char depth)]
        self.declared: dict[str, list[tuple[int, int]]] = {}
        for word in self.type_words:
            self._collect(word, self.aliases.get(word, 0))
        #: how many more operands may be read (see READING_BUDGET)
        self.budget = READING_BUDGET
        self._function_ends: list[int] | None = None
        self._file_wide_cache: dict[int, bool] = {}
        #: the file casts something to plain char
        self.casts = any(re.search(r"\(\s*(?:const\s+)?%s\s*\)" % re.escape(w), text) for w in self.type_words)
        if cpp:  # std::string and std::string_view hold plain chars
            for word in ("string", "string_view"):
                self._collect(word, 1)

    def __bool__(self) -> bool:
        return bool(self.declared)

    def _collect(self, word: str, base: int) -> None:
        text = self.text
        n = len(word)
        start = text.find(word)
        while start >= 0:
            end = start + n
            if text[start - 1 : start] not in _WORD_CHARS and text[end : end + 1] not in _WORD_CHARS:
                if not _qualifier_before(text, start):
                    for piece in _DECLARATORS.match(text, end).group().split(","):
                        head = piece.split("=", 1)[0]
                        words = [w for w in _IDENT.findall(_SPLIT_DECLARATOR.split(head, 1)[0]) if w not in _QUALIFIERS]
                        if len(words) == 1:
                            depth = base + head.count("*") + head.count("[")
                            self.declared.setdefault(words[0], []).append((start, depth))
            start = text.find(word, end)

    def is_char_value(self, key: str | None, derefs: int, offset: int, member: bool = False) -> bool:
        """True when the operand `key` (after `derefs` dereferences) is a plain char value at
        offset, judging by the declarations the text shows: a field of that name anywhere, a
        file-scope variable, or a parameter or local of the same top-level function (functions
        are told apart by a `}` at the start of a line, as nearly all C and C++ code is laid out)."""
        if key is None:
            return False
        if key == CAST:
            return True
        for where, depth in self.declared.get(key, ()):
            if depth != derefs:
                continue
            if member or where < offset and self._same_function(where, offset) or self._file_wide(where):
                return True
        return False

    def _same_function(self, start: int, end: int) -> bool:
        """No `}` opens a line between the two offsets."""
        if self._function_ends is None:
            self._function_ends = [m.start() for m in _FUNCTION_END.finditer(self.text)]
        i = bisect.bisect_left(self._function_ends, start)
        return i == len(self._function_ends) or self._function_ends[i] >= end

    def _file_wide(self, where: int) -> bool:
        """A declaration at file scope, or a member of a struct, union or class."""
        found = self._file_wide_cache.get(where)
        if found is None:
            text = self.text
            found = (_balanced(text, where, "{}") and _balanced(text, where, "()")) or self._in_type_body(where)
            self._file_wide_cache[where] = found
        return found

    def _in_type_body(self, offset: int) -> bool:
        """The innermost `{` around offset opens a struct, union or class body."""
        text = self.text
        depth = 0
        i = offset
        for _ in range(5000):
            open_, close = text.rfind("{", 0, i), text.rfind("}", 0, i)
            if open_ < 0:
                return False
            if close > open_:
                depth += 1
                i = close
            elif depth:
                depth -= 1
                i = open_
            else:
                head = text[max(0, open_ - 200) : open_]
                head = head[max(head.rfind(";"), head.rfind("}"), head.rfind("{")) + 1 :]
                return "(" not in head and _TYPE_HEAD.search(head) is not None
        return False

    def value_before(self, pos: int) -> bool:
        if self.budget <= 0:
            return False
        self.budget -= 1
        key, derefs, member, _ = self.operand_before(pos)
        return self.is_char_value(key, derefs, pos, member)

    def value_after(self, pos: int) -> tuple[bool, int]:
        if self.budget <= 0:
            return False, pos
        self.budget -= 1
        key, derefs, member, end = self.operand_after(pos)
        return self.is_char_value(key, derefs, pos, member), end

    # -- the operand next to an operator, read from the text -------------------------------------

    def _opener(self, close: int) -> int | None:
        """The `(` or `[` matching the bracket at close (a bounded backward scan)."""
        text = self.text
        shut = text[close]
        opening = "(" if shut == ")" else "["
        depth = 0
        for i in range(close, max(-1, close - _BRACKET_SPAN), -1):
            ch = text[i]
            if ch == shut:
                depth += 1
            elif ch == opening:
                depth -= 1
                if depth == 0:
                    return i
            elif ch in ";{}":
                return None
        return None

    def operand_before(self, pos: int, depth: int = 0) -> tuple[str | None, int, bool, int]:
        """(deciding name, dereferences, is a member, start) of the operand ending at pos: `c`;
        `p` and 1 for `p[i]` and `*p`; `c` of `s->c` (a member); `c` of `(c = getc(f))`; CAST
        for `(char)x`; None for a call or a cast to another type."""
        text = self.text
        none = (None, 0, False, pos)
        i = pos
        derefs = 0
        while i > 0 and text[i - 1] in " \t\r\n":
            i -= 1
        while i > 0 and text[i - 1] == "]":
            j = self._opener(i - 1)
            if j is None:
                return none
            i = j
            derefs += 1
            while i > 0 and text[i - 1] in " \t":
                i -= 1
        if i > 0 and text[i - 1] == ")":
            j = self._opener(i - 1)
            if j is None or depth > 3:
                return none
            k = j
            while k > 0 and text[k - 1] in " \t":
                k -= 1
            if k > 0 and text[k - 1] in _WORD_CHARS:
                return none  # a call
            eq = _ASSIGN.search(text, j + 1, i - 1)
            key, inner, member, start = self.operand_before(eq.start() if eq else i - 1, depth + 1)
            if not eq and text[j + 1 : start].strip():
                return none  # `(a + c)`: not one operand
            return self._cast_around(key, inner + derefs, member, j)
        j = i
        while j > 0 and text[j - 1] in _WORD_CHARS:
            j -= 1
        if j == i or text[j].isdigit():
            return none
        word = text[j:i]
        k = j
        while k > 0 and text[k - 1] in " \t":
            k -= 1
        if text[k - 1 : k] == "." or text[k - 2 : k] == "->":
            return word, derefs, True, k  # the base of a member access does not matter
        while k > 0 and text[k - 1] in "*&":
            before = k - 1
            while before > 0 and text[before - 1] in " \t":
                before -= 1
            if before > 0 and (text[before - 1] in _WORD_CHARS or text[before - 1] in ")]"):
                w = before
                while w > 0 and text[w - 1] in _WORD_CHARS:
                    w -= 1
                if text[w:before] not in _UNARY_CONTEXT:
                    break  # `a * c`: a binary operator, not a dereference
            derefs += text[k - 1] == "*"
            k = before
        return self._cast_around(word, derefs, False, k)

    def _cast_around(self, key, derefs, member, start):
        """Apply a cast written just before `start`: to char gives CAST, to an integer type keeps
        the operand, to anything else (a pointer type) gives None."""
        k = start
        while k > 0 and self.text[k - 1] in " \t":
            k -= 1
        if k > 0 and self.text[k - 1] == ")":
            kind = self._cast_kind(k - 1)
            if kind == "char":
                return CAST, 0, False, k
            if kind == "other":
                return None, 0, False, k
        return key, derefs, member, start

    def operand_after(self, pos: int, depth: int = 0) -> tuple[str | None, int, bool, int]:
        """(deciding name, dereferences, is a member, end) of the operand starting at pos."""
        text = self.text
        n = len(text)
        i = pos
        derefs = 0
        while i < n and text[i] in " \t\r\n*&":
            derefs += text[i] == "*"
            i += 1
        if i < n and text[i] == "(":
            close = self._closer(i)
            if close is None or depth > 3:
                return None, 0, False, i
            kind = self._cast_kind(close)
            if kind == "char":
                return CAST, 0, False, self.operand_after(close + 1, depth + 1)[3]
            if kind == "int":
                return self.operand_after(close + 1, depth + 1)  # (int)c
            if kind == "other":
                return None, 0, False, close + 1
            key, d, member, end = self.operand_after(i + 1, depth + 1)
            if text[end:close].strip():
                return None, 0, False, close + 1  # `(c - '0')`: not one operand
            return key, d + derefs, member, close + 1
        m = _IDENT.match(text, i)
        if not m:
            return None, 0, False, i
        key, i = m.group(), m.end()
        member = False
        while i < n:
            while i < n and text[i] in " \t":
                i += 1
            if text.startswith(("->", "."), i):
                i += 2 if text[i] == "-" else 1
                while i < n and text[i] in " \t":
                    i += 1
                m = _IDENT.match(text, i)
                if not m:
                    break
                key, i, member, derefs = m.group(), m.end(), True, 0
            elif i < n and text[i] == "[":
                close = self._closer(i)
                if close is None:
                    break
                i = close + 1
                derefs += 1
            elif i < n and text[i] == "(":
                return None, 0, False, i  # a call
            else:
                break
        return key, derefs, member, i

    def _closer(self, open_: int) -> int | None:
        """The `)` or `]` matching the bracket at open_ (a bounded forward scan)."""
        text = self.text
        opening = text[open_]
        shut = ")" if opening == "(" else "]"
        depth = 0
        for i in range(open_, min(len(text), open_ + _BRACKET_SPAN)):
            ch = text[i]
            if ch == opening:
                depth += 1
            elif ch == shut:
                depth -= 1
                if depth == 0:
                    return i
            elif ch in ";{}":
                return None
        return None

    def _cast_kind(self, close: int) -> str | None:
        """What the parenthesis group ending at close is, when it is a cast: "char" (to plain
        char), "int" (to an integer type), "other" (a pointer or struct type); else None."""
        j = self._opener(close)
        if j is None:
            return None
        words = self.text[j + 1 : close].replace("*", " * ").split()
        words = [w for w in words if w not in ("const", "volatile")]
        if not words:
            return None
        if words == [words[0]] and words[0] in self.type_words:
            return "char"
        if "*" not in words and all(w in _TYPE_WORDS for w in words):
            return "int"
        if ("*" in words or words[0] in ("struct", "union", "enum", "unsigned", "signed")) and all(
            w == "*" or _IDENT.fullmatch(w) for w in words
        ):
            return "other"
        return None


def _balanced(text: str, end: int, pair: str) -> bool:
    return text.count(pair[0], 0, end) == text.count(pair[1], 0, end)


def _text_aliases(text: str) -> dict[str, int]:
    """Type names that stand for plain char by typedef, `using` or `#define` (transitively),
    with the pointer depth they add."""
    found: list[tuple[str, str, int]] = []  # (name, base word, stars)
    for i, rx in enumerate(_ALIAS_RES):
        if ("typedef", "using", "define")[i] in text:
            for m in rx.finditer(text):
                found.append((m.group("name"), m.group("base"), len(m.group("stars"))))
    aliases: dict[str, int] = {}
    for _ in range(3):
        for name, base, stars in found:
            depth = 0 if base == "char" else aliases.get(base)
            if depth is not None:
                aliases[name] = depth + stars
    return aliases


def screen(ctx) -> Screen:
    s = ctx.cache.get("_plain_char_screen")
    if s is None:
        s = ctx.cache["_plain_char_screen"] = Screen(ctx.masked, ctx.language == "cpp")
    return s


def _qualifier_before(text: str, start: int) -> bool:
    i = start
    while i > 0 and text[i - 1] in " \t\r\n":
        i -= 1
    j = i
    while j > 0 and text[j - 1] in _WORD_CHARS:
        j -= 1
    return text[j:i] in ("signed", "unsigned", "__signed__", "__signed")


# -- candidate operators -------------------------------------------------------------------------

#: at most this many operators of one kind are checked on the tree per file, and at most
#: READING_BUDGET operands are read from the text (generated files can hold a million)
MAX_CANDIDATES = 200
READING_BUDGET = 4000
#: the operators the plain-char rules look at, each found by a literal search (fast)
_INDEX, _PLUS, _BAR, _CARET = (re.compile(re.escape(c)) for c in "[+|^")
_SHL, _SHR = re.compile("<<"), re.compile(">>")
_LT, _GT, _EQ, _NE = (re.compile(op) for op in ("<", ">", "==", "!="))
_CONST_START = frozenset("-E(0123456789")
_MINUS_ASSIGN = re.compile(r"-=")
_CONST_AFTER = re.compile(
    r"[ \t]*(?:-[ \t]*\(?[ \t]*\d|EOF\b|\([ \t]*(?:-|char\b|const\b)|0[xX]0*(?:[89a-fA-F][0-9a-fA-F]|[1-9a-fA-F][0-9a-fA-F]{2,})\b"
    r"|[1-9]\d\d\b|0\b(?![.xX]))"
)
_CONST_BEFORE = re.compile(r"(?:-[ \t]*\d+|\bEOF|\b0[xX][0-9a-fA-F]+|\b[1-9]\d\d|\b0)[uUlL]*[ \t]*$")
_KEY_AFTER = re.compile(r"[ \t]*(?:\(([^()]{1,40})\)[ \t]*)?[*&(\s]*([A-Za-z_]\w*)(?:\s*(?:->|\.)\s*([A-Za-z_]\w*))*")


def candidates(ctx) -> dict[str, list[tuple[int, int]]]:
    """Operators next to a plain char value, by kind ("compare", "index", "shift", "mix"), from
    one pass over the text; cheap text tests first, so most files are never parsed."""
    found = ctx.cache.get("_char_candidates")
    if found is not None:
        return found
    found = ctx.cache["_char_candidates"] = {"compare": [], "index": [], "shift": [], "mix": []}
    scr = screen(ctx)
    if getattr(ctx, "deep_available", False):
        _deep_candidates(ctx, found)
    if not scr:
        return found
    text = scr.text
    names = scr.declared
    words = scr.type_words

    def after_key(pos: int) -> bool:
        m = _KEY_AFTER.match(text, pos)
        if not m:
            return False
        cast = m.group(1)
        if cast is not None and any(w in words for w in cast.split()):
            return True
        return (m.group(3) or m.group(2)) in names

    def before_key(pos: int) -> bool:
        i = pos
        while i > 0 and text[i - 1] in " \t":
            i -= 1
        while i > 0 and text[i - 1] == "]":
            j = scr._opener(i - 1)
            if j is None:
                return False
            i = j
            while i > 0 and text[i - 1] in " \t":
                i -= 1
        if i > 0 and text[i - 1] == ")":
            return True  # a parenthesised operand or a call: let the full reading decide
        j = i
        while j > 0 and text[j - 1] in _WORD_CHARS:
            j -= 1
        if text[j:i] in names:
            return True
        while j > 0 and text[j - 1] in " \t*":
            j -= 1
        return j > 0 and text[j - 1] == ")" and scr.casts  # `(char)n`

    def const_before(start: int) -> bool:
        i = start
        while i > 0 and text[i - 1] in " \t":
            i -= 1
        if i == 0 or text[i - 1] not in _WORD_CHARS:
            return False
        j = i
        while j > 0 and text[j - 1] in _WORD_CHARS:
            j -= 1
        token = text[j:i]
        return (token == "EOF" or token[0].isdigit()) and _CONST_BEFORE.search(text, max(0, j - 4), i) is not None

    def compare(start: int, end: int, op: str) -> None:
        if len(found["compare"]) >= MAX_CANDIDATES:
            return
        if _CONST_AFTER.match(text, end) and not text[end : end + 1] in "=<>":
            if op in ("==", "!=") and _is_zero(text, end):
                return  # `c == 0` means the same on both
            if before_key(start) and scr.value_before(start):
                found["compare"].append((start, end))
        elif const_before(start):
            if op in ("==", "!=") and _is_zero_before(text, start):
                return
            if after_key(end) and scr.value_after(end)[0]:
                found["compare"].append((start, end))

    def compound(start: int, end: int) -> None:  # `sum += c`: the whole right-hand side is the char
        if len(found["mix"]) < MAX_CANDIDATES and after_key(end):
            hit, stop = scr.value_after(end)
            if hit and text[stop : stop + 20].lstrip()[:1] in (";", ",", ")"):
                found["mix"].append((start, end))

    def binary(start: int, end: int) -> None:
        if len(found["mix"]) >= MAX_CANDIDATES:
            return
        if not ((before_key(start) and scr.value_before(start)) or (after_key(end) and scr.value_after(end)[0])):
            return
        # hashes and byte assembly: `h * 31 + c`, `(v << 8) | c`, `h = h + c`
        first = max(text.rfind(";", 0, start), text.rfind("{", 0, start), text.rfind("}", 0, start)) + 1
        last = text.find(";", end)
        statement = text[first : last if last >= 0 else len(text)]
        if "<<" in statement or "*" in statement:
            found["mix"].append((start, end))
            return
        target = _ASSIGNED.match(statement)
        if target and re.search(r"(?<![\w.>])%s(?!\w)" % re.escape(target.group(1)), statement[target.end() :]):
            found["mix"].append((start, end))

    for rx in (_LT, _GT, _EQ, _NE):
        for m in rx.finditer(text):
            start = m.start()
            if start and text[start - 1] in "<>=!-":
                continue  # `<<`, `>>`, `->`, `<=` seen from its second character
            end = m.end()
            if rx is _LT or rx is _GT:
                nxt = text[end : end + 1]
                if nxt == "=":
                    end += 1
                elif nxt in ("<", ">"):
                    continue
            after = text[end : end + 3].lstrip()[:1]
            if after and after in _CONST_START:
                compare(start, end, text[start:end])
            else:
                i = start
                while i > 0 and text[i - 1] in " \t":
                    i -= 1
                if i and (text[i - 1].isdigit() or text[i - 1] in "FLlUu"):
                    compare(start, end, text[start:end])
    for rx in (_SHL, _SHR):
        for m in rx.finditer(text):
            start, end = m.span()
            if text[end : end + 1] == "=":
                if rx is _SHL:
                    continue  # `c <<= n` keeps the byte it stores
                end += 1
            elif text[end : end + 1] in "<>" or text[start - 1 : start] in "<>":
                continue
            if len(found["shift"]) < MAX_CANDIDATES and before_key(start) and scr.value_before(start):
                found["shift"].append((start, end))
    for m in _INDEX.finditer(text):
        end = m.end()
        if len(found["index"]) < MAX_CANDIDATES and after_key(end):
            hit, stop = scr.value_after(end)
            if hit and text[stop : stop + 40].lstrip().startswith("]"):
                found["index"].append((m.start(), end))
    n = len(text)
    for rx in (_PLUS, _BAR, _CARET):
        for m in rx.finditer(text):
            i = m.start()
            ch = text[i]
            if i and text[i - 1] == ch:
                continue
            nxt = text[i + 1] if i + 1 < n else ""
            if nxt == ch:
                continue
            if nxt == "=":
                compound(i, i + 2)
            else:
                binary(i, i + 1)
    for m in _MINUS_ASSIGN.finditer(text):
        compound(m.start(), m.end())
    return found


def _deep_candidates(ctx, found) -> None:
    """Deep mode: the expressions where libclang sees a plain char operand (whole-expression
    spans; node_at() finds the expression node from them), before the text screen's."""
    from archport.rules.c_cpp._deep import char_offset, facts

    f = facts(ctx)
    if f is None:
        return
    for kind, spans in f.candidates.items():
        found[kind].extend((char_offset(ctx, s), char_offset(ctx, e)) for s, e in spans)


def _is_zero_before(text: str, pos: int) -> bool:
    return re.search(r"(?<![\w.])0[uUlL]*[ \t]*$", text[max(0, pos - 12) : pos]) is not None


def _is_zero(text: str, pos: int) -> bool:
    return re.match(r"[ \t]*0[uUlL]*\b(?![.xX])", text[pos : pos + 12]) is not None
