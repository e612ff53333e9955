from archport.model import Confidence, Impact, Severity
from archport.rule import Rule


class AArch64OnlyWarning(Rule):
    """A behaviour warning the AArch64 compiler gives and the x86-64 compiler does not.

    ## What it does
    Checks for warnings that expose a change of behaviour on AArch64: each translation unit is
    compiled for both targets with `-Wtype-limits -Wchar-subscripts -Wsign-compare
    -Wsign-conversion -Woverflow -Wswitch-outside-range -Wattributes -Wpsabi`, and the warnings
    only the AArch64 compile gives are reported (sign warnings only when they are about plain
    `char`). `archport verify compile` produces it; `archport scan` never does. Typical ones:
    "comparison is always false due to limited range of data type" on a `char` compared with a
    negative value or `EOF`, a negative `case` label on a `char`, and an x86 calling-convention
    attribute (`ms_abi`, `regparm`) that AArch64 ignores.

    ## Why is this a problem on ARM64?
    Plain `char` is unsigned on AArch64 Linux (signed on x86-64), so a test for a negative
    `char` is never true there: a `getchar()` loop stored in a `char` never sees `EOF`, and a
    sign check on a byte silently changes meaning. The code compiles and runs, with different
    results.

    ## Example
    ```c
    #include <stdio.h>
    int at_end(void) {
        char c = getchar();
        return c == EOF;
    }
    ```

    Use instead:
    ```c
    #include <stdio.h>
    int at_end(void) {
        int c = getchar();
        return c == EOF;
    }
    ```

    ## Limitations
    A warning the x86-64 compile also gives on the same line is not reported, even when its
    reason differs. `-Wcast-align` is not used: GCC gives it only for targets that require
    aligned accesses, which AArch64 is not. Warnings inside system headers are not reported.
    `-fsigned-char` in the project's flags makes `char` signed on AArch64 too, and the
    warnings go away.

    ## References
    - Procedure Call Standard for the Arm 64-bit Architecture (AAPCS64): `char` is unsigned.
    - GCC manual, `-Wtype-limits`, `-fsigned-char`.
    """

    code = "AP102"
    name = "aarch64-only-warning"
    summary = "Behaviour warning of the AArch64 compiler that x86-64 does not give"
    languages = frozenset({"c", "cpp", "fortran"})
    severity = Severity.WARNING
    impact = Impact.SILENT_BEHAVIOUR_CHANGE
    confidence = Confidence.MEDIUM
    effort_minutes = 15
    produced_by = "verify"
