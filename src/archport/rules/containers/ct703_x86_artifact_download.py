from __future__ import annotations

import re

from archport.model import Confidence, Impact, Severity
from archport.rule import Rule
from archport.rules.containers._common import (
    X86_TOKEN,
    arch_guarded,
    arm_variant,
    logical_line,
    region_at,
    script_regions,
)

# a word: delimited by blanks, quotes and shell operators (`${VERSION}` stays inside)
_DELIM = " \t\n\"'`;|&()<>,[]"
_URL_START = re.compile(r"[A-Za-z][\w+.-]*://")
_ARCHIVE = re.compile(
    r"(?i)\.(?:tar\.(?:gz|xz|bz2|zst|lz4)|tgz|txz|tbz2?|zip|7z|deb|rpm|apk|run|bin|appimage|exe|msi|whl|gz|xz|bz2|zst"
    r"|jar|nupkg|vsix|tar|sh|dmg|pkg)$"
)
_VERB = re.compile(
    r"(?i)(?<![\w-])(?:curl|wget|aria2c|axel|invoke-webrequest|invoke-restmethod|iwr|irm|start-bitstransfer|downloadfile"
    r"|urlretrieve|urlopen|requests|httpx|download\w*|tar|unzip|bsdtar|7za?|expand-archive|dpkg|rpm|apt-get|apt|yum|dnf"
    r"|zypper|msiexec|gdebi|installer|chmod|install|mv|ln|ADD|gh|extract\w*|unpack\w*|tarfile|zipfile|sh|bash|source)(?![\w-])"
    r"|(?<![\w.])\./"
)
_PY_DOWNLOAD = re.compile(
    r"\b(?:urlretrieve|urlopen|urllib|requests\.|httpx|download\w*|wget|curl|tarfile|zipfile|unpack_archive|subprocess)\b"
)
_WHEEL_PLATFORM = re.compile(r"(?:many|musl)linux\w*_(?:x86_64|i686)|linux_x86_64|win_amd64|win32")
_PIP = re.compile(r"\bpip[\d.]*\b[^\n]*--platform|--platform[^\n]*\bpip[\d.]*\b|\buv\s+pip\b")

_HOW_TO_SELECT = {
    "dockerfile": "`ARG TARGETARCH` (amd64/arm64) or `$(uname -m)` (x86_64/aarch64)",
    "yaml": "`${{ runner.arch }}` (X64/ARM64) or `$(uname -m)` (x86_64/aarch64)",
    "python": "`platform.machine()` ('x86_64'/'aarch64')",
    "powershell": "`$env:PROCESSOR_ARCHITECTURE` (AMD64/ARM64)",
}


class X86ArtifactDownload(Rule):
    """Download or unpacking of an x86-64 build by URL or file name.

    ## What it does
    Checks for URLs and archive or installer file names that name an x86 build
    (`x86_64`, `x86-64`, `amd64`, `x64`, `i686`, `win64`, `linux64`) in commands that fetch
    or unpack them: `curl`, `wget`, `ADD`, `tar`, `unzip`, `dpkg -i`, `Invoke-WebRequest`,
    `urlretrieve`, … in Dockerfile `RUN`/`ADD`/`ARG`/`ENV`, CI `run:`/`script:` steps, shell,
    PowerShell and Python scripts and Jenkinsfiles, and `pip download --platform
    manylinux…_x86_64`. Not reported: lines that choose the build at run time (`${TARGETARCH}`,
    `$(uname -m)`, `$(dpkg --print-architecture)`, an `ARCH` variable, `${{ runner.arch }}`,
    `platform.machine()`), `case`/`if` branches on the architecture that have an aarch64/arm64
    branch, CI steps whose `if:` tests the architecture or picks matrix entries, and lines next
    to an arm64 alternative. In CI files only jobs that can run on arm64 (an arm64 runner or
    matrix entry) are looked at: what an x86-64-only job downloads matches its runner, and
    CT601 reports the missing arm64 job. Analysis-only CI files (CodeQL, Coverity, linters)
    are skipped.

    ## Why is this a problem on ARM64?
    An x86-64 executable or library cannot run on AArch64: the build or the container fails
    with "exec format error" (or "cannot execute binary file"), or runs only under QEMU
    emulation, and an amd64 `.deb` is refused by dpkg ("package architecture (amd64) does not
    match system (arm64)").

    ## Example
    ```dockerfile
    FROM ubuntu:22.04
    RUN curl -fsSLo /usr/local/bin/kubectl https://dl.k8s.io/release/v1.30.0/bin/linux/amd64/kubectl
    ```

    Use instead:
    ```dockerfile
    FROM ubuntu:22.04
    ARG TARGETARCH
    RUN curl -fsSLo /usr/local/bin/kubectl https://dl.k8s.io/release/v1.30.0/bin/linux/${TARGETARCH}/kubectl
    ```

    ## Limitations
    The arm64 name in the help (x86_64 → aarch64, amd64 → arm64, x64 → arm64) is the usual
    convention, not checked against the project's releases: some projects name their arm64
    build differently (`arm64` where x86 is `x86_64`) or publish none. A URL assembled from
    pieces on different lines, or an `ARCH=amd64` assignment used later, is not followed.

    ## References
    - Docker multi-platform builds, `TARGETARCH`: https://docs.docker.com/build/building/multi-platform/
    - Debian multiarch: https://wiki.debian.org/Multiarch/HOWTO
    """

    code = "CT703"
    name = "x86-artifact-download"
    summary = "Download or unpacking of an x86-64 build by URL or file name"
    languages = frozenset({"dockerfile", "yaml", "shell", "groovy", "powershell", "python"})
    severity = Severity.WARNING
    impact = Impact.BUILD_BREAK
    confidence = Confidence.MEDIUM
    tags = ("containers", "ci", "scripts")
    effort_minutes = 20
    prefilter = (b"x86_64", b"x86-64", b"amd64", b"x64", b"i686", b"win64", b"linux64")

    def check_file(self, ctx):
        regions = script_regions(ctx)
        if not regions:
            return
        masked = ctx.masked
        python = ctx.language == "python"
        if python and not _PY_DOWNLOAD.search(masked):
            return
        cont = "`" if ctx.language == "powershell" else "\\"
        seen: set[tuple[int, str]] = set()
        for m in X86_TOKEN.finditer(masked):
            region = region_at(regions, m.start())
            if region is None or region.instruction == "COPY":
                continue
            wstart, wend = m.start(), m.end()
            while wstart > region.start and masked[wstart - 1] not in _DELIM:
                wstart -= 1
            while wend < region.end and masked[wend] not in _DELIM:
                wend += 1
            word = masked[wstart:wend]
            url = _URL_START.search(word)
            tok = m.start() - wstart
            if url is not None and url.start() <= tok:
                host_end = word.find("/", url.end())
                if host_end < 0 or tok < host_end:
                    continue  # the token is in the host name
                word, wstart, tok, kind = word[url.start() :], wstart + url.start(), tok - url.start(), "url"
            else:
                eq = word.rfind("=", 0, tok)
                if eq >= 0:
                    word, wstart, tok = word[eq + 1 :], wstart + eq + 1, tok - eq - 1
                kind = "file" if _ARCHIVE.search(word.rstrip("/")) else None
            line = logical_line(masked, m.start(), region.start, region.end, cont)
            text_line = masked[line[0] : line[1]]
            if kind is None:
                if _WHEEL_PLATFORM.fullmatch(word) and _PIP.search(text_line):
                    kind = "wheel"
                else:
                    continue
            elif kind == "file" and not (python or _VERB.search(text_line)):
                continue
            if python and kind == "file" and not _PY_DOWNLOAD.search(masked):
                continue
            name = word.rstrip("/").rsplit("/", 1)[-1].split("?", 1)[0] or word
            if (region.start, name) in seen or (line[0], "") in seen:
                continue
            if arch_guarded(ctx, region, m.start(), line):
                continue
            seen.add((region.start, name))
            seen.add((line[0], ""))
            yield self._finding(ctx, m, word, wstart, tok, kind, name)

    def _finding(self, ctx, m, word, wstart, tok, kind, name):
        token = m.group(1)
        select = _HOW_TO_SELECT.get(ctx.language, "`$(uname -m)` (x86_64/aarch64) or `$(dpkg --print-architecture)` (amd64/arm64)")
        props = {"artifact": name, "x86_name": token, "kind": kind}
        if kind == "wheel":
            arm = word.replace("x86_64", "aarch64").replace("win_amd64", "win_arm64")
            props["suggested"] = arm
            return ctx.finding(
                self,
                wstart,
                wstart + len(word),
                f"pip is told to fetch `{word}` wheels: x86-64 binaries that an arm64 Python cannot load",
                f"use `--platform {arm}` for arm64 (or let pip pick the host's platform by leaving out `--platform`)",
                properties=props,
            )
        arm_word = arm_variant(word, tok, tok + len(token))
        arm_name = arm_word.rstrip("/").rsplit("/", 1)[-1].split("?", 1)[0] if arm_word else None
        what = "downloads" if kind == "url" else "fetches or unpacks"
        message = (
            f"{what} the x86 ({token}) build `{name}`; on arm64 it fails with 'exec format error' "
            "or runs only under emulation"
        )
        if arm_name and arm_name == name and arm_word:
            arm_name = arm_word  # the architecture is a directory of the URL (`…/linux/arm64/kubectl`)
        if arm_name and arm_name != name:
            props["suggested"] = arm_name
            help_ = (
                f"fetch the arm64 build instead, selected by {select}; by the usual naming it is "
                f"`{arm_name}` (check that the project publishes it)"
            )
        else:
            help_ = f"fetch an arm64 build if the project publishes one, selected by {select}, or build from source"
        return ctx.finding(self, wstart, wstart + len(word), message, help_, properties=props)
