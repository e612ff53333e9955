from __future__ import annotations

import re

from archport.model import Confidence, Impact, Severity
from archport.rule import Rule
from archport.rules.c_cpp import _plain_char as pc
from archport.rules.c_cpp._char_screen import MAX_CANDIDATES
from archport.rules.c_cpp._char_screen import screen as char_screen
from archport.rules.c_cpp._deep import char_offset
from archport.rules.c_cpp._deep import facts as deep_facts
from archport.rules.c_cpp._symbols import char_symbols, declarator_name

#: a bit-field width: `: 3;` or `: 3,`
_WIDTH = re.compile(r":[ \t]*[0-9][0-9uUlL]*[ \t]*[;,]")
#: the start of a member declaration: qualifiers, then the type word
_MEMBER_HEAD = re.compile(r"\s*(?:(?:const|volatile|mutable)\s+)*([A-Za-z_]\w*)\b")


class PlainCharBitfield(Rule):
    """Bit-field declared with plain `char`, whose signedness differs between targets.

    ## What it does
    Checks for struct, union and class bit-fields whose declared type is plain `char` (or a
    typedef or macro of it): `char mode : 3;`. `signed char` and `unsigned char` bit-fields
    are not reported.

    ## Why is this a problem on ARM64?
    GCC and Clang give a plain `char` bit-field the signedness of plain `char`: signed on
    x86-64, unsigned on AArch64 Linux (`-fsigned-bitfields` does not change this; only
    `-fsigned-char`/`-funsigned-char` do). A 3-bit field holds -4..3 on x86-64 and 0..7 on
    AArch64, so storing 7 reads back -1 on x86-64 and 7 on AArch64, and a 1-bit flag set to 1
    compares equal to 1 only on AArch64.

    ## Example
    ```c
    struct entry {
        char kind : 3;
        char flag : 1;
    };
    ```

    Use instead:
    ```c
    struct entry {
        unsigned char kind : 3;
        unsigned char flag : 1;
    };
    ```

    ## Limitations
    A typedef of `char` declared in another header is not recognised. The finding does not
    check whether the field ever holds a value whose top bit is set; a field that only ever
    holds small non-negative values behaves the same on both.

    ## References
    - GCC manual, implementation-defined behaviour of bit-fields: https://gcc.gnu.org/onlinedocs/gcc/Structures-unions-enumerations-and-bit-fields-implementation.html
    - GCC options `-fsigned-char`, `-fsigned-bitfields`: https://gcc.gnu.org/onlinedocs/gcc/C-Dialect-Options.html
    """

    code = "CC104"
    name = "plain-char-bitfield"
    summary = "Bit-field declared with plain char, whose signedness differs between targets"
    languages = frozenset({"c", "cpp"})
    severity = Severity.WARNING
    impact = Impact.SILENT_BEHAVIOUR_CHANGE
    confidence = Confidence.HIGH
    tags = ("char-signedness", "data-model")
    effort_minutes = 10
    prefilter = (b"char",)
    #: deep mode: offered every file of the compilation database (a `char` typedef may come from a header)
    deep_offer = True

    def check_file(self, ctx):
        deep = deep_facts(ctx) if getattr(ctx, "deep_available", False) and _WIDTH.search(ctx.masked) else None
        if deep is not None:
            yield from self._deep(ctx, deep)
        screen = char_screen(ctx)
        if not screen:
            return
        masked = ctx.masked
        hits = []
        for m in _WIDTH.finditer(masked):
            first = max(masked.rfind(";", 0, m.start()), masked.rfind("{", 0, m.start()), masked.rfind("}", 0, m.start())) + 1
            head = _MEMBER_HEAD.match(masked, first, m.start())
            if head and head.group(1) in screen.type_words:
                hits.append(head)
                if len(hits) >= MAX_CANDIDATES:
                    break
        if not hits:
            return
        table = char_symbols(ctx)
        if table is None:
            return
        seen = set()
        for m in hits:
            node = pc.node_at(ctx, m.start(1), m.end(1))
            while node is not None and node.type != "field_declaration":
                node = node.parent
            if node is None or node.id in seen or table.base_depth(node.child_by_field_name("type")) != 0:
                continue
            seen.add(node.id)
            for declarator, clause, width in _bitfields(node):
                name, extra = declarator_name(declarator)
                if name is None or extra != 0:
                    continue
                if deep is not None and name.start_byte in deep.bitfields:
                    continue  # libclang decided (above)
                field = name.text.decode("utf-8", "replace")
                if width is not None:
                    x86 = f"{-(1 << (width - 1))}..{(1 << (width - 1)) - 1}"
                    arm = f"0..{(1 << width) - 1}"
                    values = f"it holds {x86} on x86-64 and {arm} on AArch64"
                else:
                    values = "it is signed on x86-64 and unsigned on AArch64"
                start, end = pc.char_span(ctx, declarator)[0], pc.char_span(ctx, clause)[1]
                yield pc.make_finding(
                    ctx,
                    self,
                    start,
                    end,
                    f"bit-field `{field}` is declared plain char: {values}",
                    f"declare it `unsigned char {field} : {width or 'N'}` (or `signed char` if negative values are "
                    "meant), so both targets agree; " + pc.BUILD_WIDE,
                    {"field": field, "width": width},
                )

    def _deep(self, ctx, deep):
        """Deep mode: the plain-char bit-fields libclang declares in this file, whatever typedef
        or macro names their type."""
        for offset, (plain, field, width, _, end) in sorted(deep.bitfields.items()):
            if not plain:
                continue
            width = width if 0 < width <= 8 else None
            start = char_offset(ctx, offset)
            yield pc.make_finding(ctx, self, start, char_offset(ctx, end), *self._texts(field, width),
                                  {"field": field, "width": width})

    @staticmethod
    def _texts(field: str, width: int | None) -> tuple[str, str]:
        if width is not None:
            values = f"it holds {-(1 << (width - 1))}..{(1 << (width - 1)) - 1} on x86-64 and 0..{(1 << width) - 1} on AArch64"
        else:
            values = "it is signed on x86-64 and unsigned on AArch64"
        return (f"bit-field `{field}` is declared plain char: {values}",
                f"declare it `unsigned char {field} : {width or 'N'}` (or `signed char` if negative values are "
                "meant), so both targets agree; " + pc.BUILD_WIDE)


def _bitfields(field_declaration):
    """(declarator, bitfield clause, width or None) for each bit-field of a field declaration."""
    declarators = {d.id for d in field_declaration.children_by_field_name("declarator")}
    out = []
    pending = None
    for child in field_declaration.named_children:
        if child.id in declarators:
            pending = child
        elif child.type == "bitfield_clause" and pending is not None:
            width = None
            for part in child.named_children:
                if part.type == "number_literal":
                    try:
                        width = int(part.text.decode("ascii").rstrip("uUlL"), 0)
                    except ValueError:
                        width = None
            out.append((pending, child, width if width and 0 < width <= 8 else None))
            pending = None
    return out
