"""Configuration files: `[tool.archport]` in pyproject.toml, or archport.toml / .archport.toml.

Discovery starts in the scanned directory (a scanned file's directory) and walks up to the
filesystem root; in each directory it looks, in this order, for `archport.toml`,
`.archport.toml`, then `pyproject.toml` *with* a `[tool.archport]` table (a pyproject.toml
without one is passed over). The first file found is the configuration: files further up are
not merged. `--config FILE` names the file instead, `--isolated` ignores configuration files.

Every key and value is checked against SCHEMA; a mistake is one ConfigError whose message is
`FILE:LINE: what is wrong`. Command-line flags override the file (see `merge`).
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

from archport.settings import DEFAULT_MAX_FILE_SIZE, ScanSettings
from archport.targets import DEFAULT_TARGET, TARGET_NAMES, get_target

CONFIG_NAMES = ("archport.toml", ".archport.toml", "pyproject.toml")
FAIL_ON = ("error", "warning", "info", "never")


class ConfigError(Exception):
    """A configuration file that cannot be used; str() is the one-line message."""


@dataclass(frozen=True)
class Key:
    kind: str  # codes, globs, per-file, enum, int, size, bool, defines, rules
    default: Any
    help: str
    choices: tuple[str, ...] = ()


SCHEMA: dict[str, Key] = {
    "select": Key("codes", ["ALL"], "rule codes or prefixes to run (ALL: every rule)"),
    "ignore": Key("codes", [], "rule codes or prefixes to skip"),
    "extend-select": Key("codes", [], "codes or prefixes added to `select` (also from --extend-select)"),
    "extend-ignore": Key("codes", [], "codes or prefixes added to `ignore`"),
    "per-file-ignores": Key("per-file", {}, "glob (relative to this file's directory) -> codes whose findings are dropped there"),
    "exclude": Key("globs", [], "gitignore-style globs, relative to this file's directory, of paths not scanned"),
    "fail-on": Key("enum", "warning", "exit 1 when a finding at or above this severity remains", FAIL_ON),
    "target": Key("enum", DEFAULT_TARGET, "the AArch64 machines you deploy to (see `archport targets`)", TARGET_NAMES),
    "jobs": Key("int", 0, "worker processes (0: all cores)"),
    "max-file-size": Key("size", DEFAULT_MAX_FILE_SIZE / 1048576, "skip files larger than this many MiB"),
    "respect-gitignore": Key("bool", True, "honour .gitignore files"),
    "respect-layout": Key("bool", True, "mark findings under x86 directories that have an Arm sibling as suppressed"),
    "defines": Key("defines", {}, "preprocessor defines of the AArch64 build, NAME = \"value\""),
    "rules": Key("rules", {}, "rule options: [tool.archport.rules.CODE] option = value"),
}


@dataclass
class Config:
    """A loaded configuration: `values` holds the keys the file sets, checked and normalised."""

    path: Path | None = None
    values: dict[str, Any] = field(default_factory=dict)
    #: "[tool.archport]" for pyproject.toml, "" for archport.toml
    table: str = ""

    @property
    def directory(self) -> Path | None:
        return self.path.parent if self.path else None

    def get(self, key: str) -> Any:
        return self.values.get(key, SCHEMA[key].default)


# -- discovery -----------------------------------------------------------------------------------


def find_config(start: str | os.PathLike) -> Path | None:
    """The configuration file nearest to `start` (see the module docstring), or None."""
    here = Path(os.path.abspath(start))
    if not here.is_dir():
        here = here.parent
    for directory in (here, *here.parents):
        for name in CONFIG_NAMES:
            candidate = directory / name
            if not candidate.is_file():
                continue
            if name == "pyproject.toml" and not _has_archport_table(candidate):
                continue
            return candidate
    return None


def _has_archport_table(path: Path) -> bool:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    if "archport" not in text:
        return False
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return bool(re.search(r"^\s*\[\s*tool\s*\.\s*archport\b", text, re.M))  # report its error later
    return isinstance(data.get("tool"), dict) and "archport" in data["tool"]


def resolve(scan_path: str | os.PathLike, config_file: str | None = None, isolated: bool = False) -> Config:
    """The configuration for a scan of `scan_path`: `config_file` if given, else the nearest
    file, else (or with `isolated`) the defaults."""
    if isolated:
        return Config()
    path = Path(config_file) if config_file else find_config(scan_path)
    return load(path) if path else Config()


# -- loading and checking ------------------------------------------------------------------------


def load(path: str | os.PathLike) -> Config:
    path = Path(path)
    shown = _display(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{shown}: cannot read configuration file: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ConfigError(f"{shown}:{line}: invalid TOML: not UTF-8 (byte 0x{data[exc.start]:02x})") from None
    base: tuple[str, ...] = ("tool", "archport") if path.name == "pyproject.toml" else ()
    locator = Locator(text)
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{shown}:{_toml_error_line(str(exc), text, locator)}: invalid TOML: {_toml_error_text(str(exc))}") from None
    table: Any = doc
    for part in base:
        table = table.get(part, {}) if isinstance(table, dict) else {}
    checker = _Checker(shown, locator, base)
    if not isinstance(table, dict):
        raise ConfigError(f"{shown}:{locator.line(base)}: `tool.archport` must be a table")
    values = checker.check(table)
    return Config(path=path, values=values, table="[tool.archport]" if base else "")


def _display(path: Path) -> str:
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return str(path)
    return rel if not rel.startswith("..") else str(path)


def _toml_error_line(message: str, text: str, locator: Locator) -> int:
    m = re.search(r"at line (\d+)", message)
    if m:
        return int(m.group(1))
    if "overwrite" in message and locator.duplicate is not None:
        return locator.duplicate
    return max(1, text.count("\n") + (0 if text.endswith("\n") else 1))


def _toml_error_text(message: str) -> str:
    m = re.search(r"\(at line \d+, column (\d+)\)", message)
    if m:
        return message[: m.start()].rstrip() + f" (column {m.group(1)})"
    return re.sub(r"\s*\(at end of document\)", " (at the end of the file)", message)


def _suggest(word: str, choices, cutoff: float = 0.6) -> str:
    by_lower = {c.lower(): c for c in choices}
    close = difflib.get_close_matches(word.replace("_", "-").lower(), list(by_lower), n=1, cutoff=cutoff)
    return f" (did you mean `{by_lower[close[0]]}`?)" if close else ""


class _Checker:
    def __init__(self, shown: str, locator: Locator, base: tuple[str, ...]):
        self.shown = shown
        self.locator = locator
        self.base = base
        from archport.registry import default_registry

        self.rules = {r.code: r for r in default_registry()}

    def fail(self, path: tuple[str, ...], message: str, needle: str | None = None) -> None:
        line = self.locator.line(self.base + path, needle)
        raise ConfigError(f"{self.shown}:{line}: {message}")

    def where(self, path: tuple[str, ...]) -> str:
        return "[" + ".".join(self.base + path) + "]" if self.base + path else "the top-level table"

    def check(self, table: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in table.items():
            spec = SCHEMA.get(key)
            if spec is None:
                self.fail((key,), f"unknown key `{key}` in {self.where(())}{_suggest(key, SCHEMA)}")
            out[key] = getattr(self, "_" + spec.kind.replace("-", "_"))((key,), value, spec)
        return out

    # one method per Key.kind

    def _codes(self, path, value, spec):
        name = path[-1]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.fail(path, f"`{name}` must be a list of rule codes or prefixes, e.g. [\"CC1\", \"CC403\"], got {_kind(value)}")
        out = []
        for v in value:
            code = v.strip().upper()
            if code != "ALL" and not any(c.startswith(code) for c in self.rules) or not code:
                self.fail(path, f"unknown rule code or prefix `{v}` in `{name}`{_suggest(code, self.rules, 0.8)} (see `archport rules`)", v)
            out.append(code)
        return out

    def _globs(self, path, value, spec):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.fail(path, f"`{path[-1]}` must be a list of glob strings, got {_kind(value)}")
        return list(value)

    def _per_file(self, path, value, spec):
        if not isinstance(value, dict):
            self.fail(path, f"`per-file-ignores` must be a table of glob = [codes], got {_kind(value)}")
        return {glob: self._codes(path + (glob,), codes, spec) for glob, codes in value.items()}

    def _enum(self, path, value, spec):
        if not isinstance(value, str) or value not in spec.choices:
            got = f"`{value}`" if isinstance(value, str) else _kind(value)
            self.fail(path, f"bad value {got} for `{path[-1]}`: expected one of {', '.join(spec.choices)}"
                      + (_suggest(value, spec.choices) if isinstance(value, str) else ""))
        return value

    def _int(self, path, value, spec):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            self.fail(path, f"`{path[-1]}` must be a whole number of 0 or more, got {_kind(value)}")
        return value

    def _size(self, path, value, spec):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            self.fail(path, f"`{path[-1]}` must be a positive number of MiB, got {_kind(value)}")
        return float(value)

    def _bool(self, path, value, spec):
        if not isinstance(value, bool):
            self.fail(path, f"`{path[-1]}` must be true or false, got {_kind(value)}")
        return value

    def _defines(self, path, value, spec):
        if not isinstance(value, dict):
            self.fail(path, f"`defines` must be a table of NAME = \"value\", got {_kind(value)}")
        out = {}
        for name, v in value.items():
            if not name.isidentifier():
                self.fail(path + (name,), f"`{name}` in `defines` is not a macro name")
            if isinstance(v, bool) or not isinstance(v, (str, int)):
                self.fail(path + (name,), f"define `{name}` must be a string or an integer, got {_kind(v)}")
            out[name] = str(v)
        return out

    def _rules(self, path, value, spec):
        if not isinstance(value, dict):
            self.fail(path, f"`rules` must be a table of [rules.CODE] tables, got {_kind(value)}")
        out: dict[str, dict[str, Any]] = {}
        for code, options in value.items():
            rule = self.rules.get(code.upper())
            if rule is None:
                self.fail(path + (code,), f"unknown rule `{code}` in {self.where(path)}{_suggest(code, self.rules, 0.8)}")
            if not isinstance(options, dict):
                self.fail(path + (code,), f"{self.where(path + (code,))} must be a table of options, got {_kind(options)}")
            declared = rule.options
            written, code = code, rule.code
            out[code] = {}
            for name, v in options.items():
                option = declared.get(name)
                if option is None:
                    known = f"{code} has options: {', '.join(declared)}" if declared else f"{code} has no options"
                    self.fail(path + (written, name), f"unknown option `{name}` in {self.where(path + (code,))}"
                              f"{_suggest(name, declared)} ({known})")
                try:
                    out[code][name] = option.check(v)
                except ValueError as exc:
                    self.fail(path + (written, name), f"bad value for `{name}` in {self.where(path + (code,))}: {exc}")
        return out


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, str):
        return f"the string \"{value}\""
    if isinstance(value, (int, float)):
        return f"`{value}`"
    return {list: "an array", dict: "a table"}.get(type(value), type(value).__name__)


# -- where a key is written --------------------------------------------------------------------

_BARE = r"[A-Za-z0-9_-]+"
_BASIC = r'"(?:[^"\\\n]|\\.)*"'
_LITERAL = r"'[^'\n]*'"
_KEY_PART = rf"(?:{_BARE}|{_BASIC}|{_LITERAL})"
_DOTTED = rf"{_KEY_PART}(?:\s*\.\s*{_KEY_PART})*"
_HEADER = re.compile(rf"^\s*\[\[?\s*({_DOTTED})\s*\]\]?")
_ASSIGN = re.compile(rf"^\s*({_DOTTED})\s*=")
_INLINE_KEY = re.compile(rf"[{{,]\s*({_DOTTED})\s*=")


def _parts(dotted: str) -> tuple[str, ...]:
    out = []
    for m in re.finditer(_KEY_PART, dotted):
        tok = m.group(0)
        if tok.startswith('"'):
            try:
                tok = json.loads(tok)
            except ValueError:
                tok = tok[1:-1]
        elif tok.startswith("'"):
            tok = tok[1:-1]
        out.append(tok)
    return tuple(out)


class Locator:
    """Line numbers of the keys of a TOML text (tomllib gives none): headers, `key = value`
    lines, dotted keys and the keys of one-line inline tables."""

    def __init__(self, text: str):
        self.lines = text.splitlines()
        self.keys: dict[tuple[str, ...], int] = {}
        self.duplicate: int | None = None
        table: tuple[str, ...] = ()
        in_string: str | None = None
        depth = 0
        for no, line in enumerate(self.lines, 1):
            if in_string:
                if line.count(in_string) % 2 == 1:
                    in_string = None
                continue
            if depth == 0:
                header = _HEADER.match(line)
                if header:
                    table = _parts(header.group(1))
                    self._record(table, no, header=True)
                    continue
                assign = _ASSIGN.match(line)
                if assign:
                    key = table + _parts(assign.group(1))
                    self._record(key, no)
                    rest = line[assign.end():]
                    for inner in _INLINE_KEY.finditer(rest):
                        self._record(key + _parts(inner.group(1)), no, inline=True)
            if _HEADER.match(line) and depth == 0:
                continue
            for quote in ('"""', "'''"):
                if line.count(quote) % 2 == 1:
                    in_string = quote
            code = re.sub(rf"{_BASIC}|{_LITERAL}", '""', line).split("#", 1)[0]
            depth = max(0, depth + code.count("[") + code.count("{") - code.count("]") - code.count("}"))

    def _record(self, key: tuple[str, ...], no: int, header: bool = False, inline: bool = False) -> None:
        if key in self.keys:
            if not header and not inline and self.duplicate is None:
                self.duplicate = no
            return
        self.keys[key] = no

    def line(self, key: tuple[str, ...], needle: str | None = None) -> int:
        """The line of `key` (or of its nearest written ancestor); with `needle`, the line of
        that quoted string in the key's value when it spans lines."""
        probe = key
        while probe and probe not in self.keys:
            probe = probe[:-1]
        start = self.keys.get(probe, 1)
        if needle is not None:
            pattern = re.compile(rf"[\"']{re.escape(needle)}[\"']")
            for no in range(start, min(len(self.lines), start + 500) + 1):
                if pattern.search(self.lines[no - 1]):
                    return no
        return start


# -- merging with the command line ---------------------------------------------------------------


def merge(
    settings: ScanSettings,
    config: Config,
    explicit: set[str] | frozenset[str] = frozenset(),
    *,
    extend_select: tuple[str, ...] = (),
    extend_ignore: tuple[str, ...] = (),
    target: str | None = None,
) -> ScanSettings:
    """`settings` as the command line built them, with the configuration file filled in where
    the command line did not set a value. `explicit` names the scan options given on the command
    line (click parameter names: select, ignore, exclude, no_ignore, no_layout, jobs,
    max_file_size, define).

    Rule selection: `--select` on the command line replaces the file's select, ignore,
    extend-select and extend-ignore; otherwise select = the file's `select` (default ALL) plus
    `extend-select`, and ignore = the file's `ignore` + `extend-ignore` + `--ignore`.
    `--extend-select`/`--extend-ignore` always add. `--exclude` and `-D` add to the file's."""
    get = config.get
    if "select" in explicit:
        select = tuple(settings.select or ()) + tuple(extend_select)
        ignore = tuple(settings.ignore) + tuple(extend_ignore)
    else:
        extra = tuple(get("extend-select")) + tuple(extend_select)
        base = config.values.get("select")
        select = None if base is None and not extra else tuple(base or ["ALL"]) + extra
        ignore = tuple(get("ignore")) + tuple(get("extend-ignore")) + tuple(settings.ignore) + tuple(extend_ignore)
    defines = dict(get("defines"))
    defines.update(dict(settings.defines))
    directory = str(config.directory) if config.directory else None
    return dataclasses.replace(
        settings,
        select=select,
        ignore=ignore,
        respect_gitignore=settings.respect_gitignore if "no_ignore" in explicit else get("respect-gitignore"),
        respect_layout=settings.respect_layout if "no_layout" in explicit else get("respect-layout"),
        jobs=settings.jobs if "jobs" in explicit else get("jobs"),
        max_file_size=settings.max_file_size if "max_file_size" in explicit else int(get("max-file-size") * 1048576),
        defines=tuple(sorted(defines.items())),
        target=target or settings.target or config.values.get("target"),
        config_file=str(config.path) if config.path else None,
        config_dir=directory,
        config_excludes=tuple(get("exclude")),
        per_file_ignores=tuple((glob, tuple(codes)) for glob, codes in get("per-file-ignores").items()),
        rule_options={**get("rules"), **settings.rule_options},
    )


def fail_on(config: Config, cli_value: str, explicit: set[str] | frozenset[str]) -> str:
    return cli_value if "fail_on" in explicit else config.get("fail-on")


# -- the effective configuration (`archport config`) -------------------------------------------


def effective(config: Config) -> dict[str, Any]:
    """Defaults merged with the file, in SCHEMA order, rule options resolved for the target."""
    from archport.registry import default_registry

    out: dict[str, Any] = {}
    for key, spec in SCHEMA.items():
        out[key] = config.values.get(key, spec.default)
    target = get_target(out["target"])
    rules: dict[str, dict[str, Any]] = {}
    for rule in default_registry():
        if rule.options:
            given = config.values.get("rules", {}).get(rule.code, {})
            rules[rule.code] = {name: given.get(name, o.value_for(target)) for name, o in rule.options.items()}
    out["rules"] = rules
    return out


def to_toml(values: dict[str, Any], header: str) -> str:
    """`values` (from `effective`) as TOML under `header` ("tool.archport" or "")."""
    lines: list[str] = []
    tables: list[tuple[str, dict[str, Any]]] = []
    prefix = f"{header}." if header else ""
    if header:
        lines.append(f"[{header}]")
    for key, value in values.items():
        if isinstance(value, dict):
            tables.append((key, value))
        else:
            lines.append(f"{key} = {_toml_value(value)}")
    for key, value in tables:
        if key == "rules":
            for code, options in value.items():
                lines += ["", f"[{prefix}rules.{code}]"] + [f"{k} = {_toml_value(v)}" for k, v in options.items()]
            continue
        lines += ["", f"[{prefix}{key}]"] + [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items()]
    return "\n".join(lines) + "\n"


def _toml_key(key: str) -> str:
    return key if re.fullmatch(_BARE, key) else json.dumps(key)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(type(value))
