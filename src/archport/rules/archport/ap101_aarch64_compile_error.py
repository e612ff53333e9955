from archport.model import Confidence, Impact, Severity
from archport.rule import Rule


class AArch64CompileError(Rule):
    """A compile error the AArch64 compiler gives and the x86-64 compiler does not.

    ## What it does
    Checks for errors of the AArch64 cross compiler (`aarch64-linux-gnu-gcc`, `g++`,
    `gfortran`) on each translation unit that the x86-64 compiler, given the same flags, does
    not report. `archport verify compile` produces it; `archport scan` never does. Errors that
    match a known hazard are reported under that rule's code instead (an unknown `_mm_*`
    function as CC401, a missing `immintrin.h` as CC403, an impossible `asm` constraint as
    CC404, `SYS_open` as CC501, an `#error` as CC602, ...); AP101 is everything else, for
    example a C++ brace initialiser that narrows a negative constant into a plain `char`, an
    implicit declaration of a function only x86 declares, or a Fortran `real(kind=10)`.

    ## Why is this a problem on ARM64?
    The build stops. Each of these errors was found by the real AArch64 compiler, so it is not
    a guess: the code as written does not compile for AArch64 with these flags.

    ## Example
    ```cpp
    char deltas[] = {-1, 0, 1};
    ```

    Use instead:
    ```cpp
    signed char deltas[] = {-1, 0, 1};
    ```

    ## Options
    `archport verify compile PATH --compile-commands FILE` takes the include paths and defines
    from the project's `compile_commands.json`; without one, every directory of the tree that
    holds headers is an include directory and `_GNU_SOURCE` is defined. Flags the cross
    compiler rejects (`-mavx2`, `-march=haswell`, `-msse4.2`, `-mcx16`, ...) are dropped for
    the AArch64 compile and listed in the report's settings.

    ## Limitations
    The first fatal error of a translation unit (a missing header that is not an x86 intrinsic
    header) hides the errors behind it. Errors in code that needs a generated header or a
    define from the real build are reported as setup problems, not findings, when the x86-64
    compiler fails the same way. Inline assembly is checked by the assembler only in units
    that otherwise compile.

    ## References
    - GCC manual, "Options to Request or Suppress Warnings" and "AArch64 Options".
    - Debian packages `gcc-aarch64-linux-gnu`, `g++-aarch64-linux-gnu`, `gfortran-aarch64-linux-gnu`.
    """

    code = "AP101"
    name = "aarch64-compile-error"
    summary = "Compile error of the AArch64 cross compiler that x86-64 does not have"
    languages = frozenset({"c", "cpp", "fortran"})
    severity = Severity.ERROR
    impact = Impact.BUILD_BREAK
    confidence = Confidence.HIGH
    effort_minutes = 30
    produced_by = "verify"
