"""`archport scan --online`: ask the package indexes the user's own tools are configured for
which releases have AArch64 builds, and keep the answers in an on-disk cache.

- PyPI-style indexes: the simple API (PEP 691 JSON, or the PEP 503 HTML page) at pip's
  configured index (`PIP_INDEX_URL`, else `index-url` in pip's configuration files).
- npm registries: the package document at `npm_config_registry`, else `registry=` in
  `.npmrc` (the project's, the user's, the global one).
- Maven repositories: `maven-metadata.xml`, and per release whether the jar with the AArch64
  classifier exists (only for knowledge-base packages whose natives come per classifier), at
  the first `<mirror>` of `~/.m2/settings.xml`, else Maven Central.

All network work happens once, in the main process, before the scan (`prefetch`); rules only
read the cache (`cached_entry`). Answers expire after a day (`--refresh` ignores them). When
an index cannot be reached the scan goes on with the offline knowledge base, and the report
carries one note per unreachable index, not one error per dependency."""

from __future__ import annotations

import configparser
import hashlib
import html.parser
import json
import os
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path
from xml.etree import ElementTree

from packaging.utils import InvalidSdistFilename, InvalidWheelFilename, canonicalize_name, parse_sdist_filename, parse_wheel_filename
from packaging.version import InvalidVersion, Version

from archport.dependencies import knowledge, wheels
from archport.dependencies.knowledge import WITHOUT_NONE, WITHOUT_SOURCE, Entry
from archport.dependencies.manifests import MAVEN, NPM, PYPI, dependencies, manifest_parser

#: seconds to wait for one answer
TIMEOUT = 5.0
#: seconds an answer stays fresh
TTL = 24 * 3600
DEFAULT_PYPI = "https://pypi.org/simple"
DEFAULT_NPM = "https://registry.npmjs.org"
DEFAULT_MAVEN = "https://repo.maven.apache.org/maven2"
#: beyond this many releases lacking the build after the first with it, the first release
#: after which all have it is taken as "first" instead
_MAX_MISSING = 6
_USER_AGENT = "archport (+dependency check)"


class Unreachable(Exception):
    """The index did not answer (network down, timeout, server error)."""


# -- configuration the user already has ---------------------------------------------------------


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "archport" / "index"


def _pip_config_files() -> list[str]:
    if os.environ.get("PIP_CONFIG_FILE"):
        return [os.environ["PIP_CONFIG_FILE"]]
    home = os.path.expanduser("~")
    xdg = os.environ.get("XDG_CONFIG_HOME") or os.path.join(home, ".config")
    files = ["/etc/pip.conf", os.path.join(xdg, "pip", "pip.conf"), os.path.join(home, ".pip", "pip.conf")]
    if os.environ.get("VIRTUAL_ENV"):
        files.append(os.path.join(os.environ["VIRTUAL_ENV"], "pip.conf"))
    return files


def pypi_index() -> str:
    """pip's index URL, as pip itself would choose it (environment first, then the last
    configuration file that sets `index-url` in [install] or [global])."""
    if os.environ.get("PIP_INDEX_URL"):
        return os.environ["PIP_INDEX_URL"].rstrip("/")
    found = None
    for path in _pip_config_files():
        cfg = configparser.ConfigParser(interpolation=None)
        try:
            cfg.read(path)
        except configparser.Error:
            continue
        for section in ("global", "install"):
            if cfg.has_option(section, "index-url"):
                found = cfg.get(section, "index-url")
    return (found or DEFAULT_PYPI).rstrip("/")


def npm_registry(project_dir: str | None = None) -> str:
    for key in ("npm_config_registry", "NPM_CONFIG_REGISTRY"):
        if os.environ.get(key):
            return os.environ[key].rstrip("/")
    candidates = []
    if project_dir:
        candidates.append(os.path.join(project_dir, ".npmrc"))
    candidates.append(os.environ.get("npm_config_userconfig") or os.path.join(os.path.expanduser("~"), ".npmrc"))
    for path in candidates:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError:
            continue
        m = re.search(r"^\s*registry\s*=\s*(\S+)", text, re.M)
        if m:
            return m.group(1).rstrip("/")
    return DEFAULT_NPM


def maven_repository() -> str:
    settings = Path(os.environ.get("ARCHPORT_MAVEN_SETTINGS") or os.path.join(os.path.expanduser("~"), ".m2", "settings.xml"))
    try:
        root = ElementTree.parse(settings).getroot()
    except (OSError, ElementTree.ParseError):
        return DEFAULT_MAVEN
    for mirror in root.iter():
        if mirror.tag.rsplit("}", 1)[-1] != "mirror":
            continue
        fields = {c.tag.rsplit("}", 1)[-1]: (c.text or "").strip() for c in mirror}
        if fields.get("url") and any(m in ("*", "central", "external:*") for m in fields.get("mirrorOf", "").split(",")):
            return fields["url"].rstrip("/")
    return DEFAULT_MAVEN


# -- HTTP ---------------------------------------------------------------------------------------


def _get(url: str, accept: str, method: str = "GET") -> tuple[int, bytes, str]:
    req = urllib.request.Request(url, headers={"Accept": accept, "User-Agent": _USER_AGENT}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT) as resp:
            return resp.status, resp.read() if method == "GET" else b"", resp.headers.get("Content-Type", "")
    except urllib.error.HTTPError as exc:
        if exc.code in (404, 410):
            return exc.code, b"", ""
        raise Unreachable(f"{url}: HTTP {exc.code}") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise Unreachable(f"{url}: {reason}") from None


# -- deriving an Entry from a release list -------------------------------------------------------


def entry_from_releases(ecosystem: str, name: str, releases: dict[str, tuple[bool, bool, bool]], origin: str,
                        artifact: str) -> Entry | None:
    """releases: version -> (has AArch64 build, has x86-64 build, has source distribution).
    None when no release has an x86-64 build (nothing platform-specific to say)."""
    keyed = []
    for v, facts in releases.items():
        key = _version_key(ecosystem, v)
        if key is not None:
            keyed.append((key, v, facts))
    keyed.sort(key=lambda t: t[0])
    x86 = [v for _, v, f in keyed if f[1]]
    if not x86:
        return None
    arm = [(k, v) for k, v, f in keyed if f[0]]
    base = knowledge.lookup(ecosystem, name)
    if not arm:
        first, missing = None, ()
    else:
        first_key, first = arm[0]
        missing = tuple(v for k, v, f in keyed if k > first_key and f[1] and not f[0])
        if len(missing) > _MAX_MISSING:
            last_gap = max(_version_key(ecosystem, m) for m in missing)
            later = [v for k, v in arm if k > last_gap]
            first, missing = (later[0] if later else None), ()
    before_sdist = any(f[2] for k, v, f in keyed if not f[0] and f[1])
    without = base.without if base else (WITHOUT_SOURCE if before_sdist else WITHOUT_NONE)
    if first is None:
        source = f"{origin}: x86-64 builds but no AArch64 build in any release"
    else:
        source = f"{origin}: {first} is the first release with an AArch64 build"
    return Entry(ecosystem, name, first, source, artifact=artifact, without=without, missing=missing,
                 x86_64_from=x86[0], build_needs=base.build_needs if base else "", replacement=base.replacement if base else "",
                 notes=base.notes if base else "", classifier=base.classifier if base else "", origin=origin)


def _version_key(ecosystem: str, v: str):
    if ecosystem == PYPI:
        try:
            ver = Version(v)
        except InvalidVersion:
            return None
        return None if ver.is_prerelease or ver.is_devrelease else ver
    from archport.dependencies.versions import LooseVersion

    lv = LooseVersion(v)
    return None if lv.is_prerelease or not lv.release() else lv


# -- PyPI ---------------------------------------------------------------------------------------


class _Links(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.names: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            href = dict(attrs).get("href") or ""
            self.names.append(urllib.parse.unquote(href.split("#", 1)[0].rstrip("/").rsplit("/", 1)[-1]))


def fetch_pypi(name: str, index: str) -> Entry | None:
    url = f"{index}/{canonicalize_name(name)}/"
    status, body, ctype = _get(url, "application/vnd.pypi.simple.v1+json, text/html;q=0.1")
    if status != 200:
        return None
    if "json" in ctype:
        data = json.loads(body)
        names = [f.get("filename", "") for f in data.get("files", []) if not f.get("yanked")]
    else:
        parser = _Links()
        parser.feed(body.decode("utf-8", "replace"))
        names = parser.names
    per_version: dict[str, list[str]] = {}
    for fname in names:
        version = None
        try:
            if fname.endswith(".whl"):
                version = str(parse_wheel_filename(fname)[1])
            elif fname.endswith((".tar.gz", ".zip")):
                version = str(parse_sdist_filename(fname)[1])
        except (InvalidWheelFilename, InvalidSdistFilename, InvalidVersion):
            continue
        if version:
            per_version.setdefault(version, []).append(fname)
    releases = {}
    for v, files in per_version.items():
        f = wheels.file_facts(files)
        releases[v] = (f.has_aarch64, f.has_x86_64, f.has_sdist)
    return entry_from_releases(PYPI, name, releases, f"package index {index}", "linux aarch64 wheel")


# -- npm ----------------------------------------------------------------------------------------

_NPM_ARM = re.compile(r"linux[-_.]?(?:arm64|aarch64)|(?:arm64|aarch64)[-_.]linux")
_NPM_X64 = re.compile(r"linux[-_.]?(?:x64|x86[-_]64|amd64)|(?:x64|amd64)[-_.]linux")


def fetch_npm(name: str, registry: str) -> Entry | None:
    url = f"{registry}/{urllib.parse.quote(name, safe='@').replace('/', '%2f')}"
    status, body, _ = _get(url, "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8")
    if status != 200:
        return None
    data = json.loads(body)
    releases = {}
    for v, meta in (data.get("versions") or {}).items():
        opts = list((meta.get("optionalDependencies") or {}).keys())
        releases[v] = (any(_NPM_ARM.search(o) for o in opts), any(_NPM_X64.search(o) for o in opts), False)
    return entry_from_releases(NPM, name, releases, f"npm registry {registry}", "linux-arm64 optional binary package")


# -- Maven --------------------------------------------------------------------------------------


def fetch_maven(coordinate: str, repository: str) -> Entry | None:
    """Only for knowledge-base artefacts whose AArch64 natives come as a classifier jar: the
    first release (by a binary search over maven-metadata.xml) whose classifier jar exists."""
    base = knowledge.lookup(MAVEN, coordinate)
    if base is None or not base.classifier:
        return None
    group, _, artifact = coordinate.partition(":")
    root = f"{repository}/{group.replace('.', '/')}/{artifact}"
    status, body, _ = _get(f"{root}/maven-metadata.xml", "application/xml")
    if status != 200:
        return None
    try:
        meta = ElementTree.fromstring(body)
    except ElementTree.ParseError:
        return None
    found = [v.text.strip() for v in meta.iter("version") if v.text and _version_key(MAVEN, v.text.strip()) is not None]
    found.sort(key=lambda v: _version_key(MAVEN, v))
    if not found:
        return None

    def has(v: str) -> bool:
        status, _, _ = _get(f"{root}/{v}/{artifact}-{v}-{base.classifier}.jar", "*/*", method="HEAD")
        return status == 200

    lo, hi = 0, len(found)
    while lo < hi:  # releases are assumed to keep the classifier once they have it
        mid = (lo + hi) // 2
        if has(found[mid]):
            hi = mid
        else:
            lo = mid + 1
    releases = {v: (i >= lo, True, False) for i, v in enumerate(found)}
    return entry_from_releases(MAVEN, coordinate, releases, f"Maven repository {repository}", f"classifier {base.classifier}")


# -- the cache ----------------------------------------------------------------------------------


def _cache_path(ecosystem: str, name: str, index: str) -> Path:
    digest = hashlib.sha256(f"{ecosystem}\0{name}\0{index}".encode()).hexdigest()[:32]
    return cache_dir() / ecosystem / f"{digest}.json"


def _read(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _write(path: Path, record: dict) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(record), encoding="utf-8")
        os.replace(tmp, path)  # atomic: parallel scans never read half a file
    except OSError:
        pass


def _entry_to_dict(entry: Entry | None) -> dict | None:
    if entry is None:
        return None
    d = asdict(entry)
    d["missing"] = list(entry.missing)
    return d


def _entry_from_dict(d: dict | None) -> Entry | None:
    if not d:
        return None
    d = dict(d)
    d["missing"] = tuple(d.get("missing", ()))
    return Entry(**d)


def _indexes(project_dir: str | None) -> dict[str, str]:
    return {PYPI: pypi_index(), NPM: npm_registry(project_dir), MAVEN: maven_repository()}


def cached_entry(ecosystem: str, name: str) -> Entry | None:
    """The cached online answer for a package, if `prefetch` stored one (any age: the scan
    uses what prefetch saw). Reads the marker file that prefetch leaves to know the indexes."""
    index = _CURRENT.get(ecosystem)
    if index is None:
        marker = _read(cache_dir() / "current.json") or {}
        _CURRENT.update(marker)
        index = _CURRENT.get(ecosystem)
        if index is None:
            return None
    record = _read(_cache_path(ecosystem, _norm(ecosystem, name), index))
    return _entry_from_dict(record.get("entry")) if record else None


_CURRENT: dict[str, str] = {}
_FETCHERS = {PYPI: fetch_pypi, NPM: fetch_npm, MAVEN: fetch_maven}


def _norm(ecosystem: str, name: str) -> str:
    return canonicalize_name(name) if ecosystem == PYPI else name


@dataclass
class OnlineSummary:
    indexes: dict[str, str] = field(default_factory=dict)
    queried: int = 0
    from_cache: int = 0
    notes: list[str] = field(default_factory=list)

    def as_settings(self) -> dict:
        return {"enabled": True, "indexes": self.indexes, "queried": self.queried, "from_cache": self.from_cache,
                "notes": list(self.notes)}


def prefetch(files: list[tuple[str, str]], *, refresh: bool = False, project_dir: str | None = None) -> OnlineSummary:
    """Ask the indexes about every dependency the manifests among `files` ((abs, rel) pairs)
    declare, unless a fresh answer is cached. One unreachable index: one note, and no more
    questions to it in this scan."""
    from archport.languages import classify

    indexes = _indexes(project_dir)
    summary = OnlineSummary(indexes=dict(indexes))
    wanted: dict[tuple[str, str], None] = {}
    for abs_path, rel in files:
        lang = classify(os.path.basename(rel))
        if lang is None or manifest_parser(rel, lang.name) is None:
            continue
        try:
            text = Path(abs_path).read_text(encoding="utf-8", errors="replace")
            deps = dependencies(rel, lang.name, text)
        except (OSError, ValueError, RecursionError):
            continue
        for dep in deps:
            if dep.ecosystem in _FETCHERS and not dep.url:
                wanted[(dep.ecosystem, _norm(dep.ecosystem, dep.name))] = None
    down: set[str] = set()
    now = time.time()
    for ecosystem, name in wanted:
        index = indexes[ecosystem]
        path = _cache_path(ecosystem, name, index)
        record = _read(path)
        if record and not refresh and now - record.get("fetched", 0) < TTL:
            summary.from_cache += 1
            continue
        if ecosystem in down:
            continue
        try:
            entry = _FETCHERS[ecosystem](name, index)
        except Unreachable as exc:
            down.add(ecosystem)
            summary.notes.append(f"{ecosystem} index {index} unreachable ({exc}); its packages were judged with the "
                                 "offline knowledge base (and any older cached answers)")
            continue
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            summary.notes.append(f"{ecosystem} index {index}: unreadable answer for {name} ({type(exc).__name__})")
            continue
        summary.queried += 1
        _write(path, {"fetched": now, "index": index, "name": name, "entry": _entry_to_dict(entry)})
    _write(cache_dir() / "current.json", indexes)
    _CURRENT.clear()
    _CURRENT.update(indexes)
    return summary
