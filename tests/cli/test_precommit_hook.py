"""The shipped .pre-commit-hooks.yaml: valid for pre-commit's own manifest schema, and its
entry, run by pre-commit in a repository, reports exactly the hazards a commit adds."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import tomllib
from pre_commit.clientlib import load_manifest

from .test_diff import FENCE, GIT_ENV, OLD, SPIN, git

REPO = Path(__file__).resolve().parents[2]
MANIFEST = REPO / ".pre-commit-hooks.yaml"

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def hook() -> dict:
    hooks = load_manifest(str(MANIFEST))
    assert [h["id"] for h in hooks] == ["archport"]
    return hooks[0]


def test_manifest_is_valid_and_names_our_script():
    h = hook()
    assert h["language"] == "python" and h["pass_filenames"] is False
    argv = shlex.split(h["entry"])
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    assert argv[0] in scripts and argv[1] == "scan" and "--diff" in argv


@pytest.fixture
def repo(tmp_path):
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q")
    (root / "old.c").write_text(OLD)  # an old hazard that must never block a commit
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    return root


def run_entry(repo: Path) -> subprocess.CompletedProcess:
    h = hook()
    argv = shlex.split(h["entry"]) + h["args"]
    return subprocess.run(
        [sys.executable, "-m", "archport", *argv[1:]], cwd=repo, capture_output=True, text=True, check=False,
        env={**os.environ, **GIT_ENV, "NO_COLOR": "1", "COLUMNS": "200"},
    )


def test_entry_passes_a_commit_that_adds_no_hazard(repo):
    (repo / "clean.c").write_text("int clean(void) { return 0; }\n")
    git(repo, "add", "clean.c")
    proc = run_entry(repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_entry_fails_a_commit_that_adds_a_hazard(repo):
    (repo / "old.c").write_text("// edited\n" + OLD + FENCE)
    git(repo, "add", "old.c")
    proc = run_entry(repo)
    assert proc.returncode == 1, proc.stderr
    assert "CC404" in proc.stdout and "CC407" not in proc.stdout


def test_pre_commit_runs_the_hook_on_the_staged_content(repo, tmp_path):
    """pre-commit itself, with the manifest's entry as a local hook (a `language: python` hook
    from this repository would need a package index to install into its own environment)."""
    h = hook()
    config = (
        "repos:\n- repo: local\n  hooks:\n"
        f"  - id: {h['id']}\n    name: {h['name']}\n    entry: {h['entry']}\n"
        f"    language: system\n    pass_filenames: {str(h['pass_filenames']).lower()}\n"
    )
    (repo / ".pre-commit-config.yaml").write_text(config)
    (repo / "staged.c").write_text(SPIN)
    git(repo, "add", "-A")
    (repo / "old.c").write_text(OLD + FENCE)  # unstaged: pre-commit stashes it during the run
    env = {
        **os.environ, **GIT_ENV, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"), "NO_COLOR": "1",
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
    }
    proc = subprocess.run(
        [sys.executable, "-m", "pre_commit", "run", "--color", "never"], cwd=repo, env=env, capture_output=True, text=True, check=False,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert "CC408" in out and "staged.c" in out
    assert "CC404" not in out and "CC407" not in out
    assert (repo / "old.c").read_text() == OLD + FENCE  # the unstaged edit is back

    git(repo, "rm", "-q", "--cached", "staged.c")
    (repo / "staged.c").unlink()
    (repo / "clean.c").write_text("int clean(void) { return 0; }\n")
    git(repo, "add", "clean.c")  # something staged, so the hook runs (and passes)
    proc = subprocess.run(
        [sys.executable, "-m", "pre_commit", "run", "--color", "never"], cwd=repo, env=env, capture_output=True, text=True, check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Passed" in proc.stdout
