from __future__ import annotations

import re

from archport.model import Confidence, Impact, Severity
from archport.rule import Rule
from archport.rules.c_cpp._x86_runtime import file_defines, reference_kind

_CRC = {"qi": ("__crc32cb", "8"), "hi": ("__crc32ch", "16"), "si": ("__crc32cw", "32"), "di": ("__crc32cd", "64")}
_RELAX = '`__asm__ volatile("isb" ::: "memory")` (or "yield") in a cpu_relax() helper under `#if defined(__aarch64__)`'
_TIMER = (
    "clock_gettime(CLOCK_MONOTONIC) for nanoseconds, or read cntvct_el0 and divide by cntfrq_el0 "
    "(`mrs` in inline asm); never assume a GHz tick rate"
)

#: (name pattern after `__builtin_ia32_`, family, replacement, help)
_FAMILIES: tuple[tuple[re.Pattern, str, str, str], ...] = tuple(
    (re.compile(p), fam, repl, help_)
    for p, fam, repl, help_ in (
        (r"pause$", "pause", "isb", f"use {_RELAX}; re-tune spin counts measured on x86"),
        (r"rdtscp?$", "rdtsc", "clock_gettime", f"use {_TIMER}"),
        (
            r"clflush(?:opt)?$",
            "clflush",
            "dc civac",
            "no portable user-level equivalent: `__asm__ volatile(\"dc civac, %0\" :: \"r\"(p) : \"memory\")` "
            "(clean and invalidate by address) where the OS permits cache maintenance at EL0; "
            "__builtin___clear_cache is for instruction-cache coherency, not a flush",
        ),
        (
            r"clwb$",
            "clwb",
            "dc cvac",
            "no portable user-level equivalent: `__asm__ volatile(\"dc cvac, %0\" :: \"r\"(p) : \"memory\")` "
            "(clean by address) where the OS permits cache maintenance at EL0",
        ),
        (r"mfence$", "fence", "atomic_thread_fence(memory_order_seq_cst)",
         "use atomic_thread_fence(memory_order_seq_cst) (<stdatomic.h> / std::atomic_thread_fence; DMB ISH)"),
        (r"lfence$", "fence", "atomic_thread_fence(memory_order_acquire)",
         "use atomic_thread_fence(memory_order_acquire) (DMB ISHLD); where the lfence orders a timer read, "
         "use `__asm__ volatile(\"isb\" ::: \"memory\")`"),
        (r"sfence$", "fence", "atomic_thread_fence(memory_order_release)",
         "use atomic_thread_fence(memory_order_release) (DMB ISH)"),
        (r"bsrsi$", "bit-scan", "31 - __builtin_clz(x)", "use `31 - __builtin_clz(x)` (CLZ; x must not be 0, as for bsr)"),
        (r"bsrdi$", "bit-scan", "63 - __builtin_clzll(x)", "use `63 - __builtin_clzll(x)` (CLZ; x must not be 0, as for bsr)"),
        (r"bsf\w*$", "bit-scan", "__builtin_ctz(x)", "use __builtin_ctz / __builtin_ctzll (RBIT+CLZ; x must not be 0, as for bsf)"),
        (r"tzcnt_u\d+$", "bit-count", "__builtin_ctz(x)",
         "use __builtin_ctz / __builtin_ctzll (RBIT+CLZ); tzcnt returns the operand width for 0 while the builtin "
         "is undefined there, so test x == 0"),
        (r"lzcnt_u\d+$", "bit-count", "__builtin_clz(x)",
         "use __builtin_clz / __builtin_clzll (CLZ); lzcnt returns the operand width for 0 while the builtin "
         "is undefined there, so test x == 0"),
        (r"popcnt\w*$", "bit-count", "__builtin_popcount(x)",
         "use __builtin_popcount / __builtin_popcountll (NEON CNT in the default -march=armv8-a)"),
        (r"(?:rdrand\d+_step|rdseed_\w+_step)$", "random", "getrandom",
         "use getrandom() from <sys/random.h>, or __rndr/__rndrrs from <arm_acle.h> (-march=armv8.5-a+rng or "
         "__attribute__((target(\"+rng\")))) when getauxval(AT_HWCAP2) & HWCAP2_RNG"),
        (r"ro[lr][qh]i$", "rotate", "shift-or rotate", "write the rotate as `(x << n) | (x >> (width - n))` on the unsigned type"),
        (r"movnti(?:64)?$", "non-temporal-store", "plain store", "use a plain store (or memcpy); non-temporal stores are only a hint"),
        (r"rdpmc$", "perf-counter", "perf_event_open", "read hardware counters through perf_event_open()"),
        (r"serialize$", "serialize", "isb", "use `__asm__ volatile(\"isb\" ::: \"memory\")` (instruction synchronization barrier)"),
    )
)
_FAMILY_TEXT = {
    "crc32": "SSE4.2 CRC-32C step",
    "pause": "PAUSE spin-wait hint",
    "rdtsc": "time-stamp counter read",
    "clflush": "cache-line flush",
    "clwb": "cache-line write-back",
    "fence": "x86 memory fence",
    "bit-scan": "x86 bit scan",
    "bit-count": "x86 bit count",
    "random": "RDRAND/RDSEED hardware random number",
    "rotate": "x86 narrow rotate",
    "non-temporal-store": "MOVNTI non-temporal store",
    "perf-counter": "RDPMC performance-counter read",
    "serialize": "SERIALIZE instruction",
    "other": "x86 builtin",
}
_HAS_BUILTIN = re.compile(r"__has_builtin\s*\(\s*$")
_GENERIC_HELP = (
    "use the generic __builtin_* or <arm_neon.h>/<arm_acle.h> equivalent "
    "(GCC vector extensions also build on both targets)"
)


def _advice(name: str) -> tuple[str, str, str]:
    suffix = name[len("__builtin_ia32_") :]
    m = re.fullmatch(r"crc32(qi|hi|si|di)", suffix)
    if m:
        acle, bits = _CRC[m.group(1)]
        return (
            "crc32",
            acle,
            f"use {acle}(crc, v) from <arm_acle.h> (same CRC-32C/Castagnoli result on {bits}-bit data, no inversion); "
            "build with -march=armv8-a+crc or __attribute__((target(\"+crc\"))) and check "
            "getauxval(AT_HWCAP) & HWCAP_CRC32 when the CPU is not known to have it",
        )
    for pattern, family, replacement, help_ in _FAMILIES:
        if pattern.match(suffix):
            return family, replacement, help_
    return "other", "", _GENERIC_HELP


class X86BuiltinCall(Rule):
    """Call of an x86-only `__builtin_ia32_*` compiler builtin.

    ## What it does
    Checks for uses of GCC and Clang's x86 builtins, `__builtin_ia32_*`
    (`__builtin_ia32_crc32qi`, `__builtin_ia32_pause`, `__builtin_ia32_rdtsc`,
    `__builtin_ia32_clflush`, `__builtin_ia32_mfence`, `__builtin_ia32_bsrsi`, the vector
    builtins behind the SSE/AVX headers, …), one finding per call site. Uses in preprocessor
    branches that an AArch64 build never compiles, and `__has_builtin(...)` tests, are not
    reported. The help names the AArch64 replacement for the builtin's family.

    ## Why is this a problem on ARM64?
    The AArch64 compilers have no `__builtin_ia32_*` builtins. g++ 12 for AArch64 stops with
    "error: '__builtin_ia32_crc32qi' was not declared in this scope", Clang with "use of
    unknown builtin"; gcc 12 compiling C only warns about an implicit declaration and the link
    then fails with "undefined reference to `__builtin_ia32_crc32qi'".

    Most families have a direct AArch64 counterpart. The SSE4.2 CRC builtins map to the ACLE
    `__crc32cb/ch/cw/cd` of `<arm_acle.h>`, which compute the same CRC-32C (the `__crc32b…`
    functions without the `c` use the other polynomial). The internal
    `__builtin_aarch64_crc32cb` that some porting guides cite is not an API: without `+crc`
    GCC 12 stops on it with an internal compiler error ("unrecognizable insn").

    ## Example
    ```c
    #include <stdint.h>
    uint32_t crc_byte(uint32_t crc, uint8_t b) {
        return __builtin_ia32_crc32qi(crc, b);
    }
    ```

    Use instead:
    ```c
    #include <stdint.h>
    #if defined(__aarch64__)
    #include <arm_acle.h>
    __attribute__((target("+crc")))
    uint32_t crc_byte(uint32_t crc, uint8_t b) { return __crc32cb(crc, b); }
    #else
    uint32_t crc_byte(uint32_t crc, uint8_t b) { return __builtin_ia32_crc32qi(crc, b); }
    #endif
    ```

    ## Limitations
    A builtin reached through a macro defined in another file is reported where the macro is
    defined. The vector builtins (`__builtin_ia32_addps` …) get generic advice; their NEON
    equivalents depend on the surrounding code.

    ## References
    - GCC x86 built-in functions: https://gcc.gnu.org/onlinedocs/gcc/x86-Built-in-Functions.html
    - Arm C Language Extensions, CRC32 intrinsics: https://arm-software.github.io/acle/main/acle.html#crc32-intrinsics
    """

    code = "CC405"
    name = "x86-builtin-call"
    summary = "Call of an x86-only `__builtin_ia32_*` compiler builtin"
    languages = frozenset({"c", "cpp"})
    severity = Severity.ERROR
    impact = Impact.BUILD_BREAK
    confidence = Confidence.HIGH
    tags = ("builtins", "isa")
    effort_minutes = 20
    prefilter = (b"__builtin_ia32_",)
    pattern = r"\b__builtin_ia32_\w+"

    def check_match(self, ctx, match):
        name = match.group(0)
        if reference_kind(ctx, match.start()) != "use" or _HAS_BUILTIN.search(ctx.masked[max(0, match.start() - 40) : match.start()]):
            return
        if file_defines(ctx, name) >= 0:
            return  # the project supplies its own definition for AArch64
        family, replacement, help_ = _advice(name)
        if family == "crc32" and not ctx.target.is_baseline:  # the flag for the deployment target
            help_ = help_.replace("-march=armv8-a+crc", ctx.target.flag_with("+crc"))
        function = ctx.function_name(match.start())
        where = f" in `{function}()`" if function else ""
        yield ctx.finding(
            self,
            match.start(),
            match.end(),
            f"`{name}` ({_FAMILY_TEXT[family]}){where} exists only in x86 compilers: the AArch64 build fails "
            "(compile error in C++ and with Clang, undefined reference at link time with gcc in C)",
            help_,
            properties={"builtin": name, "family": family, "replacement": replacement},
        )
