from __future__ import annotations

import re

from archport.model import Confidence, Impact, Severity
from archport.rule import Rule

_TYPES = r"(Int|Long|Object|Reference|Boolean|Byte|Short|Char|Float|Double)"
#: `U.putOrderedInt(obj, OFFSET, v)`, `U.putIntRelease(...)`: stores with release semantics
_RELEASE_STORE = re.compile(r"\.\s*(?:putOrdered" + _TYPES + r"|put" + _TYPES + r"Release)\s*\(")
#: `U.getInt(obj, OFFSET)`: a plain read (no Volatile/Acquire/Opaque suffix)
_PLAIN_GET = re.compile(r"\b(\w+)\s*\.\s*get" + _TYPES + r"\s*\(")
_UNSAFE = re.compile(r"\b(?:sun\.misc|jdk\.internal\.misc)\.Unsafe\b|\bUnsafe\b")
_LOOP = re.compile(r"\bwhile\s*\(")
_METHOD_HEAD = re.compile(r"(\w+)\s*\([^{};]*\)\s*(?:throws\s+[\w.,\s]+)?$")
_CONTROL = frozenset({"while", "for", "if", "switch", "catch", "synchronized", "try"})
_FENCE = re.compile(r"\.\s*(?:loadFence|fullFence|acquireFence)\s*\(")


def _args(masked: str, open_paren: int, close: int) -> list[str]:
    """Top-level comma-separated arguments of the call whose parentheses are given."""
    args, depth, start = [], 0, open_paren + 1
    for i in range(open_paren + 1, close):
        c = masked[i]
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        elif c == "," and depth == 0:
            args.append(masked[start:i])
            start = i + 1
    args.append(masked[start:close])
    return [re.sub(r"\s+", "", a) for a in args]


class UnsafeMemoryOrderingAssumption(Rule):
    """Spin loop reads an `Unsafe` release-published field without acquire semantics.

    ## What it does
    Checks for Java code that publishes a field through `sun.misc.Unsafe` /
    `jdk.internal.misc.Unsafe` with a release store (`putOrderedInt/Long/Object`, the
    `lazySet` of the atomics, or `putIntRelease`…) and waits for it in a `while (...)`
    condition with a plain `getInt/getLong/getObject` of the same field offset — no
    `getIntVolatile`, `getIntAcquire` or `loadFence()` in the waiting method.

    ## Why is this a problem on ARM64?
    A release store orders the writes before it, but the reader must load the flag with
    acquire semantics for those writes to be visible after it sees the flag. x86's total store
    order never reorders a load with a later load, so a plain read happens to work there; the
    AArch64 memory model lets later loads be satisfied before the flag load, so the consumer
    can see the flag set and still read stale data. Under the Java memory model the plain read
    is a data race on every platform (the JIT may also hoist it out of the loop); AArch64 is
    where it shows.

    ## Example
    ```java
    final class Mailbox {
        private static final sun.misc.Unsafe U = UnsafeAccess.UNSAFE;
        private static final long READY = UnsafeAccess.fieldOffset(Mailbox.class, "ready");
        private int ready;
        private long payload;

        void publish(long v) { payload = v; U.putOrderedInt(this, READY, 1); }

        long take() {
            while (U.getInt(this, READY) == 0) { Thread.onSpinWait(); }
            return payload;
        }
    }
    ```

    Use instead:
    ```java
    final class Mailbox {
        private static final sun.misc.Unsafe U = UnsafeAccess.UNSAFE;
        private static final long READY = UnsafeAccess.fieldOffset(Mailbox.class, "ready");
        private int ready;
        private long payload;

        void publish(long v) { payload = v; U.putOrderedInt(this, READY, 1); }

        long take() {
            while (U.getIntVolatile(this, READY) == 0) { Thread.onSpinWait(); }
            return payload;
        }
    }
    ```

    ## Limitations
    Only offsets written the same way in the store and the read are matched, within one file;
    reads outside a `while` condition are not reported (single-writer code such as JCTools
    reads its own index with plain loads on purpose). Plain `put*` stores paired with volatile
    reads, and `VarHandle` code, are not examined: `VarHandle` `setRelease`/`getAcquire` and
    `AtomicInteger`/`AtomicLong` are the portable forms.

    ## References
    - JEP 193, Variable Handles (release/acquire access modes): https://openjdk.org/jeps/193
    - Doug Lea, Using JDK 9 Memory Order Modes: https://gee.cs.oswego.edu/dl/html/j9mm.html
    """

    code = "JV301"
    name = "unsafe-memory-ordering-assumption"
    summary = "Spin loop reads an `Unsafe` release-published field without acquire semantics"
    languages = frozenset({"java"})
    severity = Severity.INFO
    impact = Impact.SILENT_BEHAVIOUR_CHANGE
    confidence = Confidence.LOW
    tags = ("memory-model", "concurrency")
    effort_minutes = 20
    prefilter = (b"putOrdered", b"Release(")

    def check_file(self, ctx):
        masked = ctx.masked
        if not _UNSAFE.search(masked):
            return
        published: dict[str, str] = {}  # offset expression -> the store method
        for m in _RELEASE_STORE.finditer(masked):
            open_paren = m.end() - 1
            close = ctx.matching_paren(open_paren, limit=400) - 1  # the `)`
            if close < 0:
                continue
            args = _args(masked, open_paren, close)
            if len(args) == 3 and args[1]:
                published.setdefault(args[1], m.group().lstrip(".").strip().rstrip("(").strip())
        if not published:
            return
        for loop in _LOOP.finditer(masked):
            open_paren = loop.end() - 1
            close = ctx.matching_paren(open_paren, limit=400) - 1  # the `)`
            if close < 0:
                continue
            for g in _PLAIN_GET.finditer(masked, open_paren, close):
                call_open = g.end() - 1
                call_close = ctx.matching_paren(call_open, limit=300) - 1
                if call_close < 0 or call_close > close:
                    continue
                args = _args(masked, call_open, call_close)
                if len(args) != 2 or args[1] not in published:
                    continue
                if self._has_fence(ctx, masked, loop.start()):
                    continue
                kind = g.group(2)
                store = published[args[1]]
                read = masked[g.start():call_close + 1]
                yield ctx.finding(
                    self, g.start(), call_close + 1,
                    f"`{read}` waits for a field published with `{store}` (a release store) but reads it without "
                    "acquire semantics: x86 never reorders loads with later loads, AArch64 may, so the data written "
                    "before the release can still look stale after the flag is seen",
                    f"read it with `{g.group(1)}.get{kind}Volatile(...)` (or `get{kind}Acquire` on JDK 9+), or move the "
                    "field to a VarHandle with `setRelease`/`getAcquire` or an `AtomicInteger`/`AtomicLong`",
                    properties={"read": f"get{kind}", "store": store, "offset": args[1]},
                )

    @staticmethod
    def _has_fence(ctx, masked: str, offset: int) -> bool:
        """Whether the method around offset issues an explicit load/full fence."""
        brace, end = max(0, offset - 600), min(len(masked), offset + 600)
        p = offset
        for _ in range(50):  # walk out through the enclosing blocks to the method body
            p = masked.rfind("{", 0, p)
            if p < 0:
                break
            close = ctx.matching_paren(p)
            if close < 0 or close <= offset:
                continue
            head = _METHOD_HEAD.search(masked, max(0, p - 300), p)
            if head is not None and head.group(1) not in _CONTROL:
                brace, end = p, close
                break
        return bool(_FENCE.search(masked, brace, end))
