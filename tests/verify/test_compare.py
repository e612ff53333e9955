"""Output comparison: exact, with a relative float tolerance, and how differences read."""

from __future__ import annotations

import pytest

from archport.verify.compare import first_difference, lines_equal


def test_identical_outputs_have_no_difference():
    assert first_difference("a 1\nb 2\n", "a 1\nb 2\n") is None


def test_first_differing_line_is_reported_with_both_texts():
    d = first_difference("x\nchar -56\n", "x\nchar 200\n")
    assert (d.line, d.x86, d.arm) == (2, "char -56", "char 200")


@pytest.mark.parametrize(
    "x86,arm,longer",
    [("dividing\n", "dividing\n42 / 0 = 0\n", True), ("4 bytes\n", "", False)],
)
def test_missing_lines_say_which_output_is_longer(x86, arm, longer):
    d = first_difference(x86, arm)
    assert ("longer" in d.reason) == longer and ("shorter" in d.reason) == (not longer)


def test_trailing_newline_difference_is_a_difference():
    assert first_difference("done\n", "done") is not None


@pytest.mark.parametrize(
    "a,b,tol,equal",
    [
        ("a*b+c = 1.862645149230957e-09", "a*b+c = 1.8626451500983188e-09", 1e-6, True),
        ("a*b+c = 1.862645149230957e-09", "a*b+c = 1.8626451500983188e-09", 1e-12, False),
        ("x = 0x0p+0", "x = -0x1p-54", 1e-6, False),  # zero against non-zero is never close
        ("x = 0x1.8p+1", "x = 3.0000000001", 1e-9, True),  # hex and decimal floats
        ("char -56", "char 200", 1e-3, False),
        ("nan inf", "nan inf", 0.0, True),
        ("nan", "inf", 1.0, False),
        ("1 apple", "1 pear", 1.0, False),  # text between numbers compares exactly
        ("v1.2.3", "v1.2.3", 0.1, True),
        ("1 2", "1 2 3", 1.0, False),
    ],
)
def test_tolerance(a, b, tol, equal):
    assert lines_equal(a, b, tol) is equal


def test_no_tolerance_means_exact():
    assert not lines_equal("1.0", "1.00", None)
