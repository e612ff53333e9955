from __future__ import annotations


from archport.model import Confidence, Impact, Severity
from archport.rule import Rule
from archport.rules.c_cpp import _plain_char as pc
from archport.rules.c_cpp._char_screen import candidates
from archport.rules.c_cpp._symbols import char_symbols

#: casts that keep only the low 8 or 16 bits (the byte pattern is the same on both targets)
_NARROW = {"unsigned char": 0xFF, "uint8_t": 0xFF, "signed char": 0xFF, "int8_t": 0xFF, "char": 0xFF,
           "u_char": 0xFF, "uint16_t": 0xFFFF, "unsigned short": 0xFFFF, "int16_t": 0xFFFF, "short": 0xFFFF}
_HIGH = range(128, 256)


def _low_mask(table, node) -> int | None:
    """The mask that the surrounding expression applies to `node`'s value, when it is an
    `& constant` or a narrowing cast right around it."""
    parent = node.parent
    while parent is not None and parent.type == "parenthesized_expression":
        node, parent = parent, parent.parent
    if parent is None:
        return None
    if parent.type == "binary_expression":
        op = parent.child_by_field_name("operator")
        if op is not None and op.type == "&":
            left, right = parent.child_by_field_name("left"), parent.child_by_field_name("right")
            other = right if left is not None and left.id == node.id else left
            const = pc.constant(table, other) if other is not None else None
            if const is not None and const.x86 == const.arm and const.x86 >= 0:
                return const.x86
    if parent.type == "cast_expression":
        descriptor = parent.child_by_field_name("type")
        if descriptor is not None and descriptor.child_by_field_name("declarator") is None:
            return _NARROW.get(" ".join(descriptor.text.decode("utf-8", "replace").replace("const", " ").split()))
    return None


def _differs(operand: pc.CharOperand, fn, mask: int | None) -> bool:
    for b in _HIGH:
        x86, arm = fn(operand.value(b, False)), fn(operand.value(b, True))
        if mask is not None:
            x86, arm = x86 & mask, arm & mask
        if x86 != arm:
            return True
    return False


def _contains(node, types: tuple[str, ...], depth: int = 3) -> bool:
    """A `<<` or `*` (hash and byte-assembly shapes) within a few levels of node."""
    if node is None or depth < 0:
        return False
    if node.type == "binary_expression":
        op = node.child_by_field_name("operator")
        if op is not None and op.type in types:
            return True
    if node.type in ("binary_expression", "parenthesized_expression", "cast_expression"):
        return any(_contains(c, types, depth - 1) for c in node.named_children)
    return False


def _in_loop(table, node) -> bool:
    """Inside a loop of the same function: where hashes and checksums run over bytes."""
    for container in reversed(table.containers(node)):
        if container.type in ("function_definition", "lambda_expression"):
            return False
        if container.type in ("for_statement", "while_statement", "do_statement", "for_range_loop"):
            return True
    return False


def _range(operand: pc.CharOperand) -> str:
    low, high = operand.value(0x80, False), operand.value(0xFF, False)
    return f"{low}..{high}" if low < 0 else f"{low:#x}..{high:#x}"


class PlainCharWidening(Rule):
    """Plain `char` widened into an index, shift, hash or assembled word.

    ## What it does
    Checks for a plain `char` value (variable, field, `*p`, `s[i]`, possibly cast to `int`,
    `unsigned` or `size_t`) that is widened where its sign matters: used as an array index
    (`table[c]`, `table[(int)c]`), shifted (`c >> 4`, `c << 8`), or mixed into a wider value as
    hashes, checksums and byte assembly do (`h = h * 31 + c`, `(v << 8) | c`, `sum += *p`).
    Conversions through `unsigned char`/`uint8_t`, and results masked down to the low byte
    (`(c >> 4) & 0x0f`, `(h ^ c) & 0xff`), mean the same on both and are not reported.

    ## Why is this a problem on ARM64?
    Plain `char` is signed on x86-64 and unsigned on AArch64 Linux. When it is widened to
    `int`, a byte 0x80-0xFF becomes -128..-1 on x86-64 (sign-extended) and 128..255 on
    AArch64. A lookup table is then read at a different element (before the array on
    x86-64), `c >> 4` shifts in ones on x86-64 and zeros on AArch64, and a hash or checksum
    over text with non-ASCII bytes gives a different value — which breaks hash tables, on-disk
    formats and replicas shared between x86-64 and AArch64 machines.

    ## Example
    ```c
    unsigned hash(const char *s) {
        unsigned h = 0;
        while (*s)
            h = h * 31 + *s++;
        return h;
    }
    ```

    Use instead:
    ```c
    unsigned hash(const char *s) {
        unsigned h = 0;
        while (*s)
            h = h * 31 + (unsigned char)*s++;
        return h;
    }
    ```

    ## Limitations
    Types come from this file only (a `char` field or typedef declared in a header is not
    recognised). A plain `char` first copied into an `int` variable and widened later is not
    followed. To stay quiet on small codes kept in a `char` (`type | len << 3`), a char
    *variable* mixed into a value is reported only inside a loop (bytes read through a pointer
    or index always are), and `x += c` only when `x` is declared with an integer type in this
    file (so `str += c` on a C++ string and `p += c` on a pointer are not reported). Switching to
    `unsigned char` changes x86-64 results too: where hash values are persisted or exchanged,
    `(signed char)` keeps the x86-64 values on both.

    ## References
    - GCC `-Wchar-subscripts`: https://gcc.gnu.org/onlinedocs/gcc/Warning-Options.html
    - SEI CERT C STR34-C: https://wiki.sei.cmu.edu/confluence/display/c/STR34-C.+Cast+characters+to+unsigned+char+before+converting+to+larger+integer+sizes
    """

    code = "CC103"
    name = "plain-char-widening"
    summary = "Plain char widened into an index, shift, hash or assembled word"
    languages = frozenset({"c", "cpp"})
    severity = Severity.WARNING
    impact = Impact.SILENT_BEHAVIOUR_CHANGE
    confidence = Confidence.MEDIUM
    tags = ("char-signedness", "data-model")
    effort_minutes = 15
    prefilter = (b"char",)
    #: deep mode: offered every file of the compilation database (a `char` typedef may come from a header)
    deep_offer = True

    def check_file(self, ctx):
        found = candidates(ctx)
        spots = [(kind, start, end) for kind in ("index", "shift", "mix") for start, end in found[kind]]
        if not spots:
            return
        table = char_symbols(ctx)
        if table is None:
            return
        results = {}
        for kind, start, end in spots:
            node = pc.node_at(ctx, start, end)
            if node is None:
                continue
            result = getattr(self, "_" + kind)(table, node)
            if result is not None:
                results.setdefault((result[0].start_byte, -result[0].end_byte), (kind, *result))
        outer_end = -1
        for (_, neg_end), (kind, expr, message) in sorted(results.items()):
            if -neg_end <= outer_end:
                continue  # inside an expression already reported (`p[0] << 8 | p[1]`)
            outer_end = -neg_end
            s, e = pc.char_span(ctx, expr)
            yield pc.make_finding(
                ctx,
                self,
                s,
                e,
                message,
                "convert the byte first, `(unsigned char)c`, or keep bytes in `unsigned char`/`uint8_t`: that gives "
                "0..255 on both (use `(signed char)c` instead where results stored or exchanged by x86-64 builds "
                "must not change); " + pc.BUILD_WIDE,
                {"expression": pc.code(expr), "kind": kind},
            )

    # -- candidates from the text ------------------------------------------------------------------

    # -- checks on the tree ------------------------------------------------------------------------

    def _index(self, table, node):
        if node.type == "subscript_argument_list":
            node = node.parent
        if node is None or node.type != "subscript_expression":
            return None
        index = node.child_by_field_name("index")
        if index is None:
            args = node.child_by_field_name("indices")
            named = args.named_children if args is not None else []
            index = named[0] if len(named) == 1 else None
        operand = pc.char_operand(table, index) if index is not None else None
        if operand is None:
            return None
        c = pc.code(operand.node, 30)
        return node, (
            f"`{pc.code(node)}` indexes with the plain char `{c}`: for bytes 0x80-0xFF the index is "
            f"{_range(operand)} on x86-64 and 128..255 on AArch64, so another element is read"
        )

    def _shift(self, table, node):
        op = node.child_by_field_name("operator")
        if op is None:
            return None
        if node.type == "assignment_expression" and op.type == ">>=":
            left = node.child_by_field_name("left")
            operand = pc.char_operand(table, left) if left is not None else None
            if operand is None or operand.casts:
                return None
            # stored back into the char: only the low byte is kept
            amount = pc.constant(table, node.child_by_field_name("right"))
            n = amount.x86 if amount is not None and amount.x86 == amount.arm and 0 < amount.x86 < 32 else 1
            if not _differs(operand, lambda v: v >> n, 0xFF):
                return None
            return node, self._shift_message(node, operand, ">>", n)
        if node.type != "binary_expression" or op.type not in (">>", "<<"):
            return None
        operand = pc.char_operand(table, node.child_by_field_name("left"))
        if operand is None:
            return None
        amount = pc.constant(table, node.child_by_field_name("right"))
        n = amount.x86 if amount is not None and amount.x86 == amount.arm and 0 <= amount.x86 < 32 else None
        fn = (lambda v: v >> (n or 1)) if op.type == ">>" else (lambda v: v << (n or 0))
        if not _differs(operand, fn, _low_mask(table, node)):
            return None
        return node, self._shift_message(node, operand, op.type, n)

    def _shift_message(self, node, operand, op, n):
        c = pc.code(operand.node, 30)
        if n is None:
            return (f"`{pc.code(node)}` shifts the plain char `{c}`: for bytes 0x80-0xFF x86-64 works on a "
                    "sign-extended negative value and AArch64 on 128..255, so the result differs")
        x86, arm = operand.value(0x80, False), operand.value(0x80, True)
        if op == ">>":
            return (f"`{pc.code(node)}` shifts the plain char `{c}` right: for byte 0x80 x86-64 gives {x86 >> n} "
                    f"(sign bits shifted in) and AArch64 gives {arm >> n}")
        return (f"`{pc.code(node)}` shifts the plain char `{c}` left: for byte 0x80 x86-64 gives "
                f"{(x86 << n) & 0xFFFFFFFF:#x} (sign-extended) and AArch64 gives {arm << n:#x}")

    def _mix(self, table, node):
        op = node.child_by_field_name("operator")
        if op is None:
            return None
        if node.type == "assignment_expression":
            if op.type not in ("+=", "-=", "^=", "|="):
                return None
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
            operand = pc.char_operand(table, right) if right is not None else None
            if operand is None or left is None or not table.is_integer(left):
                return None  # `c2 ^= c1` keeps the byte, `p += c` moves a pointer, `str += c` appends
            if pc.strip_parens(operand.node).type in ("identifier", "field_expression") and not _in_loop(table, node):
                return None
            return node, (
                f"`{pc.code(node)}` mixes the plain char `{pc.code(operand.node, 30)}` into a wider value: bytes "
                f"0x80-0xFF count as {_range(operand)} on x86-64 and 128..255 on AArch64, so the sum, hash or "
                "checksum differs"
            )
        if node.type != "binary_expression" or op.type not in ("+", "|", "^"):
            return None
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        for mine, other in ((left, right), (right, left)):
            operand = pc.char_operand(table, mine) if mine is not None else None
            if operand is None or other is None:
                continue
            if not (_contains(other, ("<<", "*")) or self._same_as_assigned(table, node, other)):
                return None
            if pc.strip_parens(operand.node).type in ("identifier", "field_expression") and not _in_loop(table, node):
                return None  # a char variable mixed in once is a small code (`type | len << 3`), not bytes
            if self._digit_conversion(table, node) or not _differs(operand, lambda v: v, _low_mask(table, node)):
                return None
            return node, (
                f"`{pc.code(node)}` mixes the plain char `{pc.code(operand.node, 30)}` into a wider value: bytes "
                f"0x80-0xFF count as {_range(operand)} on x86-64 and 128..255 on AArch64, so the hash, checksum "
                "or assembled word differs"
            )
        return None

    @staticmethod
    def _same_as_assigned(table, node, other) -> bool:
        """`h = h + c`, `sum = sum ^ c`: the other operand is the integer being assigned (not a
        string being appended to)."""
        parent = node.parent
        while parent is not None and parent.type == "parenthesized_expression":
            parent = parent.parent
        if parent is None or parent.type != "assignment_expression":
            return False
        left = parent.child_by_field_name("left")
        return left is not None and pc.strip_parens(other).text == left.text and table.is_integer(left)

    @staticmethod
    def _digit_conversion(table, node) -> bool:
        """`n * 10 + c - '0'`: a digit, whose value is the same on both."""
        parent = node.parent
        while parent is not None and parent.type == "parenthesized_expression":
            parent = parent.parent
        if parent is None or parent.type != "binary_expression":
            return False
        op = parent.child_by_field_name("operator")
        right = parent.child_by_field_name("right")
        const = pc.constant(table, right) if right is not None else None
        return op is not None and op.type == "-" and const is not None and const.char_typed
