from __future__ import annotations

import re

import yaml

from archport.model import Confidence, Impact, Severity
from archport.rule import Rule
from archport.rules.containers._common import (
    ARM_WORD,
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
from archport.rules.containers._images import amd64_only, parse_image

_COPY_FROM = re.compile(r"--from=([^\s]+)")
_GROOVY_IMAGE = re.compile(r"""\b(?:image\s*\(?\s*|docker\.image\(\s*)(["'])([^"'\n]+)\1""")
_RUN_IMAGE = re.compile(r"\b(?:docker|podman|nerdctl)\s+(?:container\s+|image\s+)?(?:run|pull|create)\b")
_WORD = re.compile(r"[^\s\"'`;&|()]+")


class Amd64OnlyBaseImage(Rule):
    """Container image that is published for amd64 only.

    ## What it does
    Checks for images with no arm64 build: in `FROM` and `COPY --from=` of Dockerfiles,
    `image:` of compose files, Kubernetes manifests and CI files (GitLab `image:`/`services:`,
    GitHub Actions `container:`/`services:`, CircleCI `docker:`), Jenkinsfile `image '…'`, and
    `docker run|pull` in scripts. An image is reported when its name or tag itself selects an
    x86 build (`amd64/ubuntu`, `quay.io/pypa/manylinux2014_x86_64`, `foo:1.2-amd64`) or when
    it is in a small table of images known to publish amd64 only
    (`archport/rules/containers/_images.py`, each entry with its source): MySQL 5.x and the
    Debian-based MySQL tags, CentOS 5 and 6, SQL Server (`mcr.microsoft.com/mssql/server`),
    Intel oneAPI (`intel/oneapi-*`), and the Selenium Chrome and Edge images. Multi-arch
    images such as ubuntu, debian, alpine, python, node or golang are never reported.

    ## Why is this a problem on ARM64?
    An arm64 build of the image does not exist, so on an arm64 host the pull either fails
    ("no matching manifest for linux/arm64/v8") or Docker runs the amd64 image under QEMU
    emulation (slow; "exec format error" where no emulator is registered), and everything
    built on top of it is amd64 too.

    ## Example
    ```dockerfile
    FROM mysql:5.7
    ```

    Use instead:
    ```dockerfile
    FROM mysql:8.4
    ```

    ## Limitations
    The table is short and offline: an image that dropped or gained arm64 since it was written
    is judged by the table, and images not in it are not reported. Digests (`image@sha256:…`)
    are not checked: whether a digest names a single-arch manifest or a multi-arch index cannot
    be known offline. Per-architecture image names are not reported when the same file also
    names an arm64 variant (per-architecture stages selected with `$TARGETARCH`).

    ## References
    - Docker Official Images, architectures other than amd64: https://github.com/docker-library/official-images#architectures-other-than-amd64
    - Multi-platform images: https://docs.docker.com/build/building/multi-platform/
    - docker-selenium multi-arch images: https://github.com/SeleniumHQ/docker-selenium
    """

    code = "CT702"
    name = "amd64-only-base-image"
    summary = "Container image that is published for amd64 only"
    languages = frozenset({"dockerfile", "yaml", "shell", "groovy"})
    severity = Severity.WARNING
    impact = Impact.BUILD_BREAK
    confidence = Confidence.HIGH
    tags = ("containers",)
    effort_minutes = 60
    prefilter = (
        b"amd64", b"x86_64", b"x86-64", b"x64", b"i386", b"i686",
        b"mysql", b"centos", b"mssql", b"oneapi", b"selenium",
    )

    def check_file(self, ctx):
        if ctx.language == "dockerfile":
            yield from self._dockerfile(ctx)
        elif ctx.language == "yaml":
            yield from self._yaml(ctx)
        elif ctx.language == "groovy":
            for m in _GROOVY_IMAGE.finditer(ctx.masked):
                yield from self._judge(ctx, m.group(2), m.start(2))
        if ctx.language != "dockerfile":
            yield from self._commands(ctx)

    def _judge(self, ctx, text, at, *, stages=()):
        ref = parse_image(text)
        if ref is None or ref.repository.rsplit("/", 1)[-1] in stages or text in stages:
            return
        verdict = amd64_only(ref)
        if verdict is None:
            return
        if verdict.kind == "name" and self._names_arm_variant(ctx):
            return
        yield ctx.finding(
            self,
            at,
            at + len(text),
            f"`{text}` has no arm64 build: {verdict.what}; on arm64 the pull fails or the image runs under emulation",
            verdict.instead,
            properties={"image": ref.short, "tag": ref.tag, "basis": verdict.kind, "source": verdict.source},
        )

    @staticmethod
    def _names_arm_variant(ctx) -> bool:
        """The file also names an arm64 image or stage (per-architecture variants)."""
        got = ctx.cache.get("ct702.arm")
        if got is None:
            got = ctx.cache["ct702.arm"] = any(
                ARM_WORD.search(line) for line in ctx.masked.splitlines() if re.search(r"(?i)\b(?:FROM|image)\b", line)
            )
        return got

    def _dockerfile(self, ctx):
        stages: set[str] = set()
        for ins in cached_instructions(ctx):
            if ins.keyword == "FROM":
                flags, image, stage = from_parts(ctx.masked, ins)
                if image is not None and image[0].lower() != "scratch":
                    pinned = "platform" in flags and amd64_only_platform(flags["platform"][0])
                    if not pinned:  # CT701 reports the pin; the image follows from it
                        yield from self._judge(ctx, image[0], image[1], stages=stages)
                if stage:
                    stages.add(stage)
            elif ins.keyword == "COPY":
                m = _COPY_FROM.search(ctx.masked, ins.args, ins.end)
                if m and ("/" in m.group(1) or ":" in m.group(1)):
                    yield from self._judge(ctx, m.group(1), m.start(1), stages=stages)

    def _yaml(self, ctx):
        yf = load_yaml(ctx)
        if yf.kind == "other":  # `image:` of an unknown YAML dialect may name a VM image
            return
        for doc in yf.docs:
            for key, value, _ in walk_pairs(doc):
                if key.value == "image" or (key.value == "container" and yf.kind == "github-actions"):
                    node = value
                    if isinstance(node, yaml.MappingNode):  # GitLab `image: {name: …}`
                        node = mapping_get(node, "name")
                    text = scalar(node)
                    if text and node.style in (None, "", "'", '"'):
                        at = node.start_mark.index + (1 if node.style in ("'", '"') else 0)
                        yield from self._judge(ctx, text, at)

    def _commands(self, ctx):
        masked = ctx.masked
        regions = script_regions(ctx)
        for m in _RUN_IMAGE.finditer(masked):
            region = region_at(regions, m.start())
            if region is None:
                continue
            lo, hi = logical_line(masked, m.start(), region.start, region.end)
            for w in _WORD.finditer(masked, m.end(), hi):
                word = w.group()
                if word.startswith("-") or "=" in word or "/" not in word and ":" not in word:
                    continue
                ref = parse_image(word)
                if ref is not None and amd64_only(ref) is not None:
                    yield from self._judge(ctx, word, w.start())
                    break
