from __future__ import annotations

import re

from archport.knowledge import is_x86_header
from archport.model import Confidence, Impact, Severity
from archport.rule import Rule

_INCLUDE_TARGET = re.compile(r"#\s*include(?:_next)?\s*([<\"])([^>\"\n]+)[>\"]")
# MSVC's <intrin.h> exists on ARM64 too; it is an x86 header only where x86 intrinsics are used
_MSVC_X86_USE = re.compile(r"\b(?:_mm\w*|__m(?:64|128|256|512)\w*|__cpuid\w*|__rdtsc\w*|_xgetbv|__readmsr|__inbyte|__outbyte)\b")

_ADVICE = {
    "cpuid.h": "read AArch64 features with getauxval(AT_HWCAP) / HWCAP_* from <sys/auxv.h> and <asm/hwcap.h>",
    "sys/io.h": "AArch64 has no I/O port space: reach devices through a kernel driver, UIO or sysfs (MMIO)",
    "asm/unistd_64.h": "include <sys/syscall.h> and use SYS_* names; AArch64 uses the asm-generic syscall table",
    "asm/unistd_32.h": "include <sys/syscall.h> and use SYS_* names; AArch64 uses the asm-generic syscall table",
    "mm_malloc.h": "use aligned_alloc()/posix_memalign() and free()",
}
_SIMD_ADVICE = (
    "guard the include with `#if defined(__x86_64__) || defined(_M_X64)` and include <arm_neon.h> "
    "(or a translation header such as sse2neon.h or SIMDe) under `#elif defined(__aarch64__)`"
)


class X86IntrinsicHeader(Rule):
    """Include of a header that only x86 toolchains provide.

    ## What it does
    Checks for `#include` of x86-only headers: the SSE…AVX-512 intrinsic headers
    (`xmmintrin.h` … `immintrin.h`, `x86intrin.h`, `avx512*intrin.h`, …), `cpuid.h`,
    `sys/io.h`, `asm/unistd_64.h`, and MSVC's `<intrin.h>` in files that use x86 intrinsics.
    Includes in preprocessor branches that an AArch64 build never compiles are not reported.

    ## Why is this a problem on ARM64?
    The AArch64 GCC and Clang toolchains do not ship these headers, so the build stops at the
    include with "fatal error: immintrin.h: No such file or directory" before any other
    diagnostic.

    ## Example
    ```c
    #include <immintrin.h>
    #include <cpuid.h>
    ```

    Use instead:
    ```c
    #if defined(__x86_64__) || defined(_M_X64)
    #include <immintrin.h>
    #elif defined(__aarch64__)
    #include <arm_neon.h>
    #endif
    ```

    ## Limitations
    Headers reached through a project header are reported where the x86 header itself is
    included, not at every file that includes the project header. `<intrin.h>` is only
    reported when the same file uses x86 intrinsic names.

    ## References
    - GCC x86 built-in functions: https://gcc.gnu.org/onlinedocs/gcc/x86-Built-in-Functions.html
    - Arm C Language Extensions: https://arm-software.github.io/acle/
    """

    code = "CC403"
    name = "x86-intrinsic-header"
    summary = "Include of a header that only x86 toolchains provide"
    languages = frozenset({"c", "cpp"})
    severity = Severity.ERROR
    impact = Impact.BUILD_BREAK
    confidence = Confidence.HIGH
    tags = ("simd", "headers")
    effort_minutes = 15
    prefilter = (b"intrin.h", b"cpuid.h", b"sys/io.h", b"unistd_64.h", b"unistd_32.h", b"mm_malloc.h", b"mm3dnow.h")
    pattern = r"^[ \t]*#[ \t]*include(?:_next)?[ \t]*[<\"][^\n]*"

    def check_match(self, ctx, match):
        raw = ctx.text[match.start() : match.end()]
        target = _INCLUDE_TARGET.search(raw)
        if not target:
            return
        header = target.group(2).strip()
        base = header if header.startswith(("asm/", "sys/")) else header.rsplit("/", 1)[-1]
        if header.lower() == "intrin.h":
            if not _MSVC_X86_USE.search(ctx.masked):
                return
        elif not is_x86_header(base):
            return
        shown = f"<{header}>" if target.group(1) == "<" else f'"{header}"'
        yield ctx.finding(
            self,
            match.start() + target.start(1),
            match.start() + target.end(),
            f"`{shown}` exists only in x86 toolchains; an AArch64 build stops here",
            _ADVICE.get(base, _SIMD_ADVICE),
            properties={"header": header},
        )
