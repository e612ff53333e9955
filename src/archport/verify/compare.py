"""Comparing two program outputs: exactly, or with a relative tolerance for every token that
reads as a floating-point number."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

# decimal and hexadecimal floats, integers, inf and nan (as printf writes them)
_NUMBER = re.compile(
    r"[-+]?(?:0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)[pP][-+]?\d+"
    r"|(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
    r"|(?i:inf(?:inity)?|nan)(?![A-Za-z]))"
)


@dataclass
class Difference:
    line: int  # 1-based line of the first difference
    x86: str  # that line in each output
    arm: str
    reason: str


def _parse(token: str) -> float:
    t = token.lower()
    if "0x" in t and "p" in t:
        return float.fromhex(token)
    return float(token)


def _split(line: str) -> list[tuple[bool, str]]:
    out, pos = [], 0
    for m in _NUMBER.finditer(line):
        if m.start() > pos:
            out.append((False, line[pos : m.start()]))
        out.append((True, m.group(0)))
        pos = m.end()
    if pos < len(line):
        out.append((False, line[pos:]))
    return out


def _close(a: float, b: float, eps: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    return abs(a - b) <= eps * max(abs(a), abs(b))


def lines_equal(a: str, b: str, tolerance: float | None) -> bool:
    if a == b:
        return True
    if tolerance is None:
        return False
    ta, tb = _split(a), _split(b)
    if len(ta) != len(tb):
        return False
    for (na, xa), (nb, xb) in zip(ta, tb):
        if na != nb:
            return False
        if not na:
            if xa != xb:
                return False
            continue
        try:
            if not _close(_parse(xa), _parse(xb), tolerance):
                return False
        except (ValueError, OverflowError):
            if xa != xb:
                return False
    return True


def first_difference(x86: str, arm: str, tolerance: float | None = None) -> Difference | None:
    """None when the outputs are the same (within `tolerance`, relative, for numbers)."""
    if x86 == arm:
        return None
    xl, al = x86.splitlines(), arm.splitlines()
    for i in range(max(len(xl), len(al))):
        a = xl[i] if i < len(xl) else None
        b = al[i] if i < len(al) else None
        if a is None or b is None:
            return Difference(i + 1, a if a is not None else "", b if b is not None else "",
                              "the AArch64 output is longer" if a is None else "the AArch64 output is shorter")
        if not lines_equal(a, b, tolerance):
            return Difference(i + 1, a, b, "lines differ" if tolerance is None else f"lines differ beyond a relative tolerance of {tolerance:g}")
    if x86.endswith("\n") != arm.endswith("\n"):
        return Difference(len(xl), xl[-1] if xl else "", al[-1] if al else "", "only one output ends with a newline")
    return None
