"""Regenerate archport's table of x86 intrinsic names and x86 vector type names.

Reads the x86 intrinsic headers that GCC installs (``<gcc include dir>/*intrin.h``,
``mm3dnow.h`` and ``mm_malloc.h``) and writes two JSON files next to the rules that use
them:

* ``rules/_tables/x86_intrinsics.json`` — ``{intrinsic name: ISA family}``
* ``rules/_tables/x86_vector_types.json`` — ``{vector or mask type name: ISA family}``

Only names and family labels are stored: no declaration, body or comment of GCC's headers.

How a name is found
    * every ``extern __inline`` function (the name is the identifier before the first
      ``(`` that is not part of an ``__attribute__ ((...))``),
    * every function-like ``#define`` whose name is spelled like an intrinsic (a leading
      underscore followed by a lower-case letter, e.g. ``_mm_shuffle_ps(A, B, M)``, or two
      leading underscores and a lower-case letter), and object-like aliases of the same
      spelling (``#define _m_pextrw _mm_extract_pi16``),
    * ``_mm_malloc`` / ``_mm_free`` from ``mm_malloc.h`` (``static __inline``; AArch64 GCC
      ships no ``mm_malloc.h``), and ``_MM_TRANSPOSE4_PS``, the one upper-case macro that is
      called like an intrinsic.

How the family is chosen
    The ``#pragma GCC target("...")`` region the name is defined in (tracked through
    ``push_options``/``pop_options``), normalised by ``family_of_target``; for names outside
    any target region, the family of the header (``HEADER_FAMILY``).

What is left out
    Names that AArch64 toolchains define too (``EXCLUDE``): ``__crc32b/w/d`` collide with
    ACLE's IEEE CRC-32 intrinsics of the same name, and ``_rotl``/``_rotr``/``_lrotl``/
    ``_lrotr`` are MSVC CRT functions on every architecture.

Usage::

    python -m archport.devtools.gen_intrinsics_table [--include-dir DIR] [--check]

``--check`` exits 1 when the stored tables differ from what the headers give (for CI on a
machine with the same GCC); ``--arm-include-dir`` (default: the aarch64 cross GCC's include
dir, when installed) additionally reports table names that the AArch64 headers also declare.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import re
import sys
from pathlib import Path

DEFAULT_INCLUDE = "/usr/lib/gcc/x86_64-linux-gnu/12/include"
DEFAULT_ARM_INCLUDE = "/usr/lib/gcc-cross/aarch64-linux-gnu/12/include"
OUT_DIR = Path(__file__).resolve().parent.parent / "rules" / "_tables"

#: family of names defined outside any `#pragma GCC target` region, by header
HEADER_FAMILY = {
    "adxintrin.h": "ADX",
    "ammintrin.h": "SSE4a",
    "bmmintrin.h": "XOP",
    "ia32intrin.h": "x86 base",
    "immintrin.h": "x86 base",
    "x86gprintrin.h": "x86 base",
    "mm_malloc.h": "SSE (mm_malloc.h)",
    "mm3dnow.h": "3DNow!",
    "prfchwintrin.h": "PRFCHW",
    "nmmintrin.h": "SSE4.2",
    "x86intrin.h": "x86 base",
    "xmmintrin.h": "SSE",
    "amxtileintrin.h": "AMX-TILE",
    "amxint8intrin.h": "AMX-INT8",
    "amxbf16intrin.h": "AMX-BF16",
}

#: `#pragma GCC target` feature -> family label
FEATURE_FAMILY = {
    "mmx": "MMX", "sse": "SSE", "sse2": "SSE2", "sse3": "SSE3", "ssse3": "SSSE3",
    "sse4.1": "SSE4.1", "sse4.2": "SSE4.2", "crc32": "SSE4.2", "sse4a": "SSE4a",
    "3dnow": "3DNow!", "3dnowa": "3DNow!",
    "avx": "AVX", "avx2": "AVX2", "fma": "FMA", "fma4": "FMA4", "f16c": "F16C", "xop": "XOP",
    "avxvnni": "AVX-VNNI",
    "aes": "AES", "pclmul": "PCLMUL", "vaes": "VAES", "vpclmulqdq": "VPCLMULQDQ", "gfni": "GFNI",
    "sha": "SHA", "popcnt": "POPCNT", "lzcnt": "LZCNT", "bmi": "BMI1", "bmi2": "BMI2", "tbm": "TBM",
    "adx": "ADX", "rdrnd": "RDRAND", "rdseed": "RDSEED", "rtm": "RTM", "tsxldtrk": "TSXLDTRK",
    "fxsr": "FXSR", "xsave": "XSAVE", "xsaveopt": "XSAVEOPT", "xsavec": "XSAVEC", "xsaves": "XSAVES",
    "clflushopt": "CLFLUSHOPT", "clwb": "CLWB", "clzero": "CLZERO", "cldemote": "CLDEMOTE",
    "fsgsbase": "FSGSBASE", "rdpid": "RDPID", "ptwrite": "PTWRITE", "pku": "PKU", "pconfig": "PCONFIG",
    "sgx": "SGX", "serialize": "SERIALIZE", "waitpkg": "WAITPKG", "wbnoinvd": "WBNOINVD",
    "mwait": "MONITOR/MWAIT", "mwaitx": "MWAITX", "lwp": "LWP", "kl": "KEYLOCKER", "widekl": "KEYLOCKER",
    "shstk": "CET", "uintr": "UINTR", "movdiri": "MOVDIRI", "movdir64b": "MOVDIR64B",
    "hreset": "HRESET", "enqcmd": "ENQCMD", "amx-tile": "AMX-TILE", "amx-int8": "AMX-INT8",
    "amx-bf16": "AMX-BF16", "general-regs-only": "x86 base",
}
_BASE_FEATURES = {"mmx", "sse", "sse2", "avx"}

#: names that AArch64 toolchains also define; CC401 must never report them
EXCLUDE = {
    "__crc32b": "ACLE defines __crc32b/w/d (IEEE CRC-32) in arm_acle.h",
    "__crc32w": "ACLE defines __crc32b/w/d (IEEE CRC-32) in arm_acle.h",
    "__crc32d": "ACLE defines __crc32b/w/d (IEEE CRC-32) in arm_acle.h",
    "_rotl": "MSVC CRT function on every architecture",
    "_rotr": "MSVC CRT function on every architecture",
    "_lrotl": "MSVC CRT function on every architecture",
    "_lrotr": "MSVC CRT function on every architecture",
}
EXTRA_MACROS = {"_MM_TRANSPOSE4_PS"}
#: GCC's own helper macros, not intrinsics a program calls
_INTERNAL = re.compile(r"_internal$|^__encl[suv]_|^__pconfig_")

_PRAGMA = re.compile(r'^[ \t]*#[ \t]*pragma[ \t]+GCC[ \t]+(push_options|pop_options|target[ \t]*\([ \t]*"([^"]*)"\))', re.M)
_INLINE = re.compile(r"\b(?:extern|static)[ \t]+__inline\b")
_DEFINE = re.compile(r"^[ \t]*#[ \t]*define[ \t]+(\w+)(\(?)", re.M)
_IDENT = re.compile(r"[A-Za-z_]\w*")
_INTRINSIC_SPELLING = re.compile(r"^_{1,2}[a-z]\w*$")
_TYPEDEF = re.compile(r"\btypedef\b[^;{}]*?\b(__m(?:64|128|256|512)\w*|__mmask\d+)\b[^;{}]*;", re.S)
_TYPE_NAME = re.compile(r"^(?:__m(?:64|128|256|512)(?:[dih]|bh)?(?:_u)?|__mmask(?:8|16|32|64))$")


def _strip_comments(text: str) -> str:
    """Blank C comments (keeping offsets), so commented-out code is not read."""
    return re.sub(r"/\*.*?\*/|//[^\n]*", lambda m: re.sub(r"[^\n]", " ", m.group(0)), text, flags=re.S)


def family_of_target(target: str) -> str:
    """Family label for a `#pragma GCC target` string such as "avx512vl,avx512bw"."""
    feats = [f.strip() for f in target.split(",") if f.strip()]
    avx512 = [f[len("avx512"):] for f in feats if f.startswith("avx512")]
    others = [f for f in feats if not f.startswith("avx512")]
    main = [f for f in others if f not in _BASE_FEATURES] or others
    if main and (not avx512 or main[0] not in _BASE_FEATURES):
        return FEATURE_FAMILY.get(main[0], main[0].upper())
    if avx512:
        primary = [s for s in avx512 if s not in ("f", "vl", "bw", "dq", "cd")]
        common = [s for s in ("bw", "dq", "cd") if s in avx512]
        parts = primary + (common if not primary else [])
        if not parts:
            parts = ["f"] if "f" in avx512 else []
        if "vl" in avx512:
            parts.append("vl")
        return "AVX-512" + "/".join(p.upper() for p in parts)
    return FEATURE_FAMILY.get(feats[0], feats[0].upper()) if feats else "x86"


def _regions(text: str):
    """Yield (offset, family-or-None) change points of the `#pragma GCC target` state."""
    stack: list[str | None] = []
    current: str | None = None
    for m in _PRAGMA.finditer(text):
        if m.group(1) == "push_options":
            stack.append(current)
        elif m.group(1) == "pop_options":
            current = stack.pop() if stack else None
            yield m.start(), current
        else:
            current = family_of_target(m.group(2))
            yield m.start(), current


def _family_at(changes: list[tuple[int, str | None]], offset: int, fallback: str) -> str:
    fam = None
    for pos, f in changes:
        if pos > offset:
            break
        fam = f
    return fam or fallback


def _inline_name(text: str, start: int) -> str | None:
    """Name of the function whose `extern __inline` starts at `start`."""
    i = start
    last = None
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == "(":
            if last == "__attribute__":
                depth = 0
                while i < n:
                    if text[i] == "(":
                        depth += 1
                    elif text[i] == ")":
                        depth -= 1
                        if depth == 0:
                            break
                    i += 1
                last = None
                i += 1
                continue
            return last
        if ch in ";{":
            return None
        m = _IDENT.match(text, i)
        if m:
            last = m.group(0)
            i = m.end()
            continue
        i += 1
    return None


def header_family(header: str) -> str:
    if header in HEADER_FAMILY:
        return HEADER_FAMILY[header]
    stem = header[: -len("intrin.h")] if header.endswith("intrin.h") else header
    if stem.startswith("avx512"):
        return family_of_target("avx512" + stem[len("avx512"):])
    return FEATURE_FAMILY.get(stem, stem.upper() or "x86")


def extract(include_dir: str) -> tuple[dict[str, str], dict[str, str]]:
    headers = sorted(glob.glob(os.path.join(include_dir, "*intrin.h")))
    headers += [os.path.join(include_dir, h) for h in ("mm3dnow.h", "mm_malloc.h")]
    intrinsics: dict[str, str] = {}
    types: set[str] = set()
    for path in headers:
        if not os.path.exists(path):
            continue
        header = os.path.basename(path)
        with open(path, encoding="utf-8", errors="replace") as fh:
            text = _strip_comments(fh.read())
        fallback = header_family(header)
        changes = list(_regions(text))
        found: list[tuple[int, str]] = []
        for m in _INLINE.finditer(text):
            if m.group(0).startswith("static") and header != "mm_malloc.h":
                continue
            name = _inline_name(text, m.end())
            if name:
                found.append((m.start(), name))
        for m in _DEFINE.finditer(text):
            name = m.group(1)
            if _INTRINSIC_SPELLING.match(name) or name in EXTRA_MACROS:
                if m.group(2) or _object_alias(text, m.end()):
                    found.append((m.start(), name))
        for offset, name in found:
            if name in EXCLUDE or not (_INTRINSIC_SPELLING.match(name) or name in EXTRA_MACROS):
                continue
            if (name.startswith("__") and name.endswith("__")) or _INTERNAL.search(name):
                continue
            intrinsics.setdefault(name, _family_at(changes, offset, fallback))
        for m in _TYPEDEF.finditer(text):
            if _TYPE_NAME.match(m.group(1)):
                types.add(m.group(1))
    return dict(sorted(intrinsics.items())), {t: type_family(t) for t in sorted(types)}


def _object_alias(text: str, end: int) -> bool:
    """`#define _m_x _mm_y` (an alias of another intrinsic), not a constant or guard."""
    rest = text[end : text.find("\n", end)].strip()
    return bool(_INTRINSIC_SPELLING.match(rest)) or bool(re.match(r"^_{1,2}[a-z]\w*\s*\(", rest))


def type_family(name: str) -> str:
    """Family of a vector or mask type, from the shape of its name."""
    base = name[:-2] if name.endswith("_u") else name
    if base.startswith("__mmask"):
        return "AVX-512BW" if base in ("__mmask32", "__mmask64") else "AVX-512F"
    if base.endswith("bh"):
        return "AVX-512BF16"
    if base.endswith("h"):
        return "AVX-512FP16"
    if base == "__m64":
        return "MMX"
    if base == "__m128":
        return "SSE"
    if base.startswith("__m128"):
        return "SSE2"
    if base.startswith("__m256"):
        return "AVX"
    return "AVX-512F"


def arm_collisions(names, arm_include: str) -> list[str]:
    """Table names that the AArch64 headers also spell (should be in EXCLUDE)."""
    if not os.path.isdir(arm_include):
        return []
    words: set[str] = set()
    for path in glob.glob(os.path.join(arm_include, "arm_*.h")):
        with open(path, encoding="utf-8", errors="replace") as fh:
            words.update(_IDENT.findall(_strip_comments(fh.read())))
    return sorted(n for n in names if n in words)


def _dump(table: dict[str, str]) -> str:
    return json.dumps(table, separators=(",", ":"), sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--include-dir", default=DEFAULT_INCLUDE, help="GCC x86 include directory")
    ap.add_argument("--arm-include-dir", default=DEFAULT_ARM_INCLUDE, help="AArch64 GCC include directory")
    ap.add_argument("--out-dir", default=str(OUT_DIR))
    ap.add_argument("--check", action="store_true", help="compare with the stored tables instead of writing")
    args = ap.parse_args(argv)
    if not os.path.isdir(args.include_dir):
        print(f"no such include directory: {args.include_dir}", file=sys.stderr)
        return 2
    intrinsics, types = extract(args.include_dir)
    clash = arm_collisions(intrinsics, args.arm_include_dir)
    if clash:
        print("warning: also declared by the AArch64 headers (add to EXCLUDE?): " + ", ".join(clash), file=sys.stderr)
    outputs = {"x86_intrinsics.json": _dump(intrinsics), "x86_vector_types.json": _dump(types)}
    status = 0
    for fname, data in outputs.items():
        path = Path(args.out_dir) / fname
        if args.check:
            if not path.exists() or path.read_text() != data:
                print(f"{path} is out of date", file=sys.stderr)
                status = 1
        else:
            path.write_text(data)
    counts: dict[str, int] = {}
    for fam in intrinsics.values():
        counts[fam] = counts.get(fam, 0) + 1
    print(f"{len(intrinsics)} intrinsics, {len(types)} types")
    for fam, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        print(f"  {fam:24} {n}")
    return status


if __name__ == "__main__":
    sys.exit(main())
