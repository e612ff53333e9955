from __future__ import annotations

import re

from archport.model import Confidence, Impact, Severity
from archport.rule import Rule
from archport.rules import _arch_gate

_READ = re.compile(r"\b(?:ProcessArchitecture|OSArchitecture)\b")


class ProcessArchitectureCheckWithoutArm64(Rule):
    """`RuntimeInformation.ProcessArchitecture` check that knows x64/x86 but not Arm64.

    ## What it does
    Checks for decisions on `RuntimeInformation.ProcessArchitecture` or `OSArchitecture`
    (directly or through a local or field that holds it) — `if`/`else if` chains, `switch`
    statements and expressions, `?:` — that compare against `Architecture.X64`/`X86` and
    send every other architecture to a `throw` (`PlatformNotSupportedException`), to
    `Environment.Exit`, to an x64 value (an `x64` folder, a `win-x64` RID), or — for a
    `switch` expression without a `_` arm — to a `SwitchExpressionException`. A method that
    names `Architecture.Arm64`/`Arm` (or an `arm64` string) anywhere is taken as handling
    Arm.

    ## Why is this a problem on ARM64?
    On Arm64 .NET reports `Architecture.Arm64`. Code that only lists x64 and x86 throws,
    exits or loads the x64 native library, which fails with `DllNotFoundException` or
    `BadImageFormatException` in an Arm64 process.

    ## Example
    ```csharp
    static string NativeFolder() =>
        RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => "x64",
            Architecture.X86 => "x86",
            _ => throw new PlatformNotSupportedException(),
        };
    ```

    Use instead:
    ```csharp
    static string NativeFolder() =>
        RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => "x64",
            Architecture.X86 => "x86",
            Architecture.Arm64 => "arm64",
            _ => throw new PlatformNotSupportedException(),
        };
    ```

    ## Limitations
    The value is followed into one level of locals and fields in the same file; a boolean
    derived from it (`bool isX64 = … == Architecture.X64`) and `Environment.Is64BitProcess`
    are not followed. A lone `if` on x64 without an `else` is taken as an optional special
    case and not reported.

    ## References
    - `RuntimeInformation.ProcessArchitecture`: https://learn.microsoft.com/en-us/dotnet/api/system.runtime.interopservices.runtimeinformation.processarchitecture
    - `Architecture` enum: https://learn.microsoft.com/en-us/dotnet/api/system.runtime.interopservices.architecture
    """

    code = "CS601"
    name = "process-architecture-check-without-arm64"
    summary = "`RuntimeInformation.ProcessArchitecture` check that knows x64/x86 but not Arm64"
    languages = frozenset({"csharp"})
    severity = Severity.ERROR
    impact = Impact.RUNTIME_TRAP
    confidence = Confidence.MEDIUM
    tags = ("detection",)
    effort_minutes = 20
    prefilter = (b"ProcessArchitecture", b"OSArchitecture")

    def check_file(self, ctx):
        matches = list(_READ.finditer(ctx.masked))
        if not matches:
            return
        gates = _arch_gate.ArchGates(ctx, _arch_gate.CSHARP)
        reads = []
        for m in matches:
            node = gates.node_at(m.start(), m.end())
            if node is None or node.type != "identifier":
                continue
            parent = node.parent
            if parent is not None and parent.type == "member_access_expression" and parent.child_by_field_name("name") == node:
                node = parent
            elif parent is not None and parent.type in ("variable_declarator", "property_declaration", "method_declaration"):
                continue  # a declaration of that name, not a read
            reads.append(node)
        yield from _arch_gate.gate_findings(
            self, ctx, _arch_gate.CSHARP, reads, value_name="`ProcessArchitecture`", arm_value="Architecture.Arm64",
            help_text=("add an `Architecture.Arm64` case with the Arm64 value (the `arm64` native folder, the "
                       "`linux-arm64`/`win-arm64`/`osx-arm64` RID), or let other architectures take a portable path"),
        )
