"""The deep mode of the silent-behaviour C/C++ rules: with a compilation database
(`compile_commands.json`) and libclang installed (`pip install 'archport[clang]'` plus the
system's libclang), the plain-char, float-conversion and memory-order rules ask libclang for
real types, macro expansions and constant values instead of reading them from the text and the
tree-sitter tree. Files that are not in the database, and scans without one, use the fast mode.

`plan()` decides the mode of a scan (once, in the main process); `facts_for()` gives the type
facts of one file (parsed lazily, once, in the worker that scans it) to RuleContext.deep."""

from __future__ import annotations

import os
from dataclasses import dataclass

from archport.deep.compdb import CompilationDatabase, discover
from archport.deep.facts import TypeFacts

__all__ = ["DeepPlan", "plan", "facts_for", "CompilationDatabase", "TypeFacts", "SOURCE_SUFFIXES"]

#: files a compilation database lists (headers are never in one)
SOURCE_SUFFIXES = (".c", ".cc", ".cpp", ".cxx", ".c++", ".C", ".cp")


class DeepInputError(ValueError):
    """--compile-commands names a file that is not a usable compilation database."""


@dataclass(frozen=True)
class DeepPlan:
    enabled: bool
    reason: str  # one line: which mode runs and why
    compile_commands: str | None = None
    files_in_database: int = 0
    source_files: int = 0

    @property
    def mode(self) -> str:
        return "deep" if self.enabled else "fast"

    def as_settings(self) -> dict:
        return {"mode": self.mode, "engine": "libclang" if self.enabled else "tree-sitter",
                "compile_commands": self.compile_commands, "files_in_database": self.files_in_database,
                "source_files": self.source_files, "reason": self.reason}


def plan(root: str | os.PathLike, files: list[tuple[str, str]], compile_commands: str | None = None,
         deep: bool = True) -> DeepPlan:
    """Which mode a scan runs in. `files` are the scan's (absolute, relative) paths. Raises
    DeepInputError when an explicitly given database cannot be read."""
    if not deep:
        return DeepPlan(False, "fast mode: --no-deep")
    path = compile_commands or discover(root)
    if path is None:
        return DeepPlan(False, "fast mode: no compile_commands.json at the scan root or in a build*/ directory "
                               "(--compile-commands FILE enables the libclang deep mode)")
    shown = _shown(path, root)
    try:
        db = CompilationDatabase.load(path)
    except ValueError as exc:
        if compile_commands:
            raise DeepInputError(str(exc)) from None
        return DeepPlan(False, f"fast mode: {exc}")
    from archport.deep import libclang

    cindex, why = libclang.load()
    if cindex is None:
        return DeepPlan(False, f"fast mode: {shown} found, but {why}", os.path.abspath(path))
    sources = [a for a, _ in files if a.endswith(SOURCE_SUFFIXES)]
    listed = sum(1 for a in sources if db.entry_for(a) is not None)
    if not listed:
        return DeepPlan(False, f"fast mode: none of the {len(sources)} scanned C/C++ source files is in {shown}",
                        os.path.abspath(path), 0, len(sources))
    return DeepPlan(True, f"deep mode (libclang): {listed} of {len(sources)} C/C++ source files from {shown}; "
                          "headers and unlisted files in fast mode", os.path.abspath(path), listed, len(sources))


def facts_for(path: str, entry, data: bytes) -> TypeFacts | None:
    """The file's type facts, or None when libclang could not parse it (fast mode then)."""
    facts = TypeFacts(path, entry).parse(data)
    return facts if facts.ok else None


def _shown(path: str, root) -> str:
    try:
        base = root if os.path.isdir(root) else os.path.dirname(os.path.abspath(root))
        rel = os.path.relpath(os.path.abspath(path), os.path.abspath(base))
        return path if rel.startswith("..") else rel
    except ValueError:
        return path
