from __future__ import annotations

import re

from archport.model import Confidence, Impact, Severity
from archport.rule import Rule
from archport.rules.c_cpp._enclosing import guarded

#: x86-64 and i386 `gregs[]` indices (glibc <sys/ucontext.h>) -> the AArch64 mcontext_t field
_REGISTERS = {
    "RIP": "pc", "EIP": "pc",
    "RSP": "sp", "ESP": "sp", "UESP": "sp",
    "RBP": "regs[29]", "EBP": "regs[29]",
    "RAX": None, "EAX": None, "RDI": None, "RSI": None, "RDX": None, "RCX": None,
    "RBX": None, "EBX": None, "ECX": None, "EDX": None, "EDI": None, "ESI": None,
    "R8": None, "R9": None, "R10": None, "R11": None, "R12": None, "R13": None, "R14": None, "R15": None,
    "EFL": "pstate", "ERR": None, "TRAPNO": None, "CR2": "fault_address", "OLDMASK": None, "CSGSFS": None,
    "CS": None, "SS": None, "DS": None, "ES": None, "FS": None, "GS": None,
}
_REG_NAMES = "|".join(sorted(_REGISTERS, key=len, reverse=True))
#: the file deals with signal contexts: only then is a bare REG_RIP taken for glibc's
_CONTEXT_HINT = re.compile(r"\b(?:ucontext(?:_t)?|mcontext_t|uc_mcontext|gregs|__gregs|greg_t|gregset_t|sigcontext|SA_SIGINFO)\b")
#: a condition that tests for the x86 context layout
_X86_CONTEXT_TEST = re.compile(rf"\bREG_(?:{_REG_NAMES})\b|\bNGREG\b")
_HELP = (
    "under `#elif defined(__aarch64__)` read the AArch64 mcontext_t fields: `uc->uc_mcontext.pc`, `.sp`, "
    "`.regs[29]` (frame pointer), `.regs[30]` (link register), `.regs[0..28]`, `.pstate`, `.fault_address` "
    "(spelled `__pc`, `__sp`, … in strict ISO modes such as -std=c11); for stack traces use backtrace() or libunwind"
)


class X86UcontextRegister(Rule):
    """x86 register layout of ucontext_t in signal handlers.

    ## What it does
    Checks for access to the x86 layout of `ucontext_t`/`mcontext_t`: the `gregs[]` and
    `fpregs` members (also `__gregs`/`__fpregs`), and the glibc register indices `REG_RIP`,
    `REG_RSP`, `REG_RBP`, `REG_RAX` … `REG_R15`, `REG_EFL`, `REG_ERR`, `REG_TRAPNO`, `REG_CR2`
    and their i386 forms (`REG_EIP`, `REG_ESP`, …) in files that deal with signal contexts.

    ## Why is this a problem on ARM64?
    On AArch64 glibc's `mcontext_t` is a different struct: `fault_address`, `regs[31]`, `sp`,
    `pc` and `pstate`, with FP/SIMD state in extension records inside `__reserved`. It has no
    `gregs` or `fpregs` member and there are no `REG_*` indices, so the code stops compiling
    ("'mcontext_t' has no member named 'gregs'", "'REG_RIP' undeclared").

    ## Example
    ```c
    #define _GNU_SOURCE
    #include <signal.h>
    #include <stdint.h>
    #include <ucontext.h>
    uintptr_t fault_pc(void *ctx) {
        ucontext_t *uc = ctx;
        return uc->uc_mcontext.gregs[REG_RIP];
    }
    ```

    Use instead:
    ```c
    #define _GNU_SOURCE
    #include <signal.h>
    #include <stdint.h>
    #include <ucontext.h>
    uintptr_t fault_pc(void *ctx) {
        ucontext_t *uc = ctx;
    #if defined(__x86_64__)
        return uc->uc_mcontext.gregs[REG_RIP];
    #elif defined(__aarch64__)
        return uc->uc_mcontext.pc;
    #endif
    }
    ```

    ## Limitations
    A register index kept in a variable or macro (`int idx = REG_RIP;`) is reported where
    `REG_RIP` appears, which needs a signal-context word (`ucontext_t`, `mcontext_t`, `gregs`,
    `SA_SIGINFO`, …) somewhere in the file. FreeBSD (`mc_rip`) and macOS (`__ss.__rip`) context layouts are not
    recognised.

    ## References
    - glibc `<sys/ucontext.h>` for AArch64: https://sourceware.org/git/?p=glibc.git;a=blob;f=sysdeps/unix/sysv/linux/aarch64/sys/ucontext.h
    - Linux arm64 `struct sigcontext`: https://github.com/torvalds/linux/blob/master/arch/arm64/include/uapi/asm/sigcontext.h
    """

    code = "CC502"
    name = "x86-ucontext-register"
    summary = "x86 register layout of ucontext_t in signal handlers"
    languages = frozenset({"c", "cpp"})
    severity = Severity.ERROR
    impact = Impact.BUILD_BREAK
    confidence = Confidence.HIGH
    tags = ("signals", "ucontext", "linux")
    effort_minutes = 30
    # a bare REG_* is only reported in files that also name one of these
    prefilter = (b"gregs", b"fpregs", b"ucontext", b"mcontext", b"greg_t", b"sigcontext", b"SA_SIGINFO")
    pattern = (
        r"(?:\.|->)[ \t]*(?P<member>(?:__)?(?:gregs|fpregs))\b(?P<index>[ \t]*\[[ \t]*(?:REG_(?P<reg>\w+)|\w+)[ \t]*\])?"
        rf"|\bREG_(?P<bare>{_REG_NAMES})\b"
    )

    def check_match(self, ctx, match):
        start, end = match.span()
        if guarded(ctx, start, _X86_CONTEXT_TEST):
            return  # `#ifdef REG_RIP` and the code under it: compiled only where glibc has x86 gregs
        if match.group("member"):
            member = match.group("member")
            reg = match.group("reg")
            start = match.start("member")
            if member.lstrip("_") == "fpregs":
                message = (f"`{member}` is the x86 FPU/SSE state pointer of mcontext_t; AArch64's mcontext_t has no "
                           f"`{member}` (FP/SIMD state is an fpsimd_context record in `__reserved`), so the build fails")
                props = {"member": member}
            else:
                target = _REGISTERS.get(reg) if reg else None
                if reg:
                    message = (f"`{ctx.text[start:end].strip()}` reads register `REG_{reg}` from the x86 `{member}` array; "
                               f"AArch64's mcontext_t has no `{member}`" + (f" (use `{target}`)" if target else ""))
                else:
                    message = (f"`{member}` is the x86 general-register array of mcontext_t; AArch64's mcontext_t has "
                               f"no `{member}` (its registers are `regs[31]`, `sp`, `pc` and `pstate`)")
                message += ", so the build fails"
                props = {"member": member, "register": f"REG_{reg}" if reg else None, "aarch64_field": target}
            yield ctx.finding(self, start, end, message, _HELP, properties=props)
        else:
            reg = match.group("bare")
            if _inside_gregs_subscript(ctx.masked, start) or reg in self._not_glibc(ctx):
                return
            target = _REGISTERS[reg]
            yield ctx.finding(
                self, start, end,
                f"`REG_{reg}` is an index into the x86 `gregs` array of glibc's ucontext; AArch64 has no `REG_*` "
                "indices, so it is undeclared there" + (f" (the AArch64 field is `{target}`)" if target else ""),
                _HELP,
                properties={"register": f"REG_{reg}", "aarch64_field": target},
            )

    _ctx = None
    _skip: frozenset[str] | set[str] = frozenset()

    def _not_glibc(self, ctx):
        """Register names that are not glibc's in this file: all of them when the file has no
        signal-context word, else those the project defines itself (`#define REG_RIP`, `REG_RIP = 16`)."""
        if self._ctx is not ctx:
            masked = ctx.masked
            if not _CONTEXT_HINT.search(masked):
                skip = set(_REGISTERS)
            else:
                skip = {m.group(1) for m in re.finditer(rf"#[ \t]*define[ \t]+REG_({_REG_NAMES})\b", masked)}
                skip |= {m.group(1) for m in re.finditer(rf"\bREG_({_REG_NAMES})[ \t]*=(?!=)", masked)}
            self._ctx, self._skip = ctx, skip
        return self._skip


def _inside_gregs_subscript(masked: str, offset: int) -> bool:
    """True for the REG_X of `gregs[REG_X]`, which the member match already reports."""
    before = masked[max(0, offset - 40) : offset]
    return re.search(r"gregs[ \t]*\[[ \t]*$", before) is not None
