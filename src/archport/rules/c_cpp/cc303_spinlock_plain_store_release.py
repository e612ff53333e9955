from __future__ import annotations

import re

from archport.model import Confidence, Impact, Severity
from archport.rule import Rule
from archport.rules.c_cpp import _concurrency as cc

_ACQUIRE_NAMES = (
    "__sync_lock_test_and_set", "__sync_val_compare_and_swap", "__sync_bool_compare_and_swap",
    "__atomic_exchange_n", "__atomic_exchange", "__atomic_test_and_set", "__atomic_compare_exchange_n",
    "__atomic_compare_exchange",
)
_MSVC = re.compile(r"^_?Interlocked(?:Exchange|CompareExchange)(?:8|16|64|Pointer)?(?:_acq|_nf|_rel|Acquire|NoFence)?$")
_ACQUIRE = re.compile(
    r"(?:__sync_lock_test_and_set|__sync_(?:val|bool)_compare_and_swap|__atomic_(?:exchange|compare_exchange)(?:_n)?"
    r"|__atomic_test_and_set|_?Interlocked(?:Exchange|CompareExchange)(?:8|16|64|Pointer)?"
    r"(?:_acq|_nf|_rel|Acquire|NoFence)?)\s*\("
)
_ZERO = re.compile(r"^(?:\(\s*[\w\s*]+\)\s*)?(?:0[uUlL]*|false|FALSE|NULL|nullptr|0x0+[uUlL]*)$")
_UNLOCKISH = re.compile(r"(?i)un_?lock|release|leave|exit|give|drop|unpin|(?:^|_)(?:post|unset|clear|done|finish|end|put)(?:_|$)")
_INITISH = re.compile(r"(?i)init|create|alloc|new|reset|ctor|setup|construct|make|open")
_LOCKISH = re.compile(r"(?i)lock|acquire|enter|take|grab|claim|get")
_PLAIN_ZERO_STORE = re.compile(r"[\w)\]]\s*=\s*(?:\(\s*[\w\s*]+\)\s*)?(?:0[uUlL]*|false|NULL|nullptr)\s*;")


def lock_key(node, fn: cc.Function, idx: cc.Index) -> tuple[str, str] | None:
    """What a lock word is, comparably across functions: ("global", name), ("field", name) or
    ("param", "") for `*p` with p a parameter. node is the lock object itself (not its address)."""
    node = cc.unparen(node)
    if node is None:
        return None
    if node.type == "pointer_expression" and cc.text(node).lstrip().startswith("*"):
        inner = cc.unparen(node.child_by_field_name("argument"))
        if inner is not None and inner.type == "cast_expression":  # *(volatile int *)&x
            value = cc.unparen(inner.child_by_field_name("value"))
            if value is not None and value.type == "pointer_expression" and cc.text(value).lstrip().startswith("&"):
                return lock_key(value.child_by_field_name("argument"), fn, idx)
            inner = value
        if inner is not None and inner.type == "identifier" and cc.text(inner) in fn.params:
            return ("param", "")
        return None
    if node.type == "identifier":
        name = cc.text(node)
        if name in fn.locals():
            return None
        return ("global", name)
    if node.type == "field_expression":
        f = node.child_by_field_name("field")
        return ("field", cc.text(f)) if f is not None else None
    if node.type == "subscript_expression":
        return lock_key(node.child_by_field_name("argument"), fn, idx) if cc.text(node).endswith("[0]") else None
    return None


def object_of_address(arg, fn, idx):
    """The lock object an address argument points at: `&x` -> x, `p` -> *p."""
    arg = cc.unparen(arg)
    if arg is None:
        return None
    if arg.type == "pointer_expression" and cc.text(arg).lstrip().startswith("&"):
        return lock_key(arg.child_by_field_name("argument"), fn, idx)
    if arg.type == "cast_expression":
        return object_of_address(arg.child_by_field_name("value"), fn, idx)
    if arg.type == "identifier" and cc.text(arg) in fn.params:
        return ("param", "")
    if arg.type == "identifier":
        return None
    return None


class SpinlockPlainStoreRelease(Rule):
    """Hand-written spinlock released with a plain store.

    ## What it does
    Checks for lock words that are taken with an atomic builtin in a spin loop or lock function
    (`__sync_lock_test_and_set`, `__sync_bool_compare_and_swap`, `__atomic_exchange_n`,
    `_InterlockedExchange`, …) and released with a plain assignment of zero (`lock = 0;`,
    `l->locked = 0;`, `*(volatile int *)&l->v = 0;`) in an unlock-like function or after the
    acquire in the same function. Lock words declared atomic, and releases preceded by a
    fence or another synchronising call, are not reported.

    ## Why is this a problem on ARM64?
    The acquire side is fine: `__sync_lock_test_and_set` is an acquire barrier (AArch64 GCC
    emits `swpa`, an `ldxr`/`stxr` loop followed by `dmb ish`, or a call to
    `__aarch64_swp4_sync`). The release is not: a plain or volatile store of 0 is a plain
    `str` on AArch64, which does not wait for the stores made inside the critical section. On
    x86-64 every store is a release (TSO), so the plain store worked there; on AArch64 the next
    lock holder can see the lock free before the protected data is written, and lose updates.
    GCC documents `__sync_lock_release` as the counterpart of `__sync_lock_test_and_set`.

    ## Example
    ```c
    static int lock_word;
    static long counter;

    void spin_lock(void) {
        while (__sync_lock_test_and_set(&lock_word, 1))
            ;
    }

    void spin_unlock(void) {
        lock_word = 0;
    }
    ```

    Use instead:
    ```c
    static int lock_word;
    static long counter;

    void spin_lock(void) {
        while (__sync_lock_test_and_set(&lock_word, 1))
            ;
    }

    void spin_unlock(void) {
        __sync_lock_release(&lock_word);
    }
    ```

    ## Limitations
    Lock words are matched by global name or field name within one file, and a release through
    a pointer parameter (`*l = 0`) only in functions named like an unlock. Releases written as
    a relaxed atomic store are left to CC306. Locks released in another file are missed. With
    MSVC, `/volatile:ms` gives volatile stores release semantics; it is the default for x64 and
    ARM64EC, while ARM and ARM64 targets default to `/volatile:iso` (no ordering).

    ## References
    - GCC `__sync` builtins (`__sync_lock_test_and_set`, `__sync_lock_release`): https://gcc.gnu.org/onlinedocs/gcc/_005f_005fsync-Builtins.html
    - GCC `__atomic` builtins: https://gcc.gnu.org/onlinedocs/gcc/_005f_005fatomic-Builtins.html
    - MSVC `/volatile`: https://learn.microsoft.com/en-us/cpp/build/reference/volatile-volatile-keyword-interpretation
    """

    code = "CC303"
    name = "spinlock-plain-store-release"
    summary = "Hand-written spinlock released with a plain store"
    languages = frozenset({"c", "cpp"})
    severity = Severity.WARNING
    impact = Impact.SILENT_BEHAVIOUR_CHANGE
    confidence = Confidence.MEDIUM
    tags = ("concurrency", "memory-ordering", "locking")
    effort_minutes = 20
    prefilter = (b"__sync_lock_test_and_set", b"_compare_and_swap", b"__atomic_exchange", b"__atomic_test_and_set",
                 b"__atomic_compare_exchange", b"InterlockedExchange", b"InterlockedCompareExchange")

    def check_file(self, ctx):
        masked = ctx.masked
        # cheap screen: an acquire builtin and a plain store of zero somewhere in the file
        if not _ACQUIRE.search(masked) or not _PLAIN_ZERO_STORE.search(masked):
            return
        idx = cc.index(ctx)
        if idx is None:
            return
        acquires: dict[tuple[str, str], list[tuple[cc.Function, object, str]]] = {}
        for fn in idx.functions:
            for call in cc.descendants(fn.body, {"call_expression"}):
                name = cc.call_name(call)
                if name not in _ACQUIRE_NAMES and not _MSVC.match(name):
                    continue
                if idx.function_at(call.start_byte) is not fn:
                    continue
                if cc.loop_of(call, fn.body) is None and not _LOCKISH.search(fn.name):
                    continue
                args = cc.call_args(call)
                key = object_of_address(args[0], fn, idx) if args else None
                if key is None:
                    continue
                if key[0] in ("global", "field") and idx.is_atomic(key[1], key[0] == "field"):
                    continue
                acquires.setdefault(key, []).append((fn, call, name))
        if not acquires:
            return
        for fn in idx.functions:
            for n in cc.descendants(fn.body, {"assignment_expression"}):
                op = n.child_by_field_name("operator")
                right = n.child_by_field_name("right")
                if op is None or cc.text(op) != "=" or right is None or not _ZERO.match(cc.squash(cc.text(right))):
                    continue
                if idx.function_at(n.start_byte) is not fn:
                    continue
                left = n.child_by_field_name("left")
                key = lock_key(left, fn, idx)
                if key is None or key not in acquires:
                    continue
                here = [a for a in acquires[key] if a[0] is fn and a[1].end_byte <= n.start_byte]
                acq_fn, acq_call, acq_name = here[-1] if here else acquires[key][0]
                same_fn_after = bool(here)
                if not same_fn_after and (not _UNLOCKISH.search(fn.name) or _INITISH.search(fn.name)):
                    continue  # a plain zero store elsewhere: an unlock only in an unlock-like function
                start_sync = acq_call.end_byte if same_fn_after else fn.body.start_byte
                if cc.sync_between(fn, start_sync, n.start_byte):
                    continue  # a fence or another synchronising call orders the release
                target = cc.squash(cc.text(left))
                yield self._finding(ctx, n, target, acq_fn, acq_call, acq_name)

    def _finding(self, ctx, store, target, acq_fn, acq_call, acq_name):
        line = cc.line_of_byte(ctx, acq_call.start_byte)
        obj = target[1:] if target.startswith("*") and "(" not in target else target
        addr = obj if target.startswith("*") and "(" not in target else f"&{obj}"
        if _MSVC.match(acq_name):
            help_ = (f"release with an interlocked operation (`_InterlockedExchange_rel({addr}, 0)` on ARM64, "
                     f"`_InterlockedExchange({addr}, 0)` elsewhere), or make the lock word a C11/C++ atomic and store 0 "
                     "with release order")
        else:
            help_ = (f"release with `__sync_lock_release({addr})` (`stlr` on AArch64) or "
                     f"`__atomic_store_n({addr}, 0, __ATOMIC_RELEASE)`")
        where = f"`{acq_fn.name}()` (line {line})" if acq_fn.name else f"line {line}"
        return ctx.finding(
            self, cc.char_offset(ctx, store.start_byte), cc.char_offset(ctx, store.end_byte),
            f"`{target} = 0` releases the spinlock taken with `{acq_name}` in {where} with a plain store: on "
            "AArch64 that is a plain `str` with no release ordering, so stores made inside the critical section may "
            "become visible after the next thread has seen the lock free (x86-64 keeps stores in order, so it worked "
            "there)",
            help_,
            properties={"lock": target, "acquire": acq_name, "acquire_line": line},
        )
