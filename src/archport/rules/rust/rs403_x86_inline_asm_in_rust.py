from __future__ import annotations

import bisect
import re

from archport.model import Confidence, Impact, Severity
from archport.rule import Rule
from archport.rules._tables import asm_idioms as V
from archport.rules.assembly import _x86
from archport.rules.rust import _cfg

#: AArch64 replacements in Rust terms, per idiom key of asm_idioms
_RUST_IDIOMS = {
    "rdtsc": "use `std::time::Instant`, or read the virtual counter with `asm!(\"mrs {}, cntvct_el0\", out(reg) t)` "
             "under `#[cfg(target_arch = \"aarch64\")]` (frequency in `cntfrq_el0`)",
    "cpuid": "detect AArch64 features with `std::arch::is_aarch64_feature_detected!`",
    "xgetbv": "detect AArch64 features with `std::arch::is_aarch64_feature_detected!`",
    "pause": "use `std::hint::spin_loop()`",
    "mfence": "use `std::sync::atomic::fence(Ordering::SeqCst)`",
    "sfence": "use `std::sync::atomic::fence(Ordering::Release)`",
    "lfence": "use `std::sync::atomic::fence(Ordering::Acquire)`",
    "bswap": "use `u32::swap_bytes` / `u64::swap_bytes` (or `to_be`/`from_be`)",
    "lock-xadd": "use `AtomicU64::fetch_add` (std::sync::atomic)",
    "lock-cmpxchg": "use `compare_exchange` of the std::sync::atomic types",
    "lock-cmpxchg16b": "use a 16-byte atomic from a crate (e.g. `portable-atomic`'s `AtomicU128`) or a lock",
    "xchg": "use `swap` of the std::sync::atomic types",
    "lock-rmw": "use `fetch_add`/`fetch_sub`/`fetch_and`/`fetch_or`/`fetch_xor` of the std::sync::atomic types",
    "crc32": "use `std::arch::aarch64::__crc32cb`/`__crc32ch`/`__crc32cw`/`__crc32cd` (CRC-32C, target feature `crc`)",
    "popcnt": "use `count_ones()`",
    "ctz": "use `trailing_zeros()` (returns the bit width for 0, like `tzcnt`)",
    "clz": "use `leading_zeros()` (returns the bit width for 0, like `lzcnt`; `bsr` is `63 - leading_zeros()`)",
    "int3": "use `std::process::abort()`, or `asm!(\"brk #0\")` under `#[cfg(target_arch = \"aarch64\")]`",
    "ud2": "use `std::process::abort()`",
    "rdrand": "use an OS random source (the `getrandom` crate)",
    "cmov": "use a plain `if` expression (the compiler emits `csel`)",
    "syscall": "use `libc::syscall` with the `libc::SYS_*` numbers (AArch64 numbers differ)",
    "prefetch": "drop it, or `asm!(\"prfm pldl1keep, [{}]\", in(reg) ptr)` under `#[cfg(target_arch = \"aarch64\")]`",
    "rep-movs": "use `copy_from_slice` / `std::ptr::copy_nonoverlapping`",
    "rep-stos": "use `fill` / `std::ptr::write_bytes`",
    "simd": "use `std::arch::aarch64` NEON intrinsics (baseline on aarch64) or portable Rust",
}
_GENERIC = (
    "put this `asm!` under `#[cfg(any(target_arch = \"x86\", target_arch = \"x86_64\"))]` and give aarch64 "
    "its own `asm!` under `#[cfg(target_arch = \"aarch64\")]`, or portable Rust under `#[cfg(not(...))]`"
)
_REG_OPERAND = re.compile(r"\b(?:in|out|lateout|inout|inlateout)[ \t]*\([ \t]*\"(\w+)\"")
_X86_REG = re.compile(r"(?:" + V.X86_BARE_REGISTER_STRICT + r"|[abcd][lhx]|[sd]il?|[xyz]mm\d+|k[0-7])")


class X86InlineAsmInRust(Rule):
    """`asm!`/`global_asm!`/`naked_asm!` with x86 instructions in Rust code that aarch64 compiles.

    ## What it does
    Checks for `asm!`, `global_asm!` and `naked_asm!` invocations whose template strings
    hold x86 instructions or registers (`rdtsc`, `pause`, `lock xadd`, `xmm0`, `rax` …), or
    whose operands name x86 registers (`in("eax")`), when the invocation is in code an
    aarch64 build compiles: not excluded by `#[cfg(...)]` on the enclosing items, modules or
    parent `mod` declarations, or by a `cfg_if!` branch. Well-known idioms are named, with
    their Rust replacement.

    ## Why is this a problem on ARM64?
    Inline assembly is passed to the assembler of the target: for aarch64 an x86 template
    fails with "unrecognized instruction mnemonic", and an x86 register operand with
    "invalid register `eax`: unknown register". The crate does not build for aarch64.

    ## Example
    ```rust
    pub fn relax() {
        unsafe { core::arch::asm!("pause") }
    }
    ```

    Use instead:
    ```rust
    pub fn relax() {
        std::hint::spin_loop()
    }
    ```

    ## Limitations
    Templates built by macros (`concat!`, a macro argument) are not read. cfg predicates on
    Cargo features count as unknown and keep the code out of the report.

    ## References
    - Inline assembly: https://doc.rust-lang.org/reference/inline-assembly.html
    - std::hint::spin_loop: https://doc.rust-lang.org/std/hint/fn.spin_loop.html
    """

    code = "RS403"
    name = "x86-inline-asm-in-rust"
    summary = "x86 inline assembly (`asm!`, `global_asm!`, `naked_asm!`) in Rust code that aarch64 compiles"
    languages = frozenset({"rust"})
    severity = Severity.ERROR
    impact = Impact.BUILD_BREAK
    confidence = Confidence.HIGH
    tags = ("asm", "isa")
    effort_minutes = 60
    prefilter = (b"asm!", b"asm !")
    pattern = r"\b(?:global_asm|naked_asm|asm)[ \t]*!"

    def check_match(self, ctx, match):
        rest = ctx.masked[match.end() : match.end() + 40].lstrip()
        if not rest.startswith(("(", "{", "[")):
            return
        open_ = ctx.masked.index(rest[0], match.end())
        close = ctx.matching_paren(open_)
        if close is None or close < 0:
            return
        cfg = _cfg.for_context(ctx)
        if cfg.arm64_at(match.start()) is not True:
            return
        close -= 1
        args = ctx.masked[open_ + 1 : close]
        templates = []
        strings = ctx.source.strings
        i = bisect.bisect_left(strings, (open_, -1))
        while i < len(strings) and strings[i][0] < close:
            s, e = strings[i]
            i += 1
            if ctx.masked.count("(", open_ + 1, s) - ctx.masked.count(")", open_ + 1, s) != 0:
                continue  # inside `in("eax")`, `options(...)`
            before = ctx.masked[open_ + 1 : s].rstrip()
            if before and before[-1] not in ",(":
                continue
            lit = ctx.text[s:e]
            q = lit.find('"')
            body = lit[q + 1 :]
            body = body[: body.rfind('"')] if body.endswith(('"', '"#', '"##')) else body
            templates.append(body)
        intel = "att_syntax" not in args
        lines = _x86.template_lines(templates)
        assessment = _x86.assess_lines(lines, intel=intel)
        mnemonics = []
        for line in lines:
            for st in _x86.split_statements(_x86.strip_comments(line, semicolon_comments=False)):
                if st.mnemonic and not st.directive and _x86.mnemonic_kind(st) == "x86" and st.mnemonic not in mnemonics:
                    mnemonics.append(st.mnemonic)
        regs = [m.group(1) for m in _REG_OPERAND.finditer(ctx.text, open_, close) if _X86_REG.fullmatch(m.group(1))]
        strict = [] if mnemonics else sorted(set(_x86._BARE_REG_STRICT.findall("\n".join(lines))))
        if not regs and not (assessment.is_x86 and (mnemonics or strict)):
            return
        if assessment.idioms:
            shown = ", ".join(f"`{assessment.shown[k]}`" for k in assessment.idioms[:3])
        else:
            shown = ", ".join(f"`{w}`" for w in (mnemonics[:3] or strict[:2] or [f'in("{r}")' for r in regs[:2]]))
        parts = []
        covered = {k for key in assessment.idioms for k in V.SUBSUMED_BY.get(key, ())}
        for key in assessment.idioms:
            if key in covered:
                continue
            advice = _RUST_IDIOMS.get(key)
            if advice and advice not in parts:
                parts.append(advice)
        help_ = "; ".join(parts[:3]) + "; otherwise " + _GENERIC if parts else _GENERIC
        if mnemonics:
            why = "unrecognized instruction mnemonic"
        elif regs:
            why = "invalid register: unknown register"
        else:
            why = "x86 register names are not aarch64 registers"
        macro = match.group().replace(" ", "").replace("\t", "")
        yield ctx.finding(
            self,
            match.start(),
            match.end(),
            f"`{macro}` with x86 assembly ({shown}) in code that aarch64 compiles: the aarch64 assembler "
            f"rejects it ({why})",
            help_,
            properties={"idioms": list(assessment.idioms), "x86_words": (mnemonics + regs)[:5], "syntax": "intel" if intel else "att"},
        )

