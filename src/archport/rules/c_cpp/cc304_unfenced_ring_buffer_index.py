from __future__ import annotations

import re

from archport.model import Confidence, Impact, Severity
from archport.rule import Rule
from archport.rules.c_cpp import _concurrency as cc

_COMPARE = frozenset({"==", "!=", "<", ">", "<=", ">=", "-"})


def updated(masked: str, names: set[str]) -> bool:
    """Cheap screen: one of the names is used in an array index (or copied to a local) and is
    incremented or assigned somewhere."""
    if not names:
        return False
    alt = "|".join(sorted(map(re.escape, names)))
    if not re.search(r"\[[^\]\[;{}]{0,60}?(?:%s)\b|=\s*[\w>.-]{0,40}?(?:%s)\s*;" % (alt, alt), masked):
        return False
    return re.search(r"(?:%s)\s*(?:\+\+|--|[-+&|]?=(?!=))|(?:\+\+|--)\s*(?:\w+\s*(?:->|\.)\s*)*(?:%s)\b" % (alt, alt),
                     masked) is not None


def compared_elsewhere(idx: cc.Index, targets, key, producer: cc.Function) -> cc.Function | None:
    """Another function that compares the index with something (the consumer's `head == tail`)."""
    for fn in idx.functions:
        if fn is producer or fn.name == producer.name:
            continue
        for n in cc.descendants(fn.body, {"binary_expression"}):
            op = n.child_by_field_name("operator")
            if op is None or cc.text(op) not in _COMPARE:
                continue
            for side in (n.child_by_field_name("left"), n.child_by_field_name("right")):
                if side is not None and cc.access_key(side, targets, fn) == key:
                    return fn
    return None


class UnfencedRingBufferIndex(Rule):
    """Lock-free ring buffer whose volatile index is published without ordering.

    ## What it does
    Checks for single-producer/single-consumer queues built on `volatile` indices: a
    function stores into a shared array element indexed by a volatile index (`buf[tail % N]
    = v`, also through a local copy of the index) and then advances that index with a plain
    store (`tail++`, `rb->tail = next`), with no lock, fence or atomic operation in the
    function, while another function of the file compares the index (`head == tail`).

    ## Why is this a problem on ARM64?
    The queue is correct on x86-64 only because TSO keeps the two stores in order (slot,
    then index) and the consumer's two loads in order (index, then slot). `volatile` adds no
    ordering: GCC emits plain `str`/`ldr` on AArch64, which may become visible out of order.
    The consumer can see the new index before the slot is written and read a stale or
    half-written entry; symmetrically, the producer can reuse a slot before the consumer's
    read of it has completed. Failures are rare, load-dependent and grow with core count.

    ## Example
    ```c
    #define N 256
    struct ring { int buf[N]; volatile unsigned head, tail; };

    int push(struct ring *r, int v) {
        if (r->tail - r->head == N)
            return 0;
        r->buf[r->tail % N] = v;
        r->tail++;
        return 1;
    }

    int pop(struct ring *r, int *v) {
        if (r->head == r->tail)
            return 0;
        *v = r->buf[r->head % N];
        r->head++;
        return 1;
    }
    ```

    Use instead:
    ```c
    #include <stdatomic.h>
    #define N 256
    struct ring { int buf[N]; atomic_uint head, tail; };

    int push(struct ring *r, int v) {
        unsigned t = atomic_load_explicit(&r->tail, memory_order_relaxed);
        if (t - atomic_load_explicit(&r->head, memory_order_acquire) == N)
            return 0;
        r->buf[t % N] = v;
        atomic_store_explicit(&r->tail, t + 1, memory_order_release);
        return 1;
    }

    int pop(struct ring *r, int *v) {
        unsigned h = atomic_load_explicit(&r->head, memory_order_relaxed);
        if (h == atomic_load_explicit(&r->tail, memory_order_acquire))
            return 0;
        *v = r->buf[h % N];
        atomic_store_explicit(&r->head, h + 1, memory_order_release);
        return 1;
    }
    ```

    ## Limitations
    Only indices declared `volatile` in the scanned file are considered: plain (non-volatile)
    indices are far more often single-threaded ring buffers than concurrent ones, so they are
    not reported. Indices declared in a header, queues split over several files, and indices
    read through `READ_ONCE`-style macros are missed. The producer's store is reported; the
    consumer needs the acquire load (and a release store of its own index) too.

    ## References
    - Arm, "Learn the architecture: memory ordering" (message passing): https://developer.arm.com/documentation/102336/latest
    - C11 7.17 Atomics (`memory_order_release`/`memory_order_acquire`): https://en.cppreference.com/w/c/atomic/memory_order
    - GCC, "When is a Volatile Object Accessed?": https://gcc.gnu.org/onlinedocs/gcc/Volatiles.html
    """

    code = "CC304"
    name = "unfenced-ring-buffer-index"
    summary = "Lock-free ring buffer whose volatile index is published without ordering"
    languages = frozenset({"c", "cpp"})
    severity = Severity.WARNING
    impact = Impact.SILENT_BEHAVIOUR_CHANGE
    confidence = Confidence.MEDIUM
    tags = ("concurrency", "memory-ordering")
    effort_minutes = 60
    prefilter = (b"volatile",)

    def check_file(self, ctx):
        masked = ctx.masked
        if not updated(masked, cc.volatile_names(masked, integral=True)):
            return
        idx = cc.index(ctx)
        if idx is None:
            return
        targets = cc.volatile_objects(idx)
        if not targets:
            return
        for fn in idx.functions:
            for slot, update, key in cc.index_publications(fn, idx, targets):
                consumer = compared_elsewhere(idx, targets, key, fn)
                if consumer is None:
                    continue
                target = update.child_by_field_name("left" if update.type == "assignment_expression" else "argument")
                index = cc.squash(cc.text(target))
                line = cc.line_of_byte(ctx, slot.start)
                yield ctx.finding(
                    self, cc.char_offset(ctx, update.start_byte), cc.char_offset(ctx, update.end_byte),
                    f"`{index}` is a volatile ring-buffer index: `{fn.name}()` writes the slot `{slot.shown}` "
                    f"(line {line}) and then advances `{index}` with a plain store, and `{consumer.name}()` reads the "
                    "index to find filled slots. On AArch64 these are plain `str`/`ldr` that may become visible out "
                    "of order, so the consumer may see the new index before the slot is written and read a stale "
                    "entry (x86-64 keeps stores in order and loads in order, so it worked there)",
                    (f"make the indices `std::atomic`: after writing the slot publish with "
                     f"`{index}.store(next, std::memory_order_release)` (`stlr`), and in the consumer read the index "
                     "with `load(std::memory_order_acquire)` (`ldar`) before reading the slot; the consumer's own index "
                     "needs the same release/acquire pairing") if idx.cpp else
                    (f"make the indices atomic: after writing the slot publish with "
                     f"`atomic_store_explicit(&{index}, next, memory_order_release)` (`stlr`), and in the consumer read "
                     "the index with `atomic_load_explicit(..., memory_order_acquire)` (`ldar`) before reading the slot; "
                     "the consumer's own index needs the same release/acquire pairing"),
                    properties={"index": index, "slot": slot.shown, "producer": fn.name, "consumer": consumer.name},
                )
