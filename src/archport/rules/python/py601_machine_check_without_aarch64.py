from __future__ import annotations

import re

from archport.model import Confidence, Impact, Severity
from archport.rule import Rule
from archport.rules import _arch_gate

#: reads of the processor name: platform.machine()/processor(), os.uname().machine,
#: platform.uname().machine, os.uname()[4], sysconfig/distutils get_platform()
_READ = re.compile(
    r"\bplatform\s*\.\s*(?:machine|processor)\s*\(\s*\)"
    r"|\b(?:os|platform)\s*\.\s*uname\s*\(\s*\)\s*(?:\.\s*machine\b|\[\s*4\s*\])"
    r"|\b(?:sysconfig|util)\s*\.\s*get_platform\s*\(\s*\)"
)


class MachineCheckWithoutAarch64(Rule):
    """`platform.machine()` check that accepts only x86 names.

    ## What it does
    Checks for decisions in Python code on `platform.machine()`, `platform.processor()`,
    `os.uname().machine` or `sysconfig.get_platform()` (directly or through a variable that
    holds it) — `if`/`elif` chains, conditional expressions, dict lookups
    (`{"x86_64": …}[platform.machine()]`), `assert` — that test x86 names (`x86_64`, `AMD64`,
    `i686`…) and send every other processor to a `raise`, `sys.exit()`, a `KeyError`, an
    x86 value, or no value. A function (for module-level code: a file) that names
    `aarch64`/`arm64` anywhere is taken as handling AArch64; test skips (`pytest.skip`,
    `skipif`) are not reported. `setup.py` is left to BD601.

    ## Why is this a problem on ARM64?
    `platform.machine()` returns `aarch64` on Linux, `arm64` on macOS and `ARM64` on
    Windows. A script or library that only knows `x86_64`/`AMD64` refuses to run, picks an
    x86 binary or download, or goes on with an unset value and fails later.

    ## Example
    ```python
    import platform

    def lib_name():
        machine = platform.machine()
        if machine in ("x86_64", "AMD64"):
            return "libfast-x86_64.so"
        raise RuntimeError(f"unsupported processor {machine}")
    ```

    Use instead:
    ```python
    import platform

    def lib_name():
        machine = platform.machine()
        if machine in ("x86_64", "AMD64"):
            return "libfast-x86_64.so"
        if machine in ("aarch64", "arm64", "ARM64"):
            return "libfast-aarch64.so"
        raise RuntimeError(f"unsupported processor {machine}")
    ```

    ## Limitations
    The value is followed into variables in the same function or module; a boolean derived
    from it (`IS_X86 = platform.machine() == "x86_64"`) is not followed, and neither are
    values passed to other functions. `match` statements are not read.

    ## References
    - `platform.machine()`: https://docs.python.org/3/library/platform.html#platform.machine
    - AWS Graviton getting started, Python: https://github.com/aws/aws-graviton-getting-started/blob/main/python.md
    """

    code = "PY601"
    name = "machine-check-without-aarch64"
    summary = "`platform.machine()` check that accepts only x86 names"
    languages = frozenset({"python"})
    severity = Severity.ERROR
    impact = Impact.RUNTIME_TRAP
    confidence = Confidence.MEDIUM
    tags = ("detection",)
    effort_minutes = 15
    prefilter = (b"machine", b"processor", b"get_platform")

    def check_file(self, ctx):
        if ctx.path.rsplit("/", 1)[-1] == "setup.py":
            return  # BD601 reads setup.py
        matches = list(_READ.finditer(ctx.masked))
        if not matches:
            return
        gates = _arch_gate.ArchGates(ctx, _arch_gate.PYTHON)
        reads = []
        for m in matches:
            node = gates.node_at(m.start(), m.end())
            while node is not None and node.type not in ("call", "subscript", "attribute", "string", "module"):
                node = node.parent
            if node is None or node.type in ("string", "module"):
                continue
            while node.parent is not None and node.parent.type in ("call", "attribute", "subscript") and \
                    node.parent.start_byte == node.start_byte and node.parent.end_byte <= ctx.source.byte_offset(m.end()):
                node = node.parent
            reads.append(node)
        yield from _arch_gate.gate_findings(
            self, ctx, _arch_gate.PYTHON, reads, value_name="`platform.machine()`", arm_value="aarch64",
            help_text=("handle `aarch64` (Linux), `arm64` (macOS) and `ARM64` (Windows) as well — with the Arm "
                       "library, wheel or setting — or let unknown processors take a portable path"),
        )
