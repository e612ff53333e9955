from __future__ import annotations

import fnmatch
import functools
import os
import re

from archport.archfiles import is_go_assembly
from archport.model import Confidence, Impact, Severity
from archport.preprocessor import State
from archport.rule import Rule
from archport.rules.assembly import _x86

_NASM = re.compile(
    r"^[ \t]*(?:bits[ \t]+(?:16|32|64)\b|default[ \t]+rel\b|(?:section|segment)[ \t]+\.?\w"
    r"|%(?:macro|define|xdefine|assign|include|ifdef|ifndef|if)\b|global[ \t]+\w|extern[ \t]+\w|cglobal\b"
    r"|INIT_(?:XMM|YMM|ZMM|MMX)\b|SECTION_RODATA\b)",
    re.M | re.I,
)
_MASM = re.compile(
    r"^[ \t]*(?:\.model\b|\.code\b|\.686p?\b|\.xmm\b|option[ \t]+\w+[ \t]*:|public[ \t]+\w|extrn[ \t]+\w"
    r"|\w+[ \t]+proc\b|\w+[ \t]+endp\b)",
    re.M | re.I,
)
_SYNTAX_LABEL = {
    "gas-att": "GNU as, AT&T syntax",
    "gas-intel": "GNU as, Intel syntax",
    "nasm": "NASM/YASM",
    "masm": "MASM",
}
_ASM_EXTENSIONS = (".s", ".S", ".sx", ".asm")
# words in file and directory names
_X86_NAME = re.compile(
    r"(?<![a-z0-9])(?:x86[_-]?64|x86|x64|amd64|i[3-6]86|ia32|intel|win64|elf64|sysv|sse\d*|ssse3|avx\d*\w*"
    r"|bmi2?|nasm|yasm|masm|asm)(?![a-z0-9])"
)
_ARM_NAME = re.compile(r"(?<![a-z0-9])(?:aarch64|arm64|armv8\w*|arm|a64|neon|sve2?|asimd)(?![a-z0-9])")
_ARM_DIR = re.compile(r"^(?:aarch64|arm64|armv8[\w-]*|arm|a64|neon)$", re.I)
_AARCH64_TEXT = re.compile(
    r"(?<![\w%$.])(?:[xw](?:[12]?\d|30)|v(?:[12]?\d|3[01])\.\d*[bhsd])(?![\w])|\.arch[ \t]+armv[89]|\.arch_extension"
)
_BUILD_NAMES = frozenset(
    {"CMakeLists.txt", "Makefile", "makefile", "GNUmakefile", "Makefile.am", "Makefile.in", "meson.build",
     "configure.ac", "configure.in"}
)
_BUILD_SUFFIXES = (".mk", ".cmake")
_GLOB_TOKEN = re.compile(r"[\w./$(){}*-]*\*[\w.*-]*")
_BUILD_LEVELS = 5
_READ_LIMIT = 1 << 20


class X86AssemblySource(Rule):
    """Assembly source file written for x86.

    ## What it does
    Checks for assembly files (`.s`, `.S`, `.sx`, `.asm`, `.nasm`, `.yasm`, and `.inc` files
    that look like assembly) containing x86 instructions, in GNU as AT&T or Intel syntax,
    NASM/YASM or MASM. A file is reported once, at its first x86 instruction; code that
    the C preprocessor drops for AArch64 (`#if defined(__x86_64__)` in a `.S` file) is not
    counted. The message says whether an AArch64 counterpart sits beside the file (same
    directory or an `arm64/`, `aarch64/`, `arm/` sibling) and whether a nearby build file
    (CMake, Make, Meson, autoconf) names it.

    ## Why is this a problem on ARM64?
    The AArch64 assembler rejects every x86 instruction and register, so a build that
    still compiles the file stops there; NASM and YASM only produce x86 code at all. The
    routine needs a portable C fallback, an AArch64 assembly version, or a build rule that
    leaves the file out on AArch64.

    ## Example
    ```asm
        .text
        .globl add2
    add2:
        leaq (%rdi,%rsi), %rax
        ret
    ```

    Use instead:
    ```asm
        .text
        .globl add2
    add2:
        add x0, x0, x1
        ret
    ```

    ## Limitations
    Lines are classified by their vocabulary (x86 mnemonics and register names), not by
    running an assembler; a file made only of project macros is not recognised. Go (Plan 9)
    assembly (`TEXT ·name(SB)`) is left to GO401, which checks the whole Go package. The
    counterpart and build-file checks are name searches near the file, a hint rather than a
    build analysis: a file selected through a variable or a distant build file shows as
    "not referenced". The effort estimate is per file, whatever its length; the number of
    instruction lines is in the finding's properties.

    ## References
    - GNU as, i386 dependent features: https://sourceware.org/binutils/docs/as/i386_002dDependent.html
    - GNU as, AArch64 dependent features: https://sourceware.org/binutils/docs/as/AArch64_002dDependent.html
    - Arm A64 instruction set: https://developer.arm.com/documentation/ddi0602/latest
    """

    code = "AS401"
    name = "x86-assembly-source"
    summary = "Assembly source file written for x86"
    languages = frozenset({"asm"})
    severity = Severity.ERROR
    impact = Impact.BUILD_BREAK
    confidence = Confidence.HIGH
    tags = ("asm", "isa", "build")
    effort_minutes = 240
    # any x86 assembly names registers: AT&T `%reg`, or Intel/NASM/MASM words such as rax, ebx, xmm
    prefilter = (b"%", b"ax", b"bx", b"cx", b"dx", b"si", b"di", b"sp", b"bp", b"mm",
                 b"AX", b"BX", b"CX", b"DX", b"SI", b"DI", b"SP", b"BP", b"MM")

    def check_file(self, ctx):
        if is_go_assembly(ctx.text):
            return  # Go (Plan 9) assembly: the go tool selects it per GOARCH; GO401 judges it
        masked = ctx.masked
        syntax = _syntax(masked)
        intel = syntax != "gas-att"
        semicolon_comments = syntax in ("nasm", "masm")
        gas = syntax.startswith("gas")
        first = None  # (start, end, mnemonic) of the first x86 line an AArch64 build assembles
        x86_lines = other_lines = instruction_lines = 0
        offset = 0
        for line in masked.split("\n"):
            start = offset
            offset += len(line) + 1
            stripped = line.lstrip()
            if not stripped or (gas and stripped[0] == "#") or (syntax == "nasm" and stripped[0] == "%"):
                continue
            indent = start + len(line) - len(stripped)
            if semicolon_comments:
                line = line.split(";", 1)[0]
            statements = [
                st for st in _x86.split_statements(line, semicolon_comments=semicolon_comments) if not st.directive
            ]
            if not statements:
                continue  # blank, a label, or directives only
            assessment = _x86.Assessment()
            for st in statements:
                assessment.merge(_x86.assess_statement(st, intel=intel, idioms=False))
            if not (assessment.x86 or assessment.other or any(
                st.mnemonic and not st.directive and _x86.mnemonic_kind(st) == "neutral" for st in statements
            )):
                continue
            if ctx.arm_state(indent) is State.INACTIVE:
                continue
            instruction_lines += 1
            if assessment.is_x86:
                x86_lines += 1
                if first is None:
                    first = (indent, start + len(line.rstrip()), assessment)
            elif assessment.other:
                other_lines += 1
        if first is None or x86_lines <= other_lines:
            return
        start, end, assessment = first
        counterpart = _counterpart(ctx.abs_path)
        build_files = _build_references(ctx.abs_path)
        root = _scan_root(ctx.abs_path, ctx.path)
        counterpart_rel = _relative(counterpart, root) if counterpart else None
        build_rel = [_relative(p, root) for p in build_files]

        where = (
            f"an AArch64 counterpart exists: `{counterpart_rel}`"
            if counterpart_rel
            else "no AArch64 counterpart found beside it"
        )
        built = (
            "referenced by " + ", ".join(f"`{p}`" for p in build_rel)
            if build_rel
            else "not referenced by any build file found"
        )
        message = (
            f"x86 assembly source ({_SYNTAX_LABEL[syntax]}, {instruction_lines} instruction lines) does not "
            f"assemble for AArch64; {where}; {built}"
        )
        if counterpart_rel:
            help = (
                f"make the AArch64 build assemble `{counterpart_rel}` instead of this file (select by "
                "CMAKE_SYSTEM_PROCESSOR, the configure host_cpu or Meson host_machine.cpu_family())"
            )
        else:
            help = (
                "keep this file out of the AArch64 build and use the project's portable C path there "
                "(often a --disable-asm or NO_ASM switch), or port the routine to AArch64 assembly or NEON "
                "intrinsics"
            )
        if syntax == "nasm":
            help += "; NASM and YASM emit only x86 code, so the AArch64 build must not invoke them"
        yield ctx.finding(
            self,
            start,
            end,
            message,
            help,
            properties={
                "syntax": syntax,
                "counterpart": counterpart_rel,
                "build_files": build_rel,
                "instruction_lines": instruction_lines,
                "x86_lines": x86_lines,
                "first_x86_words": assessment.x86[:3],
            },
        )


# -- the file's syntax ---------------------------------------------------------------------------


def _syntax(masked: str) -> str:
    if _NASM.search(masked):
        return "nasm"
    if _MASM.search(masked):
        return "masm"
    if ".intel_syntax" in masked:
        return "gas-intel"
    return "gas-att"


# -- neighbours: counterpart and build files -------------------------------------------------------


def _listdir(path: str) -> tuple[str, ...]:
    """Directory entries, cached per (path, mtime) so an edited tree is re-read."""
    try:
        mtime = os.stat(path).st_mtime_ns
    except OSError:
        return ()
    return _listdir_cached(path, mtime)


@functools.lru_cache(maxsize=4096)
def _listdir_cached(path: str, mtime: int) -> tuple[str, ...]:
    try:
        return tuple(sorted(os.listdir(path)))
    except OSError:
        return ()


def _head(path: str, limit: int = _READ_LIMIT) -> str:
    """The first `limit` bytes of a file as text, cached per (path, mtime, size)."""
    try:
        st = os.stat(path)
    except OSError:
        return ""
    return _head_cached(path, st.st_mtime_ns, st.st_size, limit)


@functools.lru_cache(maxsize=1024)
def _head_cached(path: str, mtime: int, size: int, limit: int) -> str:
    try:
        with open(path, "rb") as fh:
            return fh.read(limit).decode("utf-8", errors="replace")
    except OSError:
        return ""


def _neutral_stem(name: str) -> str:
    stem = name.rsplit(".", 1)[0].lower()
    stem = _X86_NAME.sub("", stem)
    stem = _ARM_NAME.sub("", stem)
    return re.sub(r"[^a-z0-9]", "", stem)


def _counterpart(abs_path: str) -> str | None:
    """An AArch64 assembly file that stands for this one: same directory with an Arm word in
    its name (foo_amd64.S -> foo_arm64.S), or an Arm sibling directory (x86/foo.asm ->
    aarch64/foo.S, arm/64/foo.S)."""
    directory, name = os.path.split(abs_path)
    want = _neutral_stem(name)
    if not want:
        return None
    candidates: list[tuple[str, bool]] = [(directory, True)]
    parent = os.path.dirname(directory)
    here = os.path.basename(directory)
    for sibling in _listdir(parent):
        if sibling == here or not _ARM_DIR.match(sibling):
            continue
        path = os.path.join(parent, sibling)
        if not os.path.isdir(path):
            continue
        candidates.append((path, False))
        for sub in ("64", "aarch64", "arm64"):
            nested = os.path.join(path, sub)
            if os.path.isdir(nested):
                candidates.append((nested, False))
    for folder, same_dir in candidates:
        for entry in _listdir(folder):
            if not entry.endswith(_ASM_EXTENSIONS) or entry == name:
                continue
            if same_dir and not _ARM_NAME.search(entry.lower()):
                continue
            if _neutral_stem(entry) != want:
                continue
            path = os.path.join(folder, entry)
            if _AARCH64_TEXT.search(_head(path, 65536)):
                return path
    return None


def _build_references(abs_path: str) -> list[str]:
    """Build files in the file's directory and its ancestors (up to _BUILD_LEVELS) that name it."""
    name = os.path.basename(abs_path)
    ext = os.path.splitext(name)[1]
    named = re.compile(r"(?<![\w.-])" + re.escape(name) + r"(?![\w.-])")
    found = []
    directory = os.path.dirname(abs_path)
    for _ in range(_BUILD_LEVELS):
        for entry in _listdir(directory):
            if entry not in _BUILD_NAMES and not entry.endswith(_BUILD_SUFFIXES):
                continue
            path = os.path.join(directory, entry)
            text = _head(path)
            if name not in text and "*" not in text:
                continue
            if named.search(text) or any(
                token.rsplit("/", 1)[-1].endswith(ext) and fnmatch.fnmatchcase(name, token.rsplit("/", 1)[-1])
                for token in _GLOB_TOKEN.findall(text)
            ):
                found.append(path)
        up = os.path.dirname(directory)
        if up == directory:
            break
        directory = up
    return found


def _scan_root(abs_path: str, rel_path: str) -> str:
    abs_posix = abs_path.replace(os.sep, "/")
    rel = rel_path.replace(os.sep, "/").removeprefix("./")
    if rel and abs_posix.endswith("/" + rel):
        return abs_path[: len(abs_posix) - len(rel) - 1] or "/"
    return os.path.dirname(abs_path)


def _relative(path: str, root: str) -> str:
    return os.path.relpath(path, root).replace(os.sep, "/")
