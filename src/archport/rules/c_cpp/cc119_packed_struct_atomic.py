from __future__ import annotations

import re

from archport.model import Confidence, Impact, Severity
from archport.rule import Rule
from archport.rules.c_cpp import _scope

_PACKED_ATTR = re.compile(r"__attribute__\s*\(\(\s*(?:__)?packed(?:__)?\b[^;{}]*?\)\)|__packed\b|\[\[\s*gnu::packed\s*\]\]")
_PRAGMA_PACK = re.compile(r"^[ \t]*#[ \t]*pragma[ \t]+pack[ \t]*\(([^)\n]*)\)", re.M)
_ONE_BYTE = re.compile(r"^(?:(?:un)?signed\s+)?char$|^(?:u?int8_t|bool|_Bool|BYTE|u8|uint8|int8|std::byte)$")
_ATOMIC_CALL = re.compile(
    r"\b(?:__atomic_\w+|__sync_\w+|atomic_(?:load|store|exchange|compare_exchange_\w+|fetch_\w+|flag_\w+)(?:_explicit)?"
    r"|_?Interlocked\w+|std::atomic_ref\s*<[^>]*>)\s*\("
)
_ATOMIC_MEMBER = re.compile(r"\b_Atomic\b|\bstd::atomic\s*<|\batomic_(?:int|uint|long|ulong|llong|ullong|bool|size_t|intptr_t|uintptr_t)\b")
_ANY_ATOMIC = re.compile(r"__atomic_|__sync_|atomic_|Interlocked|_Atomic|atomic<")
_MEMBER_DECL = re.compile(r"^\s*(?P<type>[A-Za-z_][\w:<>,\s*]*?)[\s*]+(?P<name>[A-Za-z_]\w*)\s*(?:\[[^\]]*\])?\s*(?::\s*\d+)?\s*$")


class PackedStructAtomic(Rule):
    """Atomic operation on a field of a packed structure.

    ## What it does
    Checks for atomic builtins and functions (`__atomic_*`, `__sync_*`, C11 `atomic_*`,
    `Interlocked*`, `std::atomic_ref`) applied to a field of a structure declared with
    `__attribute__((packed))` or inside `#pragma pack(1|2|4)`, and for `_Atomic`/`std::atomic`
    members of such structures. Fields of one byte are not reported.

    ## Why is this a problem on ARM64?
    A packed structure has alignment 1, so its multi-byte fields can sit at any address. x86-64
    performs `lock`-prefixed read-modify-write instructions on misaligned addresses (slowly,
    as a "split lock" when they cross a cache line). AArch64's atomic instructions (`ldxr`/
    `stxr`, `ldar`/`stlr`, the LSE `ldadd`/`cas` family) require naturally aligned addresses and
    raise an alignment fault, delivered as SIGBUS: `__sync_fetch_and_add(&h->refs, 1)` on a
    `uint32_t` at offset 1 of a `#pragma pack(1)` structure runs on x86-64 and dies with
    SIGBUS under qemu-aarch64, and so do `__atomic_load_n(..., __ATOMIC_ACQUIRE)`,
    `__atomic_store_n(..., __ATOMIC_RELEASE)` and `__atomic_compare_exchange_n` on such fields.
    Relaxed loads and stores compile to plain `ldr`/`str` and are not reported.

    ## Example
    ```c
    #include <stdint.h>
    #pragma pack(push, 1)
    struct header { uint8_t kind; uint32_t refs; };
    #pragma pack(pop)
    void retain(struct header *h) { __sync_fetch_and_add(&h->refs, 1); }
    ```

    Use instead:
    ```c
    #include <stdint.h>
    struct header { uint8_t kind; uint32_t refs; };   /* natural layout: refs is aligned */
    void retain(struct header *h) { __sync_fetch_and_add(&h->refs, 1); }
    ```

    ## Limitations
    Fields are matched by name within the file: a field name that also belongs to an unpacked
    structure of the same file is not reported, and packed structures declared in other headers
    are not known. Atomics on pointers computed into byte buffers (`(uint64_t *)(buf + 3)`) are
    not recognised. `#pragma pack` regions are taken from `push`/`(n)` to the next `pop`/`()`.

    ## References
    - GCC `__atomic` builtins: https://gcc.gnu.org/onlinedocs/gcc/_005f_005fatomic-Builtins.html
    - Arm, alignment of exclusive and atomic accesses: https://developer.arm.com/documentation/ddi0487/latest
    """

    code = "CC119"
    name = "packed-struct-atomic"
    summary = "Atomic operation on a field of a packed structure"
    languages = frozenset({"c", "cpp"})
    severity = Severity.WARNING
    impact = Impact.RUNTIME_TRAP
    confidence = Confidence.MEDIUM
    tags = ("atomics", "alignment", "packed")
    effort_minutes = 30
    prefilter = (b"packed", b"pragma pack", b"pragma  pack")

    def check_file(self, ctx):
        masked = ctx.masked
        if not _ANY_ATOMIC.search(masked):
            return  # no atomics in this file
        packed, unpacked = _fields(ctx)
        if not packed:
            return
        for field, (struct, member_start, atomic_member) in packed.items():
            if atomic_member:
                yield ctx.finding(
                    self, member_start, member_start + len(field),
                    f"atomic member `{field}` of packed `{struct}` has alignment 1: AArch64's atomic instructions need "
                    "natural alignment and raise SIGBUS on a misaligned address, x86-64 does not",
                    "keep atomic members out of packed structures (or align them with `alignas`), and copy packed "
                    "wire data into a naturally aligned structure",
                    properties={"field": field, "struct": struct, "case": "atomic-member"},
                )
        candidates = {f for f in packed if f not in unpacked}
        if not candidates:
            return
        alt = "|".join(sorted(map(re.escape, candidates), key=len, reverse=True))
        target = re.compile(rf"^\s*\(?\s*&\s*\(?\s*[\w\[\]().]*?(?:->|\.)\s*({alt})\s*\)?\s*$")
        for call in _ATOMIC_CALL.finditer(masked):
            args = _scope.call_arguments(ctx, call.end() - 1)
            if not args:
                continue
            first = masked[args[0][0] : args[0][1]]
            m = target.match(first)
            if not m:
                continue
            field = m.group(1)
            struct = packed[field][0]
            name = call.group(0).rstrip("( ")
            rest = masked[args[0][1] : args[-1][1]]
            if re.search(r"(?:load|store)", name) and re.search(r"\b(?:__ATOMIC_RELAXED|memory_order_relaxed)\b", rest):
                continue  # a relaxed load or store is a plain ldr/str: no alignment fault
            yield ctx.finding(
                self, call.start(), args[0][1],
                f"`{name}` on `{field}`, a field of packed `{struct}` (alignment 1): x86-64 performs atomics on misaligned "
                "addresses, AArch64's atomic and acquire/release instructions require natural alignment and raise "
                "SIGBUS",
                "give the field its natural alignment (drop `packed` or `#pragma pack`, reorder fields, or `alignas`); "
                "for packed wire formats, copy into an aligned variable and operate on that",
                properties={"field": field, "struct": struct, "call": name, "case": "atomic-call"},
            )


def _fields(ctx):
    """(packed multi-byte field name -> (struct name, offset, is an atomic member), field names of
    structures that are not packed)."""
    masked = ctx.masked
    regions = _pack_regions(masked)
    packed_attr_macros = {m.group(1) for m in re.finditer(r"^[ \t]*#[ \t]*define[ \t]+(\w+)[ \t]+[^\n]*\bpacked\b", masked, re.M)}
    attr = _PACKED_ATTR.pattern
    if packed_attr_macros:
        attr += "|\\b(?:" + "|".join(map(re.escape, sorted(packed_attr_macros))) + ")\\b"
    attr_re = re.compile(attr)
    packed: dict[str, tuple[str, int, bool]] = {}
    unpacked: set[str] = set()
    for m in sorted((m for kw in ("struct", "union", "class") for m in re.finditer(kw + r"\b", masked)),
                    key=lambda m: m.start()):
        if m.start() > 0 and (masked[m.start() - 1].isalnum() or masked[m.start() - 1] == "_"):
            continue
        brace = masked.find("{", m.end(), m.end() + 300)
        if brace < 0 or ";" in masked[m.end() : brace] or "(" in masked[m.end() : brace].replace("((", "").replace("))", ""):
            continue
        head = masked[m.end() : brace]
        end = _scope.braces(ctx).get(brace, -1)
        if end < 0:
            continue
        tail = masked[end : end + 120]
        tail = tail[: tail.find(";")] if ";" in tail else tail
        name_m = re.search(r"([A-Za-z_]\w*)\s*$", attr_re.sub(" ", head))
        tail_name = re.search(r"([A-Za-z_]\w*)\s*$", attr_re.sub(" ", tail))
        struct = name_m.group(1) if name_m else tail_name.group(1) if tail_name else "(anonymous)"
        is_packed = bool(attr_re.search(head) or attr_re.search(tail)) or any(a <= m.start() < b for a, b in regions)
        body = masked[brace + 1 : end - 1]
        depth_free = re.sub(r"\{[^{}]*\}", " ", body)
        for decl_start, decl in _declarations(depth_free):
            dm = _MEMBER_DECL.match(decl)
            if not dm:
                continue
            ftype, fname = " ".join(dm.group("type").split()), dm.group("name")
            if ftype in ("struct", "union", "enum", "typedef", "return"):
                continue
            if not is_packed:
                unpacked.add(fname)
                continue
            if _ONE_BYTE.match(ftype.replace("const ", "").replace("volatile ", "").strip()) and "*" not in decl:
                continue
            offset = brace + 1 + body.find(decl.strip()) if decl.strip() in body else brace
            name_at = masked.find(fname, offset)
            packed.setdefault(fname, (struct, name_at if name_at >= 0 else offset, bool(_ATOMIC_MEMBER.search(decl))))
    return packed, unpacked


def _declarations(body: str):
    start = 0
    for i, c in enumerate(body):
        if c == ";":
            yield start, body[start:i]
            start = i + 1


def _pack_regions(masked: str) -> list[tuple[int, int]]:
    """Spans under `#pragma pack(1)`, `(2)`, `(4)` or `(push, n)` with n < 8."""
    regions = []
    open_at = None
    for m in _PRAGMA_PACK.finditer(masked):
        arg = m.group(1).strip()
        n = re.search(r"\b([1248])\b", arg)
        if n and int(n.group(1)) < 8:
            if open_at is None:
                open_at = m.end()
        elif "pop" in arg or arg == "" or (n and int(n.group(1)) >= 8):
            if open_at is not None:
                regions.append((open_at, m.start()))
                open_at = None
    if open_at is not None:
        regions.append((open_at, len(masked)))
    return regions
