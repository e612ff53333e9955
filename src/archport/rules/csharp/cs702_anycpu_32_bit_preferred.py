from __future__ import annotations

import re

from archport.model import Confidence, Impact, Severity
from archport.rule import Rule
from archport.rules.csharp.cs701_x64_only_runtime_identifier import X64OnlyRuntimeIdentifier

_PREFER = re.compile(r"<Prefer32Bit\b([^>]*)>\s*([^<]*?)\s*</Prefer32Bit\s*>", re.I)
_OUTPUT = re.compile(r"<OutputType\b[^>]*>\s*([^<]*?)\s*</OutputType\s*>", re.I)
_FRAMEWORKS = re.compile(r"<TargetFrameworks?\b[^>]*>\s*([^<]*?)\s*</TargetFrameworks?\s*>", re.I)
_FX_VERSION = re.compile(r"<TargetFrameworkVersion\b", re.I)
#: .NET Framework monikers (net45, net472, net48, net481); the modern ones are net5.0 and later
_NETFX = re.compile(r"^net[1-4]\d*$", re.I)


class AnyCpu32BitPreferred(Rule):
    """`<Prefer32Bit>true` runs an AnyCPU .NET Framework executable as a 32-bit process.

    ## What it does
    Checks for `<Prefer32Bit>true</Prefer32Bit>` in MSBuild files (`.csproj`, `.vbproj`,
    `.fsproj`, `.props`, `.targets`) that build, or may build, a .NET Framework executable.
    Not reported: `false`, a value computed from a property (`$(...)`), an element under a
    `Condition` on the platform or architecture, a project whose `<OutputType>` is `Library`,
    and a project whose target frameworks are all .NET Core / .NET 5 or later.

    ## Why is this a problem on ARM64?
    `Prefer32Bit` compiles the executable as `anycpu32bitpreferred`: it runs in 32-bit mode on
    every system that supports both 64-bit and 32-bit applications, which is a .NET Framework
    4.5+ option for executables. On Windows on Arm64 such an app therefore runs as a 32-bit
    x86 process under emulation instead of natively, with a 32-bit address space; .NET
    Framework 4.8.1 can run it as a native Arm64 process once the 32-bit preference is
    gone and an Arm64 platform is chosen.

    ## Example
    ```xml
    <Project>
      <PropertyGroup>
        <OutputType>WinExe</OutputType>
        <TargetFrameworkVersion>v4.8</TargetFrameworkVersion>
        <PlatformTarget>AnyCPU</PlatformTarget>
        <Prefer32Bit>true</Prefer32Bit>
      </PropertyGroup>
    </Project>
    ```

    Use instead:
    ```xml
    <Project>
      <PropertyGroup>
        <OutputType>WinExe</OutputType>
        <TargetFrameworkVersion>v4.8.1</TargetFrameworkVersion>
        <PlatformTarget>AnyCPU</PlatformTarget>
        <Prefer32Bit>false</Prefer32Bit>
      </PropertyGroup>
    </Project>
    ```

    ## Limitations
    The project's platform is not resolved: a `Prefer32Bit` in a project whose only platform is
    `x86` changes nothing and is still reported. Properties set in imported files are judged
    in the file that sets them. Whether a 32-bit-only native dependency is the reason for the
    setting is not known to the rule.

    ## References
    - C# compiler option `/platform` (anycpu32bitpreferred): https://learn.microsoft.com/en-us/previous-versions/visualstudio/visual-studio-2013/zekwfyz4(v=vs.120)
    - .NET behaviour on Windows 11 Arm64: https://github.com/dotnet/core/issues/7709
    """

    code = "CS702"
    name = "anycpu-32-bit-preferred"
    summary = "`<Prefer32Bit>true` runs an AnyCPU .NET Framework executable as a 32-bit process"
    languages = frozenset({"msbuild"})
    severity = Severity.WARNING
    impact = Impact.PERFORMANCE
    confidence = Confidence.MEDIUM
    tags = ("packaging", "dotnet", "windows")
    effort_minutes = 10
    prefilter = (b"Prefer32Bit", b"prefer32bit", b"PREFER32BIT")

    def check_file(self, ctx):
        masked = ctx.masked
        matches = [m for m in _PREFER.finditer(masked) if m.group(2).lower() == "true"]
        if not matches:
            return
        output = _OUTPUT.search(masked)
        if output is not None and output.group(1).lower() == "library":
            return  # the preference applies to executables only
        if not _FX_VERSION.search(masked):
            frameworks = [f.strip() for m in _FRAMEWORKS.finditer(masked) for f in m.group(1).split(";") if f.strip()]
            if frameworks and not any(_NETFX.match(f) or "$(" in f for f in frameworks):
                return  # .NET Core / .NET 5+ only: a .NET Framework option
        for m in matches:
            if X64OnlyRuntimeIdentifier._conditional(masked, m.start(), m.group(1)):
                continue
            start = m.start(2)
            yield ctx.finding(
                self, start, start + len(m.group(2)),
                "`<Prefer32Bit>true` compiles the executable as `anycpu32bitpreferred`: it runs as a 32-bit process "
                "wherever 32-bit apps are supported, so on Windows on Arm64 it runs as emulated x86 instead of natively",
                "set `<Prefer32Bit>false</Prefer32Bit>` (or remove it) unless a 32-bit-only native dependency needs it; "
                "for a native Arm64 process target .NET Framework 4.8.1 and build an `ARM64` platform",
                properties={"element": "Prefer32Bit", "value": m.group(2)},
            )
