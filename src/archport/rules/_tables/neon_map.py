"""AArch64 equivalents of x86 intrinsics, derived from the structure of the intrinsic's name.

`lookup(name)` answers with an `Equivalent`: the NEON (or SVE, ACLE or portable builtin) form
to write instead, and a caution where the semantics differ. Names are parsed as
``_mm{,256,512}_[mask_|maskz_]<op>_<type>``; the element type (``ps`` -> ``f32``, ``epi8`` ->
``s8``, ``si128`` -> any lane type, ...) and the register width pick the NEON spelling of a
common operation, so only operations need entries here, not every name. Intrinsics whose
mapping is not a pattern (CRC-32C, AES, SHA, bit manipulation, fences, random numbers, ...)
are in `_OVERRIDES`.

Every NEON/ACLE/SVE identifier that appears in a replacement is compiled by
tests/unit/test_neon_map.py with the AArch64 cross compiler, and the cautions that state a
behaviour difference were checked by running both forms (x86-64 natively, AArch64 under
qemu-aarch64); see that test module's docstring.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

NEON_H = "<arm_neon.h>"
ACLE_H = "<arm_acle.h>"

#: families that sse2neon.h translates (SSE..SSE4.2 with CRC32, AES, PCLMUL, POPCNT; hardly any MMX)
SSE2NEON_FAMILIES = frozenset(
    {"SSE", "SSE2", "SSE3", "SSSE3", "SSE4.1", "SSE4.2", "AES", "PCLMUL", "POPCNT", "SSE (mm_malloc.h)"}
)
#: families that SIMDe implements (AVX-512 only in part)
SIMDE_FAMILIES = frozenset({"AVX", "AVX2", "FMA", "F16C", "GFNI"})


@dataclass(frozen=True)
class Equivalent:
    #: what to write instead, with the intrinsic names in backquotes
    replacement: str
    #: where the replacement does not behave like the x86 intrinsic, or None
    caution: str | None = None
    #: header that declares the replacement, when there is one
    header: str | None = None
    #: extra -march feature the replacement needs, e.g. "+crc"
    march: str | None = None


def translation_header(family: str) -> str | None:
    """A translation header that provides the x86 name on AArch64, for the help text."""
    if family in SSE2NEON_FAMILIES:
        return "sse2neon.h"
    if family in SIMDE_FAMILIES:
        return "SIMDe"
    if family.startswith("AVX-512"):
        return "SIMDe (partial AVX-512 coverage)"
    return None


# -- element types ---------------------------------------------------------------------------

#: intrinsic type suffix -> (element, register bits); element "bits" = any lane type
_TYPE: dict[str, tuple[str, int]] = {
    "ps": ("f32", 128), "pd": ("f64", 128), "ph": ("f16", 128),
    "ss": ("f32", 0), "sd": ("f64", 0), "sh": ("f16", 0),
    "epi8": ("s8", 128), "epu8": ("u8", 128), "epi16": ("s16", 128), "epu16": ("u16", 128),
    "epi32": ("s32", 128), "epu32": ("u32", 128), "epi64": ("s64", 128), "epi64x": ("s64", 128),
    "epu64": ("u64", 128), "si128": ("bits", 128), "si256": ("bits", 128), "si512": ("bits", 128),
    "pi8": ("s8", 64), "pu8": ("u8", 64), "pi16": ("s16", 64), "pu16": ("u16", 64), "pi32": ("s32", 64),
    "si64": ("s64", 64),
}
_NAME = re.compile(
    r"^_mm(?P<width>256|512)?_(?P<mask>mask_|maskz_|mask2_|mask3_)?(?P<op>[a-z0-9_]+?)_(?P<type>"
    + "|".join(sorted(_TYPE, key=len, reverse=True))
    + r")(?P<kmask>_mask)?$"
)
_VEC_BASE = {"f": "float", "s": "int", "u": "uint", "p": "poly"}


def _vtype(elem: str, bits: int = 128) -> str:
    """NEON vector type for an element, e.g. ("f32", 128) -> float32x4_t."""
    if elem == "bits":
        elem = "u8"
    size = int(elem[1:])
    return f"{_VEC_BASE[elem[0]]}{size}x{bits // size}_t"


def _q(bits: int) -> str:
    return "q" if bits == 128 else ""


def _signed(elem: str) -> str:
    return "s" + elem[1:] if elem[0] in "su" else elem


def _unsigned(elem: str) -> str:
    return "u" + elem[1:] if elem[0] in "su" else elem


def _int_of(elem: str) -> str:
    """Unsigned integer element of the same width (for bitwise ops on float lanes)."""
    return elem if elem == "bits" else "u" + elem[1:]


# -- operations --------------------------------------------------------------------------------

_NAN_MINMAX = (
    "NaN handling differs: x86 min/max return the second operand when either is NaN; "
    "vminq/vmaxq return NaN if either operand is NaN; vminnmq/vmaxnmq return the number when one operand is a quiet NaN"
)
_SHIFT_COUNT = (
    "x86 shifts by a count >= the lane width give 0 (arithmetic: all sign bits); "
    "the NEON immediate must be below the lane width (1..width for right shifts)"
)
_CMP_RESULT = "the comparison yields an unsigned lane mask (all ones / zero), not a vector of the input type"

#: op -> function(elem, bits, typename) -> (replacement, caution) or None when not applicable
OpFn = Callable[[str, int, str], "tuple[str, str | None] | None"]


def _simple(template: str, kinds: str = "fsu", caution: str | None = None) -> OpFn:
    """`template` with {q} and {t}; kinds limits the element kinds (f=float, s=signed, u=unsigned, b=bits)."""

    def fn(elem, bits, _typ):
        kind = "b" if elem == "bits" else elem[0]
        if kind not in kinds:
            return None
        return f"`{template.format(q=_q(bits), t='u8' if elem == 'bits' else elem)}`", caution

    return fn


def _bitwise(op: str, order: str = "a, b") -> OpFn:
    def fn(elem, bits, _typ):
        t = _int_of(elem) if elem[0] == "f" else ("u8" if elem == "bits" else elem)
        q = _q(bits)
        if elem[0] == "f":
            text = f"`v{op}{q}_{t}({order})` on the lanes reinterpreted as `{_vtype(t, bits)}` (`vreinterpret{q}_{t}_{elem}`)"
        elif elem == "bits":
            text = f"`v{op}{q}_u8({order})` (any lane type: `v{op}{q}_s32`, `v{op}{q}_u64`, ...)"
        else:
            text = f"`v{op}{q}_{t}({order})`"
        return text, None

    return fn


def _andnot(elem, bits, typ):
    text, _ = _bitwise("bic", "b, a")(elem, bits, typ)
    return text, "operand order: x86 andnot(a, b) is ~a & b, NEON vbic(x, y) is x & ~y, so the operands swap"


def _minmax(op: str) -> OpFn:
    def fn(elem, bits, _typ):
        q = _q(bits)
        if elem[0] == "f":
            return f"`v{op}{q}_{elem}` (or `v{op}nm{q}_{elem}`)", _NAN_MINMAX
        if elem in ("s64", "u64"):
            cmp = "vcltq" if op == "min" else "vcgtq"
            return f"`vbslq_{elem}({cmp}_{elem}(a, b), a, b)` (no 64-bit lane min/max in NEON)", None
        return f"`v{op}{q}_{elem}`", None

    return fn


def _mul(elem, bits, typ):
    q = _q(bits)
    if elem[0] == "f":
        return f"`vmul{q}_{elem}`", None
    if elem in ("s32", "u32") and bits == 128:  # _mm_mul_epi32/_mm_mul_epu32: even lanes, 64-bit products
        w = "s64" if elem == "s32" else "u64"
        return (
            f"`vmull_{elem}(vmovn_{w}(a), vmovn_{w}(b))` (products of the even 32-bit lanes)",
            "x86 multiplies lanes 0 and 2 into 64-bit results; narrow the 64-bit lanes first as shown",
        )
    return None


def _mullo(elem, bits, typ):
    q = _q(bits)
    if elem in ("s64", "u64"):
        return "no 64-bit lane multiply in NEON: `vgetq_lane_s64` both lanes, multiply, `vsetq_lane_s64`; or SVE `svmul_s64_x`", None
    return f"`vmul{q}_{elem}`", None


def _mulhi(elem, bits, typ):
    if elem not in ("s16", "u16") or bits != 128:
        return None
    w = "s32" if elem == "s16" else "u32"
    return (
        f"`vmull_{elem}(vget_low_{elem}(a), vget_low_{elem}(b))` and `vmull_high_{elem}(a, b)`, then keep the high halves: "
        f"`vuzp2q_{elem}(vreinterpretq_{elem}_{w}(lo), vreinterpretq_{elem}_{w}(hi))`",
        None,
    )


def _div(elem, bits, typ):
    if elem[0] != "f":
        return None
    return f"`vdiv{_q(bits)}_{elem}`", None


def _load(elem, bits, typ):
    q = _q(bits)
    t = "u8" if elem == "bits" else elem
    extra = " (any lane type, e.g. `vld1q_s32`)" if elem == "bits" else ""
    return f"`vld1{q}_{t}`{extra}", None


def _store(elem, bits, typ):
    q = _q(bits)
    t = "u8" if elem == "bits" else elem
    extra = " (any lane type)" if elem == "bits" else ""
    return f"`vst1{q}_{t}`{extra}", None


def _stream(elem, bits, typ):
    text, _ = _store(elem, bits, typ)
    return text, "NEON stores have no non-temporal hint; keep a fence after the stores if the x86 code relied on _mm_sfence"


def _set1(elem, bits, typ):
    t = "u8" if elem == "bits" else elem
    return f"`vdup{_q(bits)}_n_{t}`", None


def _setzero(elem, bits, typ):
    t = "u8" if elem == "bits" else elem
    zero = "0.0" if elem[0] == "f" else "0"
    return f"`vdup{_q(bits)}_n_{t}({zero})`", None


def _set(elem, bits, typ):
    return (
        f"a vector initialiser in reverse argument order, e.g. `({_vtype(elem, bits)}){{e0, e1, ...}}`, or `vld1{_q(bits)}_{elem}` from an array",
        "_mm_set_* lists the highest lane first; _mm_setr_* and NEON initialisers list lane 0 first",
    )


def _setr(elem, bits, typ):
    return f"a vector initialiser `({_vtype(elem, bits)}){{e0, e1, ...}}`, or `vld1{_q(bits)}_{elem}` from an array", None


def _cmp(neon: str) -> OpFn:
    def fn(elem, bits, typ):
        if elem == "bits":
            return None
        return f"`v{neon}{_q(bits)}_{elem}`", _CMP_RESULT

    return fn


def _cmp_pred(elem, bits, typ):
    if elem[0] != "f":
        return None
    q = _q(bits)
    return (
        f"`vceq{q}_{elem}` / `vclt{q}_{elem}` / `vcle{q}_{elem}` / `vcgt{q}_{elem}` / `vcge{q}_{elem}`, as the predicate says",
        _CMP_RESULT + "; unordered (NaN) predicates need an extra `vceq{q}_{elem}(x, x)` test".format(q=q, elem=elem),
    )


def _cmpneq(elem, bits, typ):
    if elem[0] != "f" or elem == "f16":
        return None
    q = _q(bits)
    u = _int_of(elem)
    if u == "u64":
        return f"`vreinterpret{q}_u64_u32(vmvn{q}_u32(vreinterpret{q}_u32_u64(vceq{q}_{elem}(a, b))))`", _CMP_RESULT
    return f"`vmvn{q}_u32(vceq{q}_{elem}(a, b))`", _CMP_RESULT


def _abs(elem, bits, typ):
    if elem[0] == "u" or elem == "bits":
        return None
    return f"`vabs{_q(bits)}_{elem}`", None


def _shift_imm(kind: str) -> OpFn:
    def fn(elem, bits, typ):
        if elem == "bits" and kind in ("l", "rl"):
            return _shift_byte("l" if kind == "l" else "r")(elem, bits, typ)
        if elem == "bits" or elem[0] == "f":
            return None
        q = _q(bits)
        if kind == "l":
            return f"`vshl{q}_n_{elem}`", _SHIFT_COUNT
        t = _unsigned(elem) if kind == "rl" else _signed(elem)
        return f"`vshr{q}_n_{t}`", _SHIFT_COUNT

    return fn


def _shift_var(kind: str) -> OpFn:
    def fn(elem, bits, typ):
        if elem == "bits" or elem[0] == "f":
            return None
        q = _q(bits)
        t = _unsigned(elem) if kind in ("l", "rl") else _signed(elem)
        s = _signed(elem)
        neg = "" if kind == "l" else "negated "
        return (
            f"`vshl{q}_{t}(a, counts)` with {neg}per-lane counts as `{_vtype(s, bits)}` (a right shift is a left shift by a negative count)",
            _SHIFT_COUNT,
        )

    return fn


def _shift_byte(direction: str) -> OpFn:
    def fn(elem, bits, typ):
        if elem != "bits":
            return None
        if direction == "l":
            return "`vextq_u8(vdupq_n_u8(0), a, 16 - imm)` (byte shift; imm 1..15)", None
        return "`vextq_u8(a, vdupq_n_u8(0), imm)` (byte shift; imm 0..15)", None

    return fn


def _zip(which: int) -> OpFn:
    def fn(elem, bits, typ):
        if elem == "bits":
            return None
        return f"`vzip{which}{_q(bits)}_{elem}`", None

    return fn


def _madd(elem, bits, typ):
    if elem != "s16" or bits != 128:
        return None
    return "`vpaddq_s32(vmull_s16(vget_low_s16(a), vget_low_s16(b)), vmull_high_s16(a, b))`", None


def _maddubs(elem, bits, typ):
    if elem != "s16" or bits != 128:
        return None
    return (
        "no single instruction: widen with `vmovl_u8` / `vmovl_s8`, multiply with `vmulq_s16`, then add neighbouring "
        "lanes with `vqaddq_s16(vuzp1q_s16(p, q), vuzp2q_s16(p, q))`",
        "the first operand's bytes are unsigned and the second's signed; the pair sums saturate",
    )


def _sad(elem, bits, typ):
    if elem != "u8" or bits != 128:
        return None
    return "`vabdq_u8`, then `vpaddlq_u8` -> `vpaddlq_u16` -> `vpaddlq_u32` (one sum per 64-bit half)", None


def _shuffle(elem, bits, typ):
    if elem in ("s8", "u8"):
        if bits != 128:
            return None
        return (
            "`vqtbl1q_u8(table, vandq_u8(index, vdupq_n_u8(0x8F)))`",
            "pshufb uses the low 4 index bits and zeroes a lane only when bit 7 is set; vqtbl1q_u8 zeroes every index "
            "above 15, so mask the index with 0x8F first",
        )
    if elem == "bits":
        return None
    q = _q(bits)
    rev = f" / `vrev64{q}_{elem}`" if elem[1:] != "64" else ""
    return (
        f"`__builtin_shuffle` (GCC) / `__builtin_shufflevector` (Clang) on `{_vtype(elem, bits)}`, or `vext{q}_{elem}` / "
        f"`vzip1{q}_{elem}`{rev} combinations",
        "the immediate encodes a lane order, 2 bits per lane; translate it to explicit lane indices",
    )


def _blendv(elem, bits, typ):
    if elem == "bits":
        return None
    s = _signed(_int_of(elem))
    q = _q(bits)
    lanes = "mask" if s == elem else f"vreinterpret{q}_{s}_{elem}(mask)"
    return (
        f"`vbsl{q}_{elem}(vclt{q}_{s}({lanes}, vdup{q}_n_{s}(0)), b, a)`",
        "blendv selects by the sign bit of each mask lane while vbsl selects bit by bit: turn the mask into full-lane "
        "masks first (as shown) unless it comes from a comparison",
    )


def _blend(elem, bits, typ):
    if elem == "bits":
        return None
    return f"`vbsl{_q(bits)}_{elem}` with a constant lane mask built from the immediate", None


def _movemask(elem, bits, typ):
    return (
        "no single NEON instruction: for a byte mask, `vshrn_n_u16(vreinterpretq_u16_u8(m), 4)` gives 4 bits per lane in "
        "a 64-bit value; for any/all tests use `vmaxvq_u32` / `vminvq_u32`",
        "bit positions of the NEON result differ from the x86 bit mask; rewrite the code that consumes the mask",
    )


def _hadd(elem, bits, typ):
    if elem in ("f32", "f64", "s16", "s32"):
        return f"`vpadd{_q(bits)}_{elem}`", None
    return None


def _hsub(elem, bits, typ):
    if elem in ("f32", "f64", "s16", "s32"):
        return f"`vsubq_{elem}(vuzp1q_{elem}(a, b), vuzp2q_{elem}(a, b))`", None
    return None


_FMA_ORDER = "operand order: NEON takes the accumulator first (vfmaq(c, a, b) = c + a*b)"


def _fma(form: str) -> OpFn:
    def fn(elem, bits, typ):
        if elem not in ("f32", "f64"):
            return None
        q = _q(bits)
        text = {
            "fmadd": f"`vfma{q}_{elem}(c, a, b)`",
            "fmsub": f"`vneg{q}_{elem}(vfms{q}_{elem}(c, a, b))`",
            "fnmadd": f"`vfms{q}_{elem}(c, a, b)`",
            "fnmsub": f"`vneg{q}_{elem}(vfma{q}_{elem}(c, a, b))`",
        }[form]
        return text, _FMA_ORDER

    return fn


_ESTIMATE_CAUTION = (
    "estimate precision differs: x86 rcp/rsqrt have a relative error below 1.5*2^-12, the NEON estimates about 2^-8; "
    "add a Newton step (or divide / take the square root) when results are compared closely"
)


def _estimate(neon: str, step: str) -> OpFn:
    def fn(elem, bits, typ):
        if elem != "f32":
            return None
        q = _q(bits)
        return f"`v{neon}{q}_f32` (about 8 bits), refined with one `v{step}{q}_f32` Newton step", _ESTIMATE_CAUTION

    return fn


def _avg(elem, bits, typ):
    if elem not in ("u8", "u16"):
        return None
    return f"`vrhadd{_q(bits)}_{elem}`", None


def _pack(unsigned: bool) -> OpFn:
    def fn(elem, bits, typ):
        if elem not in ("s16", "s32") or bits != 128:
            return None
        half = {"s16": "8", "s32": "16"}[elem]
        if unsigned:
            return f"`vcombine_u{half}(vqmovun_{elem}(a), vqmovun_{elem}(b))`", None
        return f"`vcombine_s{half}(vqmovn_{elem}(a), vqmovn_{elem}(b))`", None

    return fn


def _extract(elem, bits, typ):
    if elem == "bits":
        return None
    if elem == "f32":
        return "`vgetq_lane_f32`", "_mm_extract_ps returns the float's bit pattern as an int; vgetq_lane_f32 returns the float"
    return f"`vget{_q(bits)}_lane_{elem}`", None


def _insert(elem, bits, typ):
    if elem == "bits":
        return None
    return f"`vset{_q(bits)}_lane_{elem}(value, vector, lane)`", "argument order: NEON takes the value first"


def _alignr(elem, bits, typ):
    if elem not in ("s8", "bits"):
        return None
    if bits == 64:
        return "`vext_u8(b, a, imm)`", "operand order: alignr(a, b, n) is vext(b, a, n)"
    return "`vextq_u8(b, a, imm)`", "operand order: alignr(a, b, n) is vext(b, a, n); imm must be below 16"


def _round(which: str) -> OpFn:
    def fn(elem, bits, typ):
        if elem not in ("f32", "f64"):
            return None
        q = _q(bits)
        if which == "round":
            return (
                f"`vrndn{q}_{elem}` (nearest), `vrndm{q}_{elem}` (floor), `vrndp{q}_{elem}` (ceil), `vrnd{q}_{elem}` "
                f"(truncate) or `vrndi{q}_{elem}` (current mode), as the immediate says",
                None,
            )
        return f"`vrnd{which}{q}_{elem}`", None

    return fn


def _mulhrs(elem, bits, typ):
    if elem != "s16":
        return None
    return (
        f"`vqrdmulh{_q(bits)}_s16`",
        "for -32768 * -32768 pmulhrsw gives -32768 while vqrdmulh saturates to 32767",
    )


def _sign(elem, bits, typ):
    if elem not in ("s8", "s16", "s32"):
        return None
    q = _q(bits)
    return (
        f"no single NEON instruction: `vbsl{q}_{elem}(vcltz{q}_{elem}(b), vneg{q}_{elem}(a), a)` and zero the lanes "
        f"where `vceqz{q}_{elem}(b)`",
        None,
    )


def _testz(elem, bits, typ):
    if elem != "bits":
        return None
    return "`vmaxvq_u32(vreinterpretq_u32_u8(vandq_u8(a, b))) == 0`", None


def _gather(index: str) -> OpFn:
    def fn(elem, bits, typ):
        if elem == "bits":
            return None
        lane_bits = int(elem[1:])
        sve = ""
        if (index == "i32" and lane_bits == 32) or (index == "i64" and lane_bits == 64):
            sve = f"; SVE `svld1_gather_s{lane_bits}index_{elem}`"
        return f"no NEON gather: load lanes one by one with `vld1q_lane_{elem}`{sve}", None

    return fn


def _broadcast_reg(elem, bits, typ):
    if elem == "bits":
        return None
    return f"`vdupq_laneq_{elem}(a, 0)`", None


def _broadcast_mem(elem, bits, typ):
    if elem not in ("f32", "f64"):
        return None
    return f"`vld1q_dup_{elem}`", None


def _popcnt_vec(elem, bits, typ):
    if elem in ("s8", "u8"):
        return "`vcntq_u8`", None
    if elem in ("s16", "u16", "s32", "u32", "s64", "u64"):
        chain = {"16": "`vpaddlq_u8`", "32": "`vpaddlq_u8` -> `vpaddlq_u16`", "64": "`vpaddlq_u8` -> `vpaddlq_u16` -> `vpaddlq_u32`"}
        return f"`vcntq_u8`, then {chain[elem[1:]]}", None
    return None


def _lzcnt_vec(elem, bits, typ):
    if elem in ("s32", "u32"):
        return f"`vclzq_{elem}`", None
    if elem in ("s64", "u64"):
        return "no 64-bit lane count-leading-zeros in NEON: per lane `__builtin_clzll` (undefined for 0)", None
    return None


def _reduce(neon: str) -> OpFn:
    def fn(elem, bits, typ):
        if elem == "bits" or elem == "f16" or (neon != "addv" and elem in ("s64", "u64")):
            return None
        return f"`v{neon}q_{elem}` (after combining the vectors of a wide register)", None

    return fn


def _undefined(elem, bits, typ):
    t = "u8" if elem == "bits" else elem
    return f"an uninitialised `{_vtype(t, bits)}` or `vdupq_n_{t}(0)`", None


def _pair(text: str) -> OpFn:
    def fn(elem, bits, typ):
        return text, None

    return fn


_NOTHING = ("nothing: delete the call (AArch64 has no such state to reset)", None)

OPS: dict[str, OpFn] = {
    "add": _simple("vadd{q}_{t}"),
    "sub": _simple("vsub{q}_{t}"),
    "adds": _simple("vqadd{q}_{t}", "su"),
    "subs": _simple("vqsub{q}_{t}", "su"),
    "mul": _mul,
    "mullo": _mullo,
    "mulhi": _mulhi,
    "mulhrs": _mulhrs,
    "div": _div,
    "min": _minmax("min"),
    "max": _minmax("max"),
    "and": _bitwise("and"),
    "or": _bitwise("orr"),
    "xor": _bitwise("eor"),
    "andnot": _andnot,
    "load": _load,
    "loadu": _load,
    "lddqu": _load,
    "stream_load": _load,
    "store": _store,
    "storeu": _store,
    "stream": _stream,
    "set1": _set1,
    "setzero": _setzero,
    "set": _set,
    "setr": _setr,
    "cmpeq": _cmp("ceq"),
    "cmpgt": _cmp("cgt"),
    "cmplt": _cmp("clt"),
    "cmpge": _cmp("cge"),
    "cmple": _cmp("cle"),
    "cmpneq": _cmpneq,
    "cmp": _cmp_pred,
    "sqrt": _simple("vsqrt{q}_{t}", "f"),
    "abs": _abs,
    "slli": _shift_imm("l"),
    "srli": _shift_imm("rl"),
    "srai": _shift_imm("ra"),
    "sll": _shift_var("l"),
    "srl": _shift_var("rl"),
    "sra": _shift_var("ra"),
    "sllv": _shift_var("l"),
    "srlv": _shift_var("rl"),
    "srav": _shift_var("ra"),
    "bslli": _shift_byte("l"),
    "bsrli": _shift_byte("r"),
    "unpacklo": _zip(1),
    "unpackhi": _zip(2),
    "madd": _madd,
    "maddubs": _maddubs,
    "sad": _sad,
    "shuffle": _shuffle,
    "blendv": _blendv,
    "blend": _blend,
    "movemask": _movemask,
    "hadd": _hadd,
    "hsub": _hsub,
    "fmadd": _fma("fmadd"),
    "fmsub": _fma("fmsub"),
    "fnmadd": _fma("fnmadd"),
    "fnmsub": _fma("fnmsub"),
    "rcp": _estimate("recpe", "recps"),
    "rsqrt": _estimate("rsqrte", "rsqrts"),
    "avg": _avg,
    "packs": _pack(False),
    "packus": _pack(True),
    "extract": _extract,
    "insert": _insert,
    "alignr": _alignr,
    "round": _round("round"),
    "floor": _round("m"),
    "ceil": _round("p"),
    "sign": _sign,
    "testz": _testz,
    "i32gather": _gather("i32"),
    "i64gather": _gather("i64"),
    "broadcastb": _broadcast_reg,
    "broadcastw": _broadcast_reg,
    "broadcastd": _broadcast_reg,
    "broadcastq": _broadcast_reg,
    "broadcastss": _broadcast_reg,
    "broadcastsd": _broadcast_reg,
    "broadcast": _broadcast_mem,
    "load1": _broadcast_mem,
    "popcnt": _popcnt_vec,
    "lzcnt": _lzcnt_vec,
    "reduce_add": _reduce("addv"),
    "reduce_min": _reduce("minv"),
    "reduce_max": _reduce("maxv"),
    "undefined": _undefined,
    "extractf128": _pair("pick the low or high 128-bit vector of the group (no instruction)"),
    "extracti128": _pair("pick the low or high 128-bit vector of the group (no instruction)"),
    "insertf128": _pair("replace one 128-bit vector of the group (no instruction)"),
    "inserti128": _pair("replace one 128-bit vector of the group (no instruction)"),
    "permute2f128": _pair("choose (or zero) 128-bit vectors of the two groups as the immediate says"),
    "permute2x128": _pair("choose (or zero) 128-bit vectors of the two groups as the immediate says"),
    "permute4x64": _pair("byte table lookups with `vqtbl2q_u8` over the pair"),
    "permutevar8x32": _pair("byte table lookups with `vqtbl2q_u8` over the pair"),
    "permutexvar": _pair("byte table lookups with `vqtbl2q_u8` (pair) or `vqtbl4q_u8` (four vectors)"),
}
#: ops whose text already speaks about a whole register group
_WHOLE_OPS = {
    "movemask", "reduce_add", "reduce_min", "reduce_max", "testz", "set", "setr", "undefined", "extract", "insert",
    "i32gather", "i64gather", "extractf128", "extracti128", "insertf128", "inserti128", "permute2f128", "permute2x128",
    "permute4x64", "permutevar8x32", "permutexvar",
}

#: SVE forms of the common element-wise ops (`_x` = unpredicated lanes don't care)
_SVE: dict[str, Callable[[str], str | None]] = {
    "add": lambda t: f"svadd_{t}_x",
    "sub": lambda t: f"svsub_{t}_x",
    "mul": lambda t: f"svmul_{t}_x" if t[0] == "f" else None,
    "mullo": lambda t: f"svmul_{t}_x",
    "div": lambda t: f"svdiv_{t}_x" if t[0] == "f" else None,
    "min": lambda t: f"svmin_{t}_x",
    "max": lambda t: f"svmax_{t}_x",
    "abs": lambda t: f"svabs_{t}_x" if t[0] in "fs" else None,
    "sqrt": lambda t: f"svsqrt_{t}_x" if t[0] == "f" else None,
    "and": lambda t: f"svand_{t}_x" if t[0] in "su" else None,
    "or": lambda t: f"svorr_{t}_x" if t[0] in "su" else None,
    "xor": lambda t: f"sveor_{t}_x" if t[0] in "su" else None,
    "andnot": lambda t: f"svbic_{t}_x" if t[0] in "su" else None,
    "fmadd": lambda t: f"svmla_{t}_x" if t[0] == "f" else None,
    "load": lambda t: f"svld1_{t}",
    "loadu": lambda t: f"svld1_{t}",
    "store": lambda t: f"svst1_{t}",
    "storeu": lambda t: f"svst1_{t}",
    "set1": lambda t: f"svdup_n_{t}",
    "adds": lambda t: f"svqadd_{t}" if t[0] in "su" else None,
    "subs": lambda t: f"svqsub_{t}" if t[0] in "su" else None,
}


def _structured(name: str) -> Equivalent | None:
    m = _NAME.match(name)
    if not m:
        return None
    op, typ = m.group("op"), m.group("type")
    width = int(m.group("width") or 128)
    masked = m.group("mask")
    elem, reg = _TYPE[typ]
    if reg == 0:  # scalar ss/sd/sh forms: lane 0 only
        if not op.startswith("broadcast"):
            return _scalar(op, elem) if width == 128 and not masked else None
        reg = 128
    if name.startswith(("_mm256_", "_mm512_")) and reg == 64:
        return None
    fn = OPS.get(op)
    if fn is None:
        return None
    got = fn(elem, reg, typ)
    if got is None:
        return None
    text, caution = got
    if width > 128 and op in _WHOLE_OPS:
        text = f"{text} (on a group of {width // 128} 128-bit vectors)"
    elif width > 128:
        n = width // 128
        text = f"{n} x {text} on {('two', 'four')[n // 4]} `{_vtype(elem, 128)}` vectors"
        sve_t = None if elem == "bits" else elem
        if op in ("and", "or", "xor", "andnot") and elem == "bits":
            sve_t = "u8"
        sve = _SVE.get(op)
        sve_name = sve(sve_t) if (sve and sve_t and sve_t != "f16") else None
        if sve_name:
            text += f", or SVE `{sve_name}` in a vector-length-agnostic loop"
        if width == 256 and op in ("unpacklo", "unpackhi", "packs", "packus", "shuffle", "hadd", "hsub", "alignr", "sad"):
            caution = _join(caution, "the AVX2 form works within each 128-bit half, like one NEON op per half")
    if masked:
        sel = "vbslq_u8" if elem == "bits" else f"vbslq_{elem}"
        text += f", then merge lanes with `{sel}` (NEON has no mask registers)"
        caution = _join(caution, "x86 write masks have no NEON counterpart; SVE predicates (svbool_t, _m/_z forms) are the closest model")
    if m.group("kmask"):
        kmask = "x86 returns a __mmask bit field; NEON comparisons return a lane mask vector"
        caution = caution.replace(_CMP_RESULT, kmask) if caution and _CMP_RESULT in caution else _join(caution, kmask)
    march = "+fp16" if elem == "f16" else None
    return Equivalent(text, caution, NEON_H, march)


def _scalar(op: str, elem: str) -> Equivalent | None:
    if elem == "f16":
        return None
    scalar_ops = {"add": "+", "sub": "-", "mul": "*", "div": "/"}
    lane = f"vgetq_lane_{elem}(a, 0)"
    if op in scalar_ops:
        text = f"scalar `{lane} {scalar_ops[op]} vgetq_lane_{elem}(b, 0)`, put back with `vsetq_lane_{elem}` if the other lanes matter"
        return Equivalent(text, "the x86 scalar form keeps lanes 1..n of the first operand", NEON_H)
    if op in ("min", "max", "sqrt"):
        fn = {"min": "fmin", "max": "fmax", "sqrt": "sqrt"}[op] + ("f" if elem == "f32" else "")
        caution = None
        if op != "sqrt":
            caution = "NaN handling differs: x86 min/max return the second operand when either is NaN; fmin/fmax return the number"
        return Equivalent(f"scalar `{fn}` on `{lane}`", caution, NEON_H)
    if op in ("rcp", "rsqrt") and elem == "f32":
        est = "vrecpes_f32" if op == "rcp" else "vrsqrtes_f32"
        return Equivalent(f"`{est}({lane})`", _ESTIMATE_CAUTION, NEON_H)
    if op in ("load", "load1"):
        return Equivalent(f"`vld1q_lane_{elem}(p, vdupq_n_{elem}(0), 0)`", None, NEON_H)
    if op in ("store",):
        return Equivalent(f"`vst1q_lane_{elem}(p, a, 0)`", None, NEON_H)
    if op == "set":
        return Equivalent(f"`vsetq_lane_{elem}(x, vdupq_n_{elem}(0), 0)`", None, NEON_H)
    if op == "set1":
        return Equivalent(f"`vdupq_n_{elem}`", None, NEON_H)
    if op == "move":
        return Equivalent(f"`vsetq_lane_{elem}(vgetq_lane_{elem}(b, 0), a, 0)`", None, NEON_H)
    return None


def _join(a: str | None, b: str | None) -> str | None:
    if a and b:
        return f"{a}; {b}"
    return a or b


# -- conversions and casts ----------------------------------------------------------------------

_CVT_RANGE = "out-of-range and NaN inputs differ: x86 gives INT_MIN (0x80000000), NEON saturates and gives 0 for NaN"
_CONVERSIONS: dict[str, Equivalent] = {
    "_mm_cvtepi32_ps": Equivalent("`vcvtq_f32_s32`", None, NEON_H),
    "_mm_cvtps_epi32": Equivalent("`vcvtnq_s32_f32` (round to nearest even, the default MXCSR mode)", _CVT_RANGE, NEON_H),
    "_mm_cvttps_epi32": Equivalent("`vcvtq_s32_f32` (truncates)", _CVT_RANGE, NEON_H),
    "_mm_cvtps_pd": Equivalent("`vcvt_f64_f32(vget_low_f32(a))`", None, NEON_H),
    "_mm_cvtpd_ps": Equivalent("`vcombine_f32(vcvt_f32_f64(a), vdup_n_f32(0))`", None, NEON_H),
    "_mm_cvtepu8_epi16": Equivalent("`vmovl_u8(vget_low_u8(a))`", None, NEON_H),
    "_mm_cvtepi8_epi16": Equivalent("`vmovl_s8(vget_low_s8(a))`", None, NEON_H),
    "_mm_cvtepu16_epi32": Equivalent("`vmovl_u16(vget_low_u16(a))`", None, NEON_H),
    "_mm_cvtepi16_epi32": Equivalent("`vmovl_s16(vget_low_s16(a))`", None, NEON_H),
    "_mm_cvtepu32_epi64": Equivalent("`vmovl_u32(vget_low_u32(a))`", None, NEON_H),
    "_mm_cvtepi32_epi64": Equivalent("`vmovl_s32(vget_low_s32(a))`", None, NEON_H),
    "_mm_cvtepu8_epi32": Equivalent("`vmovl_u16(vget_low_u16(vmovl_u8(vget_low_u8(a))))`", None, NEON_H),
    "_mm_cvtepi8_epi32": Equivalent("`vmovl_s16(vget_low_s16(vmovl_s8(vget_low_s8(a))))`", None, NEON_H),
    "_mm_cvtsi128_si32": Equivalent("`vgetq_lane_s32(a, 0)`", None, NEON_H),
    "_mm_cvtsi128_si64": Equivalent("`vgetq_lane_s64(a, 0)`", None, NEON_H),
    "_mm_cvtsi128_si64x": Equivalent("`vgetq_lane_s64(a, 0)`", None, NEON_H),
    "_mm_cvtsi32_si128": Equivalent("`vsetq_lane_s32(x, vdupq_n_s32(0), 0)`", None, NEON_H),
    "_mm_cvtsi64_si128": Equivalent("`vsetq_lane_s64(x, vdupq_n_s64(0), 0)`", None, NEON_H),
    "_mm_cvtsi64x_si128": Equivalent("`vsetq_lane_s64(x, vdupq_n_s64(0), 0)`", None, NEON_H),
    "_mm_cvtss_f32": Equivalent("`vgetq_lane_f32(a, 0)`", None, NEON_H),
    "_mm_cvtsd_f64": Equivalent("`vgetq_lane_f64(a, 0)`", None, NEON_H),
    "_mm_cvtph_ps": Equivalent("`vcvt_f32_f16(vreinterpret_f16_u16(vget_low_u16(a)))`", None, NEON_H),
    "_mm_cvtps_ph": Equivalent(
        "`vcvt_f16_f32`", "the rounding immediate of _mm_cvtps_ph is ignored: NEON uses the current FPCR mode", NEON_H
    ),
    "_mm256_cvtepi32_ps": Equivalent("2 x `vcvtq_f32_s32`", None, NEON_H),
    "_mm256_cvtps_epi32": Equivalent("2 x `vcvtnq_s32_f32`", _CVT_RANGE, NEON_H),
    "_mm256_cvttps_epi32": Equivalent("2 x `vcvtq_s32_f32`", _CVT_RANGE, NEON_H),
    "_mm256_cvtph_ps": Equivalent("`vcvt_f32_f16` and `vcvt_high_f32_f16`", None, NEON_H),
    "_mm256_cvtepu8_epi16": Equivalent("`vmovl_u8` and `vmovl_high_u8`", None, NEON_H),
    "_mm256_cvtepi8_epi16": Equivalent("`vmovl_s8` and `vmovl_high_s8`", None, NEON_H),
    "_mm256_cvtepi16_epi32": Equivalent("`vmovl_s16` and `vmovl_high_s16`", None, NEON_H),
    "_mm256_cvtepu16_epi32": Equivalent("`vmovl_u16` and `vmovl_high_u16`", None, NEON_H),
}

_CAST = re.compile(r"^_mm(256|512)?_cast(ps|pd|si|ph)(128|256|512)?_(ps|pd|si|ph)(128|256|512)?$")


def _cast(name: str) -> Equivalent | None:
    m = _CAST.match(name)
    if not m:
        return None
    src_bits, dst_bits = int(m.group(3) or m.group(1) or 128), int(m.group(5) or m.group(1) or 128)
    if src_bits > dst_bits:
        return Equivalent("the first (low) 128-bit vector of the group; no instruction", None, NEON_H)
    if src_bits < dst_bits:
        return Equivalent("a group whose first vector is the operand (upper part undefined or zero)", None, NEON_H)
    return Equivalent("`vreinterpretq_*` (e.g. `vreinterpretq_s32_f32`); no instruction", None, NEON_H)


# -- named overrides -----------------------------------------------------------------------------

_CRC_CAUTION = (
    "x86's crc32 instruction computes CRC-32C (Castagnoli): use the __crc32c* forms; __crc32b/h/w/d compute the "
    "IEEE CRC-32 and silently give different checksums"
)
_ZERO_CAUTION = (
    "the builtins are undefined for 0 (GCC documents the result as undefined) while lzcnt/tzcnt return the operand "
    "width: guard zero, e.g. `x ? {fn}(x) : {width}`"
)
_BSF_CAUTION = "undefined for 0, as bsf/bsr are: keep the zero check"
_AES_ROUND = (
    "different round structure: AArch64 AESE adds the round key before SubBytes/ShiftRows and AESMC is a separate step, "
    "x86 AESENC adds it after MixColumns: pass a zero key to vaeseq_u8/vaesdq_u8 and XOR the x86 round key afterwards "
    "(as shown), or re-schedule the keys"
)
_SHA_CAUTION = (
    "state layout and round grouping differ (x86 sha256rnds2 does 2 rounds on ABEF/CDGH halves; vsha256hq/vsha256h2q "
    "do 4 rounds on ABCD/EFGH): port the whole compression function, not instruction by instruction"
)
_PEXT = (
    "no NEON equivalent: a portable loop over the set bits of the mask; with SVE2 bit permutation "
    "(-march=armv8-a+sve2-bitperm, HWCAP2_SVEBITPERM) `{sve}` on lane 0"
)
_RAND = (
    "`getrandom()` from <sys/random.h> (or `__rndr` from <arm_acle.h> with -march=armv8.5-a+rng on cores with "
    "HWCAP2_RNG)"
)
_RAND_CAUTION = "the _step functions return 1 on success and fill one integer; getrandom returns a byte count and may return fewer bytes"
_FLUSH = (
    "no portable user-level equivalent: `dc civac` through inline asm only where the kernel allows EL0 cache "
    "maintenance, or drop the call"
)
_PREFETCH = "`__builtin_prefetch(p, 0, locality)` with _MM_HINT_T0 -> 3, T1 -> 2, T2 -> 1, NTA -> 0"


def _e(replacement: str, caution: str | None = None, header: str | None = None, march: str | None = None) -> Equivalent:
    return Equivalent(replacement, caution, header, march)


_OVERRIDES: dict[str, Equivalent] = {
    # SSE4.2 CRC-32C
    "_mm_crc32_u8": _e("`__crc32cb`", _CRC_CAUTION, ACLE_H, "+crc"),
    "_mm_crc32_u16": _e("`__crc32ch`", _CRC_CAUTION, ACLE_H, "+crc"),
    "_mm_crc32_u32": _e("`__crc32cw`", _CRC_CAUTION, ACLE_H, "+crc"),
    "_mm_crc32_u64": _e("`__crc32cd` (returns a 32-bit value)", _CRC_CAUTION, ACLE_H, "+crc"),
    "__crc32q": _e("`__crc32cd`", _CRC_CAUTION, ACLE_H, "+crc"),
    # population count, leading/trailing zeros, bit scans
    "_mm_popcnt_u32": _e("`__builtin_popcount`"),
    "_mm_popcnt_u64": _e("`__builtin_popcountll`"),
    "_popcnt32": _e("`__builtin_popcount`"),
    "_popcnt64": _e("`__builtin_popcountll`"),
    "__popcntd": _e("`__builtin_popcount`"),
    "__popcntq": _e("`__builtin_popcountll`"),
    "_lzcnt_u32": _e("`__builtin_clz` with a zero check", _ZERO_CAUTION.format(fn="__builtin_clz", width=32)),
    "_lzcnt_u64": _e("`__builtin_clzll` with a zero check", _ZERO_CAUTION.format(fn="__builtin_clzll", width=64)),
    "__lzcnt16": _e("`__builtin_clz((uint32_t)x) - 16` with a zero check", (
        "__builtin_clz is undefined for 0 (GCC documents the result as undefined) while lzcnt returns the operand width: "
        "guard zero, e.g. `x ? __builtin_clz(x) - 16 : 16`"
    )),
    "__lzcnt32": _e("`__builtin_clz` with a zero check", _ZERO_CAUTION.format(fn="__builtin_clz", width=32)),
    "__lzcnt64": _e("`__builtin_clzll` with a zero check", _ZERO_CAUTION.format(fn="__builtin_clzll", width=64)),
    "_tzcnt_u16": _e("`__builtin_ctz` with a zero check", _ZERO_CAUTION.format(fn="__builtin_ctz", width=16)),
    "_tzcnt_u32": _e("`__builtin_ctz` with a zero check", _ZERO_CAUTION.format(fn="__builtin_ctz", width=32)),
    "_tzcnt_u64": _e("`__builtin_ctzll` with a zero check", _ZERO_CAUTION.format(fn="__builtin_ctzll", width=64)),
    "__tzcnt_u16": _e("`__builtin_ctz` with a zero check", _ZERO_CAUTION.format(fn="__builtin_ctz", width=16)),
    "__tzcnt_u32": _e("`__builtin_ctz` with a zero check", _ZERO_CAUTION.format(fn="__builtin_ctz", width=32)),
    "__tzcnt_u64": _e("`__builtin_ctzll` with a zero check", _ZERO_CAUTION.format(fn="__builtin_ctzll", width=64)),
    "_bit_scan_forward": _e("`__builtin_ctz`", _BSF_CAUTION),
    "_bit_scan_reverse": _e("`31 - __builtin_clz(x)`", _BSF_CAUTION),
    "__bsfd": _e("`__builtin_ctz`", _BSF_CAUTION),
    "__bsrd": _e("`31 - __builtin_clz(x)`", _BSF_CAUTION),
    "__bsfq": _e("`__builtin_ctzll`", _BSF_CAUTION),
    "__bsrq": _e("`63 - __builtin_clzll(x)`", _BSF_CAUTION),
    "_bswap": _e("`__builtin_bswap32`"),
    "_bswap64": _e("`__builtin_bswap64`"),
    "__bswapd": _e("`__builtin_bswap32`"),
    "__bswapq": _e("`__builtin_bswap64`"),
    # BMI1/BMI2/ADX
    "_pext_u32": _e(_PEXT.format(sve="svbext_u32"), "a software loop is much slower than one pext"),
    "_pext_u64": _e(_PEXT.format(sve="svbext_u64"), "a software loop is much slower than one pext"),
    "_pdep_u32": _e(_PEXT.format(sve="svbdep_u32"), "a software loop is much slower than one pdep"),
    "_pdep_u64": _e(_PEXT.format(sve="svbdep_u64"), "a software loop is much slower than one pdep"),
    "_bzhi_u32": _e("`n >= 32 ? x : x & ((1u << n) - 1)`", "bzhi keeps x for n >= 32; a plain shift by >= 32 is undefined in C"),
    "_bzhi_u64": _e("`n >= 64 ? x : x & ((1ull << n) - 1)`", "bzhi keeps x for n >= 64; a plain shift by >= 64 is undefined in C"),
    "_bextr_u32": _e("`(x >> start) & ((1u << len) - 1)` with start, len < 32", "bextr tolerates start/len >= 32; C shifts do not"),
    "_bextr_u64": _e("`(x >> start) & ((1ull << len) - 1)` with start, len < 64", "bextr tolerates start/len >= 64; C shifts do not"),
    "__bextr_u32": _e("`(x >> (ctl & 0xff)) & ((1u << ((ctl >> 8) & 0xff)) - 1)` with both fields < 32"),
    "__bextr_u64": _e("`(x >> (ctl & 0xff)) & ((1ull << ((ctl >> 8) & 0xff)) - 1)` with both fields < 64"),
    "_blsr_u32": _e("`x & (x - 1)`"),
    "_blsr_u64": _e("`x & (x - 1)`"),
    "__blsr_u32": _e("`x & (x - 1)`"),
    "__blsr_u64": _e("`x & (x - 1)`"),
    "_blsi_u32": _e("`x & -x`"),
    "_blsi_u64": _e("`x & -x`"),
    "__blsi_u32": _e("`x & -x`"),
    "__blsi_u64": _e("`x & -x`"),
    "_blsmsk_u32": _e("`x ^ (x - 1)`"),
    "_blsmsk_u64": _e("`x ^ (x - 1)`"),
    "__blsmsk_u32": _e("`x ^ (x - 1)`"),
    "__blsmsk_u64": _e("`x ^ (x - 1)`"),
    "_andn_u32": _e("`~a & b` (compiles to BIC)"),
    "_andn_u64": _e("`~a & b` (compiles to BIC)"),
    "__andn_u32": _e("`~a & b` (compiles to BIC)"),
    "__andn_u64": _e("`~a & b` (compiles to BIC)"),
    "_mulx_u32": _e("a 64-bit product `(uint64_t)a * b`, high half `>> 32`"),
    "_mulx_u64": _e("an `unsigned __int128` product, high half `>> 64` (compiles to MUL + UMULH)"),
    "_addcarry_u32": _e("`__builtin_add_overflow` twice (value, then carry), or a 64-bit sum"),
    "_addcarry_u64": _e("`__builtin_add_overflow` twice (value, then carry), or an `unsigned __int128` sum"),
    "_addcarryx_u32": _e("`__builtin_add_overflow` twice (value, then carry), or a 64-bit sum"),
    "_addcarryx_u64": _e("`__builtin_add_overflow` twice (value, then carry), or an `unsigned __int128` sum"),
    "_subborrow_u32": _e("`__builtin_sub_overflow` twice (value, then borrow)"),
    "_subborrow_u64": _e("`__builtin_sub_overflow` twice (value, then borrow)"),
    # rotates
    **{n: _e("`(x << n) | (x >> (width - n))` with n masked to the width (compiles to ROR)") for n in (
        "__rolb", "__rolw", "__rold", "__rolq", "__rorb", "__rorw", "__rord", "__rorq", "_rotwl", "_rotwr")},
    # carry-less multiply, AES, SHA
    "_mm_clmulepi64_si128": _e(
        "`vmull_p64(vgetq_lane_p64(a, i), vgetq_lane_p64(b, j))` (`vmull_high_p64` when both take the high half)",
        "the immediate picks the 64-bit halves (bit 0: a, bit 4: b); the result is a poly128_t",
        NEON_H, "+crypto",
    ),
    "_mm_aesenc_si128": _e("`veorq_u8(vaesmcq_u8(vaeseq_u8(a, vdupq_n_u8(0))), key)`", _AES_ROUND, NEON_H, "+crypto"),
    "_mm_aesenclast_si128": _e("`veorq_u8(vaeseq_u8(a, vdupq_n_u8(0)), key)`", _AES_ROUND, NEON_H, "+crypto"),
    "_mm_aesdec_si128": _e("`veorq_u8(vaesimcq_u8(vaesdq_u8(a, vdupq_n_u8(0))), key)`", _AES_ROUND, NEON_H, "+crypto"),
    "_mm_aesdeclast_si128": _e("`veorq_u8(vaesdq_u8(a, vdupq_n_u8(0)), key)`", _AES_ROUND, NEON_H, "+crypto"),
    "_mm_aesimc_si128": _e("`vaesimcq_u8`", None, NEON_H, "+crypto"),
    "_mm_aeskeygenassist_si128": _e(
        "no single instruction: `vaeseq_u8` with a zero key gives SubBytes after ShiftRows; undo the row shift with "
        "`vqtbl1q_u8`, then apply RotWord and the round constant with shifts and `veorq_u8`",
        "key expansion is usually not hot: a portable key schedule is simpler",
        NEON_H, "+crypto",
    ),
    "_mm_sha1rnds4_epu32": _e("`vsha1cq_u32` / `vsha1pq_u32` / `vsha1mq_u32` (the immediate picks the function)", _SHA_CAUTION, NEON_H, "+crypto"),
    "_mm_sha1nexte_epu32": _e("`vsha1h_u32` (rotate of E) plus `vaddq_u32`", _SHA_CAUTION, NEON_H, "+crypto"),
    "_mm_sha1msg1_epu32": _e("`vsha1su0q_u32`", _SHA_CAUTION, NEON_H, "+crypto"),
    "_mm_sha1msg2_epu32": _e("`vsha1su1q_u32`", _SHA_CAUTION, NEON_H, "+crypto"),
    "_mm_sha256rnds2_epu32": _e("`vsha256hq_u32` + `vsha256h2q_u32`", _SHA_CAUTION, NEON_H, "+crypto"),
    "_mm_sha256msg1_epu32": _e("`vsha256su0q_u32`", _SHA_CAUTION, NEON_H, "+crypto"),
    "_mm_sha256msg2_epu32": _e("`vsha256su1q_u32`", _SHA_CAUTION, NEON_H, "+crypto"),
    # random numbers
    **{n: _e(_RAND, _RAND_CAUTION) for n in (
        "_rdrand16_step", "_rdrand32_step", "_rdrand64_step", "_rdseed16_step", "_rdseed32_step", "_rdseed64_step")},
    # fences, prefetch, cache lines
    "_mm_mfence": _e("`atomic_thread_fence(memory_order_seq_cst)` (<stdatomic.h>; DMB ISH)"),
    "_mm_lfence": _e(
        "`atomic_thread_fence(memory_order_acquire)` (DMB ISHLD)",
        "lfence used as a speculation barrier or to order rdtsc is not a memory-ordering use: there, `isb` is the AArch64 tool",
    ),
    "_mm_sfence": _e(
        "`atomic_thread_fence(memory_order_release)` (DMB ISH)",
        "on x86 sfence mainly orders non-temporal stores; ordinary stores are already ordered there but not on AArch64",
    ),
    "_mm_prefetch": _e(_PREFETCH),
    "_m_prefetch": _e("`__builtin_prefetch(p)`"),
    "_m_prefetchw": _e("`__builtin_prefetch(p, 1)`"),
    "_mm_clflush": _e(_FLUSH),
    "_mm_clflushopt": _e(_FLUSH),
    "_mm_clwb": _e(
        "no portable user-level equivalent: `dc cvac` (clean to the point of coherency) through inline asm only where the "
        "kernel allows EL0 cache maintenance, or drop the call"
    ),
    "_mm_malloc": _e("`aligned_alloc(alignment, size)` (size a multiple of alignment) or `posix_memalign`"),
    "_mm_free": _e("`free`"),
    "_mm_empty": _e(*_NOTHING),
    "_m_empty": _e(*_NOTHING),
    "_m_femms": _e(*_NOTHING),
    "_mm256_zeroupper": _e(*_NOTHING),
    "_mm256_zeroall": _e(*_NOTHING),
    "_mm_monitor": _e("no user-level equivalent in C; `wfe` (inline asm) after a load-exclusive is the closest wait primitive"),
    "_mm_mwait": _e("no user-level equivalent in C; `wfe` (inline asm) after a load-exclusive is the closest wait primitive"),
    "_umonitor": _e("no user-level equivalent in C; `wfe` (inline asm) after a load-exclusive is the closest wait primitive"),
    "_umwait": _e("no user-level equivalent in C; `wfe` (inline asm) after a load-exclusive is the closest wait primitive"),
    "_tpause": _e("no user-level equivalent in C; `wfe` (inline asm) after a load-exclusive is the closest wait primitive"),
    "_readfsbase_u64": _e("`__builtin_thread_pointer()` (TPIDR_EL0) when the code wants the TLS base"),
    "_readfsbase_u32": _e("`__builtin_thread_pointer()` (TPIDR_EL0) when the code wants the TLS base"),
    "_rdpid_u32": _e("`sched_getcpu()` (<sched.h>)"),
    "__pause": _e("`__asm__ volatile(\"isb\" ::: \"memory\")` (or `yield`) in a cpu_relax() helper", "re-tune spin counts measured on x86"),
    "_rdtscp": _e(
        "`clock_gettime(CLOCK_MONOTONIC)`, or read `cntvct_el0` (inline asm `mrs`) and scale by `cntfrq_el0`",
        "the AArch64 counter ticks at a fixed frequency unrelated to the CPU clock",
    ),
    "__rdpmc": _e("hardware counters through `perf_event_open(2)`"),
    "_rdpmc": _e("hardware counters through `perf_event_open(2)`"),
    "_mm_stream_si32": _e("a plain store", "no non-temporal hint"),
    "_mm_stream_si64": _e("a plain store", "no non-temporal hint"),
    "_mm_loadl_epi64": _e("`vcombine_s64(vld1_s64(p), vdup_n_s64(0))`", None, NEON_H),
    "_mm_storel_epi64": _e("`vst1_s64(p, vget_low_s64(a))`", None, NEON_H),
    "_mm_load_ps1": _e("`vld1q_dup_f32`", None, NEON_H),
    "_mm_store_ps1": _e("`vst1q_f32(p, vdupq_laneq_f32(a, 0))`", None, NEON_H),
    "_mm_store1_ps": _e("`vst1q_f32(p, vdupq_laneq_f32(a, 0))`", None, NEON_H),
    "_mm_loadh_pi": _e("`vcombine_f32(vget_low_f32(a), vld1_f32(p))`", None, NEON_H),
    "_mm_loadl_pi": _e("`vcombine_f32(vld1_f32(p), vget_high_f32(a))`", None, NEON_H),
    "_mm_storeh_pi": _e("`vst1_f32(p, vget_high_f32(a))`", None, NEON_H),
    "_mm_storel_pi": _e("`vst1_f32(p, vget_low_f32(a))`", None, NEON_H),
    "_mm_movehl_ps": _e("`vcombine_f32(vget_high_f32(b), vget_high_f32(a))`", None, NEON_H),
    "_mm_movelh_ps": _e("`vcombine_f32(vget_low_f32(a), vget_low_f32(b))`", None, NEON_H),
    "_mm_test_all_ones": _e("`vminvq_u32(vreinterpretq_u32_u8(a)) == 0xFFFFFFFF`", None, NEON_H),
    "_mm_test_all_zeros": _e("`vmaxvq_u32(vreinterpretq_u32_u8(vandq_u8(a, mask))) == 0`", None, NEON_H),
    "_mm_movemask_ps": _e(
        "no single NEON instruction: shift each sign bit down (`vshrq_n_u32(m, 31)`), weight the lanes by 1, 2, 4, 8 "
        "(`vshlq_u32`) and add them with `vaddvq_u32`",
        "count the lanes instead (`vaddvq_u32`) or test any/all (`vmaxvq_u32`) when the mask is only tested",
        NEON_H,
    ),
    "_mm_cmpestri": _e("no NEON equivalent: compare with `vceqq_u8` against each needle byte and reduce", "SSE4.2 string instructions have no counterpart", NEON_H),
    "_mm_cmpistri": _e("no NEON equivalent: compare with `vceqq_u8` against each needle byte and reduce", "SSE4.2 string instructions have no counterpart", NEON_H),
    "_mm_minpos_epu16": _e("`vminvq_u16` for the value, then `vceqq_u16` and a lane search for the index", None, NEON_H),
    "_mm_dp_ps": _e(
        "`vmulq_f32` then `vaddvq_f32` over the lanes the mask selects, broadcast with `vdupq_n_f32`",
        "the summation order differs, so results can differ in the last bit",
        NEON_H,
    ),
    "_mm_mpsadbw_epu8": _e("no single NEON instruction: `vabdl_u8` over the shifted windows (`vextq_u8`) and pairwise adds", None, NEON_H),
    "_MM_TRANSPOSE4_PS": _e("`vtrn1q_f32`/`vtrn2q_f32` then `vtrn1q_f64`/`vtrn2q_f64` on the reinterpreted rows, or `vld4q_f32` when loading", None, NEON_H),
}

_FAMILY_FALLBACK = {
    "sse": "rewrite with NEON intrinsics from <arm_neon.h>",
    "avx": "rewrite with NEON intrinsics on two (AVX) or four (AVX-512) 128-bit vectors, or with SVE (<arm_sve.h>)",
    "system": "no AArch64 equivalent: keep the call inside an x86-only `#if` and give AArch64 its own path",
    "amd": "AMD-only extension with no AArch64 counterpart: rewrite with NEON or portable C",
    "amx": "no NEON equivalent: keep the tile code x86-only and use a BLAS/oneDNN-style library path on AArch64",
    "mask": "plain integer bit operations (`&`, `|`, `^`, `~`, shifts) on the mask value",
}
_SYSTEM = {
    "XSAVE", "XSAVEOPT", "XSAVEC", "XSAVES", "FXSR", "SGX", "CET", "UINTR", "PCONFIG", "ENQCMD", "PTWRITE", "HRESET",
    "PKU", "MOVDIRI", "MOVDIR64B", "WAITPKG", "SERIALIZE", "TSXLDTRK", "RTM", "WBNOINVD", "CLDEMOTE", "KEYLOCKER",
    "FSGSBASE", "RDPID", "MONITOR/MWAIT", "MWAITX", "x86 base", "CLZERO", "LWP", "PRFCHW",
}
_AMD = {"XOP", "FMA4", "3DNow!", "SSE4a", "TBM"}


def fallback(family: str) -> str:
    """Advice for an intrinsic with no mapping of its own."""
    if family.startswith("AMX"):
        return _FAMILY_FALLBACK["amx"]
    if family in _AMD:
        return _FAMILY_FALLBACK["amd"]
    if family in _SYSTEM:
        return _FAMILY_FALLBACK["system"]
    if family.startswith(("AVX", "FMA", "F16C", "GFNI", "VAES", "VPCLMULQDQ")):
        return _FAMILY_FALLBACK["avx"]
    return _FAMILY_FALLBACK["sse"]


_KMASK = re.compile(r"^_(?:k\w+|cvtmask\d+_u\d+|cvtu\d+_mask\d+|load_mask\d+|store_mask\d+)$")


def lookup(name: str) -> Equivalent | None:
    """The AArch64 equivalent of an x86 intrinsic, or None when there is no specific advice."""
    eq = _OVERRIDES.get(name) or _CONVERSIONS.get(name)
    if eq:
        return eq
    if _KMASK.match(name):
        return Equivalent(_FAMILY_FALLBACK["mask"], "NEON has no mask registers; SVE predicates (svbool_t) are the closest model")
    eq = _cast(name) or _structured(name)
    return eq


# -- vector types ---------------------------------------------------------------------------------

_TYPE_MAP = {
    "__m64": "`int32x2_t` / `uint8x8_t` (any 64-bit NEON type of the right lanes)",
    "__m128": "`float32x4_t`",
    "__m128d": "`float64x2_t`",
    "__m128i": "`int32x4_t` / `uint8x16_t` (the NEON type of the lanes used)",
    "__m128h": "`float16x8_t`",
    "__m128bh": "`bfloat16x8_t` (-march=...+bf16)",
    "__m256": "a pair of `float32x4_t` (`float32x4x2_t`) or SVE `svfloat32_t`",
    "__m256d": "a pair of `float64x2_t` (`float64x2x2_t`) or SVE `svfloat64_t`",
    "__m256i": "a pair of `int32x4_t` / `uint8x16_t` (`int32x4x2_t`) or SVE `svint32_t`",
    "__m256h": "a pair of `float16x8_t` (`float16x8x2_t`) or SVE `svfloat16_t`",
    "__m256bh": "a pair of `bfloat16x8_t` (`bfloat16x8x2_t`) or SVE `svbfloat16_t`",
    "__m512": "four `float32x4_t` (`float32x4x4_t`) or SVE `svfloat32_t`",
    "__m512d": "four `float64x2_t` (`float64x2x4_t`) or SVE `svfloat64_t`",
    "__m512i": "four `int32x4_t` / `uint8x16_t` (`int32x4x4_t`) or SVE `svint32_t`",
    "__m512h": "four `float16x8_t` (`float16x8x4_t`) or SVE `svfloat16_t`",
    "__m512bh": "four `bfloat16x8_t` (`bfloat16x8x4_t`) or SVE `svbfloat16_t`",
    "__mmask8": "a `uint8_t` bit mask, or an SVE predicate `svbool_t`",
    "__mmask16": "a `uint16_t` bit mask, or an SVE predicate `svbool_t`",
    "__mmask32": "a `uint32_t` bit mask, or an SVE predicate `svbool_t`",
    "__mmask64": "a `uint64_t` bit mask, or an SVE predicate `svbool_t`",
}


def vector_type_equivalent(type_name: str) -> str:
    """The NEON/SVE type to use instead of an x86 vector or mask type."""
    base = type_name[:-2] if type_name.endswith("_u") else type_name
    return _TYPE_MAP.get(base, "a NEON vector type from <arm_neon.h>")


# -- identifiers used in replacements (for the compile check) ---------------------------------------

ACLE_IDENT = re.compile(r"\b(?:v[a-z0-9]+_\w+|sv[a-z0-9]+_\w+|sv[a-z]+(?=\W)|__crc32c?[bhwd]|__rndr(?:rs)?)\b")
TYPE_IDENT = re.compile(r"\b(?:b?float|u?int|poly)\d+x\d+(?:x\d)?_t\b|\bsv(?:b?float|u?int)\d+_t\b|\bsvbool_t\b")


def acle_names(text: str) -> set[str]:
    """NEON/SVE/ACLE function names mentioned in a replacement or caution."""
    return {n for n in ACLE_IDENT.findall(text) if not n.endswith("_t")}


def type_names(text: str) -> set[str]:
    return set(TYPE_IDENT.findall(text))
