"""x86 compiler flags and the AArch64 advice for each (every -march/-mcpu value named here
was checked with aarch64-linux-gnu-gcc 12: `-march=VALUE -c -x c /dev/null`)."""

from __future__ import annotations

import re

_DROP_SIMD = (
    "drop it: AArch64 has no flag for this; Advanced SIMD (NEON) and scalar FMA are part of the "
    "armv8-a baseline, so `-march=armv8-a` (the default) or a target core (`-mcpu=neoverse-n1`) "
    "already enables them"
)
_CRC = (
    "for the SSE4.2 CRC32 instructions use `-march=armv8-a+crc` (the `__crc32c*` intrinsics of "
    "<arm_acle.h>); otherwise drop it"
)
_CRYPTO = (
    "use `-march=armv8-a+crypto` (AES, SHA-1/SHA-256 and 64-bit polynomial multiply, e.g. "
    "`vaeseq_u8`, `vmull_p64`), ideally in the AArch64 branch only"
)

#: (regex over the flag without the leading `-m`, advice); first match wins
ISA_FLAGS: list[tuple[re.Pattern, str, str]] = [
    (re.compile(r"64$"), "drop it: 64-bit is the only AArch64 mode (`-mabi=lp64` is the default); AArch64 GCC has no `-m64`", "word-size"),
    (re.compile(r"(?:32|x32|16)$"), "drop it: AArch64 GCC has no 32-bit switch; a 32-bit Arm build needs an arm-linux-gnueabihf toolchain", "word-size"),
    (re.compile(r"(?:no-)?sse4(?:\.2|_2)$|(?:no-)?crc32$"), _CRC, "isa"),
    (re.compile(r"(?:no-)?(?:aes|vaes|pclmul|vpclmulqdq|sha|sha512|gfni)$"), _CRYPTO, "isa"),
    (re.compile(r"(?:no-)?cx16$"), "drop it: 16-byte compare-and-swap is CASP with `-march=armv8.1-a` or later (or, for any armv8-a core, GCC's default `-moutline-atomics` helpers)", "isa"),
    (re.compile(r"(?:no-)?(?:rdrnd|rdseed)$"), "drop it; the AArch64 random-number instructions (`__rndr` in <arm_acle.h>) need `-march=armv8.5-a+rng`", "isa"),
    (re.compile(r"fpmath=\w+$"), "drop it: AArch64 always does scalar floating point in its FP/SIMD registers", "abi"),
    (re.compile(r"asm=\w+$"), "drop it: x86 inline assembly in either syntax must be rewritten (or guarded) for AArch64", "abi"),
    (re.compile(r"(?:align-double|stackrealign|preferred-stack-boundary=\d+|incoming-stack-boundary=\d+|no-red-zone|red-zone|regparm=\d+|sseregparm|80387|no-80387|fp-ret-in-387|no-fp-ret-in-387|ieee-fp|no-ieee-fp)$"),
     "drop it: x86 ABI/stack tuning with no AArch64 counterpart", "abi"),
    (re.compile(r"(?:no-)?(?:sse[\w.]*|ssse3|avx[\w-]*|fma4?|bmi2?|popcnt|lzcnt|abm|f16c|mmx|3dnow\w*|movbe|xsave\w*|adx|tbm|xop|lwp|prfchw|clflushopt|clwb|rtm|hle|amx[\w-]*|avxvnni\w*|vzeroupper)$"),
     _DROP_SIMD, "isa"),
]

#: `-m…` flags that only x86 GCC/Clang accept (the part after `-m`)
ISA_FLAG_RE = re.compile(
    r"(?<![\w./-])-m("
    r"64|32|x32|16|(?:no-)?(?:sse[\w.]*|ssse3|avx[\w-]*|fma4?|bmi2?|popcnt|lzcnt|abm|f16c|mmx|3dnow\w*|movbe|"
    r"xsave\w*|adx|tbm|xop|lwp|prfchw|clflushopt|clwb|rtm|hle|amx[\w-]*|crc32|aes|vaes|pclmul|vpclmulqdq|sha|"
    r"sha512|gfni|cx16|rdrnd|rdseed|vzeroupper)|fpmath=\w+|asm=(?:intel|att)|align-double|stackrealign|"
    r"preferred-stack-boundary=\d+|incoming-stack-boundary=\d+|no-red-zone|regparm=\d+|sseregparm|(?:no-)?80387"
    r")(?![\w.+-])"
)


def isa_advice(flag: str) -> tuple[str, str]:
    """(advice, group) for an x86 `-m` flag (the part after `-m`)."""
    for regex, advice, group in ISA_FLAGS:
        if regex.match(flag):
            return advice, group
    return _DROP_SIMD, "isa"


#: x86 CPU and ISA-level names taken by -march=/-mtune=/-mcpu= (GCC and Clang spellings, plus
#: Intel compiler ones such as core-avx2)
X86_CPUS = re.compile(
    r"(?:x86-64(?:-v[1-4])?|i[3-6]86|pentium\w*|prescott|nocona|core2|corei7(?:-avx)?|core-avx2|core-avx-i|"
    r"nehalem|westmere|sandybridge|ivybridge|haswell|broadwell|skylake(?:-avx512)?|cannonlake|icelake(?:-client|-server)?|"
    r"cascadelake|cooperlake|tigerlake|sapphirerapids|emeraldrapids|graniterapids(?:-d)?|alderlake|raptorlake|meteorlake|"
    r"arrowlake(?:-s)?|lunarlake|pantherlake|rocketlake|clearwaterforest|sierraforest|grandridge|bonnell|atom|silvermont|"
    r"slm|goldmont(?:-plus)?|tremont|knl|knm|intel|k6(?:-[23])?|athlon\w*|opteron\w*|k8(?:-sse3)?|amdfam10|barcelona|"
    r"bdver[1-4]|btver[12]|znver[1-5]|lujiazui|yongfeng|c3(?:-2)?|winchip\w*|geode|lakemont|x86_64|amd64)"
)
CPU_FLAG_RE = re.compile(r"(?<![\w./-])-m(arch|tune|cpu)=([\w.+-]+)")

#: recommendations per x86 level (all checked with aarch64-linux-gnu-gcc 12)
MARCH_ADVICE = (
    "on AArch64 use `-march=armv8-a` for a portable baseline (add `+crc`/`+crypto` if the code "
    "uses CRC32 or AES/SHA/PMULL), `-march=armv8.2-a` or `-mcpu=neoverse-n1` for Graviton2 / "
    "Neoverse N1 class servers, `-mcpu=neoverse-v1` for Graviton3, `-mcpu=tsv110` for Kunpeng 920"
)
MTUNE_ADVICE = "on AArch64 use `-mtune=generic`, a target core (`-mtune=neoverse-n1`), or drop it"
