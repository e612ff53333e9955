"""Declared dependencies read from package manifests and lock files with real parsers
(tomllib, json, PyYAML, configparser, expat, `packaging`), each with the character offsets of
the place in the file that names it, so findings land on the right line."""

from __future__ import annotations

import configparser
import json
import re
from dataclasses import dataclass, field
from xml.parsers import expat

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

import yaml
from packaging.markers import InvalidMarker, Marker
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

PYPI, NPM, MAVEN, GO, CARGO, NUGET = "pypi", "npm", "maven", "go", "cargo", "nuget"

#: the environment of a Linux AArch64 machine, for PEP 508 markers (python_version and the
#: like come from the running interpreter)
_ARM_MARKER_ENV = {"platform_machine": "aarch64", "sys_platform": "linux", "platform_system": "Linux", "os_name": "posix"}
_PLATFORM_MARKER = re.compile(r"platform_machine|sys_platform|platform_system|os_name")


@dataclass(frozen=True)
class Dependency:
    ecosystem: str
    name: str
    #: the constraint as the ecosystem writes it (`>=1.2,<2`, `^1.2.3`, `[1.0,2.0)`); a lock
    #: file's or a pin's exact version is `exact` too
    spec: str
    start: int
    end: int
    exact: str | None = None
    #: read from a lock file (the version that gets installed)
    locked: bool = False
    #: the kind of file and section, for messages: "requirements", "package-lock.json"…
    where: str = ""
    #: distribution files a lock file lists for this version (wheel and sdist names)
    files: tuple[str, ...] = ()
    #: direct URL (`name @ https://…/x-cp311-linux_x86_64.whl`)
    url: str | None = None
    #: Maven classifier, or extra facts (npm `os`/`cpu`, `optional`)
    classifier: str | None = None
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def key(self) -> str:
        return normalize(self.ecosystem, self.name)


def normalize(ecosystem: str, name: str) -> str:
    if ecosystem == PYPI:
        return canonicalize_name(name)
    if ecosystem in (NUGET, CARGO):
        return name.lower().replace("_", "-") if ecosystem == CARGO else name.lower()
    return name


# -- locating things in the text ----------------------------------------------------------------


class _Locator:
    """Finds successive occurrences of strings in a text (a name written twice is found at
    its second place the second time)."""

    def __init__(self, text: str):
        self.text = text
        self.cursor: dict[str, int] = {}

    def find(self, needle: str, start: int = 0, end: int | None = None) -> int:
        key = f"{start}\0{needle}"
        pos = self.text.find(needle, max(start, self.cursor.get(key, start)), end if end is not None else len(self.text))
        if pos >= 0:
            self.cursor[key] = pos + 1
        return pos

    def quoted(self, value: str, start: int = 0, end: int | None = None) -> tuple[int, int]:
        """Offsets of a quoted string's content (double or single quotes), or (-1, -1)."""
        for q in ('"', "'"):
            pos = self.find(q + value + q, start, end)
            if pos >= 0:
                return pos + 1, pos + 1 + len(value)
        pos = self.find(value, start, end)
        return (pos, pos + len(value)) if pos >= 0 else (-1, -1)

    def key(self, name: str, start: int = 0, end: int | None = None) -> tuple[int, int]:
        """A TOML/YAML/JSON key `name =` / `"name":` at the start of a line or after `{`/`,`."""
        pattern = re.compile(r'(?:^|(?<=[{,]))[ \t]*(["\']?)(' + re.escape(name) + r')\1[ \t]*[=:]', re.M)
        m = pattern.search(self.text, start, end if end is not None else len(self.text))
        return (m.start(2), m.end(2)) if m else (-1, -1)


def _line_offsets(text: str) -> list[int]:
    starts = [0]
    for m in re.finditer("\n", text):
        starts.append(m.end())
    return starts


# -- Python --------------------------------------------------------------------------------------


def _exact_pep440(req: Requirement) -> str | None:
    specs = list(req.specifier)
    for s in specs:
        if s.operator in ("==", "===") and "*" not in s.version:
            return s.version
    return None


def _marker_excludes_arm(marker: Marker | None) -> bool:
    if marker is None or not _PLATFORM_MARKER.search(str(marker)):
        return False
    try:
        return not marker.evaluate(_ARM_MARKER_ENV)
    except Exception:
        return False


def python_requirement(text: str, start: int, where: str) -> Dependency | None:
    """One PEP 508 requirement string that starts at `start` in the file."""
    try:
        req = Requirement(text)
    except InvalidRequirement:
        return None
    if _marker_excludes_arm(req.marker):
        return None
    name_at = start + text.find(req.name)
    return Dependency(PYPI, req.name, str(req.specifier), name_at, name_at + len(req.name),
                      exact=_exact_pep440(req), where=where, url=req.url)


_REQ_OPTION = re.compile(r"\s--?(?:hash|global-option|config-settings|install-option)\b.*$")
_WHEEL_URL = re.compile(r"^\S+\.whl(?:#\S*)?$")


def parse_requirements(text: str) -> list[Dependency]:
    out = []
    pos = 0
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        start = pos
        line = lines[i]
        logical = line
        while logical.endswith("\\") and i + 1 < len(lines):  # continuation lines
            pos += len(lines[i]) + 1
            i += 1
            logical = logical[:-1] + " " + lines[i]
        pos += len(lines[i]) + 1
        i += 1
        body = re.sub(r"(?:^|\s)#.*$", "", logical)
        body = _REQ_OPTION.sub("", body).rstrip()
        stripped = body.strip()
        if not stripped or stripped.startswith("-"):
            continue
        lead = len(body) - len(body.lstrip())
        if _WHEEL_URL.match(stripped) and "/" in stripped:  # a bare wheel URL or path
            fname = stripped.rsplit("/", 1)[-1].split("#", 1)[0]
            name = fname.split("-", 1)[0]
            out.append(Dependency(PYPI, name, "", start + lead, start + lead + len(stripped), where="requirements", url=stripped))
            continue
        dep = python_requirement(stripped, start + lead, "requirements")
        if dep is not None:
            out.append(dep)
    return out


def parse_pyproject(text: str) -> list[Dependency]:
    data = tomllib.loads(text)
    loc = _Locator(text)
    out: list[Dependency] = []
    project = data.get("project") or {}
    reqs: list[tuple[str, str]] = [(r, "project.dependencies") for r in project.get("dependencies") or []]
    for group, items in (project.get("optional-dependencies") or {}).items():
        reqs += [(r, f"project.optional-dependencies.{group}") for r in items or []]
    reqs += [(r, "build-system.requires") for r in (data.get("build-system") or {}).get("requires") or []]
    for group, items in (data.get("dependency-groups") or {}).items():
        reqs += [(r, f"dependency-groups.{group}") for r in items or [] if isinstance(r, str)]
    for req, where in reqs:
        if not isinstance(req, str):
            continue
        s, _ = loc.quoted(req)
        if s >= 0:
            dep = python_requirement(req, s, where)
            if dep is not None:
                out.append(dep)
    poetry = (data.get("tool") or {}).get("poetry") or {}
    tables = [("tool.poetry.dependencies", poetry.get("dependencies") or {}),
              ("tool.poetry.dev-dependencies", poetry.get("dev-dependencies") or {})]
    for group, body in (poetry.get("group") or {}).items():
        tables.append((f"tool.poetry.group.{group}.dependencies", (body or {}).get("dependencies") or {}))
    for where, table in tables:
        header = re.search(r"^\[" + re.escape(where) + r"\]", text, re.M)
        base = header.end() if header else 0
        for name, value in table.items():
            if name.lower() == "python":
                continue
            out += _poetry_dep(loc, name, value, base, where)
    return out


def _poetry_dep(loc: _Locator, name: str, value, base: int, where: str) -> list[Dependency]:
    values = value if isinstance(value, list) else [value]
    out = []
    s, e = loc.key(name, base)
    if s < 0:
        return out
    for v in values:
        if isinstance(v, dict):
            marker = v.get("markers")
            if marker and _marker_excludes_arm(_marker(marker)):
                continue
            if v.get("platform") in ("win32", "darwin"):
                continue
            v = v.get("version", "")
        if not isinstance(v, str):
            continue
        spec = _pep440_or_poetry(v)
        exact = spec[2:] if spec.startswith("==") and "," not in spec and "*" not in spec else None
        out.append(Dependency(PYPI, name, spec, s, e, exact=exact, where=where))
    return out


def _pep440_or_poetry(v: str) -> str:
    v = v.strip()
    if v in ("", "*"):
        return ""
    return v if v[0] in "<>=!" and not v.startswith("~") else _poetry(v)


def _poetry(v: str) -> str:
    from archport.dependencies.versions import poetry_to_pep440

    return poetry_to_pep440(v)


def _marker(text: str) -> Marker | None:
    try:
        return Marker(text)
    except InvalidMarker:
        return None


def parse_setup_cfg(text: str) -> list[Dependency]:
    cfg = configparser.ConfigParser(interpolation=None)
    cfg.read_string(text)
    loc = _Locator(text)
    out = []
    fields: list[tuple[str, str]] = []
    if cfg.has_section("options"):
        for key in ("install_requires", "setup_requires", "tests_require"):
            if cfg.has_option("options", key):
                fields.append((cfg.get("options", key), f"options.{key}"))
    if cfg.has_section("options.extras_require"):
        for key, value in cfg.items("options.extras_require"):
            fields.append((value, f"options.extras_require.{key}"))
    for value, where in fields:
        for line in value.splitlines():
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            pos = loc.find(line)
            if pos >= 0:
                dep = python_requirement(line, pos, where)
                if dep is not None:
                    out.append(dep)
    return out


def parse_pipfile(text: str) -> list[Dependency]:
    data = tomllib.loads(text)
    loc = _Locator(text)
    out = []
    for section in ("packages", "dev-packages"):
        header = re.search(r"^\[" + section + r"\]", text, re.M)
        base = header.end() if header else 0
        for name, value in (data.get(section) or {}).items():
            if isinstance(value, dict):
                if value.get("markers") and _marker_excludes_arm(_marker(value["markers"])):
                    continue
                if value.get("sys_platform") or value.get("platform_machine"):
                    m = _marker(f"sys_platform {value['sys_platform']}" if value.get("sys_platform") else
                                f"platform_machine {value['platform_machine']}")
                    if _marker_excludes_arm(m):
                        continue
                value = value.get("version", "")
            if not isinstance(value, str):
                continue
            s, e = loc.key(name, base)
            if s < 0:
                continue
            spec = "" if value.strip() == "*" else value.strip()
            exact = spec[2:] if re.fullmatch(r"==[\w.!+-]+", spec) else None
            out.append(Dependency(PYPI, name, spec, s, e, exact=exact, where="Pipfile"))
    return out


def parse_pipfile_lock(text: str) -> list[Dependency]:
    data = json.loads(text)
    loc = _Locator(text)
    out = []
    for section in ("default", "develop"):
        sect = re.search(r'"' + section + r'"\s*:\s*\{', text)
        base = sect.end() if sect else 0
        for name, value in (data.get(section) or {}).items():
            if not isinstance(value, dict):
                continue
            version = value.get("version", "")
            if value.get("markers") and _marker_excludes_arm(_marker(value["markers"])):
                continue
            s, e = loc.quoted(name, base)
            if s < 0:
                continue
            exact = version[2:] if version.startswith("==") else None
            out.append(Dependency(PYPI, name, version, s, e, exact=exact, locked=True, where="Pipfile.lock"))
    return out


def _toml_packages(text: str, data: dict, where: str, ecosystem: str) -> list[Dependency]:
    """`[[package]]` tables of poetry.lock, uv.lock and Cargo.lock, each located at its
    `name = "…"` line (found in the order the tables come)."""
    out = []
    heads = [m.end() for m in re.finditer(r"^\[\[package\]\]", text, re.M)]
    legacy = ((data.get("metadata") or {}).get("files") or {})  # poetry.lock before 1.2
    for i, pkg in enumerate(data.get("package") or []):
        if not isinstance(pkg, dict) or "name" not in pkg:
            continue
        base = heads[i] if i < len(heads) else 0
        stop = heads[i + 1] if i + 1 < len(heads) else len(text)
        m = re.compile(r'^name[ \t]*=[ \t]*["\'](' + re.escape(pkg["name"]) + r')["\']', re.M).search(text, base, stop)
        if not m:
            continue
        files: list[str] = []
        for f in pkg.get("files") or legacy.get(pkg["name"]) or []:
            if isinstance(f, dict) and f.get("file"):
                files.append(f["file"])
        if isinstance(pkg.get("sdist"), dict):
            files.append(_url_name(pkg["sdist"]) or "sdist.tar.gz")
        for w in pkg.get("wheels") or []:
            if isinstance(w, dict):
                files.append(_url_name(w) or "")
        version = str(pkg.get("version", ""))
        if pkg.get("markers") and isinstance(pkg["markers"], str) and _marker_excludes_arm(_marker(pkg["markers"])):
            continue
        out.append(Dependency(ecosystem, pkg["name"], version, m.start(1), m.end(1), exact=version or None, locked=True,
                              where=where, files=tuple(f for f in files if f)))
    return out


def _url_name(d: dict) -> str | None:
    url = d.get("url") or d.get("path") or d.get("filename")
    if not isinstance(url, str):
        return None
    return url.rsplit("/", 1)[-1].split("#", 1)[0]


def parse_poetry_lock(text: str) -> list[Dependency]:
    return _toml_packages(text, tomllib.loads(text), "poetry.lock", PYPI)


def parse_uv_lock(text: str) -> list[Dependency]:
    return _toml_packages(text, tomllib.loads(text), "uv.lock", PYPI)


def parse_environment_yml(text: str) -> list[Dependency]:
    """The `pip:` list of a conda environment file (conda's own packages are another index)."""
    data = yaml.safe_load(text)
    if not isinstance(data, dict) or not isinstance(data.get("dependencies"), list):
        return []
    loc = _Locator(text)
    out = []
    for item in data["dependencies"]:
        if isinstance(item, dict) and isinstance(item.get("pip"), list):
            base = max(text.find("pip:"), 0)
            for req in item["pip"]:
                if not isinstance(req, str) or req.startswith("-"):
                    continue
                pos = loc.find(req, base)
                if pos >= 0:
                    dep = python_requirement(req, pos, "environment.yml pip")
                    if dep is not None:
                        out.append(dep)
    return out


# -- Node ----------------------------------------------------------------------------------------

_NPM_SECTIONS = ("dependencies", "devDependencies", "optionalDependencies")


def parse_package_json(text: str) -> list[Dependency]:
    data = json.loads(text)
    if not isinstance(data, dict):
        return []
    loc = _Locator(text)
    out = []
    for section in _NPM_SECTIONS:
        deps = data.get(section)
        if not isinstance(deps, dict):
            continue
        sect = re.search(r'"' + section + r'"\s*:\s*\{', text)
        base = sect.end() if sect else 0
        for name, spec in deps.items():
            if not isinstance(spec, str):
                continue
            s, e = loc.key(name, base)
            if s < 0:
                continue
            exact = spec.lstrip("=v") if re.fullmatch(r"=?v?\d+\.\d+\.\d+(?:[-+][\w.-]+)?", spec.strip()) else None
            out.append(Dependency(NPM, name, spec.strip(), s, e, exact=exact, where=f"package.json {section}"))
    return out


def parse_package_lock(text: str) -> list[Dependency]:
    """npm lock files: v2/v3 `packages` (keyed `node_modules/<name>`, with `os`/`cpu`/`optional`),
    or v1 `dependencies`."""
    data = json.loads(text)
    if not isinstance(data, dict):
        return []
    loc = _Locator(text)
    out = []
    packages = data.get("packages")
    if isinstance(packages, dict):
        for key, meta in packages.items():
            if not key or not isinstance(meta, dict) or "node_modules/" not in key:
                continue
            name = key.rsplit("node_modules/", 1)[1]
            s, e = loc.quoted(key)
            if s < 0:
                continue
            version = str(meta.get("version", ""))
            extra = {k: meta[k] for k in ("os", "cpu", "optional", "dev", "libc") if k in meta}
            out.append(Dependency(NPM, name, version, s, e, exact=version or None, locked=True, where="package-lock.json",
                                  extra={"path": key, **extra}))
        return out

    def walk(deps: dict, base: int):
        for name, meta in deps.items():
            if not isinstance(meta, dict):
                continue
            s, e = loc.quoted(name, base)
            if s < 0:
                continue
            version = str(meta.get("version", ""))
            out.append(Dependency(NPM, name, version, s, e, exact=version or None, locked=True, where="package-lock.json",
                                  extra={"optional": bool(meta.get("optional"))}))
            if isinstance(meta.get("dependencies"), dict):
                walk(meta["dependencies"], s)

    if isinstance(data.get("dependencies"), dict):
        walk(data["dependencies"], 0)
    return out


# -- JVM -----------------------------------------------------------------------------------------


class _Element:
    __slots__ = ("tag", "attrs", "children", "text", "offset")

    def __init__(self, tag, attrs, offset):
        self.tag, self.attrs, self.children, self.text, self.offset = tag, attrs, [], "", offset

    def find(self, tag):
        return next((c for c in self.children if c.tag == tag), None)

    def findtext(self, tag, default=""):
        c = self.find(tag)
        return c.text.strip() if c is not None else default

    def iter(self, tag):
        for c in self.children:
            if c.tag == tag:
                yield c
            yield from c.iter(tag)


def parse_xml(text: str) -> _Element:
    """An element tree whose elements know the character offset of their start tag. expat
    (the parser under ElementTree) reports each start tag's line and column; ElementTree
    drops them, so the tree is built here. Namespaces are stripped from tag names."""
    starts = _line_offsets(text)
    parser = expat.ParserCreate()
    root = _Element("#document", {}, 0)
    stack = [root]

    def start(tag, attrs):
        offset = starts[parser.CurrentLineNumber - 1] + parser.CurrentColumnNumber if parser.CurrentLineNumber <= len(starts) else 0
        el = _Element(tag.rsplit("}", 1)[-1].split(":")[-1], attrs, offset)
        stack[-1].children.append(el)
        stack.append(el)

    def end(tag):
        stack.pop()

    def data(chunk):
        stack[-1].text += chunk

    parser.StartElementHandler, parser.EndElementHandler, parser.CharacterDataHandler = start, end, data
    # expat counts columns in characters of the decoded text when given str
    parser.Parse(text, True)
    return root


_PROPERTY = re.compile(r"\$\{([^}]+)\}")


def parse_pom(text: str) -> list[Dependency]:
    root = parse_xml(text)
    project = root.find("project")
    if project is None:
        return []
    props: dict[str, str] = {}
    for p in project.iter("properties"):
        for c in p.children:
            props[c.tag] = c.text.strip()
    props.setdefault("project.version", project.findtext("version"))
    out = []
    for dep in project.iter("dependency"):
        group, artifact = dep.findtext("groupId"), dep.findtext("artifactId")
        if not group or not artifact:
            continue
        version = _PROPERTY.sub(lambda m: props.get(m.group(1), m.group(0)), dep.findtext("version"))
        classifier = _PROPERTY.sub(lambda m: props.get(m.group(1), m.group(0)), dep.findtext("classifier")) or None
        at = dep.find("artifactId")
        s = at.offset if at is not None else dep.offset
        out.append(Dependency(MAVEN, f"{group}:{artifact}", version, s, s + len("<artifactId>"),
                              exact=version if version and version[0] not in "[($" else None, where="pom.xml",
                              classifier=classifier))
    return out


_GRADLE_COMMENT = re.compile(r"//[^\n]*|/\*.*?\*/", re.S)
_GRADLE_STRING = re.compile(r"""(["'])([\w.\-]+):([\w.\-]+):([\w.\-+\[\](),$]+)(?::([\w.\-]+))?(?:@\w+)?\1""")
_GRADLE_MAP = re.compile(
    r"""group\s*[:=]\s*["']([\w.\-]+)["']\s*,\s*name\s*[:=]\s*["']([\w.\-]+)["']\s*,\s*version\s*[:=]\s*["']([\w.\-+]+)["']"""
    r"""(?:\s*,\s*classifier\s*[:=]\s*["']([\w.\-]+)["'])?"""
)


def _blank_comments(text: str, pattern: re.Pattern) -> str:
    def blank(m):
        if m.group(0).startswith("//") and _in_string(text, m.start()):
            return m.group(0)
        return re.sub(r"[^\n]", " ", m.group(0))

    return pattern.sub(blank, text)


def _in_string(text: str, pos: int) -> bool:
    line_start = text.rfind("\n", 0, pos) + 1
    before = text[line_start:pos]
    return before.count('"') % 2 == 1 or before.count("'") % 2 == 1


def parse_gradle(text: str) -> list[Dependency]:
    masked = _blank_comments(text, _GRADLE_COMMENT)
    out = []
    for m in _GRADLE_STRING.finditer(masked):
        group, artifact, version, classifier = m.group(2), m.group(3), m.group(4), m.group(5)
        if "$" in version:
            continue
        out.append(Dependency(MAVEN, f"{group}:{artifact}", version, m.start(2), m.end(3),
                              exact=version if version[0].isdigit() and "+" not in version else None,
                              where="build.gradle", classifier=classifier))
    for m in _GRADLE_MAP.finditer(masked):
        out.append(Dependency(MAVEN, f"{m.group(1)}:{m.group(2)}", m.group(3), m.start(1), m.end(2),
                              exact=m.group(3) if "+" not in m.group(3) else None, where="build.gradle",
                              classifier=m.group(4)))
    return out


def parse_version_catalog(text: str) -> list[Dependency]:
    """Gradle version catalog (`gradle/libs.versions.toml`): `[libraries]` entries."""
    data = tomllib.loads(text)
    versions = {k: v for k, v in (data.get("versions") or {}).items() if isinstance(v, str)}
    loc = _Locator(text)
    header = re.search(r"^\[libraries\]", text, re.M)
    base = header.end() if header else 0
    out = []
    for alias, lib in (data.get("libraries") or {}).items():
        version = None
        if isinstance(lib, str):
            parts = lib.split(":")
            if len(parts) < 3:
                continue
            module, version = ":".join(parts[:2]), parts[2]
        elif isinstance(lib, dict):
            module = lib.get("module") or (f"{lib.get('group')}:{lib.get('name')}" if lib.get("group") else None)
            v = lib.get("version")
            if isinstance(v, dict):
                v = versions.get(v.get("ref", "")) if "ref" in v else v.get("strictly") or v.get("require") or v.get("prefer")
            version = v
        else:
            continue
        if not module or not isinstance(version, str):
            continue
        s, e = loc.key(alias, base)
        if s < 0:
            continue
        out.append(Dependency(MAVEN, module, version, s, e, exact=version, where="libs.versions.toml"))
    return out


# -- Go, Rust, .NET ------------------------------------------------------------------------------

_GO_REQUIRE = re.compile(r"^[ \t]*(?:require[ \t]+)?([\w.\-~]+(?:/[\w.\-~]+)+)[ \t]+(v[\w.\-+]+)", re.M)


def parse_go_mod(text: str) -> list[Dependency]:
    masked = _blank_comments(text, re.compile(r"//[^\n]*"))
    out = []
    in_block = False
    for line_match in re.finditer(r"^[^\n]*", masked, re.M):
        line = line_match.group(0)
        stripped = line.strip()
        if stripped.startswith("require ("):
            in_block = True
            continue
        if in_block and stripped == ")":
            in_block = False
            continue
        if in_block or stripped.startswith("require "):
            m = _GO_REQUIRE.match(line)
            if m:
                base = line_match.start()
                out.append(Dependency(GO, m.group(1), m.group(2), base + m.start(1), base + m.end(1),
                                      exact=m.group(2), where="go.mod"))
    return out


def parse_cargo_toml(text: str) -> list[Dependency]:
    data = tomllib.loads(text)
    loc = _Locator(text)
    out = []
    tables: list[tuple[str, dict, str]] = []
    for section in ("dependencies", "dev-dependencies", "build-dependencies"):
        tables.append((section, data.get(section) or {}, rf"^\[{re.escape(section)}\]"))
    for cfg, body in (data.get("target") or {}).items():
        if _cfg_excludes_arm(cfg):
            continue
        for section in ("dependencies", "dev-dependencies", "build-dependencies"):
            tables.append((f"target.{cfg}.{section}", (body or {}).get(section) or {}, None))
    ws = (data.get("workspace") or {}).get("dependencies") or {}
    tables.append(("workspace.dependencies", ws, r"^\[workspace\.dependencies\]"))
    for where, table, header in tables:
        base = 0
        if header:
            hm = re.search(header, text, re.M)
            base = hm.end() if hm else 0
        for name, value in table.items():
            spec = value if isinstance(value, str) else (value.get("version", "") if isinstance(value, dict) else "")
            if not isinstance(spec, str) or not spec:
                continue
            crate = value.get("package", name) if isinstance(value, dict) else name
            s, e = loc.key(name, base)
            if s < 0:
                continue
            exact = spec[1:].strip() if spec.startswith("=") else None
            out.append(Dependency(CARGO, crate, spec, s, e, exact=exact, where=f"Cargo.toml {where}"))
    return out


def _cfg_excludes_arm(cfg: str) -> bool:
    """`cfg(target_arch = "x86_64")`-style target tables that an AArch64 build never reads
    (a target triple like `x86_64-unknown-linux-gnu` too)."""
    from archport.archfiles import evaluate_rust_cfg

    cfg = cfg.strip()
    if cfg.startswith("cfg(") and cfg.endswith(")"):
        return evaluate_rust_cfg(cfg[4:-1], "arm64") is False
    return not cfg.startswith("aarch64")


def parse_cargo_lock(text: str) -> list[Dependency]:
    return _toml_packages(text, tomllib.loads(text), "Cargo.lock", CARGO)


def parse_msbuild(text: str) -> list[Dependency]:
    from archport.dependencies.versions import nuget_resolved

    root = parse_xml(text)
    out = []
    for tag in ("PackageReference", "PackageVersion", "package"):
        for el in root.iter(tag):
            name = el.attrs.get("Include") or el.attrs.get("Update") or el.attrs.get("id")
            version = el.attrs.get("Version") or el.attrs.get("version") or el.findtext("Version")
            if not name or not version:
                continue
            s = el.offset
            out.append(Dependency(NUGET, name, version, s, s + 1 + len(tag), exact=nuget_resolved(version), where=tag))
    return out


def parse_nuget_lock(text: str) -> list[Dependency]:
    data = json.loads(text)
    loc = _Locator(text)
    out = []
    seen = set()
    for framework, deps in (data.get("dependencies") or {}).items():
        if not isinstance(deps, dict):
            continue
        base = max(text.find(json.dumps(framework)), 0)
        for name, meta in deps.items():
            if not isinstance(meta, dict) or not meta.get("resolved") or (name, meta["resolved"]) in seen:
                continue
            seen.add((name, meta["resolved"]))
            s, e = loc.quoted(name, base)
            if s < 0:
                continue
            out.append(Dependency(NUGET, name, meta["resolved"], s, e, exact=meta["resolved"], locked=True,
                                  where="packages.lock.json"))
    return out


# -- dispatch ------------------------------------------------------------------------------------

_BY_NAME = {
    "pyproject.toml": parse_pyproject,
    "setup.cfg": parse_setup_cfg,
    "Pipfile": parse_pipfile,
    "Pipfile.lock": parse_pipfile_lock,
    "poetry.lock": parse_poetry_lock,
    "uv.lock": parse_uv_lock,
    "package.json": parse_package_json,
    "package-lock.json": parse_package_lock,
    "npm-shrinkwrap.json": parse_package_lock,
    "pom.xml": parse_pom,
    "build.gradle": parse_gradle,
    "build.gradle.kts": parse_gradle,
    "libs.versions.toml": parse_version_catalog,
    "go.mod": parse_go_mod,
    "Cargo.toml": parse_cargo_toml,
    "Cargo.lock": parse_cargo_lock,
    "packages.lock.json": parse_nuget_lock,
    "Directory.Packages.props": parse_msbuild,
    "packages.config": parse_msbuild,
}
_ENV_FILE = re.compile(r"(?:environment|conda|env)[\w.-]*\.ya?ml", re.I)


def manifest_parser(path: str, language: str):
    """The parser for a manifest file, or None when the file is not one."""
    base = path.rsplit("/", 1)[-1]
    parser = _BY_NAME.get(base)
    if parser is not None:
        return parser
    if language == "pip-requirements":
        return parse_requirements
    if language == "msbuild":
        return parse_msbuild
    if language == "yaml" and _ENV_FILE.fullmatch(base):
        return parse_environment_yml
    if base.endswith(".versions.toml"):
        return parse_version_catalog
    return None


def dependencies(path: str, language: str, text: str) -> list[Dependency]:
    """The dependencies a manifest declares ([] for other files). Raises ValueError when the
    manifest cannot be parsed."""
    parser = manifest_parser(path, language)
    if parser is None:
        return []
    try:
        return parser(text.removeprefix("\ufeff"))  # a UTF-8 byte-order mark is not JSON/TOML
    except (ValueError, tomllib.TOMLDecodeError, yaml.YAMLError, configparser.Error, expat.ExpatError) as exc:
        raise ValueError(f"cannot parse {path.rsplit('/', 1)[-1]}: {exc}") from None
