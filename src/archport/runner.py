"""A whole scan: discover files, spread them over worker processes, gather a sorted Report
that is the same whatever the number of workers."""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

import pathspec

from archport.discovery import discover
from archport.engine import FileScanner
from archport.layout import x86_only_directories, x86_variant_of
from archport.model import FileResult, Finding
from archport.registry import Registry, default_registry
from archport.report.model import Report
from archport.selection import select_rules
from archport.settings import ScanSettings
from archport.targets import get_target

ProgressCallback = Callable[[int, int], None]
_IN_PROCESS_BELOW = 48  # files; below this, starting workers costs more than it saves
_CHUNK = 16

_worker: FileScanner | None = None


def _init_worker(rules, settings) -> None:
    global _worker
    _worker = FileScanner(rules, settings)


def _scan_chunk(chunk: list[tuple[str, str]]) -> list[FileResult]:
    assert _worker is not None
    return [_worker.scan(abs_path, rel) for abs_path, rel in chunk]


class ScanInputError(Exception):
    """The scan cannot start (missing path, bad selection); the CLI exits 2 with this message."""


def run_scan(
    path: str | os.PathLike,
    settings: ScanSettings = ScanSettings(),
    *,
    registry: Registry | None = None,
    progress: ProgressCallback | None = None,
) -> Report:
    started = time.perf_counter()
    root = Path(path)
    if not root.exists():
        raise ScanInputError(f"no such file or directory: {path}")
    registry = registry or default_registry()
    # rules that `verify` produces (compile errors, run differences) are never scan findings
    rules = [r for r in select_rules(registry, settings.select, settings.ignore) if r.produced_by == "scan"]

    found = discover(root, excludes=settings.excludes, respect_gitignore=settings.respect_gitignore)
    files = _without_config_excludes(root, found.files, settings)
    deep_plan = _deep_plan(root, files, settings)
    online = _online_prefetch(root, files, rules, settings)
    if online is not None:
        settings = online[1]
    settings = dataclasses.replace(settings, deep=deep_plan.enabled,
                                   compile_commands=deep_plan.compile_commands if deep_plan.enabled else None)
    jobs = settings.jobs or os.cpu_count() or 1
    results: list[FileResult] = []
    total = len(files)
    if jobs <= 1 or total < _IN_PROCESS_BELOW:
        scanner = FileScanner(rules, settings)
        for i, (abs_path, rel) in enumerate(files, 1):
            results.append(scanner.scan(abs_path, rel))
            if progress:
                progress(i, total)
    else:
        # biggest files first so no worker is left with a giant one at the end
        ordered = sorted(files, key=lambda f: _size(f[0]), reverse=True)
        chunks = [ordered[i : i + _CHUNK] for i in range(0, len(ordered), _CHUNK)]
        context = multiprocessing.get_context("fork" if os.name == "posix" else "spawn")
        with ProcessPoolExecutor(jobs, mp_context=context, initializer=_init_worker, initargs=(rules, settings)) as pool:
            futures = [pool.submit(_scan_chunk, chunk) for chunk in chunks]
            done = 0
            for future in as_completed(futures):
                chunk_results = future.result()
                results.extend(chunk_results)
                done += len(chunk_results)
                if progress:
                    progress(done, total)

    report = Report(root=str(root))
    report.errors.extend(found.errors)
    arch_dirs = x86_only_directories(root, [rel for _, rel in files]) if settings.respect_layout else {}
    base = root if root.is_dir() else root.parent
    listing: dict[str, set[str]] = {}
    per_file_ignored = _PerFileIgnores(base, settings)

    def variant_of(rel: str) -> str | None:
        return x86_variant_of(base, rel, listing) if settings.respect_layout and root.is_dir() else None

    for r in sorted(results, key=lambda r: r.path):
        report.findings.extend(_mark_layout(per_file_ignored(r.findings, r.path), r.path, arch_dirs, variant_of))
        report.errors.extend(r.errors)
        if not r.considered:
            continue
        if r.scanned:
            report.files_scanned += 1
            report.lines_scanned += r.lines
            report.bytes_scanned += r.size
        else:
            report.files_skipped += 1
        report.files_parsed += r.parsed
    report.findings.sort(key=lambda f: f.sort_key)
    report.errors.sort(key=lambda e: (e.path, e.stage, e.message))
    report.rules_run = sorted(r.code for r in rules)
    report.effort_minutes = {r.code: r.effort_minutes for r in rules}
    report.settings = {
        "select": list(settings.select) if settings.select is not None else ["ALL"],
        "ignore": list(settings.ignore),
        "exclude": list(settings.excludes),
        "respect_gitignore": settings.respect_gitignore,
        "respect_layout": settings.respect_layout,
        "max_file_size": settings.max_file_size,
        "defines": {k: v for k, v in settings.defines},
        "target": get_target(settings.target).name,
        "target_chosen": settings.target is not None,
        "config_file": settings.config_file,
        "per_file_ignores": {glob: list(codes) for glob, codes in settings.per_file_ignores},
        "rule_options": {code: dict(opts) for code, opts in sorted(settings.rule_options.items())},
        "analysis": deep_plan.as_settings(),
        "online": online[0].as_settings() if online is not None else {"enabled": False},
    }
    report.duration_seconds = time.perf_counter() - started
    return report


def _online_prefetch(root: Path, files, rules, settings: ScanSettings):
    """--online: ask the package indexes about the manifests' dependencies once, here in the
    main process (answers go to the on-disk cache), and switch on the `online` option of the
    rules that read them. None when not asked for or no selected rule uses it."""
    users = [r.code for r in rules if "online" in r.options]
    if not settings.online or not users:
        return None
    from archport.dependencies.online import prefetch

    summary = prefetch(files, refresh=settings.online_refresh, project_dir=str(root if root.is_dir() else root.parent))
    options = {code: dict(opts) for code, opts in settings.rule_options.items()}
    for code in users:
        options.setdefault(code, {})["online"] = True
    return summary, dataclasses.replace(settings, rule_options=options)


def _deep_plan(root: Path, files, settings: ScanSettings):
    """Deep (libclang) or fast mode for this scan (see archport.deep.plan)."""
    from archport.deep import DeepInputError, plan

    try:
        return plan(root, files, settings.compile_commands, settings.deep)
    except DeepInputError as exc:
        raise ScanInputError(f"--compile-commands: {exc}") from None


def _relative_to_config(abs_path: str, settings: ScanSettings, base: Path) -> str | None:
    """`abs_path` relative to the configuration file's directory (the scan's base without
    one), with forward slashes; None when it lies outside."""
    rel = os.path.relpath(abs_path, settings.config_dir or base)
    if rel == ".." or rel.startswith(".." + os.sep):
        return None
    return rel.replace(os.sep, "/")


def _without_config_excludes(root: Path, files: list[tuple[str, str]], settings: ScanSettings) -> list[tuple[str, str]]:
    """Drop the files that the configuration's `exclude` globs match (a file named on the
    command line is always scanned)."""
    if not settings.config_excludes or not root.is_dir():
        return files
    spec = pathspec.GitIgnoreSpec.from_lines(settings.config_excludes)
    out = []
    for abs_path, rel in files:
        rel_cfg = _relative_to_config(abs_path, settings, root)
        if rel_cfg is None or not spec.match_file(rel_cfg):
            out.append((abs_path, rel))
    return out


class _PerFileIgnores:
    """`per-file-ignores`: drops the findings of the listed codes (or prefixes) in the files
    a glob matches (globs relative to the configuration file's directory)."""

    def __init__(self, base: Path, settings: ScanSettings):
        self.base = base
        self.settings = settings
        self.entries = [
            (pathspec.GitIgnoreSpec.from_lines([glob]), tuple(c.upper() for c in codes))
            for glob, codes in settings.per_file_ignores
        ]

    def __call__(self, findings: list[Finding], path: str) -> list[Finding]:
        if not self.entries or not findings:
            return findings
        rel = _relative_to_config(os.path.join(self.base, path), self.settings, self.base)
        if rel is None:
            return findings
        codes = tuple(c for spec, cs in self.entries if spec.match_file(rel) for c in cs)
        if not codes:
            return findings
        return [f for f in findings if not any(c == "ALL" or f.code.startswith(c) for c in codes)]


def _mark_layout(findings: list[Finding], path: str, arch_dirs: dict[str, str], variant_of) -> list[Finding]:
    if not findings:
        return findings
    prefix = next((p for p in arch_dirs if path.startswith(p)), None)
    if prefix is not None:
        reason = f"layout: {prefix} is x86-only; the build takes {arch_dirs[prefix]} on AArch64"
    else:
        variant = variant_of(path)
        if variant is None:
            return findings
        reason = f"layout: {path} is the x86 variant of {variant}; builds pick one per architecture"
    return [f if f.suppressed else dataclasses.replace(f, suppressed=reason) for f in findings]


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0
