"""Shared by the DP7xx rules: the file's declared dependencies, parsed once per file."""

from __future__ import annotations

from archport.dependencies.manifests import Dependency, dependencies, manifest_parser

#: the file kinds that hold manifests or lock files
MANIFEST_LANGUAGES = frozenset({"pip-requirements", "toml", "ini", "yaml", "json", "maven", "msbuild", "gomod", "gradle"})


def file_dependencies(ctx) -> list[Dependency]:
    """The dependencies the file declares ([] for other files and for a manifest that cannot
    be parsed, which becomes one `parse` error of the scan)."""
    deps = ctx.cache.get("dp.deps")
    if deps is None:
        deps = []
        if manifest_parser(ctx.path, ctx.language) is not None:
            try:
                deps = dependencies(ctx.path, ctx.language, ctx.text)
            except (ValueError, RecursionError) as exc:
                ctx.parse_error(str(exc) if isinstance(exc, ValueError) else "manifest nested too deeply to parse")
                deps = []
        ctx.cache["dp.deps"] = deps
    return deps
