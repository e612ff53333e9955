from __future__ import annotations

import re

from archport.model import Confidence, Impact, Severity
from archport.rule import Rule
from archport.rules.c_cpp.cc401_x86_intrinsic_call import intrinsic_table
from archport.rules.fortran._fortran import bind_c_names, compiled

_EXTRA = re.compile(r"__cpuid(?:ex|_count)?|__get_cpuid(?:_count|_max)?|__builtin_ia32_\w+|__readmsr|__writemsr|__inbyte|__outbyte")
_TIMER = re.compile(r"_{1,2}rdtscp?|__rdpmc|_rdpmc")
_CPUID = re.compile(r"__cpuid\w*|__get_cpuid\w*|_xgetbv")


def _advice(name: str, family: str) -> str:
    if _TIMER.fullmatch(name):
        return ("time with the intrinsic `call system_clock(count, rate)` on `integer(int64)` arguments (gfortran: "
                "nanosecond rate on both targets), or bind to a C helper that reads cntvct_el0 under "
                "`#if defined(__aarch64__)`")
    if _CPUID.fullmatch(name):
        return ("bind to a C helper that reads AArch64 features with getauxval(AT_HWCAP) (<sys/auxv.h>, "
                "HWCAP_* from <asm/hwcap.h>) under `#if defined(__aarch64__)`")
    if name.endswith("pause"):
        return "bind to a C helper that issues `yield` (or `isb`) on AArch64, or drop the spin hint"
    if "crc32" in name:
        return ("bind to a C helper that uses the ACLE `__crc32c*` functions from <arm_acle.h> on AArch64 "
                "(-march=armv8-a+crc)")
    return ("write the operation as a Fortran array expression or loop (gfortran vectorises it for AdvSIMD), or bind "
            "to a C helper with an AArch64 implementation (<arm_neon.h>) under `#if defined(__aarch64__)`")


class X86SymbolBinding(Rule):
    """`BIND(C, NAME=...)` interface to an x86 intrinsic or builtin.

    ## What it does
    Checks for Fortran interfaces whose `BIND(C, NAME="...")` names an x86 intrinsic or
    compiler builtin: the SSE/AVX intrinsics (`_mm_*`, `_mm256_*`, `_mm512_*`), `__rdtsc`,
    `__rdtscp`, `_rdrand64_step`, `_xgetbv`, `__cpuid`, `__builtin_ia32_*` and the like.
    Interfaces in preprocessor branches that an AArch64 build never compiles are not reported.

    ## Why is this a problem on ARM64?
    These names are x86 instructions exposed by x86 compilers, mostly as inline functions of
    x86 headers; no AArch64 library defines them, so every program that calls the interface
    fails to link on AArch64 ("undefined reference to `__rdtsc'" with aarch64-linux-gnu-gfortran
    12). The usual portable replacements are Fortran intrinsics (`SYSTEM_CLOCK`, array
    expressions) or a small C helper with an AArch64 implementation.

    ## Example
    ```fortran
    module timing
      use, intrinsic :: iso_c_binding
      interface
        integer(c_long_long) function read_tsc() bind(c, name="__rdtsc")
          import :: c_long_long
        end function
      end interface
    end module
    ```

    Use instead:
    ```fortran
    module timing
      use, intrinsic :: iso_fortran_env, only: int64
    contains
      integer(int64) function read_clock()
        call system_clock(read_clock)
      end function
    end module
    ```

    ## Limitations
    Only the `NAME=` string is read: an interface to a project's own C wrapper (`rdtsc`,
    `get_cycles`) is not reported, even when that wrapper is x86-only (the C rules report the
    wrapper's body). Binding names built by the preprocessor are not seen.

    ## References
    - gfortran interoperability with C: https://gcc.gnu.org/onlinedocs/gfortran/Interoperability-with-C.html
    - gfortran SYSTEM_CLOCK: https://gcc.gnu.org/onlinedocs/gfortran/SYSTEM_005fCLOCK.html
    - Arm C Language Extensions: https://arm-software.github.io/acle/
    """

    code = "FT402"
    name = "x86-symbol-binding"
    summary = "`BIND(C, NAME=...)` interface to an x86 intrinsic or builtin"
    languages = frozenset({"fortran"})
    severity = Severity.ERROR
    impact = Impact.BUILD_BREAK
    confidence = Confidence.HIGH
    tags = ("fortran", "interoperability", "intrinsics")
    effort_minutes = 30
    prefilter = (b"_mm", b"__rdtsc", b"_rdtsc", b"__cpuid", b"__get_cpuid", b"_xgetbv", b"_rdrand", b"_rdseed",
                 b"__builtin_ia32", b"__readmsr", b"__rdpmc", b"_rdpmc")

    def check_file(self, ctx):
        table = intrinsic_table()
        for start, end, name in bind_c_names(ctx):
            family = table.get(name) or ("x86" if _EXTRA.fullmatch(name) else None)
            if family is None or not compiled(ctx, start):
                continue
            yield ctx.finding(
                self, start, end,
                f"this interface binds to `{name}`, an x86 intrinsic ({family}): no AArch64 library defines the "
                "symbol, so programs calling it fail to link on AArch64",
                _advice(name, family),
                properties={"symbol": name, "isa": family},
            )
