"""The shared reader of reported files' lines (report/_source.py)."""

from __future__ import annotations

from archport.model import Confidence, Finding, Impact, Severity
from archport.report._source import SourceLines, decode_lines


def _finding(path: str, line: int = 1, **properties) -> Finding:
    return Finding(
        "CC403", "x", Severity.WARNING, Impact.BUILD_BREAK, Confidence.HIGH, path,
        line, 1, line, 2, 0, 1, "m", "h", properties=properties,
    )


def test_lines_are_numbered_as_the_scanner_numbers_them():
    # a form feed, U+2028 and a lone CR split no line (str.splitlines would split each)
    data = "a\fb\nc\u2028d\r\ne\rf\n".encode()
    assert decode_lines(data) == ["a\fb", "c\u2028d", "e\rf"]
    assert decode_lines(b"") == []
    assert decode_lines(b"x\n\n") == ["x", ""]
    assert decode_lines(b"caf\xe9\n") == ["caf\xe9"]  # not UTF-8: Latin-1, as the scanner


def test_artifact_findings_never_read_their_file(tmp_path):
    (tmp_path / "lib.so").write_bytes(b"\x7fELF\n" * 10)
    (tmp_path / "a.c").write_text("int x;\n")
    lines = SourceLines(tmp_path)
    assert lines.of(_finding("lib.so", artifact="elf")) == []
    assert "lib.so" not in lines._cache
    assert lines.of(_finding("a.c")) == ["int x;"]
    assert lines.of(_finding("gone.c")) == []
    assert SourceLines(tmp_path / "a.c").get("a.c") == ["int x;"]  # a one-file scan


def test_terminal_frame_after_a_form_feed_shows_the_flagged_line(tmp_path):
    import io

    from rich.console import Console

    from archport.report import terminal
    from archport.report.model import Report

    (tmp_path / "a.c").write_text("/* page */\f\nint ok;\nint flagged;\n")
    out = io.StringIO()
    terminal.render(Report(str(tmp_path), findings=[_finding("a.c", 3)]), Console(file=out, no_color=True, width=120))
    assert "3 | int flagged;" in out.getvalue()
