from __future__ import annotations

import re

from archport.archfiles import go_file
from archport.knowledge import is_x86_header
from archport.model import Confidence, Impact, Severity
from archport.rule import Rule

_IMPORT_C = re.compile(r'^import[ \t]+"C"', re.M)
_DIRECTIVE = re.compile(r"^[ \t]*#[ \t]*(if|ifdef|ifndef|elif|else|endif|include)\b[ \t]*([^\n]*)")
_INCLUDE = re.compile(r"[<\"]([^>\"\n]+)[>\"]")
_X86_MACRO = re.compile(
    r"\b(?:__x86_64__|__x86_64|__amd64__|__amd64|__i[3-6]86__|__i386|_M_X64|_M_AMD64|_M_IX86|__SSE\w*__|__AVX\w*__|"
    r"__BMI2?__|__PCLMUL__|__AES__|__SHA__|__FMA__|__POPCNT__|__LZCNT__|__F16C__|X86_64|__X86__)\b"
)
_ARM_MACRO = re.compile(r"\b(?:__aarch64__|__arm64__|__arm64|_M_ARM64|__ARM_NEON\w*|__arm__|__ARM_ARCH\w*|__ARM_FEATURE_\w+)\b")
_CANDIDATE = re.compile(r"(?<![\w$])(_{1,2}[a-z]\w*|_MM_TRANSPOSE4_PS)[ \t]*\(")


def _classify(kind: str, cond: str) -> str:
    """'x86' (the branch needs x86), 'notx86', 'arm', or 'other' for one #if condition."""
    if kind == "ifdef":
        cond = f"defined({cond})"
    elif kind == "ifndef":
        cond = f"!defined({cond})"
    x86 = _X86_MACRO.search(cond)
    arm = _ARM_MACRO.search(cond)
    if x86 and not arm:
        negated = re.search(r"!\s*(?:defined\s*\(?\s*)?" + re.escape(x86.group()), cond) is not None
        return "notx86" if negated else "x86"
    if arm and not x86:
        negated = re.search(r"!\s*(?:defined\s*\(?\s*)?" + re.escape(arm.group()), cond) is not None
        return "other" if negated else "arm"
    return "other"


def preamble(ctx, import_offset: int) -> list[tuple[int, int]]:
    """(start, end) of the text of each comment of the cgo preamble before `import "C"`,
    comment markers excluded."""
    comments = ctx.source.comments
    out = []
    pos = import_offset
    for start, end in reversed(comments):
        if end > pos:
            continue
        gap = ctx.text[end:pos]
        if gap.strip() or gap.count("\n") > 1:
            break
        if ctx.text.startswith("//", start):
            out.append((start + 2, end))
        else:
            out.append((start + 2, end - 2 if ctx.text.endswith("*/", start, end) else end))
        pos = start
    return list(reversed(out))


class CgoX86Intrinsics(Rule):
    """cgo preamble that includes x86 intrinsic headers or calls x86 intrinsics for arm64 too.

    ## What it does
    Checks for the C preamble of Go files that import "C" (the comment right before
    `import "C"`): `#include` of x86-only headers (`immintrin.h`, `x86intrin.h`,
    `emmintrin.h`, `cpuid.h` …) and calls of x86 intrinsics (`_mm_add_epi32`,
    `_mm256_loadu_si256`, `__rdtsc` …), when the Go file is built for arm64 and the line is
    not inside an `#if defined(__x86_64__)`-style branch of the preamble (or the `#else` of
    an `#if defined(__aarch64__)`). One finding per include and per call, with the NEON
    replacement where one is known.

    ## Why is this a problem on ARM64?
    cgo compiles the preamble with the C compiler of the target. The AArch64 compiler has
    no x86 intrinsic headers ("fatal error: immintrin.h: No such file or directory") and no
    `_mm_*` functions: a call is an implicit declaration (a warning in GCC 12, an error in
    GCC 14 and Clang) and the link fails with "undefined reference to `_mm_setzero_si128`".
    `CGO_ENABLED=1 GOARCH=arm64 go build` fails.

    ## Example
    ```go
    package fast

    // #include <immintrin.h>
    // static int sum4(const int *p) {
    //     __m128i v = _mm_loadu_si128((const __m128i *)p);
    //     return _mm_cvtsi128_si32(v);
    // }
    import "C"
    ```

    Use instead:
    ```go
    package fast

    // #if defined(__x86_64__)
    // #include <immintrin.h>
    // #elif defined(__aarch64__)
    // #include <arm_neon.h>
    // #endif
    // static int first(const int *p) { return p[0]; }
    import "C"
    ```

    ## Limitations
    Only the preamble is read: C files of the package are the C rules' business, and
    headers the preamble includes from the package directory are not followed. Conditions
    on other macros count as compiled on arm64.

    ## References
    - cgo: https://pkg.go.dev/cmd/cgo
    - Arm NEON intrinsics: https://developer.arm.com/architectures/instruction-sets/intrinsics/
    """

    code = "GO405"
    name = "cgo-x86-intrinsics"
    summary = "cgo preamble that includes x86 intrinsic headers or calls x86 intrinsics for arm64 too"
    languages = frozenset({"go"})
    severity = Severity.ERROR
    impact = Impact.BUILD_BREAK
    confidence = Confidence.HIGH
    tags = ("cgo", "simd", "isa")
    effort_minutes = 30
    prefilter = (b'import "C"',)

    def check_file(self, ctx):
        if go_file(ctx.path, ctx.text, default_tags=True).arm64 is not True:
            return
        from archport.rules.c_cpp.cc401_x86_intrinsic_call import advice, intrinsic_table

        table = None
        for im in _IMPORT_C.finditer(ctx.text):
            if ctx.source.in_comment(im.start()):
                continue
            stack: list[list] = []  # [compiled on arm64, class of the #if condition]
            for start, end in preamble(ctx, im.start()):
                body = ctx.text[start:end]
                pos = start
                for line in body.split("\n"):
                    line_start = pos
                    pos += len(line) + 1
                    text = line
                    # continuation lines of `//` comments start with `//` too
                    stripped = text.lstrip()
                    if stripped.startswith("//"):
                        offset = line_start + (len(text) - len(stripped)) + 2
                        text = stripped[2:]
                    else:
                        offset = line_start
                    d = _DIRECTIVE.match(text)
                    if d:
                        kind, arg = d.group(1), d.group(2)
                        if kind in ("if", "ifdef", "ifndef"):
                            c = _classify(kind, arg)
                            stack.append([c != "x86", c])
                            continue
                        if kind in ("elif", "else") and stack:
                            top = stack[-1]
                            prev = top[1]
                            if kind == "else":
                                # the else of an x86 test is the arm64 branch; of an arm or !x86 test, x86-only
                                top[0] = prev not in ("arm", "notx86")
                            else:
                                c = _classify("if", arg)
                                top[0] = prev not in ("arm", "notx86") and c != "x86"
                                top[1] = c if prev == "x86" else prev
                            continue
                        if kind == "endif":
                            if stack:
                                stack.pop()
                            continue
                    if not all(s[0] for s in stack):
                        continue
                    if d and d.group(1) == "include":
                        hm = _INCLUDE.search(d.group(2))
                        if hm and is_x86_header(hm.group(1)):
                            s = offset + d.start(2) + hm.start()
                            yield ctx.finding(
                                self, s, s + len(hm.group(0)) + 0,
                                f"the cgo preamble includes the x86 header <{hm.group(1)}>: with `GOARCH=arm64` the "
                                f"AArch64 C compiler has no such header and cgo fails",
                                "include it under `#if defined(__x86_64__) || defined(__i386__)` and give arm64 "
                                "`#include <arm_neon.h>` (NEON) / `<arm_acle.h>` (CRC32, `__rndr`) under "
                                "`#elif defined(__aarch64__)`, or move the x86 code to a file built only for amd64",
                                properties={"header": hm.group(1)},
                            )
                        continue
                    if "_" not in text:
                        continue
                    for cm in _CANDIDATE.finditer(text):
                        if table is None:
                            table = intrinsic_table()
                        name = cm.group(1)
                        family = table.get(name)
                        if family is None:
                            continue
                        before = text[: cm.start()].rstrip()
                        if before.endswith("define") or re.search(r"[\w*][ \t]*$", before) and not re.search(
                            r"(?:return|=|\(|,|\{|;|&&|\|\||!|\+|-|\*|/|\?|:)[ \t]*$", before
                        ) and before:
                            continue  # a declaration or #define of the name
                        help_, replacement, caution = advice(name, family)
                        s = offset + cm.start(1)
                        yield ctx.finding(
                            self, s, s + len(name),
                            f"the cgo preamble calls the x86 {family} intrinsic `{name}`: with `GOARCH=arm64` it is "
                            f"undeclared and linking fails (\"undefined reference to `{name}`\")",
                            help_ + (f" (note: {caution})" if caution else ""),
                            properties={"intrinsic": name, "family": family, "replacement": replacement},
                        )
