from __future__ import annotations

import re

from archport.model import Confidence, Impact, Severity
from archport.rule import Rule
from archport.rules.build import _conditions as cond
from archport.rules.build import _flags

_CPUINFO = re.compile(r"/proc/cpuinfo")
_FIELD = re.compile(
    r"(?P<field>\bflags\b|\bmodel[ _]name\b|\bvendor_id\b|\bcpu[ _]family\b|GenuineIntel|AuthenticAMD|"
    r"(?<![\w-])(?:sse4_2|sse4_1|ssse3|avx512\w*|avx2|avx|bmi2|pclmulqdq|popcnt|fma)(?![\w-]))"
)
_ARM_FIELD = re.compile(r"\bFeatures\b|CPU implementer|CPU part|\basimd\b|\baarch64\b|\barm64\b", re.I)
_WINDOW_LINES = 4


class X86CpuinfoField(Rule):
    """Parsing of x86-only fields of /proc/cpuinfo.

    ## What it does
    Checks for reads of the x86-only `/proc/cpuinfo` fields in build files and scripts:
    `flags`, `model name`, `vendor_id` and `cpu family`, the vendor strings `GenuineIntel` /
    `AuthenticAMD`, and x86 feature names (`avx2`, `sse4_2`, `avx512f`, …) looked up within a
    few lines of the read, unless the same code also reads the Arm fields (`Features`,
    `CPU implementer`) or sits in an x86-only branch.

    ## Why is this a problem on ARM64?
    The Linux arm64 kernel prints `processor`, `BogoMIPS`, `Features`, `CPU implementer`,
    `CPU architecture`, `CPU variant`, `CPU part` and `CPU revision` — no `flags`, no
    `vendor_id`, and (for 64-bit processes, in the upstream kernel) no `model name`. Scripts
    that grep these fields get nothing: feature detection silently reports "no SIMD", CPU-name
    logic picks a default, or `set -e` scripts stop on grep's non-zero exit.

    ## Example
    ```sh
    if grep -q avx2 /proc/cpuinfo; then
      CFLAGS="$CFLAGS -DUSE_SIMD"
    fi
    ```

    Use instead:
    ```sh
    case "$(uname -m)" in
      x86_64) grep -q avx2 /proc/cpuinfo && CFLAGS="$CFLAGS -DUSE_SIMD" ;;
      aarch64) CFLAGS="$CFLAGS -DUSE_SIMD" ;;  # Advanced SIMD is always present
    esac
    ```

    ## Limitations
    Only reads written literally as `/proc/cpuinfo` are seen, and only fields named within
    a few lines of the read. Counting processors (`grep -c processor`) is portable and not
    reported.

    ## References
    - Linux arm64 /proc/cpuinfo (arch/arm64/kernel/cpuinfo.c): https://github.com/torvalds/linux/blob/master/arch/arm64/kernel/cpuinfo.c
    - Linux arm64 ELF hwcaps: https://docs.kernel.org/arch/arm64/elf_hwcaps.html
    """

    code = "BD602"
    name = "x86-cpuinfo-field"
    summary = "Parsing of x86-only fields of /proc/cpuinfo"
    languages = frozenset({"make", "cmake", "meson", "autoconf", "shell", "python", "powershell"})
    severity = Severity.WARNING
    impact = Impact.SILENT_BEHAVIOUR_CHANGE
    confidence = Confidence.MEDIUM
    tags = ("build", "detection")
    effort_minutes = 20
    prefilter = (b"/proc/cpuinfo",)
    pattern = _CPUINFO.pattern

    def check_match(self, ctx, match):
        if ctx.language != "python" and not _flags.reads(ctx):
            return
        src = ctx.source
        line = src.line_of(match.start())
        first = max(1, line - 1)
        last = min(src.line_count, line + _WINDOW_LINES)
        start = max(src.line_start(first), match.start() - 400)
        end = min(src.line_start(last + 1) if last < src.line_count else len(ctx.masked), match.end() + 800)
        window = ctx.masked[start:end]
        if _ARM_FIELD.search(window) or cond.x86_only_reason(ctx, match.start()) is not None:
            return
        seen = ctx.cache.setdefault("bd602_seen", set())
        for m in _FIELD.finditer(window):
            at = start + m.start()
            if at in seen or cond.x86_only_reason(ctx, at) is not None:
                continue
            seen.add(at)
            field = m.group("field")
            yield ctx.finding(
                self, at, at + len(field),
                f"reads `{field}` from /proc/cpuinfo; the arm64 kernel prints no such "
                f"{'field' if field[0].islower() and ' ' in field or field in ('flags', 'vendor_id', 'model name', 'model_name', 'cpu family', 'cpu_family') else 'value'}, "
                "so on AArch64 this finds nothing",
                "on AArch64 read the `Features` line (asimd, aes, pmull, crc32, atomics, sve …) or, in C, "
                "getauxval(AT_HWCAP); branch on `uname -m` first",
                properties={"field": field},
            )
            return  # one finding per read
