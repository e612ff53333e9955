"""Inline suppressions: `archport: ignore[CODES]` on the flagged line or the line before,
`archport: ignore-file[CODES]` anywhere, codes or prefixes, and malformed markers."""

from __future__ import annotations

import pytest

from archport.model import Confidence, Finding, Impact, Severity
from archport.source import SourceFile
from archport.suppression import apply_suppressions, parse_suppressions


def finding(code: str, line: int) -> Finding:
    return Finding(
        code=code,
        name="test-rule",
        severity=Severity.ERROR,
        impact=Impact.BUILD_BREAK,
        confidence=Confidence.HIGH,
        path="t.c",
        line=line,
        column=1,
        end_line=line,
        end_column=2,
        start_byte=0,
        end_byte=1,
        message="m",
        help="h",
    )


def suppressed(text: str, findings: list[tuple[str, int]], language: str = "c", path: str = "t.c"):
    """{(code, line): suppression reason or None} after applying the file's suppressions."""
    source = SourceFile(path, language, text)
    sups, bad = parse_suppressions(source)
    assert not bad, bad
    out = apply_suppressions([finding(c, n) for c, n in findings], sups)
    return {(f.code, f.line): f.suppressed for f in out}


def test_same_line():
    text = "#include <immintrin.h> // archport: ignore[CC403]\n"
    assert suppressed(text, [("CC403", 1)]) == {("CC403", 1): "inline: archport: ignore[CC403]"}


def test_line_before():
    text = "// archport: ignore[CC403]\n#include <immintrin.h>\n\n#include <xmmintrin.h>\n"
    result = suppressed(text, [("CC403", 2), ("CC403", 4)])
    assert result[("CC403", 2)] == "inline: archport: ignore[CC403]"
    assert result[("CC403", 4)] is None


def test_not_two_lines_before_nor_after():
    text = "// archport: ignore[CC403]\nint a;\n#include <immintrin.h>\n"
    assert suppressed(text, [("CC403", 3)]) == {("CC403", 3): None}
    text = "int a;\nint b; // archport: ignore[CC403]\n"
    assert suppressed(text, [("CC403", 1)]) == {("CC403", 1): None}


def test_other_code_is_not_suppressed():
    text = "x = _mm_add_ps(a, b); // archport: ignore[CC403]\n"
    assert suppressed(text, [("CC401", 1), ("CC403", 1)]) == {
        ("CC401", 1): None,
        ("CC403", 1): "inline: archport: ignore[CC403]",
    }


def test_multi_code():
    text = "__m128 x = _mm_add_ps(a, b); /* archport: ignore[CC401, CC402] */\n"
    result = suppressed(text, [("CC401", 1), ("CC402", 1), ("CC403", 1)])
    assert result[("CC401", 1)] == "inline: archport: ignore[CC401]"
    assert result[("CC402", 1)] == "inline: archport: ignore[CC402]"
    assert result[("CC403", 1)] is None


def test_prefix():
    text = "// archport: ignore[CC4]\n__m128 x = _mm_add_ps(a, b);\n"
    result = suppressed(text, [("CC401", 2), ("CC402", 2), ("CC201", 2)])
    assert result[("CC401", 2)] == "inline: archport: ignore[CC4]"
    assert result[("CC402", 2)] == "inline: archport: ignore[CC4]"
    assert result[("CC201", 2)] is None


def test_lowercase_codes_and_spaces_are_accepted():
    text = "// archport:   ignore[ cc403 ]\n#include <immintrin.h>\n"
    assert suppressed(text, [("CC403", 2)])[("CC403", 2)] == "inline: archport: ignore[CC403]"


def test_ignore_file():
    text = "/* archport: ignore-file[CC401] */\n" + "int a;\n" * 50 + "x = _mm_add_ps(a, b);\n"
    result = suppressed(text, [("CC401", 52), ("CC403", 52), ("CC401", 1)])
    assert result[("CC401", 52)] == "inline: archport: ignore-file[CC401]"
    assert result[("CC401", 1)] == "inline: archport: ignore-file[CC401]"
    assert result[("CC403", 52)] is None


def test_ignore_file_at_the_end_of_the_file():
    text = "x = _mm_add_ps(a, b);\n" + "int a;\n" * 20 + "// archport: ignore-file[CC4]\n"
    assert suppressed(text, [("CC401", 1)])[("CC401", 1)] == "inline: archport: ignore-file[CC4]"


def test_multi_line_block_comment_covers_its_lines_and_the_next():
    text = "/* vendor code:\n   archport: ignore[CC403]\n*/\n#include <immintrin.h>\n#include <xmmintrin.h>\n"
    result = suppressed(text, [("CC403", 4), ("CC403", 5)])
    assert result[("CC403", 4)] is not None
    assert result[("CC403", 5)] is None


def test_used_codes_are_recorded():
    source = SourceFile("t.c", "c", "// archport: ignore[CC401,CC403]\nx = _mm_add_ps(a, b);\n")
    sups, _ = parse_suppressions(source)
    apply_suppressions([finding("CC401", 2)], sups)
    assert len(sups) == 1
    assert sups[0].codes == ("CC401", "CC403")
    assert sups[0].used == {"CC401"}
    assert not sups[0].whole_file
    assert (sups[0].first_line, sups[0].last_line) == (1, 2)


def test_no_suppressions_returns_findings_unchanged():
    findings = [finding("CC401", 1)]
    assert apply_suppressions(findings, []) is findings


def test_assembly_comments():
    gas = "# archport: ignore[AS401]\n        rdtsc\n        pause\n"
    assert suppressed(gas, [("AS401", 2), ("AS401", 3)], "asm", "t.S") == {
        ("AS401", 2): "inline: archport: ignore[AS401]",
        ("AS401", 3): None,
    }
    nasm = "section .text\n        rdtsc               ; archport: ignore[AS401]\n"
    assert suppressed(nasm, [("AS401", 2)], "asm", "t.asm")[("AS401", 2)] is not None


def test_marker_in_code_outside_comments_is_ignored():
    text = "/* header */\nint archport_ignore = 1; const char *s = \"archport: ignore[CC403]\";\n#include <immintrin.h>\n"
    assert suppressed(text, [("CC403", 3), ("CC403", 2)]) == {("CC403", 3): None, ("CC403", 2): None}


def test_marker_in_a_string_of_a_file_without_comments_is_ignored():
    """A string literal is not a comment, also when the file has no comment at all."""
    text = 'const char *s = "archport: ignore[CC403]";\n#include <immintrin.h>\n#include <xmmintrin.h>\n'
    source = SourceFile("t.c", "c", text)
    sups, bad = parse_suppressions(source)
    out = apply_suppressions([finding("CC403", 2), finding("CC403", 3)], sups)
    assert [f.suppressed for f in out] == [None, None]


@pytest.mark.parametrize(
    "comment,reason_part",
    [
        ("// archport: ignore", "needs the codes"),
        ("// archport: ignore[]", "needs the codes"),
        ("// archport: ignore[ ]", "needs the codes"),
        ("/* archport: ignore-file */", "ignore-file"),
        ("// archport: ignore[all]", "ALL"),
        ("// archport: ignore[CC4011]", "CC4011"),
        ("// archport: ignore[CC401 CC403]", "CC401 CC403"),
        ("// archport: ignore[x86]", "X86"),
    ],
)
def test_malformed(comment, reason_part):
    text = f"int a; {comment}\n#include <immintrin.h>\n"
    source = SourceFile("t.c", "c", text)
    sups, bad = parse_suppressions(source)
    assert sups == []
    assert len(bad) == 1
    assert reason_part in bad[0].reason
    assert text[bad[0].start : bad[0].end].startswith("archport:")
    # a malformed marker suppresses nothing
    out = apply_suppressions([finding("CC403", 1), finding("CC403", 2)], sups)
    assert all(f.suppressed is None for f in out)


def test_malformed_and_valid_in_one_file():
    text = "// archport: ignore\nint a;\n// archport: ignore[CC403]\n#include <immintrin.h>\n"
    sups, bad = parse_suppressions(SourceFile("t.c", "c", text))
    assert [s.codes for s in sups] == [("CC403",)]
    assert len(bad) == 1
