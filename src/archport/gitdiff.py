"""`--diff REF`: which lines of the working tree were added or changed since a git revision.

The working tree (staged and unstaged edits alike) is compared with REF by `git diff -U0 -M
REF`; an untracked file counts as new in full (`git add -A` would commit it), while a file git
ignores (.gitignore, .git/info/exclude, core.excludesFile; scanned only with --no-ignore or when
only git's own exclude files name it) is no part of any change; a renamed file counts only for
the lines its rename changed. Files inside submodules are not compared. A REF ending in
`...` (`origin/main...`) means the merge base of that revision and HEAD, so commits that
landed on the target branch meanwhile do not count. `HEAD` in a repository without commits
means everything is new, so a commit hook works on the first commit too.

Only `git` itself is run (no shell); every failure becomes a one-line GitDiffError.
"""

from __future__ import annotations

import bisect
import dataclasses
import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from archport.report.model import Report

_HUNK = re.compile(rb"^@@ -\d+(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
_ESCAPES = {b"a": 7, b"b": 8, b"t": 9, b"n": 10, b"v": 11, b"f": 12, b"r": 13, b'"': 34, b"\\": 92}


class GitDiffError(Exception):
    """--diff cannot be honoured (no git, not a repository, unknown revision)."""


@dataclass
class ChangedLines:
    """Lines added or changed since `ref`, by path relative to the repository's top level."""

    ref: str
    prefix: str  # the scan base directory relative to the top level: "" or "sub/dir/"
    ranges: dict[str, list[tuple[int, int]]] = field(default_factory=dict)  # path -> sorted [first, last]
    untracked: frozenset[str] = frozenset()  # untracked, not ignored: files, and directories ending in "/"
    everything: bool = False  # unborn HEAD: no revision to compare with

    def is_changed(self, rel_path: str, line: int) -> bool:
        """Whether `line` of `rel_path` (relative to the scan base) is new since the revision."""
        if self.everything:
            return True
        path = self.prefix + rel_path.replace(os.sep, "/")
        spans = self.ranges.get(path)
        if spans is not None:
            i = bisect.bisect_right(spans, (line, float("inf"))) - 1
            return i >= 0 and spans[i][0] <= line <= spans[i][1]
        return self._untracked(path)

    def _untracked(self, path: str) -> bool:
        if path in self.untracked:
            return True
        cut = path.rfind("/")
        while cut > 0:
            if path[: cut + 1] in self.untracked:
                return True
            cut = path.rfind("/", 0, cut)
        return False


def _git(args: list[str], cwd: str) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(
            ["git", *args], cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True, check=False
        )
    except FileNotFoundError:
        raise GitDiffError("--diff needs the `git` command, which is not installed") from None
    except OSError as exc:
        raise GitDiffError(f"cannot run git: {exc.strerror or exc}") from None


def _first_line(stderr: bytes) -> str:
    text = stderr.decode("utf-8", "replace").strip()
    return text.splitlines()[0] if text else "no message"


def changed_lines(root: str | os.PathLike, ref: str) -> ChangedLines:
    """The lines of the tree at `root` (a directory or a file) that are new since `ref`."""
    root = Path(root)
    base = root if root.is_dir() else root.parent
    if not base.is_dir():
        raise GitDiffError(f"no such file or directory: {root}")
    where = _git(["rev-parse", "--show-toplevel", "--show-prefix"], str(base))
    if where.returncode != 0:
        raise GitDiffError(f"--diff needs a git repository, and {root} is not inside one")
    lines = where.stdout.decode("utf-8", "surrogateescape").splitlines()
    if len(lines) < 1 or not lines[0]:
        raise GitDiffError(f"--diff needs a git work tree, and {root} is not inside one")
    top, prefix = lines[0], (lines[1] if len(lines) > 1 else "")
    result = ChangedLines(ref=ref, prefix=prefix)

    commit = _resolve(ref, top)
    if commit is None:  # unborn HEAD: every line is new
        result.everything = True
        return result
    diff = _git(
        [
            "-c", "core.quotePath=false",
            "diff", "--no-color", "--no-ext-diff", "--no-textconv", "--ignore-submodules",
            "-U0", "--inter-hunk-context=0", "-M", "--src-prefix=a/", "--dst-prefix=b/",
            commit, "--",
        ],
        top,
    )
    if diff.returncode != 0:
        raise GitDiffError(f"git diff {ref} failed: {_first_line(diff.stderr)}")
    result.ranges = parse_diff(diff.stdout)
    others = _git(
        ["ls-files", "-z", "--others", "--exclude-standard", "--directory", "--no-empty-directory", "--", prefix or "."], top
    )
    if others.returncode != 0:
        raise GitDiffError(f"git ls-files failed: {_first_line(others.stderr)}")
    result.untracked = frozenset(p.decode("utf-8", "surrogateescape") for p in others.stdout.split(b"\0") if p)
    return result


def _resolve(ref: str, top: str) -> str | None:
    """The commit `ref` names; None for `HEAD` in a repository that has no commit yet."""
    if not ref or ref.startswith("-") or "\0" in ref:
        raise GitDiffError(f"unknown git revision `{ref}`")
    if ref.endswith("...") and len(ref) > 3:
        target = ref[:-3]
        base = _git(["merge-base", _resolve(target, top) or "HEAD", "HEAD"], top)
        if base.returncode != 0:
            raise GitDiffError(f"no merge base of `{target}` and HEAD")
        return base.stdout.decode().strip()
    found = _git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], top)
    if found.returncode == 0:
        return found.stdout.decode().strip()
    if ref == "HEAD" and _git(["symbolic-ref", "--quiet", "HEAD"], top).returncode == 0:
        return None  # HEAD names a branch that has no commit yet
    hint = " (a shallow clone may lack it: fetch it, or check out with full history)" if "/" in ref else ""
    raise GitDiffError(f"unknown git revision `{ref}`{hint}")


def parse_diff(patch: bytes) -> dict[str, list[tuple[int, int]]]:
    """Added or changed line ranges per new path, from `git diff -U0` output."""
    ranges: dict[str, list[tuple[int, int]]] = {}
    current: list[tuple[int, int]] | None = None
    old_left = new_left = 0  # lines of the current hunk not read yet
    for raw in patch.split(b"\n"):
        if old_left or new_left:  # inside a hunk: content lines, never headers
            if raw.startswith(b"-"):
                old_left -= 1
            elif raw.startswith(b"+"):
                new_left -= 1
            continue
        if raw.startswith(b"diff --git "):
            current = None
        elif raw.startswith(b"+++ "):
            name = raw[4:]
            path = _unquote(name) if name.startswith(b'"') else name
            if path.startswith(b"b/"):
                current = ranges.setdefault(path[2:].decode("utf-8", "surrogateescape"), [])
            else:  # /dev/null: the file was deleted
                current = None
        elif raw.startswith(b"@@ "):
            m = _HUNK.match(raw)
            if m is None:
                continue
            old_left = int(m.group(1)) if m.group(1) is not None else 1
            start = int(m.group(2))
            new_left = int(m.group(3)) if m.group(3) is not None else 1
            if current is not None and new_left:
                current.append((start, start + new_left - 1))
    for spans in ranges.values():
        spans.sort()
    return ranges


def _unquote(quoted: bytes) -> bytes:
    """A path as git quotes it: "b/a\\tb" with C escapes and octal bytes."""
    body = quoted[1:-1] if quoted.endswith(b'"') else quoted[1:]
    out = bytearray()
    i = 0
    while i < len(body):
        c = body[i : i + 1]
        if c == b"\\" and i + 1 < len(body):
            nxt, octal = body[i + 1 : i + 2], body[i + 1 : i + 4]
            if len(octal) == 3 and octal.isdigit():
                out.append(int(octal, 8) & 0xFF)
                i += 4
                continue
            out.append(_ESCAPES.get(nxt, nxt[0]))
            i += 2
            continue
        out += c
        i += 1
    return bytes(out)


def unchanged_reason(ref: str) -> str:
    return f"unchanged since {ref}"


def apply_diff(report: Report, changed: ChangedLines) -> Report:
    """Marks every finding outside the changed lines as suppressed ("unchanged since REF")."""
    reason = unchanged_reason(changed.ref)
    report.findings = [
        f if f.suppressed is not None or changed.is_changed(f.path, f.line) else dataclasses.replace(f, suppressed=reason)
        for f in report.findings
    ]
    report.settings["diff"] = changed.ref
    return report
