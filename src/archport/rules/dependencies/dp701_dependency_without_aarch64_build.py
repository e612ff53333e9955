from __future__ import annotations

from archport.dependencies import knowledge, online, wheels
from archport.dependencies.knowledge import WITHOUT_HEAVY, WITHOUT_NONE, WITHOUT_SOURCE
from archport.model import Confidence, Impact, Severity
from archport.rule import Option, Rule
from archport.rules.dependencies._deps import MANIFEST_LANGUAGES, file_dependencies

_SEVERITY = {WITHOUT_NONE: Severity.ERROR, WITHOUT_HEAVY: Severity.WARNING, WITHOUT_SOURCE: Severity.INFO}
_CONSEQUENCE = {
    WITHOUT_NONE: "there is nothing to install on AArch64, so the install or the first use fails",
    WITHOUT_HEAVY: "pip falls back to building the source distribution, which needs {needs}",
    WITHOUT_SOURCE: "pip falls back to building the source distribution (needs a C compiler and Python headers)",
}


class DependencyWithoutAarch64Build(Rule):
    """Dependency held to a release that has no AArch64 build.

    ## What it does
    Checks for declared dependencies whose version is pinned, locked or constrained to
    releases that predate the package's first AArch64 Linux build (a manylinux aarch64 wheel,
    an npm `linux-arm64` binary package, a JNI library for aarch64 in the jar), and says which
    release is the first with one. It reads `requirements*.txt`, `pyproject.toml`,
    `setup.cfg`, `Pipfile`/`Pipfile.lock`, `poetry.lock`, `uv.lock`, the `pip:` list of
    `environment.yml`, `package.json`/`package-lock.json`, `pom.xml`, `build.gradle(.kts)`,
    Gradle version catalogs, `go.mod`, `Cargo.toml`/`Cargo.lock` and `*.csproj`/
    `packages.lock.json`. The facts come from the knowledge base shipped with archport
    (`archport/data/dependencies.json`, documented in docs/dependencies.md), from the file
    list of a lock file (`poetry.lock`, `uv.lock` list every wheel of the locked release),
    and with `--online` from the package index itself. A requirement whose environment marker
    keeps it off AArch64 (`; platform_machine == "x86_64"`) is not reported.

    ## Why is this a problem on ARM64?
    A release without an AArch64 build cannot be installed as-is on an AArch64 machine: a
    Python wheel for x86-64 only makes pip build the source distribution (which needs
    compilers and native libraries, and for some packages fails), a PyPI package without an
    sdist (torch, tensorflow) has nothing to install at all, an npm package whose platform
    binaries stop at `linux-x64` fails at run time, and a JNI jar without an aarch64 library
    throws `UnsatisfiedLinkError`. Moving to the first release with an AArch64 build (or a
    later one) is usually the whole fix.

    ## Example
    ```requirements
    numpy==1.18.5
    torch==1.7.1
    ```

    Use instead:
    ```requirements
    numpy==1.19.5
    torch==1.8.0
    ```

    ## Options
    - `online` (bool, default false): also ask the package index (set by `archport scan
      --online`; see docs/dependencies.md).

    ## Limitations
    Offline, only packages in the knowledge base are known (about a hundred with native code,
    most of them on PyPI). Version ranges are judged by their upper bounds: a range that
    allows some release with an AArch64 build is not reported even if a lock file elsewhere
    holds an older one (the lock file is reported on its own). Conda packages, Go modules and
    Rust crates are parsed but the knowledge base has no entries for them yet. Maven
    properties are resolved within the same pom only.

    ## References
    - Python wheel platform tags (manylinux): https://peps.python.org/pep-0600/
    - npm optional platform packages (`os`/`cpu`): https://docs.npmjs.com/cli/v10/configuring-npm/package-json#cpu
    - AWS Porting Advisor for Graviton (checks dependency versions too): https://github.com/aws/porting-advisor-for-graviton
    """

    code = "DP701"
    name = "dependency-without-aarch64-build"
    summary = "Dependency held to a release that has no AArch64 build"
    languages = MANIFEST_LANGUAGES
    severity = Severity.WARNING
    impact = Impact.PACKAGING
    confidence = Confidence.HIGH
    tags = ("dependencies", "packaging")
    effort_minutes = 30
    prefilter = ()
    options = {"online": Option("bool", False, "also ask the package index (archport scan --online)")}

    def check_file(self, ctx):
        deps = file_dependencies(ctx)
        if not deps:
            return
        use_online = bool(ctx.options.get("online"))
        for dep in deps:
            if dep.url:
                continue  # a direct URL: DP702 reads its platform
            lock_facts = wheels.lock_file_facts(dep) if dep.files else None
            entry = online.cached_entry(dep.ecosystem, dep.name) if use_online else None
            entry = entry or knowledge.lookup(dep.ecosystem, dep.name)
            if lock_facts is not None:
                if lock_facts.has_aarch64 or not lock_facts.has_x86_64:
                    continue  # the lock file lists an AArch64 (or pure) wheel: installable
                yield self._from_lock(ctx, dep, lock_facts, entry)
                continue
            if entry is None:
                continue
            v = knowledge.verdict(entry, dep)
            if v is not None:
                yield self._finding(ctx, dep, v)

    def _finding(self, ctx, dep, v):
        e = v.entry
        what = f"`{dep.name}`" + (f" {v.version}" if v.version else f" `{dep.spec}`" if dep.spec else "")
        if v.reason == "never":
            msg = f"{what}: no release of {dep.name} has an AArch64 Linux build ({e.artifact or 'native binary'})"
        elif v.reason == "missing":
            msg = f"{what} is one of the releases after {e.first_aarch64} published without an AArch64 Linux build"
        elif v.reason == "pinned":
            msg = f"{what} predates the first release with an AArch64 Linux build ({e.first_aarch64})"
        else:
            msg = f"{what} allows only releases older than {e.first_aarch64}, the first with an AArch64 Linux build"
        msg += ": " + _CONSEQUENCE[e.without].format(needs=e.build_needs or "compilers and native libraries")
        if v.target is None:
            help_text = f"replace {dep.name}: " + (e.replacement or "no release has an AArch64 build") + "; source: " + e.source
        elif v.reason == "missing":
            help_text = f"move to {v.target} that has AArch64 builds (see the package's file list); source: {e.source}"
        else:
            help_text = f"require {dep.name} {e.first_aarch64} or later (`>= {e.first_aarch64}`" + \
                        f" where the ecosystem allows ranges); source: {e.source}"
        if e.notes:
            help_text += f"; note: {e.notes}"
        props = {"ecosystem": dep.ecosystem, "package": dep.name, "declared": dep.spec, "installed": v.version,
                 "first_aarch64": e.first_aarch64, "reason": v.reason, "where": dep.where, "fact_from": e.origin,
                 "source": e.source}
        return ctx.finding(self, dep.start, dep.end, msg, help_text, properties=props, severity=_SEVERITY.get(e.without))

    def _from_lock(self, ctx, dep, facts, entry):
        first = entry.first_aarch64 if entry is not None else None
        msg = (f"`{dep.name}` {dep.exact} is locked, and the {dep.where} file list of that release has "
               f"x86-64 Linux wheels but no AArch64 or pure-Python wheel")
        if facts.has_sdist:
            msg += ": pip builds the source distribution on AArch64 (needs compilers and native libraries)"
            severity = Severity.WARNING
        else:
            msg += " and no source distribution: the install fails on AArch64"
            severity = Severity.ERROR
        help_text = (f"update the lock to {dep.name} {first} or later (the first release with AArch64 wheels)"
                     if first else f"update the lock to a release of {dep.name} that publishes aarch64 wheels")
        props = {"ecosystem": dep.ecosystem, "package": dep.name, "installed": dep.exact, "first_aarch64": first,
                 "reason": "locked", "where": dep.where, "fact_from": dep.where, "wheels": list(facts.x86_64)[:3]}
        return ctx.finding(self, dep.start, dep.end, msg, help_text, properties=props, severity=severity)
