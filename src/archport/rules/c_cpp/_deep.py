"""The C/C++ rules' side of the deep mode (archport.deep): the file's libclang type facts when a
deep-mode scan has them, byte/character offset conversion, and the finding property that says a
finding used them. Every helper answers None / does nothing in fast mode."""

from __future__ import annotations

#: the `properties` entry of findings whose decision used libclang's types
ANALYSIS = {"analysis": "libclang"}


def facts(ctx):
    """The file's TypeFacts (parsing with libclang on first use), or None in fast mode."""
    if not getattr(ctx, "deep_available", False):
        return None
    return ctx.deep


def parsed(ctx):
    """The TypeFacts only when some rule already parsed the file (never parses)."""
    return getattr(ctx, "_deep", None)


def char_offset(ctx, byte: int) -> int:
    """Character offset of a byte offset of ctx.data."""
    return ctx.source.char_offset(byte)
