from __future__ import annotations

import posixpath
import re

from archport.artifacts.archives import Limits, MiB
from archport.artifacts.binaries import X86_ONLY_LIBRARY_PREFIXES
from archport.artifacts.platforms import X86_WORD, arm_spelling, wheel_tags
from archport.artifacts.scanner import x86_only_members
from archport.model import Confidence, Impact, Severity
from archport.rule import Option, Rule
from archport.rules.binaries._describe import (
    MEMBERS_LISTED,
    isa_note,
    isa_words,
    library_words,
    listed,
    machines,
    x86_only_libraries,
)

_DEFAULTS = Limits()


class X86OnlyArchive(Rule):
    """Archive whose machine code is x86 only, with no AArch64 counterpart inside or beside it.

    ## What it does
    Checks for wheels, JARs (`.jar`, `.war`, `.ear`, `.aar`), NuGet packages, zip files,
    tarballs (`.tar`, `.tar.gz`/`.tgz`, `.tar.xz`, `.tar.bz2`, `.tar.zst`, npm package
    tarballs), Debian packages and RPMs whose members include Linux x86 or x86-64 machine code
    (ELF executables, libraries and objects, static libraries), looking inside without
    extracting to disk and into archives nested in them. An x86 member is fine when the archive
    also holds its AArch64 counterpart for the same operating system: an AArch64 binary of the
    same file name, or at the same path under AArch64 words
    (`native/linux-x86_64/libfoo.so` and `native/linux-aarch64/libfoo.so`,
    `libnetty_…_x86_64.so` and `libnetty_…_aarch_64.so`, `runtimes/linux-x64/native/` and
    `runtimes/linux-arm64/native/`, `jni/x86_64/` and `jni/arm64-v8a/`). The archive is fine
    when an AArch64 sibling lies beside it: a wheel of the same package and Python with an
    aarch64 (or a pure `any`) platform tag, or a file named the same with an AArch64 word
    (`foo_1.0_arm64.deb` for `foo_1.0_amd64.deb`, `esbuild-linux-arm64-0.20.2.tgz` for
    `esbuild-linux-x64-0.20.2.tgz`). One finding per archive lists its x86 members. Archives
    that hit a limit (size, nesting, member count, compression ratio) are not reported on;
    the scan records one error for each.

    ## Why is this a problem on ARM64?
    The package installs on AArch64 but its native code cannot load there: a JNI library
    fails with `UnsatisfiedLinkError`, a Python extension module fails to import, a .NET
    native dependency throws `DllNotFoundException`, an npm or tarball executable will not run
    ("Exec format error"), and dpkg refuses an amd64 `.deb` on an arm64 system. The port needs
    the AArch64 build of the package, or a rebuild from source.

    ## Example
    ```text
    libs/netty-transport-native-epoll-4.1.100.jar
        META-INF/native/libnetty_transport_native_epoll_x86_64.so    ELF x86-64
    ```

    Use instead:
    ```text
    libs/netty-transport-native-epoll-4.1.100.jar
        META-INF/native/libnetty_transport_native_epoll_x86_64.so    ELF x86-64
        META-INF/native/libnetty_transport_native_epoll_aarch_64.so  ELF aarch64
    ```

    ## Options
    - `max-archive-mib` (default 512): archives bigger than this are not opened (one error).
    - `max-depth` (default 4): how deep archives nested in archives are followed.
    - `max-members` (default 100000): members looked at per archive, nested ones included.
    - `max-member-mib` (default 256): the most of one member held in memory (a nested zip, a
      binary read for its needed libraries); a bigger binary is judged by its header alone.
    - `max-total-mib` (default 2048): bytes decompressed per archive, nested ones included.
    - `max-ratio` (default 200): a member or stream that inflates more than this many times
      its compressed size (past 32 MiB) is taken for a compression bomb.

    ## Limitations
    Counterparts are found by name: an AArch64 build published under another name, or fetched
    at install time (npm optional dependencies, `pip install` on the Arm machine), is not
    seen; list the archive under `per-file-ignores` when the port gets it elsewhere. Only
    members whose names binaries have (`.so`, `.dll`, names without an extension, files under
    `bin/`) are read, so machine code under another name inside an archive is missed.
    Windows, macOS, BSD, Solaris and Android code (PE, Mach-O, or a path naming the system) is
    read but never reported: archport's targets are Linux on AArch64.

    ## References
    - [PEP 427: the wheel file name and platform tag](https://peps.python.org/pep-0427/)
    - [NuGet: runtime-specific native assets (`runtimes/<rid>/native`)](https://learn.microsoft.com/en-us/nuget/create-packages/supporting-multiple-target-frameworks#architecture-specific-folders)
    - [Netty: native transports and their classifiers](https://netty.io/wiki/native-transports.html)
    """

    code = "BN702"
    name = "x86-only-archive"
    summary = "Wheel, JAR, package or tarball with x86-only machine code and no AArch64 counterpart"
    languages = frozenset({"archive"})
    severity = Severity.WARNING
    impact = Impact.PACKAGING
    confidence = Confidence.HIGH
    tags = ("binaries", "packages", "archives")
    effort_minutes = 45
    options = {
        "max-archive-mib": Option("int", _DEFAULTS.max_archive_bytes // MiB, "archives bigger than this are not opened", minimum=1),
        "max-depth": Option("int", _DEFAULTS.max_depth, "how deep nested archives are followed", minimum=0),
        "max-members": Option("int", _DEFAULTS.max_members, "members looked at per archive", minimum=1),
        "max-member-mib": Option("int", _DEFAULTS.max_member_bytes // MiB, "the most of one member held in memory", minimum=1),
        "max-total-mib": Option("int", _DEFAULTS.max_total_bytes // MiB, "bytes decompressed per archive", minimum=1),
        "max-ratio": Option("int", _DEFAULTS.max_ratio, "compression ratio taken for a bomb", minimum=2),
    }

    def check_artifact(self, ctx):
        o = ctx.options
        limits = Limits(
            max_archive_bytes=o.get("max-archive-mib", 512) * MiB,
            max_depth=o.get("max-depth", _DEFAULTS.max_depth),
            max_members=o.get("max-members", _DEFAULTS.max_members),
            max_member_bytes=o.get("max-member-mib", 256) * MiB,
            max_total_bytes=o.get("max-total-mib", 2048) * MiB,
            max_ratio=o.get("max-ratio", _DEFAULTS.max_ratio),
        )
        archive = ctx.archive(limits)
        if archive is None:
            return
        members = x86_only_members(archive)
        if not members or ctx.tree_counterpart() is not None:
            return
        paths = [p for p, _ in members]
        infos = [i for _, i in members]
        kind = _kind(ctx.name)
        isa = isa_note(infos)
        libs = x86_only_libraries(infos)
        message = (
            f"{kind} `{ctx.name}` holds x86 machine code with no AArch64 counterpart inside or beside it: "
            f"{len(paths)} member{'s' if len(paths) != 1 else ''} ({listed(paths)}){isa_words(isa)}{library_words(libs)}"
        )
        if ctx.in_test_data:
            message += " (it sits in a test-data directory: it may be a sample rather than a dependency)"
        properties = {
            "archive": kind,
            "x86_members": paths[:MEMBERS_LISTED],
            "x86_member_count": len(paths),
            "machines": machines(infos),
        }
        if libs:
            properties["x86_only_libraries"] = libs
        if isa:
            properties["x86_isa_needed"] = isa
        help_text, suggested = _advice(ctx.name, kind, paths)
        intel = sorted({posixpath.basename(p) for p in paths if posixpath.basename(p).startswith(X86_ONLY_LIBRARY_PREFIXES)} | set(libs))
        if intel:
            help_text = (
                f"it ships or links Intel libraries that have no AArch64 build ({', '.join(intel[:3])}): replace the "
                "dependency on AArch64 (e.g. OpenBLAS or Arm Performance Libraries for MKL, SLEEF for SVML)"
            )
        if suggested:
            properties["suggested_counterpart"] = suggested
        yield ctx.finding(
            self, message, help_text, properties=properties, confidence=Confidence.LOW if ctx.in_test_data else None,
        )


def _kind(name: str) -> str:
    low = name.lower()
    for suffix, kind in ((".whl", "wheel"), (".jar", "JAR"), (".war", "WAR"), (".ear", "EAR"), (".aar", "Android archive"),
                         (".apk", "Android package"), (".nupkg", "NuGet package"), (".deb", "Debian package"), (".udeb", "Debian package"),
                         (".ipk", "package"), (".rpm", "RPM package"), (".gem", "gem"), (".egg", "egg"), (".zip", "zip archive")):
        if low.endswith(suffix):
            return kind
    return "tarball"


def _advice(name: str, kind: str, paths: list[str]) -> tuple[str, str | None]:
    """What to do, and the AArch64 sibling's usual name when the x86 one names its architecture."""
    suggested = arm_spelling(name) if X86_WORD.search(name) else None
    if kind == "wheel":
        tags = wheel_tags(name)
        if tags is not None:
            dist, version = name.split("-")[0], name.split("-")[1]
            python = next((p for p in sorted(tags[1]) if re.fullmatch(r"cp3\d+", p)), None)
            pin = f" --python-version 3.{python[3:]}" if python else ""
            return (
                f"fetch the aarch64 wheel into the same directory (`pip download --only-binary=:all: --platform "
                f"manylinux2014_aarch64{pin} {dist}=={version}`), or build the wheel from source on an Arm machine",
                None,
            )
    if kind in ("JAR", "WAR", "EAR"):
        return (
            "use a release of the library that bundles linux-aarch64 natives, or add its AArch64 native artifact "
            "(e.g. the `linux-aarch_64` classifier) beside it; or rebuild the JNI library for AArch64",
            suggested,
        )
    if kind == "NuGet package":
        return ("use a package version that ships `runtimes/linux-arm64/native/` assets, or add the package's "
                "linux-arm64 runtime package", suggested)
    if kind == "Debian package":
        return ("install the arm64 build of the package (`apt-get install <name>:arm64` or the `_arm64.deb`), "
                "or rebuild it from its source package on arm64", suggested)
    if kind == "RPM package":
        return "install the aarch64 build of the package (the `.aarch64.rpm`), or rebuild it from its source RPM", suggested
    if suggested:
        return (f"fetch the AArch64 build (by the usual naming, `{suggested}`), put it beside this one and pick one per "
                "architecture (`uname -m`)"), suggested
    return "fetch or build the AArch64 build of these binaries and ship it beside the x86 ones (or pick one per architecture)", None
