from __future__ import annotations

from archport.model import Confidence, Impact, Severity
from archport.rule import Rule
from archport.rules.build import _conditions as cond
from archport.rules.build import _detect, _flags

_NAMES = (
    "CMake reports `aarch64` (Linux) or `arm64`/`ARM64` (macOS/Windows) in CMAKE_SYSTEM_PROCESSOR; Meson's "
    "host_machine.cpu_family() is `aarch64`; `uname -m` prints `aarch64` on Linux and `arm64` on macOS"
)


class ArchDetectionWithoutAarch64(Rule):
    """Architecture detection that leaves AArch64 out.

    ## What it does
    Checks for processor tests in build files — CMake `if(CMAKE_SYSTEM_PROCESSOR …)`, Make
    `ifeq ($(ARCH),x86_64)` / `$(shell uname -m)`, Meson `host_machine.cpu_family()`, shell
    `case $(uname -m) in`, Bazel `select()` — that name x86 but have no AArch64/Arm branch,
    and where an AArch64 build then stops (`message(FATAL_ERROR …)`, `$(error …)`,
    `error(…)`, `exit 1`), falls into a branch with x86 settings (`-m32`, an x86 source list,
    `ARCH=x86_64`), gets no value from a `case` that maps every listed processor to one, or
    (Bazel) matches no `select()` key at all.

    ## Why is this a problem on ARM64?
    The build was written for the processors its authors had. On AArch64 the configure step
    fails, or continues with x86 flags and sources and fails later with a less helpful error
    ("unrecognized command-line option '-m32'", assembler errors on x86 sources), or runs with
    an empty architecture variable.

    ## Example
    ```cmake
    if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64")
      set(ARCH_SOURCES x86/crc_sse42.c)
    else()
      message(FATAL_ERROR "unsupported processor ${CMAKE_SYSTEM_PROCESSOR}")
    endif()
    ```

    Use instead:
    ```cmake
    if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64")
      set(ARCH_SOURCES x86/crc_sse42.c)
    elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "aarch64|arm64|ARM64")
      set(ARCH_SOURCES arm/crc_acle.c)
    else()
      message(FATAL_ERROR "unsupported processor ${CMAKE_SYSTEM_PROCESSOR}")
    endif()
    ```

    ## Limitations
    Only tests whose condition names the processor (CMAKE_SYSTEM_PROCESSOR, `uname -m`,
    `ARCH`-like variables, cpu_family()) are considered; a branch that handles "everything
    else" generically is taken as covering AArch64. autoconf `$host` cases are BD604.

    ## References
    - CMake CMAKE_SYSTEM_PROCESSOR: https://cmake.org/cmake/help/latest/variable/CMAKE_SYSTEM_PROCESSOR.html
    - Meson reference tables (CPU families): https://mesonbuild.com/Reference-tables.html
    - Bazel select(): https://bazel.build/reference/be/functions#select
    """

    code = "BD601"
    name = "arch-detection-without-aarch64"
    summary = "Architecture detection that leaves AArch64 out"
    languages = frozenset({"make", "cmake", "meson", "bazel", "autoconf", "shell", "python"})
    severity = Severity.ERROR
    impact = Impact.BUILD_BREAK
    confidence = Confidence.MEDIUM
    tags = ("build", "detection")
    effort_minutes = 30
    prefilter = (b"x86", b"X86", b"amd64", b"AMD64", b"i386", b"i686", b"x64", b"i?86", b"i[3-6]86", b"k8")

    def check_file(self, ctx):
        if not _flags.reads(ctx) and ctx.language != "python":
            return
        autoconf_file = ctx.language == "autoconf"
        for chain in cond.model(ctx).chains:
            if not chain or cond.x86_only_reason(ctx, chain[0].head) is not None:
                continue
            if ctx.language == "bazel":
                yield from self._select(ctx, chain)
                continue
            first = chain[0]
            if autoconf_file and first.subject and _detect.AUTOCONF_HOST.search(first.subject):
                continue  # BD604
            gap = _detect.fall_through(ctx, chain)
            if gap is None:
                continue
            yield self._finding(ctx, gap)

    def _finding(self, ctx, gap):
        names = _detect.arch_names(gap.chain) or "x86"
        start = gap.offset
        end = ctx.masked.find("\n", start)
        end = end if end > 0 else len(ctx.masked)
        if gap.what == "error":
            msg = (f"processor check for {names} has no AArch64 branch: an AArch64 build takes this branch and "
                   f"stops at `{gap.detail}`")
            sev = None
        elif gap.what == "x86":
            msg = (f"processor check for {names} has no AArch64 branch: an AArch64 build falls into this branch and "
                   f"gets the x86 setting `{gap.detail}`")
            sev = None
        else:
            msg = (f"`case` over the processor name maps {names} but has no aarch64/arm64 pattern and no `*)` "
                   f"default: on AArch64 `{gap.detail}` stays unset")
            sev = Severity.WARNING
        return ctx.finding(
            self, start, end, msg,
            f"add an explicit `aarch64|arm64` branch with the AArch64 settings (or a portable default); {_NAMES}",
            properties={"outcome": gap.what, "detail": gap.detail, "tests": names},
            severity=sev,
        )

    def _select(self, ctx, chain):
        if any(b.kind == "else" for b in chain):
            return
        kinds = [b.own_kind() for b in chain]
        if not kinds or not all(k in (cond.X86, cond.NONARM) for k in kinds) or cond.X86 not in kinds:
            return
        head = ctx.masked.rfind("select", 0, chain[0].head)
        start = head if head >= 0 else chain[0].head
        keys = ", ".join(b.cond for b in chain)
        yield ctx.finding(
            self, start, start + 6,
            f"`select()` has keys only for x86 ({keys}) and no `//conditions:default`: an AArch64 build fails "
            "with \"configurable attribute … doesn't match this configuration\"",
            "add an `@platforms//cpu:aarch64` (or `arm64`) key with the AArch64 values, or a `//conditions:default` entry",
            properties={"outcome": "no-default", "keys": keys},
        )
