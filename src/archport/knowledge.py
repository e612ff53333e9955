"""Small facts shared by the engine and several rules (header names, macro vocabularies)."""

from __future__ import annotations

import re

#: headers that exist only in x86 toolchains (GCC/Clang x86 include dirs, MSVC x64)
X86_HEADER_RE = re.compile(
    r"^(?:(?:[a-z0-9]*mmintrin|x86intrin|x86gprintrin|ia32intrin|mm3dnow|mm_malloc"
    r"|avx[a-z0-9_]*intrin|amx[a-z0-9_]*intrin|bmi2?intrin|lzcntintrin|popcntintrin|tbmintrin"
    r"|adxintrin|shaintrin|sha512intrin|sm[34]intrin|fmaintrin|fma4intrin|f16cintrin|xopintrin"
    r"|rtmintrin|xtestintrin|clflushoptintrin|clwbintrin|cetintrin|cldemoteintrin|rdseedintrin"
    r"|prfchwintrin|prfchiintrin|lwpintrin|movdirintrin|pkuintrin|serializeintrin|tsxldtrkintrin"
    r"|waitpkgintrin|wbnoinvdintrin|xsave[a-z]*intrin|fxsrintrin|gfniintrin|vaesintrin"
    r"|vpclmulqdqintrin|keylockerintrin|uintrin|hresetintrin|enqcmdintrin|cmpccxaddintrin"
    r"|raointintrin|mwaitx?intrin|pconfigintrin|sgxintrin|clzerointrin|rdpidintrin|wmmintrin"
    r"|smmintrin|nmmintrin|tmmintrin|pmmintrin|emmintrin|xmmintrin|immintrin|zmmintrin|ammintrin"
    r"|cpuid|sys/io|asm/unistd_64|asm/unistd_32)\.h)$"
)

#: headers that only AArch64 (or Arm) toolchains provide
ARM_HEADER_RE = re.compile(r"^(?:arm_neon|arm_sve|arm_acle|arm_fp16|arm_bf16|arm_sme|arm_neon_sve_bridge)\.h$")


def is_x86_header(name: str) -> bool:
    return bool(X86_HEADER_RE.match(name.strip().strip("<>\"").strip()))


def is_arm_header(name: str) -> bool:
    return bool(ARM_HEADER_RE.match(name.strip().strip("<>\"").strip()))


#: byte strings that any x86-specific preprocessor condition contains (a prefilter for the
#: guard rules: a file without any of them cannot have an x86-only branch)
X86_GUARD_LITERALS = (
    b"x86", b"X86", b"_M_X64", b"_M_AMD64", b"_M_IX86", b"i386", b"i486", b"i586", b"i686",
    b"amd64", b"AMD64", b"SSE", b"AVX", b"BMI", b"PCLMUL", b"__AES__", b"__SHA__", b"POPCNT",
    b"LZCNT", b"__FMA__", b"__F16C__", b"__MMX__", b"immintrin", b"_MSC_VER", b"_WIN32",
)
