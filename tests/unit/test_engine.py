"""The engine's contract with rules: routing of patterns and queries, one parse per file,
preprocessor filtering, crash isolation, and the prefilter."""

from __future__ import annotations

from archport.model import Impact, Severity
from archport.parsing import treesitter
from archport.registry import Registry
from archport.rule import Rule
from archport.runner import run_scan
from archport.settings import ScanSettings


class _Base(Rule):
    """Test rule.

    ## What it does
    Checks for test things.
    """

    summary = "test"
    languages = frozenset({"c", "cpp"})
    severity = Severity.WARNING
    impact = Impact.BUILD_BREAK


class CallQuery(_Base):
    code = "ZZ001"
    name = "call-query"
    prefilter = (b"frob",)
    query = "(call_expression function: (identifier) @fn (#eq? @fn \"frob\")) @call"

    def check_query(self, ctx, captures):
        node = captures["call"][0]
        yield ctx.finding(self, node.start_byte, node.end_byte, "frob call", "")


class SecondQuery(_Base):
    code = "ZZ002"
    name = "second-query"
    prefilter = (b"frob",)
    query = "(function_definition) @fn"

    def check_query(self, ctx, captures):
        node = captures["fn"][0]
        yield ctx.finding(self, node.start_byte, node.start_byte + 3, f"function in {ctx.function_name(node.start_byte + 5)}", "")


class WordPattern(_Base):
    code = "ZZ003"
    name = "word-pattern"
    prefilter = (b"frob",)
    pattern = r"\bfrob\b"

    def check_match(self, ctx, m):
        yield ctx.finding(self, m.start(), m.end(), "frob word", "")


class Crashing(_Base):
    code = "ZZ004"
    name = "crashing"
    prefilter = (b"frob",)

    def check_file(self, ctx):
        raise RuntimeError("boom")


def _scan(root, *rules, **kw):
    return run_scan(root, ScanSettings(jobs=1, **kw), registry=Registry(list(rules)))


def test_queries_and_patterns_are_routed_and_the_file_is_parsed_once(make_tree, monkeypatch):
    calls = []
    real_parse = treesitter.parse
    monkeypatch.setattr(treesitter, "parse", lambda g, d: calls.append(g) or real_parse(g, d))
    root = make_tree({"a.c": "void f(void) {\n  frob(1); /* frob */\n  const char *s = \"frob\";\n}\n"})
    report = _scan(root, CallQuery, SecondQuery, WordPattern)
    got = sorted((f.code, f.line, f.message) for f in report.findings)
    assert got == [("ZZ001", 2, "frob call"), ("ZZ002", 1, "function in f"), ("ZZ003", 2, "frob word")]
    assert calls == ["c"]
    assert report.files_parsed == 1


def test_findings_in_code_aarch64_never_compiles_are_dropped(make_tree):
    root = make_tree({"a.c": "#if defined(__x86_64__)\nint a = frob;\n#else\nint b = frob;\n#endif\n"})
    report = _scan(root, WordPattern)
    assert [f.line for f in report.findings] == [4]


def test_a_crashing_rule_becomes_an_error_and_others_still_run(make_tree):
    root = make_tree({"a.c": "int x = frob;\n"})
    report = _scan(root, Crashing, WordPattern)
    assert [f.code for f in report.findings] == ["ZZ003"]
    assert [(e.path, e.stage) for e in report.errors] == [("a.c", "rule")]
    assert "ZZ004" in report.errors[0].message and "boom" in report.errors[0].message


def test_prefilter_skips_files_without_literals(make_tree, monkeypatch):
    import archport.engine as engine

    decoded = []
    real = engine.SourceFile
    monkeypatch.setattr(engine, "SourceFile", lambda *a, **k: decoded.append(a[0]) or real(*a, **k))
    root = make_tree({"a.c": "int x = frob;\n", "b.c": "int y = 2;\n"})
    report = _scan(root, WordPattern)
    assert decoded == ["a.c"]
    assert report.files_scanned == 2


def test_parallel_and_serial_scans_agree(make_tree):
    files = {f"d{i % 7}/f{i}.c": f"int v{i} = frob;\n#ifdef __x86_64__\nint w = frob;\n#endif\n" for i in range(80)}
    root = make_tree(files)
    one = run_scan(root, ScanSettings(jobs=1), registry=Registry([WordPattern]))
    two = run_scan(root, ScanSettings(jobs=2), registry=Registry([WordPattern]))
    assert [f.to_dict() for f in one.findings] == [f.to_dict() for f in two.findings]
    assert len(one.findings) == 80
