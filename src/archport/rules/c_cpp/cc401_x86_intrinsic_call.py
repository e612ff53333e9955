from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib import resources

from archport.model import Confidence, Impact, Severity
from archport.preprocessor import State
from archport.rule import Rule
from archport.rules._tables import neon_map
from archport.rules._tables.owned import owner
from archport.rules.c_cpp._x86_runtime import SIMDE_ALIASES, definition_body, reference_kind
from archport.targets import DEFAULT_TARGET, get_target

#: any identifier that starts like an intrinsic; the table decides
_CANDIDATE = re.compile(r"(?<![\w$])(?:_{1,2}[a-z]\w*|_MM_TRANSPOSE4_PS)\b")
_SSE2NEON_INCLUDE = re.compile(r"^[ \t]*#[ \t]*include[ \t]*[<\"](?:[^>\"\n]*/)?sse2neon\.h[>\"]", re.M)
_SIMDE_INCLUDE = re.compile(r"^[ \t]*#[ \t]*include[ \t]*[<\"](?:[^>\"\n]*/)?simde/x86/[^>\"\n]+[>\"]", re.M)
_SIMDE_HEADER = {"AVX": "avx.h", "AVX2": "avx2.h", "FMA": "fma.h", "F16C": "f16c.h", "GFNI": "gfni.h"}
_MARCH = {"+crc": "-march=armv8-a+crc", "+crypto": "-march=armv8-a+crypto", "+fp16": "-march=armv8.2-a+fp16"}


@lru_cache(maxsize=None)
def intrinsic_table() -> dict[str, str]:
    """{x86 intrinsic name: ISA family}, generated from GCC's x86 headers
    (archport.devtools.gen_intrinsics_table)."""
    data = resources.files("archport.rules._tables").joinpath("x86_intrinsics.json").read_text(encoding="utf-8")
    return json.loads(data)


def _active(ctx, pattern: re.Pattern) -> bool:
    return any(ctx.arm_state(m.start()) is not State.INACTIVE for m in pattern.finditer(ctx.text))


def translation_headers(ctx) -> tuple[bool, bool]:
    """(sse2neon, simde): whether the file includes sse2neon.h, or SIMDe with
    SIMDE_ENABLE_NATIVE_ALIASES, in code an AArch64 build compiles. Both define x86 names on
    AArch64."""
    text = ctx.text
    simde = "simde" in text and bool(SIMDE_ALIASES.search(text)) and _active(ctx, _SIMDE_INCLUDE)
    sse2neon = "sse2neon" in text and _active(ctx, _SSE2NEON_INCLUDE)
    return sse2neon, simde


def translated(family: str, sse2neon: bool, simde: bool) -> bool:
    """Whether an included translation header provides the family's names."""
    if sse2neon and family in neon_map.SSE2NEON_FAMILIES:
        return True
    if simde:
        return (
            family in neon_map.SSE2NEON_FAMILIES
            or family in neon_map.SIMDE_FAMILIES
            or family == "MMX"
            or family.startswith("AVX-512")
        )
    return False


def translation_hint(family: str) -> str:
    if family in neon_map.SSE2NEON_FAMILIES:
        return "or keep the x86 names on AArch64 by including sse2neon.h under `#if defined(__aarch64__)`"
    if family in _SIMDE_HEADER:
        return (
            "or keep the x86 names through SIMDe (`#define SIMDE_ENABLE_NATIVE_ALIASES` before "
            f"`#include <simde/x86/{_SIMDE_HEADER[family]}>`)"
        )
    if family.startswith("AVX-512"):
        return (
            "or keep the x86 names through SIMDe (`#define SIMDE_ENABLE_NATIVE_ALIASES` before "
            "`#include <simde/x86/avx512.h>`; AVX-512 coverage is partial)"
        )
    return ""


@lru_cache(maxsize=4096)
def advice(name: str, family: str, target: str = DEFAULT_TARGET) -> tuple[str, str, str | None]:
    """(help text, replacement, caution) for one intrinsic; a replacement that needs an
    architecture extension names the flag for the deployment `target`."""
    eq = neon_map.lookup(name)
    if eq is None:
        replacement = neon_map.fallback(family)
        help_ = replacement
        caution = None
    else:
        replacement = eq.replacement
        where = []
        if eq.header:
            where.append(eq.header)
        if eq.march:
            where.append(_MARCH.get(eq.march, eq.march) if target == DEFAULT_TARGET else get_target(target).flag_with(eq.march))
        help_ = f"use {eq.replacement}" + (f" ({', '.join(where)})" if where else "")
        caution = eq.caution
    hint = translation_hint(family)
    if hint:
        help_ += f", {hint}"
    if caution:
        help_ += f". Caution: {caution}"
    return help_, replacement, caution


class X86IntrinsicCall(Rule):
    """Call of an x86 SIMD or bit-manipulation intrinsic.

    ## What it does
    Checks for uses of the x86 intrinsics that GCC's `*intrin.h` headers declare, from MMX and
    SSE to AVX-512, and the scalar extensions (`_mm_crc32_u8`, `_mm_popcnt_u64`, `_lzcnt_u64`,
    `_pext_u64`, `_rdrand64_step`, `_mm_aesenc_si128`, ...): one finding per call site (a name
    used without a call, such as a function pointer, counts once too). Each finding names the
    ISA family and the NEON, SVE, ACLE or portable replacement, with a caution where its
    semantics differ from the x86 instruction.

    Uses in preprocessor branches an AArch64 build never compiles are not reported, nor names
    the file defines itself, nor names that an included translation header (sse2neon.h for
    SSE..SSE4.2, SIMDe with `SIMDE_ENABLE_NATIVE_ALIASES`) provides on AArch64. `_mm_pause`,
    `__rdtsc`, `_mm_getcsr`/`_mm_setcsr`, `_xgetbv` and `__builtin_ia32_*` are reported by
    their own rules.

    ## Why is this a problem on ARM64?
    AArch64 compilers declare none of these names: g++ stops with "'_mm256_add_ps' was not
    declared in this scope"; gcc 12 compiling C warns about an implicit declaration and the
    link fails with an undefined reference (and the `__m128`-style types do not exist either).
    Most operations have a NEON counterpart in `<arm_neon.h>`, but several behave differently:
    x86 `crc32` computes CRC-32C (so `__crc32cb`, not `__crc32b`), `min`/`max` treat NaN
    differently, `pshufb` and `tbl` disagree on indices 16-127, `lzcnt`/`tzcnt` are defined
    for 0 while `__builtin_clz`/`__builtin_ctz` are not, and `pext`/`pdep` have no NEON
    equivalent at all.

    ## Example
    ```c
    #include <immintrin.h>
    void add8(float *d, const float *a, const float *b) {
        _mm256_storeu_ps(d, _mm256_add_ps(_mm256_loadu_ps(a), _mm256_loadu_ps(b)));
    }
    ```

    Use instead:
    ```c
    #if defined(__AVX__)
    #include <immintrin.h>
    void add8(float *d, const float *a, const float *b) {
        _mm256_storeu_ps(d, _mm256_add_ps(_mm256_loadu_ps(a), _mm256_loadu_ps(b)));
    }
    #elif defined(__ARM_NEON)
    #include <arm_neon.h>
    void add8(float *d, const float *a, const float *b) {
        vst1q_f32(d, vaddq_f32(vld1q_f32(a), vld1q_f32(b)));
        vst1q_f32(d + 4, vaddq_f32(vld1q_f32(a + 4), vld1q_f32(b + 4)));
    }
    #endif
    ```

    ## Limitations
    The intrinsic table comes from GCC 12's headers; names only Clang or MSVC declare (and SVML
    functions such as `_mm_sin_ps`) are not reported. A translation header included through
    another project header, or SIMDe aliases enabled on the command line, are not seen. A use
    inside a macro is reported where the macro is defined. The effort estimate counts a small
    amount per call (`effort_minutes` = 10); grouping the estimate by ISA family, since one
    family is usually ported as a unit, is left to the estimate (the `isa` property carries
    the family).

    ## References
    - Intel Intrinsics Guide: https://www.intel.com/content/www/us/en/docs/intrinsics-guide/index.html
    - Arm NEON intrinsics reference: https://developer.arm.com/architectures/instruction-sets/intrinsics/
    - Arm C Language Extensions: https://arm-software.github.io/acle/
    - sse2neon: https://github.com/DLTcollab/sse2neon
    - SIMDe: https://github.com/simd-everywhere/simde
    """

    code = "CC401"
    name = "x86-intrinsic-call"
    summary = "Call of an x86 SIMD or bit-manipulation intrinsic"
    languages = frozenset({"c", "cpp"})
    severity = Severity.ERROR
    impact = Impact.BUILD_BREAK
    confidence = Confidence.HIGH
    tags = ("simd", "intrinsics", "isa")
    effort_minutes = 10
    prefilter = (
        b"_mm", b"_m_", b"_MM_TRANSPOSE",
        b"mask8", b"mask16", b"mask32", b"mask64", b"_tile_",
        b"_lzcnt", b"_tzcnt", b"_popcnt", b"_pext", b"_pdep", b"_bzhi", b"_bextr", b"_bls", b"_blc", b"_andn_u",
        b"_t1mskc", b"_tzmsk", b"_mulx", b"_addcarry", b"_subborrow", b"_rdrand", b"_rdseed", b"_rdpmc", b"_rdpid",
        b"_bswap", b"_bit_scan", b"__bsf", b"__bsr", b"__rol", b"__ror", b"_rotw", b"__crc32q", b"__pause", b"eflags", b"_rdtscp",
        b"_cvtsh_ss", b"_cvtss_sh",
        b"_xbegin", b"_xend", b"_xabort", b"_xtest", b"_xsave", b"_xrstor", b"_xsetbv", b"ldtrk", b"_fxsave",
        b"_fxrstor", b"fsbase", b"gsbase", b"pkru", b"_ptwrite", b"_encl", b"_enqcmd", b"_umonitor", b"_umwait",
        b"_tpause", b"_serialize", b"_hreset", b"wbinvd", b"wbnoinvd", b"_cldemote", b"_directstoreu", b"_movdir64b", b"_clui",
        b"_stui", b"_testui", b"_senduipi", b"_get_ssp", b"_inc_ssp", b"rstorssp", b"prevssp", b"ssbsy", b"_wrss",
        b"_wruss", b"lwpcb", b"__lwp", b"_pconfig",
    )

    def check_file(self, ctx):
        table = intrinsic_table()
        masked = ctx.masked
        uses = []
        defined: set[str] = set()
        for m in _CANDIDATE.finditer(masked):
            name = m.group(0)
            family = table.get(name)
            if family is None or owner(name):
                continue
            start = m.start()
            if masked[max(0, start - 2) : start].endswith((".", "->")):
                continue  # a member that happens to share the name
            kind = reference_kind(ctx, start)
            if kind == "directive":
                continue
            if kind == "definition" or (kind == "declaration" and definition_body(ctx, start, m.end()) is not None):
                if ctx.arm_state(start) is not State.INACTIVE:
                    defined.add(name)  # the project supplies the name itself
                continue
            if kind == "declaration":
                continue  # a prototype of the name, not a use
            uses.append((m, name, family))
        if not uses:
            return
        sse2neon, simde = translation_headers(ctx)
        for m, name, family in uses:
            if name in defined or translated(family, sse2neon, simde):
                continue
            help_, replacement, caution = advice(name, family, ctx.target.name)
            function = ctx.function_name(m.start())
            where = f" in `{function}()`" if function else ""
            props = {"intrinsic": name, "isa": family, "replacement": replacement}
            if caution:
                props["caution"] = caution
            yield ctx.finding(
                self,
                m.start(),
                m.end(),
                f"`{name}` ({family}){where} has no AArch64 definition: the AArch64 build fails here",
                help_,
                properties=props,
            )
