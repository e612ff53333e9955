from __future__ import annotations

import re

from archport.model import Confidence, Impact, Severity
from archport.rule import Rule
from archport.rules import _arch_gate

#: reads of the JVM's architecture: `System.getProperty("os.arch")`, commons-lang
#: `SystemUtils.OS_ARCH`, the Windows `PROCESSOR_ARCHITECTURE` variable
_READ = re.compile(r"\b(?:System\s*\.\s*)?get(?:Property|env)\s*\(\s*\"|\bSystemUtils\s*\.\s*OS_ARCH\b")
_KEYS = ("os.arch", "PROCESSOR_ARCHITECTURE", "PROCESSOR_ARCHITEW6432")


def arch_reads(ctx) -> list:
    """Tree nodes of the expressions that read the architecture in a Java file."""
    nodes = []
    for m in _READ.finditer(ctx.masked):
        if m.group().startswith("SystemUtils"):
            node = _arch_gate.ArchGates(ctx, _arch_gate.JAVA).node_at(m.start(), m.end())
        else:
            close = ctx.matching_paren(ctx.masked.rfind("(", m.start(), m.end()), limit=200)
            literals = ctx.source.string_literals(m.end() - 1, close) if close > 0 else []
            if not literals or literals[0] not in _KEYS:
                continue
            node = _arch_gate.ArchGates(ctx, _arch_gate.JAVA).node_at(m.start(), close)
        while node is not None and node.type not in ("method_invocation", "field_access"):
            node = node.parent
        if node is not None:
            nodes.append(node)
    return nodes


class OsArchCheckWithoutAarch64(Rule):
    """`os.arch` check that knows x86 names but not `aarch64`.

    ## What it does
    Checks for decisions on `System.getProperty("os.arch")` (directly, or through a local
    variable or field that holds it; also commons-lang `SystemUtils.OS_ARCH` and the Windows
    `PROCESSOR_ARCHITECTURE` variable) — `if`/`else if` chains, `switch` statements and
    expressions, `?:` — that compare against x86 names (`amd64`, `x86_64`, `x86`, `i386`…)
    and send every other architecture to a `throw` or `System.exit`, to a branch that picks
    an x86 value (a `linux-x86` directory, an `x86_64` library name), or to no value at all.
    A method that names `aarch64`/`arm64`/`arm` anywhere is taken as handling AArch64.

    ## Why is this a problem on ARM64?
    On 64-bit Arm, HotSpot JVMs report `os.arch` as `aarch64` (on Linux and macOS alike). A
    check written for the platforms the authors had rejects it: native-library loaders throw
    "unsupported architecture", launchers exit, or the x86 fallback path loads a library
    that cannot be mapped (`UnsatisfiedLinkError: … wrong ELF class` / "cannot open shared
    object file").

    ## Example
    ```java
    class NativeLoader {
        static String folder() {
            String arch = System.getProperty("os.arch");
            if (arch.equals("amd64") || arch.equals("x86_64")) {
                return "linux-x86_64";
            }
            throw new UnsupportedOperationException("unsupported os.arch " + arch);
        }
    }
    ```

    Use instead:
    ```java
    class NativeLoader {
        static String folder() {
            String arch = System.getProperty("os.arch");
            if (arch.equals("amd64") || arch.equals("x86_64")) {
                return "linux-x86_64";
            } else if (arch.equals("aarch64")) {
                return "linux-aarch64";
            }
            throw new UnsupportedOperationException("unsupported os.arch " + arch);
        }
    }
    ```

    ## Limitations
    The value is followed into one level of local variables and fields in the same file, not
    through method calls or other classes; a boolean derived from it (`boolean x64 =
    arch.equals("amd64")`) is not followed. Kotlin files are not read. A lone `if` on an x86
    name without an `else` is taken as an optional x86 special case and not reported.

    ## References
    - `System.getProperties()` (os.arch): https://docs.oracle.com/en/java/javase/21/docs/api/java.base/java/lang/System.html#getProperties()
    - AWS Graviton getting started, Java: https://github.com/aws/aws-graviton-getting-started/blob/main/java.md
    """

    code = "JV601"
    name = "os-arch-check-without-aarch64"
    summary = "`os.arch` check that knows x86 names but not `aarch64`"
    languages = frozenset({"java"})
    severity = Severity.ERROR
    impact = Impact.RUNTIME_TRAP
    confidence = Confidence.MEDIUM
    tags = ("detection", "jni")
    effort_minutes = 20
    prefilter = (b"os.arch", b"OS_ARCH", b"PROCESSOR_ARCHITE")

    def check_file(self, ctx):
        if not _READ.search(ctx.masked):
            return
        reads = arch_reads(ctx)
        if not reads:
            return
        yield from _arch_gate.gate_findings(
            self, ctx, _arch_gate.JAVA, reads, value_name="`os.arch`", arm_value="aarch64",
            help_text=("add an `aarch64` case (HotSpot reports `aarch64` on 64-bit Arm, Linux and macOS) with the "
                       "AArch64 library or setting, or let unknown architectures take a portable path"),
        )
