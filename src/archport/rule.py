"""The Rule base class: a rule declares what it looks at; the engine does the walking.

A rule is one class in one module. Its metadata are class attributes; its documentation is
its docstring, in the fixed Markdown sections of DOC_SECTIONS.
"""

from __future__ import annotations

import inspect
import re
from typing import TYPE_CHECKING, ClassVar, Iterable

from archport.model import Confidence, FixAvailability, Impact, Severity

if TYPE_CHECKING:
    from archport.context import RuleContext
    from archport.model import Finding

DOC_SECTIONS = (
    "What it does",
    "Why is this a problem on ARM64?",
    "Example",
    "Fix",
    "Options",
    "Limitations",
    "References",
)
REQUIRED_SECTIONS = ("What it does", "Why is this a problem on ARM64?", "Example", "Limitations", "References")
CODE_RE = re.compile(r"^[A-Z]{2}\d{3}$")


class Rule:
    code: ClassVar[str]
    name: ClassVar[str]
    summary: ClassVar[str]
    languages: ClassVar[frozenset[str]]
    severity: ClassVar[Severity]
    impact: ClassVar[Impact]
    confidence: ClassVar[Confidence] = Confidence.HIGH
    fix_availability: ClassVar[FixAvailability] = FixAvailability.NONE
    tags: ClassVar[tuple[str, ...]] = ()
    #: rough minutes of engineering work per finding, for the effort estimate
    effort_minutes: ClassVar[int] = 30
    #: literal byte strings; the file is offered to the rule only if one occurs in it.
    #: Empty means "always offer" (use sparingly: it defeats the prefilter).
    prefilter: ClassVar[tuple[bytes, ...]] = ()
    #: regex applied to the comment- and string-masked text; each match goes to check_match
    pattern: ClassVar[str | None] = None
    #: tree-sitter query; each match goes to check_query
    query: ClassVar[str | None] = None
    #: drop findings located in code that an AArch64 build never compiles
    respect_preprocessor: ClassVar[bool] = True
    #: which command reports this rule: "scan" (the static rules) or "verify" (compile checks
    #: and differential runs; the scanner never reports these)
    produced_by: ClassVar[str] = "scan"

    def check_match(self, ctx: RuleContext, match: re.Match) -> Iterable[Finding]:
        return ()

    def check_query(self, ctx: RuleContext, captures: dict) -> Iterable[Finding]:
        return ()

    def check_file(self, ctx: RuleContext) -> Iterable[Finding]:
        return ()

    # -- documentation -------------------------------------------------------------------------

    @classmethod
    def doc(cls) -> str:
        return inspect.cleandoc(cls.__doc__ or "")

    @classmethod
    def doc_sections(cls) -> dict[str, str]:
        """The docstring split at its `## ` headings, in order."""
        sections: dict[str, str] = {}
        current = None
        buf: list[str] = []
        for line in cls.doc().splitlines():
            if line.startswith("## "):
                if current is not None:
                    sections[current] = "\n".join(buf).strip()
                current, buf = line[3:].strip(), []
            elif current is not None:
                buf.append(line)
        if current is not None:
            sections[current] = "\n".join(buf).strip()
        return sections

    @classmethod
    def doc_examples(cls) -> tuple[str, str]:
        """The flagged and the portable code blocks of the Example section."""
        text = cls.doc_sections().get("Example", "")
        head, _, tail = text.partition("Use instead:")
        block = re.compile(r"```[\w+-]*\n(.*?)```", re.S)
        bad = block.search(head)
        good = block.search(tail)
        return (bad.group(1) if bad else "", good.group(1) if good else "")

    @classmethod
    def example_language(cls) -> str:
        m = re.search(r"```([\w+-]+)", cls.doc_sections().get("Example", ""))
        return m.group(1) if m else ""

    @classmethod
    def meta(cls) -> dict:
        return {
            "code": cls.code,
            "name": cls.name,
            "summary": cls.summary,
            "languages": sorted(cls.languages),
            "severity": cls.severity.value,
            "impact": cls.impact.value,
            "confidence": cls.confidence.value,
            "fix_availability": cls.fix_availability.value,
            "tags": list(cls.tags),
            "effort_minutes": cls.effort_minutes,
        }
