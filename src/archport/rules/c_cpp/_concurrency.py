"""Structure shared by the memory-ordering rules (CC302-CC307): the functions of a file, its
file-scope objects and struct fields with their qualifiers, which stores reach memory that
other threads can see, and where a file synchronises (fences, locks, atomic calls).

Everything here works on the tree-sitter tree, so callers must first screen the masked text
cheaply and ask for `index(ctx)` only when a file has a real candidate. The index is built once
per file and shared by the rules through ctx.cache."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

from archport.parsing import treesitter
from archport.preprocessor import State
from archport.rules.c_cpp import _deep

# -- text helpers --------------------------------------------------------------------------------


def text(node) -> str:
    return node.text.decode("utf-8", errors="replace")


def squash(s: str) -> str:
    """Source text without whitespace, for comparing expressions (`s -> v` == `s->v`)."""
    return "".join(s.split())


char_offset = _deep.char_offset  # re-exported: the CC30x rules call cc.char_offset


def line_of_byte(ctx, byte: int) -> int:
    return ctx.source.line_of(char_offset(ctx, byte))


def descendants(node, types: frozenset[str] | set[str] | None = None):
    """Pre-order walk below node (node included) yielding nodes of the given types."""
    stack = [node]
    while stack:
        n = stack.pop()
        if types is None or n.type in types:
            yield n
        if n.child_count:
            stack.extend(reversed(n.children))


def unparen(node):
    while node is not None and node.type in ("parenthesized_expression", "condition_clause"):
        inner = [c for c in node.named_children if c.type != "comment"]
        if len(inner) != 1:
            break
        node = inner[0]
    return node


def call_name(call) -> str:
    """`foo` for foo(...), `x.store` for x.store(...), `std::atomic_thread_fence` for a qualified call."""
    fn = call.child_by_field_name("function")
    return squash(text(fn)) if fn is not None else ""


def call_args(call) -> list:
    args = call.child_by_field_name("arguments")
    return [a for a in args.named_children if a.type != "comment"] if args is not None else []


# -- vocabularies ----------------------------------------------------------------------------------

#: the last name of a call that orders memory or takes/drops a lock (assumed correct here)
SYNC_CALL = re.compile(
    r"(?:^|[.:>])(?:atomic_thread_fence|__atomic_thread_fence|__sync_synchronize|MemoryBarrier|__dmb|__dsb"
    r"|smp_[rw]?mb|smp_store_release|smp_load_acquire|smp_mb__\w+|[rw]?mb|dma_[rw]mb|virt_[rw]?mb"
    r"|\w*mutex_(?:un|try)?lock\w*|\w*spin_(?:un|try)?lock\w*|mtx_(?:un|try|timed)?lock"
    r"|pthread_rwlock_\w+|pthread_once|call_once|EnterCriticalSection|LeaveCriticalSection"
    r"|TryEnterCriticalSection|AcquireSRWLock\w+|ReleaseSRWLock\w+|InitOnceExecuteOnce|(?:\w*_)?(?:un|try_?)?lock"
    r"|try_lock|Lock|Unlock|\w+Lock|\w+Unlock|sem_post|sem_wait|pthread_cond_\w+|cnd_\w+|pthread_join|thrd_join"
    r"|join|__sync_\w+|_Interlocked\w+|Interlocked\w+)$"
)
#: atomic operations: ordering unless they say relaxed
ATOMIC_CALL = re.compile(
    r"(?:^|[.:>])(?:atomic_(?:store|load|exchange|compare_exchange_\w+|fetch_\w+|flag_\w+)(?:_explicit)?"
    r"|__atomic_(?!signal_fence)\w+|store|load|exchange|compare_exchange_\w+|fetch_\w+|test_and_set|notify_\w+|wait)$"
)
_RELAXED = re.compile(r"\b(?:memory_order_relaxed|__ATOMIC_RELAXED|memory_order::relaxed)\b")


def ordering_call(call, deep=None) -> bool:
    """Whether a call orders memory: a fence, a lock operation, a `__sync` builtin, or an atomic
    operation that is not relaxed (in deep mode, as libclang evaluates its memory orders)."""
    name = call_name(call)
    if "signal_fence" in name:
        return False
    if SYNC_CALL.search(name):
        return True
    if ATOMIC_CALL.search(name):
        relaxed = deep_relaxed(deep, call)
        return not (_RELAXED.search(text(call)) if relaxed is None else relaxed)
    return False


def deep_relaxed(deep, call) -> bool | None:
    """Deep mode: whether every memory order the atomic call passes evaluates to relaxed (an
    order spelled through a macro, enumerator or constant included); None when libclang has no
    answer (fast mode, a call inside a macro expansion, a non-constant order)."""
    if deep is None:
        return None
    args = deep.calls.get((call.start_byte, call.end_byte))
    if not args:
        return None
    orders = [v for _, v, typed in args if typed]
    if not orders:
        name = call_name(call)
        base = re.split(r"[.:>]", name)[-1]
        if not (base.startswith("__atomic_") or base.endswith("_explicit")):
            return None  # `x.store(v)`: the default order is not an argument
        orders = [v for _, v, _ in args[-2 if "compare_exchange" in base else -1:]]
    if any(v is None for v in orders):
        return None
    return all(v & 0xFFFF == 0 for v in orders)  # memory_order_relaxed == __ATOMIC_RELAXED == 0


#: RAII lock types whose declaration takes a lock
LOCK_GUARD = re.compile(r"\b(?:lock_guard|unique_lock|scoped_lock|shared_lock|MutexLock|AutoLock|QMutexLocker)\b")
#: names of types that are atomic objects (a plain access to them is a seq_cst atomic access)
ATOMIC_TYPE = re.compile(r"\b(?:_Atomic|std::atomic|atomic\s*<|atomic_(?:bool|char|schar|uchar|short|ushort|int|uint"
                         r"|long|ulong|llong|ullong|size_t|ptrdiff_t|intptr_t|uintptr_t|flag|int\d+_t|uint\d+_t"
                         r"|int_least\d+_t|uint_least\d+_t|int_fast\d+_t|uint_fast\d+_t|intmax_t|uintmax_t))\b")
#: functions that write through their first argument
COPY_CALL = frozenset({"memcpy", "memmove", "memset", "strcpy", "strncpy", "strcat", "snprintf", "sprintf",
                       "__builtin_memcpy", "__builtin_memset", "__builtin_memmove", "bzero", "explicit_bzero"})

# -- declarations and functions ---------------------------------------------------------------------


@dataclass
class Decl:
    name: str
    qualifiers: frozenset[str]
    type_text: str
    pointer: bool  # the declared object is a pointer (its pointee's qualifiers are in qualifiers)
    array: bool
    node: object
    owners: frozenset[str] = frozenset()  # for a field: the struct tag and/or typedef name
    obj_volatile: bool = False  # the object itself is volatile (not only what it points to)

    @property
    def atomic(self) -> bool:
        return "_Atomic" in self.qualifiers or bool(ATOMIC_TYPE.search(self.type_text))

    @property
    def volatile_object(self) -> bool:
        """The object itself is volatile (`volatile int f;`, `int *volatile p;`)."""
        return self.obj_volatile


@dataclass
class Store:
    start: int  # byte offset of the store expression
    end: int
    target: str  # squashed text of the stored-to expression
    node: object  # the target node
    shared: bool  # visible to other threads (global, through a pointer, a field of either)
    kind: str  # "assign", "update" or "call"

    @property
    def shown(self) -> str:
        """The target as written, whitespace collapsed (for messages)."""
        return " ".join(text(self.node).split())


@dataclass
class Function:
    name: str
    node: object
    body: object
    params: dict[str, Decl]
    owner: str | None = None  # C++: the class of a member function
    _locals: dict[str, Decl] | None = None
    _stores: list[Store] | None = None
    _sync: list[tuple[int, str]] | None = None
    _aliases: dict | None = None
    #: deep mode: the file's libclang facts (archport.deep.facts.TypeFacts), else None
    deep: object = None

    @property
    def start(self) -> int:
        return self.node.start_byte

    @property
    def end(self) -> int:
        return self.node.end_byte

    def locals(self) -> dict[str, Decl]:
        """Parameters and objects declared in the body (static locals included)."""
        if self._locals is None:
            out = dict(self.params)
            for d in descendants(self.body, {"declaration"}):
                for decl in _declared(d):
                    out[decl.name] = decl
            self._locals = out
        return self._locals


@dataclass
class Index:
    functions: list[Function]
    globals: dict[str, list[Decl]] = field(default_factory=dict)
    fields: dict[str, list[Decl]] = field(default_factory=dict)
    cpp: bool = False

    def __post_init__(self):
        self.functions.sort(key=lambda f: f.start)
        self._starts = [f.start for f in self.functions]

    def function_at(self, byte: int) -> Function | None:
        i = bisect.bisect_right(self._starts, byte) - 1
        while i >= 0:  # the innermost definition containing byte (lambdas and local classes nest)
            f = self.functions[i]
            if f.start <= byte < f.end:
                return f
            i -= 1
        return None

    def named(self, name: str) -> list[Function]:
        return [f for f in self.functions if f.name == name]

    def is_atomic(self, name: str, is_field: bool) -> bool:
        decls = self.fields.get(name, []) if is_field else self.globals.get(name, [])
        return any(d.atomic for d in decls)


_TOP_CONTAINERS = frozenset({"translation_unit", "preproc_if", "preproc_ifdef", "preproc_else", "preproc_elif",
                             "preproc_elifdef", "linkage_specification", "declaration_list", "namespace_definition"})
_FUNC_QUERY = "(function_definition) @f"
_FIELD_QUERY = "(field_declaration) @f"
_DECL_QUERY = "(declaration) @d"


def index(ctx) -> Index | None:
    """The file's functions, file-scope objects and fields (None when the file has no tree)."""
    if "_conc_index" in ctx.cache:
        return ctx.cache["_conc_index"]
    tree = ctx.tree
    idx = None
    if tree is not None:
        grammar = ctx.grammar
        root = tree.root_node

        def compiled(node) -> bool:  # not in a branch that an AArch64 build never compiles
            return ctx.arm_state(char_offset(ctx, node.start_byte)) is not State.INACTIVE

        functions = []
        for _, caps in treesitter.matches(grammar, _FUNC_QUERY, root):
            for node in caps.get("f", ()):
                body = node.child_by_field_name("body")
                if body is None or not compiled(node):
                    continue
                name, params, owner = _function_name_and_params(node)
                functions.append(Function(name or "", node, body, params, owner))
        globals_: dict[str, list[Decl]] = {}
        for _, caps in treesitter.matches(grammar, _DECL_QUERY, root):
            for node in caps.get("d", ()):
                if node.parent is not None and node.parent.type in _TOP_CONTAINERS and compiled(node):
                    for decl in _declared(node):
                        globals_.setdefault(decl.name, []).append(decl)
        fields: dict[str, list[Decl]] = {}
        for _, caps in treesitter.matches(grammar, _FIELD_QUERY, root):
            for node in caps.get("f", ()):
                if not compiled(node):
                    continue
                owners = _owners(node)
                for decl in _declared(node):
                    decl.owners = owners
                    fields.setdefault(decl.name, []).append(decl)
        idx = Index(functions, globals_, fields, cpp=grammar == "cpp")
        facts = _deep.facts(ctx) if functions else None
        if facts is not None:
            for fn in functions:
                fn.deep = facts
    ctx.cache["_conc_index"] = idx
    return idx


def _owners(field_decl) -> frozenset[str]:
    """Names of the struct/union/class a field belongs to: its tag and the typedef name."""
    out = set()
    body = field_decl.parent
    spec = body.parent if body is not None else None
    if spec is None:
        return frozenset()
    name = spec.child_by_field_name("name")
    if name is not None:
        out.add(text(name).rsplit("::", 1)[-1])
    outer = spec.parent
    if outer is not None and outer.type == "type_definition":
        for d in outer.children_by_field_name("declarator"):
            if d.type == "type_identifier":
                out.add(text(d))
    return frozenset(out)


def _function_name_and_params(node) -> tuple[str | None, dict[str, Decl], str | None]:
    decl = node.child_by_field_name("declarator")
    params: dict[str, Decl] = {}
    while decl is not None and decl.type not in ("identifier", "field_identifier", "qualified_identifier",
                                                  "operator_name", "destructor_name"):
        if decl.type == "function_declarator" and not params:
            plist = decl.child_by_field_name("parameters")
            if plist is not None:
                for p in plist.named_children:
                    if p.type in ("parameter_declaration", "optional_parameter_declaration"):
                        for d in _declared(p):
                            params[d.name] = d
        decl = decl.child_by_field_name("declarator")
    if decl is None:
        return None, params, None
    name = text(decl)
    owner = name.rsplit("::", 2)[-2] if "::" in name else None
    if owner is None:  # a member function defined in its class
        cur = node.parent
        while cur is not None and cur.type not in ("class_specifier", "struct_specifier", "union_specifier",
                                                     "function_definition", "translation_unit"):
            cur = cur.parent
        if cur is not None and cur.type in ("class_specifier", "struct_specifier", "union_specifier"):
            n = cur.child_by_field_name("name")
            owner = text(n).rsplit("::", 1)[-1] if n is not None else None
    return name.rsplit("::", 1)[-1], params, owner


_QUALIFIERS = frozenset({"volatile", "const", "_Atomic", "restrict", "__restrict", "static", "extern",
                         "thread_local", "_Thread_local", "__thread", "register", "mutable"})


def _declared(node) -> list[Decl]:
    """The objects one declaration / field declaration / parameter declares."""
    quals = set()
    type_text = ""
    for c in node.children:
        if c.type in ("type_qualifier", "storage_class_specifier"):
            quals.add(text(c).strip())
        elif c.type == "thread_local":
            quals.add("thread_local")
    t = node.child_by_field_name("type")
    if t is not None:
        type_text = text(t)
        if t.type == "atomic_specifier" or "_Atomic" in type_text[:8]:
            quals.add("_Atomic")
    out = []
    for d in node.children_by_field_name("declarator"):
        pointer = array = False
        inner_quals = set(quals)
        obj_volatile = "volatile" in quals
        cur = d
        while cur is not None and cur.type not in ("identifier", "field_identifier"):
            if cur.type == "pointer_declarator":
                pointer = True
                # the qualifiers after the innermost `*` (the last one met) apply to the object itself
                own = {text(c) for c in cur.children if c.type == "type_qualifier"}
                obj_volatile = "volatile" in own
                inner_quals = (inner_quals - {"volatile", "const"}) | own
            elif cur.type == "array_declarator":
                array = True
            elif cur.type in ("function_declarator", "abstract_function_declarator"):
                cur = None
                break
            nxt = cur.child_by_field_name("declarator")
            if nxt is None and cur.type == "parenthesized_declarator":
                named = cur.named_children
                nxt = named[0] if named else None
            cur = nxt
        if cur is None:
            continue
        out.append(Decl(text(cur), frozenset(q for q in inner_quals if q in _QUALIFIERS), type_text, pointer,
                        array, node, obj_volatile=obj_volatile))
    return out


# -- stores and synchronisation inside one function -------------------------------------------------

_STORE_TYPES = frozenset({"assignment_expression", "update_expression", "call_expression"})


def stores(fn: Function, idx: Index) -> list[Store]:
    """Every store in the function body, in source order."""
    if fn._stores is None:
        out = []
        for n in descendants(fn.body, _STORE_TYPES):
            if n.type == "assignment_expression":
                target = n.child_by_field_name("left")
                kind = "assign"
            elif n.type == "update_expression":
                target = n.child_by_field_name("argument")
                kind = "update"
            else:
                name = call_name(n)
                if name not in COPY_CALL:
                    continue
                args = call_args(n)
                if not args:
                    continue
                target = args[0]
                kind = "call"
            if target is None:
                continue
            out.append(Store(n.start_byte, n.end_byte, squash(text(target)), target,
                             shared_target(fn, idx, target, kind == "call"), kind))
        out.sort(key=lambda s: s.start)
        fn._stores = out
    return fn._stores


def sync_points(fn: Function) -> list[tuple[int, str]]:
    """(byte, name) of every call in the body that orders memory or takes/drops a lock (see
    ordering_call), and of RAII lock declarations."""
    if fn._sync is None:
        out = []
        for n in descendants(fn.body, {"call_expression", "declaration"}):
            if n.type == "call_expression":
                if ordering_call(n, fn.deep):
                    out.append((n.start_byte, call_name(n)))
            elif LOCK_GUARD.search(text(n.child_by_field_name("type") or n)):
                out.append((n.start_byte, "lock_guard"))
        out.sort()
        fn._sync = out
    return fn._sync


def sync_between(fn: Function, start: int, end: int) -> str | None:
    """Name of the first ordering call or lock with start <= offset < end, or None."""
    for byte, name in sync_points(fn):
        if start <= byte < end:
            return name
    return None


def root_identifier(node):
    """The leftmost identifier of an access path (`p` in `p->a.b[i]`), or None."""
    cur = unparen(node)
    while cur is not None:
        if cur.type in ("identifier", "this"):
            return cur
        if cur.type in ("field_expression", "subscript_expression", "pointer_expression", "cast_expression"):
            nxt = cur.child_by_field_name("argument") or cur.child_by_field_name("value")
            cur = unparen(nxt)
        else:
            return None
    return None


def shared_target(fn: Function, idx: Index, node, through_pointer: bool = False) -> bool:
    """Whether a store to `node` writes memory another thread can see: a file-scope object (not
    shadowed by a local), anything reached through a pointer (`p->f`, `*p`, `p[i]`, with p not a
    local array), a field of either; in C++ also an implicit member (`count` meaning this->count)."""
    node = unparen(node)
    if node is None:
        return False
    if through_pointer:  # memcpy(dst, ...): dst is a pointer or an array
        root = root_identifier(node)
        if node.type == "pointer_expression" and text(node).startswith("&"):
            return shared_target(fn, idx, node.child_by_field_name("argument"))
        if root is None:
            return False
        return _root_shared(fn, idx, root, pointer_use=node.type == "identifier")
    t = node.type
    if t == "identifier":
        return _root_shared(fn, idx, node, pointer_use=False)
    if t == "field_expression":
        op = node.child_by_field_name("operator")
        if op is not None and text(op) == "->":
            return True
        return shared_target(fn, idx, node.child_by_field_name("argument"))
    if t == "subscript_expression":
        base = unparen(node.child_by_field_name("argument"))
        if base is not None and base.type == "identifier":
            return _root_shared(fn, idx, base, pointer_use=True)
        return shared_target(fn, idx, base) if base is not None and base.type != "call_expression" else True
    if t == "pointer_expression":
        return text(node).lstrip().startswith("*")
    return False


def _root_shared(fn: Function, idx: Index, ident, pointer_use: bool) -> bool:
    name = text(ident)
    if ident.type == "this":
        return True
    local = fn.locals().get(name)
    if local is not None:
        if "static" in local.qualifiers and local.name not in fn.params:
            return True
        # a pointer (or an array parameter) reaches memory the caller owns
        return pointer_use and (local.pointer or name in fn.params)
    if name in idx.globals:
        return True
    return idx.cpp and name in idx.fields  # an implicit member in a member function


def loop_of(node, stop):
    """The innermost while/do/for statement around node, below `stop`."""
    cur = node.parent
    while cur is not None and cur != stop:
        if cur.type in ("while_statement", "do_statement", "for_statement", "for_range_loop"):
            return cur
        cur = cur.parent
    return None


def loop_condition(loop):
    return loop.child_by_field_name("condition")


def in_subtree(node, ancestor) -> bool:
    return ancestor.start_byte <= node.start_byte and node.end_byte <= ancestor.end_byte


def statement_of(node, stop):
    """The statement directly inside a compound statement that contains node."""
    cur = node
    while cur.parent is not None and cur.parent != stop and cur.parent.type != "compound_statement":
        cur = cur.parent
    return cur


# -- where signal handlers and callers are ---------------------------------------------------------

_SIGNAL_HANDLER = re.compile(
    r"(?:signal|sigset)\s*\(\s*[^,()]+,\s*&?\s*([A-Za-z_]\w*)\s*\)"
    r"|sa_(?:handler|sigaction)\s*=\s*(?:\(\s*\w+\s*\)\s*)?&?\s*([A-Za-z_]\w*)"
)


def signal_handlers(ctx) -> frozenset[str]:
    """Names of functions the file installs as signal handlers (`signal(SIGINT, h)`, `sa_handler = h`)."""
    found = ctx.cache.get("_conc_signal")
    if found is None:
        names = set()
        if "sig" in ctx.masked:
            for m in _SIGNAL_HANDLER.finditer(ctx.masked):
                names.add(m.group(1) or m.group(2))
        found = ctx.cache["_conc_signal"] = frozenset(names)
    return found


_CALL_SITE = re.compile(r"([A-Za-z_]\w*)\s*\(")


def call_graph(ctx, idx: Index) -> dict[str, set[str]]:
    """{function name: names of the file's functions it calls directly} (a function passed by
    name, e.g. to pthread_create, is not a call)."""
    graph = ctx.cache.get("_conc_calls")
    if graph is None:
        names = {f.name for f in idx.functions if f.name}
        graph = {}
        for f in idx.functions:
            if f.name:
                graph.setdefault(f.name, set()).update(
                    m.group(1) for m in _CALL_SITE.finditer(text(f.body)) if m.group(1) in names and m.group(1) != f.name)
        ctx.cache["_conc_calls"] = graph
    return graph


def reach(graph: dict[str, set[str]], name: str, depth: int = 4) -> set[str]:
    """Functions reachable from `name` by direct calls (name included), up to depth calls deep."""
    seen = {name}
    frontier = [name]
    for _ in range(depth):
        nxt = []
        for f in frontier:
            for g in graph.get(f, ()):
                if g not in seen:
                    seen.add(g)
                    nxt.append(g)
        frontier = nxt
    return seen


def same_thread(ctx, idx: Index, a: str, b: str) -> bool:
    """Whether functions a and b look like they run on one thread: one calls the other, or a
    function of the file calls both (directly or a few calls deep)."""
    graph = call_graph(ctx, idx)
    if b in reach(graph, a) or a in reach(graph, b):
        return True
    return any(a in r and b in r for r in (reach(graph, f) for f in graph if f not in (a, b)))


# -- volatile objects (CC302, CC304) -----------------------------------------------------------------

# whole-file scans start with a literal: a leading \b makes Python's re try every position (~50x slower)
_VOLATILE = re.compile(r"volatile\b")
_DECL_TAIL = re.compile(r"[^;(){}]{0,160}?([A-Za-z_]\w*)\s*(?:\[[^\];{}]*\]\s*)*(?:=[^;{}]{0,80})?;")
_LOOP = re.compile(r"(?:while|for)\s*\(")
_SIGNAL_TYPE = re.compile(r"\bsig_atomic_t\b")


def volatile_names(masked: str, integral: bool = False) -> set[str]:
    """Cheap screen: names declared right after a `volatile` (`static volatile int ready;`),
    without `sig_atomic_t` ones (and, with integral, without floating-point ones)."""
    names = set()
    for m in _VOLATILE.finditer(masked):
        if m.start() and (masked[m.start() - 1].isalnum() or masked[m.start() - 1] == "_"):
            continue
        d = _DECL_TAIL.match(masked, m.end())
        if d and "sig_atomic_t" not in d.group(0):
            if integral and re.search(r"\b(?:float|double)\b", d.group(0)):
                continue
            names.add(d.group(1))
    return names


def polled(masked: str, names: set[str]) -> bool:
    """Cheap screen: one of the names appears in the 300 characters after a `while (` / `for (`."""
    if not names:
        return False
    name_re = re.compile(r"\b(?:%s)\b" % "|".join(sorted(map(re.escape, names))))
    return any(name_re.search(masked, m.end(), m.end() + 300) for m in _LOOP.finditer(masked))


class Targets:
    """The volatile, non-atomic objects of a file that are not `sig_atomic_t`: file-scope
    variables by name, struct fields by name and, where the field's struct is known, by owner."""

    def __init__(self, idx: Index):
        self.idx = idx
        self.globals: set[str] = set()
        self.fields: dict[str, frozenset[str] | None] = {}  # name -> owners whose field is a target
        for name, decls in idx.globals.items():
            if any(d.atomic for d in decls) or any(_SIGNAL_TYPE.search(d.type_text) for d in decls):
                continue
            if any(d.volatile_object and not d.array for d in decls):
                self.globals.add(name)
        for name, decls in idx.fields.items():
            good = [d for d in decls if d.volatile_object and not d.array and not d.atomic
                    and not _SIGNAL_TYPE.search(d.type_text)]
            if not good:
                continue
            owners = frozenset(o for d in good for o in d.owners)
            # with every declaration of the name a target, the owner does not matter
            self.fields[name] = None if len(good) == len(decls) else owners

    def __bool__(self) -> bool:
        return bool(self.globals or self.fields)

    def field_matches(self, name: str, node, fn: Function) -> bool:
        if name not in self.fields:
            return False
        owners = self.fields[name]
        if owners is None:
            return True
        owner = base_type(node, fn, self.idx)
        return owner is not None and owner in owners


def volatile_objects(idx: Index) -> Targets:
    return Targets(idx)


_TYPE_WORDS = re.compile(r"\b(?:struct|union|class|const|volatile|enum|typename)\b")


def type_name(decl: Decl) -> str | None:
    """`ring` for `struct ring *r`, `ring_t` for `const ring_t *r`."""
    words = re.findall(r"[A-Za-z_]\w*", _TYPE_WORDS.sub(" ", decl.type_text))
    return words[-1] if words else None


def base_type(field_expr, fn: Function, idx: Index) -> str | None:
    """The struct type of the object a field expression reads from, when its base is a
    declared variable (`r` in `r->tail`)."""
    base = unparen(field_expr.child_by_field_name("argument"))
    if base is None or base.type != "identifier":
        return None
    name = text(base)
    decl = fn.locals().get(name)
    if decl is None:
        decls = idx.globals.get(name)
        decl = decls[0] if decls else None
    return type_name(decl) if decl is not None else None


def access_key(node, targets: Targets, fn: Function) -> tuple[str, bool] | None:
    """(name, is_field) when node names one of the target objects."""
    node = unparen(node)
    if node is None:
        return None
    if node.type == "identifier":
        name = text(node)
        if name in fn.locals():
            return None
        if name in targets.globals:
            return (name, False)
        if targets.idx.cpp and name in targets.fields and name not in targets.idx.globals:
            owners = targets.fields[name]
            if owners is None or fn.owner in owners:
                return (name, True)  # an implicit member in a member function
        return None
    if node.type == "field_expression":
        f = node.child_by_field_name("field")
        if f is not None and targets.field_matches(text(f), node, fn):
            return (text(f), True)
    return None


def reads_in(node, targets, fn) -> set[tuple[str, bool]]:
    out = set()
    for n in descendants(node, {"identifier", "field_expression"}):
        key = access_key(n, targets, fn)
        if key is not None:
            out.add(key)
    return out


# -- ring-buffer index publication (CC302, CC304) ----------------------------------------------------


def _index_parts(sub):
    """The index children of a subscript expression (every child but the array)."""
    base = sub.child_by_field_name("argument")
    return [c for c in sub.named_children if base is None or c.id != base.id]


def index_aliases(fn: Function, targets) -> dict[str, tuple[str, bool]]:
    """Locals copied from a target object (`unsigned t = rb->tail;`): name -> key."""
    if fn._aliases is None:
        out = {}
        for n in descendants(fn.body, {"init_declarator", "assignment_expression"}):
            if n.type == "init_declarator":
                left, right = n.child_by_field_name("declarator"), n.child_by_field_name("value")
            else:
                left, right = n.child_by_field_name("left"), n.child_by_field_name("right")
            if left is None or right is None or left.type != "identifier":
                continue
            keys = reads_in(right, targets, fn)
            if len(keys) == 1:
                out[text(left)] = next(iter(keys))
        fn._aliases = out
    return fn._aliases


def index_publications(fn: Function, idx: Index, targets) -> list[tuple[Store, object, tuple[str, bool]]]:
    """(slot store, index update, index key) for each store into a shared array element whose
    index reads a target object (directly or through a local copy) followed in the same
    function by an update of that object, with nothing synchronising in the function before
    the update."""
    aliases = index_aliases(fn, targets)
    updates = []
    for n in descendants(fn.body, {"assignment_expression", "update_expression"}):
        target = n.child_by_field_name("left" if n.type == "assignment_expression" else "argument")
        key = access_key(target, targets, fn)
        if key is not None:
            updates.append((n, key))
    if not updates:
        return []
    out = []
    seen = set()
    for st in stores(fn, idx):
        if not st.shared:
            continue
        for sub in descendants(st.node, {"subscript_expression"}):
            keys = set()
            for part in _index_parts(sub):
                keys |= reads_in(part, targets, fn)
                keys |= {aliases[text(i)] for i in descendants(part, {"identifier"}) if text(i) in aliases}
            for key in keys:
                for upd, ukey in updates:
                    if ukey == key and upd.start_byte >= st.end and upd.id not in seen:
                        if sync_between(fn, fn.body.start_byte, upd.start_byte) is None:
                            out.append((st, upd, key))
                            seen.add(upd.id)
                        break
    return out
