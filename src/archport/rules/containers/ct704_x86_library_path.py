from __future__ import annotations

import re

from archport.model import Confidence, Impact, Severity
from archport.rule import Rule
from archport.rules.containers._common import (
    CI_KINDS,
    Region,
    arch_guarded,
    arm_capable_spans,
    load_yaml,
    logical_line,
    region_at,
    script_regions,
)

_PATH = re.compile(r"(?<![\w.$-])/(?:usr/)?(?:local/)?(?:lib|lib64|include|libexec)/((?:x86_64|i386|i686)-linux-gnu)(?![\w-])")

_HOW = {
    "python": "`sysconfig.get_config_var('MULTIARCH')` (Debian and Ubuntu Pythons)",
    "powershell": "`dpkg-architecture -qDEB_HOST_MULTIARCH`",
}


class X86LibraryPath(Rule):
    """Hard-coded x86-64 Debian multiarch library or include directory.

    ## What it does
    Checks for `/usr/lib/x86_64-linux-gnu`, `/lib/x86_64-linux-gnu`,
    `/usr/include/x86_64-linux-gnu` (and the `i386-linux-gnu` ones) written into Dockerfiles,
    compose and CI files, shell, PowerShell and Python scripts and Jenkinsfiles. Not reported
    when the same line also names the aarch64 directory, or the path sits in a `case`/`if`
    branch on the architecture that has an aarch64/arm64 branch. In CI files only jobs that can
    run on arm64 are looked at (an x86-64 job may name x86 paths).

    ## Why is this a problem on ARM64?
    Debian and Ubuntu put libraries in a directory named by the multiarch triplet; on arm64
    it is `/usr/lib/aarch64-linux-gnu` and the x86-64 directory does not exist. Copies,
    symlinks, `LD_LIBRARY_PATH` entries and `-L` flags naming it fail or silently find
    nothing, and mounting host libraries from it breaks.

    ## Example
    ```dockerfile
    FROM debian:12
    ENV LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/mylib
    ```

    Use instead:
    ```dockerfile
    FROM debian:12
    RUN ln -s "/usr/lib/$(gcc -print-multiarch)/mylib" /opt/mylib
    ENV LD_LIBRARY_PATH=/opt/mylib
    ```

    ## Limitations
    Build files (Makefiles, CMake) are left to the build-system rules. A path built from pieces
    (`/usr/lib/$TRIPLET`) with `TRIPLET=x86_64-linux-gnu` set elsewhere is not followed.

    ## References
    - Debian multiarch: https://wiki.debian.org/Multiarch/Implementation
    - `dpkg-architecture(1)`: https://manpages.debian.org/dpkg-architecture
    """

    code = "CT704"
    name = "x86-library-path"
    summary = "Hard-coded x86-64 Debian multiarch library or include directory"
    languages = frozenset({"dockerfile", "yaml", "shell", "groovy", "powershell", "python"})
    severity = Severity.WARNING
    impact = Impact.BUILD_BREAK
    confidence = Confidence.HIGH
    tags = ("containers", "scripts")
    effort_minutes = 15
    prefilter = (b"x86_64-linux-gnu", b"i386-linux-gnu", b"i686-linux-gnu")

    def check_file(self, ctx):
        masked = ctx.masked
        regions = script_regions(ctx) if ctx.language == "yaml" else []
        flavour = "shell" if ctx.language in ("dockerfile", "shell", "groovy") else "other"
        whole = Region(0, len(masked), flavour)
        seen_lines: set[int] = set()
        ci_spans = None
        if ctx.language == "yaml":
            yf = load_yaml(ctx)
            if yf.kind in CI_KINDS:  # a CI job on x86-64 runners may name x86 paths
                ci_spans = arm_capable_spans(ctx, yf)
        for m in _PATH.finditer(masked):
            if ci_spans is not None and (m.group(1) != "x86_64-linux-gnu" or not any(a <= m.start() < b for a, b in ci_spans)):
                continue  # i386 paths in CI belong to deliberate 32-bit x86 jobs
            region = region_at(regions, m.start()) or whole
            if ctx.language == "dockerfile":
                region = whole
            cont = "`" if ctx.language == "powershell" else "\\"
            line = logical_line(masked, m.start(), region.start, region.end, cont)
            if line[0] in seen_lines or arch_guarded(ctx, region, m.start(), line):
                continue
            seen_lines.add(line[0])
            triplet = m.group(1)
            arm = "aarch64-linux-gnu"
            how = _HOW.get(ctx.language, "`$(gcc -print-multiarch)` or `$(dpkg-architecture -qDEB_HOST_MULTIARCH)`")
            yield ctx.finding(
                self,
                m.start(),
                m.end(),
                f"`{m.group()}` is the {triplet.split('-')[0]} multiarch directory; on arm64 Debian/Ubuntu "
                f"it is `{m.group().replace(triplet, arm)}` and this path does not exist",
                f"compute the triplet with {how} ({arm} on arm64), or name both directories",
                properties={"path": m.group(), "triplet": triplet, "arm64_triplet": arm},
            )
