from __future__ import annotations

import re

from archport.model import Confidence, Impact, Severity
from archport.preprocessor import State
from archport.rule import Rule
from archport.rules.c_cpp._x86_runtime import (
    call_paren,
    classify_target_token,
    directive_at,
    file_cache,
    function_bodies,
    logical_line_end,
    logical_line_start,
    macro_strings,
    shorten,
    split_items,
    x86_items,
)

_PATTERN = (
    r"(?P<pragma>^[ \t]*\#[ \t]*pragma[ \t]+GCC[ \t]+target\b)"
    r"|(?P<attr>\b(?:__)?target(?:_clones)?(?:__)?(?=\s*\())"
    r"|(?P<ifunc>\b(?:__)?ifunc(?:__)?(?=\s*\(\s*\"))"
    r"|(?P<op>\b_Pragma(?=\s*\(\s*\"))"
)
_ATTRIBUTE_OPEN = re.compile(r"(?:__attribute__|__attribute)\s*\(\(")
_CLANG_PRAGMA = re.compile(r"[ \t]*#[ \t]*pragma[ \t]+clang[ \t]+attribute\b")
_QUOTED = re.compile(r"\"((?:[^\"\\]|\\.)*)\"")
_RAW_TARGET = re.compile(r"\btarget(?:_clones)?\s*\(\s*((?:\"[^\"\n]*\"\s*,?\s*)+)")

# x86 CPU detection inside an ifunc resolver (raw text, so asm templates and names count)
_DETECT_CALL = re.compile(r"\b(__builtin_cpu_init|__get_cpuid\w*|__cpuid\w*|_xgetbv)\s*\(")
_DETECT_QUERY = re.compile(r"\b__builtin_cpu_(?:supports|is)\s*\(\s*\"([^\"\n]*)\"")
_DETECT_ASM = re.compile(r"\"[^\"\n]*\b(cpuid|xgetbv)\b[^\"\n]*\"")
_CALLEE = re.compile(r"\b([A-Za-z_]\w*)\s*\(")
_NOT_CALLEES = frozenset({"if", "while", "for", "switch", "return", "sizeof", "__builtin_expect", "defined"})

# nearest AArch64 target string per x86 feature, for GCC's target attribute (all verified with GCC 12)
_ARM_TARGET: tuple[tuple[re.Pattern, str], ...] = tuple(
    (re.compile(p), t)
    for p, t in (
        (r"^(?:sse4\.2|crc32)$", '"+crc"'),
        (r"^(?:v?aes|v?pclmul|vpclmulqdq)$", '"+aes" (AES and PMULL)'),
        (r"^sha$", '"+sha2"'),
        (r"^(?:avxvnni\w*|avx512vnni)$", '"+dotprod"'),
        (r"^(?:avx512\w*|amx-\w+|avx10\S*)$", '"+sve" or "+sve2"'),
        (r"^(?:rdrnd|rdseed)$", '"+rng"'),
        (r"^(?:cx16|cmpxchg16b)$", '"+lse"'),
    )
)
_BASELINE = "none"
_NO_ATTRIBUTE = (
    "AArch64 needs no target string for this: Advanced SIMD (<arm_neon.h>), CLZ and CNT are in the default "
    "-march=armv8-a baseline"
)


def _arm_advice(equivalent: str) -> str:
    if equivalent == _BASELINE:
        return _NO_ATTRIBUTE
    return f"the nearest AArch64 target string is {equivalent}, selected at run time with getauxval(AT_HWCAP)"


def _arm_equivalent(features: list[str]) -> str:
    wanted = []
    for f in features:
        f = f.lower().removeprefix("no-")
        for pattern, target in _ARM_TARGET:
            if pattern.match(f) and target not in wanted:
                wanted.append(target)
                break
    return ", ".join(wanted) if wanted else _BASELINE


class X86TargetAttribute(Rule):
    """x86 feature names in `target`/`target_clones` attributes, `#pragma GCC target` and ifunc resolvers.

    ## What it does
    Checks for function multiversioning and per-function ISA selection written for x86:
    `__attribute__((target("avx2,fma")))`, `__attribute__((__target__("sse4.2")))`,
    `[[gnu::target("avx2")]]`, `__attribute__((target_clones("avx512f", "avx2", "default")))`,
    `#pragma GCC target("sse4.2")` (also inside `_Pragma`), `#pragma clang attribute push
    (__attribute__((target("avx2"))), apply_to=function)`, and
    `__attribute__((ifunc("resolver")))` whose resolver, defined in the same file, picks an
    implementation with x86 CPU detection (`__builtin_cpu_supports`, `cpuid`). Only x86 names
    count (`sse*`, `avx*`, `fma`, `bmi*`, `popcnt`, `pclmul`, `arch=haswell`, `x86-64-v3`, …);
    AArch64 strings such as `target("+crc")`, `target("arch=armv8.2-a")` or
    `target("cpu=neoverse-n1")` are left alone. A string given through a macro defined in the
    file (`target(SIMD_ISA)`) is resolved. `target("default")` is reported only in files
    that also carry x86 target attributes.

    ## Why is this a problem on ARM64?
    GCC for AArch64 rejects x86 target strings: GCC 12 stops with "error: pragma or attribute
    'target("avx2")' is not valid" for the attribute, for `[[gnu::target]]` and for
    `#pragma GCC target("sse4.2")`, and with "invalid name 'haswell' in 'target("arch=")'
    pragma or attribute" for x86 CPU names. It also rejects `target("default")`, and it has
    no function multiversioning on AArch64 at all: `target_clones` fails with "target does not
    support function version dispatcher" even with AArch64 feature names. Clang 14 for AArch64
    accepts the x86 strings with a warning and ignores them, so the functions are compiled for
    plain AArch64 and any x86 intrinsics inside still fail. GCC ignores `#pragma clang`, which
    is why those pragmas are reported as warnings.

    An ifunc resolver works on AArch64 (glibc passes it the `AT_HWCAP` value as its first
    argument) but one that calls `__builtin_cpu_supports("avx2")` or `cpuid` does not build,
    and the implementations it chooses between are x86 code.

    GCC 12 for AArch64 accepts its own target strings: `"+crc"`, `"+aes"`, `"+sha2"`,
    `"+dotprod"`, `"+sve"`, `"+sve2"`, `"+rng"`, `"+lse"`, `"arch=armv8-a+crc"`,
    `"arch=armv8.2-a+dotprod"`, `"cpu=neoverse-n1"`.

    ## Example
    ```c
    __attribute__((target("avx2,fma")))
    void saxpy_avx2(float *y, const float *x, float a, int n);
    ```

    Use instead:
    ```c
    #if defined(__x86_64__) || defined(__i386__)
    __attribute__((target("avx2,fma")))
    void saxpy_avx2(float *y, const float *x, float a, int n);
    #elif defined(__aarch64__)
    void saxpy_neon(float *y, const float *x, float a, int n);
    __attribute__((target("+sve")))
    void saxpy_sve(float *y, const float *x, float a, int n);
    #endif
    ```

    ## Limitations
    Target strings built from macros in other headers, or by token pasting, are not read.
    `"aes"` and `"sm4"` are also Clang's AArch64 names and count as x86 only where an x86 build
    compiles the attribute too. An ifunc resolver is followed one call deep into functions of
    the same file. Newer GCC releases add AArch64 function multiversioning; a `target_clones`
    with only AArch64 names is not reported.

    ## References
    - GCC common function attributes (`target`, `target_clones`, `ifunc`): https://gcc.gnu.org/onlinedocs/gcc/Common-Function-Attributes.html
    - GCC AArch64 function attributes: https://gcc.gnu.org/onlinedocs/gcc/AArch64-Function-Attributes.html
    - Clang attribute reference, `target`: https://clang.llvm.org/docs/AttributeReference.html#target
    """

    code = "CC409"
    name = "x86-target-attribute"
    summary = "x86 feature names in target attributes, `#pragma GCC target` or ifunc resolvers"
    languages = frozenset({"c", "cpp"})
    severity = Severity.ERROR
    impact = Impact.BUILD_BREAK
    confidence = Confidence.HIGH
    tags = ("multiversioning", "isa")
    effort_minutes = 30
    prefilter = (b"target(", b"target (", b"target\t(", b"__target__", b"target_clones", b"ifunc", b"_Pragma")
    pattern = _PATTERN

    def check_match(self, ctx, match):
        kind = match.lastgroup
        if kind == "pragma":
            yield from self._gcc_pragma(ctx, match)
        elif kind == "attr":
            yield from self._attribute(ctx, match)
        elif kind == "ifunc":
            yield from self._ifunc(ctx, match)
        elif kind == "op":
            yield from self._pragma_operator(ctx, match)

    # -- #pragma GCC target ------------------------------------------------------------------

    def _gcc_pragma(self, ctx, match):
        end = logical_line_end(ctx.masked, match.start())
        end = match.start() + len(ctx.masked[match.start() : end].rstrip())  # drop a trailing comment
        strings = ctx.source.string_literals(match.start(), end)
        features = x86_items(strings, ctx, match.start())
        if not features:
            return
        start = match.start() + len(match.group(0)) - len(match.group(0).lstrip())
        yield self._pragma_finding(ctx, start, end, features, shorten(ctx.text[start:end], 60))

    def _pragma_finding(self, ctx, start, end, features, shown):
        names = ", ".join(features)
        return ctx.finding(
            self,
            start,
            end,
            f"`{shown}` enables x86 features ({names}) for the code that follows; GCC for AArch64 rejects it "
            "(\"pragma or attribute ... is not valid\"), so the build fails",
            "put the pragma and its push_options/pop_options under `#if defined(__x86_64__) || defined(__i386__)`; "
            f"AArch64 pragmas take AArch64 strings (`#pragma GCC target(\"+crc\")`); {_arm_advice(_arm_equivalent(features))}",
            properties={"construct": "pragma", "features": features, "replacement": _arm_equivalent(features)},
        )

    # -- target / target_clones attributes --------------------------------------------------

    def _attribute(self, ctx, match):
        masked = ctx.masked
        start = match.start()
        line_start = logical_line_start(ctx, start)
        directive = directive_at(ctx, start)
        clang_pragma = directive == "pragma" and bool(_CLANG_PRAGMA.match(masked, line_start))
        if directive is not None and directive != "define" and not clang_pragma:
            return
        if not clang_pragma and not _in_attribute(ctx, start):
            return
        paren = call_paren(ctx, match.end())
        close = ctx.matching_paren(paren) if paren >= 0 else -1
        if close < 0:
            return
        strings = ctx.source.string_literals(paren, close)
        via = None
        if not strings:
            strings = macro_strings(ctx, masked[paren + 1 : close - 1])
            if not strings:
                return
            via = masked[paren + 1 : close - 1].strip()
        clones = "clones" in match.group(0)
        attr = match.group(0).strip("_") if not clones else "target_clones"
        features = x86_items(strings, ctx, start)
        shown = via or ", ".join(f'"{s}"' for s in strings)
        shown = f"{attr}({shorten(shown, 50)})"
        if features:
            yield self._x86_attribute(ctx, start, close, shown, features, clones, clang_pragma, via)
            return
        items = split_items(strings)
        if (
            not clones
            and items
            and all(classify_target_token(i) == "default" for i in items)
            and _file_has_x86_targets(ctx)
        ):
            yield ctx.finding(
                self,
                start,
                close,
                f"`{shown}` marks the fallback of an x86 function-multiversioning set; GCC 12 for AArch64 rejects it "
                "(\"pragma or attribute 'target(\"default\")' is not valid\") and Clang 14 reports that function "
                "multiversioning is not supported on the target",
                "compile this version without the attribute on AArch64 (or keep the whole multiversioned set under "
                "an x86 guard and give AArch64 a plain definition)",
                properties={"construct": "target", "features": ["default"], "replacement": "no attribute"},
            )

    def _x86_attribute(self, ctx, start, end, shown, features, clones, clang_pragma, via):
        names = ", ".join(features)
        equivalent = _arm_equivalent(features)
        props = {
            "construct": "clang-pragma" if clang_pragma else ("target_clones" if clones else "target"),
            "features": features,
            "replacement": equivalent,
            "via_macro": via,
        }
        if clang_pragma:
            suggestion = equivalent if equivalent != _BASELINE else '"+sve"'
            return ctx.finding(
                self,
                start,
                end,
                f"`#pragma clang attribute` applies `{shown}` (x86: {names}) to the functions that follow; GCC "
                "ignores the pragma and Clang for AArch64 ignores x86 target features, so those functions are built "
                "for plain AArch64 and any x86 intrinsics in them fail",
                "put the push/pop pair under `#if defined(__x86_64__) || defined(__i386__)`; for AArch64 use "
                f"target strings such as {suggestion} where the code needs them",
                properties=props,
                severity=Severity.WARNING,
            )
        if clones:
            return ctx.finding(
                self,
                start,
                end,
                f"`{shown}` clones the function for x86 features ({names}); GCC 12 for AArch64 rejects the x86 names "
                "and has no function multiversioning (\"target does not support function version dispatcher\"), so "
                "the build fails",
                "keep target_clones under `#if defined(__x86_64__) || defined(__i386__)`; on AArch64 build a plain "
                "version, or dispatch with __attribute__((ifunc(\"resolver\"))) whose resolver tests the AT_HWCAP "
                f"value glibc passes as its first argument; {_arm_advice(equivalent)}",
                properties=props,
            )
        return ctx.finding(
            self,
            start,
            end,
            f"`{shown}` names x86 features ({names}); GCC for AArch64 rejects the attribute (\"pragma or "
            "attribute ... is not valid\") and Clang ignores it, so the build fails or the function loses its ISA",
            f"declare this variant only under `#if defined(__x86_64__) || defined(__i386__)`; {_arm_advice(equivalent)}",
            properties=props,
        )

    # -- _Pragma("...") ----------------------------------------------------------------------

    def _pragma_operator(self, ctx, match):
        paren = call_paren(ctx, match.end())
        close = ctx.matching_paren(paren) if paren >= 0 else -1
        if close < 0:
            return
        body = "".join(ctx.source.string_literals(paren, close)).replace('\\"', '"').replace("\\\\", "\\")
        if re.match(r"\s*GCC\s+target\b", body):
            features = x86_items(_QUOTED.findall(body), ctx, match.start())
            if features:
                yield self._pragma_finding(ctx, match.start(), close, features, shorten(ctx.text[match.start() : close], 60))
        elif re.match(r"\s*clang\s+attribute\b", body):
            strings = [s for m in _RAW_TARGET.finditer(body) for s in _QUOTED.findall(m.group(1))]
            features = x86_items(strings, ctx, match.start())
            if features:
                yield self._x86_attribute(
                    ctx, match.start(), close, f"target({', '.join(strings)})", features, False, True, None
                )

    # -- ifunc resolvers ---------------------------------------------------------------------

    def _ifunc(self, ctx, match):
        paren = call_paren(ctx, match.end())
        close = ctx.matching_paren(paren) if paren >= 0 else -1
        if close < 0:
            return
        names = ctx.source.string_literals(paren, close)
        if not names or not re.fullmatch(r"[A-Za-z_]\w*", names[0].strip()):
            return
        resolver = names[0].strip()
        bodies = function_bodies(ctx, resolver)
        if not bodies:
            return
        active = [b for b in bodies if ctx.arm_state(b[0]) is not State.INACTIVE]
        if active:
            evidence = _x86_detection(ctx, active, depth=1)
            only_x86 = False
        else:
            evidence = _x86_detection(ctx, bodies, depth=1)
            only_x86 = True
        if not evidence:
            return
        if only_x86:
            problem = f"is defined only in x86 branches (it uses `{evidence}`), so an AArch64 build has no resolver"
        else:
            problem = f"chooses with x86 CPU detection (`{evidence}`), which does not build for AArch64"
        yield ctx.finding(
            self,
            match.start(),
            close,
            f"ifunc resolver `{resolver}()` {problem}; the implementations it selects are x86 variants",
            "give the resolver an AArch64 body under `#if defined(__aarch64__)`: glibc passes the AT_HWCAP value as "
            "its first argument, so test it against HWCAP_ASIMD, HWCAP_CRC32, HWCAP_SVE … (<sys/auxv.h>) and return "
            "AArch64 implementations",
            properties={"construct": "ifunc", "resolver": resolver, "detection": evidence, "replacement": "AT_HWCAP"},
            confidence=Confidence.HIGH if not only_x86 else Confidence.MEDIUM,
        )


def _in_attribute(ctx, start: int) -> bool:
    """The name at start sits inside `__attribute__((...))` or `[[...]]`."""
    masked = ctx.masked
    before = masked[max(0, start - 400) : start].rstrip()
    if before.endswith(("gnu::", "__gnu__::")):
        return True
    base = max(0, start - 400)
    last = None
    for m in _ATTRIBUTE_OPEN.finditer(masked, base, start):
        last = m
    if last is not None:
        close = ctx.matching_paren(last.end() - 2)
        if close < 0 or close > start:
            return True
    return False


def _x86_detection(ctx, bodies, depth: int) -> str | None:
    """The first x86 CPU-detection construct in the bodies (following calls to functions of
    this file `depth` levels deep), as shown text."""
    text = ctx.text
    for start, end in bodies:
        body = text[start:end]
        for m in _DETECT_QUERY.finditer(body):
            if x86_items([m.group(1)], ctx, start + m.start()):
                return shorten(m.group(0) + ")", 50)
        m = _DETECT_CALL.search(body)
        if m:
            return m.group(1) + "()"
        m = _DETECT_ASM.search(body)
        if m:
            return f'asm("{m.group(1)}")'
        if depth > 0:
            masked_body = ctx.masked[start:end]
            seen = set()
            for c in _CALLEE.finditer(masked_body):
                callee = c.group(1)
                if callee in _NOT_CALLEES or callee in seen or len(seen) >= 20:
                    continue
                seen.add(callee)
                callee_bodies = [b for b in function_bodies(ctx, callee) if ctx.arm_state(b[0]) is not State.INACTIVE]
                found = _x86_detection(ctx, callee_bodies, depth - 1)
                if found:
                    return found
    return None


def _file_has_x86_targets(ctx) -> bool:
    cache = file_cache(ctx)
    if "x86-targets" not in cache:
        cache["x86-targets"] = any(x86_items(_QUOTED.findall(m.group(1))) for m in _RAW_TARGET.finditer(ctx.text))
    return cache["x86-targets"]
