from __future__ import annotations

from archport.model import Confidence, Impact, Severity
from archport.rule import Rule
from archport.rules.c_cpp._x86_runtime import file_defines, includes_translation_header, reference_kind

_HELP = (
    "wrap it in a cpu_relax() helper: `__asm__ volatile(\"isb\" ::: \"memory\")` (or \"yield\") under "
    "`#if defined(__aarch64__)`, _mm_pause() under the x86 guard; re-tune spin iteration counts measured on x86"
)


class X86SpinPause(Rule):
    """Call of the x86 spin-wait hint `_mm_pause()`.

    ## What it does
    Checks for uses of `_mm_pause()` (the x86 PAUSE instruction, declared by `<xmmintrin.h>`
    and `<immintrin.h>`) in code an AArch64 build compiles, typically in spin locks and
    busy-wait loops. Files that define `_mm_pause` themselves for AArch64, or include a
    translation header (sse2neon.h, SIMDe) that does, are not reported.
    `__builtin_ia32_pause()` is reported by CC405 and `asm("pause")` by the inline-assembly
    rule.

    ## Why is this a problem on ARM64?
    AArch64 compilers do not declare `_mm_pause`: g++ stops with "'_mm_pause' was not declared
    in this scope"; gcc in C accepts an implicit declaration and the link then fails with an
    undefined reference. AArch64's own hints are
    `YIELD`, which many cores treat almost as a no-op, and `ISB`, which stalls the pipeline for
    longer and is what Rust's `spin_loop` hint and BIND's spin loops use. GCC 12's
    `<arm_acle.h>` has no `__yield()`/`__isb()` intrinsics, so inline assembly is the
    portable spelling. Spin counts tuned for x86's PAUSE latency will not carry over, so
    re-measure them.

    ## Example
    ```c
    #include <immintrin.h>
    void spin_until(volatile int *flag) {
        while (!*flag)
            _mm_pause();
    }
    ```

    Use instead:
    ```c
    #if defined(__x86_64__) || defined(__i386__)
    #include <immintrin.h>
    #define cpu_relax() _mm_pause()
    #elif defined(__aarch64__)
    #define cpu_relax() __asm__ volatile("isb" ::: "memory")
    #else
    #define cpu_relax() ((void)0)
    #endif
    void spin_until(volatile int *flag) {
        while (!*flag)
            cpu_relax();
    }
    ```

    ## Limitations
    A definition of `_mm_pause` in another header of the project is not seen; include that
    header's guard in the file or suppress the finding.

    ## References
    - BIND: use ISB instead of YIELD for spin-wait on AArch64: https://git.ipfire.org/cgi-bin/gitweb.cgi?a=commit&h=436b76bb17142fc9a9ad9bd420ad61b3e4685b2b&p=thirdparty%2Fbind9.git
    - Rust spin-loop hint on AArch64 (rust-lang/rust#84725): https://github.com/rust-lang/rust/pull/84725
    - Arm A64 instruction set, YIELD and ISB: https://developer.arm.com/documentation/ddi0602/latest
    """

    code = "CC408"
    name = "x86-spin-pause"
    summary = "Call of the x86 spin-wait hint `_mm_pause()`"
    languages = frozenset({"c", "cpp"})
    severity = Severity.ERROR
    impact = Impact.BUILD_BREAK
    confidence = Confidence.HIGH
    tags = ("concurrency", "isa")
    effort_minutes = 10
    prefilter = (b"_mm_pause",)
    pattern = r"\b_mm_pause\b"

    def check_match(self, ctx, match):
        if reference_kind(ctx, match.start()) != "use":
            return
        if file_defines(ctx, "_mm_pause") >= 0 or includes_translation_header(ctx):
            return
        function = ctx.function_name(match.start())
        where = f" in `{function}()`" if function else ""
        yield ctx.finding(
            self,
            match.start(),
            match.end(),
            f"`_mm_pause()`{where} is the x86 PAUSE spin-wait hint; AArch64 compilers do not declare it, so the "
            "build fails (compile error in C++, undefined reference at link time in C)",
            _HELP,
            properties={"intrinsic": "_mm_pause", "replacement": 'asm volatile("isb" ::: "memory")'},
        )
