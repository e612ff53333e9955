"""Parsers: tree-sitter grammars, loaded lazily and cached per process."""
