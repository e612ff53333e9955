"""RuleContext: what a rule may ask about the file it is looking at, and the one place where
findings are built."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from archport.model import Confidence, Finding, Fix, Severity
from archport.parsing import treesitter
from archport.preprocessor import Conditionals, State
from archport.targets import Target, get_target

if TYPE_CHECKING:
    import tree_sitter as ts

    from archport.rule import Rule
    from archport.source import SourceFile

_BRACKET = re.compile(r"[()\[\]{}]")

ARM_ENV = "aarch64"
X86_ENV = "x86_64"
GENERIC_ENV = "generic"


class RuleContext:
    def __init__(
        self,
        source: SourceFile,
        grammar: str | None,
        abs_path: str,
        conditionals: Callable[[], Conditionals | None] | None = None,
        target: Target | None = None,
        deep: Callable[[], Any] | None = None,
    ):
        self.source = source
        #: deep mode: builds the file's libclang type facts on first use of ctx.deep
        self._deep_factory = deep
        self._deep: Any = None
        #: the deployment target (--target; the armv8-a baseline when none was chosen)
        self.target: Target = target or get_target(None)
        #: the running rule's options (defaults merged with [tool.archport.rules.CODE]); the
        #: engine sets them before each rule runs
        self.options: dict[str, Any] = {}
        self.grammar = grammar
        self.abs_path = abs_path
        self._conditionals_factory = conditionals
        self._conditionals: Conditionals | None = None
        #: per-file scratch space that rules may share (e.g. an index built once per file)
        self.cache: dict[str, Any] = {}
        #: why the file could not be parsed (e.g. a malformed manifest), once per message;
        #: reported as `parse` errors, and the scan goes on
        self.parse_errors: list[str] = []
        self._tree: ts.Tree | None = None
        self._data: bytes | None = None

    def parse_error(self, message: str) -> None:
        """Report that this file could not be parsed (one `errors` entry per distinct message)."""
        if message not in self.parse_errors:
            self.parse_errors.append(message)

    # -- text ----------------------------------------------------------------------------------

    @property
    def text(self) -> str:
        return self.source.text

    @property
    def masked(self) -> str:
        return self.source.masked

    @property
    def path(self) -> str:
        return self.source.path

    @property
    def language(self) -> str:
        return self.source.language

    def matching_paren(self, open_offset: int, limit: int = 20000) -> int:
        """Offset just past the bracket closing the one at open_offset (in masked text), or -1
        when it is unbalanced or more than `limit` characters away."""
        pairs = self.cache.get("_brackets")
        if pairs is None:  # one pass over the file pairs every (), [] and {}
            pairs = self.cache["_brackets"] = {}
            stacks: dict[str, list[int]] = {"(": [], "[": [], "{": []}
            opener = {")": "(", "]": "[", "}": "{"}
            for m in _BRACKET.finditer(self.source.masked):
                ch = m.group()
                if ch in stacks:
                    stacks[ch].append(m.start())
                elif stacks[opener[ch]]:
                    pairs[stacks[opener[ch]].pop()] = m.end()
        close = pairs.get(open_offset, -1)
        return close if close != -1 and close - open_offset <= limit else -1

    # -- preprocessor --------------------------------------------------------------------------

    @property
    def conditionals(self) -> Conditionals | None:
        """The file's #if structure under the AArch64, x86-64 and generic targets (evaluated on
        first use: most files never need it)."""
        if self._conditionals_factory is not None:
            self._conditionals = self._conditionals_factory()
            self._conditionals_factory = None
        return self._conditionals

    def arm_state(self, offset: int) -> State:
        if self.conditionals is None:
            return State.ACTIVE
        return self.conditionals.state_at(ARM_ENV, offset)

    def x86_state(self, offset: int) -> State:
        if self.conditionals is None:
            return State.ACTIVE
        return self.conditionals.state_at(X86_ENV, offset)

    # -- deep mode -----------------------------------------------------------------------------

    @property
    def deep(self):
        """The file's libclang type facts (archport.deep.facts.TypeFacts) in deep mode, parsed on
        first use (once per file); None in fast mode, for files not in the compilation database,
        and when libclang could not parse the file. Ask only after a cheap screen."""
        if self._deep_factory is not None:
            factory, self._deep_factory = self._deep_factory, None
            self._deep = factory()
        return self._deep

    @property
    def deep_available(self) -> bool:
        """The file is in the compilation database of a deep-mode scan (ctx.deep may still be
        None if libclang fails on it); does not parse."""
        return self._deep_factory is not None or self._deep is not None

    # -- syntax tree ---------------------------------------------------------------------------

    @property
    def data(self) -> bytes:
        if self._data is None:
            self._data = self.source.text.encode(self.source.encoding, errors="surrogateescape")
        return self._data

    @property
    def tree(self) -> ts.Tree | None:
        """The file's tree-sitter tree, parsed on first use (once per file)."""
        if self._tree is None and self.grammar is not None:
            self._tree = treesitter.parse(self.grammar, self.data)
        return self._tree

    def function_name(self, offset: int) -> str | None:
        """Name of the function definition containing the offset, if any."""
        tree = self.tree
        if tree is None:
            return None
        byte = self.source.byte_offset(offset)
        node = tree.root_node.descendant_for_byte_range(byte, byte)
        while node is not None and node.type != "function_definition":
            node = node.parent
        if node is None:
            return None
        decl = node.child_by_field_name("declarator")
        while decl is not None and decl.type not in ("identifier", "field_identifier", "qualified_identifier",
                                                       "operator_name", "destructor_name"):
            decl = decl.child_by_field_name("declarator")
        return decl.text.decode(errors="replace") if decl is not None else None

    # -- findings ------------------------------------------------------------------------------

    def finding(
        self,
        rule: type[Rule] | Rule,
        start: int,
        end: int,
        message: str,
        help: str,
        *,
        properties: dict[str, Any] | None = None,
        fix: Fix | None = None,
        severity: Severity | None = None,
        confidence: Confidence | None = None,
    ) -> Finding:
        src = self.source
        end = max(end, start)
        line, column = src.position(start)
        end_line, end_column = src.position(end)
        return Finding(
            code=rule.code,
            name=rule.name,
            severity=severity or rule.severity,
            impact=rule.impact,
            confidence=confidence or rule.confidence,
            path=src.path,
            line=line,
            column=column,
            end_line=end_line,
            end_column=end_column,
            start_byte=src.byte_offset(start),
            end_byte=src.byte_offset(end),
            message=message,
            help=help,
            fix=fix,
            properties=dict(properties or {}),
        )
