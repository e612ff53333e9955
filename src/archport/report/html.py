"""The HTML report (`--format html`): one self-contained page that opens offline.

Everything is inline: the stylesheet, the script (allowed by a Content-Security-Policy hash,
so nothing else can run or load, not even an injected `<script>`), the charts (SVG drawn
here), the code frames (highlighted with Pygments) and the documentation of every rule that
has a finding (Markdown rendered with markdown-it-py, raw HTML off). All text from the scan
goes through Jinja2's autoescaping.

The page has: an overview (findings by impact, by family, by directory; the readiness score;
the effort estimate of archport.effort), a sortable, filterable table of the findings with
code frames, each rule's documentation in a dialog one click from its code, and the
math-library migration plan.

The migration plan is built from one `properties` contract that the math-library rules fill
(archport.mathlibs.MigrationAdvice.as_properties): a finding whose `properties["migration"]`
is a dict

    {"library": "Intel MKL",                 # the x86 library the use belongs to (required)
     "family": "VML",                        # the library's function family (optional)
     "call": "vdExp",                        # the call, header or library found (else properties["call"])
     "replacement": "KML_VML vdexp, ...",    # what replaces this call on AArch64
     "kind": "drop-in" | "rename" | "rewrite",
     "group": "...",                         # the family-level replacement, for grouping (optional)
     "note": "..."}                          # optional caveat shown beside the replacement

is a use of `library` to move. The plan groups by library, then by family-level replacement
(`group`, else `replacement`), then by call with its sites; with no such finding it says so.
"""

from __future__ import annotations

import base64
import hashlib
import posixpath
import re
from collections import Counter, defaultdict
from functools import lru_cache
from importlib import resources
from typing import Any

from markupsafe import Markup, escape

from archport import __version__
from archport.effort import DAYS_PER_MONTH, HOURS_PER_DAY, readiness
from archport.model import Finding, Impact, Severity
from archport.report._source import SourceLines
from archport.report.model import Report

#: code frames are drawn for findings in table order until this many distinct source lines
#: are shipped (each line once, however many frames show it)
MAX_FRAME_LINES = 8_000
FRAME_CONTEXT = 2  # lines before and after a finding
MAX_FRAME_SPAN = 6  # lines of the finding itself shown at most
MAX_LINE_CHARS = 180  # characters of one source line shown in a frame
TOP_DIRECTORIES = 10
#: rows of the findings table laid out at once (the page offers "show all" beyond)
PAGE_SIZE = 500

FAMILY_NAMES = {
    "AP": "archport",
    "AS": "Assembly",
    "BD": "Build files",
    "BN": "Binaries",
    "CC": "C/C++",
    "CS": "C#",
    "CT": "Containers and CI",
    "DP": "Dependencies",
    "FT": "Fortran",
    "GO": "Go",
    "JV": "Java/JVM",
    "PY": "Python",
    "RS": "Rust",
}
_IMPACT_ORDER = [i.value for i in Impact]


# -- building blocks -------------------------------------------------------------------------


def _asset(name: str) -> str:
    return resources.files("archport.report").joinpath(f"templates/{name}").read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def _environment():
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("archport.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["ticks"] = ticks
    return env


_TICKS = re.compile(r"`([^`]+)`")


def ticks(text: str) -> Markup:
    """`text` escaped, with its `backtick` spans as <code> (escaping first keeps it safe)."""
    return Markup(_TICKS.sub(r"<code>\1</code>", str(escape(text))))


@lru_cache(maxsize=1)
def _formatter_css() -> str:
    from pygments.formatters import HtmlFormatter

    return HtmlFormatter(style="default").get_style_defs([".code", ".doc pre"])


@lru_cache(maxsize=64)
def _lexer(name: str):
    """A Pygments lexer for a file name (by extension; archport's own language table first,
    since Pygments takes `.S` for the S statistics language)."""
    from pygments.lexers import (
        CLexer,
        CppLexer,
        GasLexer,
        NasmLexer,
        TextLexer,
        get_lexer_for_filename,
    )
    from pygments.util import ClassNotFound

    from archport.languages import classify

    options = {"stripnl": False, "ensurenl": False}
    language = classify(name)
    if language is not None:
        if language.name == "c":
            return CLexer(**options)
        if language.name == "cpp":
            return CppLexer(**options)
        if language.name == "asm":
            ext = name.rsplit(".", 1)[-1].lower()
            return NasmLexer(**options) if ext in ("asm", "nasm", "yasm") else GasLexer(**options)
    if name.lower().endswith(".inc"):
        return TextLexer(**options)
    try:
        return get_lexer_for_filename(name, **options)
    except ClassNotFound:
        return TextLexer(**options)


_WHITESPACE_SPAN = re.compile(r'<span class="w">(\s*)</span>')


def _highlight(code: str, name: str) -> str:
    from pygments import highlight
    from pygments.formatters import HtmlFormatter

    return _WHITESPACE_SPAN.sub(r"\1", highlight(code, _lexer(name), HtmlFormatter(nowrap=True)))


class _Frames:
    """Code frames around findings. Each needed source line is highlighted once, however many
    frames show it, and shipped in one JSON block; the page's script draws a frame when its
    row is opened. Lines are read from under the report's root; a file that is gone has none.
    """

    def __init__(self, root: str):
        self.source = SourceLines(root)
        self.paths: dict[str, int] = {}  # path -> index in the JSON block
        self.needed: dict[str, dict[int, int]] = defaultdict(dict)  # path -> line -> first column shown
        self.lines = 0
        self.count = 0

    def add(self, f: Finding) -> str | None:
        """The frame of `f` as "file first last hit_first hit_last", or None (no source, or
        over budget)."""
        lines = self.source.of(f)  # none for a binary or an archive
        if not lines or f.line > len(lines):
            return None
        hit_last = min(max(f.end_line, f.line), f.line + MAX_FRAME_SPAN - 1, len(lines))
        first = max(1, f.line - FRAME_CONTEXT)
        last = min(len(lines), hit_last + FRAME_CONTEXT)
        needed = self.needed[f.path]
        new = [n for n in range(first, last + 1) if n not in needed]
        if self.lines + len(new) > MAX_FRAME_LINES:
            return None
        for n in new:
            start = 0
            if n == f.line and len(lines[n - 1]) > MAX_LINE_CHARS:
                start = max(0, min(f.column - 1 - MAX_LINE_CHARS // 3, len(lines[n - 1]) - MAX_LINE_CHARS))
            needed[n] = start
        self.lines += len(new)
        self.count += 1
        index = self.paths.setdefault(f.path, len(self.paths))
        return f"{index} {first} {last} {f.line} {hit_last}"

    def data(self) -> list[Markup]:
        """Per file (in index order), its needed lines as highlighted HTML, each line one
        `<span data-n="N">`, for an inert `<template>` of the page."""
        out: list[Markup] = []
        for path in self.paths:
            lines = self.source.get(path)
            needed = self.needed[path]
            numbers = sorted(needed)
            highlighted: dict[str, str] = {}
            run: list[int] = []
            for n in numbers + [None]:
                if run and (n is None or n != run[-1] + 1):
                    shown = []
                    for m in run:
                        raw, start = lines[m - 1], needed[m]
                        if len(raw) > MAX_LINE_CHARS:
                            raw = ("…" if start else "") + raw[start : start + MAX_LINE_CHARS] + "…"
                        shown.append(raw.expandtabs(4))
                    body = _highlight("\n".join(shown) + "\n", posixpath.basename(path)).split("\n")
                    for m, html_line in zip(run, body):
                        highlighted[str(m)] = html_line
                    run = []
                if n is not None:
                    run.append(n)
            out.append(Markup("".join(f'<span data-n="{n}">{highlighted[str(n)]}</span>' for n in numbers)))
        return out


def bar_chart(items: list[tuple[str, int]], *, label: str, css: str = "") -> Markup:
    """A horizontal bar chart as inline SVG (no script, no external anything)."""
    if not items:
        return Markup('<p class="empty">none</p>')
    bar_h, gap, label_w, bar_w, value_w = 18, 6, 170, 260, 50
    height = len(items) * (bar_h + gap)
    top = max(v for _, v in items) or 1
    width = label_w + bar_w + value_w
    parts = [
        (
            f'<svg class="chart {escape(css)}" role="img" aria-label="{escape(label)}" '
            f'viewBox="0 0 {width} {height}" width="{width}" height="{height}">'
        )
    ]
    for i, (name, value) in enumerate(items):
        y = i * (bar_h + gap)
        shown = name if len(name) <= 26 else "…" + name[-25:]
        w = max(2, round(bar_w * value / top))
        key = escape(name.lower().replace(" ", "-").replace("/", "-"))
        parts.append(
            f'<g class="bar bar-{key}"><title>{escape(name)}: {value}</title>'
            f'<text x="{label_w - 6}" y="{y + bar_h - 5}" text-anchor="end">{escape(shown)}</text>'
            f'<rect x="{label_w}" y="{y}" width="{w}" height="{bar_h}" rx="2"></rect>'
            f'<text x="{label_w + w + 6}" y="{y + bar_h - 5}" class="value">{value}</text></g>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


@lru_cache(maxsize=256)
def _doc_html(code: str) -> Markup | None:
    from markdown_it import MarkdownIt

    from archport.registry import default_registry

    rule = default_registry().get(code)
    if rule is None:
        return None

    def highlight(content: str, lang: str, _attrs) -> str:
        name = {"c": "x.c", "cpp": "x.cpp", "c++": "x.cpp", "asm": "x.s", "gas": "x.s", "nasm": "x.asm"}.get(lang)
        return _highlight(content, name) if name else ""

    md = MarkdownIt("commonmark", {"html": False, "highlight": highlight})
    return Markup(md.render(rule.doc()))


def _rule_meta(code: str, findings: list[Finding]) -> dict[str, Any]:
    from archport.registry import default_registry

    rule = default_registry().get(code)
    sample = findings[0]
    return {
        "code": code,
        "name": sample.name,
        "summary": rule.summary if rule is not None else "",
        "severity": sample.severity.value,
        "impact": sample.impact.value,
        "confidence": rule.confidence.value if rule is not None else sample.confidence.value,
        "effort_minutes": rule.effort_minutes if rule is not None else None,
        "doc": _doc_html(code),
        "count": sum(1 for f in findings if f.suppressed is None),
    }


def migration_plan(findings: list[Finding]) -> list[dict[str, Any]]:
    """Findings with a `migration` property, grouped library -> family-level replacement
    (`group`, else `replacement`) -> call -> sites."""
    tree: dict[str, dict[tuple[str, str], dict[str, dict[str, Any]]]] = defaultdict(lambda: defaultdict(dict))
    for f in findings:
        m = f.properties.get("migration") if f.properties else None
        if not isinstance(m, dict) or not m.get("library"):
            continue
        library = str(m["library"])
        replacement = str(m.get("replacement") or "(no direct replacement)")
        key = (str(m.get("family") or ""), str(m.get("group") or replacement))
        call = str(m.get("call") or f.properties.get("call") or "")
        entry = tree[library][key].setdefault(
            call, {"call": call, "replacement": replacement, "kind": str(m.get("kind") or ""),
                   "note": str(m.get("note") or ""), "sites": []},
        )
        entry["sites"].append({"path": f.path, "line": f.line, "code": f.code})
    plan = []
    for library in sorted(tree):
        groups = []
        for (family, group), calls in sorted(tree[library].items()):
            entries = [calls[c] for c in sorted(calls)]
            for e in entries:
                e["sites"].sort(key=lambda s: (s["path"], s["line"]))
            sites = [s for e in entries for s in e["sites"]]
            groups.append(
                {
                    "family": family,
                    "replacement": group,
                    "kinds": sorted({e["kind"] for e in entries if e["kind"]}),
                    "calls": entries,
                    "sites": len(sites),
                    "files": len({s["path"] for s in sites}),
                }
            )
        plan.append({"library": library, "groups": groups, "sites": sum(g["sites"] for g in groups)})
    return plan


def _directory(path: str) -> str:
    d = posixpath.dirname(path)
    return d + "/" if d else "./"


# -- the page --------------------------------------------------------------------------------


def context(report: Report) -> dict[str, Any]:
    active = report.active
    ordered = sorted(active, key=lambda f: (-f.severity.rank, f.sort_key)) + sorted(
        report.suppressed, key=lambda f: f.sort_key
    )
    frames = _Frames(report.root)
    rows = [{"f": f, "frame": frames.add(f), "index": i} for i, f in enumerate(ordered)]

    by_impact = Counter(f.impact.value for f in active)
    by_family = Counter(f.code[:2] for f in active)
    by_dir = Counter(_directory(f.path) for f in active)
    by_sev = Counter(f.severity.value for f in active)

    grouped: dict[str, list[Finding]] = defaultdict(list)
    for f in report.findings:
        grouped[f.code].append(f)
    rules = [_rule_meta(code, fs) for code, fs in sorted(grouped.items())]

    effort = report.effort()
    effort_rows = sorted(
        ((code, r) for code, r in effort.by_code.items()),
        key=lambda kv: (-kv[1].minutes, kv[0]),
    )
    script = _asset("report.js")
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    return {
        "report": report,
        "version": __version__,
        "title": f"archport report: {posixpath.basename(report.root.rstrip('/')) or report.root}",
        "active": active,
        "rows": rows,
        "page_size": PAGE_SIZE,
        "frames_shown": frames.count,
        "frames": frames.data(),
        "by_severity": [(s.value, by_sev.get(s.value, 0)) for s in Severity],
        "impact_chart": bar_chart(
            [(i, by_impact[i]) for i in _IMPACT_ORDER if by_impact.get(i)], label="Findings by impact", css="impact"
        ),
        "family_chart": bar_chart(
            [(f"{FAMILY_NAMES.get(fam, fam)} ({fam})", n) for fam, n in sorted(by_family.items(), key=lambda kv: (-kv[1], kv[0]))],
            label="Findings by family",
            css="family",
        ),
        "directory_chart": bar_chart(
            sorted(by_dir.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_DIRECTORIES],
            label="Findings by directory",
            css="directory",
        ),
        "directories": len(by_dir),
        "top_directories": TOP_DIRECTORIES,
        "impacts": [i for i in _IMPACT_ORDER if by_impact.get(i) or any(f.impact.value == i for f in report.findings)],
        "severities": [s.value for s in Severity],
        "rules": rules,
        "effort": effort,
        "effort_rows": effort_rows,
        "effort_hours_per_day": HOURS_PER_DAY,
        "days_per_month": DAYS_PER_MONTH,
        "readiness": readiness(report),
        "plan": migration_plan(active),
        "css": Markup(_asset("report.css") + "\n" + _formatter_css()),
        "script": Markup(script),
        "script_hash": digest,
    }


def render(report: Report) -> str:
    return _environment().get_template("report.html.j2").render(**context(report))
