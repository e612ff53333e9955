"""Walk the scan roots: honour .gitignore and --exclude, never follow directory symlinks
(so loops cannot trap us), and turn what cannot be walked into errors, not tracebacks."""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pathspec

from archport.languages import candidate, needs_sniff
from archport.model import ScanError

ALWAYS_SKIPPED_DIRS = frozenset({".git", ".hg", ".svn", "CVS", ".bzr", "__pycache__", ".tox", ".venv"})


@dataclass
class Discovered:
    files: list[tuple[str, str]] = field(default_factory=list)  # (absolute path, path relative to root)
    errors: list[ScanError] = field(default_factory=list)


def _read_ignore(path: Path, errors: list[ScanError], rel: str) -> pathspec.PathSpec | None:
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        return pathspec.GitIgnoreSpec.from_lines(lines, backend="simple")
    except OSError as exc:
        errors.append(ScanError(rel, "read", f"cannot read ignore file: {exc.strerror or exc}"))
        return None


def discover(
    root: Path,
    *,
    excludes: tuple[str, ...] = (),
    respect_gitignore: bool = True,
    accept: Callable[[str], bool] = candidate,
) -> Discovered:
    """Files under `root` (or `root` itself) whose name `accept` takes (by default: that some
    language could claim), sorted."""
    out = Discovered()
    exclude_spec = pathspec.GitIgnoreSpec.from_lines(excludes, backend="simple") if excludes else None

    if root.is_file():
        out.files.append((str(root), root.name))
        return out

    # stack of (directory, relative dir, ignore specs in force as (base_rel, spec))
    stack: list[tuple[str, str, tuple]] = [(str(root), "", ())]
    while stack:
        directory, rel_dir, specs = stack.pop()
        if respect_gitignore:
            gi = os.path.join(directory, ".gitignore")
            if os.path.isfile(gi):
                spec = _read_ignore(Path(gi), out.errors, _join(rel_dir, ".gitignore"))
                if spec is not None:
                    specs = specs + ((rel_dir, spec),)
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError as exc:
            out.errors.append(ScanError(rel_dir or ".", "read", f"cannot list directory: {exc.strerror or exc}"))
            continue
        subdirs = []
        for entry in entries:
            rel = _join(rel_dir, entry.name)
            try:
                is_link = entry.is_symlink()
                is_dir = entry.is_dir(follow_symlinks=False)
            except OSError as exc:
                out.errors.append(ScanError(rel, "read", str(exc.strerror or exc)))
                continue
            if is_dir:
                if entry.name in ALWAYS_SKIPPED_DIRS or _ignored(rel + "/", specs, exclude_spec):
                    continue
                subdirs.append((entry.path, rel, specs))
                continue
            if not accept(entry.name) or _ignored(rel, specs, exclude_spec):
                continue
            # an extensionless name is only maybe a script: special files there pass silently
            quiet = needs_sniff(entry.name)
            if is_link:
                try:
                    st = os.stat(entry.path)  # follows the link; loops raise ELOOP
                except OSError as exc:
                    what = "symbolic link loop" if exc.errno == errno.ELOOP else "broken symbolic link"
                    if not quiet:
                        out.errors.append(ScanError(rel, "read", f"{what}: {exc.strerror or exc}"))
                    continue
                if stat.S_ISDIR(st.st_mode):
                    continue  # directory symlinks are never followed
                if not stat.S_ISREG(st.st_mode):
                    if not quiet:
                        out.errors.append(ScanError(rel, "read", "not a regular file"))
                    continue
            else:
                try:
                    mode = entry.stat(follow_symlinks=False).st_mode
                except OSError as exc:
                    out.errors.append(ScanError(rel, "read", str(exc.strerror or exc)))
                    continue
                if not stat.S_ISREG(mode):
                    if not quiet:
                        out.errors.append(ScanError(rel, "read", "not a regular file (device, FIFO or socket)"))
                    continue
            out.files.append((entry.path, rel))
        stack.extend(reversed(subdirs))
    out.files.sort(key=lambda f: f[1])
    return out


def _join(rel_dir: str, name: str) -> str:
    return f"{rel_dir}/{name}" if rel_dir else name


def _ignored(rel: str, specs: tuple, exclude_spec: pathspec.PathSpec | None) -> bool:
    if exclude_spec is not None and exclude_spec.match_file(rel):
        return True
    # as in git: the deepest .gitignore with a matching pattern decides (so `!name` re-includes)
    for base, spec in reversed(specs):
        sub = rel[len(base) + 1 :] if base else rel
        decision = spec.check_file(sub).include
        if decision is not None:
            return decision
    return False
