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
) -> Report:
    """Scan a tree (or one file) and return the Report; its to_dict() is the JSON report."""
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
    )
    return run_scan(path, settings)


__all__ = ["scan", "__version__"]
