"""Type facts of one translation unit, from libclang: the file is parsed once (for AArch64,
with its flags from the compilation database) and every expression written in it is recorded
by its byte span with what the silent-behaviour rules ask about: its plain-`char` depth, the
type a cast converts from, the constant memory orders of atomic calls, plain-char bit-fields.

Spans are those of the source as written: an expression produced by a macro expansion has the
span of the whole macro use in libclang, so such spans are dropped (`poisoned`) and the rules
fall back to their own reading there."""

from __future__ import annotations

import ctypes
import os
import re
import time

from archport.deep import libclang
from archport.deep.compdb import Entry

#: canonical TypeKind names of plain char (signed or unsigned by target or -f(un)signed-char)
_PLAIN_CHAR = frozenset({"CHAR_U", "CHAR_S"})
_FLOATING = frozenset({"FLOAT", "DOUBLE", "LONGDOUBLE", "FLOAT128", "HALF", "FLOAT16", "BFLOAT16", "IBM128"})
_INTEGER = frozenset({"SHORT", "USHORT", "INT", "UINT", "LONG", "ULONG", "LONGLONG", "ULONGLONG", "INT128",
                      "UINT128", "ENUM"})
_POINTERISH = frozenset({"POINTER", "CONSTANTARRAY", "INCOMPLETEARRAY", "VARIABLEARRAY", "DEPENDENTSIZEDARRAY",
                         "LVALUEREFERENCE", "RVALUEREFERENCE"})
_CHARISH = _PLAIN_CHAR | frozenset({"POINTER", "CONSTANTARRAY", "INCOMPLETEARRAY", "VARIABLEARRAY",
                                    "LVALUEREFERENCE", "RVALUEREFERENCE"})
_COMPARE = frozenset({"<", ">", "<=", ">=", "==", "!="})
#: expressions that pass a char value through unchanged in kind (implicit casts, parentheses)
_TRANSPARENT = frozenset({"UNEXPOSED_EXPR", "PAREN_EXPR"})
#: calls whose constant arguments are recorded (memory orders): atomic builtins, C11 and C++ atomics
_ATOMIC_CALLEE = re.compile(r"(?:\w*atomic\w*|store|load|exchange|compare_exchange_\w+|fetch_\w+|test_and_set|clear"
                            r"|wait|notify_\w+)$")
#: the text of an atomic operation spelled as a macro or builtin (`atomic_store_explicit(`, `__atomic_load_n(`)
_ATOMIC_TEXT = re.compile(rb"[\w:]*atomic\w*\s*\(")
#: at most this many candidate expressions of one kind per file (as the text screen)
MAX_CANDIDATES = 200


class TypeFacts:
    """What libclang knows about the expressions of one file (see the module docstring)."""

    def __init__(self, path: str, entry: Entry):
        self.path = path
        self.entry = entry
        self.ok = False
        self.reason = ""
        self.seconds = 0.0
        self.diagnostics = 0
        #: (start byte, end byte) -> char depth (0 plain char, 1 pointer to plain char, ...) or
        #: None when libclang typed the expression as something else
        self.exprs: dict[tuple[int, int], int | None] = {}
        #: (start, end) -> whether the expression is a (non-char, non-bool) integer
        self.integers: dict[tuple[int, int], bool] = {}
        #: spans shared by several expressions of a macro expansion: unknown
        self.poisoned: set[tuple[int, int]] = set()
        #: whole expressions that involve a plain char value, by the rule's candidate kind
        self.candidates: dict[str, list[tuple[int, int]]] = {"compare": [], "index": [], "shift": [], "mix": []}
        #: explicit cast start byte -> (source type spelling, source is floating, target spelling)
        self.casts: dict[int, tuple[str, bool, str]] = {}
        #: call span -> [(argument start byte, constant value or None, argument is memory_order-typed)]
        self.calls: dict[tuple[int, int], list[tuple[int, int | None, bool]]] = {}
        #: bit-field name byte offset -> (is plain char, field name, width, decl start, decl end)
        self.bitfields: dict[int, tuple[bool, str, int, int, int]] = {}

    # -- questions ------------------------------------------------------------------------------

    def char_depth(self, start: int, end: int):
        """Char depth of the expression at [start, end), None when it is not plain char, and
        NotImplemented when libclang has no (clean) expression there."""
        key = (start, end)
        if key in self.poisoned or key not in self.exprs:
            return NotImplemented
        return self.exprs[key]

    def is_integer(self, start: int, end: int):
        key = (start, end)
        if key in self.poisoned or key not in self.integers:
            return NotImplemented
        return self.integers[key]

    # -- building -------------------------------------------------------------------------------

    def parse(self, data: bytes) -> TypeFacts:
        cindex, reason = libclang.load()
        if cindex is None:
            self.reason = str(reason)
            return self
        started = time.perf_counter()
        index = libclang.index()
        options = (cindex.TranslationUnit.PARSE_INCOMPLETE | cindex.TranslationUnit.PARSE_SKIP_FUNCTION_BODIES * 0)
        try:
            tu = index.parse(self.path, args=list(self.entry.flags), options=options,
                             unsaved_files=[(self.path, data.decode("latin-1"))] if _needs_unsaved(data) else None)
        except Exception as exc:  # TranslationUnitLoadError
            self.reason = f"libclang could not parse {os.path.basename(self.path)}: {exc}"
            return self
        fatal = [d for d in tu.diagnostics if d.severity >= 4]
        self.diagnostics = sum(1 for d in tu.diagnostics if d.severity >= 3)
        if fatal:
            self.reason = f"libclang: {fatal[0].spelling} ({fatal[0].location.file}:{fatal[0].location.line})"
            return self
        self._walk(tu, data, cindex)
        self.ok = True
        self.seconds = time.perf_counter() - started
        return self

    def _walk(self, tu, data: bytes, cindex) -> None:
        main = os.path.realpath(self.path)
        names: dict[int, tuple[str, bool]] = {}
        same_file: dict[str, bool] = {}
        for top in tu.cursor.get_children():
            f = top.location.file
            if f is None:
                continue
            fname = f.name
            if fname not in same_file:
                same_file[fname] = os.path.realpath(fname) == main
            if same_file[fname]:
                self._visit(top, data, names)

    def _visit(self, top, data: bytes, names: dict[int, tuple[str, bool]]) -> None:
        """Records every expression below top: one clang_visitChildren walk (recursing in C, one
        Python callback per cursor; expression trees can be deep), then a pass over the nodes
        with children before parents."""
        from clang import cindex

        lib = cindex.conf.lib
        poisoned = self.poisoned
        tu = top._tu
        offset = ctypes.c_uint()
        out = ctypes.byref(offset)

        def span_of(cur) -> tuple[int, int]:
            ext = lib.clang_getCursorExtent(cur)
            lib.clang_getInstantiationLocation(lib.clang_getRangeStart(ext), None, None, None, out)
            start = offset.value
            lib.clang_getInstantiationLocation(lib.clang_getRangeEnd(ext), None, None, None, out)
            return start, offset.value

        # node: [cursor, kind name, span, parent index, children, char depth, is expression, outer span]
        nodes: list[list] = [[top, "", span_of(top), -1, [], None, False, None]]
        ancestors: list[tuple[object, int]] = [(top, 0)]

        def visit(child, parent, _data):
            while len(ancestors) > 1 and not lib.clang_equalCursors(ancestors[-1][0], parent):
                ancestors.pop()
            up = ancestors[-1][1]
            child._tu = tu
            kid = lib.clang_getCursorKind(child)
            known = names.get(kid)
            if known is None:
                ck = cindex.CursorKind.from_id(kid)
                known = names[kid] = (ck.name, ck.is_expression())
            kind, is_expr = known
            span = span_of(child)
            outer = nodes[up][7]
            if is_expr:
                if span[0] >= span[1] or (kind not in _TRANSPARENT and outer == span):
                    poisoned.add(span)  # a macro expansion: many expressions share the macro use's span
                if kind not in _TRANSPARENT:
                    outer = span
            elif kind == "FIELD_DECL" and child.is_bitfield():
                self._bitfield(child)
            me = len(nodes)
            nodes.append([child, kind, span, up, [], None, is_expr, outer])
            nodes[up][4].append(me)
            ancestors.append((child, me))
            return 2  # CXChildVisit_Recurse

        lib.clang_visitChildren(top, cindex.callbacks["cursor_visit"](visit), None)
        self._finish(nodes, data)

    def _finish(self, nodes: list[list], data: bytes) -> None:
        from clang import cindex

        lib = cindex.conf.lib
        type_names: dict[int, str] = {}
        exprs, integers, poisoned = self.exprs, self.integers, self.poisoned
        # children before parents
        for i in range(len(nodes) - 1, -1, -1):
            cur, kind, span, parent, children, _, is_expr, _ = nodes[i]
            if not is_expr:
                continue
            children.sort(key=lambda j: nodes[j][2][0])
            canon = lib.clang_getCanonicalType(lib.clang_getCursorType(cur))
            tk = type_names.get(canon._kind_id)
            if tk is None:
                tk = type_names[canon._kind_id] = canon.kind.name
            depth = _char_depth(canon, tk) if tk in _CHARISH else None
            nodes[i][5] = depth
            if tk == "INVALID" or tk == "DEPENDENT":
                continue
            if span not in poisoned and span not in exprs:  # children come first: the innermost wins
                exprs[span] = depth
                if kind in ("DECL_REF_EXPR", "MEMBER_REF_EXPR"):
                    integers[span] = tk in _INTEGER
            self._candidate(kind, cur, span, children, nodes, data)

    def _candidate(self, kind, cur, span, children, nodes, data) -> None:
        if span in self.poisoned:
            return
        cands = self.candidates
        if kind == "BINARY_OPERATOR" and len(children) == 2:
            left, right = nodes[children[0]], nodes[children[1]]
            op = data[left[2][1] : right[2][0]].strip().decode("latin-1")
            if op in _COMPARE:
                if _char_value(left, nodes) or _char_value(right, nodes):
                    _add(cands["compare"], span)
            elif op in ("<<", ">>"):
                if _char_value(left, nodes):
                    _add(cands["shift"], span)
            elif op in ("+", "|", "^"):
                if _char_value(left, nodes) or _char_value(right, nodes):
                    _add(cands["mix"], span)
        elif kind == "COMPOUND_ASSIGNMENT_OPERATOR" and len(children) == 2:
            left, right = nodes[children[0]], nodes[children[1]]
            op = data[left[2][1] : right[2][0]].strip().decode("latin-1")
            if op == ">>=" and _char_value(left, nodes):
                _add(cands["shift"], span)
            elif op in ("+=", "-=", "^=", "|=") and _char_value(right, nodes):
                _add(cands["mix"], span)
        elif kind == "ARRAY_SUBSCRIPT_EXPR" and len(children) == 2:
            base, idx = nodes[children[0]], nodes[children[1]]
            if _char_value(idx, nodes):
                _add(cands["index"], span)
        elif kind == "CSTYLE_CAST_EXPR" and children:
            src = _written(nodes[children[-1]], nodes)
            src_t = src[0].type.get_canonical()
            self.casts[span[0]] = (src[0].type.spelling, src_t.kind.name in _FLOATING, cur.type.spelling)
        elif kind == "CALL_EXPR" and _ATOMIC_CALLEE.match(cur.spelling) or (
                kind == "UNEXPOSED_EXPR" and len(children) >= 2 and _ATOMIC_TEXT.match(data, span[0], span[0] + 48)):
            self._call(span, children, nodes)

    def _call(self, span, children, nodes) -> None:
        """Constant arguments of an atomic call (for memory orders); a call expanded from a macro
        such as atomic_store_explicit() is an UNEXPOSED_EXPR whose arguments are its children."""
        args = []
        for j in children:
            node = nodes[j]
            c = node[0]
            spelled = c.type.get_canonical().spelling
            order_typed = "memory_order" in spelled or "memory_order" in c.type.spelling
            value = None
            if order_typed or node[1] in ("INTEGER_LITERAL", "DECL_REF_EXPR", "UNEXPOSED_EXPR", "PAREN_EXPR",
                                          "BINARY_OPERATOR"):
                if c.type.get_canonical().kind.name in _INTEGER or order_typed:
                    value = libclang.evaluate_int(c)
            args.append((node[2][0], value, order_typed))
        if any(v is not None for _, v, _ in args):
            self.calls[span] = args

    def _bitfield(self, cur) -> None:
        canon = cur.type.get_canonical()
        loc = cur.location.offset
        ext = cur.extent
        try:
            width = cur.get_bitfield_width()
        except Exception:
            width = -1
        self.bitfields[loc] = (canon.kind.name in _PLAIN_CHAR, cur.spelling, width, ext.start.offset, ext.end.offset)


def _add(bucket: list, span) -> None:
    if len(bucket) < MAX_CANDIDATES:
        bucket.append(span)


def _char_depth(canon, tk: str) -> int | None:
    depth = 0
    t = canon
    for _ in range(4):
        if tk in _PLAIN_CHAR:
            return depth
        if tk == "POINTER":
            t = t.get_pointee().get_canonical()
        elif tk in ("CONSTANTARRAY", "INCOMPLETEARRAY", "VARIABLEARRAY"):
            t = t.get_array_element_type().get_canonical()
        elif tk in ("LVALUEREFERENCE", "RVALUEREFERENCE"):
            t = t.get_pointee().get_canonical()
            tk = t.kind.name
            continue
        else:
            return None
        depth += 1
        tk = t.kind.name
    return None


def _written(node, nodes):
    """The expression as written under implicit casts."""
    while node[1] == "UNEXPOSED_EXPR" and len(node[4]) == 1:
        node = nodes[node[4][0]]
    return node


def _char_value(node, nodes) -> bool:
    """The operand is a plain char value: the expression itself, or under implicit casts,
    parentheses and explicit casts (an over-approximation: the rules check the casts)."""
    for _ in range(8):
        if node[5] == 0:
            return True
        if node[1] in _TRANSPARENT or node[1] == "CSTYLE_CAST_EXPR":
            if not node[4]:
                return False
            node = nodes[node[4][-1]]
            continue
        return False
    return False


def _needs_unsaved(data: bytes) -> bool:
    return False
