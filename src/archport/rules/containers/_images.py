"""Container image references: parsing (`ubuntu:22.04`, `localhost:5000/a/b:1@sha256:…`) and
the small table of images that publish no arm64 build.

The table is deliberately short. Most images people build on (ubuntu, debian, alpine, python,
node, golang, postgres, redis, nginx, …) are multi-arch and are never reported; an image that
is not listed here, and whose name or tag does not itself name an x86 architecture, is not
reported either. Each entry says where the fact comes from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from archport.rules.containers._common import arm_variant

_DOCKER_HUB = ("docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com")


@dataclass(frozen=True)
class ImageRef:
    text: str
    registry: str  # "docker.io" when none is given
    repository: str  # docker.io official images as "library/<name>"
    tag: str  # "latest" when none is given
    digest: str | None

    @property
    def short(self) -> str:
        """The repository as people write it (`mysql`, `intel/oneapi-basekit`, `quay.io/x/y`)."""
        repo = self.repository[8:] if self.registry == "docker.io" and self.repository.startswith("library/") else self.repository
        return repo if self.registry == "docker.io" else f"{self.registry}/{repo}"


_REF_CHARS = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/:@+-]*\Z")


def parse_image(text: str) -> ImageRef | None:
    """The parts of an image reference, or None for anything that is not a literal reference
    (variables such as `${BASE}`, `scratch`, stage names are the caller's business)."""
    text = text.strip().strip("'\"")
    if not text or "$" in text or "{" in text or not _REF_CHARS.match(text):
        return None
    digest = None
    if "@" in text:
        text_part, digest = text.split("@", 1)
        if not digest:
            return None
    else:
        text_part = text
    # a tag is after the last ':' that comes after the last '/' (`host:5000/x` has a port)
    slash = text_part.rfind("/")
    colon = text_part.rfind(":")
    if colon > slash:
        name, tag = text_part[:colon], text_part[colon + 1 :]
        if not tag:
            return None
    else:
        name, tag = text_part, "latest"
    parts = name.split("/")
    if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        registry, repo = parts[0].lower(), "/".join(parts[1:])
    else:
        registry, repo = "docker.io", name
    if registry in _DOCKER_HUB:
        registry = "docker.io"
    if not repo or any(not p for p in repo.split("/")):
        return None
    if registry == "docker.io" and "/" not in repo:
        repo = "library/" + repo
    return ImageRef(text, registry, repo.lower(), tag, digest)


@dataclass(frozen=True)
class AmdOnlyImage:
    registry: str
    repository: re.Pattern  # full match on ImageRef.repository
    tag: re.Pattern | None  # full match on the tag; None: every tag
    what: str
    instead: str
    source: str


def _e(registry: str, repository: str, tag: str | None, what: str, instead: str, source: str) -> AmdOnlyImage:
    return AmdOnlyImage(registry, re.compile(repository), re.compile(tag) if tag else None, what, instead, source)


_OFFICIAL_IMAGES = "docker-library/official-images, library/{} (history: every entry for these tags lists `Architectures: amd64` or none, which means amd64)"

AMD64_ONLY_IMAGES: tuple[AmdOnlyImage, ...] = (
    _e(
        "docker.io", r"library/mysql", r"5(?:[.-].*)?|.*-(?:debian|bullseye|buster|stretch|jessie)",
        "the official MySQL 5.x and Debian-based MySQL images were published for amd64 only",
        "use mysql:8.0 or later (the Oracle Linux based tags publish amd64 and arm64v8) or mariadb",
        _OFFICIAL_IMAGES.format("mysql"),
    ),
    _e(
        "docker.io", r"library/centos", r"(?:centos)?[56](?:\.\d+)*",
        "the official CentOS 5 and 6 images were published for amd64 and i386 only",
        "move to an EL base that publishes arm64v8 images, e.g. rockylinux or almalinux",
        _OFFICIAL_IMAGES.format("centos"),
    ),
    _e(
        "mcr.microsoft.com", r"mssql/server|mssql/rhel/server", None,
        "SQL Server container images are published for linux/amd64 only",
        "run SQL Server on an x86-64 node, or test against a database that publishes arm64 images",
        "microsoft/mssql-docker issue #864 (arm64 request, open); no arm64 image is published",
    ),
    _e(
        "docker.io", r"microsoft/mssql-server-linux", None,
        "the old SQL Server on Linux image is published for amd64 only",
        "run SQL Server on an x86-64 node, or test against a database that publishes arm64 images",
        "microsoft/mssql-docker issue #864",
    ),
    _e(
        "docker.io", r"intel/oneapi(?:-[a-z0-9-]+)?", None,
        "Intel oneAPI toolkit images are published for amd64 only (the toolkits are x86-64 only)",
        "build on a multi-arch base image with GCC/Clang (or Arm Compiler for Linux) and an arm64 BLAS/FFT library",
        "intel/oneapi-containers issue #46: no plans for arm64 containers; the oneAPI toolkits are amd64 only",
    ),
    _e(
        "docker.io", r"selenium/(?:standalone|node)-(?:chrome|edge)", None,
        "the Selenium Chrome and Edge images are amd64 only (no Linux/arm64 Chrome or Edge build is packaged)",
        "use selenium/standalone-chromium or selenium/node-chromium (multi-arch), or the Firefox images",
        "SeleniumHQ/docker-selenium README, multi-arch section: Chrome and Edge images only for AMD64",
    ),
)

#: an architecture named in an image's repository or tag
_X86_NAME = re.compile(r"(?i)(?<![a-z0-9])(x86[_-]64|amd64|x64|i386|i686)(?![a-z0-9])")
_ARCH_NAMESPACES = {"amd64": "arm64v8", "winamd64": None, "i386": "arm64v8"}


@dataclass(frozen=True)
class Amd64OnlyVerdict:
    what: str
    instead: str
    source: str
    kind: str  # "table" or "name"


def amd64_only(ref: ImageRef) -> Amd64OnlyVerdict | None:
    """Why this image has no arm64 build, or None when nothing says so."""
    for entry in AMD64_ONLY_IMAGES:
        if entry.registry == ref.registry and entry.repository.fullmatch(ref.repository):
            if entry.tag is None or entry.tag.fullmatch(ref.tag):
                return Amd64OnlyVerdict(entry.what, entry.instead, entry.source, "table")
    first, _, rest = ref.repository.partition("/")
    if ref.registry == "docker.io" and first in _ARCH_NAMESPACES and rest:
        arm = _ARCH_NAMESPACES[first]
        instead = f"use `{rest}` (the multi-arch official image)" + (f" or `{arm}/{rest}`" if arm else "")
        return Amd64OnlyVerdict(
            f"`{first}/` is Docker Hub's per-architecture namespace: it holds only the {first} build",
            instead,
            "docker-library/official-images README, 'Architectures other than amd64?'",
            "name",
        )
    last = ref.repository.rsplit("/", 1)[-1]
    for where, value in (("name", last), ("tag", ref.tag)):
        m = _X86_NAME.search(value)
        if m:
            token = m.group(1)
            swapped = arm_variant(value, m.start(1), m.end(1))
            if swapped is not None:
                instead = f"use the multi-arch {where} if there is one, or the arm64 build (likely `{swapped}`)"
            else:
                instead = f"use the multi-arch {where} if there is one, or an arm64 build"
            return Amd64OnlyVerdict(
                f"the image {where} `{value}` selects an x86 ({token}) build", instead, "the image reference itself", "name"
            )
    return None
