from __future__ import annotations

import re

from archport.model import Confidence, Impact, Severity
from archport.rule import Rule
from archport.rules.c_cpp import _concurrency as cc

_LOOPS = frozenset({"while_statement", "do_statement", "for_statement"})


class VolatileFlagSynchronization(Rule):
    """Volatile flag used to hand data from one thread to another.

    ## What it does
    Checks for a `volatile` object (file-scope variable or struct field, not `sig_atomic_t`)
    that one function of the file stores after writing other shared data, and that another
    function of the file waits for in a loop (`while (!ready)`, `while (done == 0)`,
    `do … while (flag)`). Flags set by a signal handler, waits where one function calls the
    other (one thread), and stop flags that publish no data are not reported.

    ## Why is this a problem on ARM64?
    `volatile` stops the compiler from caching or dropping the access, but it does not order
    it with other memory accesses: GCC compiles a volatile store to a plain `str` and a
    volatile load to a plain `ldr`. x86-64 keeps stores in order and loads in order (TSO),
    so the waiting thread always saw the data written before the flag. AArch64 is weakly
    ordered: another core may observe the flag set before the data, or read the data before
    the flag, and get stale values. The failure is intermittent and grows with core count.

    ## Example
    ```c
    struct job { int len; char buf[64]; };
    static struct job job;
    static volatile int ready;

    void post(int len) {
        job.len = len;
        ready = 1;
    }

    int wait_job(void) {
        while (!ready)
            ;
        return job.len;
    }
    ```

    Use instead:
    ```c
    #include <stdatomic.h>
    struct job { int len; char buf[64]; };
    static struct job job;
    static atomic_int ready;

    void post(int len) {
        job.len = len;
        atomic_store_explicit(&ready, 1, memory_order_release);
    }

    int wait_job(void) {
        while (!atomic_load_explicit(&ready, memory_order_acquire))
            ;
        return job.len;
    }
    ```

    ## Limitations
    Only flags declared in the scanned file are seen (a `volatile` field declared in a header
    is missed), fields are matched by name, and threads are not identified: the rule relies on
    the writer and the waiter being different functions that do not call each other. A
    volatile flag that publishes no data (a pure stop request) is not reported, although it is
    still a data race in C11/C++11. Ring-buffer indices are left to CC304. MSVC's
    `/volatile:ms` (the default for x64 and ARM64EC, not for ARM64) gives volatile accesses
    acquire/release semantics; code built that way is not at risk.

    ## References
    - GCC, "When is a Volatile Object Accessed?": https://gcc.gnu.org/onlinedocs/gcc/Volatiles.html
    - Arm, "Synchronization overview" (Learn the architecture: memory ordering): https://developer.arm.com/documentation/102336/latest
    - C11 7.17 Atomics (`memory_order_release`/`memory_order_acquire`): https://en.cppreference.com/w/c/atomic/memory_order
    """

    code = "CC302"
    name = "volatile-flag-synchronization"
    summary = "Volatile flag used to hand data from one thread to another"
    languages = frozenset({"c", "cpp"})
    severity = Severity.WARNING
    impact = Impact.SILENT_BEHAVIOUR_CHANGE
    confidence = Confidence.MEDIUM
    tags = ("concurrency", "memory-ordering")
    effort_minutes = 45
    prefilter = (b"volatile",)

    def check_file(self, ctx):
        masked = ctx.masked
        if not cc.polled(masked, cc.volatile_names(masked)):
            return
        idx = cc.index(ctx)
        if idx is None:
            return
        targets = cc.volatile_objects(idx)
        if not targets:
            return
        writes: dict[tuple[str, bool], list[tuple[cc.Function, object]]] = {}
        changes: dict[tuple[str, bool], list[object]] = {}
        waits: list[tuple[cc.Function, object, tuple[str, bool]]] = []
        for fn in idx.functions:
            for n in cc.descendants(fn.body, {"assignment_expression", "update_expression"} | _LOOPS):
                if idx.function_at(n.start_byte) is not fn:
                    continue  # a nested lambda is its own function
                if n.type == "assignment_expression":
                    key = cc.access_key(n.child_by_field_name("left"), targets, fn)
                    if key is not None:
                        changes.setdefault(key, []).append(n)
                        op = n.child_by_field_name("operator")
                        if op is not None and cc.text(op) == "=":
                            writes.setdefault(key, []).append((fn, n))
                    continue
                if n.type == "update_expression":
                    key = cc.access_key(n.child_by_field_name("argument"), targets, fn)
                    if key is not None:
                        changes.setdefault(key, []).append(n)
                    continue
                cond = cc.loop_condition(n)
                if cond is None:
                    continue
                for key in cc.reads_in(cond, targets, fn):
                    waits.append((fn, n, key))
        handlers = cc.signal_handlers(ctx)
        for waiter, loop, key in waits:
            name = key[0]
            if any(cc.in_subtree(node, loop) for node in changes.get(key, ())):
                continue  # the loop itself updates the object: an ordinary loop, not a wait
            hit = self._publisher(ctx, idx, targets, writes.get(key, ()), waiter, name, handlers)
            if hit is None:
                continue
            writer, store, data = hit
            cond = cc.loop_condition(loop)
            start, end = cc.char_offset(ctx, cond.start_byte), cc.char_offset(ctx, cond.end_byte)
            line = cc.line_of_byte(ctx, store.start_byte)
            obj = cc.squash(cc.text(store.child_by_field_name("left")))
            yield ctx.finding(
                self, start, end,
                f"`{name}` is a volatile flag: `{writer.name}()` sets it (line {line}) after storing `{data}`, and this "
                f"loop in `{waiter.name}()` waits for it. Volatile accesses are plain `str`/`ldr` on AArch64 with no "
                f"ordering, so the waiting thread may see `{name}` change before the store to `{data}` and read stale "
                "data (x86-64 keeps stores in order and loads in order, so it worked there)",
                (f"make `{name}` a `std::atomic`: set it with `{obj}.store(value, std::memory_order_release)` "
                 f"(`stlr`) and poll it with `{obj}.load(std::memory_order_acquire)` (`ldar`); the seq_cst defaults "
                 "also work") if idx.cpp else
                (f"make `{name}` `_Atomic` (e.g. `atomic_int`): set it with "
                 f"`atomic_store_explicit(&{obj}, value, memory_order_release)` (`stlr`) and poll it with "
                 f"`atomic_load_explicit(&{obj}, memory_order_acquire)` (`ldar`); seq_cst `atomic_store`/`atomic_load` "
                 "(the defaults) also work"),
                properties={"flag": name, "field": key[1], "writer": writer.name, "writer_line": line,
                            "waiter": waiter.name, "data": data},
            )

    @staticmethod
    def _publisher(ctx, idx, targets, writes, waiter, name, handlers):
        """(writer function, flag store, data written before it) for the first writer in another
        function that stores shared data before setting the flag."""
        word = re.compile(r"\b%s\b" % re.escape(name))
        for writer, store in writes:
            if writer is waiter or writer.name == waiter.name or writer.name in handlers:
                continue
            if cc.same_thread(ctx, idx, writer.name, waiter.name):
                continue  # one thread: one calls the other, or a third function calls both
            if any(upd.id == store.id for _, upd, _ in cc.index_publications(writer, idx, targets)):
                continue  # a ring-buffer index: CC304
            data = None
            for s in cc.stores(writer, idx):
                if s.start >= store.start_byte:
                    break
                if s.shared and not word.search(s.target) and not cc.sync_between(writer, s.end, store.start_byte):
                    data = s.shown
            if data is not None:
                return writer, store, data
        return None
