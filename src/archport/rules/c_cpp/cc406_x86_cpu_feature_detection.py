from __future__ import annotations

import re

from archport.model import Confidence, Impact, Severity
from archport.preprocessor import State
from archport.rule import Rule
from archport.rules.c_cpp._x86_runtime import (
    call_paren,
    file_cache,
    file_defines,
    macro_strings,
    reference_kind,
    shorten,
    x86_items,
)

_AUXV = "getauxval(AT_HWCAP) / getauxval(AT_HWCAP2) and the HWCAP_* / HWCAP2_* bits (<sys/auxv.h>; also in <asm/hwcap.h>)"

#: x86 feature -> what to test on AArch64 (first match wins)
_NEAREST: tuple[tuple[re.Pattern, str], ...] = tuple(
    (re.compile(p), advice)
    for p, advice in (
        (r"^(?:sse4\.2|sse4_2|crc32)$", "getauxval(AT_HWCAP) & HWCAP_CRC32 (CRC32 instructions, __crc32c* in <arm_acle.h>)"),
        (r"^v?aes$", "getauxval(AT_HWCAP) & HWCAP_AES"),
        (r"^(?:v?pclmul|vpclmulqdq)$", "getauxval(AT_HWCAP) & HWCAP_PMULL (64-bit polynomial multiply)"),
        (r"^sha$", "getauxval(AT_HWCAP) & HWCAP_SHA1 / HWCAP_SHA2"),
        (r"^sha512$", "getauxval(AT_HWCAP) & HWCAP_SHA512"),
        (r"^(?:rdrnd|rdseed)$", "getauxval(AT_HWCAP2) & HWCAP2_RNG (RNDR), or simply getrandom()"),
        (r"^(?:avx512vnni|avxvnni\w*|avx5124vnniw)$", "getauxval(AT_HWCAP) & HWCAP_ASIMDDP (dot product); HWCAP2_I8MM for int8 matrix multiply"),
        (r"^avx512bf16$", "getauxval(AT_HWCAP2) & HWCAP2_BF16"),
        (r"^(?:avx512\w*|amx-\w+|avx10\S*)$",
         "getauxval(AT_HWCAP) & HWCAP_SVE or getauxval(AT_HWCAP2) & HWCAP2_SVE2 for wide vectors; Advanced SIMD "
         "(HWCAP_ASIMD) is in the default -march=armv8-a baseline"),
        (r"^(?:avx2?|fma|f16c|sse\S*|ssse3|mmx|x86-64\S*)$",
         "none for 128-bit SIMD, as Advanced SIMD (NEON, HWCAP_ASIMD) is in the default -march=armv8-a baseline; "
         "test getauxval(AT_HWCAP) & HWCAP_SVE / getauxval(AT_HWCAP2) & HWCAP2_SVE2 for SVE code paths"),
        (r"^(?:popcnt|lzcnt|abm|bmi2?|movbe|cmov)$",
         "none, as __builtin_popcount / __builtin_clz / __builtin_ctz compile to CNT, CLZ and RBIT in the "
         "default -march=armv8-a baseline"),
        (r"^(?:cx16|cmpxchg16b)$", "getauxval(AT_HWCAP) & HWCAP_ATOMICS (LSE: CASP) for 16-byte compare-and-swap"),
    )
)
_VENDOR_HELP = (
    "choose code paths by feature, not vendor: " + _AUXV + "; where the core really matters, read MIDR_EL1 from "
    "/sys/devices/system/cpu/cpu0/regs/identification/midr_el1"
)
_CPUID_HELP = (
    "read AArch64 features with " + _AUXV + ", e.g. HWCAP_ASIMD, HWCAP_CRC32, HWCAP_AES, HWCAP_PMULL, "
    "HWCAP_ATOMICS, HWCAP_SVE, HWCAP2_SVE2; keep the cpuid path under `#if defined(__x86_64__) || defined(__i386__)`"
)
_XGETBV_HELP = (
    "drop the check on AArch64: there is no XCR0; the kernel reports only usable features in "
    "getauxval(AT_HWCAP) / getauxval(AT_HWCAP2) (<sys/auxv.h>); keep _xgetbv under an x86 guard"
)
_FAIL = "the AArch64 build fails (compile error in C++ and with Clang, undefined reference at link time with gcc in C)"
_FAIL_NAME = "the AArch64 build fails (compile error in C++; in C an implicit declaration that fails to link)"


def _nearest(feature: str) -> str:
    f = feature.lower()
    for pattern, advice in _NEAREST:
        if pattern.match(f):
            return advice
    return "the matching HWCAP_* / HWCAP2_* bit of " + _AUXV


class X86CpuFeatureDetection(Rule):
    """x86 CPU feature detection (`cpuid`, `__builtin_cpu_supports("avx2")`, `_xgetbv`).

    ## What it does
    Checks for x86 CPU detection in code an AArch64 build compiles: `__get_cpuid`,
    `__get_cpuid_count`, `__get_cpuid_max`, `__cpuid`, `__cpuid_count` (GCC/Clang
    `<cpuid.h>`), `__cpuidex` (MSVC), `_xgetbv`, `__builtin_cpu_init()`, and
    `__builtin_cpu_supports` / `__builtin_cpu_is` whose string argument names an x86 feature
    or CPU (`"avx2"`, `"sse4.2"`, `"intel"`, `"haswell"`). Calls that name AArch64 features
    (`__builtin_cpu_supports("sve2")`) are left alone. The help names the nearest AArch64
    hardware-capability bit for the x86 feature asked about.

    ## Why is this a problem on ARM64?
    None of these exist for AArch64: `<cpuid.h>` is an x86 header, and GCC 12 for AArch64
    provides no `__builtin_cpu_supports`, `__builtin_cpu_is` or `__builtin_cpu_init` at all
    (g++: "'__builtin_cpu_supports' was not declared in this scope"; Clang 14: "use of unknown
    builtin"; gcc in C: an undefined reference at link time). Even where a newer compiler
    offers `__builtin_cpu_supports` for AArch64, it takes AArch64 feature names, so an x86
    name can never be true there.

    On Linux, AArch64 programs read CPU features from the auxiliary vector:
    `getauxval(AT_HWCAP)` and `getauxval(AT_HWCAP2)` with the `HWCAP_*` / `HWCAP2_*` bits
    (`<sys/auxv.h>`). An ifunc resolver receives the `AT_HWCAP` value as its first argument.

    ## Example
    ```c
    int use_avx2(void) {
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx2");
    }
    ```

    Use instead:
    ```c
    #if defined(__x86_64__) || defined(__i386__)
    int use_simd(void) { __builtin_cpu_init(); return __builtin_cpu_supports("avx2"); }
    #elif defined(__aarch64__)
    #include <sys/auxv.h>
    int use_simd(void) { return (getauxval(AT_HWCAP) & HWCAP_ASIMD) != 0; }
    #endif
    ```

    ## Limitations
    A feature name passed through a variable or macro cannot be read; such calls are reported
    with medium confidence. `"aes"` and `"sm4"` are both x86 and AArch64 names and count as x86
    only where an x86 build also compiles the call. Detection written as inline `cpuid`
    assembly is reported by the inline-assembly rule, and CPUID leaf numbers are not decoded.

    ## References
    - GCC x86 built-in functions (`__builtin_cpu_supports`): https://gcc.gnu.org/onlinedocs/gcc/x86-Built-in-Functions.html
    - Linux arm64 ELF hwcaps: https://docs.kernel.org/arch/arm64/elf_hwcaps.html
    - getauxval(3): https://man7.org/linux/man-pages/man3/getauxval.3.html
    """

    code = "CC406"
    name = "x86-cpu-feature-detection"
    summary = "x86 CPU feature detection with cpuid, `__builtin_cpu_supports` or `_xgetbv`"
    languages = frozenset({"c", "cpp"})
    severity = Severity.ERROR
    impact = Impact.BUILD_BREAK
    confidence = Confidence.HIGH
    tags = ("feature-detection", "isa")
    effort_minutes = 30
    prefilter = (b"__builtin_cpu_", b"cpuid", b"_xgetbv")
    pattern = r"\b(?:__builtin_cpu_(?:supports|is|init)|__get_cpuid(?:_count|_max)?|__cpuid(?:_count|ex)?|_xgetbv)\b"

    def check_match(self, ctx, match):
        name = match.group(0)
        if reference_kind(ctx, match.start()) != "use":
            return
        if file_defines(ctx, name) >= 0:
            return  # the project supplies its own version for this build
        where = ctx.function_name(match.start())
        where = f" in `{where}()`" if where else ""
        if name in ("__builtin_cpu_supports", "__builtin_cpu_is"):
            yield from self._builtin_query(ctx, match, name, where)
        elif name == "__builtin_cpu_init":
            if _aarch64_only_queries(ctx) or ctx.x86_state(match.start()) is State.INACTIVE:
                return  # code for compilers with AArch64 function multi-versioning
            yield ctx.finding(
                self,
                match.start(),
                match.end(),
                f"`__builtin_cpu_init()`{where} prepares x86 `__builtin_cpu_supports`/`__builtin_cpu_is` queries; "
                f"GCC 12 for AArch64 has no such builtin, so {_FAIL}",
                "remove it on AArch64 (getauxval() needs no initialisation) and test features with " + _AUXV,
                properties={"call": name, "replacement": "getauxval(AT_HWCAP)"},
            )
        elif name == "_xgetbv":
            yield ctx.finding(
                self,
                match.start(),
                match.end(),
                f"`_xgetbv()`{where} reads the x86 XCR0 register (OS support for AVX state); "
                f"AArch64 has no such register or intrinsic, so {_FAIL_NAME}",
                _XGETBV_HELP,
                properties={"call": name, "replacement": "getauxval(AT_HWCAP)"},
            )
        else:
            header = {"__cpuidex": "MSVC <intrin.h>", "__cpuid": "<cpuid.h> or MSVC <intrin.h>"}.get(name, "<cpuid.h>")
            yield ctx.finding(
                self,
                match.start(),
                match.end(),
                f"`{name}()`{where} executes the x86 CPUID instruction ({header}); AArch64 has no CPUID and "
                f"no such function, so {_FAIL_NAME}",
                _CPUID_HELP,
                properties={"call": name, "replacement": "getauxval(AT_HWCAP)"},
            )

    def _builtin_query(self, ctx, match, name, where):
        paren = call_paren(ctx, match.end())
        if paren < 0:
            return
        close = ctx.matching_paren(paren)
        if close < 0:
            return
        literals = ctx.source.string_literals(paren, close)
        end = close
        via = None
        if not literals:
            resolved = macro_strings(ctx, ctx.masked[paren + 1 : close - 1])
            if resolved is not None:
                if not resolved:
                    return  # defined only for other targets
                literals, via = resolved, ctx.masked[paren + 1 : close - 1].strip()
        if not literals:
            yield ctx.finding(
                self,
                match.start(),
                end,
                f"`{name}({shorten(ctx.text[paren + 1 : close - 1], 40)})`{where} is x86 CPU detection whose "
                f"argument cannot be read here; GCC 12 for AArch64 has no `{name}`, so {_FAIL}",
                _CPUID_HELP,
                properties={"call": name, "feature": None, "replacement": "getauxval(AT_HWCAP)"},
                confidence=Confidence.MEDIUM,
            )
            return
        features = x86_items(literals, ctx, match.start())
        if not features:
            return  # an AArch64 (or other) feature name
        shown = ", ".join(f'"{f}"' for f in features)
        if via:
            shown = f"{via} = {shown}"
        if name == "__builtin_cpu_is":
            message = (
                f"`__builtin_cpu_is({shown})`{where} tests for an x86 CPU, which an AArch64 machine never is; "
                f"GCC 12 for AArch64 has no `__builtin_cpu_is`, so {_FAIL}"
            )
            help_ = _VENDOR_HELP
            replacement = "getauxval(AT_HWCAP)"
        else:
            message = (
                f"`__builtin_cpu_supports({shown})`{where} tests an x86 feature name; "
                f"GCC 12 for AArch64 has no `__builtin_cpu_supports`, so {_FAIL}"
            )
            advice = _nearest(features[0])
            help_ = f"nearest AArch64 check for {features[0]}: {advice}; keep the x86 test under an x86 guard"
            replacement = advice
        yield ctx.finding(
            self,
            match.start(),
            end,
            message,
            help_,
            properties={"call": name, "feature": features[0], "replacement": replacement, "via_macro": via},
        )


_QUERY = re.compile(r"\b__builtin_cpu_(?:supports|is)\s*\(")


def _aarch64_only_queries(ctx) -> bool:
    """The file's __builtin_cpu_supports/is calls all name non-x86 features (code written for
    a compiler with AArch64 function multi-versioning), and there is at least one."""
    cache = file_cache(ctx)
    if "aarch64-only-queries" not in cache:
        cache["aarch64-only-queries"] = _scan_queries(ctx)
    return cache["aarch64-only-queries"]


def _scan_queries(ctx) -> bool:
    seen = False
    for m in _QUERY.finditer(ctx.masked):
        close = ctx.matching_paren(m.end() - 1)
        if close < 0:
            continue
        literals = ctx.source.string_literals(m.end() - 1, close)
        if not literals:
            return False
        if x86_items(literals, ctx, m.start()):
            return False
        seen = True
    return seen
