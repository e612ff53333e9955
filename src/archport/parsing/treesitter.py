"""Tree-sitter grammars and compiled queries, created once per process."""

from __future__ import annotations

import functools
import importlib

import tree_sitter as ts

# grammar name -> module providing language()
_GRAMMAR_MODULES = {
    "c": "tree_sitter_c",
    "cpp": "tree_sitter_cpp",
    "go": "tree_sitter_go",
    "rust": "tree_sitter_rust",
    "java": "tree_sitter_java",
    "csharp": "tree_sitter_c_sharp",
    "fortran": "tree_sitter_fortran",
    "python": "tree_sitter_python",
}


@functools.lru_cache(maxsize=None)
def language(grammar: str) -> ts.Language:
    module = importlib.import_module(_GRAMMAR_MODULES[grammar])
    return ts.Language(module.language())


@functools.lru_cache(maxsize=None)
def parser(grammar: str) -> ts.Parser:
    return ts.Parser(language(grammar))


@functools.lru_cache(maxsize=None)
def query(grammar: str, source: str) -> ts.Query:
    return ts.Query(language(grammar), source)


def parse(grammar: str, data: bytes) -> ts.Tree:
    return parser(grammar).parse(data)


def matches(grammar: str, source: str, node: ts.Node) -> list[tuple[int, dict[str, list[ts.Node]]]]:
    return ts.QueryCursor(query(grammar, source)).matches(node)
