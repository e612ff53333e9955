"""A small scope-aware symbol table over a C or C++ tree-sitter tree, answering one question:
is this expression of plain `char` type (or a pointer to / array of plain `char`)?

Types are tracked as a *char depth*: 0 for a plain `char` value, 1 for `char *` / `char[]` /
`std::string`, 2 for `char **`, and None for everything else (`signed char`, `unsigned char`,
`uint8_t`, `wchar_t`, `char16_t`, functions, unknown names). The table knows, for one file:
function parameters and locals (by lexical scope, shadowing included), file-scope and namespace
variables, struct/union/class fields (a field access resolves by field name when every field of
that name in the file has the same type), typedefs and `using` aliases of plain `char`
(transitively) and object-like macros that expand to `char`. It also tells whether a variable
or field is declared with a (non-char) integer type, for the rules that need an accumulator.
Scopes are found by descending from the root (`containers`), never by walking `parent` up a
deep expression. ERROR nodes are searched like any other block, so a partly parsed file still
answers."""

from __future__ import annotations

import bisect
import re

from archport.parsing import treesitter
from archport.rules.c_cpp._deep import facts as deep_facts

_ALIAS_MACRO = re.compile(rb"^[ \t]*#[ \t]*define[ \t]+([A-Za-z_]\w*)[ \t]+char[ \t]*(\**)[ \t]*$", re.M)
_STRING_TYPES = frozenset({b"std::string", b"std::string_view", b"string", b"string_view"})
_ALIAS_QUERY = {"c": "(type_definition) @alias", "cpp": "[(type_definition) (alias_declaration)] @alias"}
_FIELD_QUERY = "(field_declaration) @field"

#: nodes that open a scope: their declarations are visible to the nodes below them
_SCOPES = frozenset({
    "compound_statement", "for_statement", "for_range_loop", "function_definition", "lambda_expression",
    "catch_clause", "if_statement", "while_statement", "switch_statement", "field_declaration_list",
    "declaration_list", "translation_unit",
})
#: nodes whose declarations belong to the enclosing scope
_TRANSPARENT = frozenset({
    "preproc_if", "preproc_ifdef", "preproc_else", "preproc_elif", "preproc_elifdef", "ERROR",
    "condition_clause", "template_declaration", "case_statement",
})
_DECLARATIONS = frozenset({"declaration", "field_declaration", "parameter_declaration",
                           "optional_parameter_declaration"})
#: nodes that hold statements or declarations (scopes and what leads to them)
_CONTAINERS = _SCOPES | _TRANSPARENT | frozenset({
    "else_clause", "do_statement", "labeled_statement", "try_statement", "namespace_definition",
    "linkage_specification", "class_specifier", "struct_specifier", "union_specifier",
})
#: scopes that can sit inside an expression
_NESTED_SCOPE_QUERY = {
    "c": "(parenthesized_expression (compound_statement) @scope)",
    "cpp": "[(lambda_expression) (parenthesized_expression (compound_statement))] @scope",
}
_INTEGER_PRIMITIVES = frozenset({b"int", b"long", b"short", b"size_t", b"ssize_t", b"intptr_t", b"uintptr_t",
                                 b"ptrdiff_t", b"int8_t", b"int16_t", b"int32_t", b"int64_t", b"uint16_t",
                                 b"uint32_t", b"uint64_t", b"unsigned", b"signed"})
_INTEGER_TYPEDEF = re.compile(
    rb"(?:u?int(?:16|32|64|max|ptr|_fast\d+|_least\d+)_t|[us](?:16|32|64)|size_t|ssize_t|off_t|ptrdiff_t|u_?int|u_?long"
    rb"|DWORD|ULONG|UINT|uint|ulong|\w*(?:hash|sum|crc|checksum)\w*_t)$"
)
_NOT_FOUND = object()


def char_symbols(ctx) -> CharSymbols | None:
    """The file's table, built on first use (this parses the file)."""
    table = ctx.cache.get("_char_symbols", _NOT_FOUND)
    if table is _NOT_FOUND:
        tree = ctx.tree
        facts = deep_facts(ctx) if tree is not None else None
        if tree is None:
            table = None
        elif facts is not None:
            table = DeepCharSymbols(tree.root_node, ctx.grammar, ctx.data, facts)
        else:
            table = CharSymbols(tree.root_node, ctx.grammar, ctx.data)
        ctx.cache["_char_symbols"] = table
    return table


class CharSymbols:
    def __init__(self, root, grammar: str, data: bytes):
        self.root = root
        self.grammar = grammar
        self.cpp = grammar == "cpp"
        #: scope node id -> name -> [(declaration start, char depth, integer-typed)]
        self._scopes: dict[int, dict[bytes, list[tuple[int, int | None, bool]]]] = {}
        #: type names that stand for plain char: name -> char depth (`typedef char *str_t` -> 1)
        self.aliases: dict[bytes, int] = {}
        self._find_aliases(data)
        self._fields: tuple[dict, dict, dict] | None = None
        self._nested: list[int] | None = None

    @property
    def fields(self) -> dict[bytes, set[int | None]]:
        """Field name -> the char depths it is declared with in this file's structs and classes."""
        if self._fields is None:
            self._fields = self._find_fields()
        return self._fields[0]

    @property
    def integer_fields(self) -> dict[bytes, bool]:
        """Field name -> whether every field of that name in this file is a (non-char) integer."""
        if self._fields is None:
            self._fields = self._find_fields()
        return self._fields[2]

    @property
    def classes(self) -> dict[bytes, object]:
        """Class or struct name -> its field_declaration_list."""
        if self._fields is None:
            self._fields = self._find_fields()
        return self._fields[1]

    # -- questions -------------------------------------------------------------------------------

    def depth(self, node) -> int | None:
        """Char depth of an expression node (see the module docstring)."""
        t = node.type
        if t == "identifier":
            return self.lookup(node)
        if t in ("parenthesized_expression", "comma_expression"):
            inner = node.named_children
            return self.depth(inner[-1]) if inner else None
        if t == "field_expression":
            field = node.child_by_field_name("field")
            return self.field_depth(field.text) if field is not None and field.type == "field_identifier" else None
        if t == "subscript_expression":
            arg = node.child_by_field_name("argument")
            d = self.depth(arg) if arg is not None else None
            return d - 1 if d else None
        if t == "pointer_expression":
            op = node.child_by_field_name("operator")
            arg = node.child_by_field_name("argument")
            d = self.depth(arg) if arg is not None else None
            if d is None or op is None:
                return None
            return d - 1 if op.type == "*" and d >= 1 else d + 1 if op.type == "&" else None
        if t == "cast_expression":
            return self.type_descriptor_depth(node.child_by_field_name("type"))
        if t == "assignment_expression":
            op = node.child_by_field_name("operator")
            left = node.child_by_field_name("left")
            return self.depth(left) if op is not None and op.type == "=" and left is not None else None
        if t == "update_expression":
            arg = node.child_by_field_name("argument")
            return self.depth(arg) if arg is not None else None
        if t == "conditional_expression":
            a, b = node.child_by_field_name("consequence"), node.child_by_field_name("alternative")
            if a is not None and b is not None:
                da = self.depth(a)
                return da if da is not None and da == self.depth(b) else None
        return None

    def lookup(self, ident) -> int | None:
        """Char depth of the declaration an identifier refers to (None when it is not plain char
        or is not declared in this file)."""
        entry = self._entry(ident)
        return entry[0] if entry is not None else None

    def is_integer(self, node) -> bool:
        """The expression is a variable or field declared with a (non-char) integer type."""
        if node.type == "identifier":
            entry = self._entry(node)
            return entry is not None and entry[1]
        if node.type == "field_expression":
            field = node.child_by_field_name("field")
            return field is not None and self.integer_fields.get(field.text) is True
        if node.type == "parenthesized_expression" and node.named_child_count == 1:
            return self.is_integer(node.named_children[0])
        return False

    def _entry(self, ident):
        """(char depth, integer) of the declaration an identifier refers to, or None."""
        name, pos = ident.text, ident.start_byte
        for node in reversed(self.containers(ident)):
            if node.type in _SCOPES:
                found = self._find(node, name, pos)
                if found is not _NOT_FOUND:
                    return found
                if node.type == "function_definition":
                    found = self._member_of_qualified_function(node, name)
                    if found is not _NOT_FOUND:
                        return found
        return None

    def containers(self, node) -> list:
        """The statement-level nodes around node, outermost first (translation unit, function,
        blocks, loops, lambdas), found by descending from the root: walking `parent` up through a
        deep expression costs time quadratic in its depth."""
        byte, end = node.start_byte, node.end_byte
        chain = []
        current = self.root
        while current is not None and (current.start_byte, current.end_byte) != (byte, end):
            kind = current.type
            if kind not in _CONTAINERS and not self._holds_nested_scope(current):
                break  # an expression without lambdas: no scope below
            chain.append(current)
            child = current.first_child_for_byte(byte)
            if child is None or child.start_byte > byte:
                break
            current = child
        return chain

    def _holds_nested_scope(self, node) -> bool:
        """A lambda (C++) or a GNU statement expression starts inside node."""
        if self._nested is None:
            query = _NESTED_SCOPE_QUERY[self.grammar]
            self._nested = sorted(n.start_byte for _, caps in treesitter.matches(self.grammar, query, self.root)
                                  for n in caps.get("scope", ()))
        i = bisect.bisect_left(self._nested, node.start_byte)
        return i < len(self._nested) and self._nested[i] < node.end_byte

    def field_depth(self, name: bytes) -> int | None:
        depths = self.fields.get(name)
        return next(iter(depths)) if depths and len(depths) == 1 else None

    def base_depth(self, type_node) -> int | None:
        """Char depth named by a type specifier: `char` 0, a char alias its depth, else None."""
        if type_node is None:
            return None
        t = type_node.type
        if t == "primitive_type":
            return 0 if type_node.text == b"char" else None
        if t == "type_identifier":
            name = type_node.text
            if name in self.aliases:
                return self.aliases[name]
            return 1 if self.cpp and name in _STRING_TYPES else None
        if t == "qualified_identifier" and self.cpp:
            return 1 if type_node.text.replace(b" ", b"") in _STRING_TYPES else None
        return None

    def type_descriptor_depth(self, descriptor) -> int | None:
        """Char depth of a cast's or alias's type (`char`, `char *`, `const byte_t *`)."""
        if descriptor is None:
            return None
        base = self.base_depth(descriptor.child_by_field_name("type"))
        if base is None:
            return None
        _, extra = declarator_name(descriptor.child_by_field_name("declarator"))
        return None if extra is None else base + extra

    # -- scopes ----------------------------------------------------------------------------------

    def _find(self, scope, name: bytes, pos: int):
        entries = self._declared_in(scope).get(name)
        if not entries:
            return _NOT_FOUND
        if scope.type == "field_declaration_list":  # members are visible in the whole class
            return entries[-1][1:]
        before = [entry[1:] for entry in entries if entry[0] < pos]
        return before[-1] if before else _NOT_FOUND

    def _declared_in(self, scope) -> dict[bytes, list[tuple[int, int | None, bool]]]:
        table = self._scopes.get(scope.id)
        if table is None:
            table = self._scopes[scope.id] = {}
            for decl in self._declarations(scope):
                self._record(table, decl)
        return table

    def _declarations(self, scope):
        """Declaration-like nodes that belong to this scope."""
        if scope.type == "function_definition":
            params = function_parameters(scope)
            if params is not None:
                yield from (p for p in params.named_children if p.type in _DECLARATIONS)
            yield from (c for c in scope.named_children if c.type == "declaration")  # K&R parameters
            return
        if scope.type == "lambda_expression":
            decl = scope.child_by_field_name("declarator")
            params = decl.child_by_field_name("parameters") if decl is not None else None
            if params is not None:
                yield from (p for p in params.named_children if p.type in _DECLARATIONS)
            return
        if scope.type == "catch_clause":
            params = scope.child_by_field_name("parameters")
            if params is not None:
                yield from (p for p in params.named_children if p.type in _DECLARATIONS)
            return
        if scope.type == "for_range_loop":
            yield scope
            return
        stack = list(reversed(scope.named_children))
        while stack:
            child = stack.pop()
            if child.type in _DECLARATIONS:
                yield child
            elif child.type in _TRANSPARENT:
                stack.extend(reversed(child.named_children))

    def _record(self, table, decl) -> None:
        base = self.base_depth(decl.child_by_field_name("type"))
        for declarator in decl.children_by_field_name("declarator"):
            ident, extra = declarator_name(declarator)
            if ident is None:
                continue
            depth = None if base is None or extra is None else base + extra
            integer = extra == 0 and is_integer_type(decl.child_by_field_name("type"))
            table.setdefault(ident.text, []).append((ident.start_byte, depth, integer))

    def _member_of_qualified_function(self, function, name: bytes):
        """For `int Klass::method() {...}`, the type of a member `name` of Klass in this file."""
        decl = function.child_by_field_name("declarator")
        while decl is not None and decl.type not in ("qualified_identifier", "identifier", "field_identifier"):
            decl = decl.child_by_field_name("declarator")
        if decl is None or decl.type != "qualified_identifier":
            return _NOT_FOUND
        scope = decl.child_by_field_name("scope")
        body = self.classes.get(scope.text) if scope is not None else None
        if body is None:
            return _NOT_FOUND
        entries = self._declared_in(body).get(name)
        return entries[-1][1:] if entries else _NOT_FOUND

    # -- file-wide tables ------------------------------------------------------------------------

    def _find_aliases(self, data: bytes) -> None:
        aliases = self.aliases
        for m in _ALIAS_MACRO.finditer(data):
            aliases[m.group(1)] = len(m.group(2))
        if b"typedef" not in data and b"using" not in data:
            return
        nodes = [n for _, caps in treesitter.matches(self.grammar, _ALIAS_QUERY[self.grammar], self.root)
                 for n in caps.get("alias", ())]
        nodes.sort(key=lambda n: n.start_byte)
        for _ in range(3):  # aliases of aliases
            changed = False
            for node in nodes:
                if node.type == "alias_declaration":
                    name = node.child_by_field_name("name")
                    depth = self.type_descriptor_depth(node.child_by_field_name("type"))
                    pairs = [(name, depth)] if name is not None else []
                else:
                    base = self.base_depth(node.child_by_field_name("type"))
                    pairs = []
                    for declarator in node.children_by_field_name("declarator"):
                        ident, extra = declarator_name(declarator)
                        if ident is not None:
                            pairs.append((ident, None if base is None or extra is None else base + extra))
                for ident, depth in pairs:
                    if depth is not None and aliases.get(ident.text) != depth:
                        aliases[ident.text] = depth
                        changed = True
            if not changed:
                break

    def _find_fields(self):
        fields: dict[bytes, set[int | None]] = {}
        integers: dict[bytes, bool] = {}
        classes: dict[bytes, object] = {}
        for _, caps in treesitter.matches(self.grammar, _FIELD_QUERY, self.root):
            for decl in caps.get("field", ()):
                base = self.base_depth(decl.child_by_field_name("type"))
                for declarator in decl.children_by_field_name("declarator"):
                    ident, extra = declarator_name(declarator)
                    if ident is not None and ident.type == "field_identifier":
                        depth = None if base is None or extra is None else base + extra
                        fields.setdefault(ident.text, set()).add(depth)
                        integer = extra == 0 and is_integer_type(decl.child_by_field_name("type"))
                        integers[ident.text] = integers.get(ident.text, True) and integer
                body = decl.parent
                owner = body.parent if body is not None and body.type == "field_declaration_list" else None
                if owner is not None and owner.type in ("class_specifier", "struct_specifier", "union_specifier"):
                    owner_name = owner.child_by_field_name("name")
                    if owner_name is not None:
                        classes.setdefault(owner_name.text, body)
        return fields, classes, integers


class DeepCharSymbols(CharSymbols):
    """The table in deep mode: libclang's type of an expression (typedefs and macros from any
    header, -D defines of the compilation database) wins wherever libclang saw the expression
    as written; elsewhere (macro arguments, code the database's configuration does not compile)
    the file's own declarations answer, as in fast mode."""

    def __init__(self, root, grammar: str, data: bytes, facts):
        super().__init__(root, grammar, data)
        self.facts = facts

    def depth(self, node) -> int | None:
        d = self.facts.char_depth(node.start_byte, node.end_byte)
        return super().depth(node) if d is NotImplemented else d

    def type_descriptor_depth(self, descriptor) -> int | None:
        cast = descriptor.parent if descriptor is not None else None
        if cast is not None and cast.type == "cast_expression":
            d = self.facts.char_depth(cast.start_byte, cast.end_byte)
            if d is not NotImplemented:
                return d
        return super().type_descriptor_depth(descriptor)

    def is_integer(self, node) -> bool:
        found = self.facts.is_integer(node.start_byte, node.end_byte)
        return super().is_integer(node) if found is NotImplemented else found


def is_integer_type(type_node) -> bool:
    """`int`, `unsigned long`, `size_t`, `uint32_t`, `u32`... (not char, bool or floating)."""
    if type_node is None:
        return False
    if type_node.type == "sized_type_specifier":
        inner = type_node.child_by_field_name("type")
        return inner is None or inner.text in (b"int", b"long", b"short")
    if type_node.type == "primitive_type":
        return type_node.text in _INTEGER_PRIMITIVES
    if type_node.type == "type_identifier":
        return _INTEGER_TYPEDEF.match(type_node.text) is not None
    return False


def declarator_name(node) -> tuple[object | None, int | None]:
    """(name node, pointer/array depth the declarator adds) of a declarator; the depth is None
    for a function declarator. (None, 0) for an absent or abstract-only declarator."""
    extra = 0
    while node is not None:
        t = node.type
        if t in ("identifier", "field_identifier", "type_identifier"):
            return node, extra
        if t in ("pointer_declarator", "array_declarator", "abstract_pointer_declarator", "abstract_array_declarator"):
            extra += 1
            node = node.child_by_field_name("declarator")
        elif t in ("function_declarator", "abstract_function_declarator"):
            inner, _ = declarator_name(node.child_by_field_name("declarator"))
            return inner, None
        elif t in ("init_declarator", "attributed_declarator"):
            node = node.child_by_field_name("declarator")
        elif t in ("reference_declarator", "parenthesized_declarator", "abstract_reference_declarator",
                   "abstract_parenthesized_declarator"):
            named = node.named_children
            node = named[-1] if named else None
        else:
            return None, None
    return None, extra


def function_parameters(function):
    """The parameter_list of a function_definition (through pointer/reference declarators)."""
    decl = function.child_by_field_name("declarator")
    while decl is not None and decl.type != "function_declarator":
        named = decl.named_children
        nxt = decl.child_by_field_name("declarator")
        decl = nxt if nxt is not None else (named[-1] if named and decl.type.endswith("declarator") else None)
    return decl.child_by_field_name("parameters") if decl is not None else None
