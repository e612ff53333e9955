"""The settings of one scan, as the CLI and the Python API pass them to the engine."""

from __future__ import annotations

from dataclasses import dataclass, field

DEFAULT_MAX_FILE_SIZE = 10 * 1024 * 1024


@dataclass(frozen=True)
class ScanSettings:
    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] = ()
    excludes: tuple[str, ...] = ()
    respect_gitignore: bool = True
    #: findings under arch/x86/ beside arch/arm/ are marked suppressed (see layout.py)
    respect_layout: bool = True
    jobs: int = 0  # 0: all cores
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    #: extra preprocessor defines for the AArch64 build, NAME -> value
    defines: tuple[tuple[str, str], ...] = field(default_factory=tuple)
