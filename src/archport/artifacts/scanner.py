"""Scanning one binary or archive file: the artifact rules (`check_artifact`) get an
ArtifactContext instead of a RuleContext. Nothing is decoded as text; findings sit at line 1
of the file and carry the facts in `properties`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from archport.artifacts.archives import (
    Archive,
    ArchiveDamaged,
    ArchiveRefused,
    Limits,
    inspect_archive,
)
from archport.artifacts.binaries import BinaryInfo, read_binary, read_static_library
from archport.artifacts.kinds import ARCHIVE, archive_format
from archport.artifacts.platforms import MemberIndex, counterpart_in_tree, system_of
from archport.fingerprint import with_fingerprints
from archport.model import Confidence, FileResult, Finding, ScanError, Severity

if TYPE_CHECKING:
    from archport.rule import Rule

#: path components of test data: an x86 binary there is usually a sample, not something shipped
TEST_DATA_DIRS = frozenset({"test", "tests", "testdata", "test-data", "test_data", "testsuite", "testcases", "fixtures",
                            "__fixtures__", "samples", "corpus", "resources-test"})
_PROBLEMS_SHOWN = 3


class ArtifactContext:
    """What an artifact rule may ask about the binary or archive it is looking at."""

    def __init__(self, abs_path: str, rel_path: str, kind: str, size: int):
        self.abs_path = abs_path
        self.path = rel_path
        self.kind = kind
        self.size = size
        #: the directory the scan's relative paths start from
        self.base = _scan_base(abs_path, rel_path)
        self.options: dict[str, Any] = {}
        self.cache: dict[str, Any] = {}
        #: (stage, message) problems to report as the file's scan errors
        self.errors: list[tuple[str, str]] = []

    @property
    def name(self) -> str:
        return os.path.basename(self.path)

    @property
    def archive_format(self) -> str | None:
        return archive_format(self.name) if self.kind == ARCHIVE else None

    @property
    def in_test_data(self) -> bool:
        return any(part.lower() in TEST_DATA_DIRS for part in self.path.split("/")[:-1])

    def binary(self) -> BinaryInfo | None:
        """The machine code in this file (ELF, PE, Mach-O, or an `ar` library of objects)."""
        if "binary" not in self.cache:
            info = None
            try:
                with open(self.abs_path, "rb") as fh:
                    info = read_static_library(fh) if fh.read(8) == b"!<arch>\n" else read_binary(fh)
            except ArchiveDamaged as exc:
                self.errors.append(("parse", f"damaged static library: {exc}"))
            except OSError as exc:
                self.errors.append(("read", f"cannot read file: {exc.strerror or exc}"))
            self.cache["binary"] = info
        return self.cache["binary"]

    def archive(self, limits: Limits = Limits()) -> Archive | None:
        """The archive's members with machine code, nested archives included, walked within
        `limits`; None (and one error) when it is refused or unreadable."""
        if "archive" not in self.cache:
            result = None
            fmt = self.archive_format
            if self.size > limits.max_archive_bytes:
                self.errors.append(("read", f"archive is {self.size / 1048576:.1f} MiB, over the "
                                            f"{limits.max_archive_bytes / 1048576:.0f} MiB limit for archives; not inspected"))
            elif fmt is not None:
                try:
                    result = inspect_archive(self.abs_path, fmt, limits)
                except ArchiveRefused as exc:
                    self.errors.append(("read", f"archive refused, not inspected: {exc}"))
                except ArchiveDamaged as exc:
                    self.errors.append(("parse", f"damaged {fmt} archive: {exc}"))
                except OSError as exc:
                    self.errors.append(("read", f"cannot read file: {exc.strerror or exc}"))
                if result is not None:
                    problems = _problems(result)
                    if problems:
                        shown = "; ".join(problems[:_PROBLEMS_SHOWN])
                        more = f" (and {len(problems) - _PROBLEMS_SHOWN} more)" if len(problems) > _PROBLEMS_SHOWN else ""
                        self.errors.append(("read", f"{len(problems)} member(s) skipped: {shown}{more}"))
            self.cache["archive"] = result
        return self.cache["archive"]

    def system(self, info: BinaryInfo) -> str:
        """The operating system of this file's code: its header, else the words of its path."""
        return system_of(self.path, info.os)

    def tree_counterpart(self) -> str | None:
        """The relative path of this file's AArch64 counterpart in the tree, if there is one."""
        if "counterpart" not in self.cache:
            self.cache["counterpart"] = counterpart_in_tree(self.base, self.path, self.cache.setdefault("_listings", {}))
        return self.cache["counterpart"]

    def finding(
        self,
        rule: type[Rule] | Rule,
        message: str,
        help: str,
        *,
        properties: dict[str, Any] | None = None,
        severity: Severity | None = None,
        confidence: Confidence | None = None,
    ) -> Finding:
        return Finding(
            code=rule.code,
            name=rule.name,
            severity=severity or rule.severity,
            impact=rule.impact,
            confidence=confidence or rule.confidence,
            path=self.path,
            line=1,
            column=1,
            end_line=1,
            end_column=1,
            start_byte=0,
            end_byte=0,
            message=message,
            help=help,
            properties={"artifact": self.kind, **(properties or {})},
        )


def x86_only_members(archive: Archive) -> list[tuple[str, BinaryInfo]]:
    """Members with Linux x86 machine code and no AArch64 counterpart, at any depth: a
    counterpart is an AArch64 binary for the same place or file name inside the same archive
    (see MemberIndex), or for a nested archive an AArch64 sibling archive. Code for Windows,
    macOS, the BSDs, Solaris or Android is left out: the targets are Linux on AArch64."""
    arm = [(p, system_of(p, info.os)) for p, info in archive.binaries if info.has_aarch64]
    index = MemberIndex(archive.names, arm)
    out = []
    for p, info in archive.binaries:
        system = system_of(p, info.os)
        if info.is_x86_only and system == "linux" and not index.binary_counterpart(p, system):
            out.append((_join(archive.path, p), info))
    for child in archive.children:
        inner = x86_only_members(child)
        if inner and not index.archive_counterpart(child.path.rsplit("!/", 1)[-1]):
            out.extend(inner)
    return out


def scan_artifact(rules: list[Rule], options: dict[str, dict[str, Any]], abs_path: str, rel_path: str, kind: str) -> FileResult:
    result = FileResult(rel_path)
    try:
        size = os.stat(abs_path).st_size
    except OSError as exc:
        result.errors.append(ScanError(rel_path, "read", f"cannot read file: {exc.strerror or exc}"))
        result.scanned = False
        return result
    ctx = ArtifactContext(abs_path, rel_path, kind, size)
    findings: list[Finding] = []
    for rule in rules:
        try:
            ctx.options = options.get(rule.code, {})
            findings.extend(rule.check_artifact(ctx))
        except Exception as exc:  # a rule bug must not stop the scan
            result.errors.append(ScanError(rel_path, "rule", f"{rule.code} failed: {type(exc).__name__}: {exc}"))
    seen = set()
    for stage, message in ctx.errors:
        if message not in seen:
            seen.add(message)
            result.errors.append(ScanError(rel_path, stage, message))
    if kind != ARCHIVE and "binary" in ctx.cache and ctx.cache["binary"] is None and not ctx.errors:
        # not machine code after all (a linker script named .so, a Git LFS pointer): pass over it
        result.scanned = result.considered = False
    elif kind == ARCHIVE and "archive" in ctx.cache and ctx.cache["archive"] is None:
        result.scanned = False  # refused or unreadable: the error says why
    result.findings = with_fingerprints(findings, None)
    return result


def _problems(archive: Archive) -> list[str]:
    out = list(archive.problems)
    for child in archive.children:
        out.extend(_problems(child))
    return out


def _join(path: str, name: str) -> str:
    return f"{path}!/{name}" if path else name


def _scan_base(abs_path: str, rel_path: str) -> Path:
    abs_posix = abs_path.replace(os.sep, "/")
    if rel_path and abs_posix.endswith("/" + rel_path):
        return Path(abs_posix[: -len(rel_path) - 1])
    return Path(os.path.dirname(abs_path))
