"""Which code an AArch64 build compiles: the `#if`/`#ifdef`/`#elif`/`#else` chains of a file,
evaluated under the AArch64 GCC predefined macros, and, for comparison, under an x86-64 GCC
with every ISA extension on.

Evaluation follows the compiler: an identifier that no table and no earlier `#define` in the
file defines is undefined (0), as in a build with no -D flags; `--define` adds build defines.
What cannot be decided (function-like macros, `__has_attribute`, a `#define` inside an
undecided branch) is UNKNOWN, and code there is treated as possibly compiled.
"""

from __future__ import annotations

import bisect
import enum
import functools
import json
import re
from dataclasses import dataclass, field
from importlib import resources

from archport.knowledge import is_arm_header, is_x86_header


class State(enum.IntEnum):
    INACTIVE = 0
    UNKNOWN = 1
    ACTIVE = 2


_DIRECTIVE = re.compile(r"^[ \t]*#[ \t]*([a-z_]+)\b((?:[^\n\\]|\\.|\\\n)*)", re.M)
_CONDITIONAL = frozenset({"if", "ifdef", "ifndef", "elif", "elifdef", "elifndef", "else", "endif"})
_DEFINE = re.compile(r"\s*([A-Za-z_]\w*)(\()?\s*(.*)", re.S)

UNKNOWN_VALUE = object()  # a macro whose definition we could not decide
FUNCTION_MACRO = object()  # a function-like macro (not evaluated)


@dataclass(frozen=True)
class Environment:
    """Predefined macros of one compiler target."""

    name: str
    macros: dict[str, object]
    arch_family: str  # "aarch64" or "x86"

    def with_defines(self, defines: dict[str, str]) -> Environment:
        return Environment(self.name, {**self.macros, **defines}, self.arch_family)


# glibc's <endian.h> macros, which nearly every file gets through <sys/types.h> or <stdlib.h>;
# the same on both little-endian targets, so they never make a branch architecture-specific
LIBC_MACROS = {
    "__LITTLE_ENDIAN": "1234",
    "__BIG_ENDIAN": "4321",
    "__PDP_ENDIAN": "3412",
    "__BYTE_ORDER": "__LITTLE_ENDIAN",
    "__FLOAT_WORD_ORDER": "__BYTE_ORDER",
    "LITTLE_ENDIAN": "__LITTLE_ENDIAN",
    "BIG_ENDIAN": "__BIG_ENDIAN",
    "PDP_ENDIAN": "__PDP_ENDIAN",
    "BYTE_ORDER": "__BYTE_ORDER",
    "__GLIBC__": "2",
}


@functools.lru_cache(maxsize=None)
def load_environment(arch: str, cplusplus: bool) -> Environment:
    data = json.loads(resources.files("archport.data").joinpath(f"predefined-{arch}.json").read_text())
    macros: dict[str, object] = {**LIBC_MACROS, **data["c"]}
    if cplusplus:
        macros.update(data["cxx_only"])
        macros.pop("__STDC_VERSION__", None)
    family = "aarch64" if arch == "aarch64" else "x86"
    return Environment(arch, macros, family)


_ARM_MACRO = re.compile(r"arm|aarch64", re.I)


@functools.lru_cache(maxsize=None)
def generic_environment(cplusplus: bool) -> Environment:
    """A 64-bit little-endian GCC target that is neither x86 nor Arm (the AArch64 table without
    its Arm macros): a branch that AArch64 takes but this target does not was written for Arm."""
    arm = load_environment("aarch64", cplusplus)
    macros = {k: v for k, v in arm.macros.items() if not _ARM_MACRO.search(k)}
    return Environment("generic", macros, "other")


@dataclass
class Directive:
    kind: str
    start: int  # offset of the '#' line's start
    end: int  # offset just past the logical line (before its newline)
    arg: str  # the text after the keyword, comments removed, continuations joined
    line: int = 0


@dataclass
class Branch:
    directive: int  # index into directives
    body_start: int
    body_end: int = -1
    states: dict[str, State] = field(default_factory=dict)  # env -> whether the body is compiled
    arch_decided: bool = False  # some condition of the chain up to here names the architecture


@dataclass
class Chain:
    branches: list[Branch]
    parent: Branch | None
    endif: int = -1  # directive index of #endif, -1 when missing


def scan_directives(masked: str, raw: str) -> list[Directive]:
    out = []
    for m in _DIRECTIVE.finditer(masked):
        kind = m.group(1)
        # conditions need string contents (for __has_include), so take the raw text, with
        # comments blanked by taking the masked text wherever it differs by being blank
        arg_span = m.span(2)
        arg = _unmask_strings(masked[arg_span[0] : arg_span[1]], raw[arg_span[0] : arg_span[1]])
        out.append(Directive(kind, m.start(), m.end(), arg.replace("\\\n", " ")))
    return out


def _unmask_strings(masked: str, raw: str) -> str:
    if masked == raw or '"' not in masked:
        return masked
    # restore the insides of "..." (masked keeps the quotes), keep comments blank
    out = list(masked)
    i = 0
    while i < len(masked):
        if masked[i] == '"':
            j = masked.find('"', i + 1)
            if j == -1:
                break
            out[i : j + 1] = raw[i : j + 1]
            i = j + 1
        else:
            i += 1
    return "".join(out)


class Conditionals:
    """The conditional structure of one file and its evaluation under several targets."""

    def __init__(self, directives: list[Directive], envs: list[Environment]):
        self.directives = directives
        self.envs = {env.name: env for env in envs}
        self.chains: list[Chain] = []
        self.branch_of_directive: dict[int, Branch] = {}
        self._build()
        # each target is evaluated when first asked about: most files only need AArch64
        self._points: dict[str, tuple[list[int], list[State]]] = {}
        self._defines: dict[str, dict[str, object]] = {}
        self._dead_from: dict[str, int] | None = None
        self._errors: list[tuple[Directive, dict[str, State]]] | None = None

    def ensure(self, *env_names: str) -> None:
        """Evaluate these targets now (branch `states` are filled in per evaluated target)."""
        for name in env_names or tuple(self.envs):
            if name not in self._points:
                self._evaluate(self.envs[name])

    @property
    def defines(self) -> dict[str, dict[str, object]]:
        """Per target, the macros known at the end of the file."""
        self.ensure()
        return self._defines

    @property
    def errors(self) -> list[tuple[Directive, dict[str, State]]]:
        """Each #error with its state per target."""
        if self._errors is None:
            self.ensure()
            self._errors = [
                (d, {name: self._state(name, d.start) for name in self.envs}) for d in self.directives if d.kind == "error"
            ]
        return self._errors

    @property
    def dead_from(self) -> dict[str, int]:
        """Per AArch64 target, the offset after an #error that it reaches and no x86 target
        does: compilation has failed there, so nothing after it is compiled or reported."""
        if self._dead_from is None:
            self._dead_from = {}
            arm = [n for n, e in self.envs.items() if e.arch_family == "aarch64"]
            x86 = [n for n, e in self.envs.items() if e.arch_family == "x86"]
            for d in self.directives:
                if d.kind != "error":
                    continue
                for name in arm:
                    if name in self._dead_from:
                        continue
                    self.ensure(name)
                    if self._state(name, d.start) is not State.ACTIVE:
                        continue
                    self.ensure(*x86)
                    if all(self._state(o, d.start) is State.INACTIVE for o in x86):
                        self._dead_from[name] = d.end
        return self._dead_from

    # -- structure -----------------------------------------------------------------------------

    def _build(self) -> None:
        stack: list[Chain] = []
        current: Branch | None = None
        for i, d in enumerate(self.directives):
            if d.kind not in _CONDITIONAL:
                continue
            if d.kind in ("if", "ifdef", "ifndef"):
                branch = Branch(i, d.end)
                chain = Chain([branch], current)
                self.chains.append(chain)
                stack.append(chain)
                current = branch
                self.branch_of_directive[i] = branch
            elif not stack:
                continue  # stray #elif/#else/#endif: tolerate
            elif d.kind == "endif":
                chain = stack.pop()
                chain.branches[-1].body_end = d.start
                chain.endif = i
                current = chain.parent
            else:
                chain = stack[-1]
                chain.branches[-1].body_end = d.start
                branch = Branch(i, d.end)
                chain.branches.append(branch)
                current = branch
                self.branch_of_directive[i] = branch
        end = self.directives[-1].end if self.directives else 0
        for chain in stack:  # unterminated chains run to end of file
            chain.branches[-1].body_end = max(end, chain.branches[-1].body_start)

    # -- evaluation ----------------------------------------------------------------------------

    def _evaluate(self, env: Environment) -> None:
        """Walk the directives once under `env`.

        Only the architecture is trusted to switch code off: a chain whose conditions so far
        name no architecture (`#ifdef MYLIB_IMPLEMENTATION`, `#ifndef FOO_H`) is a project
        switch that some build turns on, so its branches count as compiled. Chains that do
        name one (directly, or through a macro defined under such a chain) are evaluated as
        the compiler would with no -D flags.
        """
        macros: dict[str, object] = dict(env.macros)
        tainted: set[str] = set()  # in-file macros whose definition depended on the architecture
        offsets: list[int] = [0]
        states: list[State] = [State.ACTIVE]
        # per open chain: [parent state, taken so far, arch decided so far, parent arch context]
        stack: list[list] = []
        state = State.ACTIVE
        in_arch_context = False
        for i, d in enumerate(self.directives):
            kind = d.kind
            if kind in _CONDITIONAL and kind != "endif":
                if kind in ("if", "ifdef", "ifndef"):
                    stack.append([state, State.INACTIVE, False, in_arch_context])
                elif not stack:
                    continue
                frame = stack[-1]
                parent, taken, arch, outer_arch = frame
                if kind == "else":
                    cond = State.ACTIVE
                else:
                    op = kind[2:] if kind.startswith("el") else kind
                    cond = self._condition(op, d.arg, macros, env)
                    arch = arch or self._arch_dependent(d.arg, tainted)
                own = _and(_not(taken), cond)
                frame[1] = _or(taken, cond)
                frame[2] = arch
                if not arch:  # a project switch: some build compiles this branch
                    own = State.UNKNOWN if cond is State.UNKNOWN else State.ACTIVE
                state = _and(parent, own)
                in_arch_context = outer_arch or arch
                branch = self.branch_of_directive[i]
                branch.states[env.name] = state
                branch.arch_decided = branch.arch_decided or arch
            elif kind == "endif":
                if not stack:
                    continue
                state, _, _, in_arch_context = stack.pop()
            elif kind == "define":
                m = _DEFINE.match(d.arg)
                if not m:
                    continue
                name, paren, value = m.groups()
                # a macro defined under an architecture test is architecture-dependent even
                # where this target skips the definition (`#ifdef lzf_movsb` is an x86 test)
                if in_arch_context or (not paren and self._arch_dependent(value, tainted)):
                    tainted.add(name)
                if state is State.UNKNOWN:
                    macros[name] = UNKNOWN_VALUE
                elif state is State.ACTIVE:
                    macros[name] = FUNCTION_MACRO if paren else value.strip()
                continue
            elif kind == "undef":
                name = d.arg.strip()
                if state is State.ACTIVE:
                    macros.pop(name, None)
                elif state is State.UNKNOWN:
                    macros[name] = UNKNOWN_VALUE
                continue
            else:
                continue
            offsets.append(d.end)
            states.append(state)
        self._points[env.name] = (offsets, states)
        self._defines[env.name] = macros

    @staticmethod
    def _arch_dependent(text: str, tainted: set[str]) -> bool:
        names_arch, idents = _vocabulary_scan(text)
        return names_arch or (bool(tainted) and not tainted.isdisjoint(idents))

    def _condition(self, kind: str, arg: str, macros: dict, env: Environment) -> State:
        if kind in ("ifdef", "ifndef", "def", "ndef"):
            name = arg.split()[0] if arg.split() else ""
            value = macros.get(name)
            if value is UNKNOWN_VALUE:
                return State.UNKNOWN
            defined = name in macros
            return State.ACTIVE if defined == (kind in ("ifdef", "def")) else State.INACTIVE
        result = evaluate(arg, macros, env)
        if result is None:
            return State.UNKNOWN
        return State.ACTIVE if result else State.INACTIVE

    # -- queries -------------------------------------------------------------------------------

    def _state(self, env_name: str, offset: int) -> State:
        self.ensure(env_name)
        offsets, states = self._points[env_name]
        return states[bisect.bisect_right(offsets, offset) - 1]

    def state_at(self, env_name: str, offset: int) -> State:
        """Whether a build for this target compiles the offset: INACTIVE only when the
        architecture decides it, or after an #error that this target alone reaches."""
        dead = self.dead_from.get(env_name)
        if dead is not None and offset >= dead:
            return State.INACTIVE
        return self._state(env_name, offset)

    def enclosing_branches(self, offset: int) -> list[Branch]:
        """Conditional branches containing offset, outermost first."""
        out = [b for chain in self.chains for b in chain.branches if b.body_start <= offset < b.body_end]
        out.sort(key=lambda b: b.body_start)
        return out


_IDENT = re.compile(r"[A-Za-z_]\w*")


@functools.lru_cache(maxsize=16384)
def _vocabulary_scan(text: str) -> tuple[bool, frozenset[str]]:
    """(does the text name an architecture, compiler or OS; its identifiers)."""
    idents = frozenset(_IDENT.findall(text))
    if any(is_x86_header(m.group(1)) or is_arm_header(m.group(1)) for m in _HAS_INCLUDE.finditer(text)):
        return True, idents
    if "__builtin_ia32_" in text or "__builtin_aarch64_" in text:
        return True, idents
    vocabulary = arch_vocabulary()
    return any(i in vocabulary or _ARCH_WORD.search(i) for i in idents), idents
# words that name an architecture or an ISA extension inside macro names (X86_AVX2, HAVE_NEON)
_ARCH_WORD = re.compile(
    r"(?:^|_)(?:X86|X64|X86_64|AMD64|I[3-6]86|IX86|IA32|IA64|MMX|SSE\d*|SSSE3|AVX\w*|BMI\d?|PCLMUL\w*"
    r"|VPCLMUL\w*|AESNI|SHANI|F16C|XOP|FMA4|K8|POPCNT|LZCNT|TZCNT|RDRAND|RDSEED|RDTSC|CPUID|ARM|ARM64|AARCH64|NEON|SVE\d?|ACLE|PPC\w*|POWERPC\w*"
    r"|POWER\d+\w*|VSX|ALTIVEC|S390X?|ZARCH|RISCV|RVV|MIPS\w*|LOONGARCH\w*|LSX|LASX|SPARC\w*|WASM\w*"
    r"|E2K|HPPA|M68K|IA64)(?:_|$|\d)",
    re.I,
)


# Compilers and operating systems other than GCC/Clang on Linux: the target is decided by them
# as surely as by the architecture (archport ports Linux servers), so their branches are off.
_OTHER_TARGETS = frozenset(
    "_MSC_VER _MSC_FULL_VER _WIN32 _WIN64 WIN32 _WINDOWS __MINGW32__ __MINGW64__ __CYGWIN__ __APPLE__"
    " __MACH__ __INTEL_COMPILER __ICC __ICL __INTEL_LLVM_COMPILER __SUNPRO_C __SUNPRO_CC __IBMC__"
    " __IBMCPP__ __xlC__ __xlc__ __FreeBSD__ __OpenBSD__ __NetBSD__ __DragonFly__ __sun _AIX __HAIKU__"
    " __EMSCRIPTEN__ __wasm__ __wasm32__ __wasm64__ __CC_ARM __TI_COMPILER_VERSION__".split()
)


@functools.lru_cache(maxsize=1)
def arch_vocabulary() -> frozenset[str]:
    """Macros that decide the target: predefined macros whose presence or value differs between
    the AArch64 and x86-64 tables, plus other compilers' and operating systems' macros."""
    arm = load_environment("aarch64", False).macros
    x86 = load_environment("x86_64", False).macros
    return frozenset(k for k in set(arm) | set(x86) if arm.get(k) != x86.get(k)) | _OTHER_TARGETS


def _and(a: State, b: State) -> State:
    return State(min(a, b))


def _or(a: State, b: State) -> State:
    return State(max(a, b))


def _not(a: State) -> State:
    return State(2 - a)


# -- #if expression evaluation -----------------------------------------------------------------

_TOKEN = re.compile(
    r"\s*(?:(?P<num>(?:0[xX][0-9a-fA-F]+|0[bB][01]+|\d+)[uUlL]*)"
    r"|(?P<chr>'(?:\\.|[^'\\])*')"
    r"|(?P<id>[A-Za-z_]\w*)"
    r"|(?P<op>&&|\|\||==|!=|<=|>=|<<|>>|[-+*/%<>!~&|^?:(),])"
    r"|(?P<other>\S))"
)


_HAS_INCLUDE = re.compile(r"__has_include(?:_next)?\s*\(\s*([<\"][^>\"\n]*[>\"])\s*\)")


def _has_include(header: str, env: Environment) -> str:
    if is_x86_header(header):
        return "1" if env.arch_family == "x86" else "0"
    if is_arm_header(header):
        return "1" if env.arch_family == "aarch64" else "0"
    return "__archport_undecidable__()"


class _Unparseable(Exception):
    pass


def evaluate(text: str, macros: dict, env: Environment, _hide: frozenset = frozenset()) -> int | None:
    """Value of a `#if` expression, or None when it cannot be decided."""
    try:
        text = _HAS_INCLUDE.sub(lambda m: _has_include(m.group(1), env), text)
        tokens = _tokenize(text)
        parser = _Parser(tokens, macros, env, _hide)
        value = parser.ternary()
        if parser.pos != len(tokens):
            return None
        return value
    except (_Unparseable, RecursionError):
        return None


@functools.lru_cache(maxsize=8192)
def _tokenize(text: str) -> tuple[tuple[str, str], ...]:
    tokens = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            if text[pos:].strip() == "":
                break
            raise _Unparseable(text[pos:])
        kind = m.lastgroup
        tokens.append((kind, m.group(kind)))
        pos = m.end()
    return tuple(tokens)


_BINARY = [
    ("||",),
    ("&&",),
    ("|",),
    ("^",),
    ("&",),
    ("==", "!="),
    ("<", ">", "<=", ">="),
    ("<<", ">>"),
    ("+", "-"),
    ("*", "/", "%"),
]


class _Parser:
    def __init__(self, tokens, macros, env, hide):
        self.tokens = tokens
        self.pos = 0
        self.macros = macros
        self.env = env
        self.hide = hide

    def peek(self) -> str | None:
        return self.tokens[self.pos][1] if self.pos < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        if self.pos >= len(self.tokens):
            raise _Unparseable("unexpected end")
        tok = self.tokens[self.pos]
        self.pos += 1
        return tok

    def expect(self, op: str) -> None:
        if self.take()[1] != op:
            raise _Unparseable(op)

    def ternary(self) -> int | None:
        cond = self.binary(0)
        if self.peek() == "?":
            self.take()
            a = self.ternary()
            self.expect(":")
            b = self.ternary()
            if cond is None:
                return a if a == b and a is not None else None
            return a if cond else b
        return cond

    def binary(self, level: int) -> int | None:
        if level == len(_BINARY):
            return self.unary()
        left = self.binary(level + 1)
        while self.peek() in _BINARY[level] and self.tokens[self.pos][0] == "op":
            op = self.take()[1]
            right = self.binary(level + 1)
            left = _apply(op, left, right)
        return left

    def unary(self) -> int | None:
        tok = self.peek()
        if tok in ("!", "-", "+", "~") and self.tokens[self.pos][0] == "op":
            self.take()
            v = self.unary()
            if v is None:
                return None
            return {"!": int(not v), "-": -v, "+": v, "~": ~v}[tok]
        return self.primary()

    def primary(self) -> int | None:
        kind, tok = self.take()
        if kind == "num":
            digits = tok.rstrip("uUlL")
            if digits[:2] in ("0x", "0X"):
                return int(digits, 16)
            if digits[:2] in ("0b", "0B"):
                return int(digits[2:], 2)
            if len(digits) > 1 and digits.startswith("0"):
                return int(digits, 8)
            return int(digits)
        if kind == "chr":
            return None
        if tok == "(":
            v = self.ternary()
            self.expect(")")
            return v
        if kind != "id":
            raise _Unparseable(tok)
        if tok == "defined":
            if self.peek() == "(":
                self.take()
                name = self.take()[1]
                self.expect(")")
            else:
                name = self.take()[1]
            value = self.macros.get(name)
            if value is UNKNOWN_VALUE:
                return None
            return int(name in self.macros)
        if tok in ("__has_builtin",):
            arg = self._call_args()
            if arg.startswith("__builtin_ia32_"):
                return int(self.env.arch_family == "x86")
            if arg.startswith("__builtin_aarch64_") or arg.startswith("__builtin_arm_"):
                return int(self.env.arch_family == "aarch64")
            return None
        if tok in ("true", "false") and "__cplusplus" in self.macros:
            return int(tok == "true")
        value = self.macros.get(tok, None)
        if self.peek() == "(" and (value is FUNCTION_MACRO or tok not in self.macros):
            self._call_args()
            return None  # a function-like macro or an unknown operator: undecidable
        if tok not in self.macros:
            return 0
        if value is UNKNOWN_VALUE or value is FUNCTION_MACRO or tok in self.hide:
            return None
        if not isinstance(value, str) or not value.strip():
            return None
        return evaluate(value, self.macros, self.env, self.hide | {tok})

    def _call_args(self) -> str:
        self.expect("(")
        depth = 1
        parts = []
        while depth:
            kind, tok = self.take()
            if tok == "(":
                depth += 1
            elif tok == ")":
                depth -= 1
                if not depth:
                    break
            parts.append(tok)
        return "".join(parts)


def _apply(op: str, a: int | None, b: int | None) -> int | None:
    if op == "&&":
        if a == 0 or b == 0:
            return 0
        return None if a is None or b is None else 1
    if op == "||":
        if (a is not None and a != 0) or (b is not None and b != 0):
            return 1
        return None if a is None or b is None else 0
    if a is None or b is None:
        return None
    if op in ("/", "%") and b == 0:
        return None
    return {
        "|": lambda: a | b,
        "^": lambda: a ^ b,
        "&": lambda: a & b,
        "==": lambda: int(a == b),
        "!=": lambda: int(a != b),
        "<": lambda: int(a < b),
        ">": lambda: int(a > b),
        "<=": lambda: int(a <= b),
        ">=": lambda: int(a >= b),
        "<<": lambda: a << b if 0 <= b < 256 else None,
        ">>": lambda: a >> b if 0 <= b < 256 else None,
        "+": lambda: a + b,
        "-": lambda: a - b,
        "*": lambda: a * b,
        "/": lambda: int(a / b),
        "%": lambda: a - int(a / b) * b,
    }[op]()
