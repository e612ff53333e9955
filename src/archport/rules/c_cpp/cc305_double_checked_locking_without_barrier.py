from __future__ import annotations

import re

from archport.model import Confidence, Impact, Severity
from archport.rule import Rule
from archport.rules.c_cpp import _concurrency as cc

_X = r"[A-Za-z_]\w*(?:\s*(?:->|\.|::)\s*[A-Za-z_]\w*)*"
_NULL = r"(?:NULL|nullptr|0|false|FALSE)"
_IF_TEST = re.compile(
    r"if\s*\(\s*(?:!\s*(?P<a>%s)|(?P<b>%s)\s*==\s*%s|%s\s*==\s*(?P<c>%s))\s*\)" % (_X, _X, _NULL, _NULL, _X)
)
#: a lock being taken (not `block(`, `clock(` or an unlock)
_LOCK_WORD = re.compile(
    r"(?:lock|LOCK|Lock)\s*\(|lock_guard|unique_lock|scoped_lock|EnterCriticalSection|AcquireSRWLock|mutex_enter"
)
_LOCK_CALL = re.compile(
    r"(?:^|[.:>_])(?:lock|Lock|LOCK|enter|Enter|acquire|Acquire|lock_\w+|Lock\w+)$|EnterCriticalSection|AcquireSRWLock\w+"
    r"|mtx_lock|mutex_lock|mutex_enter|spin_lock|pthread_mutex_lock|pthread_spin_lock|pthread_rwlock_wrlock"
)
_FENCE_CALL = re.compile(
    r"(?:^|[.:>])(?:atomic_thread_fence|__atomic_thread_fence|__sync_synchronize|MemoryBarrier|__dmb|smp_[rw]?mb"
    r"|smp_store_release|[rw]?mb|_?Interlocked\w+|__sync_\w+|__atomic_store\w*|atomic_store\w*|store)$"
)
_WINDOW = 1500
_THREAD_LOCAL = frozenset({"thread_local", "_Thread_local", "__thread"})


def null_test(cond) -> str | None:
    """`X` when the condition is `!X`, `X == NULL` or `NULL == X` (parentheses allowed)."""
    node = cc.unparen(cond)
    if node is None:
        return None
    if node.type == "unary_expression":
        op = node.child_by_field_name("operator")
        if op is not None and cc.text(op) == "!":
            arg = cc.unparen(node.child_by_field_name("argument"))
            if arg is not None and arg.type in ("identifier", "field_expression", "qualified_identifier"):
                return cc.squash(cc.text(arg))
        return None
    if node.type == "binary_expression":
        op = node.child_by_field_name("operator")
        if op is None or cc.text(op) != "==":
            return None
        left, right = cc.unparen(node.child_by_field_name("left")), cc.unparen(node.child_by_field_name("right"))
        for a, b in ((left, right), (right, left)):
            if a is not None and b is not None and re.fullmatch(_NULL, cc.text(b).strip()) and \
                    a.type in ("identifier", "field_expression", "qualified_identifier"):
                return cc.squash(cc.text(a))
    return None


def screened(masked: str) -> bool:
    """Cheap screen: the same null test twice within a short span with a lock word between."""
    last: dict[str, int] = {}
    for m in _IF_TEST.finditer(masked):
        if m.start() and (masked[m.start() - 1].isalnum() or masked[m.start() - 1] == "_"):
            continue
        x = "".join((m.group("a") or m.group("b") or m.group("c")).split())
        prev = last.get(x)
        if prev is not None and m.start() - prev < _WINDOW and _locks(masked, prev, m.start()):
            between = masked[prev:m.start()]
            if between.count("{") > between.count("}"):  # still inside the first if's block
                return True
        last[x] = m.end()
    return False


def _locks(masked: str, start: int, end: int) -> bool:
    """A lock is taken in masked[start:end]: `lock(`, `mutex_lock(`, `m.lock(`, `AcquireLock(`,
    `LOCK(`, a guard type; not `block(`, `clock(` or an unlock."""
    for m in _LOCK_WORD.finditer(masked, start, end):
        word = m.group(0)
        if not word.endswith("("):
            return True
        j = m.start()
        while j > 0 and (masked[j - 1].isalnum() or masked[j - 1] == "_"):
            j -= 1
        prefix = masked[j:m.start()]
        if (prefix + word[:4]).lower().endswith(("unlock", "un_lock")):
            continue
        if not prefix or prefix.endswith("_"):
            return True
        if word[0] == "L" and word[1] == "o" and (prefix[-1].islower() or prefix[-1].isdigit()):
            return True  # camelCase: AcquireLock(, spinLock(
    return False


class DoubleCheckedLockingWithoutBarrier(Rule):
    """Double-checked locking on a plain variable.

    ## What it does
    Checks for the double-checked locking pattern — `if (!p) { lock; if (!p) { p = …; }
    unlock; }` — where `p` (a pointer or an "initialised" flag: file-scope, static local or
    field) is not an atomic object, so the first test is an unsynchronised plain load and the
    assignment a plain store. A lock can be a call (`pthread_mutex_lock`, `mtx_lock`,
    `EnterCriticalSection`, `m.lock()`, `spin_lock`) or a C++ RAII guard (`std::lock_guard`).

    ## Why is this a problem on ARM64?
    The thread that creates the object writes its fields and then the pointer; the threads on
    the fast path read the pointer and then the fields. x86-64 keeps the creator's stores in
    order and the readers' loads in order, so the pattern happens to work there. AArch64 does
    not: without a release store (`stlr`) on the creator's side and an acquire load (`ldar`)
    or a dependency on the reader's side, a reader can see the pointer (or the flag) set
    before the initialising stores, and use a half-initialised object. The mutex does not help
    the fast path, which never takes it.

    ## Example
    ```c
    #include <pthread.h>
    #include <stdlib.h>
    struct config { int verbose; };
    static struct config *instance;
    static pthread_mutex_t instance_lock = PTHREAD_MUTEX_INITIALIZER;

    struct config *get_config(void) {
        if (!instance) {
            pthread_mutex_lock(&instance_lock);
            if (!instance) {
                struct config *c = calloc(1, sizeof *c);
                c->verbose = 1;
                instance = c;
            }
            pthread_mutex_unlock(&instance_lock);
        }
        return instance;
    }
    ```

    Use instead:
    ```c
    #include <pthread.h>
    #include <stdlib.h>
    struct config { int verbose; };
    static struct config *instance;
    static pthread_once_t instance_once = PTHREAD_ONCE_INIT;

    static void make_config(void) {
        struct config *c = calloc(1, sizeof *c);
        c->verbose = 1;
        instance = c;
    }

    struct config *get_config(void) {
        pthread_once(&instance_once, make_config);
        return instance;
    }
    ```

    ## Limitations
    Only the textbook shape is recognised: the same `!p` / `p == NULL` test in an outer and an
    inner `if`, a lock taken between them and `p` assigned in the inner `if`. Whether `p` is
    atomic is judged from declarations in the scanned file; a member declared `std::atomic` in
    a header is not seen, so C++ members are reported only when the file declares them. A
    writer that uses a release fence before the assignment is not reported even if the reader
    lacks the matching acquire.

    ## References
    - Meyers and Alexandrescu, "C++ and the Perils of Double-Checked Locking" (2004): https://www.aristeia.com/Papers/DDJ_Jul_Aug_2004_revised.pdf
    - Preshing, "Double-Checked Locking is Fixed In C++11": https://preshing.com/20130930/double-checked-locking-is-fixed-in-cpp11/
    - POSIX `pthread_once`: https://pubs.opengroup.org/onlinepubs/9799919799/functions/pthread_once.html
    """

    code = "CC305"
    name = "double-checked-locking-without-barrier"
    summary = "Double-checked locking on a plain variable"
    languages = frozenset({"c", "cpp"})
    severity = Severity.WARNING
    impact = Impact.SILENT_BEHAVIOUR_CHANGE
    confidence = Confidence.MEDIUM
    tags = ("concurrency", "memory-ordering", "locking")
    effort_minutes = 30
    prefilter = (b"lock", b"Lock", b"CriticalSection", b"mtx_")

    def check_file(self, ctx):
        if not screened(ctx.masked):
            return
        idx = cc.index(ctx)
        if idx is None:
            return
        for fn in idx.functions:
            for outer in cc.descendants(fn.body, {"if_statement"}):
                x = null_test(outer.child_by_field_name("condition"))
                if x is None:
                    continue
                body = outer.child_by_field_name("consequence")
                if body is None:
                    continue
                found = self._inner(fn, body, x)
                if found is None:
                    continue
                lock, assign = found
                kind = self._kind(fn, idx, x)
                if kind is None:
                    continue
                yield self._finding(ctx, idx, outer, x, assign, kind)

    @staticmethod
    def _inner(fn, body, x):
        """(lock node, assignment) when body takes a lock and then re-tests x in an inner if
        whose consequence assigns x with a plain store."""
        lock = None
        for n in cc.descendants(body, {"call_expression", "declaration", "if_statement"}):
            if n.type == "call_expression":
                if lock is None and _LOCK_CALL.search(cc.call_name(n)) and "unlock" not in cc.call_name(n).lower():
                    lock = n
            elif n.type == "declaration":
                if lock is None and cc.LOCK_GUARD.search(cc.text(n.child_by_field_name("type") or n)):
                    lock = n
            elif lock is not None and n.start_byte > lock.start_byte and n is not body:
                if null_test(n.child_by_field_name("condition")) != x:
                    continue
                inner = n.child_by_field_name("consequence")
                if inner is None:
                    continue
                for a in cc.descendants(inner, {"assignment_expression", "call_expression"}):
                    if a.type == "call_expression":
                        if _FENCE_CALL.search(cc.call_name(a)):
                            return None  # the creator orders its stores
                        continue
                    op = a.child_by_field_name("operator")
                    left = a.child_by_field_name("left")
                    if op is not None and cc.text(op) == "=" and left is not None and cc.squash(cc.text(left)) == x:
                        return lock, a
        return None

    @staticmethod
    def _kind(fn, idx, x) -> str | None:
        """'C' or 'C++'-independent classification: None when x is atomic, thread-local or a
        plain local; else 'global', 'static' or 'field'."""
        if "->" in x or "." in x:
            field = re.split(r"->|\.", x)[-1]
            decls = idx.fields.get(field)
            if decls and any(d.atomic for d in decls):
                return None
            if idx.cpp and not decls:
                return None  # a member declared in a header may well be std::atomic
            return "field"
        name = x.rsplit("::", 1)[-1]
        local = fn.locals().get(name) if "::" not in x else None
        if local is not None:
            if "static" not in local.qualifiers or local.atomic or _THREAD_LOCAL & local.qualifiers:
                return None
            return "static"
        decls = (idx.globals.get(name) or idx.fields.get(name)) if idx.cpp else idx.globals.get(name)
        if not decls:
            return None
        if any(d.atomic or _THREAD_LOCAL & d.qualifiers for d in decls):
            return None
        return "global"

    def _finding(self, ctx, idx, outer, x, assign, kind):
        cond = outer.child_by_field_name("condition")
        right = assign.child_by_field_name("right")
        value = cc.squash(cc.text(right)) if right is not None else ""
        flag = bool(re.fullmatch(r"(?:1|true|TRUE|!0|\d+)", value))
        line = cc.line_of_byte(ctx, assign.start_byte)
        if flag:
            what = (f"another thread may see `{x}` set, skip the lock and read data whose initialising stores are "
                    "not yet visible to it")
        else:
            what = (f"another thread may see `{x}` non-null before the stores that initialised the object are visible, "
                    "and use a half-initialised object")
        if idx.cpp:
            help_ = (f"make `{x}` a `std::atomic`: test it with `load(std::memory_order_acquire)` and publish with "
                     "`store(value, std::memory_order_release)`, or use a function-local static (initialisation is "
                     "thread-safe since C++11) or `std::call_once`")
        else:
            help_ = (f"declare `{x}` `_Atomic`: test it with `atomic_load_explicit(&{x}, memory_order_acquire)` (`ldar`) "
                     f"and publish with `atomic_store_explicit(&{x}, value, memory_order_release)` (`stlr`), or "
                     "initialise through `pthread_once`/`call_once`")
        return ctx.finding(
            self, cc.char_offset(ctx, cond.start_byte), cc.char_offset(ctx, cond.end_byte),
            f"double-checked locking on `{x}`: this test reads it without the lock and without acquire ordering, and "
            f"`{x} = …` (line {line}) publishes it with a plain store. On AArch64 {what} (x86-64 keeps stores in "
            "order and loads in order, so it worked there)",
            help_,
            properties={"variable": x, "kind": kind, "publish_line": line, "flag": flag},
        )
