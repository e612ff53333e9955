from __future__ import annotations

import re

from archport.context import ARM_ENV, X86_ENV
from archport.model import Confidence, Impact, Severity
from archport.preprocessor import State
from archport.rule import Rule
from archport.rules.c_cpp._guards import guard_text

_X86_TEST = re.compile(
    r"\b(?:__i[3-6]86__|__x86_64__|__x86_64|__amd64__|__amd64|_M_IX86|_M_X64|_M_AMD64|i386|__i386|_X86_|__X86__"
    r"|__INTEL__|__THW_INTEL__)\b"
)
_ENDIAN_CONSTANT = re.compile(r"^_*(?:BIG|LITTLE|PDP)_ENDIAN_*$")
_SWAP_CALL = re.compile(r"(?i)\b\w*(?:bswap|byteswap|byte_swap|swap_?(?:16|32|64)|swab(?:16|32|64)?)\w*\s*\(")
_LE_NAME = re.compile(r"(?:^|_)(?:le|LE|Le)(?:\d|_|$|to|TO|To)|(?i:little)|(?:to|TO|To)_?(?:le|LE|Le)(?:\d|_|$)|h?tole|letoh")


def _define_kind(name: str, value: str) -> str | None:
    """'big' or 'little' when a #define states the byte order, else None."""
    upper = name.upper()
    if _ENDIAN_CONSTANT.match(upper):
        return None  # the constants themselves: #define BIG_ENDIAN 4321
    v = value.strip().strip("()").strip()
    truthy = v in ("", "1", "true", "TRUE") or re.fullmatch(r"[1-9]\d*[uUlL]*", v) is not None
    falsy = v in ("0", "false", "FALSE")
    if re.search(r"BIG_?ENDIAN|BIGENDIAN|(?:^|_)BE(?:_|$)", upper) and "LITTLE" not in upper:
        if truthy:
            return "big"
        if falsy:
            return "little"
    if re.search(r"LITTLE_?ENDIAN|LITTLEENDIAN|(?:^|_)LE(?:_|$)", upper):
        if truthy:
            return "little"
        if falsy:
            return "big"
    if re.search(r"BYTE_?ORDER|ENDIAN(?:NESS)?$", upper):
        if re.search(r"BIG|4321", v.upper()):
            return "big"
        if re.search(r"LITTLE|1234", v.upper()):
            return "little"
    if _LE_NAME.search(name) and _SWAP_CALL.search(value + "("):
        return "big"  # little-endian conversion defined as a byte swap
    return None


class EndiannessFromArchMacro(Rule):
    """Byte order decided by testing for x86, so AArch64 is taken for big-endian.

    ## What it does
    Checks for `#if`/`#elif` chains that test x86 architecture macros (`__i386__`,
    `__x86_64__`, `_M_X64` …) where the branch an x86-64 build takes declares the host
    little-endian, and the branch an AArch64 build takes (usually the `#else`) declares it
    big-endian: `#define HOST_BIG_ENDIAN 1`, `#define IS_LITTLE_ENDIAN 0`,
    `#define BYTE_ORDER BIG_ENDIAN`, a little-endian conversion macro defined as a byte swap, or
    code that calls a byte-swap function only in that branch. The chains are evaluated under the
    AArch64 and x86-64 GCC predefined macros.

    ## Why is this a problem on ARM64?
    AArch64 Linux is little-endian, exactly like x86-64 (GCC defines `__AARCH64EL__` and
    `__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__`). Code that equates "not x86" with "big-endian"
    byte-swaps every value it reads or writes on AArch64: files, network messages and hashes
    come out byte-reversed, without any compiler diagnostic.

    ## Example
    ```c
    #if defined(__i386__) || defined(__x86_64__)
    #define HOST_LITTLE_ENDIAN 1
    #else
    #define HOST_BIG_ENDIAN 1
    #endif
    ```

    Use instead:
    ```c
    #if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    #define HOST_LITTLE_ENDIAN 1
    #elif defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    #define HOST_BIG_ENDIAN 1
    #else
    #error "unknown byte order"
    #endif
    ```

    ## Limitations
    Only chains whose conditions name x86 are examined, and only what their branches define or
    call directly: a macro set in the `#else` and tested much later in another file is reported
    at its definition, not at the later use. Chains that send AArch64 to an `#error` are CC602's.
    Byte-swap calls are recognised by name (`bswap`, `byteswap`, `swap32` …).

    ## References
    - GCC common predefined macros (`__BYTE_ORDER__`): https://gcc.gnu.org/onlinedocs/cpp/Common-Predefined-Macros.html
    - c4core issue 39 (endianness not detected on aarch64): https://github.com/biojppm/c4core/issues/39
    - casacore pull request 268 (ARM mis-detected as big-endian): https://github.com/casacore/casacore/pull/268
    """

    code = "CC115"
    name = "endianness-from-arch-macro"
    summary = "Byte order decided by testing for x86, so AArch64 is taken for big-endian"
    languages = frozenset({"c", "cpp"})
    severity = Severity.WARNING
    impact = Impact.SILENT_BEHAVIOUR_CHANGE
    confidence = Confidence.MEDIUM
    tags = ("endianness", "preprocessor")
    effort_minutes = 20
    prefilter = (b"__x86_64__", b"__i386__", b"__i686__", b"__i586__", b"__i486__", b"__amd64", b"_M_X64",
                 b"_M_IX86", b"_M_AMD64", b"i386", b"__x86_64")

    def check_file(self, ctx):
        if not re.search(r"(?i)endian|swap|byte_?order", ctx.masked):
            return
        cond = ctx.conditionals
        if cond is None:
            return
        cond.ensure(ARM_ENV, X86_ENV)
        for chain in cond.chains:
            args = [cond.directives[b.directive].arg for b in chain.branches]
            if not any(_X86_TEST.search(a) for a in args):
                continue
            arm = [b for b in chain.branches if b.states.get(ARM_ENV) is State.ACTIVE]
            x86 = [b for b in chain.branches if b.states.get(X86_ENV) is State.ACTIVE]
            if len(arm) != 1 or len(x86) != 1 or arm[0] is x86[0]:
                continue
            if ctx.arm_state(arm[0].body_start) is not State.ACTIVE:
                continue
            x86_facts = _facts(ctx, cond, x86[0], X86_ENV)
            if "little" not in x86_facts["kinds"] and not x86_facts["no_swap_code"]:
                continue
            arm_facts = _facts(ctx, cond, arm[0], ARM_ENV)
            guard = guard_text(cond, chain)
            for start, end, what in arm_facts["big"]:
                if what == "swap-call" and not x86_facts["no_swap_code"]:
                    continue  # x86 swaps too (or has no code to compare with)
                if what != "swap-call" and "little" not in x86_facts["kinds"]:
                    continue
                shown = " ".join(ctx.masked[start:end].split())
                detail = ("byte-swaps only in the branch AArch64 takes" if what == "swap-call"
                          else "treats the host as big-endian")
                yield ctx.finding(
                    self, start, end,
                    f"`{shown}` is what AArch64 gets from `{guard}`, which decides byte order by testing for x86: "
                    f"this {detail}, but AArch64 Linux is little-endian like x86-64, so data comes out byte-reversed",
                    "decide by the byte order itself: `#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__` (GCC/Clang), "
                    "<endian.h>, or C++20 std::endian",
                    properties={"guard": guard, "case": what},
                )
                break


def _facts(ctx, cond, branch, env):
    """What a branch says about byte order, in the directives and code that `env` compiles."""
    state = ctx.arm_state if env == ARM_ENV else ctx.x86_state
    kinds: set[str] = set()
    big: list[tuple[int, int, str]] = []
    for d in cond.directives:
        if not (branch.body_start <= d.start < branch.body_end) or d.kind != "define":
            continue
        if state(d.start) is not State.ACTIVE:
            continue
        m = re.match(r"\s*([A-Za-z_]\w*)(\([^)]*\))?\s*(.*)", d.arg, re.S)
        if not m:
            continue
        kind = _define_kind(m.group(1), m.group(3))
        if kind:
            kinds.add(kind)
            if kind == "big":
                text = ctx.masked[d.start : d.end]
                start = d.start + len(text) - len(text.lstrip())
                big.append((start, d.start + len(text.rstrip()), "define"))
    # code (not directives) in the branch that byte-swaps
    code = _code_spans(cond, branch)
    swap_code = False
    for lo, hi in code:
        for m in _SWAP_CALL.finditer(ctx.masked, lo, hi):
            if state(m.start()) is State.ACTIVE:
                swap_code = True
                big.append((m.start(), m.end() - 1, "swap-call"))
                break
    has_code = any(ctx.masked[lo:hi].strip() for lo, hi in code)
    return {"kinds": kinds, "big": big, "swap_code": swap_code, "no_swap_code": has_code and not swap_code}


def _code_spans(cond, branch):
    """The branch body without its directive lines."""
    spans = []
    pos = branch.body_start
    for d in cond.directives:
        if d.start < branch.body_start or d.start >= branch.body_end:
            continue
        if d.start > pos:
            spans.append((pos, d.start))
        pos = max(pos, d.end)
    if pos < branch.body_end:
        spans.append((pos, branch.body_end))
    return spans
