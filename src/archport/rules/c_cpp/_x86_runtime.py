"""Helpers shared by the x86 builtin, CPU-detection, timer, spin-pause and target-attribute
rules (CC405-CC409): how a name is used at a place, whether the file supplies the name
itself, the x86 feature and CPU vocabularies, and the function around an offset."""

from __future__ import annotations

import bisect
import re

from archport.preprocessor import State
from archport.rules.c_cpp._deep import char_offset


def file_cache(ctx) -> dict:
    """Per-file memo shared by these rules, so per-match work stays independent of file size."""
    return ctx.cache.setdefault("_x86_runtime", {})


# -- x86 vocabularies ---------------------------------------------------------------------------

#: x86 ISA features as GCC/Clang spell them in target("...") and __builtin_cpu_supports("...")
_X86_FEATURE = re.compile(
    r"^(?:mmx|3dnowa?|3dnowp|sse(?:2|3|4|4a|4\.1|4\.2|4_1|4_2)?|ssse3"
    r"|avx(?:2|512[a-z0-9_]*|vnni[a-z0-9]*|ifma|neconvert|10\.\d+(?:-\d+)?)?|evex512|apxf"
    r"|fma4?|xop|lwp|bmi2?|lzcnt|popcnt|abm|tbm|adx|pclmul|vpclmulqdq|vaes|gfni|sha|sha512|sm3"
    r"|f16c|movbe|rdrnd|rdseed|fsgsbase|rtm|hle|xsave[a-z]*|fxsr|fxsave|clflushopt|clwb|clzero"
    r"|mwaitx?|pku|rdpid|prfchw|prefetchwt1|prefetchi|cx16|cmpxchg16b|cmpxchg8b|sahf|lahf_lm|cmov"
    r"|crc32|cldemote|movdiri|movdir64b|enqcmd|serialize|tsxldtrk|uintr|hreset|kl|widekl|aeskle"
    r"|waitpkg|amx-[a-z0-9-]+|sgx|shstk|ibt|ptwrite|wbnoinvd|pconfig|raoint|cmpccxadd|usermsr"
    r"|osxsave|x86-64(?:-v[234])?|80387|387|ieee-fp|recip|cld|align-stringops"
    r"|inline-all-stringops|inline-stringops-dynamically)$"
)
#: names that are both x86 features and bare AArch64 feature names in Clang's target attribute
_AMBIGUOUS_FEATURE = frozenset({"aes", "sm4"})
#: x86 option keys of GCC's target attribute
_X86_KEYS = frozenset({"fpmath", "prefer-vector-width", "indirect-branch", "function-return"})
#: x86 CPU and vendor names (arch=/tune= values, __builtin_cpu_is arguments)
_X86_CPU = re.compile(
    r"^(?:i[3-6]86|pentium[a-z0-9-]*|prescott|nocona|core2|corei7(?:-avx)?|core-avx(?:-i|2)"
    r"|nehalem|westmere|sandybridge|ivybridge|haswell|broadwell|skylake(?:-avx512)?|cannonlake"
    r"|icelake(?:-client|-server)?|cascadelake|cooperlake|tigerlake|sapphirerapids|alderlake"
    r"|rocketlake|raptorlake|meteorlake|graniterapids(?:-d)?|emeraldrapids|sierraforest|grandridge"
    r"|arrowlake(?:-s)?|lunarlake|pantherlake|clearwaterforest|diamondrapids|bonnell|atom"
    r"|silvermont|slm|goldmont(?:-plus)?|tremont|gracemont|knl|knm|lakemont|intel|amd|zhaoxin"
    r"|k6[a-z0-9-]*|k8(?:-sse3)?|athlon[a-z0-9-]*|opteron[a-z0-9-]*|amdfam[0-9a-z]+|barcelona"
    r"|shanghai|istanbul|btver[12]|bdver[1-4]|znver[1-9]|lujiazui|yongfeng|shijidadao"
    r"|x86-64(?:-v[234])?)$"
)
_ARM_PREFIXES = ("+", "armv", "cpu=", "branch-protection=", "sign-return-address=", "cmodel=", "tls-dialect=")
_ARM_OPTIONS = frozenset({"strict-align", "outline-atomics", "omit-leaf-frame-pointer"})


def classify_target_token(token: str) -> str:
    """'x86', 'arm', 'ambiguous', 'default' or 'neutral' for one comma-separated item of a
    target("...") string or a __builtin_cpu_supports/__builtin_cpu_is argument."""
    tok = token.strip().lower()
    if not tok:
        return "neutral"
    if tok == "default":
        return "default"
    if tok.startswith(_ARM_PREFIXES) or tok.startswith("arch=armv"):
        return "arm"
    if tok.startswith("no-"):
        tok = tok[3:]
    if tok in _ARM_OPTIONS:
        return "arm"
    key, eq, value = tok.partition("=")
    if eq:
        if key in _X86_KEYS:
            return "x86"
        if key in ("arch", "tune"):
            if _X86_CPU.match(value):
                return "x86"
            if value.startswith("armv") or value.startswith(("cortex", "neoverse", "ampere", "apple", "tsv110")):
                return "arm"
        return "neutral"
    if _X86_FEATURE.match(tok) or _X86_CPU.match(tok):
        return "x86"
    if tok in _AMBIGUOUS_FEATURE:
        return "ambiguous"
    return "neutral"


def x86_items(strings: list[str], ctx=None, offset: int = 0) -> list[str]:
    """The x86 items of target strings. An ambiguous name (`aes`) counts as x86 unless the
    place is one an x86 build never compiles (AArch64-only code using Clang's bare names)."""
    out = []
    for item in split_items(strings):
        if classify_target_token(item) == "arm":
            continue  # "+crc", "arch=armv8-a+aes", "cpu=neoverse-n1"
        # Clang's AArch64 __builtin_cpu_supports joins features with '+' ("sve2+bf16")
        for part in item.split("+"):
            kind = classify_target_token(part)
            if kind == "x86":
                out.append(part.strip())
            elif kind == "ambiguous" and (ctx is None or ctx.x86_state(offset) is not State.INACTIVE):
                out.append(part.strip())
    return out


def split_items(strings: list[str]) -> list[str]:
    return [item.strip() for s in strings for item in s.split(",") if item.strip()]


# -- how a name is used at a place ----------------------------------------------------------------



def _last_identifier(before: str) -> tuple[str, int] | None:
    """The identifier that `before` (already right-stripped) ends with, and where it starts."""
    i = len(before)
    while i > 0 and (before[i - 1].isalnum() or before[i - 1] == "_"):
        i -= 1
    word = before[i:]
    if word and not word[0].isdigit():
        return word, i
    return None

_USE_KEYWORDS = frozenset(
    {"return", "case", "else", "do", "throw", "co_return", "co_yield", "co_await", "goto", "sizeof",
     "typeof", "__typeof__", "__typeof", "decltype", "not", "and", "or", "xor", "__extension__"}
)
_DEFINE_HEAD = re.compile(r"[ \t]*#[ \t]*define[ \t]+([A-Za-z_]\w*)")
_DIRECTIVE_HEAD = re.compile(r"[ \t]*#[ \t]*([a-z_]*)")
_LOOKBEHIND = 200


def logical_line_start(ctx, offset: int) -> int:
    """Start of the logical source line containing offset (following backslash continuations)."""
    source = ctx.source
    text = source.text
    line = source.line_of(offset)
    start = source.line_start(line)
    while line > 1 and start >= 2 and text[start - 2] == "\\":
        line -= 1
        start = source.line_start(line)
    return start


def logical_line_end(text: str, offset: int) -> int:
    """End of the logical source line containing offset."""
    end = text.find("\n", offset)
    while end > 0 and text[end - 1] == "\\":
        end = text.find("\n", end + 1)
    return len(text) if end == -1 else end


def directive_at(ctx, offset: int) -> str | None:
    """The directive name (`define`, `if`, `pragma` ...) when offset is on a preprocessor line."""
    d = _DIRECTIVE_HEAD.match(ctx.masked, logical_line_start(ctx, offset))
    return d.group(1) if d and d.start(1) <= offset else None


def reference_kind(ctx, start: int) -> str:
    """How the identifier starting at `start` is used: 'directive' (in #if, #ifdef, #undef,
    #pragma ...), 'definition' (the name of a #define), 'declaration' (a declared or defined
    function of that name), or 'use' (a call or any other reference in code)."""
    masked = ctx.masked
    directive = directive_at(ctx, start)
    if directive is not None:
        if directive == "define":
            name = _DEFINE_HEAD.match(masked, logical_line_start(ctx, start))
            return "definition" if name and name.start(1) == start else "use"
        return "directive"
    before = masked[max(0, start - _LOOKBEHIND) : start].rstrip()
    last = _last_identifier(before)
    if last and last[0] not in _USE_KEYWORDS and not before[: last[1]].rstrip().endswith(("::", ".", "->")):
        return "declaration"
    return "use"


def call_paren(ctx, end: int) -> int:
    """Offset of the `(` that follows a name ending at `end`, or -1."""
    m = _PAREN_AFTER.match(ctx.masked, end)
    return m.end() - 1 if m else -1


_PAREN_AFTER = re.compile(r"\s{0,200}\(")
_BODY_AFTER_PARAMS = re.compile(
    r"\s*(?:(?:const|noexcept|override|final|__attribute__\s*\(\([^;{}]*?\)\)|[A-Z_][A-Z0-9_]*(?:\([^;{}()]*\))?)\s*)*\{"
)


def definition_body(ctx, start: int, end: int) -> tuple[int, int] | None:
    """When the name at [start, end) is the name of a function definition, the span of its
    body braces; else None."""
    masked = ctx.masked
    if directive_at(ctx, start) is not None:
        return None
    before = masked[max(0, start - _LOOKBEHIND) : start].rstrip()
    if not before or not (before[-1].isalnum() or before[-1] in "_*&>") or before.endswith("->"):
        return None
    last = _last_identifier(before)
    if last and last[0] in _USE_KEYWORDS:
        return None
    paren = call_paren(ctx, end)
    if paren < 0:
        return None
    close = ctx.matching_paren(paren)
    if close < 0:
        return None
    brace = _BODY_AFTER_PARAMS.match(masked, close, min(len(masked), close + 300))
    if not brace:
        return None
    open_at = brace.end() - 1
    body_end = ctx.matching_paren(open_at, limit=len(masked))
    return open_at, body_end if body_end > 0 else len(masked)


def file_defines(ctx, name: str) -> int:
    """Offset of a macro or function definition of `name` in code an AArch64 build compiles
    (the project supplies its own version of the name), or -1."""
    cache = file_cache(ctx)
    key = ("defines", name)
    if key not in cache:
        cache[key] = -1
        for m in re.finditer(r"\b%s\b" % re.escape(name), ctx.masked):
            if reference_kind(ctx, m.start()) == "definition":
                found = True
            else:
                found = definition_body(ctx, m.start(), m.end()) is not None
            if found and ctx.arm_state(m.start()) is not State.INACTIVE:
                cache[key] = m.start()
                break
    return cache[key]


_TRANSLATION_INCLUDE = re.compile(
    r"^[ \t]*#[ \t]*include[ \t]*[<\"](?:[^>\"\n]*/)?(?:sse2neon\.h|simde/[^>\"\n]+|SIMDe/[^>\"\n]+)[>\"]", re.M
)


#: SIMDe defines the x86 names themselves (not only simde_mm_*) only with this macro
SIMDE_ALIASES = re.compile(r"^[ \t]*#[ \t]*define[ \t]+SIMDE_ENABLE_NATIVE_ALIASES\b", re.M)


def includes_translation_header(ctx) -> bool:
    """The file includes an SSE-to-NEON translation header (sse2neon.h, SIMDe), in code an
    AArch64 build compiles; such headers define many x86 intrinsic names for AArch64."""
    cache = file_cache(ctx)
    if "translation" not in cache:
        cache["translation"] = any(
            ctx.arm_state(m.start()) is not State.INACTIVE for m in _TRANSLATION_INCLUDE.finditer(ctx.text)
        )
    return cache["translation"]


# -- the function around an offset ------------------------------------------------------------


def function_span(ctx, offset: int) -> tuple[int, int] | None:
    """(start, end) character offsets of the function definition containing offset: from the
    syntax tree when it has one there, else the outermost brace block around the offset."""
    tree = ctx.tree
    if tree is not None:
        byte = ctx.source.byte_offset(offset)
        node = tree.root_node.descendant_for_byte_range(byte, byte)
        while node is not None and node.type != "function_definition":
            node = node.parent
        if node is not None:
            return char_offset(ctx, node.start_byte), char_offset(ctx, node.end_byte)
    blocks = _top_level_blocks(ctx)
    i = bisect.bisect_right(blocks, (offset, float("inf"))) - 1
    if i >= 0 and blocks[i][0] <= offset < blocks[i][1]:
        return blocks[i]
    return None


def _top_level_blocks(ctx) -> list[tuple[int, int]]:
    cache = file_cache(ctx)
    if "blocks" not in cache:
        blocks = []
        depth = 0
        open_at = 0
        for m in re.finditer(r"[{}]", ctx.masked):
            if m.group(0) == "{":
                if depth == 0:
                    open_at = m.start()
                depth += 1
            elif depth:
                depth -= 1
                if depth == 0:
                    blocks.append((open_at, m.end()))
        if depth:
            blocks.append((open_at, len(ctx.masked)))
        cache["blocks"] = blocks
    return cache["blocks"]


def function_bodies(ctx, name: str) -> list[tuple[int, int]]:
    """Spans of the bodies of functions named `name` defined in this file."""
    cache = file_cache(ctx)
    key = ("bodies", name)
    if key not in cache:
        out = []
        for m in re.finditer(r"\b%s\b" % re.escape(name), ctx.masked):
            body = definition_body(ctx, m.start(), m.end())
            if body is not None:
                out.append(body)
        cache[key] = out
    return cache[key]


_NON_SPACE = re.compile(r"\S")


def shorten(text: str, limit: int = 60) -> str:
    """text on one line, cut to `limit` characters with `...` (only the first limit * 4
    characters are looked at, so a huge span stays cheap)."""
    short = " ".join(text[: limit * 4].split())
    if len(short) <= limit and not _NON_SPACE.search(text, limit * 4):
        return short
    return short[: limit - 3] + "..."


_IDENT_ARG = re.compile(r"\s*([A-Za-z_]\w*)\s*$")


def macro_strings(ctx, argument: str) -> list[str] | None:
    """When `argument` is one identifier defined in this file as a string literal
    (`#define SIMD_ISA "avx2"`), the strings of its definitions in code an AArch64 build
    compiles; None when the argument is not such a macro."""
    m = _IDENT_ARG.match(argument)
    if not m:
        return None
    name = m.group(1)
    cache = file_cache(ctx)
    key = ("macro", name)
    if key not in cache:
        define = re.compile(
            r"^[ \t]*#[ \t]*define[ \t]+%s[ \t]+((?:\"(?:[^\"\\\n]|\\.)*\"[ \t]*)+)" % re.escape(name), re.M
        )
        found = None
        for d in define.finditer(ctx.text):
            if found is None:
                found = []
            if ctx.arm_state(d.start()) is State.INACTIVE:
                continue
            found.extend(re.findall(r"\"((?:[^\"\\\n]|\\.)*)\"", d.group(1)))
        cache[key] = found
    return cache[key]
