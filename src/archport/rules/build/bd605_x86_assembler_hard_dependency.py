from __future__ import annotations

import re

from archport.model import Confidence, Impact, Severity
from archport.rule import Rule
from archport.rules.build import _conditions as cond
from archport.rules.build import _flags

_PATTERNS = {
    "cmake": re.compile(
        r"\benable_language[ \t]*\([^)]*\b(?P<a>ASM_NASM|ASM_YASM)\b"
        r"|\bproject[ \t]*\([^)]*\bLANGUAGES\b[^)]*\b(?P<b>ASM_NASM)\b"
        r"|\bfind_program[ \t]*\([^)]*\b(?P<c>nasm|yasm)\b[^)]*\bREQUIRED\b"
        r"|\bfind_package[ \t]*\([ \t]*(?P<d>NASM|YASM)\b[^)]*\bREQUIRED\b",
        re.I,
    ),
    "meson": re.compile(
        r"\badd_languages[ \t]*\([ \t]*'(?P<a>nasm)'(?P<rest>[^)]*)\)"
        r"|\bfind_program[ \t]*\([ \t]*'(?P<c>nasm|yasm)'(?P<rest2>[^)]*)\)"
        r"|\bproject[ \t]*\([^)]*'(?P<b>nasm)'"
    ),
    "make": re.compile(
        r"^[ \t]*(?:export[ \t]+|override[ \t]+)?(?:AS|ASM|NASM|YASM|AS_NASM)[ \t]*(?:\?|:)?=[ \t]*(?P<a>nasm|yasm)\b"
        r"|^\t[ \t@-]*(?P<c>nasm|yasm)[ \t]",
        re.M,
    ),
    "autoconf": re.compile(r"\bAC_MSG_ERROR[ \t]*\(\[?[^)\n]*\b(?P<a>nasm|yasm|NASM|YASM)\b"),
}


class X86AssemblerHardDependency(Rule):
    """NASM or YASM required unconditionally by the build.

    ## What it does
    Checks for builds that require an x86 assembler on every architecture: CMake
    `enable_language(ASM_NASM)`, `project(… LANGUAGES … ASM_NASM)`,
    `find_program(… nasm … REQUIRED)`; Meson `add_languages('nasm')` or
    `find_program('nasm')` without `required: false`; Make `AS = nasm` or recipes calling
    `nasm`/`yasm`; configure.ac `AC_MSG_ERROR` when nasm/yasm is missing — outside x86-only
    branches.

    ## Why is this a problem on ARM64?
    NASM and YASM assemble x86 instructions only. On an AArch64 machine the configure step
    fails when neither is installed (CMake: "No CMAKE_ASM_NASM_COMPILER could be found"), and
    when one is installed its x86 objects cannot be linked into an AArch64 program. The x86
    assembly sources need an AArch64 alternative (C, NEON intrinsics or AArch64 assembly)
    selected by architecture.

    ## Example
    ```cmake
    enable_language(ASM_NASM)
    ```

    Use instead:
    ```cmake
    if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64|i[3-6]86")
      enable_language(ASM_NASM)
    endif()
    ```

    ## Limitations
    Dependencies expressed through wrappers (a variable holding the assembler name, a
    helper macro) are not followed. A Meson `find_program('nasm', required: get_option(…))`
    counts as optional.

    ## References
    - CMake enable_language: https://cmake.org/cmake/help/latest/command/enable_language.html
    - Meson add_languages: https://mesonbuild.com/Reference-manual_functions.html#add_languages
    """

    code = "BD605"
    name = "x86-assembler-hard-dependency"
    summary = "NASM or YASM required unconditionally by the build"
    languages = frozenset({"cmake", "meson", "make", "autoconf"})
    severity = Severity.ERROR
    impact = Impact.BUILD_BREAK
    confidence = Confidence.HIGH
    tags = ("build", "assembly")
    effort_minutes = 60
    prefilter = (b"nasm", b"NASM", b"yasm", b"YASM")

    def check_file(self, ctx):
        regex = _PATTERNS.get(ctx.language)
        if regex is None or not _flags.reads(ctx) or cond.path_names_x86(ctx.path.rsplit("/", 1)[0] if "/" in ctx.path else ""):
            return
        for m in regex.finditer(ctx.masked):
            group = next(g for g in ("a", "b", "c", "d") if g in m.re.groupindex and m.group(g))
            rest = (m.groupdict().get("rest") or "") + (m.groupdict().get("rest2") or "")
            if ctx.language == "meson" and re.search(r"\brequired\s*:\s*(?!true\b)", rest):
                continue
            start = m.start(group)
            if cond.x86_only_reason(ctx, start) is not None:
                continue
            tool = m.group(group)
            yield ctx.finding(
                self, start, m.end(group),
                f"the build requires the x86 assembler `{tool}` on every architecture; on AArch64 configuration fails "
                "without it, and its x86 objects cannot be linked into an AArch64 program",
                "require NASM/YASM only when building for x86 (e.g. `if(CMAKE_SYSTEM_PROCESSOR MATCHES \"x86_64|AMD64|i[3-6]86\")` "
                "around `enable_language(ASM_NASM)`, Meson `required: host_machine.cpu_family() in ['x86', 'x86_64']`) and "
                "build a C/NEON or AArch64 assembly alternative for aarch64",
                properties={"assembler": tool.lower()},
            )
