from __future__ import annotations

import re

from archport.model import Confidence, Impact, Severity
from archport.rule import Rule
from archport.rules import _arch_gate

_X86_FEATURE = (r"(?:sse\d?(?:_\d)?|sse\d\w*|ssse3|avx\w*|fma[34]?|f16c|bmi[12]?|popcnt|lzcnt|xop|x86_v[234]"
                r"|vpclmulqdq|pclmulqdq|vaes|aes|sha_?ni|movbe|adx|rdrand|rdseed)")
#: numpy's feature dictionary indexed with an x86 key: `__cpu_features__["AVX2"]`, `.get('AVX512F')`
_NUMPY = re.compile(r"\b__cpu_features__\s*(?:\[\s*|\.\s*get\s*\(\s*)[rRuU]?(['\"])(" + _X86_FEATURE + r")\1", re.I)
#: a membership test of an x86 flag: `"avx2" in cpuinfo.get_cpu_info()["flags"]`, `'sse4_2' not in flags`
_FLAG_IN = re.compile(r"(['\"])(" + _X86_FEATURE + r")\1\s+(?:not\s+)?in\s+([^\n:]{0,120})", re.I)
#: the module also looks at Arm features or the Arm architecture
_ARM = re.compile(r"(?i)\b(?:asimd\w*|neon\w*|sve2?\w*|aarch64|arm64)\b")
_CPUINFO = re.compile(r"\bget_cpu_info\b|\bimport\s+cpuinfo\b|\bfrom\s+cpuinfo\b")
_EXITS = re.compile(r"^\s*(?:raise\b|(?:sys\s*\.\s*)?exit\s*\(|os\s*\.\s*_exit\s*\(|quit\s*\()", re.M)
_SKIP = re.compile(r"\bskip(?:if|Unless|If)?\s*\(|\bxfail\s*\(|\bskipif\b", re.I)


class NumpyX86CpuFeatureCheck(Rule):
    """Code path chosen by an x86 CPU feature from numpy or py-cpuinfo, with no Arm counterpart.

    ## What it does
    Checks for Python code that reads an x86 CPU feature — numpy's
    `__cpu_features__["AVX2"]` / `.get("AVX512F")` (from `numpy.core._multiarray_umath` or
    `numpy._core._multiarray_umath`), or a membership test such as
    `"avx2" in cpuinfo.get_cpu_info()["flags"]` — in a module that never tests an Arm feature
    (`ASIMD`, `ASIMDHP`, `NEON`, `SVE`…) nor names `aarch64`/`arm64`. A check whose
    alternative raises or exits (an `else:` that raises, `if not …: raise`, `assert`) is a
    `warning`; one that only selects a fast path is `info`. Test-skip decorators, and in test
    files (`test_*.py`, `*_test.py`, `tests/`) checks that only select a path, are not reported.

    ## Why is this a problem on ARM64?
    numpy's dictionary holds every feature it knows on every architecture: on AArch64
    `__cpu_features__["AVX2"]` is `False` (not a `KeyError`), and the Arm features appear
    under `ASIMD`, `ASIMDHP`, `ASIMDDP`, `ASIMDFHM`, `NEON`, `SVE`. On AArch64 Linux the
    kernel lists `asimd`, `sve`… instead of `avx2`/`sse4_2` in its CPU flags. Code that
    chooses its fast path by x86 features alone therefore always takes the generic path on
    an Arm server — or refuses to run when the generic path is an error.

    ## Example
    ```python
    from numpy._core._multiarray_umath import __cpu_features__

    def kernel():
        if __cpu_features__["AVX2"]:
            return "simd"
        raise RuntimeError("this build needs AVX2")
    ```

    Use instead:
    ```python
    from numpy._core._multiarray_umath import __cpu_features__

    def kernel():
        if __cpu_features__["AVX2"] or __cpu_features__["ASIMD"]:
            return "simd"
        return "scalar"
    ```

    ## Limitations
    The feature value is not followed through variables (`HAS_AVX2 = …; if HAS_AVX2:`): the
    read itself is reported, as `info` unless the same statement raises or exits. Any mention
    of an Arm feature or architecture in the module silences the rule for the whole module.
    numba's target-feature settings are not read.

    ## References
    - numpy CPU build options and runtime dispatch (`__cpu_features__`): https://numpy.org/doc/stable/reference/simd/build-options.html
    - py-cpuinfo: https://github.com/workhorsy/py-cpuinfo
    """

    code = "PY401"
    name = "numpy-x86-cpu-feature-check"
    summary = "Code path chosen by an x86 CPU feature from numpy or py-cpuinfo, with no Arm counterpart"
    languages = frozenset({"python"})
    severity = Severity.INFO
    impact = Impact.PERFORMANCE
    confidence = Confidence.MEDIUM
    tags = ("detection", "simd")
    effort_minutes = 15
    prefilter = (b"__cpu_features__", b"get_cpu_info")

    def check_file(self, ctx):
        text, masked = ctx.text, ctx.masked
        if _ARM.search(text):
            return
        candidates = [(m, m.group(2), "numpy") for m in _NUMPY.finditer(masked)]
        if _CPUINFO.search(masked):
            candidates += [(m, m.group(2), "cpuinfo") for m in _FLAG_IN.finditer(masked) if "flags" in m.group(3).lower()]
        if not candidates:
            return
        gates = _arch_gate.ArchGates(ctx, _arch_gate.PYTHON)
        sites = []
        for m, feature, source in candidates:
            node = gates.node_at(m.start(), m.start() + 1)
            if source == "numpy":
                # the identifier itself: not the inside of a string
                if node is None or node.type != "identifier":
                    continue
            else:
                # the quoted flag must be a whole string of its own, compared with `in`
                while node is not None and node.type != "string":
                    node = node.parent
                if node is None or node.parent is None or node.parent.type != "comparison_operator":
                    continue
            sites.append((m, feature, source))
        name = ctx.path.rsplit("/", 1)[-1]
        in_tests = name.startswith("test_") or name.endswith("_test.py") or "/tests/" in f"/{ctx.path}"
        for m, feature, source in sites:
            line_start = text.rfind("\n", 0, m.start()) + 1
            line_end = text.find("\n", m.start())
            line = text[line_start:len(text) if line_end < 0 else line_end]
            if _SKIP.search(masked[line_start:len(text) if line_end < 0 else line_end]):
                continue  # a test skipped on other processors
            fails = _fails_without(text, line_start, line)
            if source == "numpy":
                what = (f"`__cpu_features__[\"{feature}\"]` is False on AArch64 (numpy reports Arm features as "
                        "`ASIMD`, `ASIMDHP`, `ASIMDDP`, `NEON`, `SVE`)")
                arm_keys = "`__cpu_features__[\"ASIMD\"]` (AdvSIMD; `ASIMDHP`, `ASIMDDP`, `SVE` for newer cores)"
            else:
                what = (f"the CPU flags never contain `{feature.lower()}` on AArch64 (the kernel lists `asimd`, "
                        "`sve`…)")
                arm_keys = "`\"asimd\"` (or `\"sve\"`) in the same flags"
            if fails:
                msg = f"x86 feature check with no Arm alternative: {what}, so this code refuses to run on AArch64"
                help_ = f"accept the Arm equivalent as well — {arm_keys} — or fall back to a portable path"
                severity = Severity.WARNING
            elif in_tests:
                continue  # a test that only runs on x86: coverage, not a port hazard
            else:
                msg = (f"x86 feature check selects a fast path that AArch64 never takes: {what}, and the module "
                       "tests no Arm feature")
                help_ = f"add an Arm fast path chosen by {arm_keys}, or confirm the generic path is fast enough"
                severity = Severity.INFO
            yield ctx.finding(
                self, m.start(), m.end() if source == "numpy" else m.start() + len(feature) + 2, msg, help_,
                properties={"feature": feature, "source": source}, severity=severity,
            )


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def _fails_without(text: str, line_start: int, line: str) -> bool:
    """Whether the statement on `line` raises or exits when the feature is missing: an
    `assert`, `if not …:` whose body fails, or an `if …:` whose `else:` fails."""
    stripped = line.strip()
    if stripped.startswith("assert "):
        return True
    head = re.match(r"(?:el)?if\s+(not\s)?", stripped)
    if head is None:
        return False
    base = _indent(line)
    lines = text[line_start:line_start + 16000].split("\n")[1:200]
    body, else_body, in_else = [], [], False
    for ln in lines:
        if not ln.strip():
            continue
        ind = _indent(ln)
        if ind <= base:
            if ind == base and re.match(r"\s*else\s*:", ln) and not in_else:
                in_else = True
                rest = ln.split(":", 1)[1].strip()
                if rest:
                    else_body.append(rest)
                continue
            if ind == base and re.match(r"\s*elif\b", ln) and not in_else:
                continue
            break
        (else_body if in_else else body).append(ln)
    if not stripped.endswith(":") and ":" in stripped:
        body.append(stripped.split(":", 1)[1])  # `if not x: raise …` on one line
    if head.group(1):
        return bool(_EXITS.search("\n".join(b.strip() for b in body)))
    if else_body:
        return bool(_EXITS.search("\n".join(b.strip() for b in else_body)))
    # `if feature: return fast` followed by a bare `raise` at the same level
    if not any(re.match(r"\s*return\b", b) for b in body):
        return False
    for ln in lines:
        if not ln.strip() or _indent(ln) > base:
            continue
        return _indent(ln) == base and bool(_EXITS.match(ln.strip()))
    return False
