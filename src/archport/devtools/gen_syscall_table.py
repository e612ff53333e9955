"""Regenerate archport's Linux system-call table for x86-64 and AArch64.

Asks each compiler which ``__NR_*`` macros ``<sys/syscall.h>`` defines (``CC -E -dM``) and
resolves them to numbers, then writes ``rules/_tables/syscalls.json``::

    {"generated_by": ..., "kernel_headers": {...},
     "x86_64": {name: number}, "aarch64": {name: number},
     "x86_64_only": [names that x86-64 defines and AArch64 does not]}

Names are stored without the ``__NR_`` / ``SYS_`` prefix; glibc defines ``SYS_<name>``
exactly when ``__NR_<name>`` exists. Only names and numbers are stored.

Usage::

    python -m archport.devtools.gen_syscall_table [--x86-cc gcc] [--arm-cc aarch64-linux-gnu-gcc] [--check]

``--check`` exits 1 when the stored table differs from what the compilers give.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "rules" / "_tables" / "syscalls.json"
_DEFINE = re.compile(r"^#define (\w+) (.*)$", re.M)
_NR = "__NR_"
_TOKEN = re.compile(r"\s*(?:(0x[0-9a-fA-F]+|\d+)[uUlL]*|([A-Za-z_]\w*)|([-+()]))")


def macros(cc: str) -> dict[str, str]:
    out = subprocess.run(
        [cc, "-E", "-dM", "-x", "c", "-"], input="#include <sys/syscall.h>\n#include <linux/version.h>\n", capture_output=True, text=True, check=True
    ).stdout
    return {m.group(1): m.group(2).strip() for m in _DEFINE.finditer(out)}


def _value(name: str, defs: dict[str, str], depth: int = 0) -> int | None:
    """The integer a macro expands to: numbers, other macros, `+`, `-` and parentheses only."""
    text = defs.get(name)
    if text is None or depth > 20:
        return None
    expr: list[str] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            return None
        pos = m.end()
        number, ident, op = m.groups()
        if number:
            expr.append(str(int(number, 0)))
        elif ident:
            sub = _value(ident, defs, depth + 1)
            if sub is None:
                return None
            expr.append(str(sub))
        elif op:
            expr.append(op)
    try:
        return int(eval(" ".join(expr), {"__builtins__": {}}, {}))  # only digits, + - ( ) remain
    except (SyntaxError, ValueError):
        return None


def table(cc: str) -> tuple[dict[str, int], dict[str, str]]:
    defs = macros(cc)
    calls = {}
    for name in defs:
        if name.startswith(_NR) and not name.startswith(("__NR3264_", "__NR_arch_specific")):
            value = _value(name, defs)
            if value is not None and not name.endswith("_syscalls"):
                calls[name[len(_NR) :]] = value
    info = {"compiler": cc}
    for key, macro in (("linux_headers", "LINUX_VERSION_CODE"), ("glibc_syscall_list", "__GLIBC_LINUX_VERSION_CODE")):
        version = _value(macro, defs)
        if version:
            info[key] = f"{version >> 16}.{(version >> 8) & 0xFF}"
    return dict(sorted(calls.items())), info


def build(x86_cc: str, arm_cc: str) -> dict:
    x86, x86_info = table(x86_cc)
    arm, arm_info = table(arm_cc)
    return {
        "generated_by": "python -m archport.devtools.gen_syscall_table",
        "kernel_headers": {"x86_64": x86_info, "aarch64": arm_info},
        "x86_64": x86,
        "aarch64": arm,
        "x86_64_only": sorted(set(x86) - set(arm)),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--x86-cc", default="gcc")
    parser.add_argument("--arm-cc", default="aarch64-linux-gnu-gcc")
    parser.add_argument("--check", action="store_true", help="compare with the stored table instead of writing")
    args = parser.parse_args(argv)
    data = build(args.x86_cc, args.arm_cc)
    text = json.dumps(data, indent=1, sort_keys=False) + "\n"
    if args.check:
        current = OUT.read_text() if OUT.exists() else ""
        if current != text:
            print(f"{OUT} is out of date; run python -m archport.devtools.gen_syscall_table", file=sys.stderr)
            return 1
        return 0
    OUT.write_text(text)
    print(f"wrote {OUT}: {len(data['x86_64'])} x86-64 calls, {len(data['aarch64'])} AArch64 calls, "
          f"{len(data['x86_64_only'])} only on x86-64")
    return 0


if __name__ == "__main__":
    sys.exit(main())
