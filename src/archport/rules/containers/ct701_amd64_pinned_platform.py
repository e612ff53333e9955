from __future__ import annotations

import re

import yaml

from archport.model import Confidence, Impact, Severity
from archport.rule import Rule
from archport.rules.containers._common import (
    amd64_only_platform,
    cached_instructions,
    from_parts,
    load_yaml,
    logical_line,
    mapping_get,
    region_at,
    scalar,
    script_regions,
    walk_pairs,
)

# `--platform linux/amd64` of a container command; the value is checked by amd64_only_platform
_PLATFORM_FLAG = re.compile(r"--platforms?(?:=|[ \t]+)(\"[^\"\n]*\"|'[^'\n]*'|[^\s;&|)]+)")
_CONTAINER_TOOL = re.compile(r"\b(?:docker|podman|buildah|nerdctl|buildx|skopeo|crane|kaniko|executor)\b")
_DEFAULT_PLATFORM = re.compile(r"\bDOCKER_DEFAULT_PLATFORM\s*[=:]\s*[\"']?([^\s\"';]+)")
# another platform pin in the same file that includes arm64: per-arch stages, build both
_ARM_PLATFORM = re.compile(r"(?i)(?:platforms?\s*[=:]|--platforms?[= \t])[^\n]*(?:arm64|aarch64)")
_K8S_ARCH_KEYS = ("kubernetes.io/arch", "beta.kubernetes.io/arch")


class Amd64PinnedPlatform(Rule):
    """Container build, run or scheduling pinned to linux/amd64.

    ## What it does
    Checks for a constant amd64 platform: `FROM --platform=linux/amd64` in Dockerfiles,
    `platform: linux/amd64` in compose files, `platforms: linux/amd64` in CI build steps
    (e.g. `docker/build-push-action`), `docker build|run|pull --platform linux/amd64` in
    Dockerfile RUN steps, CI scripts, shell scripts and Jenkinsfiles, `DOCKER_DEFAULT_PLATFORM=
    linux/amd64`, and Kubernetes `nodeSelector`/`nodeAffinity` on `kubernetes.io/arch: amd64`.
    Platform lists that include arm64 and variables such as `$BUILDPLATFORM` or `$TARGETPLATFORM`
    are not reported, nor is a pin in a file that also pins arm64 (per-architecture stages).

    ## Why is this a problem on ARM64?
    A constant platform forces the amd64 image everywhere. On an arm64 host Docker then runs
    it under QEMU emulation when binfmt handlers are installed (many times slower, and it
    hides native behaviour), or fails with "exec format error" when they are not; a multi-arch
    build with a constant `--platform` produces amd64 content in every variant. Pods pinned to
    `kubernetes.io/arch: amd64` never schedule on arm64 nodes.

    ## Example
    ```dockerfile
    FROM --platform=linux/amd64 ubuntu:22.04
    ```

    Use instead:
    ```dockerfile
    FROM ubuntu:22.04
    ```

    ## Limitations
    Only literal values are judged; a platform passed through a variable set elsewhere is not
    followed. A deliberate amd64 pin (an image that is only run on x86-64 nodes) is reported
    too: suppress it with a comment saying why.

    ## References
    - Docker build check FromPlatformFlagConstDisallowed: https://docs.docker.com/reference/build-checks/from-platform-flag-const-disallowed/
    - Multi-platform builds: https://docs.docker.com/build/building/multi-platform/
    - hadolint DL3029: https://github.com/hadolint/hadolint/wiki/DL3029
    """

    code = "CT701"
    name = "amd64-pinned-platform"
    summary = "Container build, run or scheduling pinned to linux/amd64"
    languages = frozenset({"dockerfile", "yaml", "shell", "groovy", "powershell"})
    severity = Severity.WARNING
    impact = Impact.PACKAGING
    confidence = Confidence.HIGH
    tags = ("containers", "ci")
    effort_minutes = 30
    prefilter = (b"amd64", b"x86_64", b"x86-64")

    def check_file(self, ctx):
        if _ARM_PLATFORM.search(ctx.masked):
            return
        if ctx.language == "dockerfile":
            yield from self._dockerfile(ctx)
        elif ctx.language == "yaml":
            yield from self._yaml(ctx)
        yield from self._scripts(ctx)

    # -- Dockerfile FROM --------------------------------------------------------------------

    def _dockerfile(self, ctx):
        for ins in cached_instructions(ctx):
            if ins.keyword != "FROM":
                continue
            flags, image, _ = from_parts(ctx.masked, ins)
            if "platform" not in flags:
                continue
            value, at = flags["platform"]
            if not amd64_only_platform(value):
                continue
            digest = image is not None and "@sha256:" in image[0]
            help_ = (
                "drop the constant `--platform` (or use `--platform=$BUILDPLATFORM` for a stage that only "
                "prepares files for the target), and build for both with `docker buildx build "
                "--platform linux/amd64,linux/arm64`"
            )
            if digest:
                help_ += (
                    "; the digest may name the amd64 manifest: pin the multi-arch index digest instead "
                    "(`docker buildx imagetools inspect IMAGE:TAG` shows it)"
                )
            yield ctx.finding(
                self,
                at,
                at + len(value),
                f"`FROM --platform={value}` forces the amd64 base image; on an arm64 host the stage runs "
                "under emulation or fails with 'exec format error'",
                help_,
                properties={"platform": value, "context": "FROM", "digest_pinned": digest},
            )

    # -- compose, CI, Kubernetes ---------------------------------------------------------------

    def _yaml(self, ctx):
        yf = load_yaml(ctx)
        for doc in yf.docs:
            for key, value, owner in walk_pairs(doc):
                k = key.value
                if k in ("platform", "platforms") and self._container_platform(yf, k, owner):
                    texts = [scalar(value)] if scalar(value) is not None else [
                        scalar(v) for v in getattr(value, "value", []) if isinstance(v, yaml.ScalarNode)
                    ]
                    text = ",".join(t for t in texts if t)
                    if text and amd64_only_platform(text):
                        where = "compose service" if yf.kind == "compose" else "build step"
                        yield ctx.finding(
                            self,
                            value.start_mark.index,
                            value.end_mark.index,
                            f"`{k}: {text}` pins this {where} to amd64; on arm64 hosts it runs under emulation "
                            "or fails with 'exec format error'",
                            "remove the pin (images are pulled for the host's architecture), or list both: "
                            "`linux/amd64,linux/arm64`",
                            properties={"platform": text, "context": k},
                        )
                elif k == "DOCKER_DEFAULT_PLATFORM" and amd64_only_platform(scalar(value) or ""):
                    yield self._default_platform(ctx, value.start_mark.index, scalar(value))
                elif k in _K8S_ARCH_KEYS and (scalar(value) or "") == "amd64":
                    yield self._k8s(ctx, value.start_mark.index, value.end_mark.index)
                elif k == "key" and scalar(value) in _K8S_ARCH_KEYS:
                    values = mapping_get(owner, "values")
                    op = scalar(mapping_get(owner, "operator")) or ""
                    items = [scalar(v) for v in getattr(values, "value", [])]
                    if op == "In" and items and all(i in ("amd64",) for i in items):
                        yield self._k8s(ctx, values.start_mark.index, values.end_mark.index)

    @staticmethod
    def _container_platform(yf, key, owner) -> bool:
        """`platform:` of a compose service, `platforms:` of a compose build or of a docker
        build step's inputs (other tools use the word too: Cygwin, matrices)."""
        keys = {k.value for k, _ in owner.value if isinstance(k, yaml.ScalarNode)}
        if key == "platform":
            return "image" in keys or yf.kind == "compose" and "build" in keys
        return yf.kind == "compose" or bool(keys & {"context", "push", "tags", "file", "load", "targets", "builder", "outputs"})

    def _k8s(self, ctx, start, end):
        return ctx.finding(
            self,
            start,
            end,
            "the workload is restricted to `kubernetes.io/arch: amd64` nodes; it never schedules on arm64 nodes",
            "publish a multi-arch image and allow `arm64` too (`values: [amd64, arm64]`), or drop the selector",
            properties={"platform": "amd64", "context": "kubernetes"},
        )

    def _default_platform(self, ctx, at, value):
        return ctx.finding(
            self,
            at,
            at + len(value),
            f"`DOCKER_DEFAULT_PLATFORM={value}` makes every build and run use amd64 images; on arm64 they run "
            "under emulation or fail with 'exec format error'",
            "unset DOCKER_DEFAULT_PLATFORM so the host's architecture is used, or pass `--platform` per build",
            properties={"platform": value, "context": "DOCKER_DEFAULT_PLATFORM"},
        )

    # -- commands ---------------------------------------------------------------------------

    def _scripts(self, ctx):
        masked = ctx.masked
        regions = script_regions(ctx)
        if not regions:
            return
        for m in _PLATFORM_FLAG.finditer(masked):
            region = region_at(regions, m.start())
            if region is None or region.instruction == "FROM":
                continue
            value = m.group(1).strip("'\"")
            if not amd64_only_platform(value):
                continue
            line = logical_line(masked, m.start(), region.start, region.end)
            if not _CONTAINER_TOOL.search(masked, line[0], line[1]):
                continue
            yield ctx.finding(
                self,
                m.start(1),
                m.end(1),
                f"`--platform {value}` pins this container command to amd64; on arm64 hosts the image is "
                "emulated or fails with 'exec format error'",
                "leave out `--platform` (the host's architecture is used), or build both with "
                "`docker buildx build --platform linux/amd64,linux/arm64`",
                properties={"platform": value, "context": "command"},
            )
        for m in _DEFAULT_PLATFORM.finditer(masked):
            if region_at(regions, m.start()) is not None and amd64_only_platform(m.group(1)):
                yield self._default_platform(ctx, m.start(1), m.group(1))
