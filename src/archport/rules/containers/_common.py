"""Shared machinery of the CT rules: Dockerfile instructions, YAML documents of CI and compose
files, the script regions of each file kind, and the tests that keep arch-aware code silent.

Dockerfiles are split by a small line-continuation-aware splitter rather than a library: the
rules need character offsets of every instruction and flag (to anchor findings on the exact
`--platform=` or URL), which `dockerfile-parse` does not give (it reports line ranges and a
joined value, and substitutes ARG/ENV values), and the grammar we need (instruction keyword,
`\\` or `` ` `` continuations, comment lines inside continuations, heredocs) is small.

YAML goes through PyYAML's composer (`yaml.compose_all`), which keeps every node's character
offset (`start_mark.index`) without constructing Python objects, so custom tags (`!reference`,
`!Ref`) do not stop it. A file that does not parse yields no YAML findings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterator

import yaml

try:  # libyaml is about ten times faster; the pure-Python loader gives the same marks
    _Loader = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _Loader = yaml.SafeLoader

# -- architecture words ---------------------------------------------------------------------

ARM_WORD = re.compile(r"(?i)(?<![a-z0-9])(?:arm64v8|arm64|aarch64|armv8(?:\.\d|-a)?)(?![a-z0-9])")
#: GitHub's arm runner labels (ubuntu-24.04-arm, windows-11-arm), CircleCI `arm.medium`
ARM_RUNNER = re.compile(r"(?i)(?<![\w.-])[\w.-]+-arm(?![\w.-])|\barm\.(?:medium|large|xlarge|2xlarge)\b")
X86_TOKEN = re.compile(r"(?i)(?<![a-z0-9])(x86[_-]64|amd64|x64|i[3-6]86|win64|linux64)(?![a-z0-9])")
_ARM_FOR = {"x86_64": "aarch64", "x86-64": "aarch64", "amd64": "arm64", "x64": "arm64"}

#: expressions that pick the architecture at run time
ARCH_VARIABLE = re.compile(
    r"\$\{?\{?\s*(?:[\w.]*\.)?\w*(?:arch|ARCH|Arch|platform|PLATFORM|Platform)\w*"
    r"|\$\(\w*ARCH\w*\)|\$env:\w*ARCH\w*|\bGOARCH\b"
    r"|\buname\s+-[a-z]*m|\bdpkg\s+--print-architecture|\bdpkg-architecture\b|\$\(arch\)|`arch`"
    r"|platform\.machine\(\)|\bPROCESSOR_ARCHITECTURE\b|\bRuntimeInformation\b|\bos\.arch\b|%\{_arch\}"
    r"|\{\w*(?:arch|ARCH|machine)\w*\}"
)


def arm_name_for(token: str) -> str | None:
    arm = _ARM_FOR.get(token.lower())
    if arm is None:
        return None
    return arm.upper() if token.isupper() else arm


def arm_variant(word: str, start: int, end: int) -> str | None:
    """`word` with the x86 token at [start, end) replaced by its usual arm64 spelling."""
    arm = arm_name_for(word[start:end])
    return None if arm is None else word[:start] + arm + word[end:]


# -- lines and blocks of shell-like text ------------------------------------------------------


def logical_line(text: str, offset: int, lo: int = 0, hi: int | None = None, continuation: str = "\\") -> tuple[int, int]:
    """Span of the command line around `offset`, following `\\` (or PowerShell `` ` ``)
    continuations, kept within [lo, hi)."""
    hi = len(text) if hi is None else hi
    start = max(text.rfind("\n", lo, offset) + 1, lo)
    while start > lo:
        prev = max(text.rfind("\n", lo, start - 1) + 1, lo)
        if text[prev : start - 1].rstrip().endswith(continuation):
            start = prev
        else:
            break
    end = text.find("\n", offset, hi)
    end = hi if end < 0 else end
    while end < hi and text[start:end].rstrip().endswith(continuation):
        nxt = text.find("\n", end + 1, hi)
        end = hi if nxt < 0 else nxt
    return start, end


_SHELL_KEYWORD = re.compile(r"(?<![\w$.{/-])(case|esac|if|fi)(?![\w-])")
_HEAD_END = {"case": re.compile(r"\bin\b"), "if": re.compile(r"\bthen\b")}


@dataclass
class Block:
    start: int
    head_end: int  # end of the `if` condition / `case` subject
    end: int


def shell_blocks(masked: str, lo: int = 0, hi: int | None = None) -> list[Block]:
    """`case … esac` and `if … fi` blocks in [lo, hi) (innermost last among equals)."""
    hi = len(masked) if hi is None else hi
    blocks: list[Block] = []
    stack: list[tuple[str, int]] = []
    for m in _SHELL_KEYWORD.finditer(masked, lo, hi):
        word = m.group(1)
        if word in ("case", "if"):
            stack.append((word, m.start()))
            continue
        opener = "case" if word == "esac" else "if"
        while stack:
            kind, start = stack.pop()
            if kind == opener:
                stop = _HEAD_END[kind].search(masked, start, m.end())
                blocks.append(Block(start, stop.start() if stop else start, m.end()))
                break
    return blocks


_ARCH_HEAD = re.compile(r"(?i)arch|matrix|runner")
_GIVES_UP = re.compile(r"(?i)\bexit\s+[1-9]|\breturn\s+1\b|unsupported|not\s+supported")


def in_arch_branch(masked: str, offset: int, blocks: list[Block]) -> bool | None:
    """Whether `offset` sits in a `case`/`if` that selects on the architecture, so that other
    architectures take another path: a `case` needs an aarch64/arm64 arm; an `if` counts
    unless it gives up (`exit 1`, "unsupported") without naming arm64. None when no enclosing
    block selects on the architecture."""
    enclosing = sorted((b for b in blocks if b.start < offset < b.end), key=lambda b: b.start, reverse=True)
    for b in enclosing:
        head = masked[b.start : b.head_end]
        is_case = masked.startswith("case", b.start)
        # the architecture, or a CI matrix entry / runner (which of them are arm64 is not known here)
        arch_head = (
            ARCH_VARIABLE.search(head) or X86_TOKEN.search(head) or ARM_WORD.search(head)
            or _ARCH_HEAD.search(head)
        )
        if not arch_head and not (is_case and X86_TOKEN.search(masked, b.start, b.end)):
            continue
        if ARM_WORD.search(masked, b.start, b.end):
            return True
        if is_case:
            return False
        return not _GIVES_UP.search(masked, b.start, b.end)
    return None


def arm_nearby(masked: str, offset: int, lines: int = 3, lo: int = 0, hi: int | None = None) -> bool:
    """An aarch64/arm64 word within `lines` lines of `offset`, inside [lo, hi) (a table of
    per-arch names, the other half of an if/else)."""
    hi = len(masked) if hi is None else hi
    start = offset
    for _ in range(lines + 1):
        start = masked.rfind("\n", lo, start - 1 if start > lo else lo)
        if start <= lo:
            start = lo
            break
    end = offset
    for _ in range(lines + 1):
        nxt = masked.find("\n", end + 1, hi)
        if nxt < 0:
            end = hi
            break
        end = nxt
    return bool(ARM_WORD.search(masked, start, end))


# -- Dockerfiles --------------------------------------------------------------------------------

_DIRECTIVE = re.compile(r"^#\s*escape\s*=\s*(\S)", re.I)
_INSTRUCTION = re.compile(r"[ \t]*([A-Za-z]+)(?=[ \t\n\\]|$)")
_HEREDOC = re.compile(r"<<-?\s*([\"']?)([A-Za-z_][\w]*)\1")


@dataclass
class Instruction:
    keyword: str  # upper case
    start: int  # offset of the keyword
    args: int  # offset of the first argument character
    end: int  # end of the last line (excluding its newline)


def dockerfile_instructions(text: str, raw: str | None = None) -> list[Instruction]:
    """The instructions of a Dockerfile (`text`: its comment-masked form; `raw`: the file, for
    the `# escape=` directive) with their spans; continuation lines, comment lines inside
    continuations and heredoc bodies belong to their instruction."""
    escape = "\\"
    raw = text if raw is None else raw
    head = raw[: raw.find("\n")] if "\n" in raw else raw
    d = _DIRECTIVE.match(head)
    if d:
        escape = d.group(1)
    out: list[Instruction] = []
    pos, n = 0, len(text)
    while pos < n:
        nl = text.find("\n", pos)
        line_end = n if nl < 0 else nl
        line = text[pos:line_end]
        stripped = line.lstrip()
        if not stripped or stripped.startswith("#"):
            pos = line_end + 1
            continue
        m = _INSTRUCTION.match(line)
        if not m:
            pos = line_end + 1
            continue
        keyword = m.group(1).upper()
        start = pos + m.start(1)
        args = pos + m.end(1)
        end = line_end
        heredocs = [h.group(2) for h in _HEREDOC.finditer(line)] if keyword in ("RUN", "COPY", "ADD") else []
        cur_line = line
        while cur_line.rstrip().endswith(escape) and end < n:
            # continue onto the next non-comment line
            nxt = end + 1
            while nxt < n:
                nl2 = text.find("\n", nxt)
                le = n if nl2 < 0 else nl2
                seg = text[nxt:le]
                if seg.strip().startswith("#") or not seg.strip():
                    nxt = le + 1
                    end = le
                    continue
                cur_line = seg
                end = le
                break
            else:
                break
            heredocs += [h.group(2) for h in _HEREDOC.finditer(cur_line)] if keyword in ("RUN", "COPY", "ADD") else []
        for word in heredocs:
            term = re.compile(r"^[ \t]*" + re.escape(word) + r"[ \t]*$", re.M).search(text, end + 1)
            if term:
                end = term.end()
        out.append(Instruction(keyword, start, args, end))
        pos = end + 1
    return out


def cached_instructions(ctx) -> list[Instruction]:
    got = ctx.cache.get("ct.dockerfile")
    if got is None:
        got = ctx.cache["ct.dockerfile"] = dockerfile_instructions(ctx.masked, ctx.text)
    return got


_FLAG = re.compile(r"--([a-z-]+)(?:=(\"[^\"]*\"|'[^']*'|\S*))?")


def from_parts(masked: str, ins: Instruction) -> tuple[dict[str, tuple[str, int]], tuple[str, int] | None, str | None]:
    """FROM's flags {name: (value, offset)}, its image (text, offset) and stage name."""
    flags: dict[str, tuple[str, int]] = {}
    words = [(m.group(), ins.args + m.start()) for m in re.finditer(r"\S+", masked[ins.args : ins.end].replace("\\\n", "  "))]
    image = None
    stage = None
    i = 0
    while i < len(words):
        word, off = words[i]
        if word.startswith("--") and image is None:
            fm = _FLAG.match(word)
            if fm:
                value = (fm.group(2) or "").strip("'\"")
                flags[fm.group(1)] = (value, off + (word.index("=") + 1 if "=" in word else len(word)))
        elif image is None:
            image = (word, off)
        elif word.upper() == "AS" and i + 1 < len(words):
            stage = words[i + 1][0]
            break
        i += 1
    return flags, image, stage


# -- platform values ------------------------------------------------------------------------------

_AMD_PLATFORM = re.compile(r"(?i)(?:linux/)?(?:amd64|x86_64|x86-64)(?:/v[1-4])?")
_ANY_PLATFORM_ITEM = re.compile(r"[^\s,'\"\[\]]+")


def amd64_only_platform(value: str) -> bool:
    """A literal platform list that names amd64 (linux/amd64, linux/amd64/v2, …) and nothing
    with an arm64 build; variables (`$BUILDPLATFORM`) are never literal."""
    if "$" in value or "{" in value:
        return False
    items = _ANY_PLATFORM_ITEM.findall(value)
    return bool(items) and all(_AMD_PLATFORM.fullmatch(i) for i in items)


# -- YAML ----------------------------------------------------------------------------------------


@dataclass
class YamlFile:
    kind: str  # github-actions, gitlab-ci, azure-pipelines, travis, circleci, compose, kubernetes, other
    docs: list = field(default_factory=list)  # composed root nodes


def _name(path: str) -> str:
    return path.replace("\\", "/").rsplit("/", 1)[-1].lower()


def yaml_kind_by_path(path: str) -> str | None:
    p = "/" + path.replace("\\", "/").lower()
    name = _name(path)
    if "/.github/workflows/" in p:
        return "github-actions"
    if name.endswith("gitlab-ci.yml") or name.endswith("gitlab-ci.yaml") or "/.gitlab/ci/" in p:
        return "gitlab-ci"
    if name.startswith("azure-pipelines") or "/.azure-pipelines/" in p or "/.azure/pipelines/" in p:
        return "azure-pipelines"
    if name in (".travis.yml", ".travis.yaml"):
        return "travis"
    if "/.circleci/" in p:
        return "circleci"
    if name.startswith(("docker-compose", "compose.", "compose-")) or name.endswith((".compose.yml", ".compose.yaml")):
        return "compose"
    return None


def load_yaml(ctx) -> YamlFile:
    """The file's YAML documents (composed once per file and shared by the CT rules)."""
    got = ctx.cache.get("ct.yaml")
    if got is not None:
        return got
    docs = []
    by_path = yaml_kind_by_path(ctx.path)
    try:
        docs = [d for d in yaml.compose_all(ctx.text, Loader=_Loader) if d is not None]
    except (yaml.YAMLError, ValueError, RecursionError) as exc:
        docs = []
        if by_path:  # a pipeline or compose file must be YAML; other .yml may be templates
            ctx.parse_error(f"cannot parse {by_path} YAML: {_yaml_problem(exc)}")
    kind = by_path or _kind_by_content(docs)
    got = ctx.cache["ct.yaml"] = YamlFile(kind, docs)
    return got


def _yaml_problem(exc: Exception) -> str:
    """PyYAML's problem and its line, without the parser's internal stream name."""
    problem = getattr(exc, "problem", None)
    mark = getattr(exc, "problem_mark", None)
    if problem and mark is not None:
        return f"{problem} at line {mark.line + 1}, column {mark.column + 1}"
    return " ".join(str(exc).split())[:200]


def mapping_get(node, key: str):
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value == key:
                return v
    return None


def mapping_items(node) -> Iterator[tuple[yaml.ScalarNode, yaml.Node]]:
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode):
                yield k, v


def scalar(node) -> str | None:
    return node.value if isinstance(node, yaml.ScalarNode) else None


def scalars(node) -> Iterator[yaml.ScalarNode]:
    """Every scalar at or under `node`."""
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, yaml.ScalarNode):
            yield n
        elif isinstance(n, yaml.SequenceNode):
            stack.extend(reversed(n.value))
        elif isinstance(n, yaml.MappingNode):
            for k, v in reversed(n.value):
                stack.append(v)


def walk_pairs(node) -> Iterator[tuple[yaml.ScalarNode, yaml.Node, yaml.MappingNode]]:
    """Every (key, value, mapping) pair at or under `node`."""
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, yaml.MappingNode):
            for k, v in n.value:
                if isinstance(k, yaml.ScalarNode):
                    yield k, v, n
                stack.append(v)
        elif isinstance(n, yaml.SequenceNode):
            stack.extend(n.value)


def _kind_by_content(docs) -> str:
    if not docs:
        return "other"
    root = docs[0]
    if not isinstance(root, yaml.MappingNode):
        return "other"
    keys = {k.value for k, _ in mapping_items(root)}
    jobs = mapping_get(root, "jobs")
    if jobs is not None and isinstance(jobs, yaml.MappingNode) and ("on" in keys or True in keys or "true" in keys):
        return "github-actions"
    if isinstance(jobs, yaml.MappingNode) and any(
        mapping_get(v, "runs-on") is not None for _, v in mapping_items(jobs)
    ):
        return "github-actions"
    services = mapping_get(root, "services")
    if isinstance(services, yaml.MappingNode) and any(
        mapping_get(v, "image") is not None or mapping_get(v, "build") is not None for _, v in mapping_items(services)
    ):
        return "compose"
    if "apiVersion" in keys and "kind" in keys:
        return "kubernetes"
    return "other"


CI_KINDS = frozenset({"github-actions", "gitlab-ci", "azure-pipelines", "travis", "circleci"})

#: keys whose values are shell (or PowerShell) run by a CI system
SCRIPT_KEYS = frozenset(
    {"run", "script", "before_script", "after_script", "before_install", "install", "after_success",
     "before_deploy", "bash", "pwsh", "powershell", "inlineScript", "command", "pre_build", "build", "post_build"}
)


def yaml_script_spans(yf: YamlFile) -> list[tuple[int, int, object]]:
    """(start, end, enclosing mapping) of every script scalar in a CI file."""
    if yf.kind not in CI_KINDS:
        return []
    spans = []
    for doc in yf.docs:
        for key, value, owner in walk_pairs(doc):
            if key.value not in SCRIPT_KEYS:
                continue
            if key.value in ("build", "install", "command") and not isinstance(value, (yaml.ScalarNode, yaml.SequenceNode)):
                continue
            for s in scalars(value):
                if s.start_mark.index < s.end_mark.index:
                    spans.append((s.start_mark.index, s.end_mark.index, owner))
    return spans


# -- script regions of a file -------------------------------------------------------------------


@dataclass
class Region:
    start: int
    end: int
    flavour: str  # "shell", "powershell", "python"
    instruction: str | None = None  # Dockerfile instruction keyword
    owner: object = None  # YAML mapping holding the script


_ANALYSIS_FILE = re.compile(r"(?i)codeql|coverity|sonar|semgrep|scorecard|lint|spell")


def script_regions(ctx) -> list[Region]:
    """The parts of the file that are commands (or, for Dockerfiles, ADD/ARG/ENV values).
    Analysis-only CI files (CodeQL, Coverity, linters) have none: what they download never
    needs an arm64 build."""
    got = ctx.cache.get("ct.regions")
    if got is not None:
        return got
    lang = ctx.language
    n = len(ctx.text)
    if lang == "dockerfile":
        got = [
            Region(i.args, i.end, "shell", i.keyword)
            for i in cached_instructions(ctx)
            if i.keyword in ("RUN", "ADD", "ARG", "ENV", "COPY")
        ]
    elif lang == "yaml":
        if _ANALYSIS_FILE.search(ctx.path.replace("\\", "/").rsplit("/", 1)[-1]):
            got = []
        else:
            yf = load_yaml(ctx)
            arm_jobs = arm_capable_spans(ctx, yf)
            got = [
                Region(s, e, "shell", owner=o)
                for s, e, o in yaml_script_spans(yf)
                if any(a <= s < b for a, b in arm_jobs)
            ]
    elif lang in ("shell", "groovy"):
        got = [Region(0, n, "shell")]
    elif lang == "powershell":
        got = [Region(0, n, "powershell")]
    elif lang == "python":
        got = [Region(0, n, "python")]
    else:
        got = []
    ctx.cache["ct.regions"] = got
    return got


_ARM_MACOS_RUNNER = re.compile(r"(?i)\bmacos-(?:latest|1[4-9]|2\d)(?![\w.-]*-large)\b")


def runs_on_arm(text: str) -> bool:
    """Text of a CI job (or pipeline) that names an arm64 runner, matrix entry or emulator."""
    return bool(ARM_WORD.search(text) or ARM_RUNNER.search(text) or _ARM_MACOS_RUNNER.search(text) or "qemu" in text.lower())


def arm_capable_spans(ctx, yf: YamlFile) -> list[tuple[int, int]]:
    """Spans of the CI jobs that can run on arm64. What a job on x86-64 runners downloads
    or installs matches its runner; it becomes a porting problem where the job runs on arm64."""
    masked = ctx.masked
    spans = []
    for doc in yf.docs:
        if not isinstance(doc, yaml.MappingNode):
            continue
        jobs = mapping_get(doc, "jobs") if yf.kind in ("github-actions", "circleci") else doc
        if yf.kind in ("github-actions", "circleci", "gitlab-ci") and isinstance(jobs, yaml.MappingNode):
            for key, job in mapping_items(jobs):
                start, end = key.start_mark.index, job.end_mark.index
                if runs_on_arm(masked[start:end]):
                    spans.append((start, end))
        elif runs_on_arm(masked):
            spans.append((0, len(masked)))
    return spans


def region_at(regions: list[Region], offset: int) -> Region | None:
    for r in regions:
        if r.start <= offset < r.end:
            return r
    return None


def step_is_arch_conditional(owner) -> bool:
    """A CI step whose `if:` names the architecture (`runner.arch == 'X64'`) or picks some
    matrix entries or runners (`contains(matrix.os, 'windows')`): which of them run on arm64
    cannot be told from here."""
    cond = scalar(mapping_get(owner, "if")) if owner is not None else None
    return bool(
        cond and ("arch" in cond.lower() or X86_TOKEN.search(cond) or ARM_WORD.search(cond) or re.search(r"\b(?:matrix|runner)\.", cond))
    )


def arch_guarded(ctx, region: Region | None, offset: int, line: tuple[int, int]) -> bool:
    """Whether an x86-specific thing at `offset` is one arm of an architecture choice."""
    masked = ctx.masked
    if ARCH_VARIABLE.search(masked, line[0], line[1]) or ARM_WORD.search(masked, line[0], line[1]):
        return True
    if region is not None and region.owner is not None and step_is_arch_conditional(region.owner):
        return True
    lo, hi = (region.start, region.end) if region is not None else (0, len(masked))
    key = f"ct.blocks.{lo}"
    blocks = ctx.cache.get(key)
    if blocks is None:
        blocks = ctx.cache[key] = shell_blocks(masked, lo, hi) if (region is None or region.flavour == "shell") else []
    branch = in_arch_branch(masked, offset, blocks)
    if branch is not None:
        return branch
    # shell branches are judged by their blocks; elsewhere a per-arch table spans a few lines
    return arm_nearby(masked, offset, 1 if region is None or region.flavour == "shell" else 2, lo, hi)
