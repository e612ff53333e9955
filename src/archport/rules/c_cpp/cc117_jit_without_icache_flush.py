from __future__ import annotations

import re

from archport.model import Confidence, Impact, Severity
from archport.rule import Rule
from archport.rules.c_cpp import _scope
from archport.rules.c_cpp._x86_runtime import directive_at

#: any instruction-cache maintenance in the file (the builtin, libgcc, Apple, Windows, Linux
#: cacheflush(2), inline `ic ivau`, or a project wrapper whose name says so)
_FLUSH = re.compile(
    r"\b__builtin___clear_cache\b|\b__clear_cache\b|\bsys_icache_invalidate\b|\bFlushInstructionCache\b"
    r"|\bcacheflush\s*\(|(?i:\w*(?:flush_?i_?cache|i_?cache_?(?:flush|invalidate|sync)"
    r"|invalidate_?i_?cache|clear_?cache|sync_?cache_?range)\w*)"
)
_IC_ASM = re.compile(r"\bic\s+ivau\b")  # inline assembly lives in string literals: searched in the raw text
_EXEC_ARG = re.compile(r"\bPROT_EXEC\b|\bPAGE_EXECUTE(?:_READ|_READWRITE|_WRITECOPY)?\b")
_ANON = re.compile(r"\bMAP_ANON(?:YMOUS)?\b")


def _buffer_name(ctx, match, name: str, args) -> str | None:
    """The variable holding the executable memory: mprotect's first argument, or the name an
    mmap/VirtualAlloc result is assigned to."""
    masked = ctx.masked
    if name.startswith(("mprotect", "VirtualProtect")) and args:
        m = re.search(r"([A-Za-z_]\w*)\s*\)?\s*$", masked[args[0][0] : args[0][1]])
        return m.group(1) if m else None
    m = re.search(r"([A-Za-z_]\w*)\s*=\s*(?:\([^()]*\)\s*)?$", masked[max(0, match.start() - 80) : match.start()])
    return m.group(1) if m else None


class JitWithoutIcacheFlush(Rule):
    """Executable memory filled at run time with no instruction-cache flush.

    ## What it does
    Checks for anonymous memory mapped executable (`mmap(..., PROT_EXEC, MAP_ANONYMOUS ...)`),
    memory switched to executable (`mprotect(..., PROT_EXEC)`), and the Windows equivalents
    (`VirtualAlloc`/`VirtualProtect` with `PAGE_EXECUTE_*`), in files that contain no
    instruction-cache maintenance at all: no `__builtin___clear_cache`, `__clear_cache`,
    `sys_icache_invalidate`, `FlushInstructionCache`, `cacheflush`, `ic ivau`, a project
    function named like `flush_icache`/`clear_cache`, or a call of a function named like
    `*sync*`/`*flush*` on the same buffer (`lj_mcode_sync(p, p + size)`).

    ## Why is this a problem on ARM64?
    x86 keeps instruction fetch coherent with data writes, so machine code written with
    `memcpy` into an executable buffer can be called at once. AArch64 does not guarantee that:
    the instruction cache may still hold stale bytes for those addresses, so the new code runs
    only sometimes, depending on cache state, and fails at random. Code must be cleaned from the
    data cache and invalidated in the instruction cache first. GCC's
    `__builtin___clear_cache(begin, end)` compiles to nothing on x86-64 and to a call into
    libgcc on AArch64, which issues `dc cvau`, `dsb ish`, `ic ivau`, `dsb ish`, `isb` (skipping
    the steps the CPU reports as unnecessary in CTR_EL0). JIT compilers and code patchers
    written for x86 also emit x86 instructions, which is a separate port.

    ## Example
    ```c
    #include <string.h>
    #include <sys/mman.h>
    typedef int (*fn_t)(void);
    fn_t load_code(const unsigned char *code, size_t n) {
        void *mem = mmap(NULL, n, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        memcpy(mem, code, n);
        return (fn_t)mem;
    }
    ```

    Use instead:
    ```c
    #include <string.h>
    #include <sys/mman.h>
    typedef int (*fn_t)(void);
    fn_t load_code(const unsigned char *code, size_t n) {
        void *mem = mmap(NULL, n, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        memcpy(mem, code, n);
        __builtin___clear_cache((char *)mem, (char *)mem + n);
        return (fn_t)mem;
    }
    ```

    ## Limitations
    The check is per file: a flush done by another file (a JIT library's own flush routine) is
    not seen, and a file with any flush is trusted for all its executable mappings. Executable
    file mappings (`mmap` of a file with `PROT_EXEC`, as loaders do) are not reported; memory
    written by `read()` into such a mapping needs the flush as well.

    ## References
    - GCC `__builtin___clear_cache`: https://gcc.gnu.org/onlinedocs/gcc/Other-Builtins.html
    - QEMU commit "Handle IC IVAU to improve compatibility with JITs" (Arm does not keep instruction fetch coherent): https://github.com/qemu/qemu/commit/9719f125b803f4e0fda834cd74a60dfa4ca398e2
    """

    code = "CC117"
    name = "jit-without-icache-flush"
    summary = "Executable memory filled at run time with no instruction-cache flush"
    languages = frozenset({"c", "cpp"})
    severity = Severity.WARNING
    impact = Impact.RUNTIME_TRAP
    confidence = Confidence.MEDIUM
    tags = ("jit", "cache", "memory")
    effort_minutes = 60
    prefilter = (b"PROT_EXEC", b"PAGE_EXECUTE")
    pattern = r"(?<![\w])(?:mmap|mmap64|mprotect|VirtualAlloc|VirtualAllocEx|VirtualProtect|VirtualProtectEx)\s*\("

    def check_match(self, ctx, match):
        masked = ctx.masked
        if directive_at(ctx, match.start()) is not None:
            return
        before = masked[max(0, match.start() - 30) : match.start()]
        if re.search(r"[\w*]\s+\**$", before) and not re.search(r"\b(?:return|else)\s+$", before):
            return  # a declaration
        if "cc117_flush" not in ctx.cache:
            ctx.cache["cc117_flush"] = _FLUSH.search(masked) is not None or _IC_ASM.search(ctx.text) is not None
        if ctx.cache["cc117_flush"]:
            return
        args = _scope.call_arguments(ctx, match.end() - 1)
        text = " ".join(masked[a:b] for a, b in args)
        if not _EXEC_ARG.search(text):
            return
        name = match.group(0).split("(")[0].strip()
        if name.startswith("mmap") and not _ANON.search(text):
            return  # a file mapping: a loader, not generated code
        buffer = _buffer_name(ctx, match, name, args)
        if buffer and re.search(rf"(?i:\w*(?:sync|flush|clear|invalidat)\w*)\s*\([^;]*\b{re.escape(buffer)}\b", masked):
            return  # a project routine (`lj_mcode_sync(p, p + sz)`) maintains the cache for this buffer
        yield ctx.finding(
            self, match.start(), args[-1][1] + 1 if args else match.end(),
            f"`{name}()` makes memory executable and this file never flushes the instruction cache: on x86 code "
            "written there runs at once, on AArch64 the instruction cache can still hold stale bytes, so the "
            "generated code fails at random",
            "after writing the code and before calling it, run `__builtin___clear_cache((char *)begin, (char *)end)` "
            "(FlushInstructionCache on Windows); also check that the generated code is AArch64 code",
            properties={"call": name},
        )
