from __future__ import annotations

import re

import yaml

from archport.model import Confidence, Impact, Severity
from archport.rule import Rule
from archport.rules.containers._common import load_yaml, mapping_get, scalar, step_is_arch_conditional, walk_pairs

#: steps whose `architecture:` input picks the toolchain's CPU architecture
_SETUP = re.compile(
    r"(?i)^(?:actions/setup-(?:python|node|java|dotnet|go)|[\w.-]+/setup-(?:python|node|java|dotnet|go|graalvm)|"
    r"UsePythonVersion@\d+|NodeTool@\d+|JavaToolInstaller@\d+|UseDotNet@\d+|GoTool@\d+)"
)
_X64 = re.compile(r"(?i)x64|amd64|x86_64|x86")


class CiX64ArchitecturePin(Rule):
    """CI toolchain setup step pinned to the x64 architecture.

    ## What it does
    Checks for `architecture: x64` (or `x86`, `amd64`) in the inputs of toolchain setup steps:
    GitHub Actions `actions/setup-python`, `setup-node`, `setup-java`, `setup-dotnet`,
    `setup-go` (and same-named actions of other owners), and Azure Pipelines
    `UsePythonVersion`, `NodeTool`, `JavaToolInstaller` tasks. Values taken from the matrix or
    runner (`${{ matrix.arch }}`, `${{ runner.arch }}`) and steps whose `if:` tests the
    architecture are not reported.

    ## Why is this a problem on ARM64?
    The pin makes the step download the x64 interpreter or JDK even on an arm64 runner: on
    Linux arm64 it cannot run ("exec format error") or the version is reported as not found,
    and on Windows or macOS on Arm it runs under emulation, so the job silently tests x64.

    ## Example
    ```yaml
    on: push
    jobs:
      test:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/setup-python@v5
            with:
              python-version: "3.12"
              architecture: x64
    ```

    Use instead:
    ```yaml
    on: push
    jobs:
      test:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/setup-python@v5
            with:
              python-version: "3.12"
    ```

    ## Limitations
    A pin in a job that only ever runs on x64 Windows runners is reported too; it is harmless
    until the job moves to an arm64 runner.

    ## References
    - actions/setup-python `architecture` input: https://github.com/actions/setup-python
    - actions/setup-node `architecture` input: https://github.com/actions/setup-node
    - GitHub-hosted arm64 runners: https://docs.github.com/en/actions/using-github-hosted-runners/using-github-hosted-runners/about-github-hosted-runners
    """

    code = "CT602"
    name = "ci-x64-architecture-pin"
    summary = "CI toolchain setup step pinned to the x64 architecture"
    languages = frozenset({"yaml"})
    severity = Severity.WARNING
    impact = Impact.BUILD_BREAK
    confidence = Confidence.HIGH
    tags = ("ci",)
    effort_minutes = 10
    prefilter = (b"architecture",)
    respect_preprocessor = False

    def check_file(self, ctx):
        yf = load_yaml(ctx)
        if yf.kind not in ("github-actions", "azure-pipelines", "other"):
            return
        for doc in yf.docs:
            for key, value, step in walk_pairs(doc):
                if key.value not in ("uses", "task"):
                    continue
                action = scalar(value) or ""
                if not _SETUP.match(action):
                    continue
                inputs = mapping_get(step, "with") if key.value == "uses" else mapping_get(step, "inputs")
                arch = mapping_get(inputs, "architecture") if isinstance(inputs, yaml.MappingNode) else None
                text = scalar(arch)
                if not text or "$" in text or not _X64.fullmatch(text.strip()):
                    continue
                if step_is_arch_conditional(step):
                    continue
                tool = action.split("@")[0]
                yield ctx.finding(
                    self,
                    arch.start_mark.index,
                    arch.end_mark.index,
                    f"`{tool}` is pinned to `architecture: {text}`; on an arm64 runner it installs an x64 toolchain "
                    "that cannot run natively",
                    "remove `architecture:` (the runner's architecture is used), or set it from the matrix "
                    "(`${{ matrix.arch }}`, with `arm64` entries for arm64 runners)",
                    properties={"action": tool, "architecture": text},
                )
