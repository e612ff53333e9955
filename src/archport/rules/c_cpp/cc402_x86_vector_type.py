from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib import resources

from archport.model import Confidence, Impact, Severity
from archport.preprocessor import State
from archport.rule import Rule
from archport.rules._tables import neon_map
from archport.rules.c_cpp._x86_runtime import function_span
from archport.rules.c_cpp.cc401_x86_intrinsic_call import translation_headers

_TYPE_RE = re.compile(r"(?<![\w$])__m(?:64|128|256|512|mask)\w*")
_CONDITION_LINE = re.compile(r"[ \t]*#[ \t]*(?:if|ifdef|ifndef|elif|elifdef|elifndef|undef)\b")
#: tree-sitter nodes whose children are top-level declarations
_CONTAINERS = frozenset(
    {"translation_unit", "declaration_list", "preproc_if", "preproc_ifdef", "preproc_else", "preproc_elif",
     "preproc_elifdef", "linkage_specification"}
)
_DECLARATION_NODES = frozenset(
    {"declaration", "type_definition", "struct_specifier", "union_specifier", "class_specifier", "field_declaration",
     "preproc_def", "preproc_function_def", "template_declaration", "alias_declaration", "function_definition"}
)
#: the types sse2neon.h defines on AArch64
_SSE2NEON_TYPES = frozenset({"__m64", "__m128", "__m128d", "__m128i"})


@lru_cache(maxsize=None)
def vector_types() -> dict[str, str]:
    """{x86 vector/mask type name: ISA family}, generated from GCC's x86 headers."""
    data = resources.files("archport.rules._tables").joinpath("x86_vector_types.json").read_text(encoding="utf-8")
    return json.loads(data)


def _typedef_of(masked: str, start: int, end: int) -> bool:
    """`typedef ... __m128;` or `#define __m128 ...`: the file defines the type itself."""
    lo = max(0, start - 4096)
    line_start = masked.rfind("\n", lo, start) + 1 or lo
    head = masked[line_start:start]
    if re.match(r"[ \t]*#[ \t]*define[ \t]+$", head):
        return True
    tail = masked[end : end + 40].lstrip()
    if not tail.startswith(";"):
        return False
    lo = max(0, start - 4096)
    stmt_start = max(masked.rfind(";", lo, start), masked.rfind("}", lo, start), masked.rfind("{", lo, start), lo - 1) + 1
    return re.search(r"\btypedef\b", masked[stmt_start:start]) is not None


class X86VectorType(Rule):
    """Use of an x86 SIMD vector or mask type.

    ## What it does
    Checks for the x86 vector and mask types (`__m64`, `__m128`, `__m128i`, `__m128d`,
    `__m128h`, `__m256*`, `__m512*`, `__m*bh`, `__mmask8/16/32/64` and their `_u` unaligned
    forms) in code an AArch64 build compiles. To keep reports readable it reports one finding
    per function (at the first use, with the number of uses in that function) and one per
    declaration, typedef, struct or macro outside functions. Files that define the type
    themselves, or include a translation header that does (sse2neon.h for the 64- and 128-bit
    types, SIMDe with `SIMDE_ENABLE_NATIVE_ALIASES`), are not reported.

    ## Why is this a problem on ARM64?
    The types are declared by the x86 intrinsic headers only. On AArch64 g++ stops with
    "'__m256' does not name a type" and gcc with "unknown type name '__m256'". NEON's types
    carry the lane type (`float32x4_t`, `int32x4_t`, `uint8x16_t`, `float64x2_t`) where
    `__m128i` does not, and NEON registers are 128 bits wide: a 256- or 512-bit value becomes
    two or four NEON vectors (`float32x4x2_t`) or an SVE vector (`svfloat32_t`) whose length is
    fixed only at run time. AVX-512 masks become integer bit masks or SVE predicates.

    ## Example
    ```c
    #include <immintrin.h>
    float sum8(const float *p) {
        __m256 v = _mm256_loadu_ps(p);
        __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
        return _mm_cvtss_f32(_mm_hadd_ps(_mm_hadd_ps(s, s), s));
    }
    ```

    Use instead:
    ```c
    #if defined(__aarch64__)
    #include <arm_neon.h>
    float sum8(const float *p) {
        float32x4_t s = vaddq_f32(vld1q_f32(p), vld1q_f32(p + 4));
        return vaddvq_f32(s);
    }
    #endif
    ```

    ## Limitations
    GCC's internal vector types (`__v4sf`, `__v2di`, ...) are not reported. A function that
    the syntax tree cannot delimit (for example one built from macros) may be reported as
    several pieces or as one with its neighbours. The type names come from GCC 12's headers,
    so types only other compilers declare are not reported. A translation header included
    through another project header is not seen.

    ## References
    - Intel Intrinsics Guide, data types: https://www.intel.com/content/www/us/en/docs/intrinsics-guide/index.html
    - Arm NEON data types: https://arm-software.github.io/acle/neon_intrinsics/advsimd.html
    - SVE ACLE types: https://arm-software.github.io/acle/main/acle.html#sve-language-extensions-and-library
    """

    code = "CC402"
    name = "x86-vector-type"
    summary = "Use of an x86 SIMD vector or mask type"
    languages = frozenset({"c", "cpp"})
    severity = Severity.ERROR
    impact = Impact.BUILD_BREAK
    confidence = Confidence.HIGH
    tags = ("simd", "types")
    effort_minutes = 15
    prefilter = (b"__m64", b"__m128", b"__m256", b"__m512", b"__mmask")

    def check_file(self, ctx):
        types = vector_types()
        masked = ctx.masked
        uses = []
        defined: set[str] = set()
        for m in _TYPE_RE.finditer(masked):
            name = m.group(0)
            if name not in types:
                continue
            if _typedef_of(masked, m.start(), m.end()):
                if ctx.arm_state(m.start()) is not State.INACTIVE:
                    defined.add(name)
                continue
            lo = max(0, m.start() - 4096)
            if _CONDITION_LINE.match(masked, masked.rfind("\n", lo, m.start()) + 1 or lo):
                continue  # `#ifdef __m128`-style tests
            if ctx.arm_state(m.start()) is State.INACTIVE:
                continue
            uses.append(m)
        uses = [m for m in uses if m.group(0) not in defined]
        if not uses:
            return
        sse2neon, simde = translation_headers(ctx)
        if simde:
            return  # SIMDe's native aliases define every x86 vector and mask type
        if sse2neon:
            uses = [m for m in uses if m.group(0) not in _SSE2NEON_TYPES]
        groups: dict[tuple, list[re.Match]] = {}
        for m in uses:
            groups.setdefault(self._group(ctx, m.start()), []).append(m)
        for (kind, _anchor), matches in groups.items():
            first = matches[0]
            names = list(dict.fromkeys(m.group(0) for m in matches))
            families = list(dict.fromkeys(types[n] for n in names))
            shown = ", ".join(f"`{n}`" for n in names[:4]) + (", ..." if len(names) > 4 else "")
            count = len(matches)
            if kind == "function":
                function = ctx.function_name(first.start())
                where = f"in `{function}()`" if function else "in this function"
                times = f"{count} use{'s' if count != 1 else ''} of " if count > 1 else ""
                message = (
                    f"{times}x86 vector type{'s' if len(names) > 1 else ''} {shown} ({', '.join(families)}) {where}: "
                    "AArch64 compilers do not declare these types"
                )
            else:
                message = (
                    f"x86 vector type{'s' if len(names) > 1 else ''} {shown} ({', '.join(families)}) in a declaration: "
                    "AArch64 compilers do not declare these types"
                )
            repl = "; ".join(f"`{n}` -> {neon_map.vector_type_equivalent(n)}" for n in names[:4])
            wide = any(not n.startswith(("__m64", "__m128")) or n.startswith(("__m128h", "__m128bh")) for n in names)
            header = "SIMDe with SIMDE_ENABLE_NATIVE_ALIASES" if wide else "sse2neon.h or SIMDe"
            help_ = f"use the NEON types from <arm_neon.h>: {repl}; or keep the x86 types through a translation header ({header})"
            yield ctx.finding(
                self,
                first.start(),
                first.end(),
                message,
                help_,
                properties={
                    "type": names[0],
                    "types": names,
                    "isa": families[0],
                    "uses": count,
                    "replacement": neon_map.vector_type_equivalent(names[0]),
                },
            )

    @staticmethod
    def _group(ctx, offset: int) -> tuple:
        """('function', start) for a use inside a function definition, else ('decl', start) of
        the top-level declaration around it (or its line)."""
        tree = ctx.tree
        if tree is not None:
            byte = ctx.source.byte_offset(offset)
            node = tree.root_node.descendant_for_byte_range(byte, byte)
            top = None
            decl = None
            while node is not None:
                if node.type == "function_definition":
                    return ("function", node.start_byte)
                if decl is None and node.type in _DECLARATION_NODES:
                    decl = node
                parent = node.parent
                if parent is not None and parent.type in _CONTAINERS and top is None:
                    top = node
                node = parent
            if top is not None and top.type != "ERROR" and not top.has_error:
                return ("decl", top.start_byte)
            if decl is not None:
                return ("decl", decl.start_byte)
            return ("decl", ("line", ctx.source.position(offset)[0]))
        span = function_span(ctx, offset)
        if span is not None:
            return ("function", span[0])
        return ("decl", ("line", ctx.source.position(offset)[0]))
