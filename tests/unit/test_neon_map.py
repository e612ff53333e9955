"""The x86 intrinsic tables and the NEON map behind CC401/CC402.

The compile checks build every NEON/ACLE/SVE identifier that a replacement or caution names
with the AArch64 cross compiler (skipped where aarch64-linux-gnu-gcc is absent; CI installs
it). The behaviour checks run small programs under qemu-aarch64 (and natively on an x86-64
host with the needed extensions) to confirm the cautions: NaN in min/max, pshufb vs tbl
indices, CRC-32C vs CRC-32, AES round structure, pmulhrsw saturation, float->int conversion
of out-of-range values, estimate precision, lzcnt/tzcnt of zero.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from archport.devtools import gen_intrinsics_table as gen
from archport.rules._tables import neon_map
from archport.rules._tables.owned import owner
from archport.rules.c_cpp.cc401_x86_intrinsic_call import X86IntrinsicCall, intrinsic_table
from archport.rules.c_cpp.cc402_x86_vector_type import X86VectorType, vector_types

CROSS = shutil.which("aarch64-linux-gnu-gcc")
QEMU = shutil.which("qemu-aarch64")
needs_cross = pytest.mark.skipif(CROSS is None, reason="aarch64-linux-gnu-gcc not installed")


# -- the generated tables ---------------------------------------------------------------------


def test_intrinsic_table_families():
    t = intrinsic_table()
    assert len(t) > 6000
    expected = {
        "_mm_add_ps": "SSE", "_mm_add_epi32": "SSE2", "_mm_hadd_ps": "SSE3", "_mm_shuffle_epi8": "SSSE3",
        "_mm_blendv_epi8": "SSE4.1", "_mm_cmpestri": "SSE4.2", "_mm_crc32_u8": "SSE4.2", "_mm_crc32_u64": "SSE4.2",
        "_mm256_add_ps": "AVX", "_mm256_add_epi32": "AVX2", "_mm_fmadd_ps": "FMA", "_mm_cvtph_ps": "F16C",
        "_mm512_mask_add_ps": "AVX-512F", "_mm512_add_epi16": "AVX-512BW", "_mm256_mask_add_epi16": "AVX-512BW/VL",
        "_mm_aesenc_si128": "AES", "_mm_clmulepi64_si128": "PCLMUL", "_mm_sha256rnds2_epu32": "SHA",
        "_mm_popcnt_u64": "POPCNT", "_lzcnt_u64": "LZCNT", "_tzcnt_u32": "BMI1", "_pext_u64": "BMI2",
        "_bzhi_u32": "BMI2", "_rdrand64_step": "RDRAND", "_rdseed64_step": "RDSEED", "_addcarryx_u64": "ADX",
        "_mm_add_pi8": "MMX", "_mm_malloc": "SSE (mm_malloc.h)", "_mm_shuffle_ps": "SSE", "_MM_TRANSPOSE4_PS": "SSE",
    }
    for name, family in expected.items():
        assert t.get(name) == family, (name, t.get(name))
    # names AArch64 toolchains define too are left out
    for name in ("__crc32b", "__crc32w", "__crc32d", "_rotl", "_rotr"):
        assert name not in t
    assert not [n for n in t if n.endswith("_internal")]
    assert all(isinstance(v, str) and v for v in t.values())


def test_vector_type_table():
    types = vector_types()
    for name in ("__m64", "__m128", "__m128i", "__m128d", "__m128h", "__m128bh", "__m256", "__m256i", "__m256d",
                 "__m512", "__m512i", "__m512d", "__mmask8", "__mmask16", "__mmask32", "__mmask64", "__m128i_u"):
        assert name in types, name
    assert types["__m128"] == "SSE" and types["__m256"] == "AVX" and types["__mmask64"] == "AVX-512BW"


@pytest.mark.skipif(not os.path.isdir(gen.DEFAULT_INCLUDE), reason="GCC 12 x86 headers not installed")
def test_stored_tables_match_the_headers(tmp_path):
    assert gen.main(["--out-dir", str(tmp_path)]) == 0
    stored = Path(gen.OUT_DIR)
    for fname in ("x86_intrinsics.json", "x86_vector_types.json"):
        assert json.loads((tmp_path / fname).read_text()) == json.loads((stored / fname).read_text()), fname


def test_family_of_target():
    assert gen.family_of_target("avx512vl,avx512bw") == "AVX-512BW/VL"
    assert gen.family_of_target("avx512f") == "AVX-512F"
    assert gen.family_of_target("sse2,mmx") == "SSE2"
    assert gen.family_of_target("aes,sse2") == "AES"
    assert gen.family_of_target("gfni,avx512vl") == "GFNI"
    assert gen.family_of_target("crc32") == "SSE4.2"


def test_prefilter_covers_every_reported_name():
    literals = [lit.decode() for lit in X86IntrinsicCall.prefilter]
    missing = [n for n in intrinsic_table() if not owner(n) and not any(lit in n for lit in literals)]
    assert not missing, missing[:20]
    types_missing = [n for n in vector_types() if not any(lit.decode() in n for lit in X86VectorType.prefilter)]
    assert not types_missing


# -- the map ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name,needle",
    [
        ("_mm_add_ps", "vaddq_f32"),
        ("_mm_and_si128", "vandq_u8"),
        ("_mm_loadu_si128", "vld1q_u8"),
        ("_mm_set1_epi32", "vdupq_n_s32"),
        ("_mm256_add_ps", "svadd_f32_x"),
        ("_mm256_add_ps", "2 x `vaddq_f32`"),
        ("_mm512_add_epi32", "4 x `vaddq_s32`"),
        ("_mm_sub_epi16", "vsubq_s16"),
        ("_mm_min_epu8", "vminq_u8"),
        ("_mm_cmpeq_epi8", "vceqq_s8"),
        ("_mm_srai_epi32", "vshrq_n_s32"),
        ("_mm_srli_epi32", "vshrq_n_u32"),
        ("_mm_slli_epi64", "vshlq_n_s64"),
        ("_mm_unpacklo_epi8", "vzip1q_s8"),
        ("_mm_unpackhi_ps", "vzip2q_f32"),
        ("_mm_madd_epi16", "vmull_s16"),
        ("_mm_sad_epu8", "vabdq_u8"),
        ("_mm_shuffle_epi8", "vqtbl1q_u8"),
        ("_mm_blendv_epi8", "vbslq_s8"),
        ("_mm_cvtepi32_ps", "vcvtq_f32_s32"),
        ("_mm_cvttps_epi32", "vcvtq_s32_f32"),
        ("_mm_hadd_ps", "vpaddq_f32"),
        ("_mm_fmadd_ps", "vfmaq_f32(c, a, b)"),
        ("_mm_sqrt_pd", "vsqrtq_f64"),
        ("_mm_abs_epi16", "vabsq_s16"),
        ("_mm_add_pi16", "vadd_s16"),
        ("_mm_crc32_u8", "__crc32cb"),
        ("_mm_crc32_u16", "__crc32ch"),
        ("_mm_crc32_u32", "__crc32cw"),
        ("_mm_crc32_u64", "__crc32cd"),
        ("_mm_popcnt_u32", "__builtin_popcount"),
        ("_mm_popcnt_u64", "__builtin_popcountll"),
        ("_lzcnt_u32", "__builtin_clz"),
        ("_tzcnt_u64", "__builtin_ctzll"),
        ("_pext_u64", "svbext_u64"),
        ("_pdep_u32", "svbdep_u32"),
        ("_mm_clmulepi64_si128", "vmull_p64"),
        ("_mm_aesenc_si128", "vaesmcq_u8(vaeseq_u8"),
        ("_mm_sha256msg1_epu32", "vsha256su0q_u32"),
        ("_rdrand64_step", "getrandom()"),
        ("_rdseed32_step", "getrandom()"),
        ("_mm_mfence", "memory_order_seq_cst"),
        ("_mm_lfence", "memory_order_acquire"),
        ("_mm_sfence", "memory_order_release"),
        ("_mm_prefetch", "__builtin_prefetch"),
        ("_mm_clflush", "dc civac"),
        ("_mm_rcp_ps", "vrecpeq_f32"),
        ("_mm_rsqrt_ps", "vrsqrteq_f32"),
        ("_mm_movemask_epi8", "no single NEON instruction"),
        ("_mm512_mask_add_ps", "vbslq_f32"),
        ("_kand_mask16", "bit operations"),
    ],
)
def test_lookup(name, needle):
    eq = neon_map.lookup(name)
    assert eq is not None and needle in eq.replacement, (name, eq)


@pytest.mark.parametrize(
    "name,needle",
    [
        ("_mm_crc32_u8", "CRC-32C"),
        ("_mm_crc32_u8", "__crc32b"),
        ("_lzcnt_u64", "undefined for 0"),
        ("_tzcnt_u32", "undefined for 0"),
        ("_mm_min_ps", "second operand"),
        ("_mm_max_pd", "vminnmq/vmaxnmq"),
        ("_mm_rcp_ps", "precision"),
        ("_mm_rsqrt_ps", "precision"),
        ("_mm_aesenc_si128", "round structure"),
        ("_mm_movemask_epi8", "bit positions"),
        ("_mm_shuffle_epi8", "0x8F"),
        ("_mm_andnot_si128", "operand order"),
        ("_mm_cvtps_epi32", "INT_MIN"),
        ("_mm_mulhrs_epi16", "saturates"),
        ("_pext_u64", "slower"),
    ],
)
def test_cautions(name, needle):
    eq = neon_map.lookup(name)
    assert eq is not None and eq.caution and needle in eq.caution, (name, eq)


def test_march_requirements():
    assert neon_map.lookup("_mm_crc32_u32").march == "+crc"
    assert neon_map.lookup("_mm_aesenc_si128").march == "+crypto"
    assert neon_map.lookup("_mm_clmulepi64_si128").march == "+crypto"
    assert neon_map.lookup("_mm512_add_ph").march == "+fp16"


def test_lookup_unknown_and_structure():
    assert neon_map.lookup("my_mm_add") is None
    assert neon_map.lookup("_mm_custom") is None
    # every table name either maps or falls back to family advice
    for name, family in intrinsic_table().items():
        neon_map.lookup(name)
        assert neon_map.fallback(family)


def test_translation_header():
    assert neon_map.translation_header("SSE4.2") == "sse2neon.h"
    assert neon_map.translation_header("AVX2") == "SIMDe"
    assert neon_map.translation_header("AVX-512BW").startswith("SIMDe")
    assert neon_map.translation_header("BMI2") is None


# -- compile checks -------------------------------------------------------------------------------


def _all_texts() -> list[tuple[str, neon_map.Equivalent]]:
    out = []
    for name in intrinsic_table():
        eq = neon_map.lookup(name)
        if eq is not None:
            out.append((name, eq))
    return out


def _emitted() -> tuple[dict[str, str | None], set[str], set[str]]:
    """{ACLE name: march of the first replacement naming it}, vector type names, builtins."""
    names: dict[str, str | None] = {}
    types: set[str] = set()
    builtins: set[str] = set()
    for _, eq in _all_texts():
        text = f"{eq.replacement} {eq.caution or ''}"
        for n in neon_map.acle_names(text):
            names.setdefault(n, eq.march)
        types |= neon_map.type_names(text)
        builtins |= set(re.findall(r"\b__builtin_\w+", text))
    for t in vector_types():
        text = neon_map.vector_type_equivalent(t)
        types |= neon_map.type_names(text)
    return names, types, builtins


def _compile(tmp_path: Path, name: str, source: str, march: str, *extra: str) -> subprocess.CompletedProcess:
    src = tmp_path / name
    src.write_text(source)
    return subprocess.run(
        [CROSS, f"-march={march}", "-O0", "-c", "-o", os.devnull, str(src), *extra],
        capture_output=True, text=True, timeout=300,
    )


def _include_dir() -> Path:
    out = subprocess.run([CROSS, "-print-file-name=include"], capture_output=True, text=True, check=True)
    return Path(out.stdout.strip())


_PROTO = re.compile(r"^(?P<name>[A-Za-z_]\w*) \((?P<params>[^)]*)\)\s*\n\{", re.M)


def _prototypes() -> dict[str, list[str]]:
    inc = _include_dir()
    protos: dict[str, list[str]] = {}
    for header in ("arm_neon.h", "arm_acle.h"):
        for m in _PROTO.finditer((inc / header).read_text(errors="replace")):
            params = [p.strip() for p in m.group("params").split(",") if p.strip() and p.strip() != "void"]
            protos.setdefault(m.group("name"), [re.sub(r"(?<=[\s*])[A-Za-z_]\w*$", "", p).strip() for p in params])
    return protos


def _arg(ptype: str, lane_zero: bool) -> str:
    if "*" in ptype:
        return f"({ptype})buf"
    if ptype.startswith("const int"):
        return "0" if lane_zero else "1"
    return f"({ptype}){{0}}"


@needs_cross
def test_every_emitted_name_is_declared(tmp_path):
    names, types, _ = _emitted()
    lines = ["#include <arm_neon.h>", "#include <arm_acle.h>", "#include <arm_sve.h>"]
    for n in sorted(names):
        lines.append(f"extern char chk_{n}[sizeof(&{n}) ? 1 : 1];")
    for t in sorted(types):
        lines.append(f"extern {t} *tchk_{t};")
    res = _compile(tmp_path, "decl.c", "\n".join(lines) + "\n", "armv8.5-a+crc+crypto+sve2-bitperm+rng+fp16+bf16")
    assert res.returncode == 0, res.stderr[-4000:]


@needs_cross
def test_neon_and_acle_names_compile_as_calls(tmp_path):
    """Calls need only -march=armv8-a+crc+crypto (fp16 forms: armv8.2-a+fp16, __rndr: +rng)."""
    names, _, _ = _emitted()
    protos = _prototypes()
    groups: dict[str, list[str]] = {}
    for n, march in names.items():
        if n.startswith("sv"):
            continue
        assert n in protos, f"{n}: no prototype in arm_neon.h/arm_acle.h"
        if n.startswith("__rndr"):
            flags = "armv8.5-a+rng"
        elif march == "+fp16" or "f16" in n:
            flags = "armv8.2-a+fp16+crc+crypto"
        else:
            flags = "armv8-a+crc+crypto"
        params = protos[n]
        lane_zero = any(re.search(r"x1_t$", p) for p in params)
        args = ", ".join(_arg(p, lane_zero) for p in params)
        groups.setdefault(flags, []).append(f"void call_{n}(void) {{ char buf[256] __attribute__((aligned(16))); (void)buf; (void){n}({args}); }}")
    for flags, calls in groups.items():
        src = "#include <arm_neon.h>\n#include <arm_acle.h>\n" + "\n".join(calls) + "\n"
        res = _compile(tmp_path, f"calls_{len(calls)}.c", src, flags)
        assert res.returncode == 0, f"-march={flags}\n" + res.stderr[-4000:]


_SVE_SCALAR = {"f": "float", "s": "int", "u": "uint"}


def _sve_call(n: str) -> str:
    if n == "svcntw":
        return "svcntw()"
    if n == "svwhilelt_b32":
        return "svwhilelt_b32(0, 10)"
    m = re.fullmatch(r"sv(?P<op>[a-z0-9]+)(?:_(?P<mid>n|gather_s(?P<ib>\d+)index))?_(?P<t>[fsu]\d+)(?:_(?P<p>[xmz]))?", n)
    assert m, n
    t = m.group("t")
    scalar = f"{_SVE_SCALAR[t[0]]}{t[1:]}_t" if t[0] != "f" else f"float{t[1:]}_t"
    vec = f"svdup_n_{t}(0)"
    pg = "svptrue_b8()"
    op = m.group("op")
    if op == "ld1" and m.group("mid"):
        return f"{n}({pg}, (const {scalar} *)buf, svdup_n_s{m.group('ib')}(0))"
    if op == "ld1":
        return f"{n}({pg}, (const {scalar} *)buf)"
    if op == "st1":
        return f"{n}({pg}, ({scalar} *)buf, {vec})"
    if m.group("mid") == "n":
        return f"{n}(0)"
    if m.group("p"):
        if op in ("abs", "sqrt", "neg"):
            return f"{n}({pg}, {vec})"
        if op in ("mla", "mls", "mad"):
            return f"{n}({pg}, {vec}, {vec}, {vec})"
        return f"{n}({pg}, {vec}, {vec})"
    return f"{n}({vec}, {vec})"


@needs_cross
def test_sve_names_compile_as_calls(tmp_path):
    names, _, _ = _emitted()
    sve = sorted(n for n in names if n.startswith("sv"))
    assert "svadd_f32_x" in sve and "svbext_u64" in sve
    base = [n for n in sve if not n.startswith(("svbext", "svbdep"))]
    bitperm = [n for n in sve if n.startswith(("svbext", "svbdep"))]
    for flags, group in (("armv8-a+sve", base), ("armv8-a+sve2-bitperm", bitperm)):
        body = "\n".join(
            f"void call_{n}(void) {{ char buf[512] __attribute__((aligned(16))); (void)buf; (void){_sve_call(n)}; }}"
            for n in group
        )
        res = _compile(tmp_path, f"sve_{flags[-4:]}.c", "#include <arm_sve.h>\n" + body + "\n", flags)
        assert res.returncode == 0, f"-march={flags}\n" + res.stderr[-4000:]
    # svbext needs SVE2 bit permutation: plain SVE must refuse it
    res = _compile(tmp_path, "sve_refuse.c", "#include <arm_sve.h>\nvoid f(void){ (void)" + _sve_call("svbext_u64") + "; }\n", "armv8-a+sve")
    assert res.returncode != 0


_BUILTIN_CALLS = {
    "__builtin_popcount": "__builtin_popcount(1u)",
    "__builtin_popcountll": "__builtin_popcountll(1ull)",
    "__builtin_clz": "__builtin_clz(1u)",
    "__builtin_clzll": "__builtin_clzll(1ull)",
    "__builtin_ctz": "__builtin_ctz(1u)",
    "__builtin_ctzll": "__builtin_ctzll(1ull)",
    "__builtin_bswap32": "__builtin_bswap32(1u)",
    "__builtin_bswap64": "__builtin_bswap64(1ull)",
    "__builtin_prefetch": "(__builtin_prefetch(buf, 0, 3), 0)",
    "__builtin_add_overflow": "__builtin_add_overflow(1u, 2u, &u)",
    "__builtin_sub_overflow": "__builtin_sub_overflow(1u, 2u, &u)",
    "__builtin_thread_pointer": "__builtin_thread_pointer()",
    "__builtin_shuffle": "__builtin_shuffle(v, m)",
    "__builtin_shufflevector": None,  # Clang's spelling, named as such in the text
}


@needs_cross
def test_portable_replacements_compile(tmp_path):
    _, _, builtins = _emitted()
    unknown = builtins - set(_BUILTIN_CALLS)
    assert not unknown, f"add a compile check for {unknown}"
    calls = [c for b, c in _BUILTIN_CALLS.items() if b in builtins and c]
    src = """
#define _GNU_SOURCE
#include <stdatomic.h>
#include <stdlib.h>
#include <sched.h>
#include <sys/random.h>
#include <sys/auxv.h>
#include <asm/hwcap.h>
#include <arm_neon.h>
void f(void) {
    char buf[64]; unsigned u; void *p;
    uint32x4_t v = vdupq_n_u32(0), m = vdupq_n_u32(1);
    atomic_thread_fence(memory_order_seq_cst);
    atomic_thread_fence(memory_order_acquire);
    atomic_thread_fence(memory_order_release);
    (void)getrandom(buf, sizeof buf, 0);
    (void)sched_getcpu();
    free(aligned_alloc(64, 64));
    (void)posix_memalign(&p, 64, 64);
    (void)(getauxval(AT_HWCAP2) & (HWCAP2_RNG | HWCAP2_SVEBITPERM));
    (void)(getauxval(AT_HWCAP) & (HWCAP_CRC32 | HWCAP_AES | HWCAP_PMULL | HWCAP_SHA2));
""" + "".join(f"    (void)({c});\n" for c in calls) + "}\n"
    res = _compile(tmp_path, "portable.c", src, "armv8-a")
    assert res.returncode == 0, res.stderr[-4000:]


# -- behaviour behind the cautions ------------------------------------------------------------------

#: x86 outputs recorded on an x86-64 host (and re-checked there by test_x86_behaviour)
AESENC = "30 30 06 1f 76 37 69 0b ea 83 07 3b 7d c6 7b 06"
AESENCLAST = "39 31 3d 2c a8 5b f1 21 6a 8d 2d 9f a4 26 35 71"
AESDEC = "49 f9 cc 46 74 43 73 34 4d 15 a8 e8 9c e7 c1 0b"
AESDECLAST = "08 a9 f9 62 6a 53 8d c4 e5 6c 30 a1 db 1a ff 8f"
CLMUL = "a3 d6 80 0b 6a 4f 9f 4f 6d 00 00 00 00 00 00 00"

_ARM_PROGRAM = r"""
#include <arm_neon.h>
#include <arm_acle.h>
#include <stdio.h>
#include <string.h>
#include <math.h>
#include <stdint.h>
static char out[64];
static const char *hex(uint8x16_t v) { uint8_t b[16]; vst1q_u8(b, v); char *o = out;
  for (int i = 0; i < 16; i++) o += sprintf(o, i ? " %02x" : "%02x", b[i]); return out; }
int main(void) {
  volatile float vn = NAN, two = 2.0f;
  float32x4_t n = vdupq_n_f32(vn), t = vdupq_n_f32(two);
  printf("vminq_nan_first %d\n", isnan(vgetq_lane_f32(vminq_f32(n, t), 0)) ? 1 : 0);
  printf("vmaxq_nan_second %d\n", isnan(vgetq_lane_f32(vmaxq_f32(t, n), 0)) ? 1 : 0);
  printf("vminnmq %g\n", vgetq_lane_f32(vminnmq_f32(n, t), 0));
  printf("vmaxnmq %g\n", vgetq_lane_f32(vmaxnmq_f32(t, n), 0));
  uint8_t tb[16]; for (int i = 0; i < 16; i++) tb[i] = (uint8_t)(i + 1);
  uint8x16_t table = vld1q_u8(tb), idx = vdupq_n_u8(0x12);
  printf("tbl_0x12 %d\n", vgetq_lane_u8(vqtbl1q_u8(table, idx), 0));
  printf("tbl_masked_0x12 %d\n", vgetq_lane_u8(vqtbl1q_u8(table, vandq_u8(idx, vdupq_n_u8(0x8F))), 0));
  printf("tbl_masked_0x80 %d\n", vgetq_lane_u8(vqtbl1q_u8(table, vandq_u8(vdupq_n_u8(0x80), vdupq_n_u8(0x8F))), 0));
  uint32_t c = 0xffffffffu, d = 0xffffffffu; const char *s = "123456789";
  for (int i = 0; i < 9; i++) { c = __crc32cb(c, (uint8_t)s[i]); d = __crc32b(d, (uint8_t)s[i]); }
  printf("crc32c %08x\ncrc32 %08x\n", ~c, ~d);
  uint8_t st[16]; for (int i = 0; i < 16; i++) st[i] = (uint8_t)i;
  uint8x16_t a = vld1q_u8(st), key = vdupq_n_u8(0x5a), z = vdupq_n_u8(0);
  printf("aesenc %s\n", hex(veorq_u8(vaesmcq_u8(vaeseq_u8(a, z)), key)));
  printf("aesenclast %s\n", hex(veorq_u8(vaeseq_u8(a, z), key)));
  printf("aesdec %s\n", hex(veorq_u8(vaesimcq_u8(vaesdq_u8(a, z)), key)));
  printf("aesdeclast %s\n", hex(veorq_u8(vaesdq_u8(a, z), key)));
  printf("aese_with_key_differs %d\n", strcmp(hex(veorq_u8(vaesmcq_u8(vaeseq_u8(a, key)), z)), "%AESENC%") != 0);
  printf("clmul %s\n", hex(vreinterpretq_u8_p128(vmull_p64((poly64_t)0x87, (poly64_t)0xdeadbeefcafef00dULL))));
  printf("vqrdmulh %d\n", vgetq_lane_s16(vqrdmulhq_s16(vdupq_n_s16(-32768), vdupq_n_s16(-32768)), 0));
  volatile float big = 3e9f;
  printf("vcvtq_big %d\nvcvtq_nan %d\n", vgetq_lane_s32(vcvtq_s32_f32(vdupq_n_f32(big)), 0),
         vgetq_lane_s32(vcvtq_s32_f32(vdupq_n_f32(vn)), 0));
  double e = 0; for (float x = 0.001f; x < 1000.f; x *= 1.0007f) { volatile float vx = x;
    double r = fabs(vgetq_lane_f32(vrecpeq_f32(vdupq_n_f32(vx)), 0) * (double)x - 1); if (r > e) e = r; }
  printf("vrecpe_log2_err %.2f\n", log2(e));
  float h[4]; vst1q_f32(h, vpaddq_f32((float32x4_t){1, 2, 3, 4}, (float32x4_t){10, 20, 30, 40}));
  printf("vpaddq %g %g %g %g\n", h[0], h[1], h[2], h[3]);
  uint8x16_t x = vdupq_n_u8(0xF0), y = vdupq_n_u8(0x3C);
  printf("vbic_b_a %02x\n", vgetq_lane_u8(vbicq_u8(y, x), 0));
  return 0;
}
""".replace("%AESENC%", AESENC)

_X86_PROGRAM = r"""
#include <immintrin.h>
#include <stdio.h>
#include <math.h>
#include <stdint.h>
static char out[64];
static const char *hex(__m128i v) { uint8_t b[16]; _mm_storeu_si128((__m128i *)b, v); char *o = out;
  for (int i = 0; i < 16; i++) o += sprintf(o, i ? " %02x" : "%02x", b[i]); return out; }
int main(void) {
  volatile float vn = NAN, two = 2.0f;
  __m128 n = _mm_set1_ps(vn), t = _mm_set1_ps(two);
  printf("minps_nan_first %g\n", _mm_cvtss_f32(_mm_min_ps(n, t)));
  printf("minps_nan_second %d\n", isnan(_mm_cvtss_f32(_mm_min_ps(t, n))) ? 1 : 0);
  __m128i table = _mm_setr_epi8(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16);
  printf("pshufb_0x12 %d\n", _mm_extract_epi8(_mm_shuffle_epi8(table, _mm_set1_epi8(0x12)), 0));
  printf("pshufb_0x80 %d\n", _mm_extract_epi8(_mm_shuffle_epi8(table, _mm_set1_epi8((char)0x80)), 0));
  uint32_t c = 0xffffffffu; const char *s = "123456789";
  for (int i = 0; i < 9; i++) c = _mm_crc32_u8(c, (uint8_t)s[i]);
  printf("crc32c %08x\n", ~c);
  __m128i a = _mm_setr_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15), key = _mm_set1_epi8(0x5a);
  printf("aesenc %s\n", hex(_mm_aesenc_si128(a, key)));
  printf("aesenclast %s\n", hex(_mm_aesenclast_si128(a, key)));
  printf("aesdec %s\n", hex(_mm_aesdec_si128(a, key)));
  printf("aesdeclast %s\n", hex(_mm_aesdeclast_si128(a, key)));
  printf("clmul %s\n", hex(_mm_clmulepi64_si128(_mm_set_epi64x(0, 0x87), _mm_set_epi64x(0, (long long)0xdeadbeefcafef00dULL), 0)));
  volatile short m = -32768;
  printf("pmulhrsw %d\n", (short)_mm_extract_epi16(_mm_mulhrs_epi16(_mm_set1_epi16(m), _mm_set1_epi16(m)), 0));
  volatile float big = 3e9f;
  printf("cvttps_big %d\ncvttps_nan %d\n", _mm_cvtsi128_si32(_mm_cvttps_epi32(_mm_set1_ps(big))),
         _mm_cvtsi128_si32(_mm_cvttps_epi32(_mm_set1_ps(vn))));
  double e = 0; for (float x = 0.001f; x < 1000.f; x *= 1.0007f) { volatile float vx = x;
    double r = fabs(_mm_cvtss_f32(_mm_rcp_ss(_mm_set_ss(vx))) * (double)x - 1); if (r > e) e = r; }
  printf("rcp_log2_err %.2f\n", log2(e));
  volatile unsigned zero = 0;
  printf("lzcnt0 %u\ntzcnt0 %u\n", _lzcnt_u32(zero), _tzcnt_u32(zero));
  __m128i x = _mm_set1_epi8((char)0xF0), y = _mm_set1_epi8(0x3C);
  printf("andnot_a_b %02x\n", _mm_extract_epi8(_mm_andnot_si128(x, y), 0) & 0xff);
  return 0;
}
"""


def _run_lines(cmd: list[str]) -> dict[str, str]:
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    return dict(line.split(" ", 1) for line in res.stdout.splitlines())


@pytest.mark.skipif(CROSS is None or QEMU is None, reason="needs aarch64-linux-gnu-gcc and qemu-aarch64")
def test_arm_behaviour_under_qemu(tmp_path):
    src = tmp_path / "arm.c"
    src.write_text(_ARM_PROGRAM)
    exe = tmp_path / "arm"
    subprocess.run([CROSS, "-O1", "-march=armv8-a+crc+crypto", "-o", str(exe), str(src), "-lm"], check=True, timeout=300)
    sysroot = "/usr/aarch64-linux-gnu"
    got = _run_lines([QEMU, "-L", sysroot, str(exe)])
    assert got["vminq_nan_first"] == "1" and got["vmaxq_nan_second"] == "1"  # NaN propagates from either side
    assert got["vminnmq"] == "2" and got["vmaxnmq"] == "2"  # the number wins over a quiet NaN
    assert got["tbl_0x12"] == "0"  # tbl: index >= 16 gives 0 (pshufb would use the low 4 bits)
    assert got["tbl_masked_0x12"] == "3" and got["tbl_masked_0x80"] == "0"
    assert got["crc32c"] == "e3069283" and got["crc32"] == "cbf43926"  # the two standard check values
    assert got["aesenc"] == AESENC and got["aesenclast"] == AESENCLAST
    assert got["aesdec"] == AESDEC and got["aesdeclast"] == AESDECLAST
    assert got["aese_with_key_differs"] == "1"  # passing the round key to vaeseq_u8 is not aesenc
    assert got["clmul"] == CLMUL
    assert got["vqrdmulh"] == "32767"  # pmulhrsw gives -32768 here
    assert got["vcvtq_big"] == "2147483647" and got["vcvtq_nan"] == "0"
    assert -9.5 < float(got["vrecpe_log2_err"]) < -7.5  # about 8 bits
    assert got["vpaddq"] == "3 7 30 70"
    assert got["vbic_b_a"] == "0c"


def _x86_flags() -> set[str]:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return set()
    m = re.search(r"^flags\s*:\s*(.*)$", text, re.M)
    return set(m.group(1).split()) if m else set()


@pytest.mark.skipif(
    platform.machine() != "x86_64" or shutil.which("gcc") is None
    or not {"sse4_2", "aes", "pclmulqdq", "abm", "bmi1"} <= _x86_flags(),
    reason="needs an x86-64 host with SSE4.2, AES, PCLMUL, LZCNT and BMI1",
)
def test_x86_behaviour(tmp_path):
    src = tmp_path / "x86.c"
    src.write_text(_X86_PROGRAM)
    exe = tmp_path / "x86"
    subprocess.run(["gcc", "-O1", "-msse4.2", "-maes", "-mpclmul", "-mlzcnt", "-mbmi", "-o", str(exe), str(src), "-lm"],
                   check=True, timeout=300)
    got = _run_lines([str(exe)])
    assert got["minps_nan_first"] == "2" and got["minps_nan_second"] == "1"  # the second operand wins
    assert got["pshufb_0x12"] == "3" and got["pshufb_0x80"] == "0"
    assert got["crc32c"] == "e3069283"
    assert got["aesenc"] == AESENC and got["aesenclast"] == AESENCLAST
    assert got["aesdec"] == AESDEC and got["aesdeclast"] == AESDECLAST
    assert got["clmul"] == CLMUL
    assert got["pmulhrsw"] == "-32768"
    assert got["cvttps_big"] == "-2147483648" and got["cvttps_nan"] == "-2147483648"
    assert float(got["rcp_log2_err"]) < -11.4  # below 1.5 * 2^-12
    assert got["lzcnt0"] == "32" and got["tzcnt0"] == "32"
    assert got["andnot_a_b"] == "0c"
