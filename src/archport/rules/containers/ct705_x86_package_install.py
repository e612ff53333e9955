from __future__ import annotations

import re

from archport.model import Confidence, Impact, Severity
from archport.rule import Rule
from archport.rules.containers._common import arch_guarded, logical_line, region_at, script_regions

_SPECS = re.compile(
    r"(?P<deb>(?<![\w.$/-])[a-z0-9][a-z0-9+.-]*:(?P<debarch>amd64|i386)(?![\w-]))"
    r"|(?P<add>--add-architecture[ \t]+(?P<addarch>amd64|i386)\b)"
    r"|(?P<src>\[[^\]\n]*?\barch=(?P<srcarch>[\w,]+)[^\]\n]*\])"
    r"|(?P<rpm>(?<![\w.$/-])[a-zA-Z0-9][\w+.-]*\.(?P<rpmarch>x86_64|i686)(?![\w.-]))"
)
_APT_INSTALL = re.compile(r"\b(?:apt-get|apt|aptitude)\b[^\n]*?\binstall\b")
_SEPARATOR = re.compile(r"&&|\|\||[;|]")


def _command(masked: str, offset: int, line: tuple[int, int]) -> str:
    """The simple command around `offset` (between `&&`, `||`, `;`, `|`)."""
    start = line[0]
    for sep in _SEPARATOR.finditer(masked, line[0], offset):
        start = sep.end()
    end = _SEPARATOR.search(masked, offset, line[1])
    return masked[start : end.start() if end else line[1]]


_RPM_TOOL = re.compile(r"\b(?:yum|dnf|zypper|microdnf|tdnf)\b")
_DEB_LINE = re.compile(r"\bdeb(?:-src)?\b|\.list\b|sources\.list|\.sources\b")


class X86PackageInstall(Rule):
    """Package installation pinned to the amd64 (or i386) architecture.

    ## What it does
    Checks for Debian/Ubuntu package specs with an x86 architecture qualifier
    (`apt-get install libfoo1:amd64`), `dpkg --add-architecture amd64|i386`, APT sources
    restricted to x86 (`deb [arch=amd64] https://…`), and RPM package names with an x86 arch
    suffix (`dnf install foo.x86_64`) in Dockerfile `RUN` steps, CI scripts, shell scripts and
    Jenkinsfiles. In CI files only jobs that can run on arm64 are looked at, and only amd64
    (i386 there is usually a deliberate 32-bit test job). Lines that take the architecture from `dpkg --print-architecture`,
    `$TARGETARCH` or another arch variable, and branches on the architecture with an arm64
    alternative, are not reported.

    ## Why is this a problem on ARM64?
    On an arm64 system apt only installs `:amd64` packages after amd64 was added as a foreign
    architecture, and then they are x86 binaries that arm64 programs cannot load; an APT source
    limited to `arch=amd64` is ignored on arm64, so its packages are "not found"; dnf refuses
    a `.x86_64` package on aarch64.

    ## Example
    ```dockerfile
    FROM ubuntu:22.04
    RUN apt-get update && apt-get install -y libssl3:amd64
    ```

    Use instead:
    ```dockerfile
    FROM ubuntu:22.04
    RUN apt-get update && apt-get install -y libssl3
    ```

    ## Limitations
    Package lists read from files (`xargs apt-get install < packages.txt`) are not read.

    ## References
    - Debian multiarch HOWTO: https://wiki.debian.org/Multiarch/HOWTO
    - sources.list `arch=` option: https://manpages.debian.org/sources.list
    """

    code = "CT705"
    name = "x86-package-install"
    summary = "Package installation pinned to the amd64 (or i386) architecture"
    languages = frozenset({"dockerfile", "yaml", "shell", "groovy"})
    severity = Severity.WARNING
    impact = Impact.BUILD_BREAK
    confidence = Confidence.HIGH
    tags = ("containers", "scripts")
    effort_minutes = 15
    prefilter = (b":amd64", b":i386", b"arch=", b"add-architecture", b".x86_64", b".i686")

    def check_file(self, ctx):
        regions = script_regions(ctx)
        if not regions:
            return
        masked = ctx.masked
        ci = ctx.language == "yaml"
        seen: set[int] = set()
        for m in _SPECS.finditer(masked):
            region = region_at(regions, m.start())
            if region is None:
                continue
            line = logical_line(masked, m.start(), region.start, region.end)
            text = masked[line[0] : line[1]]
            kind = m.lastgroup
            if line[0] in seen:
                continue
            if m.group("deb"):
                arch, what = m.group("debarch"), f"the {m.group('debarch')} package `{m.group('deb')}`"
                if not _APT_INSTALL.search(_command(masked, m.start(), line)):
                    continue
                help_ = (
                    f"drop the `:{arch}` qualifier (apt then installs the native arm64 package), or write "
                    "`:$(dpkg --print-architecture)`"
                )
            elif m.group("add"):
                arch, what = m.group("addarch"), f"`dpkg --add-architecture {m.group('addarch')}`"
                help_ = "drop it on arm64 (only needed for x86 foreign packages), or add `armhf` where 32-bit packages are wanted"
            elif m.group("src"):
                archs = m.group("srcarch").split(",")
                if "arm64" in archs or not any(a in ("amd64", "i386") for a in archs) or not _DEB_LINE.search(text):
                    continue
                arch, what = archs[0], f"the APT source limited to `arch={m.group('srcarch')}`"
                help_ = "write `arch=$(dpkg --print-architecture)` (or list arm64 too) if the repository publishes arm64 packages"
                if re.search(r"(?:archive|security)\.ubuntu\.com", text):
                    help_ = "Ubuntu serves arm64 packages from ports.ubuntu.com/ubuntu-ports: add that source with `arch=arm64`"
            else:
                arch, what = m.group("rpmarch"), f"the {m.group('rpmarch')} package `{m.group('rpm')}`"
                if not _RPM_TOOL.search(text) or m.group("rpm").endswith(".rpm"):
                    continue
                base = m.group("rpm")[: -len(arch) - 1]
                help_ = f"drop the `.{arch}` suffix (`{base}`) so the native aarch64 package is installed"
            if ci and arch == "i386" or ci and arch == "i686":
                continue
            if arch_guarded(ctx, region, m.start(), line):
                continue
            seen.add(line[0])
            yield ctx.finding(
                self,
                m.start(kind),
                m.end(kind),
                f"installs or enables {what}; on arm64 these are x86 binaries that arm64 programs cannot "
                "load, or the packages are not found",
                help_,
                properties={"spec": m.group(kind), "arch": arch},
            )
