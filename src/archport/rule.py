"""The Rule base class: a rule declares what it looks at; the engine does the walking.

A rule is one class in one module. Its metadata are class attributes; its documentation is
its docstring, in the fixed Markdown sections of DOC_SECTIONS.
"""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Iterable

from archport.model import Confidence, FixAvailability, Impact, Severity

if TYPE_CHECKING:
    from archport.artifacts.scanner import ArtifactContext
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
_OPTION_TYPES = {"int": int, "float": (int, float), "str": str, "bool": bool}
_OPTION_WORDS = {"int": "an integer", "float": "a number", "str": "a string", "bool": "true or false"}


@dataclass(frozen=True)
class Option:
    """One setting of a rule, written `[tool.archport.rules.CODE] name = value` (kebab-case
    names) and read by the rule as `ctx.options["name"]`. List it in the rule's `## Options`.

    `type` is "int", "float", "str", "bool" or "list[int]"/"list[str]"; `default` None means
    "derived from the target" (the rule says how in `help`)."""

    type: str
    default: Any
    help: str
    minimum: float | None = None
    choices: tuple[Any, ...] | None = None

    def value_for(self, target: Any) -> Any:
        """The default for `target` (a targets.Target): `default`, or `default(target)` when
        the default depends on the target."""
        return self.default(target) if callable(self.default) else self.default

    def check(self, value: Any) -> Any:
        """The value if it fits, else ValueError saying what was expected."""
        if self.type.startswith("list["):
            item = self.type[5:-1]
            if not isinstance(value, list):
                raise ValueError(f"expected a list of {_OPTION_WORDS[item].split(' ', 1)[1]}s")
            return [self._one(v, item) for v in value]
        return self._one(value, self.type)

    def _one(self, value: Any, kind: str) -> Any:
        expected = _OPTION_TYPES[kind]
        if isinstance(value, bool) and kind != "bool" or not isinstance(value, expected):
            raise ValueError(f"expected {_OPTION_WORDS[kind]}, got {type(value).__name__}")
        if self.minimum is not None and value < self.minimum:
            raise ValueError(f"expected at least {self.minimum:g}, got {value}")
        if self.choices is not None and value not in self.choices:
            raise ValueError(f"expected one of {', '.join(map(str, self.choices))}, got {value}")
        return value


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
    #: settings a user may change in `[tool.archport.rules.CODE]`, by kebab-case name
    options: ClassVar[dict[str, Option]] = {}
    #: deep mode (libclang): offer the rule every file of the compilation database, even one
    #: without its prefilter literal, since the type it looks for may come from a header
    deep_offer: ClassVar[bool] = False
    #: files written beside the documentation example when it is checked (package-level
    #: rules such as Go's read their neighbours), name -> text
    example_siblings: ClassVar[dict[str, str]] = {}

    def check_match(self, ctx: RuleContext, match: re.Match) -> Iterable[Finding]:
        return ()

    def check_query(self, ctx: RuleContext, captures: dict) -> Iterable[Finding]:
        return ()

    def check_file(self, ctx: RuleContext) -> Iterable[Finding]:
        return ()

    def check_artifact(self, ctx: ArtifactContext) -> Iterable[Finding]:
        """For rules whose `languages` are artifact kinds ("binary", "archive"; see
        archport.artifacts.kinds): called once per binary or archive file, which is never
        decoded as text (no pattern, query or suppression comment applies)."""
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
