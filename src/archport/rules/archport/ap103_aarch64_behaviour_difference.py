from archport.model import Confidence, Impact, Severity
from archport.rule import Rule


class AArch64BehaviourDifference(Rule):
    """A program whose exit status or output differs between x86-64 and AArch64.

    ## What it does
    Checks for differences between two runs of the same program, built once for x86-64 and once
    for AArch64 and run with the same arguments and input (the AArch64 build under
    `qemu-aarch64`): exit status (or the signal that ended it), standard output and standard
    error. `archport verify run` produces it; `archport scan` never does. Each differing stream
    is one finding with both outputs, and the static findings in the program's sources.

    ## Why is this a problem on ARM64?
    The same source computes different results: plain `char` is unsigned, out-of-range
    float-to-int conversions saturate and NaN converts to 0 (x86-64 gives `INT_MIN` for
    both), `long double` is 128-bit IEEE
    instead of 80-bit x87, GCC contracts `a * b + c` into one fused multiply-add at `-O2`,
    integer division by zero returns 0 instead of trapping with SIGFPE, and pages can be
    64 KiB. None of these is a compile error.

    ## Example
    ```c
    #include <stdio.h>
    int main(void) {
        char c = (char)200;
        printf("%d\\n", c);
        return 0;
    }
    ```

    Use instead:
    ```c
    #include <stdio.h>
    int main(void) {
        signed char c = (signed char)200;
        printf("%d\\n", c);
        return 0;
    }
    ```

    ## Options
    `--float-tolerance EPS` compares numbers in the output with a relative tolerance;
    `--page-size 65536` runs the AArch64 program with 64 KiB pages (qemu `-p`); `--cpu NAME`
    picks the emulated CPU (qemu `-cpu`); `--timeout` and `--memory` limit each run.

    ## Limitations
    Only what the program prints and its exit status are compared; a difference that does not
    reach the output is not seen. qemu-user reports the 64 KiB page size to the program but
    does not enforce 64 KiB alignment in `mmap`/`mprotect`, so a page-size assumption shows
    only where the program reads the page size. Timing, addresses and random numbers in the
    output differ between any two runs: keep them out of the compared output.

    ## References
    - Procedure Call Standard for the Arm 64-bit Architecture (AAPCS64).
    - Arm Architecture Reference Manual: FCVTZS (saturating conversion), SDIV (division by zero
      gives zero).
    - QEMU user-mode emulation documentation (`-p`, `-cpu`).
    """

    code = "AP103"
    name = "aarch64-behaviour-difference"
    summary = "Exit status or output that differs between the x86-64 and the AArch64 build"
    languages = frozenset({"c", "cpp", "fortran"})
    severity = Severity.ERROR
    impact = Impact.SILENT_BEHAVIOUR_CHANGE
    confidence = Confidence.HIGH
    effort_minutes = 60
    produced_by = "verify"
