from __future__ import annotations

import re

from archport.model import Confidence, Impact, Severity
from archport.rule import Rule
from archport.rules.c_cpp._enclosing import close_paren

_INT128 = r"(?:(?:unsigned|signed)\s+)?__int128(?:_t)?\b|\b__uint128_t\b|\bu?int128_t\b"
_INT128_RE = re.compile(r"\b(?:" + _INT128 + ")")
_FIRST_NAME = re.compile(r"\s*&?\s*\(?\s*([A-Za-z_]\w*)\s*\)?\s*(?:,|$)")

_LIBATOMIC = (
    "GCC 12 for AArch64 compiles every 16-byte `__atomic_*` operation to a call into libatomic "
    "(`__atomic_{op}_16`, at any -march level), and that libatomic implements it with a pthread mutex "
    "(`__atomic_is_lock_free(16, p)` is 0): not lock-free, slower under contention, unsafe in signal handlers and "
    "not atomic between processes that share the memory; x86-64's libatomic uses `lock cmpxchg16b` here"
)
_SYNC_HELP = (
    "on AArch64 use `__sync_bool_compare_and_swap`/`__sync_val_compare_and_swap` on the `unsigned __int128`, "
    "which GCC compiles lock-free (inline CASPAL with -march=armv8.1-a or later, otherwise the libgcc helper "
    "`__aarch64_cas16_sync`, which uses CASP or LDXP/STLXP), or avoid double-width CAS (tag bits in a 64-bit "
    "word, hazard pointers, epoch reclamation)"
)


class DoubleWidthCasReliance(Rule):
    """16-byte compare-and-swap that is lock-free on x86-64 but not on AArch64.

    ## What it does
    Checks for 16-byte atomic operations: `__atomic_compare_exchange(_n)`, `__atomic_load(_n)`,
    `__atomic_store(_n)` and `__atomic_exchange(_n)` on an `__int128` object (cast in the call or
    declared in the file), `std::atomic<__int128>` and `_Atomic __int128` objects, and MSVC's
    `_InterlockedCompareExchange128`.

    ## Why is this a problem on ARM64?
    On x86-64, double-width CAS is `lock cmpxchg16b` (with `-mcx16`, or inside libatomic).
    GCC 12 for AArch64 turns every 16-byte `__atomic_*` builtin into a libatomic call at any
    `-march` level, and GCC 12's libatomic for AArch64 serialises those calls with a pthread
    mutex: the lock-free algorithm built on them now takes a lock, cannot be used from a
    signal handler, and is not atomic across processes sharing memory. The `__sync_*` builtins
    are lock-free on AArch64 (CASP with LSE, LDXP/STLXP without). `_InterlockedCompareExchange128`
    is an MSVC intrinsic that GCC does not declare.

    ## Example
    ```c
    #include <stdbool.h>
    typedef unsigned __int128 u128;
    bool cas16(u128 *p, u128 *expected, u128 desired) {
        return __atomic_compare_exchange_n((unsigned __int128 *)p, expected, desired, false,
                                           __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    }
    ```

    Use instead:
    ```c
    #include <stdbool.h>
    typedef unsigned __int128 u128;
    bool cas16(u128 *p, u128 *expected, u128 desired) {
        u128 seen = __sync_val_compare_and_swap(p, *expected, desired);
        bool ok = seen == *expected;
        *expected = seen;
        return ok;
    }
    ```

    ## Limitations
    The operand's size is known only from `__int128` spellings in the call or in the
    declaration of a plain variable passed as the first argument; 16-byte structs (including
    `std::atomic<T>` with `sizeof(T) == 16`) are not recognised. `-mcx16` in build files is
    left to the build-file rules, `target("cx16")` to CC409 and `cmpxchg16b` in inline
    assembly to CC404. Newer GCC
    releases may ship a libatomic with lock-free 16-byte paths; check
    `__atomic_is_lock_free(16, p)` on the target toolchain.

    ## References
    - GCC `__atomic` builtins: https://gcc.gnu.org/onlinedocs/gcc/_005f_005fatomic-Builtins.html
    - GCC AArch64 options (-moutline-atomics): https://gcc.gnu.org/onlinedocs/gcc/AArch64-Options.html
    - MSVC `_InterlockedCompareExchange128`: https://learn.microsoft.com/en-us/cpp/intrinsics/interlockedcompareexchange128
    """

    code = "CC301"
    name = "double-width-cas-reliance"
    summary = "16-byte compare-and-swap that is lock-free on x86-64 but not on AArch64"
    languages = frozenset({"c", "cpp"})
    severity = Severity.WARNING
    impact = Impact.PERFORMANCE
    confidence = Confidence.MEDIUM
    tags = ("atomics", "concurrency")
    effort_minutes = 60
    prefilter = (b"__int128", b"int128_t", b"_InterlockedCompareExchange128")
    pattern = (
        r"\b(?P<msvc>_InterlockedCompareExchange128(?:_np|_acq|_nf|_rel)?)\b"
        r"|\b(?P<atomic>__atomic_(?:compare_exchange|load|store|exchange)(?:_n)?)\s*\("
        r"|(?P<decl>\bstd::atomic\s*<\s*(?:" + _INT128 + r")|\b_Atomic\s*\(?\s*(?:" + _INT128 + r"))"
    )

    def check_match(self, ctx, match):
        start, end = match.span()
        if match.group("msvc"):
            name = match.group("msvc")
            if name.endswith("_np"):
                detail = "exists only on x64 (MSVC has no `_np` form for ARM64)"
            else:
                detail = ("is an MSVC intrinsic that GCC does not declare for AArch64 (MSVC for ARM64 has it, "
                          "with `_acq`/`_rel`/`_nf` variants)")
            yield ctx.finding(
                self, start, end,
                f"`{name}` (x64: `lock cmpxchg16b`) {detail}; a GCC build fails here",
                "with GCC/Clang, under `#elif defined(__aarch64__)`, " + _SYNC_HELP.removeprefix("on AArch64 "),
                properties={"intrinsic": name, "effect": "build-break"},
                severity=Severity.ERROR,
            )
        elif match.group("atomic"):
            name = match.group("atomic")
            open_paren = end - 1
            close = close_paren(ctx, open_paren)
            if close == -1:
                return
            args = ctx.masked[open_paren + 1 : close - 1]
            if not (_INT128_RE.search(args) or _declared_int128(ctx.masked, args, start)):
                return
            op = name.removeprefix("__atomic_").removesuffix("_n")
            yield ctx.finding(
                self, start, close,
                f"16-byte `{name}`: " + _LIBATOMIC.format(op=op),
                _SYNC_HELP if op == "compare_exchange" else
                "keep 16-byte atomics off hot and shared-memory paths on AArch64, or build them from "
                "`__sync_val_compare_and_swap` on the `unsigned __int128` (lock-free on AArch64)",
                properties={"builtin": name, "size": 16, "libatomic_call": f"__atomic_{op}_16"},
            )
        elif match.group("decl"):
            decl = " ".join(match.group("decl").split())
            yield ctx.finding(
                self, start, end,
                f"16-byte atomic object (`{decl}`…): its operations are 16-byte `__atomic` operations; "
                + _LIBATOMIC.format(op="compare_exchange"),
                _SYNC_HELP,
                properties={"declaration": decl, "size": 16},
            )


def _declared_int128(masked: str, args: str, offset: int, window: int = 20000) -> bool:
    """True when the first argument is a plain variable (or its address) declared with an
    `__int128` type in the `window` characters before the call."""
    m = _FIRST_NAME.match(args.split(",", 1)[0] + ",")
    if not m:
        return False
    decl = re.compile(
        r"\b(?:" + _INT128 + r")[\s*]*(?:(?:const|volatile|_Atomic|restrict|__restrict)\b[\s*]*)*"
        + re.escape(m.group(1)) + r"\b"
    )
    return bool(decl.search(masked, max(0, offset - window), offset))
