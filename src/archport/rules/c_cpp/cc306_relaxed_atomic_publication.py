from __future__ import annotations

import re

from archport.model import Confidence, Impact, Severity
from archport.rule import Rule
from archport.rules.c_cpp import _concurrency as cc
from archport.rules.c_cpp import _deep

_RELAXED = re.compile(r"\b(?:memory_order_relaxed|__ATOMIC_RELAXED|memory_order::relaxed)\b")
_SCREEN = re.compile(
    r"(?:atomic_store_explicit|__atomic_store_n|__atomic_store|atomic_load_explicit|__atomic_load_n|__atomic_load)"
    r"\s*\(|[.>]\s*(?:store|load)\s*\("
)
_RELAXED_LITERAL = re.compile(r"memory_order_relaxed|__ATOMIC_RELAXED|memory_order::relaxed")
_STORE_FUNCS = {"atomic_store_explicit": 1, "std::atomic_store_explicit": 1, "__atomic_store_n": 1,
                "__atomic_store": 1}
_LOAD_FUNCS = frozenset({"atomic_load_explicit", "std::atomic_load_explicit", "__atomic_load_n", "__atomic_load"})
_ZERO = re.compile(r"^(?:\(\w[\w\s*]*\))?(?:0[uUlL]*|0x0+|false|FALSE|NULL|nullptr|0\.0f?)$")
_CONSTANT = re.compile(r"^(?:\(\w[\w\s*]*\))?(?:[1-9]\d*[uUlL]*|0x[0-9a-fA-F]*[1-9a-fA-F][0-9a-fA-F]*[uUlL]*|true|TRUE"
                       r"|[A-Z][A-Z0-9_]+)$")
#: atomics that count rather than signal (reference counts, statistics, sequence numbers)
_COUNTER = re.compile(r"(?i)ref|count|cnt|num|size|len|stat|total|hits|miss|bytes|seq|gen|epoch|tick|time|clock|id$")
#: how many statements before a relaxed store are looked at for the data it publishes
_NEAR_FLAG = 3
_NEAR_POINTER = 6
_QUIET_LOOP_CALL = re.compile(r"(?i)pause|yield|relax|sleep|spin|cpu_relax|wait|nop|backoff|sched_yield")


def atomic_access(call, deep=None) -> tuple[str, object, object | None] | None:
    """('store'|'load', object node, value node) for a relaxed atomic store or load call (in
    deep mode, relaxed as libclang evaluates the order, e.g. through a macro)."""
    name = cc.call_name(call)
    args = cc.call_args(call)
    relaxed = cc.deep_relaxed(deep, call)
    if not args or not (_RELAXED.search(cc.text(args[-1])) if relaxed is None else relaxed):
        return None
    base = name.rsplit("::", 1)[-1] if name.startswith("std::") else name
    if name in _STORE_FUNCS or base in _STORE_FUNCS:
        if len(args) < 3:
            return None
        value = args[1]
        if name.endswith("__atomic_store"):  # __atomic_store(p, &v, order)
            value = value.child_by_field_name("argument") if cc.text(value).startswith("&") else value
        return "store", args[0], value
    if name in _LOAD_FUNCS or base in _LOAD_FUNCS:
        return "load", args[0], None
    fn = call.child_by_field_name("function")
    if fn is not None and fn.type == "field_expression":
        member = fn.child_by_field_name("field")
        obj = fn.child_by_field_name("argument")
        if member is not None and cc.text(member) == "store" and len(args) == 2:
            return "store", obj, args[0]
        if member is not None and cc.text(member) == "load" and len(args) == 1:
            return "load", obj, None
    return None


def object_text(node) -> str:
    t = cc.squash(cc.text(node))
    return t[1:] if t.startswith("&") else t


class RelaxedAtomicPublication(Rule):
    """Relaxed atomic used to publish data to another thread.

    ## What it does
    Checks for `memory_order_relaxed` / `__ATOMIC_RELAXED` atomics that publish or consume
    other data: a relaxed store that publishes a pointer to an object the function has just
    filled in (`n->value = v; atomic_store_explicit(&head, n, memory_order_relaxed)`) or
    raises a flag (non-zero constant) after plain stores to shared memory; and a relaxed load
    in a wait loop (`while (!atomic_load_explicit(&ready, memory_order_relaxed)) ;`) followed
    by reads of shared data. Relaxed counters, statistics, reference counts, read-modify-write
    operations and stores of zero are not reported.

    ## Why is this a problem on ARM64?
    A relaxed atomic is atomic but orders nothing else. On x86-64 that makes no difference:
    every store is a release and every load an acquire (TSO), so the compiler's plain `mov`
    publishes correctly. On AArch64 a relaxed store is a plain `str` and a relaxed load a plain
    `ldr` (GCC 12), so another core may see the pointer or flag before the data written before
    it, or read the data before the flag, and get stale values.

    ## Example
    ```c
    #include <stdatomic.h>
    struct node { int value; struct node *next; };
    static _Atomic(struct node *) head;

    void push(struct node *n, int v) {
        n->value = v;
        n->next = atomic_load_explicit(&head, memory_order_relaxed);
        atomic_store_explicit(&head, n, memory_order_relaxed);
    }
    ```

    Use instead:
    ```c
    #include <stdatomic.h>
    struct node { int value; struct node *next; };
    static _Atomic(struct node *) head;

    void push(struct node *n, int v) {
        n->value = v;
        n->next = atomic_load_explicit(&head, memory_order_relaxed);
        atomic_store_explicit(&head, n, memory_order_release);
    }
    ```

    ## Limitations
    Only relaxed operations spelled out in the scanned file are seen: macros that wrap
    relaxed atomics (e.g. `atomicSet(var, v)`) are not expanded. The data must be written by
    the statements just before the relaxed store in the same block (three for a flag, six
    for a pointer), or read by the three statements after the wait loop. Atomics whose names look
    like counters (`refcount`, `stats`, `seq`, …) are skipped, as are loads whose result is
    only dereferenced (an address dependency orders those on AArch64 hardware).

    ## References
    - C11/C++11 `memory_order`: https://en.cppreference.com/w/cpp/atomic/memory_order
    - GCC `__atomic` builtins: https://gcc.gnu.org/onlinedocs/gcc/_005f_005fatomic-Builtins.html
    - Arm, "Learn the architecture: memory ordering": https://developer.arm.com/documentation/102336/latest
    """

    code = "CC306"
    name = "relaxed-atomic-publication"
    summary = "Relaxed atomic used to publish data to another thread"
    languages = frozenset({"c", "cpp"})
    severity = Severity.WARNING
    impact = Impact.SILENT_BEHAVIOUR_CHANGE
    confidence = Confidence.MEDIUM
    tags = ("concurrency", "memory-ordering", "atomics")
    effort_minutes = 20
    prefilter = (b"memory_order_relaxed", b"__ATOMIC_RELAXED", b"memory_order::relaxed")
    #: deep mode: offered every file of the compilation database (the order may be a macro from a header)
    deep_offer = True

    def check_file(self, ctx):
        masked = ctx.masked
        if not _SCREEN.search(masked) or not (_RELAXED_LITERAL.search(masked) or getattr(ctx, "deep_available", False)):
            return
        idx = cc.index(ctx)
        if idx is None:
            return
        for fn in idx.functions:
            for call in cc.descendants(fn.body, {"call_expression"}):
                access = atomic_access(call, fn.deep)
                if access is None or idx.function_at(call.start_byte) is not fn:
                    continue
                kind, obj, value = access
                if kind == "store":
                    f = self._store(ctx, idx, fn, call, obj, value)
                else:
                    f = self._load(ctx, idx, fn, call, obj)
                if f is not None:
                    yield f

    # -- a relaxed store after plain stores -----------------------------------------------------

    def _store(self, ctx, idx, fn, call, obj, value):
        target = object_text(obj)
        if _COUNTER.search(re.split(r"->|\.", target)[-1]) or value is None:
            return None
        v = cc.squash(cc.text(value))
        if _ZERO.match(v):
            return None
        pointer = cc.unparen(value).type == "identifier" and not _CONSTANT.match(v)
        if not pointer and not _CONSTANT.match(v):
            return None  # a computed value: a counter or a state, not a flag or a pointer
        target_word = re.compile(r"(?<![\w>.])%s(?![\w])" % re.escape(target))
        # the data are written by the statements just before, in the same block
        stmt = cc.statement_of(call, fn.body)
        block = stmt.parent
        if block is None or block.type != "compound_statement":
            return None
        siblings = [c for c in block.named_children if c.type != "comment"]
        i = next((k for k, c in enumerate(siblings) if c.id == stmt.id), 0)
        near = [c for c in siblings[max(0, i - (_NEAR_POINTER if pointer else _NEAR_FLAG)):i]
                if c.type in ("expression_statement", "declaration")]
        data = None
        for st in cc.stores(fn, idx):
            if st.end > call.start_byte:
                break
            if not any(c.start_byte <= st.start < c.end_byte for c in near):
                continue
            if target_word.search(st.target) or cc.sync_between(fn, st.end, call.start_byte):
                continue
            root = cc.root_identifier(st.node)
            if pointer:
                # the object behind the published pointer is filled in first
                if root is not None and cc.text(root) == v and st.node.type != "identifier":
                    data = st
            elif st.shared and not self._initialising(fn, obj, st):
                data = st
        if data is None:
            return None
        line = cc.line_of_byte(ctx, data.start)
        what = f"publishes `{v}` to `{target}`" if pointer else f"sets `{target}` to `{v}`"
        return ctx.finding(
            self, cc.char_offset(ctx, call.start_byte), cc.char_offset(ctx, call.end_byte),
            f"relaxed atomic store {what} after the plain store to `{data.shown}` (line {line}): "
            "`memory_order_relaxed` orders nothing else (AArch64 `str`), so another thread that sees the new value "
            f"may still read the old `{data.shown}` (x86-64 keeps stores in order, so it worked there)",
            "use `memory_order_release` for this store (`stlr` on AArch64; `__ATOMIC_RELEASE` for the `__atomic` "
            "builtins) and `memory_order_acquire` for the load that reads it",
            properties={**(_deep.ANALYSIS if fn.deep is not None else {}), "atomic": target, "value": v,
                        "data": data.shown, "data_line": line, "side": "store"},
        )

    @staticmethod
    def _initialising(fn, obj, st) -> bool:
        """The data store and the atomic are fields of one object that a local pointer of the
        function holds (`r = alloc(); r->kind = K; atomic_store(&r->slots, 3, relaxed)`): an
        object being initialised before it is published, not a publication."""
        a, b = cc.root_identifier(obj), cc.root_identifier(st.node)
        if a is None or b is None or cc.text(a) != cc.text(b):
            return False
        local = fn.locals().get(cc.text(a))
        return local is not None and cc.text(a) not in fn.params and "static" not in local.qualifiers

    # -- a relaxed load in a wait loop, then reads of shared data -----------------------------

    def _load(self, ctx, idx, fn, call, obj):
        loop = cc.loop_of(call, fn.body)
        if loop is None:
            return None
        cond = cc.loop_condition(loop)
        if cond is None or not cc.in_subtree(call, cond):
            return None
        body = loop.child_by_field_name("body")
        if body is not None and not self._waiting(fn, idx, body):
            return None
        target = object_text(obj)
        if _COUNTER.search(re.split(r"->|\.", target)[-1]):
            return None
        loaded = self._assigned_from(cond)
        parent = loop.parent
        if parent is None or parent.type != "compound_statement":
            return None
        after = []
        seen = False
        for s in parent.named_children:
            if s.id == loop.id:
                seen = True
                continue
            if seen:
                after.append(s)
            if len(after) == 3:
                break
        for s in after:
            if self._orders(s):
                return None
            read = self._shared_read(fn, idx, s, target, loaded)
            if read is not None:
                line = cc.line_of_byte(ctx, s.start_byte)
                return ctx.finding(
                    self, cc.char_offset(ctx, call.start_byte), cc.char_offset(ctx, call.end_byte),
                    f"relaxed atomic load of `{target}` in this wait loop guards the read of `{read}` after it "
                    f"(line {line}): `memory_order_relaxed` orders nothing else (AArch64 `ldr`), so that read may be "
                    f"satisfied before `{target}` is seen to change and return stale data (x86-64 does not reorder "
                    "loads, so it worked there)",
                    "load with `memory_order_acquire` (`ldar` on AArch64; `__ATOMIC_ACQUIRE` for the `__atomic` "
                    "builtins), or put `atomic_thread_fence(memory_order_acquire)` (`dmb ishld`) after the loop",
                    properties={**(_deep.ANALYSIS if fn.deep is not None else {}), "atomic": target, "data": read, "data_line": line, "side": "load"},
                )
        return None

    @staticmethod
    def _waiting(fn, idx, body) -> bool:
        """The loop body only waits: no store to shared memory, only pause/yield/sleep calls."""
        for n in cc.descendants(body, {"assignment_expression", "update_expression", "call_expression"}):
            if n.type == "call_expression":
                if not _QUIET_LOOP_CALL.search(cc.call_name(n)) and not cc.ordering_call(n):
                    return False
            else:
                t = n.child_by_field_name("left" if n.type == "assignment_expression" else "argument")
                if t is not None and cc.shared_target(fn, idx, t):
                    return False
        return True

    @staticmethod
    def _assigned_from(cond) -> set[str]:
        """Locals assigned in the loop condition (`while (!(p = atomic_load(...)))`)."""
        out = set()
        for a in cc.descendants(cond, {"assignment_expression"}):
            left = a.child_by_field_name("left")
            if left is not None and left.type == "identifier":
                out.add(cc.text(left))
        return out

    @staticmethod
    def _orders(stmt) -> bool:
        return any(cc.ordering_call(c) for c in cc.descendants(stmt, {"call_expression"}))

    @staticmethod
    def _shared_read(fn, idx, stmt, target, loaded) -> str | None:
        """Text of the first read of shared memory in stmt that is not the atomic itself nor a
        dereference of a value loaded from it."""
        for n in cc.descendants(stmt, {"field_expression", "subscript_expression", "pointer_expression", "identifier"}):
            t = cc.squash(cc.text(n))
            if t == target or t.startswith(target + "->") or t.startswith(target + "."):
                continue
            root = cc.root_identifier(n)
            if root is not None and cc.text(root) in loaded:
                continue
            parent = n.parent
            if parent is not None and parent.type == "call_expression" and parent.child_by_field_name("function") == n:
                continue
            if n.type == "identifier":
                if parent is not None and parent.type in ("field_expression", "subscript_expression", "pointer_expression"):
                    continue
                name = cc.text(n)
                decls = idx.globals.get(name)
                if not decls or name in fn.locals() or any(d.atomic or "const" in d.qualifiers for d in decls):
                    continue
                return name
            if n.type == "pointer_expression" and not t.startswith("*"):
                continue
            if n.type == "field_expression" and parent is not None and parent.type == "field_expression":
                continue
            if cc.shared_target(fn, idx, n):
                decl_atomic = n.type == "field_expression" and idx.is_atomic(t.split("->")[-1].split(".")[-1], True)
                if not decl_atomic:
                    return t
        return None
