from __future__ import annotations

import re

from archport.model import Confidence, Impact, Severity
from archport.rule import Option, Rule
from archport.rules.c_cpp._x86_runtime import directive_at

_NAME = r"(?i:\w*cache_?line\w*)"
_DEFINE = re.compile(rf"^[ \t]*#[ \t]*define[ \t]+({_NAME})[ \t]+\(?[ \t]*64[uUlL]*[ \t]*\)?[ \t]*$", re.M)
_CONST = re.compile(
    rf"\b(?:constexpr|const)\s+(?:static\s+)?(?:std::)?(?:size_t|int|unsigned|long|uint\d+_t|auto)\s+"
    rf"(k?{_NAME})\s*(?:=\s*|\{{\s*)64[uUlL]*\s*\}}?\s*;"
)
#: uses of a cache-line constant that separate data (padding and alignment)
_SEPARATING = (
    r"\baligned\s*\(\s*{n}\s*\)", r"\balignas\s*\(\s*{n}\s*\)", r"\b_Alignas\s*\(\s*{n}\s*\)",
    r"\balign\s*\(\s*{n}\s*\)", r"\[\s*{n}\b[^\]]*\]", r"\b(?:posix_memalign|aligned_alloc|memalign|_mm_malloc)\s*\([^;]*\b{n}\b",
)
#: a literal 64 in alignment or padding, with a comment nearby saying why
_LITERALS = tuple(re.compile(p) for p in (
    r"aligned\s*\(\s*64\s*\)", r"alignas\s*\(\s*64\s*\)", r"_Alignas\s*\(\s*64\s*\)",
    r"align\s*\(\s*64\s*\)", r"pad\w*\s*\[\s*64\b[^\]]*\]",
))
_WHY_WORDS = ("cache line", "cacheline", "cache_line", "cache-line", "false sharing", "false-sharing")
#: a cache-line name with the value 64 nearby (on lower-cased text: a fast screen)
_NAMED_64 = re.compile(r"cache_?line\w*[ \t]*(?:=[ \t]*|\{[ \t]*)?\(?[ \t]*64\b")
_WHY = re.compile(r"(?i)cache[ _-]?line|false[ _-]sharing")


class X86CacheLineSizeAssumption(Rule):
    """64-byte cache-line constant used to keep per-thread data apart.

    ## What it does
    Checks for cache-line constants defined as 64 for AArch64 builds (`#define CACHE_LINE_SIZE
    64`, `constexpr size_t kCacheLineSize = 64;`) where the file uses them to pad or align data
    (`alignas`, `__attribute__((aligned(...)))`, padding arrays, aligned allocation) or does not
    use them itself (a configuration header), and literal `alignas(64)`/`aligned(64)`/`pad[64]`
    whose line or the line before mentions cache lines or false sharing. Constants the file
    uses only for other purposes (prefetch strides, loop steps) are not reported.

    ## Why is this a problem on ARM64?
    64 bytes is the x86 cache line, but it is not a safe distance between data written by
    different threads on every AArch64 server. GCC's AArch64 tuning tables use 128-byte lines
    for Cavium ThunderX and 256-byte lines for Fujitsu A64FX, GCC's generic AArch64
    `std::hardware_destructive_interference_size` is 256, and Huawei's Kunpeng porting tools
    check structure alignment against 128 bytes. Counters or queues padded to 64 bytes can then
    share a line, and threads on different cores invalidate each other's caches (false
    sharing): correct results, poor scaling.

    ## Example
    ```c
    #define CACHE_LINE_SIZE 64
    struct counter {
        long value;
        char pad[CACHE_LINE_SIZE - sizeof(long)];
    };
    ```

    Use instead:
    ```c
    #if defined(__aarch64__)
    #define CACHE_LINE_SIZE 128
    #else
    #define CACHE_LINE_SIZE 64
    #endif
    struct counter {
        long value;
        char pad[CACHE_LINE_SIZE - sizeof(long)];
    };
    ```

    ## Options
    - `line-size` (integer, bytes): the distance that keeps data written by different threads
      apart on the machines you deploy to; 64-byte padding is reported only when it is smaller.
      Default: the target's value (`archport targets`): 128 for the `armv8-a`, `armv8.2-a` and
      `armv9-a` baselines and for `kunpeng920`, 64 for the Neoverse- and Ampere-based targets
      (`graviton2`, `graviton3`, `graviton4`, `ampere-altra`, `ampere-one`, `grace`), whose
      cache lines are 64 bytes, so the rule reports nothing for them unless you raise it.

    ## Limitations
    Only constants whose name says cache line are recognised (`CACHE_LINE`, `CACHELINE_SIZE`,
    `kCacheLineSize` …), and their uses are looked for in the same file only. The finding is
    informational: whether false sharing matters depends on how hot the data is, and some
    AArch64 cores (Neoverse, Kunpeng 920 in GCC's tables) do use 64-byte lines.

    ## References
    - GCC AArch64 tuning (`--param=destructive-interference-size`, `l1-cache-line-size`): https://gcc.gnu.org/onlinedocs/gcc/AArch64-Options.html
    - C++17 `std::hardware_destructive_interference_size`: https://en.cppreference.com/w/cpp/thread/hardware_destructive_interference_size
    """

    code = "CC113"
    name = "x86-cache-line-size-assumption"
    summary = "64-byte cache-line constant used to keep per-thread data apart"
    languages = frozenset({"c", "cpp"})
    severity = Severity.INFO
    impact = Impact.PERFORMANCE
    confidence = Confidence.MEDIUM
    tags = ("performance", "false-sharing", "cache")
    effort_minutes = 15
    options = {
        "line-size": Option(
            "int",
            lambda target: target.false_sharing_bytes,
            "bytes that keep data of different threads apart on the deployment target (default: the target's)",
            minimum=16,
        ),
    }
    prefilter = (b"ACHE_LINE", b"ACHELINE", b"ache_line", b"acheLine", b"acheline", b"ache_Line", b"ache line",
                 b"ache-line", b"alse sharing", b"alse-sharing")

    def check_file(self, ctx):
        masked = ctx.masked
        line_size = ctx.options.get("line-size") or ctx.target.false_sharing_bytes
        if "64" not in masked or line_size <= 64:
            return  # 64-byte padding is enough on this target
        why, help_text = _advice(ctx.target, line_size)
        lowered = masked.lower()
        named = _NAMED_64.search(lowered) is not None
        for regex in (_DEFINE, _CONST) if named else ():
            for m in regex.finditer(masked):
                name = m.group(1)
                separating, other = [], []
                for u in re.finditer(rf"\b{re.escape(name)}\b", masked):
                    if u.start() == m.start(1):
                        continue
                    directive = directive_at(ctx, u.start())
                    if _separates(masked, u.start(), name):
                        separating.append(u)
                    elif directive is None or _stride(masked, u.start()):
                        other.append(u)  # code that uses it for something else (a stride, a step)
                if other and not separating:
                    continue  # used only as a prefetch stride or loop step here
                how = (f"pads or aligns data with it (line {ctx.source.line_of(separating[0].start())})"
                       if separating else "is the project's cache-line setting")
                yield ctx.finding(
                    self, m.start(1), m.end(1),
                    f"`{name}` is 64 for AArch64 too and {how}: {why}, so threads may false-share",
                    help_text,
                    properties={"constant": name, "value": 64, "separating_use": bool(separating),
                                "target": ctx.target.name, "line_size": line_size},
                )
        text = ctx.text
        low_text = text.lower()
        if not any(w in low_text for w in _WHY_WORDS):
            return
        for m in sorted((m for p in _LITERALS for m in p.finditer(masked)), key=lambda m: m.start()):
            if m.start() > 0 and (masked[m.start() - 1].isalnum() or masked[m.start() - 1] == "_"):
                continue
            line_start = text.rfind("\n", 0, m.start()) + 1
            prev_start = text.rfind("\n", 0, max(0, line_start - 1)) + 1
            line_end = text.find("\n", m.end())
            context = text[prev_start : len(text) if line_end < 0 else line_end]
            if not _WHY.search(context):
                continue
            yield ctx.finding(
                self, m.start(), m.end(),
                f"`{' '.join(m.group(0).split())}` separates data by one x86 cache line: {why}, so the data can "
                "still false-share",
                help_text,
                properties={"constant": "64", "value": 64, "separating_use": True,
                            "target": ctx.target.name, "line_size": line_size},
                confidence=Confidence.LOW,
            )


def _advice(target, line_size: int) -> tuple[str, str]:
    """Why 64 is too small here, and what to use, for the deployment target."""
    if line_size != target.false_sharing_bytes:
        why = f"the configured line size (CC113 `line-size`) is {line_size} bytes, and data 64 bytes apart can share a line"
    elif target.is_baseline:
        why = ("data 64 bytes apart can still share a line on AArch64 servers with larger lines (GCC tunes ThunderX "
               "for 128 and A64FX for 256 bytes; Kunpeng porting tools check 128)")
    else:
        why = f"on {target.name} data written by different threads should be {line_size} bytes apart"
        if target.sources.get("false_sharing_bytes") == "huawei-tools":
            why += f" (Huawei's porting tools check {line_size}-byte alignment)"
    help_text = f"use {line_size} on AArch64 (e.g. under `#if defined(__aarch64__)`)"
    if target.is_baseline:
        help_text += ", or std::hardware_destructive_interference_size (256 with GCC's generic AArch64 tuning)"
    return why, help_text


def _stride(masked: str, offset: int) -> bool:
    """A prefetch distance or loop step: `p + CACHELINE`, `i += CACHELINE`, `PREFETCH(p + ...)`."""
    before = masked[max(0, offset - 4) : offset].rstrip()
    line_start = masked.rfind("\n", 0, offset) + 1
    line_end = masked.find("\n", offset)
    line = masked[line_start : len(masked) if line_end < 0 else line_end]
    return before.endswith(("+=", "+", "<", "<=")) or re.search(r"(?i)prefetch", line) is not None


def _separates(masked: str, offset: int, name: str) -> bool:
    n = re.escape(name)
    lo = max(0, offset - 200)
    hi = min(len(masked), offset + len(name) + 200)
    window = masked[lo:hi]
    for pat in _SEPARATING:
        for m in re.finditer(pat.format(n=n), window):
            if lo + m.start() <= offset < lo + m.end():
                return True
    return False
