"""Manifest parsers (the right line for each dependency), version-constraint logic and the
knowledge base's integrity."""

from __future__ import annotations

import json
from importlib import resources

import pytest

from archport.dependencies import knowledge, manifests, versions


@pytest.mark.parametrize(
    "spec,first,allowed",
    [
        ("==1.18.5", "1.19.0", False), (">=1.16,<1.19", "1.19.0", False), ("~=1.18.0", "1.19.0", False),
        ("~=1.18", "1.19.0", True), ("==1.18.*", "1.19.0", False), (">=1.16", "1.19.0", True), ("", "1.19.0", True),
        ("<=1.19.0", "1.19.0", True), ("<1.19.0", "1.19.0", False), ("!=1.18.5", "1.19.0", True),
    ],
)
def test_pep440_upper_bounds(spec, first, allowed):
    assert versions.pypi_allows_at_least(spec, first) is allowed


@pytest.mark.parametrize(
    "spec,first,allowed,cargo",
    [
        ("^0.14.0", "0.15.13", False, False), ("^1.2.0", "1.5.0", True, False), ("11.1.2", "12.0.0", False, False),
        ("~11.1.0 || ^12", "12.0.0", True, False), ("1.2.x", "1.3.0", False, False), ("1.0.0 - 1.2.0", "1.3.0", False, False),
        ("*", "9.0.0", True, False), ("git+https://x/y.git", "1.0.0", None, False), ("1.2", "1.5.0", True, True),
        ("=1.2.3", "1.5.0", False, True), ("0.1", "0.2.0", False, True),
    ],
)
def test_npm_and_cargo_ranges(spec, first, allowed, cargo):
    assert versions.range_allows_at_least(spec, first, cargo=cargo) is allowed


def test_maven_versions_and_ranges():
    assert versions.maven_allows_at_least("2.0.30.Final", "2.0.31.Final") is False
    assert versions.maven_allows_at_least("[1.0,2.0)", "1.5") is True
    assert versions.maven_allows_at_least("[1.0,1.5)", "1.5") is False
    assert versions.LooseVersion("2.0.31.Final") > versions.LooseVersion("2.0.31.Beta1")
    assert versions.LooseVersion("6.29.4.1") > versions.LooseVersion("5.18.4")
    assert versions.nuget_resolved("[1.2,2)") == "1.2" and versions.nuget_resolved("1.*") is None


def _line(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def test_package_lock_entries_land_on_their_key_line():
    text = '{\n "lockfileVersion": 3,\n "packages": {\n  "": {"name": "x"},\n  "node_modules/a": {"version": "1.0.0",\n' \
           '   "cpu": ["x64"]},\n  "node_modules/a/node_modules/b": {"version": "2.0.0"}\n }\n}\n'
    deps = manifests.parse_package_lock(text)
    assert [(d.name, d.exact, _line(text, d.start)) for d in deps] == [("a", "1.0.0", 5), ("b", "2.0.0", 7)]
    assert deps[0].extra["cpu"] == ["x64"]


def test_pom_properties_and_lines():
    text = ("<project xmlns='http://maven.apache.org/POM/4.0.0'>\n<properties><v>1.2</v></properties>\n<dependencies>\n"
            "<dependency><groupId>g</groupId>\n<artifactId>a</artifactId><version>${v}</version>"
            "<classifier>linux-x86_64</classifier></dependency>\n</dependencies></project>")
    [dep] = manifests.parse_pom(text)
    assert (dep.name, dep.spec, dep.classifier, _line(text, dep.start)) == ("g:a", "1.2", "linux-x86_64", 5)


def test_pyproject_poetry_and_markers():
    text = ('[project]\ndependencies = [\n  "numpy==1.18.5",\n  "torch==1.7.1; platform_machine == \'x86_64\'",\n]\n'
            '[tool.poetry.dependencies]\npython = "^3.8"\nlxml = "^4.5"\n')
    deps = manifests.parse_pyproject(text)
    assert [(d.name, d.spec, _line(text, d.start)) for d in deps] == [("numpy", "==1.18.5", 3), ("lxml", ">=4.5,<5", 8)]


def test_go_mod_and_cargo():
    go = "module x\n\ngo 1.21\n\nrequire (\n\tgolang.org/x/sys v0.1.0 // indirect\n)\nrequire github.com/a/b v1.2.3\n"
    assert [(d.name, d.exact) for d in manifests.parse_go_mod(go)] == [("golang.org/x/sys", "v0.1.0"), ("github.com/a/b", "v1.2.3")]
    cargo = ('[dependencies]\nserde = "1.0"\n\n[target.\'cfg(target_arch = "x86_64")\'.dependencies]\nx86 = "0.52"\n'
             '[target.\'cfg(unix)\'.dependencies]\nlibc = "0.2"\n')
    assert [d.name for d in manifests.parse_cargo_toml(cargo)] == ["serde", "libc"]


def test_broken_manifest_is_a_value_error():
    with pytest.raises(ValueError):
        manifests.dependencies("package.json", "json", "{not json")


def test_knowledge_base_is_well_formed_and_large_enough():
    raw = json.loads(resources.files("archport").joinpath("data/dependencies.json").read_text())
    entries = raw["packages"]
    assert len(entries) >= 100
    seen = set()
    for e in entries:
        assert e["ecosystem"] in ("pypi", "npm", "maven", "go", "cargo", "nuget")
        assert e["source"] and e["without"] in (knowledge.WITHOUT_NONE, knowledge.WITHOUT_HEAVY, knowledge.WITHOUT_SOURCE)
        key = (e["ecosystem"], manifests.normalize(e["ecosystem"], e["name"]))
        assert key not in seen
        seen.add(key)
        if e.get("first_aarch64") and e.get("x86_64_from"):
            assert not knowledge.older(e["ecosystem"], e["first_aarch64"], e["x86_64_from"]), e["name"]
    # DP510 owns the Intel math packages
    assert not seen & {("pypi", "mkl"), ("pypi", "intel-openmp")}


def test_byte_order_mark_is_not_a_parse_error():
    from archport.dependencies.manifests import dependencies

    deps = dependencies("package.json", "json", '\ufeff{"dependencies": {"sharp": "0.25.0"}}')
    assert [d.name for d in deps] == ["sharp"]
