"""Compiler and assembler diagnostics: parsing GCC's text output, and mapping each AArch64
diagnostic to the archport rule whose hazard it is (or to AP101/AP102)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from archport.knowledge import is_x86_header

# GCC (C, C++) and gfortran, with -fno-diagnostics-show-caret and LC_ALL=C:
#   file:line:col: error: message [-Wopt]      gfortran: file:line:col: Error: message
_DIAG = re.compile(
    r"^(?P<file>[^\s:][^:]*?):(?P<line>\d+):(?:(?P<col>\d+):)? "
    r"(?P<kind>fatal error|error|warning|note|Fatal Error|Error|Warning):\s?(?P<msg>.*)$"
)
_OPTION = re.compile(r" \[(?P<opt>-W[\w=+-]+|-Werror=[\w+-]+|enabled by default)\]$")
_INCLUDED = re.compile(r"^(?:In file included|\s+) from (?P<file>.+?):(?P<line>\d+)(?::\d+)?[,:]$")
# GNU as: file.s:16: Error: unknown mnemonic `pause' -- `pause'
_AS_DIAG = re.compile(r"^(?P<file>[^:\n]+):(?P<line>\d+): (?P<kind>Error|Warning): (?P<msg>.*)$")
_QUOTED = re.compile(r"'([^']+)'")


@dataclass
class Diagnostic:
    file: str
    line: int
    col: int  # 1-based byte column, 0 when the compiler gave none
    kind: str  # error | warning | note
    message: str
    option: str = ""  # "-Wtype-limits", or "" for plain errors
    included_from: list[tuple[str, int]] = field(default_factory=list)
    fatal: bool = False
    assembler: bool = False
    function: str | None = None  # the function GCC said it was in ("In function 'f':")
    notes: list[tuple[str, int, int, str]] = field(default_factory=list)  # (file, line, col, text)

    def use_site(self) -> tuple[str, int, int] | None:
        """Where the macro whose expansion produced this diagnostic was used (outermost)."""
        sites = [(f, ln, c) for f, ln, c, text in self.notes if text.startswith("in expansion of macro")]
        return sites[-1] if sites else None

    @property
    def key(self) -> tuple:
        """What makes two compilers' diagnostics "the same" for the x86-64 comparison."""
        if self.kind == "warning" and self.option:
            return ("warning", self.file, self.line, self.option)
        return (self.kind, self.file, self.line, self.col, self.message)


_CONTEXT = re.compile(
    r"^(?P<file>[^\s:][^:]*?): (?:(?:In (?:static member |member )?function|In constructor|In destructor"
    r"|In lambda function|In instantiation of) '?(?P<func>[^']*)'?|At top level):$"
)


def parse_gcc(stderr: str) -> list[Diagnostic]:
    """Diagnostics of one GCC/gfortran run, in the compiler's order. `note:` lines attach to the
    diagnostic before them; the include chain and the enclosing function carry over from one
    diagnostic to the next as GCC only prints them when they change."""
    out: list[Diagnostic] = []
    chain: list[tuple[str, int]] | None = None
    last_chain: dict[str, list[tuple[str, int]]] = {}
    function: dict[str, str | None] = {}
    for raw in stderr.splitlines():
        line = raw.rstrip("\n")
        m = _INCLUDED.match(line)
        if m:
            if line.startswith("In file included") or chain is None:
                chain = []
            chain.append((m.group("file"), int(m.group("line"))))
            continue
        m = _CONTEXT.match(line)
        if m:
            function[m.group("file")] = m.group("func") or None
            continue
        m = _DIAG.match(line)
        if not m:
            continue
        kind = m.group("kind").lower()
        fatal = kind.startswith("fatal")
        kind = "error" if fatal else kind
        msg = m.group("msg").strip()
        file, ln, col = m.group("file"), int(m.group("line")), int(m.group("col") or 0)
        if kind == "note":
            if out:
                out[-1].notes.append((file, ln, col, msg))
            chain = None
            continue
        option = ""
        om = _OPTION.search(msg)
        if om:
            option = om.group("opt")
            msg = msg[: om.start()].rstrip()
            if option.startswith("-Werror="):
                option = "-W" + option[len("-Werror="):]
            if option == "enabled by default":
                option = ""
        if chain is not None:
            last_chain[file] = chain
        inc = chain if chain is not None else last_chain.get(file, [])
        out.append(Diagnostic(file, ln, col, kind, msg, option, list(inc), fatal, function=function.get(file)))
        chain = None
    return out


def parse_assembler(stderr: str, asm_text: str) -> list[Diagnostic]:
    """GNU as errors in a compiler-generated `.s`, mapped back to the C/C++ source through the
    `.file`/`.loc` directives that `-g` puts before each statement's code."""
    files: dict[str, str] = {}
    locs: list[tuple[str, int, int] | None] = [None]  # per .s line (1-based): last .loc in force
    current = None
    for text_line in asm_text.splitlines():
        s = text_line.strip()
        if s.startswith(".file"):
            fm = re.match(r'\.file\s+(\d+)\s+(?:"[^"]*"\s+)?"([^"]*)"', s)
            if fm:
                files[fm.group(1)] = fm.group(2)
        elif s.startswith(".loc"):
            lm = re.match(r"\.loc\s+(\d+)\s+(\d+)(?:\s+(\d+))?", s)
            if lm and lm.group(1) in files:
                current = (files[lm.group(1)], int(lm.group(2)), int(lm.group(3) or 0))
        locs.append(current)
    out = []
    for raw in stderr.splitlines():
        m = _AS_DIAG.match(raw.strip())
        if not m:
            continue
        n = int(m.group("line"))
        where = locs[n] if 0 < n < len(locs) else None
        if where is None:
            continue
        kind = "error" if m.group("kind") == "Error" else "warning"
        out.append(Diagnostic(where[0], where[1], where[2], kind, m.group("msg").strip(), assembler=True))
    return out


# -- mapping to rules ------------------------------------------------------------------------------

#: the behaviour warnings compiled for both targets; only those new on AArch64 are reported
BEHAVIOUR_WARNINGS = (
    "-Wtype-limits",
    "-Wchar-subscripts",
    "-Wsign-compare",
    "-Wsign-conversion",
    "-Woverflow",
    "-Wswitch-outside-range",
    "-Wattributes",
    "-Wpsabi",
)
#: options whose AArch64-only diagnostics matter only when they are about plain `char`
_CHAR_ONLY = frozenset({"-Wsign-compare", "-Wsign-conversion", "-Wconversion"})
_REPORTED_WARNINGS = frozenset(BEHAVIOUR_WARNINGS) | {"-Wcpp", "-Wimplicit-function-declaration", "-Wnarrowing"}

_CPU_DETECT = re.compile(
    r"^(?:__builtin_cpu_(?:supports|is|init)|__get_cpuid\w*|__cpuid\w*|_xgetbv|__xgetbv|_may_i_use_cpu_feature"
    r"|bit_[A-Z][A-Z0-9_]*|signature_[A-Z]\w*)$"
)
_TSC = re.compile(r"^(?:__rdtscp?|_rdtscp?|__builtin_ia32_rdtscp?|__readcyclecounter)$")
_PAUSE = re.compile(r"^(?:_mm_pause|__builtin_ia32_pause|__pause|_mm_tpause|_tpause)$")
_FPENV = re.compile(
    r"^(?:_mm_[gs]etcsr|_MM_(?:SET|GET)_\w+|_MM_(?:FLUSH_ZERO|DENORMALS_ZERO|ROUND|EXCEPT|MASK)_\w+|__builtin_ia32_[ls]dmxcsr)$"
)
_VECTOR_TYPE = re.compile(r"^(?:__m(?:64|128|256|512)[a-z]*(?:_u)?|__mmask\d+|__v\d+[a-z]+\d*)$")
_INTRINSIC_SHAPE = re.compile(r"^(?:_mm\d*_\w+|_MM_\w+|_m_\w+|_mm_malloc|_mm_free)$")
_SYSCALL = re.compile(r"^(?:SYS_\w+|__NR_\w+)$")
_UCONTEXT = re.compile(r"^(?:REG_[RE]?(?:IP|SP|AX|BX|CX|DX|SI|DI|BP|FL)|REG_R(?:8|9|1[0-5])|REG_(?:EFL|CSGSFS|ERR|TRAPNO|OLDMASK|CR2)|gregs|fpregs)$")
_PORT_IO = re.compile(r"^(?:ioperm|iopl|(?:in|out)[bwl](?:_p)?|(?:in|out)s[bwl])$")


@lru_cache(maxsize=1)
def _intrinsic_names() -> frozenset[str]:
    try:
        data = json.loads(resources.files("archport.rules._tables").joinpath("x86_intrinsics.json").read_text())
    except (OSError, ValueError):
        return frozenset()
    return frozenset(data)


def _identifier(msg: str) -> str:
    for q in _QUOTED.findall(msg):
        q = q.strip()
        if re.fullmatch(r"[A-Za-z_]\w*", q):
            return q
    return ""


def classify(d: Diagnostic) -> tuple[str, dict]:
    """(rule code, properties) of an AArch64-only diagnostic."""
    msg = d.message
    props: dict = {}
    hm = re.match(r"^(\S+): No such file or directory$", msg)
    if d.fatal and hm:
        header = hm.group(1)
        props["header"] = header
        if header in ("sys/io.h", "sys/perm.h"):
            return "CC503", props
        if header in ("quadmath.h", "quadmath_weak.h"):
            return "CC202", props
        if is_x86_header(header):
            return "CC403", props
        return "AP101", props
    if msg.startswith("#error"):
        return "CC602", props
    if msg.startswith("static assertion failed") or "static_assert" in msg:
        return "CC602", props
    if d.assembler:
        return "CC404", props
    if not msg.startswith("expected") and ("'asm'" in msg or "asm operand" in msg or "asm-specifier" in msg):
        return "CC404", props
    if re.search(r"(?:pragma or )?attribute '?target(?:_clones)?\(", msg) or "target_clones" in msg:
        return "CC409", props
    if "has no member named 'gregs'" in msg or "has no member named 'fpregs'" in msg:
        props["identifier"] = "gregs" if "gregs" in msg else "fpregs"
        return "CC502", props
    ident = _identifier(msg)
    if ident:
        props["identifier"] = ident
        if _PAUSE.match(ident):
            return "CC408", props
        if _TSC.match(ident):
            return "CC407", props
        if _CPU_DETECT.match(ident):
            return "CC406", props
        if _FPENV.match(ident):
            return "CC201", props
        if ident.startswith("__builtin_ia32_"):
            return "CC405", props
        if _VECTOR_TYPE.match(ident):
            return "CC402", props
        if _INTRINSIC_SHAPE.match(ident) or ident in _intrinsic_names():
            return "CC401", props
        if _SYSCALL.match(ident):
            return "CC501", props
        if _UCONTEXT.match(ident):
            return "CC502", props
        if _PORT_IO.match(ident) and ("implicit declaration" in msg or "not declared" in msg):
            return "CC503", props
        if ident in ("__float128", "__float80", "__ibm128") or (
            ident in _QUADMATH_FUNCS and "implicit declaration" in msg
        ):
            return "CC202", props
    if d.kind == "warning" and d.option in BEHAVIOUR_WARNINGS + ("-Wcpp", "-Wnarrowing"):
        return "AP102", props
    return "AP101", props


_QUADMATH_FUNCS = frozenset(
    "acosq acoshq asinq asinhq atanq atanhq atan2q cbrtq ceilq copysignq coshq cosq erfq erfcq expq expm1q fabsq "
    "fdimq finiteq floorq fmaq fmaxq fminq fmodq frexpq hypotq isinfq isnanq ilogbq j0q j1q jnq ldexpq lgammaq "
    "llrintq llroundq logbq logq log10q log2q log1pq lrintq lroundq modfq nanq nearbyintq nextafterq powq "
    "remainderq remquoq rintq roundq scalblnq scalbnq signbitq sincosq sinhq sinq sqrtq tanq tanhq tgammaq "
    "truncq y0q y1q ynq cabsq cargq cimagq crealq cacosq csqrtq cexpq clogq conjq cpowq".split()
)


def reportable(d: Diagnostic) -> bool:
    """Whether an AArch64-only diagnostic is worth a finding (errors always; warnings only
    those that expose an AArch64 behaviour change or a missing declaration)."""
    if d.kind == "error":
        return True
    if d.kind != "warning":
        return False
    if d.option not in _REPORTED_WARNINGS:
        return False
    if d.option in _CHAR_ONLY and "'char'" not in d.message:
        return False
    return True
