"""The settings of one scan, as the CLI and the Python API pass them to the engine."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

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
    #: deployment target name (targets.py); None: the armv8-a baseline, with a note to choose
    target: str | None = None
    #: the configuration file these settings came from (config.py), and its directory, to
    #: which `config_excludes` and `per_file_ignores` globs are relative
    config_file: str | None = None
    config_dir: str | None = None
    config_excludes: tuple[str, ...] = ()
    #: (gitignore-style glob, rule codes or prefixes): findings of those rules in matching
    #: files are dropped
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    #: rule code -> {option name: value} from [tool.archport.rules.CODE]
    rule_options: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: deep mode (deep/): the compilation database to use (None: look for one under the root)
    #: and whether libclang may be used at all (--no-deep: False)
    compile_commands: str | None = None
    deep: bool = True
    #: --online: ask the package indexes about declared dependencies (dependencies/online.py),
    #: and --refresh: ignore cached answers
    online: bool = False
    online_refresh: bool = False
