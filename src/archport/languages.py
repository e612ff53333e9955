"""The languages and file kinds archport reads, and how to recognise them from a path and
the first bytes of a file."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Language:
    name: str
    extensions: tuple[str, ...] = ()
    filenames: tuple[str, ...] = ()
    #: line-comment leaders, for suppression comments and test markers
    comment_leaders: tuple[str, ...] = ()
    #: tree-sitter grammar name, or None when the line scanner is used
    grammar: str | None = None
    #: whether `#if`/`#ifdef` directives are evaluated for this language
    preprocessed: bool = False


C = Language("c", (".c", ".h"), comment_leaders=("//",), grammar="c", preprocessed=True)
CPP = Language(
    "cpp",
    (".cc", ".cpp", ".cxx", ".c++", ".hh", ".hpp", ".hxx", ".h++", ".ipp", ".inl", ".tcc", ".cu", ".cuh"),
    comment_leaders=("//",),
    grammar="cpp",
    preprocessed=True,
)
# GAS sources, `.S` ones through the C preprocessor; NASM/YASM/MASM sources.
ASM = Language("asm", (".s", ".S", ".sx", ".asm", ".nasm", ".yasm"), comment_leaders=("#", ";", "//", "@"))

LANGUAGES: dict[str, Language] = {lang.name: lang for lang in (C, CPP, ASM)}

_BY_EXTENSION: dict[str, Language] = {}
for _lang in LANGUAGES.values():
    for _ext in _lang.extensions:
        _BY_EXTENSION.setdefault(_ext, _lang)
_BY_EXTENSION_LOWER = {ext.lower(): lang for ext, lang in _BY_EXTENSION.items()}

# `.h` is shared by C and C++; a header with C++-only syntax is parsed with the C++ grammar.
_CPP_MARKERS = re.compile(
    rb"^\s*(?:namespace\s+\w|template\s*<|class\s+\w+[^;]*\{|using\s+namespace\b|extern\s+\"C\\+\\+\")"
    rb"|\bstd::|\bconstexpr\b",
    re.M,
)
# `.inc` files hold assembly, C, Pascal or PHP: take them only when they look like x86 assembly.
_ASM_SNIFF = re.compile(rb"^\s*(?:%(?:macro|define|ifdef|include)\b|\.(?:macro|globl|text|intel_syntax)\b)", re.M)


def classify(name: str, head: bytes = b"") -> Language | None:
    """The language of a file from its name and, where the name is ambiguous, its first bytes."""
    dot = name.rfind(".")
    ext = name[dot:] if dot > 0 else ""
    lang = _BY_EXTENSION.get(ext) or _BY_EXTENSION_LOWER.get(ext.lower())
    if lang is C and ext.lower() == ".h" and _CPP_MARKERS.search(head):
        return CPP
    if lang is None and ext.lower() == ".inc" and _ASM_SNIFF.search(head):
        return ASM
    return lang


def candidate(name: str) -> bool:
    """Cheap name-only test: could classify() accept this file?"""
    dot = name.rfind(".")
    if dot <= 0:
        return False
    ext = name[dot:]
    return ext in _BY_EXTENSION or ext.lower() in _BY_EXTENSION_LOWER or ext.lower() == ".inc"
