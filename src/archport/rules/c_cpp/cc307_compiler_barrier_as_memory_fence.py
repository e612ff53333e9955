from __future__ import annotations

import re

from archport.model import Confidence, Impact, Severity
from archport.preprocessor import State
from archport.rule import Rule
from archport.rules.c_cpp import _concurrency as cc
from archport.rules.c_cpp._enclosing import enclosing_conditions
from archport.rules.c_cpp._x86_runtime import logical_line_end, logical_line_start

# empty asm with clobbers only, on masked text (string contents are blanked, quotes stay); the
# patterns start with a literal so that whole-file scans stay fast (`asm` also finds `__asm__`)
_ASM = (r"asm(?:__)?\s*(?:(?:__volatile__|__volatile|volatile)\b\s*)?\(\s*\"[^\"\n]*\"\s*:\s*:\s*:\s*\"[^\"\n]*\""
        r"(?:\s*,\s*\"[^\"\n]*\")*\s*\)")
_CALL = r"(?:atomic_signal_fence|__atomic_signal_fence|_ReadWriteBarrier|_WriteBarrier|_ReadBarrier|__memory_barrier)\s*\("
_BARRIER_ASM = re.compile(r"(?P<asm>%s)" % _ASM)
_BARRIER_CALL = re.compile(r"(?P<call>%s)" % _CALL)
_DEFINE = re.compile(r"[ \t]*#[ \t]*define[ \t]+([A-Za-z_]\w*)")
_FENCE_NAME = re.compile(
    r"^(?:smp_\w+|(?:\w+_)?[rw]?mb(?:__\w+)?|\w*(?:mem|memory|write|read|store|load|full|hw|cpu|wr|rd|storestore"
    r"|loadload|loadstore|storeload|release|acquire)_?(?:barrier|fence))$",
    re.I,
)
_DEFINE_LINE = re.compile(r"^[ \t]*#[ \t]*define[ \t]+([A-Za-z_]\w*)(?:\([^)\n]*\))?", re.M)
#: what may surround the aliased macro in a body: `do { barrier(); } while (0)`
_ALIAS_REST = re.compile(r"\bdo\b|\bwhile\s*\(\s*0\s*\)|[\s\\{}();]")
_NEAR = 2  # statements looked at on each side of a barrier
#: a file named for x86 (`ngx_gcc_atomic_amd64.h`, `barrier_x86.h`) is included only by x86 builds: its
#: compiler-barrier definition of smp_wmb() is the correct x86 one
_X86_FILE = re.compile(r"(?<![a-z0-9])(?:x86(?:[_-]?64)?|amd64|x64|i[3-6]86|ia32|intel64)(?![a-z0-9])")
#: macros that, by the Linux convention, are compiler barriers when the file uses them without defining them
_CONVENTIONAL = ("barrier", "compiler_barrier")
_SMP_TEST = re.compile(r"\bCONFIG_SMP\b|\b\w*SMP\w*\b")
#: hardware fences in asm templates (a barrier-named function that also has one is not reported)
_HW_FENCE_ASM = re.compile(r"\b(?:dmb|dsb|mfence|sfence|lfence|lwsync|hwsync|membar|sync)\b")


def _uses(masked: str, name: str) -> bool:
    """`name()` is called somewhere (as a whole identifier)."""
    for m in re.finditer(r"%s\s*\(\s*\)" % name, masked):
        if not m.start() or not (masked[m.start() - 1].isalnum() or masked[m.start() - 1] == "_"):
            return True
    return False


def fence_named(name: str) -> bool:
    return bool(name) and _FENCE_NAME.match(name) is not None and name.lower() not in ("mb_len", "numb", "thumb")


def fence_kind(name: str) -> str:
    low = name.lower()
    if re.search(r"(?:^|_)wmb|write|store|release|wr", low):
        return "release"
    if re.search(r"(?:^|_)rmb|read|load|acquire|rd", low):
        return "acquire"
    return "seq_cst"


_HELP = {
    "release": "`atomic_thread_fence(memory_order_release)` (`dmb ish` on AArch64; Linux's arm64 `smp_wmb` is `dmb ishst`)",
    "acquire": "`atomic_thread_fence(memory_order_acquire)` (`dmb ishld` on AArch64)",
    "seq_cst": "`atomic_thread_fence(memory_order_seq_cst)` (`dmb ish` on AArch64)",
}


class CompilerBarrierAsMemoryFence(Rule):
    """Compiler-only barrier used to order memory between threads.

    ## What it does
    Checks for compiler-only barriers — `asm volatile("" ::: "memory")`,
    `atomic_signal_fence`, MSVC `_ReadWriteBarrier`/`_WriteBarrier`/`_ReadBarrier`, ICC
    `__memory_barrier()` — where they stand in for a hardware fence: in a macro or function
    named like a memory barrier (`smp_wmb`, `smp_mb`, `wmb`, `rmb`, `mb`, `MEMORY_BARRIER`,
    `write_barrier`, also through another macro such as `#define smp_wmb() barrier()`), or
    between two stores to shared memory (globals, fields, through pointers) in a function.
    A lone `barrier()`-style macro is reported only where it is used between shared stores.

    ## Why is this a problem on ARM64?
    A compiler barrier only stops the compiler from moving memory accesses across it; it
    emits no instruction (verified with AArch64 GCC 12: the two stores around
    `asm volatile("" ::: "memory")` come out as adjacent `str`). On x86-64 that is enough to
    order stores against stores and loads against loads, because the hardware keeps them in
    order (TSO). AArch64 reorders them, so a reader on another core can see the flag written
    after the barrier before the data written before it.

    ## Example
    ```c
    #define smp_wmb() __asm__ __volatile__("" ::: "memory")
    extern int data, ready;
    void publish(int v) {
        data = v;
        smp_wmb();
        ready = 1;
    }
    ```

    Use instead:
    ```c
    #include <stdatomic.h>
    #if defined(__x86_64__)
    #define smp_wmb() __asm__ __volatile__("" ::: "memory")
    #else
    #define smp_wmb() atomic_thread_fence(memory_order_release)
    #endif
    extern int data, ready;
    void publish(int v) {
        data = v;
        smp_wmb();
        ready = 1;
    }
    ```

    ## Limitations
    Intent is guessed: a compiler barrier between two shared stores may order them only for
    a signal handler or an interrupt on the same thread, where it is correct; those findings
    have low confidence. Barrier macros defined in another file are seen only where they are
    defined. Definitions in a branch that tests an SMP macro (`#ifndef CONFIG_SMP`) and in files
    named for x86 (`atomic_amd64.h`, `barrier_x86.h`), which x86 builds alone include, are not
    reported.

    ## References
    - GCC extended asm, the "memory" clobber: https://gcc.gnu.org/onlinedocs/gcc/Extended-Asm.html#Clobbers-and-Scratch-Registers-1
    - `atomic_signal_fence` / `atomic_thread_fence`: https://en.cppreference.com/w/c/atomic/atomic_signal_fence
    - MSVC `_ReadWriteBarrier`: https://learn.microsoft.com/en-us/cpp/intrinsics/readwritebarrier
    - Linux memory barriers: https://www.kernel.org/doc/Documentation/memory-barriers.txt
    """

    code = "CC307"
    name = "compiler-barrier-as-memory-fence"
    summary = "Compiler-only barrier used to order memory between threads"
    languages = frozenset({"c", "cpp"})
    severity = Severity.WARNING
    impact = Impact.SILENT_BEHAVIOUR_CHANGE
    confidence = Confidence.MEDIUM
    tags = ("concurrency", "memory-ordering", "barriers")
    effort_minutes = 20
    prefilter = (b'"memory"', b"signal_fence", b"_ReadWriteBarrier", b"_WriteBarrier", b"_ReadBarrier",
                 b"__memory_barrier", b"barrier()")

    def check_file(self, ctx):
        masked = ctx.masked
        found = list(_BARRIER_ASM.finditer(masked)) if "asm" in masked else []
        found += _BARRIER_CALL.finditer(masked)
        # barriers in branches an AArch64 build never compiles do not define what a macro means there
        sites = sorted((m for m in found if self._is_barrier(ctx, m) and ctx.arm_state(m.start()) is not State.INACTIVE),
                       key=lambda m: m.start())
        conventional = [n for n in _CONVENTIONAL if _uses(masked, n)
                        and not re.search(r"^[ \t]*#[ \t]*define[ \t]+%s\b" % n, masked, re.M)]
        if not sites and not conventional:
            return
        # macros whose body is a compiler barrier, directly or through another such macro
        macros: dict[str, tuple[int, int, str]] = {}  # name -> (start, end of the barrier, spelling)
        for name in conventional:  # defined in a header, by convention a compiler barrier
            macros[name] = (-1, -1, f"{name}()")
        loose = []
        for m in sites:
            d = _DEFINE.match(masked, logical_line_start(ctx, m.start()))
            if d and d.end() <= m.start():
                macros.setdefault(d.group(1), (m.start(), self._end(ctx, m), self._spelling(ctx, m)))
            else:
                loose.append(m)
        for _ in range(2):  # `#define smp_wmb() barrier()` with barrier() a compiler barrier
            if not macros:
                break
            name_re = re.compile(r"\b(?:%s)\s*\(\s*\)" % "|".join(map(re.escape, macros)))
            for d in _DEFINE_LINE.finditer(masked):
                if d.group(1) in macros or ctx.arm_state(d.start()) is State.INACTIVE:
                    continue
                body = masked[d.end():logical_line_end(masked, d.end())]
                inner = name_re.search(body)
                if inner and not _ALIAS_REST.sub("", name_re.sub("", body)):
                    via = inner.group(0).split("(")[0].strip()
                    macros[d.group(1)] = (d.end() + inner.start(), d.end() + inner.end(), f"{via}()")
        x86_file = _X86_FILE.search(ctx.path.rsplit("/", 1)[-1].lower()) is not None
        for name, (start, end, spelled) in macros.items():
            if fence_named(name) and start >= 0 and not x86_file and not self._uniprocessor(ctx, start):
                yield self._definition(ctx, name, start, end, spelled)
        uses = list(loose)
        plain_macros = [n for n in macros if not fence_named(n)]
        if plain_macros:
            use_re = re.compile(r"\b(?:%s)\s*\(\s*\)" % "|".join(map(re.escape, plain_macros)))
            for m in use_re.finditer(masked):
                if not _DEFINE.match(masked, logical_line_start(ctx, m.start())):
                    uses.append(m)
        if not uses:
            return
        idx = cc.index(ctx)
        if idx is None:
            return
        for m in uses:
            f = self._use(ctx, idx, m)
            if f is not None:
                yield f

    @staticmethod
    def _uniprocessor(ctx, offset: int) -> bool:
        """Inside `#ifdef CONFIG_SMP ... #else` (or another SMP test): the compiler barrier is the
        uniprocessor build's definition."""
        return any(_SMP_TEST.search(c) for c in enclosing_conditions(ctx, offset))

    # -- recognising the barrier ------------------------------------------------------------------

    @staticmethod
    def _is_barrier(ctx, m) -> bool:
        if m.groupdict().get("call"):
            return True
        strings = ctx.source.string_literals(m.start(), m.end())
        return len(strings) >= 2 and not strings[0].strip() and any("memory" in s for s in strings[1:])

    def _spelling(self, ctx, m) -> str:
        if m.groupdict().get("asm"):
            return 'asm volatile("" ::: "memory")'
        text = re.sub(r"\s+", "", ctx.masked[m.start():self._end(ctx, m)])
        return text if len(text) <= 60 and text.endswith(")") else re.sub(r"\(.*", "", text) + "()"

    @staticmethod
    def _end(ctx, m) -> int:
        """End of the barrier: past the call's closing parenthesis for the call forms."""
        if m.group(0).endswith("("):
            close = ctx.matching_paren(m.end() - 1, limit=200)
            if close != -1:
                return close
        return m.end()

    # -- a barrier macro or function named like a fence ----------------------------------------

    def _definition(self, ctx, name, start, end, spelled, in_function=False):
        kind = fence_kind(name)
        what = "a function named like a memory barrier whose barrier is" if in_function else \
            "a macro named like a memory barrier but expands to"
        return ctx.finding(
            self, start, end,
            f"`{name}` is {what} the compiler-only barrier `{spelled}`, which emits no instruction: that orders "
            "memory between CPUs on x86-64 (TSO) but not on "
            f"AArch64, so code using `{name}` to order data and flag stores (or loads) between threads can see "
            "them out of order",
            f"on AArch64 make `{name}` a hardware barrier: {_HELP[kind]}; the compiler-only form can stay under "
            "`#if defined(__x86_64__)`",
            properties={"barrier": name, "expands_to": spelled, "fence": kind},
        )

    # -- a barrier between two shared stores --------------------------------------------------------

    def _use(self, ctx, idx, m):
        byte = ctx.source.byte_offset(m.start())
        fn = idx.function_at(byte)
        if fn is None:
            return None
        if fence_named(fn.name):
            if _X86_FILE.search(ctx.path.rsplit("/", 1)[-1].lower()):
                return None
            body = ctx.text[cc.char_offset(ctx, fn.body.start_byte):cc.char_offset(ctx, fn.body.end_byte)]
            if cc.sync_points(fn) or _HW_FENCE_ASM.search(body):
                return None  # the function also has a real fence (on some path)
            return self._definition(ctx, fn.name, m.start(), self._end(ctx, m), self._spelling(ctx, m), in_function=True)
        stmt = ctx.tree.root_node.descendant_for_byte_range(byte, byte)
        while stmt is not None and (stmt.parent is None or stmt.parent.type != "compound_statement"):
            stmt = stmt.parent
            if stmt is not None and stmt.id == fn.body.id:
                return None
        if stmt is None:
            return None
        siblings = [c for c in stmt.parent.named_children if c.type != "comment"]
        i = next((k for k, c in enumerate(siblings) if c.id == stmt.id), None)
        if i is None:
            return None
        before = self._shared_store(fn, idx, siblings[max(0, i - _NEAR):i], last=True)
        after = self._shared_store(fn, idx, siblings[i + 1:i + 1 + _NEAR], last=False)
        if before is None or after is None or before.target == after.target:
            return None
        spelled = self._spelling(ctx, m)
        return ctx.finding(
            self, m.start(), self._end(ctx, m),
            f"compiler-only barrier `{spelled}` between the store to `{before.shown}` and the store to "
            f"`{after.shown}`: it emits no instruction, so on AArch64 another core may see `{after.shown}` "
            f"updated before `{before.shown}` (x86-64 keeps stores in order, so the compiler barrier was enough there)",
            "if another thread reads these, use `atomic_thread_fence(memory_order_release)` here (`dmb ish` on "
            "AArch64) with an acquire fence or acquire load on the reader's side, or store the second one with "
            "`memory_order_release`; keep the compiler barrier if only a signal handler of the same thread reads them",
            properties={"barrier": spelled, "before": before.shown, "after": after.shown},
            confidence=Confidence.LOW,
        )

    @staticmethod
    def _shared_store(fn, idx, stmts, last: bool):
        found = []
        for s in stmts:
            for st in cc.stores(fn, idx):
                if s.start_byte <= st.start < s.end_byte and st.shared and st.kind != "call":
                    found.append(st)
        if not found:
            return None
        return found[-1] if last else found[0]
