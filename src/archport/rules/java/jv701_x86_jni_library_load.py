from __future__ import annotations

import re

from archport.model import Confidence, Impact, Severity
from archport.rule import Rule
from archport.rules import _arch_gate

_LOAD = re.compile(
    r"\b(?:System|Runtime\s*\.\s*getRuntime\s*\(\s*\)|Native|NativeLibrary)\s*\.\s*(load|loadLibrary|getInstance)\s*\("
)
_CONSTANT = r"\b{}\s*=\s*\"([^\"\n]*)\"\s*;"


class X86JniLibraryLoad(Rule):
    """Native library loaded by a name or path that says x86.

    ## What it does
    Checks for `System.loadLibrary`, `System.load`, `Runtime.getRuntime().load…` and JNA
    `Native.load`/`NativeLibrary.getInstance` calls whose string arguments (or a string
    constant of the same file passed to them) carry an x86 architecture word:
    `jni-x86_64`, `linux-amd64/libfoo.so`, `foo_x64`, `win32-x86`. A call in a method that
    also names `aarch64`/`arm64` is taken as choosing by architecture and is not reported.

    ## Why is this a problem on ARM64?
    A JVM on AArch64 can only map AArch64 shared objects. Loading the x86 build fails with
    `UnsatisfiedLinkError` ("cannot open shared object file", or "wrong ELF class" /
    "mach-o file, but is an incompatible architecture"), usually at class initialisation, so
    the failure surfaces far from the cause.

    ## Example
    ```java
    class Codec {
        static {
            System.load("/opt/codec/lib/linux-x86_64/libcodec.so");
        }
    }
    ```

    Use instead:
    ```java
    class Codec {
        static {
            String arch = System.getProperty("os.arch").equals("aarch64") ? "linux-aarch64" : "linux-x86_64";
            System.load("/opt/codec/lib/" + arch + "/libcodec.so");
        }
    }
    ```

    ## Limitations
    Names built at run time from other methods, system properties or resources are not
    followed; JNI libraries extracted from JARs are the dependency rules' business (an x86-only
    JAR is not seen here). Kotlin files are not read.

    ## References
    - `System.loadLibrary`: https://docs.oracle.com/en/java/javase/21/docs/api/java.base/java/lang/System.html#loadLibrary(java.lang.String)
    - AWS Graviton getting started, Java (JNI libraries): https://github.com/aws/aws-graviton-getting-started/blob/main/java.md
    """

    code = "JV701"
    name = "x86-jni-library-load"
    summary = "Native library loaded by a name or path that says x86"
    languages = frozenset({"java"})
    severity = Severity.ERROR
    impact = Impact.RUNTIME_TRAP
    confidence = Confidence.MEDIUM
    tags = ("jni", "packaging")
    effort_minutes = 30
    prefilter = (b"load(", b"loadLibrary(", b"getInstance(", b"load (")
    pattern = _LOAD.pattern

    def check_match(self, ctx, match):
        close = ctx.matching_paren(match.end() - 1, limit=2000)
        if close < 0:
            return
        values = list(ctx.source.string_literals(match.end(), close))
        for ident in re.findall(r"\b([A-Z_][A-Z0-9_]*)\b", ctx.masked[match.end() : close]):
            const = re.search(_CONSTANT.format(re.escape(ident)), ctx.text)
            if const:
                values.append(const.group(1))
        marked = [(v, w) for v in values if (w := _arch_gate.x86_marker(v))]
        if not marked or any(_arch_gate.has_arm_token(v) for v in values):
            return
        gates = _arch_gate.ArchGates(ctx, _arch_gate.JAVA)
        node = gates.node_at(match.start(), match.end())
        if node is not None and gates.names_arm(node):
            return
        value, word = marked[0]
        yield ctx.finding(
            self, match.start(), close,
            f"`{match.group(1)}` of `{value}`, a library named for x86 (`{word}`): an AArch64 JVM cannot load it "
            "and throws UnsatisfiedLinkError",
            "build the library for AArch64 too and choose the file by `System.getProperty(\"os.arch\")` "
            "(`aarch64` on 64-bit Arm), e.g. `linux-aarch64/` beside `linux-x86_64/`",
            properties={"library": value, "x86_word": word, "call": match.group(1)},
        )
