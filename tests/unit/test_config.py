"""Configuration files (archport.config): discovery, checking with file:line errors, merging
with the command line, per-file-ignores, exclude and rule options."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import archport
from archport import config as cfg
from archport.registry import default_registry
from archport.rule import Option
from archport.runner import run_scan
from archport.settings import ScanSettings
from archport.targets import get_target

PAGE = "#include <sys/mman.h>\nvoid g(char *p, int n) { mprotect(p + n, 4096, PROT_NONE); }\n"
LINE = "#define CACHE_LINE_SIZE 64\nstruct c { long v; char pad[CACHE_LINE_SIZE - sizeof(long)]; };\n"
X86 = "#include <immintrin.h>\nint f(void) { return 0; }\n"


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
    return root


def error_of(path: Path) -> str:
    with pytest.raises(cfg.ConfigError) as exc:
        cfg.load(path)
    return str(exc.value)


# -- discovery ---------------------------------------------------------------------------------


def test_discovery_prefers_archport_toml_then_dot_file_then_pyproject(tmp_path):
    write(tmp_path, {"pyproject.toml": "[tool.archport]\nselect = ['CC1']\n", "src/a.c": ""})
    assert cfg.find_config(tmp_path / "src") == tmp_path / "pyproject.toml"
    write(tmp_path, {".archport.toml": "select = ['CC2']\n"})
    assert cfg.find_config(tmp_path / "src") == tmp_path / ".archport.toml"
    write(tmp_path, {"archport.toml": "select = ['CC3']\n"})
    assert cfg.find_config(tmp_path / "src") == tmp_path / "archport.toml"
    assert cfg.find_config(tmp_path / "src" / "a.c") == tmp_path / "archport.toml"  # a file: its directory


def test_discovery_takes_the_nearest_file_and_skips_pyproject_without_table(tmp_path):
    write(tmp_path, {
        "archport.toml": "select = ['CC1']\n",
        "sub/pyproject.toml": "[project]\nname = 'x'\n",  # no [tool.archport]: passed over
        "sub/deeper/archport.toml": "select = ['CC4']\n",
        "sub/deeper/x/a.c": "",
    })
    assert cfg.find_config(tmp_path / "sub") == tmp_path / "archport.toml"
    assert cfg.find_config(tmp_path / "sub" / "deeper" / "x") == tmp_path / "sub" / "deeper" / "archport.toml"
    assert cfg.resolve(tmp_path / "sub" / "deeper", isolated=True).path is None
    explicit = cfg.resolve(tmp_path / "sub" / "deeper", str(tmp_path / "archport.toml"))
    assert explicit.path == tmp_path / "archport.toml" and explicit.values["select"] == ["CC1"]


def test_no_config_gives_defaults(tmp_path):
    conf = cfg.resolve(tmp_path)  # nothing up to the root has [tool.archport] in a tmp dir
    assert conf.path is None or conf.path.parent not in (tmp_path, *tmp_path.parents)[:1]
    assert cfg.Config().get("fail-on") == "warning"
    assert cfg.effective(cfg.Config())["target"] == "armv8-a"


# -- errors with file and line -----------------------------------------------------------------


@pytest.mark.parametrize(
    "text,line,words",
    [
        ("[tool.archport]\nselect = ['CC1']\n\nselekt = ['CC1']\n", 4, ["unknown key `selekt` in [tool.archport]", "did you mean `select`"]),
        ("[tool.archport]\nfail_on = 'error'\n", 2, ["unknown key `fail_on`", "did you mean `fail-on`"]),
        ("[tool.archport]\nselect = 'CC1'\n", 2, ["`select` must be a list", "the string \"CC1\""]),
        ("[tool.archport]\nselect = [\n  'CC1',\n  'CC999',\n]\n", 4, ["unknown rule code or prefix `CC999` in `select`"]),
        ("[tool.archport]\nignore = ['XX']\n", 2, ["unknown rule code or prefix `XX`"]),
        ("[tool.archport]\njobs = -1\n", 2, ["`jobs` must be a whole number"]),
        ("[tool.archport]\njobs = true\n", 2, ["`jobs` must be a whole number", "`true`"]),
        ("[tool.archport]\nrespect-gitignore = 'no'\n", 2, ["`respect-gitignore` must be true or false"]),
        ("[tool.archport]\nmax-file-size = 0\n", 2, ["`max-file-size` must be a positive number"]),
        ("[tool.archport]\nfail-on = 'warn'\n", 2, ["bad value `warn` for `fail-on`", "did you mean `warning`"]),
        ("[tool.archport]\ntarget = 'graviton5'\n", 2, ["bad value `graviton5` for `target`", "kunpeng920"]),
        ("[tool.archport]\n[tool.archport.per-file-ignores]\n'tests/*' = ['CC1']\n'x/*' = ['ZZ9']\n", 4, ["unknown rule code or prefix `ZZ9`"]),
        ("[tool.archport]\nper-file-ignores = ['x']\n", 2, ["`per-file-ignores` must be a table"]),
        ("[tool.archport.rules.CC113]\nline-size = 'big'\n", 2, ["bad value for `line-size` in [tool.archport.rules.CC113]", "expected an integer, got str"]),
        ("[tool.archport.rules.CC113]\nline-size = 8\n", 2, ["expected at least 16"]),
        ("[tool.archport.rules.CC113]\nline_size = 128\n", 2, ["unknown option `line_size`", "did you mean `line-size`", "CC113 has options: line-size"]),
        ("[tool.archport]\nselect = ['CC1']\n[tool.archport.rules.CC101]\nfoo = 1\n", 4, ["unknown option `foo`", "CC101 has no options"]),
        ("[tool.archport.rules.CC999]\nx = 1\n", 1, ["unknown rule `CC999`"]),
        ("[tool.archport]\nrules = { CC113 = { line-size = 'x' } }\n", 2, ["bad value for `line-size`"]),
        ("[tool.archport]\ndefines = { '1X' = '1' }\n", 2, ["`1X` in `defines` is not a macro name"]),
    ],
)
def test_every_bad_key_or_value_names_file_and_line(tmp_path, text, line, words):
    path = tmp_path / "pyproject.toml"
    path.write_text("[project]\nname = 'p'\n\n" + text, encoding="utf-8")
    message = error_of(path)
    assert message.startswith(f"{path}:{line + 3}: ") or message.startswith(f"{os.path.relpath(path)}:{line + 3}: "), message
    for w in words:
        assert w in message, message
    assert "\n" not in message


def test_archport_toml_errors_use_top_level_keys(tmp_path):
    path = tmp_path / "archport.toml"
    path.write_text("# settings\nselect = ['CC1']\ntargett = 'kunpeng920'\n", encoding="utf-8")
    message = error_of(path)
    assert message.endswith("archport.toml:3: unknown key `targett` in the top-level table (did you mean `target`?)"), message


@pytest.mark.parametrize(
    "text,line,words",
    [
        ("[tool.archport]\nselect = ['CC1'\njobs = 2\n", 3, ["invalid TOML"]),
        ("[tool.archport\nselect = []\n", 1, ["invalid TOML", "column"]),
        ("[tool.archport]\nselect = []\nselect = []\n", 3, ["invalid TOML", "overwrite"]),
        ("[tool.archport]\nselect = \n", 2, ["invalid TOML"]),
    ],
)
def test_malformed_toml_names_its_line(tmp_path, text, line, words):
    path = tmp_path / "archport.toml"
    path.write_text(text.replace("[tool.archport]\n", "").replace("[tool.archport\n", "[tool.archport\n"), encoding="utf-8")
    if text.startswith("[tool.archport]\n"):
        line -= 1
    message = error_of(path)
    assert f"archport.toml:{line}: " in message, message
    for w in words:
        assert w in message, message


def test_not_utf8_and_unreadable_files(tmp_path):
    path = tmp_path / "archport.toml"
    path.write_bytes(b"select = ['CC1']\n# caf\xe9\n")
    assert "archport.toml:2: invalid TOML: not UTF-8" in error_of(path)
    missing = tmp_path / "nope.toml"
    assert "nope.toml: cannot read configuration file" in error_of(missing)
    if os.geteuid() != 0:  # root reads anything
        path.write_text("select = []\n")
        path.chmod(0)
        try:
            assert "cannot read configuration file" in error_of(path)
        finally:
            path.chmod(0o644)


def test_locator_finds_keys_in_tables_dotted_keys_and_inline_tables():
    text = (
        "[tool.archport]  # comment\n"
        'select = ["CC1",\n  "CC4"]\n'
        'doc = """\nfake = 1\n"""\n'
        "rules.CC113.line-size = 128\n"
        "[tool.archport.per-file-ignores]\n"
        '"tests/**/*.c" = ["CC112"]\n'
        "[tool . archport . rules . 'CC112']\n"
        "x = { a = 1, b = 2 }\n"
    )
    loc = cfg.Locator(text)
    assert loc.line(("tool", "archport")) == 1
    assert loc.line(("tool", "archport", "select")) == 2
    assert loc.line(("tool", "archport", "select"), "CC4") == 3
    assert ("tool", "archport", "fake") not in loc.keys  # inside a multi-line string
    assert loc.line(("tool", "archport", "rules", "CC113", "line-size")) == 7
    assert loc.line(("tool", "archport", "per-file-ignores", "tests/**/*.c")) == 9
    assert loc.line(("tool", "archport", "rules", "CC112")) == 10
    assert loc.line(("tool", "archport", "rules", "CC112", "x", "b")) == 11
    assert loc.line(("tool", "archport", "rules", "CC112", "missing")) == 10  # nearest written ancestor


# -- merging with the command line -------------------------------------------------------------


def conf(values: dict, directory: Path | None = None) -> cfg.Config:
    return cfg.Config(path=(directory or Path("/x")) / "archport.toml", values=values)


def test_command_line_overrides_file_and_file_overrides_defaults():
    file = conf({"jobs": 3, "max-file-size": 2.0, "respect-gitignore": False, "target": "graviton3",
                 "defines": {"A": "1", "B": "2"}, "fail-on": "error"})
    cli = ScanSettings(jobs=0, max_file_size=10 * 1048576, respect_gitignore=True, defines=(("B", "9"),))
    merged = cfg.merge(cli, file, set())
    assert (merged.jobs, merged.max_file_size, merged.respect_gitignore) == (3, 2 * 1048576, False)
    assert dict(merged.defines) == {"A": "1", "B": "9"}  # -D wins per name
    assert merged.target == "graviton3" and merged.config_file == "/x/archport.toml"
    assert cfg.fail_on(file, "warning", set()) == "error"
    explicit = {"jobs", "max_file_size", "no_ignore", "fail_on"}
    cli = ScanSettings(jobs=1, max_file_size=5, respect_gitignore=False)
    merged = cfg.merge(cli, file, explicit, target="kunpeng920")
    assert (merged.jobs, merged.max_file_size, merged.respect_gitignore) == (1, 5, False)
    assert merged.target == "kunpeng920"
    assert cfg.fail_on(file, "info", explicit) == "info"
    defaults = cfg.merge(ScanSettings(), cfg.Config(), set())
    assert defaults.target is None and defaults.select is None and defaults.config_file is None


def test_selection_extend_select_and_cli_select():
    file = conf({"select": ["CC1"], "ignore": ["CC11"], "extend-select": ["CC403"], "extend-ignore": ["CC102"]})
    merged = cfg.merge(ScanSettings(ignore=("CC101",)), file, set(), extend_select=("CC401",))
    assert merged.select == ("CC1", "CC403", "CC401")
    assert merged.ignore == ("CC11", "CC102", "CC101")
    # --select on the command line replaces the file's whole selection
    merged = cfg.merge(ScanSettings(select=("CC4",)), file, {"select"}, extend_ignore=("CC401",))
    assert merged.select == ("CC4",) and merged.ignore == ("CC401",)
    # extend-select alone keeps every rule selected
    assert cfg.merge(ScanSettings(), conf({"extend-select": ["CC1"]}), set()).select == ("ALL", "CC1")


def test_extend_select_brings_back_an_ignored_rule(tmp_path):
    write(tmp_path, {"a.c": PAGE + X86, "archport.toml": "ignore = ['CC1']\nextend-select = ['CC112']\n"})
    settings = cfg.merge(ScanSettings(jobs=1), cfg.resolve(tmp_path), set())
    codes = {f.code for f in run_scan(tmp_path, settings).active}
    assert "CC112" in codes and "CC403" in codes and not any(c.startswith("CC11") and c != "CC112" for c in codes)


def test_per_file_ignores_drop_findings_relative_to_the_config_directory(tmp_path):
    write(tmp_path, {
        "archport.toml": "[per-file-ignores]\n'src/legacy/*' = ['CC112']\n'*.h' = ['CC4']\n",
        "src/legacy/a.c": PAGE + X86,
        "src/new/a.c": PAGE,
        "src/inc.h": X86,
    })
    # scanning a subdirectory: globs still relative to the configuration file's directory
    settings = cfg.merge(ScanSettings(jobs=1), cfg.resolve(tmp_path / "src"), set())
    found = {(f.path, f.code) for f in run_scan(tmp_path / "src", settings).active}
    assert ("legacy/a.c", "CC403") in found and ("legacy/a.c", "CC112") not in found
    assert ("new/a.c", "CC112") in found
    assert not any(p == "inc.h" for p, _ in found)
    report = run_scan(tmp_path / "src", settings)
    assert report.settings["per_file_ignores"] == {"src/legacy/*": ["CC112"], "*.h": ["CC4"]}
    assert report.settings["config_file"] == str(tmp_path / "archport.toml")


def test_config_exclude_is_relative_to_the_config_directory(tmp_path):
    write(tmp_path, {"archport.toml": "exclude = ['/src/vendor/', 'gen_*.c']\n", "src/vendor/v.c": X86,
                     "src/gen_x.c": X86, "src/own.c": X86, "vendor/top.c": X86})
    settings = cfg.merge(ScanSettings(jobs=1), cfg.resolve(tmp_path / "src"), set())
    paths = {f.path for f in run_scan(tmp_path / "src", settings).active}
    assert paths == {"own.c"}
    settings = cfg.merge(ScanSettings(jobs=1), cfg.resolve(tmp_path), set())
    assert {f.path for f in run_scan(tmp_path, settings).active} == {"src/own.c", "vendor/top.c"}


# -- rule options ------------------------------------------------------------------------------


def test_option_check():
    opt = Option("int", 1, "n", minimum=2)
    assert opt.check(3) == 3
    for bad in (1, "3", True, 2.5):
        with pytest.raises(ValueError):
            opt.check(bad)
    assert Option("list[str]", [], "x").check(["a"]) == ["a"]
    with pytest.raises(ValueError):
        Option("list[str]", [], "x").check("a")
    assert Option("str", "a", "x", choices=("a", "b")).check("b") == "b"
    assert Option("int", lambda t: t.false_sharing_bytes, "x").value_for(get_target("graviton2")) == 64


def test_every_declared_option_is_documented():
    for rule in default_registry():
        doc = rule.doc_sections().get("Options", "")
        for name in rule.options:
            assert f"`{name}`" in doc, f"{rule.code}: option `{name}` is missing from its ## Options section"


def test_cc113_line_size_option_and_target(tmp_path):
    write(tmp_path, {"a.c": LINE})
    assert [f.code for f in archport.scan(tmp_path, select=["CC113"]).active] == ["CC113"]
    assert not archport.scan(tmp_path, select=["CC113"], rule_options={"CC113": {"line-size": 64}}).active
    assert not archport.scan(tmp_path, select=["CC113"], target="graviton3").active  # 64-byte lines there
    raised = archport.scan(tmp_path, select=["CC113"], target="graviton3", rule_options={"CC113": {"line-size": 256}})
    assert [f.properties["line_size"] for f in raised.active] == [256]
    assert "configured line size (CC113 `line-size`) is 256 bytes" in raised.active[0].message
    assert "use 256 on AArch64" in raised.active[0].help
    kunpeng = archport.scan(tmp_path, select=["CC113"], target="kunpeng920").active[0]
    assert "on kunpeng920" in kunpeng.message and "Huawei's porting tools check 128-byte" in kunpeng.message
    with pytest.raises(ValueError):
        archport.scan(tmp_path, rule_options={"CC113": {"line-size": "x"}})


def test_api_reads_a_named_config_file(tmp_path):
    write(tmp_path, {"a.c": LINE + PAGE, "archport.toml": "target = 'kunpeng920'\n[rules.CC113]\nline-size = 256\n"})
    report = archport.scan(tmp_path, select=["CC112", "CC113"], config=tmp_path / "archport.toml")
    assert report.settings["target"] == "kunpeng920" and report.settings["rule_options"] == {"CC113": {"line-size": 256}}
    assert {f.code for f in report.active} == {"CC112", "CC113"}
    assert "use 256 on AArch64" in next(f for f in report.active if f.code == "CC113").help


def test_effective_config_resolves_rule_options_for_the_target():
    values = cfg.effective(conf({"target": "graviton2"}))
    assert values["rules"]["CC113"] == {"line-size": 64}
    assert cfg.effective(cfg.Config())["rules"]["CC113"] == {"line-size": 128}
    text = cfg.to_toml(values, "tool.archport")
    assert text.startswith("[tool.archport]\nselect = [\"ALL\"]\n")
    assert "[tool.archport.rules.CC113]\nline-size = 64\n" in text
    assert cfg.tomllib.loads(text)["tool"]["archport"]["target"] == "graviton2"
