from __future__ import annotations

from archport.model import Confidence, Impact, Severity
from archport.rule import Rule
from archport.rules.c_cpp import _plain_char as pc
from archport.rules.c_cpp._symbols import char_symbols

_OPTION_READERS = frozenset({"getopt", "getopt_long", "getopt_long_only"})


class PlainCharEofComparison(Rule):
    """A plain `char` that receives `getc()`/`getchar()`/`getopt()` and is compared with `EOF`/-1.

    ## What it does
    Checks for a plain `char` variable that is assigned the `int` result of `getc`, `fgetc`,
    `getchar`, their `_unlocked` forms, `getopt`, `getopt_long` or `getopt_long_only`, and is
    then compared with `EOF`, -1 or another test whose answer depends on the signedness of
    `char` (`(c = getchar()) != EOF`, `while ((c = getopt(argc, argv, "v")) != -1)`). An `int`
    variable, and `signed char`/`unsigned char` variables, are not reported here.

    ## Why is this a problem on ARM64?
    These functions return an `int` so that EOF (-1) is distinct from every byte. Stored in a
    plain `char`, -1 becomes 255 on AArch64 Linux, where `char` is unsigned: the comparison with
    EOF or -1 is always false, so a read loop never ends and a `getopt` loop never sees the end
    of the options. On x86-64, where `char` is signed, the loop ends instead at the first 0xFF
    byte of the input, mistaking it for EOF.

    ## Example
    ```c
    #include <stdio.h>
    void copy(FILE *in, FILE *out) {
        char c;
        while ((c = getc(in)) != EOF)
            putc(c, out);
    }
    ```

    Use instead:
    ```c
    #include <stdio.h>
    void copy(FILE *in, FILE *out) {
        int c;
        while ((c = getc(in)) != EOF)
            putc(c, out);
    }
    ```

    ## Limitations
    Only assignments in the same function are followed, and only to a variable or field whose
    plain `char` type is visible in this file. A result passed through another function or
    stored into a buffer element first is not followed.

    ## References
    - C11 7.21.7.1 (fgetc returns an int, EOF on end of file): https://www.open-std.org/jtc1/sc22/wg14/www/docs/n1570.pdf
    - SEI CERT C FIO34-C: https://wiki.sei.cmu.edu/confluence/display/c/FIO34-C.+Distinguish+between+characters+read+from+a+file+and+EOF+or+WEOF
    """

    code = "CC102"
    name = "plain-char-eof-comparison"
    summary = "A plain char that receives getc() or getopt() results is compared with EOF or -1"
    languages = frozenset({"c", "cpp"})
    severity = Severity.WARNING
    impact = Impact.SILENT_BEHAVIOUR_CHANGE
    confidence = Confidence.HIGH
    tags = ("char-signedness", "data-model")
    effort_minutes = 10
    prefilter = (b"getc", b"getchar", b"getopt")

    def check_file(self, ctx):
        found = pc.sign_dependent_comparisons(ctx)
        if not found:
            return
        table = char_symbols(ctx)
        for cmp in sorted(found.values(), key=lambda c: c.node.start_byte):
            reader = pc.reader_source(ctx, table, cmp)
            if reader is None:
                continue
            target = pc.strip_parens(cmp.operand.node)
            if target.type == "assignment_expression":
                target = target.child_by_field_name("left")
            variable = pc.code(target, 40)
            expression = pc.code(cmp.node)
            arm = pc.describe_results(cmp.arm)
            if reader in _OPTION_READERS:
                effect = "the end of the options is never detected"
                x86 = ""
                also = ""
            else:
                effect = "end of input is never detected and a loop reading to EOF never ends"
                x86 = "; on x86-64 a 0xFF input byte is mistaken for EOF instead"
                also = ", though the 0xFF-byte problem stays"
            start, end = pc.char_span(ctx, cmp.node)
            yield pc.make_finding(
                ctx,
                self,
                start,
                end,
                f"`{variable}` is a plain char but receives the int result of {reader}(): on AArch64, where char "
                f"is unsigned, `{expression}` is {arm}, so {effect}{x86}",
                f"declare `{variable}` as `int`, the type {reader}() returns, so that -1 stays distinct from "
                f"every byte; building the whole program with -fsigned-char keeps the x86-64 behaviour on "
                f"AArch64{also}",
                {"variable": variable, "reader": reader, "expression": expression},
            )
