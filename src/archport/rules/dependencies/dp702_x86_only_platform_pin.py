from __future__ import annotations

import re
from urllib.parse import unquote

from archport.dependencies import wheels
from archport.dependencies.manifests import MAVEN, NPM, NUGET, PYPI
from archport.model import Confidence, Impact, Severity
from archport.rule import Rule
from archport.rules.dependencies._deps import MANIFEST_LANGUAGES, file_dependencies

#: the x86-64 token in platform package names and classifiers, and its AArch64 counterparts
_X64_TOKEN = re.compile(r"(?<![a-z0-9])(?:x64|x86[-_]64|amd64|64)(?![a-z0-9])")
_ARM_TOKEN = re.compile(r"(?<![a-z0-9])(?:arm64|aarch[-_]?64)(?![a-z0-9])")
_LINUX = re.compile(r"linux", re.I)
_MAVEN_X64_CLASSIFIER = re.compile(r"^(?:linux|natives-linux)[-_](?:x86[-_]64|amd64|x64)(?:-fedora)?$|^linux64$", re.I)


def _family(name: str, token: re.Pattern) -> str:
    return token.sub("{arch}", name.lower())


class X86OnlyPlatformPin(Rule):
    """Dependency pinned to an x86-64 platform artefact with no AArch64 counterpart.

    ## What it does
    Checks for dependencies that name an x86-64 build explicitly and have no AArch64
    counterpart declared beside them:
    - npm lock files (`package-lock.json`, `npm-shrinkwrap.json`): an optional platform binary
      package for Linux x64 (`@esbuild/linux-x64`, `@rollup/rollup-linux-x64-gnu`,
      `@next/swc-linux-x64-gnu`) whose `linux-arm64` sibling is not in the lock;
    - pip requirements: a direct reference to a wheel whose platform tag is Linux x86-64 only
      (`torch @ https://…/torch-2.1.0+cpu-cp311-cp311-linux_x86_64.whl`);
    - Maven and Gradle: a dependency with the classifier `linux-x86_64` (netty's epoll and
      tcnative natives, `natives-linux` jars) and no `linux-aarch_64` one for the same artefact;
    - NuGet: a `*.linux-x64` runtime package without its `linux-arm64` sibling.

    ## Why is this a problem on ARM64?
    The file pins the x86-64 binary itself, so an AArch64 machine installs exactly that and
    nothing it can run. npm lock files written on an x86-64 machine by some npm versions omit
    the other platforms' optional packages; `npm ci` on AArch64 then installs no binary and
    the tool fails with "Cannot find module @rollup/rollup-linux-arm64-gnu". pip rejects a
    `linux_x86_64` wheel on AArch64 ("is not a supported wheel on this platform"), and a
    Java program with only the `linux-x86_64` natives loses epoll or OpenSSL
    (`UnsatisfiedLinkError`, or a silent fallback).

    ## Example
    ```requirements
    torch @ https://download.pytorch.org/whl/cpu/torch-2.1.0%2Bcpu-cp311-cp311-linux_x86_64.whl
    ```

    Use instead:
    ```requirements
    torch==2.1.0
    ```

    ## Limitations
    An npm lock file is judged by itself: a lock whose arm64 siblings are missing because
    `npm install --omit=optional` was used is reported the same way. Gradle dependencies
    built from variables (`"io.netty:netty-transport-native-epoll:$v:linux-x86_64"`) are
    read, classifiers chosen by `${os.detected.classifier}` are taken as portable. Wheel
    URLs guarded by an environment marker (`; platform_machine == "x86_64"`) are not reported.

    ## References
    - npm lock files missing other platforms' optional packages: https://github.com/npm/cli/issues/4828
    - Wheel platform tags: https://packaging.python.org/en/latest/specifications/platform-compatibility-tags/
    - Netty native transports (classifiers): https://netty.io/wiki/native-transports.html
    """

    code = "DP702"
    name = "x86-only-platform-pin"
    summary = "Dependency pinned to an x86-64 platform artefact with no AArch64 counterpart"
    languages = MANIFEST_LANGUAGES
    severity = Severity.ERROR
    impact = Impact.PACKAGING
    confidence = Confidence.MEDIUM
    tags = ("dependencies", "packaging")
    effort_minutes = 20
    prefilter = (b"x64", b"x86_64", b"x86-64", b"amd64", b"linux64", b"linux-64")

    def check_file(self, ctx):
        deps = file_dependencies(ctx)
        if not deps:
            return
        yield from self._npm_lock(ctx, [d for d in deps if d.ecosystem == NPM and d.locked])
        for dep in deps:
            if dep.ecosystem == PYPI and dep.url:
                yield from self._wheel_url(ctx, dep)
        yield from self._classifiers(ctx, [d for d in deps if d.ecosystem == MAVEN])
        yield from self._nuget(ctx, [d for d in deps if d.ecosystem == NUGET])

    def _npm_lock(self, ctx, deps):
        names = {d.name.lower() for d in deps}
        arm_families = {_family(n, _ARM_TOKEN) for n in names if _ARM_TOKEN.search(n)}
        for dep in deps:
            cpu = dep.extra.get("cpu")
            os_ = dep.extra.get("os")
            name = dep.name.lower()
            x64_name = bool(_X64_TOKEN.search(name)) and bool(_LINUX.search(name))
            if isinstance(cpu, list) and cpu and not any(c in ("x64", "ia32") for c in cpu):
                continue  # the name says x64 but the package is for another CPU
            if os_ and "linux" not in os_:
                continue
            if not x64_name or _family(name, _X64_TOKEN) in arm_families:
                continue
            sibling = _X64_TOKEN.sub("arm64", name, count=1)
            yield ctx.finding(
                self, dep.start, dep.end,
                f"the lock file installs `{dep.name}` {dep.exact or ''} (a Linux x64 binary) but lists no Linux arm64 "
                f"sibling such as `{sibling}`: `npm ci` on AArch64 installs no binary for it",
                "regenerate the lock with an npm that records every platform's optional packages (npm 7+: delete "
                "node_modules and package-lock.json, then `npm install`), or add the arm64 package as an optional dependency",
                properties={"package": dep.name, "version": dep.exact, "expected_sibling": sibling, "where": dep.where},
            )

    def _wheel_url(self, ctx, dep):
        fname = unquote(dep.url.split("#", 1)[0].rsplit("/", 1)[-1])
        plats = wheels.platforms(fname)
        if not plats or any(p == "any" or wheels.is_linux_aarch64(p) for p in plats):
            return
        if not any(wheels.is_linux_x86_64(p) for p in plats):
            return
        yield ctx.finding(
            self, dep.start, dep.end,
            f"`{dep.name}` is installed from the wheel `{fname}`, built for Linux x86-64 only: pip on AArch64 rejects it "
            "(not a supported wheel on this platform)",
            f"require `{dep.name}` by version from the index (which serves the aarch64 wheel), or add the aarch64 wheel URL "
            "under `; platform_machine == \"aarch64\"` and this one under `; platform_machine == \"x86_64\"`",
            properties={"package": dep.name, "wheel": fname, "platforms": sorted(plats)},
        )

    def _classifiers(self, ctx, deps):
        arm = {d.name for d in deps if d.classifier and _ARM_TOKEN.search(d.classifier.lower())}
        for dep in deps:
            c = dep.classifier
            if not c or not _MAVEN_X64_CLASSIFIER.match(c) or dep.name in arm:
                continue
            arm_classifier = "linux-aarch_64" if "natives" not in c else "natives-linux-arm64"
            yield ctx.finding(
                self, dep.start, dep.end,
                f"`{dep.name}` is declared with the classifier `{c}` only: on AArch64 its native library is missing "
                "(UnsatisfiedLinkError, or the library's pure-Java fallback)",
                f"also declare the `{arm_classifier}` classifier of {dep.name} (or choose it per machine with "
                "`${{os.detected.classifier}}` from os-maven-plugin)",
                properties={"artifact": dep.name, "classifier": c, "version": dep.spec, "replacement": arm_classifier},
                severity=Severity.WARNING,
            )

    def _nuget(self, ctx, deps):
        names = {d.name.lower() for d in deps}
        arm_families = {_family(n, _ARM_TOKEN) for n in names if _ARM_TOKEN.search(n)}
        for dep in deps:
            name = dep.name.lower()
            if ".linux-x64" not in name or _family(name, _X64_TOKEN) in arm_families:
                continue
            yield ctx.finding(
                self, dep.start, dep.end,
                f"`{dep.name}` is the Linux x64 build of a runtime package and no linux-arm64 sibling is referenced",
                f"reference `{dep.name.replace('linux-x64', 'linux-arm64')}` as well (or let the RuntimeIdentifier pick the package)",
                properties={"package": dep.name, "version": dep.spec},
            )
