"""`scan --diff REF`: only findings on lines added or changed since a git revision, in
temporary git repositories (committed, staged, unstaged and untracked changes, renames, a
subdirectory or one file as the scan root, bad revisions)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from .helpers import run as run_subprocess
from .inprocess import run_inprocess as run

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

GIT_ENV = {
    "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
    "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid",
    "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull,
}

OLD = "#include <stdint.h>\nuint64_t ticks(void)\n{\n    return __rdtsc();\n}\n" + "".join(
    f"int filler{i}(void) {{ return {i}; }}\n" for i in range(12)
)  # CC407 at line 4; the filler makes renames recognisable
SPIN = "void spin(void)\n{\n    _mm_pause();\n}\n"  # CC408 at its line 3
FENCE = 'void fence(void) { __asm__ volatile("mfence" ::: "memory"); }\n'  # CC404


def git(repo: Path, *args: str) -> str:
    proc = subprocess.run(["git", *args], cwd=repo, env={**os.environ, **GIT_ENV}, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@pytest.fixture
def repo(tmp_path):
    root = tmp_path / "repo"
    (root / "src").mkdir(parents=True)
    git(root, "init", "-q")
    git(root, "symbolic-ref", "HEAD", "refs/heads/main")
    (root / "src" / "old.c").write_text(OLD)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    return root


def scan(root: Path, *args: str) -> tuple[int, dict]:
    out = root.parent / "report.json"
    proc = run("scan", str(root), "--format", "json", "-o", str(out), "--no-progress", "-j", "1", *args)
    assert proc.returncode in (0, 1), proc.stderr
    return proc.returncode, json.loads(out.read_text())


def active(report: dict) -> list[tuple[str, str, int]]:
    return sorted((f["code"], f["path"], f["line"]) for f in report["findings"] if f["suppressed"] is None)


def test_nothing_changed(repo):
    code, report = scan(repo, "--diff", "HEAD")
    assert code == 0 and active(report) == []
    assert [f["suppressed"] for f in report["findings"]] == ["unchanged since HEAD"]
    assert report["settings"]["diff"] == "HEAD"
    code, report = scan(repo)  # without --diff the old finding counts
    assert code == 1 and active(report) == [("CC407", "src/old.c", 4)]


def test_committed_staged_unstaged_and_untracked_changes(repo):
    # a commit after the base: a hazard appended to old.c
    (repo / "src" / "old.c").write_text(OLD + SPIN)
    git(repo, "commit", "-q", "-am", "spin")
    code, report = scan(repo, "--diff", "HEAD~1")
    assert code == 1 and active(report) == [("CC408", "src/old.c", 20)]
    assert scan(repo, "--diff", "HEAD")[1]["findings"] and active(scan(repo, "--diff", "HEAD")[1]) == []

    # staged: a new file; unstaged: a line changed in old.c; untracked: a new file
    (repo / "src" / "staged.c").write_text(FENCE)
    git(repo, "add", "src/staged.c")
    lines = (OLD + SPIN).splitlines(keepends=True)
    lines[7] = FENCE  # replaces filler2
    (repo / "src" / "old.c").write_text("".join(lines))
    (repo / "src" / "untracked.c").write_text("int a;\n" + SPIN)
    code, report = scan(repo, "--diff", "HEAD")
    assert active(report) == [
        ("CC404", "src/old.c", 8), ("CC404", "src/staged.c", 1), ("CC408", "src/untracked.c", 4),
    ]
    assert code == 1
    reasons = {f["suppressed"] for f in report["findings"] if f["suppressed"]}
    assert reasons == {"unchanged since HEAD"}


def test_lines_inserted_above_an_old_finding_do_not_make_it_new(repo):
    (repo / "src" / "old.c").write_text("/* new comment */\n\n" + OLD)
    code, report = scan(repo, "--diff", "HEAD")
    assert code == 0 and active(report) == []


def test_renamed_file_counts_only_its_changed_lines(repo):
    (repo / "lib").mkdir()
    git(repo, "mv", "src/old.c", "lib/renamed.c")
    (repo / "lib" / "renamed.c").write_text(OLD + SPIN)
    code, report = scan(repo, "--diff", "HEAD")
    assert active(report) == [("CC408", "lib/renamed.c", 20)] and code == 1
    # renamed and committed: still only the new line since the base
    git(repo, "commit", "-q", "-am", "move")
    assert active(scan(repo, "--diff", "HEAD~1")[1]) == [("CC408", "lib/renamed.c", 20)]


def test_subdirectory_and_file_roots(repo):
    (repo / "src" / "deep").mkdir()
    (repo / "src" / "deep" / "x.c").write_text("int x;\n" + SPIN)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "x")
    with (repo / "src" / "deep" / "x.c").open("a") as fh:
        fh.write(FENCE)
    (repo / "src" / "old.c").write_text(OLD + FENCE)

    code, report = scan(repo / "src" / "deep", "--diff", "HEAD")
    assert active(report) == [("CC404", "x.c", 6)] and code == 1
    code, report = scan(repo / "src", "--diff", "HEAD")
    assert active(report) == [("CC404", "deep/x.c", 6), ("CC404", "old.c", 18)]
    code, report = scan(repo / "src" / "deep" / "x.c", "--diff", "HEAD")
    assert active(report) == [("CC404", "x.c", 6)]
    # from inside the repository, with a relative root
    out = repo.parent / "rel.json"
    proc = run("scan", ".", "--diff", "HEAD", "--format", "json", "-o", str(out), "--no-progress", cwd=repo / "src")
    assert proc.returncode == 1, proc.stderr
    assert active(json.loads(out.read_text())) == [("CC404", "deep/x.c", 6), ("CC404", "old.c", 18)]


def test_merge_base_form(repo):
    git(repo, "checkout", "-q", "-b", "feature")
    (repo / "src" / "feature.c").write_text(SPIN)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "feature")
    git(repo, "checkout", "-q", "main")
    (repo / "src" / "old.c").write_text("int gone;\n")  # main drops the old hazard meanwhile
    git(repo, "commit", "-q", "-am", "main moves on")
    git(repo, "checkout", "-q", "feature")
    # against main's tip the old hazard looks added; against the merge base it is not
    assert active(scan(repo, "--diff", "main")[1]) == [("CC407", "src/old.c", 4), ("CC408", "src/feature.c", 3)]
    assert active(scan(repo, "--diff", "main...")[1]) == [("CC408", "src/feature.c", 3)]


def test_repository_without_commits_counts_everything_against_head(tmp_path):
    root = tmp_path / "fresh"
    root.mkdir()
    git(root, "init", "-q")
    (root / "a.c").write_text(OLD)
    git(root, "add", "a.c")
    code, report = scan(root, "--diff", "HEAD")
    assert code == 1 and active(report) == [("CC407", "a.c", 4)]


def test_files_git_ignores_are_no_part_of_the_change(repo):
    (repo / ".gitignore").write_text("build/\n")
    (repo / "build").mkdir()
    (repo / "build" / "gen.c").write_text(SPIN)
    (repo / ".git" / "info").mkdir(exist_ok=True)
    (repo / ".git" / "info" / "exclude").write_text("scratch.c\n")
    (repo / "scratch.c").write_text(SPIN)  # archport scans it (it reads only .gitignore files)
    (repo / "new.c").write_text(SPIN)  # untracked, not ignored: new
    git(repo, "add", ".gitignore")
    git(repo, "commit", "-q", "-m", "ignore")
    assert active(scan(repo)[1]) == [("CC407", "src/old.c", 4), ("CC408", "new.c", 3), ("CC408", "scratch.c", 3)]
    assert active(scan(repo, "--diff", "HEAD")[1]) == [("CC408", "new.c", 3)]
    report = scan(repo, "--diff", "HEAD", "--no-ignore")[1]
    assert active(report) == [("CC408", "new.c", 3)]
    assert {f["path"] for f in report["findings"]} >= {"build/gen.c", "scratch.c"}


def test_file_names_git_quotes(repo):
    name = 'we"ird\tname.c'
    (repo / "src" / name).write_text(SPIN)
    git(repo, "add", "-A")
    assert active(scan(repo, "--diff", "HEAD")[1]) == [("CC408", f"src/{name}", 3)]


def test_combined_with_a_baseline(repo):
    baseline = repo.parent / "bl.json"
    assert run("baseline", str(repo), "-o", str(baseline), "--no-progress").returncode == 0
    (repo / "src" / "old.c").write_text(OLD.replace("return __rdtsc();", "return __rdtsc() + 0;") + SPIN)
    # --diff alone: the edited old line and the new one; with the baseline too, only the new one
    assert [c for c, _, _ in active(scan(repo, "--diff", "HEAD")[1])] == ["CC407", "CC408"]
    report = scan(repo, "--diff", "HEAD", "--baseline", str(baseline))[1]
    assert [c for c, _, _ in active(report)] == ["CC407", "CC408"]  # the edited line is new text
    (repo / "src" / "old.c").write_text("\n" + OLD + SPIN)
    report = scan(repo, "--diff", "HEAD", "--baseline", str(baseline))[1]
    assert active(report) == [("CC408", "src/old.c", 21)]
    assert {f["suppressed"] for f in report["findings"] if f["code"] == "CC407"} == {"baseline"}


@pytest.mark.parametrize(
    "ref, message",
    [("no-such-branch", "unknown git revision `no-such-branch`"), ("origin/main", "shallow clone"), ("--output=x", "unknown git revision")],
)
def test_bad_revision_is_one_line_exit_2(repo, ref, message):
    proc = run("scan", str(repo), f"--diff={ref}", "--no-progress")
    assert proc.returncode == 2
    assert proc.stderr.startswith("archport: error: ") and proc.stderr.count("\n") == 1
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""
    assert not (repo / "x").exists()


def test_not_a_repository_is_one_line_exit_2(tmp_path):
    (tmp_path / "plain").mkdir()
    (tmp_path / "plain" / "a.c").write_text(SPIN)
    env_dir = tmp_path / "plain"
    proc = run_subprocess("scan", str(env_dir), "--diff", "HEAD", "--no-progress")
    assert proc.returncode == 2
    assert proc.stderr == f"archport: error: --diff needs a git repository, and {env_dir} is not inside one\n"
