from __future__ import annotations

import re

from archport.model import Confidence, Impact, Severity
from archport.rule import Rule
from archport.rules.containers import _common

#: HotSpot product flags declared only in the x86 port (src/hotspot/cpu/x86/globals_x86.hpp)
_X86_FLAGS = (
    "UseSSE", "UseAVX", "UseAPX", "UseKNLSetting", "UseCLMUL", "UseIncDec", "UseNewLongLShift", "UseAddressNop",
    "UseXmmLoadAndClearUpper", "UseXmmRegToRegMoveAll", "UseXmmI2D", "UseXmmI2F", "UseUnalignedLoadStores",
    "UseXMMForObjInit", "UseXMMForArrayCopy", "UseFastStosb", "UseRTMLocking", "UseRTMForStackLocks", "UseRTMDeopt",
    "RTMRetryCount", "UseRTMXendForLockBusy", "UseCountLeadingZerosInstruction", "UseCountTrailingZerosInstruction",
    "UseSSE42Intrinsics", "UseBMI1Instructions", "UseBMI2Instructions", "UseStoreImmI16", "IntelJccErratumMitigation",
    "EnableX86ECoreOpts", "AVX3Threshold",
)
_OPTION = re.compile(r"-XX:[+-]?(" + "|".join(sorted(_X86_FLAGS, key=len, reverse=True)) + r")(?:=[\w.]*)?(?![\w])")
_IGNORE = re.compile(r"-XX:\+IgnoreUnrecognizedVMOptions\b")
#: the nearest AArch64 counterpart, where there is one
_ARM_HINT = {
    "UseAVX": "AArch64 HotSpot picks NEON/SVE itself (`-XX:UseSVE=0|1|2` limits SVE)",
    "UseSSE": "AArch64 HotSpot picks NEON/SVE itself (`-XX:UseSVE=0|1|2` limits SVE)",
    "UseCLMUL": "AArch64 HotSpot uses PMULL for CRC32 by itself",
    "UseSSE42Intrinsics": "AArch64 HotSpot enables its CRC32/string intrinsics by itself (`-XX:+UseCRC32`)",
}


class X86OnlyJvmOption(Rule):
    """x86-only HotSpot option (`-XX:UseAVX`, `-XX:+UseSSE42Intrinsics`) in a launch script.

    ## What it does
    Checks for `-XX:` options that HotSpot declares only in its x86 port — `UseAVX`,
    `UseSSE`, `UseSSE42Intrinsics`, `UseBMI1Instructions`/`UseBMI2Instructions`, `UseCLMUL`,
    `UseRTMLocking`, `UseXmm…`, `UseFastStosb`, `UseCountLeadingZerosInstruction`… — in shell,
    batch and PowerShell scripts, Dockerfiles, YAML (Compose, Kubernetes, Helm values, CI),
    Makefiles, Jenkinsfiles and JVM option files (`.mvn/jvm.config`, `jvm.options`,
    `.jvmopts`, `*.vmoptions`, `gradle.properties`). Not reported when the same file passes
    `-XX:+IgnoreUnrecognizedVMOptions`, or when the option sits in an architecture branch
    (a `case $(uname -m)` with an aarch64 arm, a line that also names arm64).

    ## Why is this a problem on ARM64?
    An AArch64 HotSpot (JDK 9 and later for every flag listed here) does not have these
    flags, and HotSpot treats an unknown `-XX` flag as fatal: the JVM prints
    `Unrecognized VM option 'UseAVX=2'` and "Error: Could not create the Java Virtual
    Machine." and exits with status 1, so the service never starts.

    ## Example
    ```sh
    JAVA_OPTS="-Xmx4g -XX:UseAVX=2 -XX:+UseSSE42Intrinsics"
    exec java $JAVA_OPTS -jar service.jar
    ```

    Use instead:
    ```sh
    JAVA_OPTS="-Xmx4g"
    exec java $JAVA_OPTS -jar service.jar
    ```

    ## Limitations
    Options assembled from pieces (`-XX:$FLAG`) and options in Java code (`ProcessBuilder`
    argument lists) are not read; systemd unit files and `.properties` files other than
    `gradle.properties` are not file kinds archport reads.

    ## References
    - HotSpot x86 flags (globals_x86.hpp): https://github.com/openjdk/jdk/blob/master/src/hotspot/cpu/x86/globals_x86.hpp
    - HotSpot AArch64 flags (globals_aarch64.hpp): https://github.com/openjdk/jdk/blob/master/src/hotspot/cpu/aarch64/globals_aarch64.hpp
    - AWS Graviton getting started, Java: https://github.com/aws/aws-graviton-getting-started/blob/main/java.md
    """

    code = "JV401"
    name = "x86-only-jvm-option"
    summary = "x86-only HotSpot option (`-XX:UseAVX`, `-XX:+UseSSE42Intrinsics`) in a launch script"
    languages = frozenset({"shell", "batch", "powershell", "dockerfile", "yaml", "make", "groovy", "jvm-options"})
    severity = Severity.ERROR
    impact = Impact.RUNTIME_TRAP
    confidence = Confidence.HIGH
    tags = ("jvm", "flags")
    effort_minutes = 10
    prefilter = (b"-XX:UseAVX", b"-XX:UseSSE", b"-XX:+Use", b"-XX:-Use", b"-XX:AVX3", b"-XX:RTM", b"-XX:+Intel",
                 b"-XX:-Intel", b"-XX:+EnableX86", b"-XX:-EnableX86")
    pattern = _OPTION.pattern

    def check_match(self, ctx, match):
        masked = ctx.masked
        line = _common.logical_line(masked, match.start())
        # an options file applies as a whole; elsewhere the option must share the command line
        if _IGNORE.search(masked) if ctx.language == "jvm-options" else _IGNORE.search(masked, line[0], line[1]):
            return
        if _common.ARM_WORD.search(masked, line[0], line[1]):
            return
        if ctx.language in ("shell", "dockerfile", "make"):
            blocks = ctx.cache.get("jv401.blocks")
            if blocks is None:
                blocks = ctx.cache["jv401.blocks"] = _common.shell_blocks(masked)
            if _common.in_arch_branch(masked, match.start(), blocks):
                return
        flag = match.group(1)
        option = match.group(0)
        hint = _ARM_HINT.get(flag, "AArch64 HotSpot has no such flag and needs no replacement")
        yield ctx.finding(
            self, match.start(), match.end(),
            f"`{option}` is an x86-only HotSpot flag: an AArch64 JVM stops at start-up with "
            f"\"Unrecognized VM option '{option[4:].lstrip('+-')}'\"",
            f"drop it from the AArch64 launch options or set it only on x86-64 ({hint}); "
            "`-XX:+IgnoreUnrecognizedVMOptions` would hide the error but also every typo",
            properties={"option": option, "flag": flag},
        )
