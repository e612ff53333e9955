from __future__ import annotations

import re

from archport.model import Confidence, Impact, Severity
from archport.rule import Rule

_ARM64_TOO = re.compile(r"\bGOARCH\b[^\n]{0,40}\barm64\b|\bgoarch\b[^\n]{0,200}\barm64\b|\barm64\b[^\n]{0,40}\bGOARCH\b", re.I)


class GoarchAmd64Pin(Rule):
    """`GOARCH=amd64` pinned in a build script, Dockerfile or CI file.

    ## What it does
    Checks for `GOARCH=amd64` (also `GOARCH ?= amd64`, `ENV GOARCH amd64`, `GOARCH: amd64`)
    in shell scripts, Makefiles, Dockerfiles, PowerShell and CI YAML files that never set
    GOARCH to arm64. Files that build several architectures (a release matrix naming arm64
    too) are not reported.

    ## Why is this a problem on ARM64?
    Go cross-compiles by default, so on an arm64 build host or in an arm64 image
    `GOARCH=amd64 go build` still succeeds and quietly produces x86-64 binaries, which then
    fail with "exec format error" on the arm64 machine (or run slowly under emulation).

    ## Example
    ```dockerfile
    FROM golang:1.22 AS build
    ENV CGO_ENABLED=0 GOOS=linux GOARCH=amd64
    RUN go build -o /app ./cmd/app
    ```

    Use instead:
    ```dockerfile
    FROM --platform=$BUILDPLATFORM golang:1.22 AS build
    ARG TARGETARCH
    ENV CGO_ENABLED=0 GOOS=linux
    RUN GOARCH=$TARGETARCH go build -o /app ./cmd/app
    ```

    ## Limitations
    A file that names arm64 anywhere near a GOARCH setting counts as multi-architecture,
    whatever the build actually selects; values built from variables (`GOARCH=$(ARCH)`) are
    not followed.

    ## References
    - Go environment variables (GOARCH): https://pkg.go.dev/cmd/go#hdr-Environment_variables
    - Docker multi-platform builds (TARGETARCH): https://docs.docker.com/build/building/multi-platform/
    """

    code = "GO701"
    name = "goarch-amd64-pin"
    summary = "`GOARCH=amd64` pinned in a build script, Dockerfile or CI file"
    languages = frozenset({"shell", "make", "dockerfile", "yaml", "powershell"})
    severity = Severity.WARNING
    impact = Impact.PACKAGING
    confidence = Confidence.HIGH
    tags = ("build", "packaging")
    effort_minutes = 15
    prefilter = (b"GOARCH",)
    pattern = r"\bGOARCH(?:[ \t]*(?:\?=|:=|=|:)[ \t]*|[ \t]+)[\"']?amd64\b"

    def check_match(self, ctx, match):
        if _ARM64_TOO.search(ctx.masked):
            return
        yield ctx.finding(
            self,
            match.start(),
            match.end(),
            "`GOARCH` is pinned to amd64: on an arm64 host or image the go tool still cross-compiles x86-64 "
            "binaries, which fail with \"exec format error\" on arm64",
            "leave GOARCH unset (go builds for the host), or take it from the target: `GOARCH=$(go env GOARCH)`, "
            "Docker's `ARG TARGETARCH` with `GOARCH=$TARGETARCH`, or a CI matrix entry that includes arm64",
            properties={"setting": match.group(0)},
        )
