from __future__ import annotations

import functools
import os
import re

import yaml

from archport.model import Confidence, Impact, Severity
from archport.rule import Rule
from archport.rules.containers._common import (
    load_yaml,
    mapping_get,
    mapping_items,
    runs_on_arm,
    scalar,
    scalars,
    walk_pairs,
)

#: commands that build or test software (a job with none of them is housekeeping)
_BUILDS = re.compile(
    r"(?<![\w/.$-])(?:make|gmake|cmake|ctest|ninja|meson|bazel|bazelisk|scons|autoreconf|autogen\.sh|\./configure|cargo|gcc"
    r"|g\+\+|clang(?:\+\+)?|pytest|tox|nox|mvn|gradlew?|sbt|dotnet|msbuild|xcodebuild|phpunit|rake|cabal|dune|zig)(?![\w-])"
    r"|\bgo\s+(?:build|test|install|vet)\b|\b(?:npm|yarn|pnpm)\s+(?:test|run\s+(?:build|test)[\w:-]*)\b"
    r"|\bpython[\d.]*\s+(?:-m\s+(?:pytest|unittest|build|pip\s+install)|setup\.py)\b|\bpip\d?\s+install\s+(?:-e\s+)?\.(?:\s|$)"
    r"|\b(?:docker|podman)\s+(?:buildx\s+)?build\b|\bswift\s+(?:build|test)\b"
    r"|(?:^|[\s/])(?:build|test|run[_-]tests?|ci)[\w.-]*\.(?:sh|py|ps1|bat)\b",
    re.M,
)
#: actions that build (GitHub Actions `uses:`)
_BUILD_ACTIONS = re.compile(
    r"(?i)^(?:docker/build-push-action|docker/bake-action|lukka/run-cmake|ilammy/msvc-dev-cmd|msys2/setup-msys2"
    r"|[\w.-]+/run-on-arch-action|cross-platform-actions/action|vmactions/[\w.-]+|actions-rs/cargo)"
)
#: housekeeping workflows and jobs, by file or job name
_HOUSEKEEPING = re.compile(
    r"(?i)release[-_]?(?:notes|drafter|please)|prepare[-_]release|changelog|(?<![a-z])docs?(?![a-z])|label|stale|triage"
    r"|greet|welcome|(?<![a-z])pages(?![a-z])|history"
)
#: analysis-only jobs: their architecture does not matter
_ANALYSIS = re.compile(r"(?i)codeql|coverity|sonar|semgrep|spell|lint|clang-format|codespell|scorecard|dependency-review|fossa")
_GITLAB_RESERVED = frozenset(
    {"stages", "variables", "include", "default", "workflow", "image", "services", "before_script", "after_script",
     "cache", "types", "pages_deploy"}
)
_JENKINS_STAGE = re.compile(r"\bstage\s*\(\s*['\"]|\bnode\s*(?:\(|\{)|\bpipeline\s*\{")


_GH_X86_RUNNER = re.compile(
    r"(?i)(?:ubuntu-(?:latest|\d\d\.\d\d)|windows-(?:latest|20\d\d|\d\d)|macos-(?:1[0-3]|latest-large|1[4-9]-large)"
    r"|[\w.-]*-intel)"
)
_X86_LABEL = re.compile(r"(?i)(?<![a-z0-9])(?:x64|amd64|x86_64|x86-64)(?![a-z0-9])")


def _runs_where(ctx, pipeline: str) -> bool:
    """Whether the CI system runs this file where it lies: GitHub reads `.github/workflows/`,
    Travis `.travis.yml` and CircleCI `.circleci/` at the repository root, so such files in a
    vendored dependency's folder run nowhere; a file known by content only counts at the root."""
    path = ctx.path.replace("\\", "/")
    if pipeline == "github-actions":
        return path.startswith(".github/workflows/") or "/" not in path
    if pipeline == "travis":
        return path in (".travis.yml", ".travis.yaml")
    if pipeline == "circleci":
        return path.startswith(".circleci/")
    if pipeline == "gitlab-ci":
        return "/" not in path or path.startswith((".gitlab/", ".gitlab-ci/", "ci/", ".ci/"))
    return True


@functools.lru_cache(maxsize=256)
def _workflow_runs_on_arm(path: str, mtime: int, size: int) -> bool:
    """Whether a workflow file (outside comments) runs something on arm64; read once per
    version of the file, not once per sibling that asks."""
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            text = fh.read(1_000_000)
    except OSError:
        return False
    body = "\n".join(line.split(" #", 1)[0] for line in text.splitlines() if not line.lstrip().startswith("#"))
    return runs_on_arm(body)


class CiWithoutArm64Job(Rule):
    """CI pipeline whose build and test jobs never run on arm64.

    ## What it does
    Checks for CI pipeline files (GitHub Actions workflows, `.gitlab-ci.yml`, Azure Pipelines,
    Travis CI, CircleCI, Jenkinsfile) that have jobs which build or test, and no sign of arm64
    anywhere: no arm64 runner (`ubuntu-24.04-arm`, `ubuntu-22.04-arm`, `windows-11-arm`,
    self-hosted `arm64` labels, `macos-14` and later), no `arm64`/`aarch64` matrix entry,
    GitLab `tags: [saas-linux-…-arm64]`, Travis `arch: arm64`, CircleCI `resource_class:
    arm.medium`, QEMU or `run-on-arch` emulation, or `--platform linux/arm64`. One advisory
    finding per pipeline file, on its first build or test job. Only jobs whose runner is known
    to be x86-64 count (GitHub-hosted `ubuntu-*`, `windows-*`, `macos-13`, labels naming x64;
    GitLab jobs without `tags:`; Travis and CircleCI defaults; Azure hosted `vmImage`s): a file
    with a build job on a self-hosted or otherwise unknown runner is not reported, nor are CI
    files that their CI system never reads (a vendored dependency's `.travis.yml` or
    `.github/workflows/`). Jenkinsfiles, whose agents are named by site-specific labels, are
    reported with low confidence when no stage mentions arm64. Reusable workflows
    (`on: workflow_call`), housekeeping workflows (labels, stale issues, release notes) and
    analysis-only jobs (CodeQL, Coverity, linters) are not reported; a GitHub workflow is not
    reported either when another workflow in the same directory already has an arm64 job.

    ## Why is this a problem on ARM64?
    Without an arm64 job nothing builds or tests the AArch64 code paths: x86-only intrinsics,
    `char` signedness, memory-ordering and alignment assumptions reach users untested.
    Emulated (QEMU user-mode) testing on x86 hosts is better than nothing but runs with the
    host's stronger memory ordering.

    ## Example
    ```yaml
    name: ci
    on: [push, pull_request]
    jobs:
      test:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
          - run: make -j && make test
    ```

    Use instead:
    ```yaml
    name: ci
    on: [push, pull_request]
    jobs:
      test:
        strategy:
          matrix:
            os: [ubuntu-latest, ubuntu-24.04-arm]
        runs-on: ${{ matrix.os }}
        steps:
          - uses: actions/checkout@v4
          - run: make -j && make test
    ```

    ## Limitations
    An arm64 lane defined somewhere this rule cannot see (a reusable workflow in another
    repository, a runner group whose labels do not say arm64, a Jenkins shared library) is
    not recognised: suppress the finding there. Any mention of arm64 outside comments counts
    as an arm64 lane, also in a job that is disabled.

    ## References
    - GitHub-hosted arm64 runners: https://docs.github.com/en/actions/using-github-hosted-runners/using-github-hosted-runners/about-github-hosted-runners
    - GitLab hosted runners on Linux (arm64): https://docs.gitlab.com/ci/runners/hosted_runners/linux/
    - Travis CI multi-CPU architectures: https://docs.travis-ci.com/user/multi-cpu-architectures/
    """

    code = "CT601"
    name = "ci-without-arm64-job"
    summary = "CI pipeline whose build and test jobs never run on arm64"
    languages = frozenset({"yaml", "groovy"})
    severity = Severity.INFO
    impact = Impact.PACKAGING
    confidence = Confidence.MEDIUM
    tags = ("ci",)
    effort_minutes = 120
    prefilter = (b"runs-on", b"script", b"steps:", b"jobs:", b"stage(", b"stages", b"pipeline", b"node")
    respect_preprocessor = False

    def check_file(self, ctx):
        if runs_on_arm(ctx.masked):
            return
        if ctx.language == "groovy":
            m = _JENKINS_STAGE.search(ctx.masked)
            if m and re.search(r"\b(?:sh|bat|powershell)\s*[(\"']", ctx.masked) and _BUILDS.search(ctx.masked):
                yield self._finding(ctx, m.start(), m.end(), "Jenkinsfile", None, Confidence.LOW)
            return
        yf = load_yaml(ctx)
        if not yf.docs or not isinstance(yf.docs[0], yaml.MappingNode):
            return
        root = yf.docs[0]
        finder = {
            "github-actions": self._github,
            "gitlab-ci": self._gitlab,
            "azure-pipelines": self._azure,
            "travis": self._travis,
            "circleci": self._circleci,
        }.get(yf.kind)
        if finder is None or not _runs_where(ctx, yf.kind):
            return
        anchor = finder(ctx, root)
        if anchor is not None:
            yield self._finding(ctx, anchor[0], anchor[1], yf.kind, anchor[2])

    def _finding(self, ctx, start, end, kind, job, confidence=None):
        names = {
            "github-actions": "GitHub Actions workflow", "gitlab-ci": "GitLab CI pipeline",
            "azure-pipelines": "Azure pipeline", "travis": "Travis CI configuration",
            "circleci": "CircleCI configuration", "Jenkinsfile": "Jenkinsfile",
        }
        runner = {
            "github-actions": "add a job (or matrix entry) on `ubuntu-24.04-arm`",
            "gitlab-ci": "add a job with `tags: [saas-linux-small-arm64]` (or your arm64 runner's tag)",
            "azure-pipelines": "add a job on an arm64 self-hosted agent pool",
            "travis": "add `arch: arm64` to the job matrix",
            "circleci": "add a job with `machine: true` and `resource_class: arm.medium`",
            "Jenkinsfile": "add a stage on an arm64 agent (`agent { label 'arm64' }`)",
        }[kind]
        what = names[kind]
        return ctx.finding(
            self,
            start,
            end,
            f"this {what} builds or tests only on x86-64: no job runs on arm64"
            + (f" (first build job: `{job}`)" if job else ""),
            f"{runner} that builds and runs the tests natively",
            properties={"pipeline": kind, "job": job},
            confidence=confidence,
        )

    # -- GitHub Actions ---------------------------------------------------------------------

    def _github(self, ctx, root):
        on = mapping_get(root, "on") or mapping_get(root, "true")
        if on is None:
            for k, v in root.value:  # YAML 1.1 reads a bare `on` key as boolean true
                if isinstance(k, yaml.ScalarNode) and k.value in ("on", "true", "True"):
                    on = v
        triggers = set()
        if on is not None:
            triggers = {scalar(on)} if scalar(on) else {
                s.value for s in (on.value if isinstance(on, yaml.SequenceNode) else [k for k, _ in on.value] if isinstance(on, yaml.MappingNode) else [])
                if isinstance(s, yaml.ScalarNode)
            }
        if "workflow_call" in triggers:
            return None
        jobs = mapping_get(root, "jobs")
        if not isinstance(jobs, yaml.MappingNode):
            return None
        if self._sibling_has_arm(ctx):
            return None
        for key, job in mapping_items(jobs):
            if mapping_get(job, "uses") is not None:
                return None  # a reusable workflow runs the job where this file cannot see
        first = None
        if _HOUSEKEEPING.search(ctx.path.rsplit("/", 1)[-1]):
            return None
        for key, job in mapping_items(jobs):
            if _HOUSEKEEPING.search(key.value) or not self._gha_job_builds(job):
                continue
            if self._gha_runner(job) != "x86":
                return None  # a self-hosted or computed runner: its architecture is unknown
            if first is None:
                first = key.start_mark.index, key.end_mark.index, key.value
        return first

    @staticmethod
    def _gha_runner(job) -> str:
        """"x86" when every runner label the job can use is a known x86-64 one."""
        runs_on = mapping_get(job, "runs-on")
        if runs_on is None:
            return "unknown"
        labels = [s.value for s in scalars(runs_on)]
        if isinstance(runs_on, yaml.MappingNode):  # {group: …, labels: …}
            return "x86" if any(_X86_LABEL.search(x) for x in labels) else "unknown"
        if any(_X86_LABEL.search(x) for x in labels):
            return "x86"
        resolved = []
        for label in labels:
            if "${{" in label:
                matrix = mapping_get(mapping_get(job, "strategy"), "matrix")
                names = [s.value for s in scalars(matrix)] if matrix is not None else []
                runners = [n for n in names if _GH_X86_RUNNER.fullmatch(n) or re.match(r"(?i)(?:ubuntu|windows|macos)-", n)]
                if not runners:
                    return "unknown"
                resolved.extend(runners)
            else:
                resolved.append(label)
        return "x86" if resolved and all(_GH_X86_RUNNER.fullmatch(x) for x in resolved) else "unknown"

    @staticmethod
    def _gha_job_builds(job) -> bool:
        steps = mapping_get(job, "steps")
        if not isinstance(steps, yaml.SequenceNode):
            return False
        runs, uses = [], []
        for step in steps.value:
            u = scalar(mapping_get(step, "uses"))
            if u:
                uses.append(u)
            r = mapping_get(step, "run")
            if r is not None:
                runs.extend(s.value for s in scalars(r))
        if any(_ANALYSIS.search(u) for u in uses):
            return False
        return any(_BUILDS.search(r) for r in runs) or any(_BUILD_ACTIONS.match(u) for u in uses)

    @staticmethod
    def _sibling_has_arm(ctx) -> bool:
        folder = os.path.dirname(ctx.abs_path)
        try:
            names = sorted(os.listdir(folder))
        except OSError:
            return False
        me = os.path.basename(ctx.abs_path)
        key = []
        for name in names:
            if name == me or not name.endswith((".yml", ".yaml")):
                continue
            try:
                st = os.stat(os.path.join(folder, name))
            except OSError:
                continue
            key.append((name, st.st_mtime_ns, st.st_size))
        return any(_workflow_runs_on_arm(os.path.join(folder, name), mtime, size) for name, mtime, size in key)

    # -- GitLab ---------------------------------------------------------------------------------

    def _gitlab(self, ctx, root):
        for key, job in mapping_items(root):
            if key.value in _GITLAB_RESERVED or key.value.startswith(".") or not isinstance(job, yaml.MappingNode):
                continue
            script = mapping_get(job, "script")
            if script is None:
                continue
            text = " ".join(s.value for s in scalars(script))
            if not _BUILDS.search(text) or _ANALYSIS.search(key.value):
                continue
            tags = [s.value for s in scalars(mapping_get(job, "tags"))] if mapping_get(job, "tags") is not None else []
            if tags and not any(_X86_LABEL.search(t) for t in tags):
                return None  # a runner chosen by tags that do not say its architecture
            return key.start_mark.index, key.end_mark.index, key.value
        return None

    # -- Azure, Travis, CircleCI ------------------------------------------------------------------

    def _azure(self, ctx, root):
        if not any(k in ("jobs", "stages", "steps", "pool") for k, _ in ((k.value, v) for k, v in mapping_items(root))):
            return None
        text = " ".join(s.value for s in scalars(root))
        if not _BUILDS.search(text):
            return None
        pools = [v for k, v, _ in walk_pairs(root) if k.value == "pool"]
        for pool in pools:  # a named agent pool's architecture is unknown
            image = scalar(mapping_get(pool, "vmImage")) if isinstance(pool, yaml.MappingNode) else None
            if image is None or not re.match(r"(?i)(?:ubuntu|windows|macos-1[0-3]|vs20)", image):
                if not any(_X86_LABEL.search(s.value) for s in scalars(pool)):
                    return None
        for k, v in mapping_items(root):
            if k.value in ("stages", "jobs", "steps"):
                return k.start_mark.index, k.end_mark.index, None
        return None

    def _travis(self, ctx, root):
        text = " ".join(s.value for s in scalars(root))
        if not _BUILDS.search(text) and mapping_get(root, "language") is None:
            return None
        for k, v in mapping_items(root):
            if k.value in ("language", "jobs", "matrix", "script", "os", "dist"):
                return k.start_mark.index, k.end_mark.index, None
        return None

    def _circleci(self, ctx, root):
        jobs = mapping_get(root, "jobs")
        if not isinstance(jobs, yaml.MappingNode):
            return None
        for key, job in mapping_items(jobs):
            text = " ".join(s.value for s in scalars(job))
            if _BUILDS.search(text):
                return key.start_mark.index, key.end_mark.index, key.value
        return None
