from __future__ import annotations

from archport.model import Confidence, Impact, Severity
from archport.rule import Rule
from archport.rules.c_cpp import _plain_char as pc
from archport.rules.c_cpp._symbols import char_symbols


def _range_check_half(cmp) -> bool:
    """`c >= '0'`, `c < ' '`: relational tests against 1..127 differ for bytes 0x80-0xFF too,
    but they are usually one half of a range check; `c > 127` and `c <= 127` are not."""
    if cmp.op in ("==", "!=") or cmp.const.char_typed and cmp.const.x86 != cmp.const.arm:
        return False
    k = cmp.const.x86
    return 1 <= k <= 127 and not (k == 127 and cmp.op in (">", "<="))


class PlainCharSignDependence(Rule):
    """Comparison of a plain `char` whose result depends on whether `char` is signed.

    ## What it does
    Checks for plain `char` values (variables, parameters, fields, `*p`, `s[i]`, `(char)x`,
    typedef'd or macro'd `char`) compared with a constant where the answer differs between a
    signed and an unsigned `char`: `c < 0`, `c >= 0`, `c > 0`, `c <= -1`, `c == -1`,
    `c == EOF`, `c > 127`, `c >= 0x80`, `c == 0xff`, `c < (char)0x80`. Comparisons that mean the
    same either way (`c == 'a'`, `c == 0`, `c >= '0' && c <= '9'`, `c & 0x80`) and `signed
    char`, `unsigned char`, `int8_t` and `uint8_t` are not reported. Comparisons of a variable
    that receives `getc()`/`getopt()` results are CC102's.

    ## Why is this a problem on ARM64?
    Plain `char` is signed on x86-64 and unsigned on AArch64 Linux (GCC and Clang predefine
    `__CHAR_UNSIGNED__` there). A byte 0x80-0xFF reads as -128..-1 on x86-64 and as 128..255
    on AArch64, so `c < 0` is always false on AArch64 (GCC says so with `-Wtype-limits`), and
    `c == 0xff` is always false on x86-64 but true on AArch64. Code that detects UTF-8 lead
    bytes, sentinels or "negative" flags this way silently takes other branches. Apple arm64
    and Windows on Arm keep `char` signed.

    ## Example
    ```c
    int is_high(const char *s) {
        return s[0] < 0;
    }
    ```

    Use instead:
    ```c
    int is_high(const char *s) {
        return (unsigned char)s[0] >= 0x80;
    }
    ```

    ## Limitations
    In the fast mode types come from this file only: a variable or field whose `char` type is
    declared in a header (or through a typedef in a header) is not recognised. The deep mode
    (a compile_commands.json and libclang, see `archport scan --compile-commands`) takes the
    types from libclang, headers, macros and -D defines included. Relational comparisons with
    constants 1..127 (`c < ' '`, `c >= '0'`) also differ for bytes 0x80-0xFF but are usually
    one half of a range check, so they are not reported (`c > 127` and `c <= 127` are).
    Arithmetic on the char before the comparison (`k * c < 0`) is not followed. A field access
    resolves by field name: when two structs of the file declare the same field name with
    different types it is not reported. Code that means to follow the platform (comparing with
    `CHAR_MAX`-derived limits) is reported like any other.

    ## References
    - GCC options `-fsigned-char`, `-funsigned-char`: https://gcc.gnu.org/onlinedocs/gcc/C-Dialect-Options.html
    - Arm, Procedure Call Standard for AArch64 (plain char is unsigned): https://github.com/ARM-software/abi-aa/blob/main/aapcs64/aapcs64.rst
    """

    code = "CC101"
    name = "plain-char-sign-dependence"
    summary = "Comparison of a plain char whose result depends on whether char is signed"
    languages = frozenset({"c", "cpp"})
    severity = Severity.WARNING
    impact = Impact.SILENT_BEHAVIOUR_CHANGE
    confidence = Confidence.HIGH
    tags = ("char-signedness", "data-model")
    effort_minutes = 15
    prefilter = (b"char",)
    #: deep mode: offered every file of the compilation database (a `char` typedef may come from a header)
    deep_offer = True

    def check_file(self, ctx):
        found = pc.sign_dependent_comparisons(ctx)
        if not found:
            return
        table = char_symbols(ctx)
        for cmp in sorted(found.values(), key=lambda c: c.node.start_byte):
            if _range_check_half(cmp):
                continue
            if pc.reader_source(ctx, table, cmp) is not None:
                continue  # CC102
            start, end = pc.char_span(ctx, cmp.node)
            variable = pc.code(cmp.operand.node, 40)
            via_field = pc.strip_parens(cmp.operand.node).type == "field_expression"
            yield pc.make_finding(
                ctx,
                self,
                start,
                end,
                f"`{pc.code(cmp.node)}` {cmp.describe()}: `{variable}` is a plain char, "
                "signed on x86-64 and unsigned on AArch64",
                "use `signed char` (or int8_t) where negative values are meant, or test the byte as "
                f"`(unsigned char){variable} >= 0x80` where high bytes are meant; " + pc.BUILD_WIDE,
                {"expression": pc.code(cmp.node), "variable": variable,
                 "aarch64": pc.describe_results(cmp.arm), "x86_64": pc.describe_results(cmp.x86)},
                confidence=Confidence.MEDIUM if via_field else None,
            )
