from __future__ import annotations

import re

from archport.model import Confidence, Impact, Severity
from archport.rule import Rule
from archport.rules.build import _flags
from archport.rules.build._tables import CPU_FLAG_RE, MARCH_ADVICE, MTUNE_ADVICE, X86_CPUS

_X86_CPU_FULL = re.compile(X86_CPUS.pattern + r"$")


class X86CpuNameFlag(Rule):
    """x86 CPU name in `-march=`, `-mtune=` or `-mcpu=` applied to an AArch64 build.

    ## What it does
    Checks for `-march=`, `-mtune=` and `-mcpu=` with an x86 processor or ISA-level name
    (`haswell`, `skylake-avx512`, `x86-64-v3`, `core2`, `znver3`, `intel`, `core-avx2`, …) in
    build files, outside x86-only branches, x86-named variables and compiler probes.
    `-march=native`, `-mtune=native` and `-mtune=generic` are portable and not reported.

    ## Why is this a problem on ARM64?
    AArch64 GCC knows only Arm architecture and core names: `-march=haswell` fails with
    "error: unknown value 'haswell' for '-march'" (valid arguments: armv8-a … armv9-a), and
    `-mtune=haswell` / `-mtune=intel` with the same error for `-mtune`. Clang 14 reports "the
    clang compiler does not support '-march=haswell'".

    ## Example
    ```make
    CFLAGS += -O2 -march=haswell -mtune=skylake
    ```

    Use instead:
    ```make
    ARCH := $(shell uname -m)
    ifeq ($(ARCH),x86_64)
    CFLAGS += -O2 -march=haswell -mtune=skylake
    else ifeq ($(ARCH),aarch64)
    CFLAGS += -O2 -mcpu=neoverse-n1
    endif
    ```

    ## Limitations
    Names assembled from variables (`-march=$(CPU)`) are not resolved. The recommended Arm
    targets are starting points: pick the oldest core you deploy to, since code built for a
    newer core can stop with SIGILL on an older one.

    ## References
    - GCC AArch64 `-march`/`-mcpu`: https://gcc.gnu.org/onlinedocs/gcc/AArch64-Options.html
    - AWS Graviton compiler flags: https://github.com/aws/aws-graviton-getting-started/blob/main/c-c++.md
    """

    code = "BD402"
    name = "x86-cpu-name-flag"
    summary = "x86 CPU name in -march=, -mtune= or -mcpu= applied to an AArch64 build"
    languages = _flags.FLAG_LANGUAGES
    severity = Severity.ERROR
    impact = Impact.BUILD_BREAK
    confidence = Confidence.HIGH
    tags = ("build", "flags")
    effort_minutes = 15
    prefilter = (b"-march=", b"-mtune=", b"-mcpu=")
    pattern = CPU_FLAG_RE.pattern

    def check_match(self, ctx, match):
        which, value = match.group(1), match.group(2)
        if not _X86_CPU_FULL.match(value) or not _flags.reads(ctx):
            return
        if _flags.skip_reason(ctx, match.start()) is not None:
            return
        flag = match.group(0)
        advice = MTUNE_ADVICE if which == "tune" else MARCH_ADVICE
        yield ctx.finding(
            self,
            match.start(),
            match.end(),
            f"`{flag}` names an x86 processor and reaches AArch64 builds"
            f"{_flags.option_note(ctx, match.start())}; AArch64 GCC stops with "
            f"\"unknown value '{value}' for '-m{which}'\"",
            f"{advice}; keep `{flag}` for x86 under an x86 condition",
            properties={"flag": flag, "cpu": value, "option": f"-m{which}"},
        )
