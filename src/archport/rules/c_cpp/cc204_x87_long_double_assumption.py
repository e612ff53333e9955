from __future__ import annotations

import re

from archport.model import Confidence, Impact, Severity
from archport.rule import Rule
from archport.rules.c_cpp import _scope
from archport.rules.c_cpp._x86_runtime import directive_at

_LD = r"long\s+double"
_STRUCT_WITH_LD = re.compile(
    rf"\b(struct|union)\b\s*([A-Za-z_]\w*)?\s*\{{((?:[^{{}}]|\{{[^{{}}]*\}})*?\b{_LD}\b(?:[^{{}}]|\{{[^{{}}]*\}})*)\}}\s*([A-Za-z_]\w*)?"
)
_UNION_INT_MEMBER = re.compile(
    r"\b(?:u?int(?:8|16|32|64)_t|unsigned\s+(?:short|int|long|char)|short|uint\d*|U16|U32|U64|u16|u32|u64)\b"
    r"(?!\s*\*)"
)
_SIXTEEN_BIT = re.compile(r"\b(?:u?int16_t|(?:unsigned\s+)?short|U16|u16|__u16|uint16|WORD)\b")
_IO_CALLS = {  # name -> (index of the buffer argument, index of the size argument)
    "fwrite": (0, 1), "fread": (0, 1), "write": (1, 2), "read": (1, 2), "pwrite": (1, 2), "pread": (1, 2),
    "send": (1, 2), "recv": (1, 2), "sendto": (1, 2), "recvfrom": (1, 2),
}
_MEM_CALLS = {"memcpy": (0, 1, 2), "memmove": (0, 1, 2), "memcmp": (0, 1, 2)}
_TOKENS = ("LDBL_MANT_DIG", "__LDBL_MANT_DIG__", "digits", "sizeof", "union")
_CALL_NAMES = ("fwrite", "fread", "write", "read", "pwrite", "pread", "send", "recv", "sendto", "recvfrom", "memcpy",
               "memmove", "memcmp")
_ASSERTS = re.compile(r"\b(?:assert|ASSERT\w*|EXPECT_\w+|CHECK\w*|REQUIRE\w*|g_assert\w*|static_assert|_Static_assert)\s*\($")
_X87_TEST = re.compile(
    r"\b(?:LDBL_MANT_DIG|__LDBL_MANT_DIG__|std::numeric_limits\s*<\s*long\s+double\s*>\s*::\s*digits)\s*==\s*64\b"
    r"|\b64\s*==\s*(?:LDBL_MANT_DIG|__LDBL_MANT_DIG__)\b"
    rf"|\bsizeof\s*\(\s*{_LD}\s*\)\s*==\s*(?:10|12)\b|\b(?:10|12)\s*==\s*sizeof\s*\(\s*{_LD}\s*\)"
)


class X87LongDoubleAssumption(Rule):
    """Code that relies on `long double` being the x87 80-bit format.

    ## What it does
    Checks for code that depends on the layout or precision of x86's 80-bit `long double`:
    copies or comparisons of exactly 10 bytes of a `long double` (`memcpy(buf, &ld, 10)`),
    unions that overlay a `long double` with an integer view of its fields (a structure of two or
    more integers, an integer array, or a 16-bit exponent field; unions that also hold `double`,
    `float` or pointers are value holders and are not reported), `long double` values or structures holding one written to or read from files,
    pipes and sockets as raw bytes (`fwrite`, `write`, `send`, `read`, `recv` …), and run-time
    assertions such as `assert(LDBL_MANT_DIG == 64)` or `assert(sizeof(long double) == 12)`.

    ## Why is this a problem on ARM64?
    On x86-64 `long double` is the x87 extended format: a 64-bit mantissa with an explicit
    integer bit and a 15-bit exponent in the first 10 of its 16 bytes (`LDBL_MANT_DIG` is 64).
    On AArch64 Linux it is IEEE binary128 (`LDBL_MANT_DIG` is 113, all 16 bytes significant,
    computed in software). The first 10 bytes of 1/3 are `ab aa … aa fd 3f` on x86-64 and
    `55 55 … 55` (only mantissa bits) on AArch64: field extraction through a union reads the wrong
    bits, a 10-byte copy truncates the value, raw files or messages exchanged between the two
    architectures are misread, and the assertions fail at run time.

    ## Example
    ```c
    #include <stdio.h>
    void save(FILE *f, long double v) {
        fwrite(&v, sizeof(long double), 1, f);
    }
    ```

    Use instead:
    ```c
    #include <stdio.h>
    void save(FILE *f, long double v) {
        fprintf(f, "%La\\n", v);   /* exact, and readable on every architecture with strtold */
    }
    ```

    ## Limitations
    Names are matched within the file: a `long double` reached through a typedef, a member of a
    structure defined in another header, or a pointer parameter is only seen when its
    declaration is in this file. `#if LDBL_MANT_DIG == 64` and `static_assert`s are left to the
    preprocessor model and CC602, which evaluate them for AArch64. Windows on ARM64 (where
    `long double` is 64-bit) is not modelled.

    ## References
    - GCC floating types: https://gcc.gnu.org/onlinedocs/gcc/Floating-Types.html
    - Procedure Call Standard for the Arm 64-bit Architecture (long double is binary128): https://github.com/ARM-software/abi-aa/blob/main/aapcs64/aapcs64.rst
    - System V AMD64 ABI (long double is the 80-bit x87 format): https://gitlab.com/x86-psABIs/x86-64-ABI
    """

    code = "CC204"
    name = "x87-long-double-assumption"
    summary = "Code that relies on `long double` being the x87 80-bit format"
    languages = frozenset({"c", "cpp"})
    severity = Severity.WARNING
    impact = Impact.SILENT_BEHAVIOUR_CHANGE
    confidence = Confidence.MEDIUM
    tags = ("floating-point", "long-double", "serialization")
    effort_minutes = 45
    prefilter = (b"long double", b"LDBL_MANT_DIG")
    def check_file(self, ctx):
        for match in _scope.find_tokens(ctx, _TOKENS) + _scope.find_tokens(ctx, _CALL_NAMES, r"\s*\("):
            start = match.start()
            if directive_at(ctx, start) is not None:
                continue  # `#if LDBL_MANT_DIG == 64`: the preprocessor model decides that branch
            token = match.group(0)
            if token == "union":
                yield from self._union(ctx, match)
            elif token.endswith("("):
                yield from self._call(ctx, match)
            else:
                yield from self._assertion(ctx, match)

    # -- unions overlaying the x87 layout ----------------------------------------------------

    def _union(self, ctx, match):
        m = _STRUCT_WITH_LD.match(ctx.masked, match.start())
        if not m or m.group(1) != "union":
            return
        body = m.group(3)
        flat = re.sub(r"\b(?:struct|union)\s*\w*\s*\{", " ", body).replace("}", ";")
        members = [s for s in flat.split(";") if s.strip() and not re.search(rf"\b{_LD}\b", s)]
        if any(re.search(r"\*|\b(?:double|float|char\s*\*)\b", s) and not _UNION_INT_MEMBER.search(s) for s in members):
            return  # a value holder (long double beside double, float, pointers): not a view of its bits
        ints = [s for s in members if _UNION_INT_MEMBER.search(s) or re.search(r"\bchar\b[^;]*\[", s)]
        nested_ints = [b for b in re.findall(r"\bstruct\s*\w*\s*\{([^{}]*)\}", body)
                       if len([f for f in b.split(";") if _UNION_INT_MEMBER.search(f)]) >= 2]
        layout = nested_ints or any(re.search(r"\[", s) for s in ints) or any(_SIXTEEN_BIT.search(s) for s in ints)
        if not ints or not layout:
            return  # one integer beside the long double: storage for either, not a view of the x87 fields
        example = " ".join(ints[0].split())
        yield ctx.finding(
            self, match.start(), match.start() + len("union"),
            f"union overlays a `long double` with `{example}`: the bits it reads follow the x87 80-bit layout "
            "(64-bit mantissa, 15-bit exponent in bytes 8-9) on x86-64, but AArch64's long double is IEEE binary128, "
            "so the fields hold different bits",
            "use frexpl()/ldexpl()/signbit()/isnan() instead of reading the fields, or branch on LDBL_MANT_DIG "
            "(64 = x87, 113 = binary128) and decode both layouts",
            properties={"kind": "union-punning", "member": example},
        )

    # -- copies and raw I/O ---------------------------------------------------------------------

    def _call(self, ctx, match):
        masked = ctx.masked
        name = match.group(0).rstrip("(").strip()
        before = masked[max(0, match.start() - 2) : match.start()]
        if before.endswith((".", ">", ":")) and not before.endswith("::"):
            return  # a method call: obj.write(...)
        close = _scope.close_paren(masked, match.end() - 1, limit=20000, stop_at_semicolon=False)
        if close < 0:
            return
        inside = masked[match.end() : close]
        if name in _MEM_CALLS:
            if not re.search(r",\s*\(?\s*10\s*\)?\s*$", inside):
                return  # only 10-byte copies are of interest
        elif "&" not in inside and "sizeof" not in inside:
            return  # raw I/O of a long double takes its address or its size
        args = _scope.call_arguments(ctx, match.end() - 1)
        texts = [masked[a:b].strip() for a, b in args]
        names, structs = _names_at(ctx, match.start())
        if name in _MEM_CALLS:
            if len(texts) < 3 or not re.fullmatch(r"\(?\s*10\s*\)?", texts[2]):
                return
            if not any(_refers_to_ld(t, names, structs) for t in texts[:2]):
                return
            yield ctx.finding(
                self, match.start(), args[2][1],
                f"`{name}` of 10 bytes of a long double assumes the x87 80-bit format; on AArch64 long double is "
                "IEEE binary128 and all 16 bytes are significant (10 bytes hold only part of the mantissa)",
                "copy sizeof(long double) bytes, or convert the value (e.g. to double or to text with \"%La\") "
                "where a fixed external format is needed",
                properties={"kind": "ten-byte-copy", "call": name},
            )
            return
        buf_i, size_i = _IO_CALLS[name]
        if len(texts) <= max(buf_i, size_i):
            return
        subject = None
        for t in (texts[buf_i], texts[size_i]):
            subject = _refers_to_ld(t, names, structs)
            if subject:
                break
        if not subject:
            return
        direction = "reads" if name in ("fread", "read", "pread", "recv", "recvfrom") else "writes"
        yield ctx.finding(
            self, match.start(), args[-1][1] + 1,
            f"`{name}` {direction} {subject} as raw bytes: they hold the x87 80-bit format (plus 6 padding bytes) on "
            "x86-64 and IEEE binary128 on AArch64, so data exchanged between the two is misread",
            "serialize long double as text (\"%La\" with strtold) or convert to double/a fixed binary format before "
            "writing",
            properties={"kind": "raw-io", "call": name},
        )

    # -- run-time assertions on the x87 format --------------------------------------------------

    def _assertion(self, ctx, match):
        masked = ctx.masked
        start = match.start()
        line_start = masked.rfind("\n", 0, start) + 1
        line_end = masked.find("\n", start)
        line_end = len(masked) if line_end < 0 else line_end
        test = _X87_TEST.search(masked, max(line_start, start - 40), line_end)
        if not test or not (test.start() <= start < test.end()):
            return
        # inside assert(...)? look for an unclosed `assert(` before it on the statement
        prefix = masked[max(0, test.start() - 200) : test.start()]
        opener = prefix.rfind("(")
        while opener >= 0:
            close = _scope.close_paren(masked, test.start() - len(prefix) + opener, stop_at_semicolon=False)
            if close > test.end():
                break
            opener = prefix.rfind("(", 0, opener)
        if opener < 0 or not _ASSERTS.search(prefix[: opener + 1]):
            return
        if re.search(r"\b(?:static_assert|_Static_assert)\s*\($", prefix[: opener + 1]):
            return  # CC602 reports failing static assertions
        yield ctx.finding(
            self, test.start(), test.end(),
            f"`{' '.join(test.group(0).split())}` holds only for x87 long double; on AArch64 LDBL_MANT_DIG is 113 and "
            "sizeof(long double) is 16, so this assertion fails at run time",
            "decide what the code needs (precision or layout) and test for it, accepting LDBL_MANT_DIG 113 "
            "(IEEE binary128) as well",
            properties={"kind": "assertion"},
            severity=Severity.ERROR,
        )


def _names_at(ctx, offset: int) -> tuple[set[str], set[str]]:
    """Names that hold a long double at offset (the enclosing function's parameters and locals,
    and the file's globals), and struct/typedef names whose definition contains a long double."""
    facts = ctx.cache.get("cc204_facts")
    if facts is None:
        masked = ctx.masked
        structs: set[str] = set()
        for m in _STRUCT_WITH_LD.finditer(masked):
            if m.group(2):
                structs.add(m.group(2))
            if m.group(4) and re.search(r"\btypedef\s+$", masked[max(0, m.start() - 20) : m.start()]):
                structs.add(m.group(4))
        types = _LD
        if structs:
            types += "|" + "|".join(rf"(?:struct\s+|union\s+)?{re.escape(s)}" for s in sorted(structs))
        decl = re.compile(rf"(?:{types})\b(?:\s+const\b)?[\s*]*([A-Za-z_]\w*)\s*(?=[=;,\[])")
        globals_ = {m.group(1) for m in decl.finditer(masked) if _scope.function_at(ctx, m.start()) is None}
        facts = ctx.cache["cc204_facts"] = (globals_, structs, types)
    globals_, structs, types = facts
    fn = _scope.function_at(ctx, offset)
    local = set(_scope.typed_names(ctx, fn, types)) if fn is not None else set()
    return (globals_ | local) - {"const", "volatile"}, structs


def _refers_to_ld(text: str, names: set[str], structs: set[str]) -> str | None:
    if re.search(rf"\bsizeof\s*\(\s*{_LD}\s*\)", text):
        return "`sizeof(long double)` bytes"
    for s in structs:
        if re.search(rf"\bsizeof\s*\(\s*(?:struct\s+|union\s+)?{re.escape(s)}\s*\)", text):
            return f"`{s}` (which holds a long double)"
    m = re.fullmatch(r"\s*(?:\(\s*(?:const\s+)?(?:void|char|unsigned\s+char|uint8_t)\s*\*\s*\)\s*)?&\s*([A-Za-z_]\w*)\s*", text) \
        or re.fullmatch(r"\s*sizeof\s*\(?\s*([A-Za-z_]\w*)\s*\)?\s*", text)
    if m and m.group(1) in names:
        return f"`{m.group(1)}`"
    return None
