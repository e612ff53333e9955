"""archport: find, fix and prove x86-64 to AArch64 porting hazards in whole source trees.

Python API::

    import archport
    report = archport.scan("path/to/tree", select=["CC4"])
    for finding in report.active:
        print(finding.path, finding.line, finding.code, finding.message)
"""

from __future__ import annotations

__version__ = "0.1.0"

from collections.abc import Iterable  # noqa: E402
from os import PathLike  # noqa: E402
from typing import TYPE_CHECKING  # noqa: E402

if TYPE_CHECKING:
    from archport.report.model import Report


def scan(
    path: str | PathLike,
    *,
    select: Iterable[str] | None = None,
    ignore: Iterable[str] = (),
    exclude: Iterable[str] = (),
    respect_gitignore: bool = True,
    respect_layout: bool = True,
    jobs: int = 1,
    max_file_size: int | None = None,
    defines: dict[str, str] | None = None,
    target: str | None = None,
    rule_options: dict[str, dict] | None = None,
    config: str | PathLike | None = None,
) -> Report:
    """Scan a tree (or one file) and return the Report; its to_dict() is the JSON report.

    `target` names a deployment target (`archport targets`), `rule_options` maps a rule code
    to its options. Configuration files are read only when `config` names one (the API never
    searches for them); its values fill what the arguments leave at their defaults."""
    from archport.runner import run_scan
    from archport.settings import DEFAULT_MAX_FILE_SIZE, ScanSettings

    settings = ScanSettings(
        select=tuple(select) if select is not None else None,
        ignore=tuple(ignore),
        excludes=tuple(exclude),
        respect_gitignore=respect_gitignore,
        respect_layout=respect_layout,
        jobs=jobs,
        max_file_size=max_file_size or DEFAULT_MAX_FILE_SIZE,
        defines=tuple(sorted((defines or {}).items())),
        target=target,
        rule_options=_checked_options(rule_options or {}),
    )
    if config is not None:
        from archport.config import load, merge

        explicit = {"select"} if select is not None else set()
        settings = merge(settings, load(config), explicit | {"jobs", "no_ignore", "no_layout", "max_file_size"})
    return run_scan(path, settings)


def _checked_options(rule_options: dict[str, dict]) -> dict[str, dict]:
    """Rule options checked against what each rule declares (ValueError otherwise)."""
    from archport.registry import default_registry

    registry = default_registry()
    out = {}
    for code, options in rule_options.items():
        rule = registry.get(code)
        if rule is None:
            raise ValueError(f"unknown rule `{code}`")
        out[code] = {}
        for name, value in options.items():
            if name not in rule.options:
                raise ValueError(f"unknown option `{name}` for {code}")
            out[code][name] = rule.options[name].check(value)
    return out


__all__ = ["scan", "__version__"]
