"""Version ordering and "does this constraint allow a version at or after F?" for each
ecosystem's constraint syntax: PEP 440 specifiers (pip, with Poetry's `^`/`~`), npm semver
ranges, Cargo requirements, Maven/NuGet version ranges, and exact pins (Go, lock files)."""

from __future__ import annotations

import re
from functools import total_ordering

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

_TOKEN = re.compile(r"\d+|[A-Za-z]+")
#: qualifiers that mark a release (Maven `.Final`, `.RELEASE`, `-GA`); others are pre-releases
_RELEASE_WORDS = frozenset({"final", "ga", "release", "r", "incompatible"})


@total_ordering
class LooseVersion:
    """A version of any ecosystem: numbers compare numerically, a trailing word like `beta`
    or `SNAPSHOT` sorts before the release, `Final`/`RELEASE`/`GA` are the release itself,
    build metadata (`+abc`) is ignored; `v1.2.3` is `1.2.3`."""

    __slots__ = ("text", "key")

    def __init__(self, text: str):
        self.text = text
        body = text.strip().lstrip("vV").split("+", 1)[0]
        nums: list[int] = []
        pre: list[str] = []
        for tok in _TOKEN.findall(body):
            if tok.isdigit() and not pre:
                nums.append(int(tok))
            elif tok.lower() not in _RELEASE_WORDS:
                pre.append(tok.lower() if not tok.isdigit() else tok.zfill(8))
        while len(nums) > 1 and nums[-1] == 0:
            nums.pop()
        # a release sorts after its pre-releases: (nums, 1, ()) > (nums, 0, pre)
        self.key = (tuple(nums), 0 if pre else 1, tuple(pre))

    @property
    def is_prerelease(self) -> bool:
        return self.key[1] == 0

    def __eq__(self, other):
        return isinstance(other, LooseVersion) and self.key == other.key

    def __lt__(self, other):
        return self.key < other.key

    def __hash__(self):
        return hash(self.key)

    def __repr__(self):
        return f"LooseVersion({self.text!r})"

    def release(self) -> tuple[int, ...]:
        return self.key[0]


def loose(text: str) -> LooseVersion | None:
    text = (text or "").strip()
    return LooseVersion(text) if text and text[0].isdigit() or text[:1] in "vV" and text[1:2].isdigit() else None


def _bump(release: tuple[int, ...], index: int) -> LooseVersion:
    parts = list(release[: index + 1]) + [0] * max(0, index + 1 - len(release))
    parts[index] += 1
    return LooseVersion(".".join(map(str, parts)))


# -- PyPI ---------------------------------------------------------------------------------------


def pep440(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


def pypi_allows_at_least(spec: str, first: str) -> bool | None:
    """Whether a PEP 440 specifier (`==1.18.5`, `>=1.16,<1.19`, `~=1.18.0`, `==1.18.*`) admits
    some version at or after `first`; None when it cannot be read. Lower bounds never
    exclude newer versions, so only upper bounds and exact pins decide."""
    spec = spec.strip()
    if not spec:
        return True
    try:
        specs = SpecifierSet(spec)
    except InvalidSpecifier:
        return None
    bound = pep440(first)
    if bound is None:
        return None
    for s in specs:
        op, ver = s.operator, s.version
        if op in ("==", "===") and not ver.endswith(".*"):
            v = pep440(ver)
            if v is not None and v < bound:
                return False
        elif op == "==" and ver.endswith(".*"):
            base = pep440(ver[:-2])
            if base is not None and Version(_next_prefix(base.release)) <= bound:
                return False
        elif op == "<":
            v = pep440(ver)
            if v is not None and v <= bound:
                return False
        elif op == "<=":
            v = pep440(ver)
            if v is not None and v < bound:
                return False
        elif op == "~=":
            v = pep440(ver)
            if v is not None and len(v.release) >= 2 and Version(_next_prefix(v.release[:-1])) <= bound:
                return False
    return True


def _next_prefix(release: tuple[int, ...]) -> str:
    parts = list(release) or [0]
    parts[-1] += 1
    return ".".join(map(str, parts))


def poetry_to_pep440(spec: str) -> str:
    """Poetry's constraint syntax (`^1.2`, `~1.2.3`, `1.2.3`, `1.2.*`, `>=1,<2`) as PEP 440."""
    out = []
    for part in re.split(r"\s*,\s*|\s+(?=[<>=!~^])", spec.strip()):
        part = part.strip()
        if not part or part == "*":
            continue
        if part.startswith("^"):
            v = loose(part[1:])
            if v is None:
                return ""
            rel = v.release() or (0,)
            idx = next((i for i, n in enumerate(rel) if n != 0), len(rel) - 1)
            out += [f">={part[1:]}", f"<{_bump(rel, idx).text}"]
        elif part.startswith("~") and not part.startswith("~="):
            v = loose(part[1:])
            if v is None:
                return ""
            rel = v.release() or (0,)
            out += [f">={part[1:]}", f"<{_bump(rel, 1 if len(rel) >= 2 else 0).text}"]
        elif part[0].isdigit():
            out.append(f"=={part}")
        else:
            out.append(part)
    return ",".join(out)


# -- npm / Cargo --------------------------------------------------------------------------------

_NPM_COMPARATOR = re.compile(r"(<=|>=|<|>|=|\^|~>?)?\s*v?(\*|x|X|\d+)(?:\.(\*|x|X|\d+))?(?:\.(\*|x|X|\d+))?([-+][\w.+-]*)?")


def _upper_of(op: str, parts: list[str | None], tail: str) -> tuple[LooseVersion, bool] | None:
    """The upper bound of one npm/Cargo comparator as (version, inclusive), None if unbounded."""
    nums = []
    for p in parts:
        if p is None or p in ("*", "x", "X"):
            break
        nums.append(int(p))
    if op in (">", ">="):
        return None
    if not nums:
        return None  # `*`, `x`
    full = len(nums) == 3
    if op == "^":
        idx = next((i for i, n in enumerate(nums) if n != 0), len(nums) - 1)
        if not full and all(n == 0 for n in nums):
            idx = len(nums) - 1
        return _bump(tuple(nums), idx), False
    if op in ("~", "~>"):
        return _bump(tuple(nums), 1 if len(nums) >= 2 else 0), False
    if op in ("<", "<="):
        v = LooseVersion(".".join(map(str, nums)) + (tail or ""))
        return (v, op == "<=") if full or op == "<" else (_bump(tuple(nums), len(nums) - 1), False)
    # `=`, or no operator: exact when complete, else an x-range
    if full:
        return LooseVersion(".".join(map(str, nums)) + (tail or "")), True
    return _bump(tuple(nums), len(nums) - 1), False


def range_allows_at_least(spec: str, first: str, cargo: bool = False) -> bool | None:
    """Whether an npm range (`^1.2.3`, `~1.2`, `1.2.x`, `>=1 <2`, `1 - 2`, `a || b`) or a Cargo
    requirement (a bare `1.2.3` is `^1.2.3`; `=1.2.3` is exact) admits a version at or after
    `first`; None for tags, URLs, git and file references."""
    spec = spec.strip()
    bound = loose(first)
    if bound is None:
        return None
    if spec in ("", "*", "latest", "x"):
        return True
    if re.search(r"[:/]|^[a-zA-Z]", spec) and not spec.startswith(("v", "V")):
        return None  # `npm:alias@1`, `git+https://…`, `file:…`, dist-tags
    for alt in spec.split("||"):
        alt = alt.strip()
        if not alt:
            return True
        m = re.fullmatch(r"(\S+)\s+-\s+(\S+)", alt)
        if m:  # hyphen range: upper end inclusive
            alt = f">={m.group(1)} <={m.group(2)}"
        ok = True
        for piece in re.split(r"\s*,\s*|\s+(?=[<>=^~\dvx*])", alt):
            piece = piece.strip()
            if not piece:
                continue
            cm = _NPM_COMPARATOR.fullmatch(piece)
            if cm is None:
                return None
            op = cm.group(1) or ("^" if cargo else "=")
            upper = _upper_of(op, [cm.group(2), cm.group(3), cm.group(4)], cm.group(5) or "")
            if upper is not None:
                v, inclusive = upper
                if v < bound or (v == bound and not inclusive):
                    ok = False
        if ok:
            return True
    return False


# -- Maven / NuGet ------------------------------------------------------------------------------

_INTERVAL = re.compile(r"([\[(])\s*([^,\])]*?)\s*(?:,\s*([^\])]*?)\s*)?([\])])")


def maven_allows_at_least(spec: str, first: str) -> bool | None:
    """Maven: a plain version is what gets used (a soft requirement that the build resolves
    to itself unless another path overrides it); ranges `[1.0,2.0)`, `[1.2]`, `(,1.5]`."""
    spec = spec.strip()
    bound = loose(first)
    if bound is None or not spec or "${" in spec:
        return None
    if spec[0] not in "[(":
        v = loose(spec)
        return None if v is None else not v < bound
    for m in _INTERVAL.finditer(spec):
        lo, hi, close = m.group(2), m.group(3), m.group(4)
        if hi is None:  # `[1.2]`: exactly
            v = loose(lo)
            if v is not None and not v < bound:
                return True
            continue
        if not hi:
            return True
        v = loose(hi)
        if v is None or bound < v or (v == bound and close == "]"):
            return True
    return False


def nuget_resolved(spec: str) -> str | None:
    """The version NuGet restores for a PackageReference: the lowest applicable one, i.e.
    the lower bound (`1.2.3` means `>= 1.2.3`, and NuGet picks 1.2.3); None for floating
    versions (`1.*`) and open lower bounds."""
    spec = spec.strip()
    if not spec or "*" in spec or "$(" in spec:
        return None
    if spec[0] in "[(":
        m = _INTERVAL.match(spec)
        if not m or not m.group(2) or m.group(1) == "(":
            return None
        return m.group(2)
    return spec
