"""The command line with configuration files and targets: `archport scan` reading
[tool.archport] / archport.toml, `archport config`, `archport targets`, `--target`."""

from __future__ import annotations

import json
from pathlib import Path

from archport.config import tomllib  # tomli on Python 3.10
from archport.targets import TARGET_NAMES

from .helpers import run

PAGE = "#include <sys/mman.h>\nvoid g(char *p, int n) { mprotect(p + n, 4096, PROT_NONE); }\n"
X86 = "#include <immintrin.h>\nint f(void) { return 0; }\n"


def tree(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return root


def scan(root: Path, *args: str, cwd=None):
    out = root.parent / f"{root.name}-report.json"
    proc = run("scan", str(root), "--format", "json", "-o", str(out), "--no-progress", "-j", "1", *args, cwd=cwd)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc, (json.loads(out.read_text()) if proc.returncode in (0, 1) else None)


def codes(report) -> set[str]:
    return {f["code"] for f in report["findings"] if f["suppressed"] is None}


def test_scan_uses_the_nearest_config_and_the_command_line_wins(tmp_path):
    root = tree(tmp_path / "p", {
        "pyproject.toml": "[project]\nname = 'x'\n\n[tool.archport]\nselect = ['CC112']\nfail-on = 'never'\n",
        "src/a.c": PAGE + X86,
    })
    proc, report = scan(root / "src")
    assert codes(report) == {"CC112"} and proc.returncode == 0  # select and fail-on from the file
    assert report["settings"]["config_file"] == str(root / "pyproject.toml")
    proc, report = scan(root / "src", "--select", "CC403", "--fail-on", "warning")
    assert codes(report) == {"CC403"} and proc.returncode == 1
    proc, report = scan(root / "src", "--isolated")
    assert {"CC112", "CC403"} <= codes(report) and proc.returncode == 1
    assert report["settings"]["config_file"] is None
    proc, report = scan(root / "src", "--extend-select", "CC403")
    assert codes(report) == {"CC112", "CC403"}


def test_explicit_config_file_and_archport_toml(tmp_path):
    tree(tmp_path, {"conf/ci.toml": "ignore = ['CC112']\ntarget = 'kunpeng920'\n", "src/a.c": PAGE + X86,
                    "src/archport.toml": "select = ['CC112']\n"})
    _, report = scan(tmp_path / "src")
    assert codes(report) == {"CC112"}
    _, report = scan(tmp_path / "src", "--config", str(tmp_path / "conf" / "ci.toml"))
    assert "CC112" not in codes(report) and "CC403" in codes(report)
    assert report["settings"]["target"] == "kunpeng920" and report["settings"]["target_chosen"] is True


def test_bad_config_is_one_line_with_file_and_line_and_exit_2(tmp_path):
    tree(tmp_path, {"pyproject.toml": "[tool.archport]\nselect = ['CC1']\n\nselekt = ['CC1']\n", "a.c": PAGE})
    for args in (("scan", ".", "--no-progress"), ("config",)):
        proc = run(*args, cwd=tmp_path)
        assert proc.returncode == 2, proc
        assert proc.stderr == (
            "archport: error: pyproject.toml:4: unknown key `selekt` in [tool.archport] (did you mean `select`?)\n"
        )
    (tmp_path / "pyproject.toml").write_text("[tool.archport]\nselect = ['CC1'\n", encoding="utf-8")
    proc = run("config", cwd=tmp_path)
    assert proc.returncode == 2 and proc.stderr.startswith("archport: error: pyproject.toml:") and "invalid TOML" in proc.stderr
    proc = run("scan", ".", "--config", "missing.toml", cwd=tmp_path)
    assert proc.returncode == 2 and "missing.toml: cannot read configuration file" in proc.stderr
    assert len(proc.stderr.splitlines()) == 1


def test_config_command_prints_the_effective_configuration(tmp_path):
    tree(tmp_path, {"archport.toml": "select = ['CC1']\ntarget = 'graviton2'\n[per-file-ignores]\n'tests/*' = ['CC112']\n"})
    proc = run("config", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    first, _, body = proc.stdout.partition("\n")
    assert first == f"# configuration: {tmp_path / 'archport.toml'}"
    values = tomllib.loads(body)
    assert values["select"] == ["CC1"] and values["target"] == "graviton2" and values["fail-on"] == "warning"
    assert values["per-file-ignores"] == {"tests/*": ["CC112"]}
    assert values["rules"]["CC113"]["line-size"] == 64  # the target's default
    proc = run("config", str(tmp_path), "--format", "json")
    data = json.loads(proc.stdout)
    assert data["config_file"] == str(tmp_path / "archport.toml") and data["settings"]["jobs"] == 0
    proc = run("config", str(tmp_path), "--isolated")
    assert proc.stdout.startswith("# no configuration file found")
    assert "no target chosen" in proc.stdout and tomllib.loads(proc.stdout)["target"] == "armv8-a"


def test_target_option_note_and_targets_command(tmp_path):
    tree(tmp_path, {"a.c": PAGE})
    proc = run("scan", str(tmp_path), "--no-progress", "--isolated")
    assert proc.returncode == 1 and "note: no target chosen" in proc.stderr
    proc = run("scan", str(tmp_path), "--no-progress", "--isolated", "--target", "kunpeng920")
    assert "note: no target chosen" not in proc.stderr
    assert "on kunpeng920, whose distributions typically use 64 KiB pages" in proc.stdout.replace("\n", " ")
    proc = run("scan", str(tmp_path), "--target", "pentium")
    assert proc.returncode == 2 and proc.stderr.startswith("archport: error: ")
    proc = run("targets")
    assert proc.returncode == 0
    for name in TARGET_NAMES:
        assert f"\n{name} " in proc.stdout
    assert "-mcpu=tsv110" in proc.stdout
    data = json.loads(run("targets", "--format", "json").stdout)
    assert [t["name"] for t in data["targets"]] == list(TARGET_NAMES) and data["sources"]["gcc12"]
