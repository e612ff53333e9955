from __future__ import annotations

import re

from archport.model import Confidence, Impact, Severity
from archport.rule import Rule

# MSBuild properties are simple text elements; a regex over the comment-masked XML keeps exact
# line numbers and copes with the half-valid files found in real trees (no XML parser needed).
_ELEMENT = re.compile(r"<(RuntimeIdentifiers?|PlatformTarget)\b([^>]*)>\s*([^<]*?)\s*</\1\s*>")
_NATIVE = re.compile(r"runtimes[/\\]((?:linux|win|osx|linux-musl|alpine)-(?:x64|x86))[/\\]native\b", re.I)
_X64_RID = re.compile(r"^(?:linux|win|osx|linux-musl|alpine|ubuntu[\w.]*|debian[\w.]*|rhel[\w.]*|win10)-(?:x64|x86)$", re.I)
_ARM = re.compile(r"(?i)\barm64\b|\barm\b")
_OPEN_GROUP = re.compile(r"<(PropertyGroup|ItemGroup|Choose|When)\b([^>]*)>")


class X64OnlyRuntimeIdentifier(Rule):
    """Project that builds or ships for x64 only (`<RuntimeIdentifier>linux-x64`, `<PlatformTarget>x64`).

    ## What it does
    Checks for MSBuild project settings (`.csproj`, `.fsproj`, `.vbproj`, `.props`,
    `.targets`) that build or ship for x64 only: `<RuntimeIdentifier>`/`<RuntimeIdentifiers>`
    that list only x64/x86 RIDs
    (`linux-x64`, `win-x64`, `osx-x64`), `<PlatformTarget>x64`/`x86`, and native assets
    packed under `runtimes/<rid>-x64/native` with no `arm64` counterpart in the same file.
    Elements under a `Condition` that selects the platform or RID are not reported, nor are
    files that also name an `arm64` RID.

    ## Why is this a problem on ARM64?
    A RID-specific build carries an x64 app host and x64 native libraries: on an Arm64
    machine the app host cannot start and `DllImport` of the x64 library fails with
    `DllNotFoundException`. `PlatformTarget` `x64` ties the assembly to one processor
    instead of AnyCPU, so it is not built for an Arm64 process; a NuGet package with natives
    only under `runtimes/linux-x64/native` has nothing for `linux-arm64`.

    ## Example
    ```xml
    <Project Sdk="Microsoft.NET.Sdk">
      <PropertyGroup>
        <OutputType>Exe</OutputType>
        <RuntimeIdentifier>linux-x64</RuntimeIdentifier>
      </PropertyGroup>
    </Project>
    ```

    Use instead:
    ```xml
    <Project Sdk="Microsoft.NET.Sdk">
      <PropertyGroup>
        <OutputType>Exe</OutputType>
        <RuntimeIdentifiers>linux-x64;linux-arm64</RuntimeIdentifiers>
      </PropertyGroup>
    </Project>
    ```

    ## Limitations
    RIDs passed on the command line (`dotnet publish -r linux-x64`) are the CI rules'
    business; properties imported from other files are judged in the file that sets them.
    `<Prefer32Bit>` is left to CS702.

    ## References
    - .NET RID catalog: https://learn.microsoft.com/en-us/dotnet/core/rid-catalog
    - AWS Graviton getting started, .NET: https://github.com/aws/aws-graviton-getting-started/blob/main/dotnet.md
    """

    code = "CS701"
    name = "x64-only-runtime-identifier"
    summary = "Project that builds or ships for x64 only (`<RuntimeIdentifier>linux-x64`, `<PlatformTarget>x64`)"
    languages = frozenset({"msbuild"})
    severity = Severity.ERROR
    impact = Impact.PACKAGING
    confidence = Confidence.MEDIUM
    tags = ("packaging", "dotnet")
    effort_minutes = 20
    prefilter = (b"-x64", b"-x86", b">x64<", b">x86<", b"x64</", b"x86</")

    def check_file(self, ctx):
        masked = ctx.masked
        if _ARM.search(masked):
            return  # the project knows Arm (arm64 RIDs, an ARM64 platform)
        for m in _ELEMENT.finditer(masked):
            tag, attrs, value = m.group(1), m.group(2), m.group(3)
            if "$(" in value or self._conditional(masked, m.start(), attrs):
                continue
            if tag == "PlatformTarget":
                if value.lower() not in ("x64", "x86"):
                    continue
                msg = (f"`<PlatformTarget>{value}` ties the assembly to the {value} processor instead of AnyCPU: it is "
                       "not built to run in an Arm64 process (Windows on Arm runs it only under emulation)")
                help_ = "use `AnyCPU` (the default) unless the assembly really needs one architecture; then build an `ARM64` platform too"
            else:
                rids = [r.strip() for r in value.split(";") if r.strip()]
                if not rids or not all(_X64_RID.match(r) for r in rids):
                    continue
                msg = (f"`<{tag}>{value}` builds for x64/x86 only: the app host and native assets it produces "
                       "do not run on Arm64")
                help_ = ("add the Arm64 RIDs (`linux-arm64`, `win-arm64`, `osx-arm64`) to `<RuntimeIdentifiers>`, or leave "
                         "the RID to `dotnet publish -r`")
            start = m.start(3)
            yield ctx.finding(self, start, start + len(value), msg, help_, properties={"element": tag, "value": value})
        for m in _NATIVE.finditer(masked):
            if self._conditional(masked, m.start(), ""):
                continue
            rid = m.group(1)
            arm = rid.rsplit("-", 1)[0] + "-arm64"
            yield ctx.finding(
                self, m.start(), m.end(),
                f"native assets are packed only under `{m.group(0)}`: `DllImport` of them fails with "
                f"DllNotFoundException on {arm}",
                f"build the native library for Arm64 and pack it under `runtimes/{arm}/native` as well",
                properties={"rid": rid, "arm_rid": arm},
            )

    @staticmethod
    def _conditional(masked: str, offset: int, attrs: str) -> bool:
        """Whether the element (or the group around it) only applies to some platform or RID."""
        cond = attrs
        line_start = masked.rfind("\n", 0, offset) + 1
        cond += masked[line_start:offset]
        groups = list(_OPEN_GROUP.finditer(masked, 0, offset))
        depth_ok = [g for g in groups if masked.find(f"</{g.group(1)}", g.end(), offset) < 0]
        for g in depth_ok:
            cond += g.group(2)
        return bool(re.search(r"(?i)Condition\s*=\s*(?:\"[^\"]*|'[^']*)(?:Platform|RuntimeIdentifier|Architecture|x64|x86)", cond))
