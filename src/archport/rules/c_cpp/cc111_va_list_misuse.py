from __future__ import annotations

import re

from archport.model import Confidence, Impact, Severity
from archport.rule import Rule
from archport.rules.c_cpp import _scope

#: standard functions taking a va_list, and the argument position of that va_list
_STD_VA_FUNCS = {
    "vprintf": 1, "vfprintf": 2, "vsprintf": 2, "vsnprintf": 3, "vasprintf": 2, "vdprintf": 2,
    "vscanf": 1, "vfscanf": 2, "vsscanf": 2, "vsyslog": 2, "verr": 2, "verrx": 2, "vwarn": 1, "vwarnx": 1,
    "vwprintf": 1, "vfwprintf": 2, "vswprintf": 3, "vwscanf": 1, "vfwscanf": 2, "vswscanf": 2,
    "_vsnprintf": 3, "vsprintf_s": 3, "vsnprintf_s": 4, "vfprintf_s": 2, "vprintf_s": 1,
}
_VA_MACROS = frozenset({"va_start", "va_end", "va_copy", "va_arg", "__builtin_va_start", "__builtin_va_end",
                        "__builtin_va_copy", "__builtin_va_arg", "sizeof", "__va_copy"})
_NULLISH = re.compile(r"\(?\s*(?:\(\s*va_list\s*\)\s*)?(?:NULL|nullptr|0|\(\s*void\s*\*\s*\)\s*0)\s*\)?")
_VA_LIST = re.compile(r"va_list\b")
_NAME_BEFORE = re.compile(r"([A-Za-z_]\w*)\s*$")
_CALL = re.compile(r"\b([A-Za-z_]\w*)\s*\(")
_USES_VA = re.compile(r"va_(?:start|arg|copy|end)\b|v\w*printf\s*\(")
_KEYWORDS = frozenset({"if", "while", "for", "switch", "return", "sizeof", "defined", "__typeof__", "typeof"})
_COPY_MACRO = re.compile(r"(?i)va_?copy")  # project wrappers such as XSUM_va_copy(dst, src)
_FLOW_BREAK = re.compile(r"\b(?:return|break|goto|continue|case|default|else|exit|_exit|abort|longjmp|siglongjmp|throw)\b")


class VaListMisuse(Rule):
    """`va_list` used in a way that only works with x86-64's array-typed `va_list`.

    ## What it does
    Checks for `va_list` code that depends on x86-64's definition of the type: `NULL`/`0`
    passed as a `va_list` argument (to `vprintf`-style functions or to functions of this file
    that take a `va_list`), a `va_list` compared with or assigned `NULL`, tested with `!ap` or
    `if (ap)`, `memcpy` between `va_list` parameters, and a `va_list` used again (`va_arg`, or
    passed to another function) after it was passed to a function, without `va_copy`/`va_start`
    in between, including a call inside a loop that passes the same `va_list` on every iteration.

    ## Why is this a problem on ARM64?
    On x86-64 `va_list` is an array of one `__va_list_tag`, so a `va_list` parameter is really a
    pointer: comparing it with `NULL` or passing `NULL` for it compiles, and a callee that reads
    arguments advances the caller's `va_list`. On AArch64 `va_list` is a 32-byte structure
    passed by value: `NULL` for it, `ap == NULL`, `!ap` and `memcpy(dst, src, …)` on parameters
    are compile errors ("incompatible type for argument", "used struct type value where scalar
    is required"), and a callee works on a copy. After `take_int(ap)` consumed the first
    argument, `va_arg(ap, int)` returns the second argument on x86-64 but the first again on
    AArch64; `vprintf(f, ap); vprintf(f, ap);` prints `[7][8]` on x86-64 and `[7][7]` on
    AArch64. (C leaves `ap` indeterminate after such a call: only `va_copy` is portable.)

    ## Example
    ```c
    #include <stdarg.h>
    #include <stdio.h>
    void log_twice(FILE *a, FILE *b, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        vfprintf(a, fmt, ap);
        vfprintf(b, fmt, ap);
        va_end(ap);
    }
    ```

    Use instead:
    ```c
    #include <stdarg.h>
    #include <stdio.h>
    void log_twice(FILE *a, FILE *b, const char *fmt, ...) {
        va_list ap, aq;
        va_start(ap, fmt);
        va_copy(aq, ap);
        vfprintf(a, fmt, ap);
        vfprintf(b, fmt, aq);
        va_end(aq);
        va_end(ap);
    }
    ```

    ## Limitations
    Names are known as `va_list` only when declared in the same function; `va_list` members of
    structures and `va_list` typedefs are not followed. A reuse after a conditional call is
    reported only when no `return`, `break`, `goto` or `else` separates the two, so reuses on
    other paths are missed. A callee defined in the same file that `va_copy`s its parameter is
    taken as not consuming it; callees elsewhere are assumed to consume it. Assignment between
    two `va_list` parameters (a pointer copy on x86-64, a structure copy on AArch64) is not
    reported.

    ## References
    - Procedure Call Standard for the Arm 64-bit Architecture, va_list: https://github.com/ARM-software/abi-aa/blob/main/aapcs64/aapcs64.rst#appendix-variable-argument-lists
    - System V AMD64 ABI, va_list: https://gitlab.com/x86-psABIs/x86-64-ABI
    - C11 7.16 Variable arguments: https://www.open-std.org/jtc1/sc22/wg14/www/docs/n1570.pdf
    """

    code = "CC111"
    name = "va-list-misuse"
    summary = "`va_list` used in a way that only works with x86-64's array-typed `va_list`"
    languages = frozenset({"c", "cpp"})
    severity = Severity.WARNING
    impact = Impact.SILENT_BEHAVIOUR_CHANGE
    confidence = Confidence.MEDIUM
    tags = ("varargs", "abi")
    effort_minutes = 20
    prefilter = (b"va_list",)

    def check_file(self, ctx):
        masked = ctx.masked
        va_funcs = dict(_STD_VA_FUNCS)
        for m in _VA_LIST.finditer(masked):
            # the parameter list around this `va_list`, and the function name before it
            open_at = masked.rfind("(", max(0, m.start() - 300), m.start())
            close = _scope.close_paren(masked, open_at) if open_at >= 0 else -1
            if close < m.end():
                continue
            name = _NAME_BEFORE.search(masked, max(0, open_at - 80), open_at)
            if not name:
                continue
            params = masked[open_at + 1 : close - 1].split(",")
            for i, p in enumerate(params):
                if re.search(r"\bva_list\b(?!\s*\*)", p):
                    va_funcs.setdefault(name.group(1), i)
                    break
        yield from self._null_arguments(ctx, va_funcs)
        if not _USES_VA.search(masked):
            return  # prototypes only: no function here reads or forwards a va_list
        _, funcs = _scope.functions(ctx)
        for fn in funcs:
            if "va_list" not in masked[fn.params[0] : fn.body[1]]:
                continue
            names = _scope.typed_names(ctx, fn, r"va_list")
            names = {n: o for n, o in names.items() if not _is_pointer_decl(masked, o, n)}
            if not names:
                continue
            for name in names:
                yield from self._type_misuse(ctx, fn, name)
                yield from self._reuse(ctx, fn, name, va_funcs)

    # -- NULL for a va_list argument ----------------------------------------------------------

    def _null_arguments(self, ctx, va_funcs):
        masked = ctx.masked
        for m in _scope.find_tokens(ctx, va_funcs, r"\s*\("):
            before = masked[max(0, m.start() - 40) : m.start()]
            if re.search(r"(?:\bva_list\b|[\w*]\s+\**|\.|->)\s*$", before) and not re.search(r"\breturn\s*$", before):
                continue  # a declaration, a definition or a method
            close = _scope.close_paren(masked, m.end() - 1)
            if close < 0 or not re.search(r"\b(?:NULL|nullptr|0)\b", masked[m.end() : close]):
                continue
            args = _scope.call_arguments(ctx, m.end() - 1)
            callee = m.group(0).rstrip("( \t\n")
            index = va_funcs[callee]
            if index >= len(args):
                continue
            a, b = _scope.strip_span(masked, *args[index])
            if not _NULLISH.fullmatch(masked[a:b]):
                continue
            yield ctx.finding(
                self, a, b,
                f"`{masked[a:b]}` passed as the va_list argument of `{callee}()`: x86-64 accepts it because a va_list "
                "parameter is a pointer there, but AArch64's va_list is a 32-byte struct and the build fails "
                "(\"incompatible type for argument\")",
                "pass a real va_list, e.g. from a variadic wrapper that calls va_start, or add a separate function "
                "for the no-arguments case",
                properties={"case": "null-argument", "function": callee},
                severity=Severity.ERROR,
            )

    # -- comparisons, NULL assignment, memcpy ---------------------------------------------------

    def _type_misuse(self, ctx, fn, name):
        masked = ctx.masked
        n = re.escape(name)
        lo, hi = fn.body
        checks = (
            (rf"(?<![\w.>])(?:{n}\s*[!=]=\s*(?:NULL|nullptr|0)\b|(?:NULL|nullptr|0)\s*[!=]=\s*{n}\b)", "compared with NULL",
             "\"invalid operands to binary ==\""),
            (rf"!\s*{n}\b(?!\s*[\[.(])", "tested with `!`", "\"wrong type argument to unary exclamation mark\""),
            (rf"\b(?:if|while)\s*\(\s*{n}\s*\)", "used as a condition", "\"used struct type value where scalar is required\""),
            (rf"(?<![\w.>*])\b{n}\s*=\s*(?:NULL|nullptr|0)\s*;", "assigned NULL", "\"incompatible types when assigning\""),
        )
        for regex, what, error in checks:
            for m in re.finditer(regex, masked[lo:hi]):
                start, end = lo + m.start(), lo + m.end()
                yield ctx.finding(
                    self, start, end,
                    f"va_list `{name}` is {what}: that compiles on x86-64, where va_list is an array (a pointer as a "
                    f"parameter), but AArch64's va_list is a struct and the build fails ({error})",
                    "a va_list is never null: keep a separate flag for \"no arguments\", or pass `va_list *` and test "
                    "the pointer",
                    properties={"case": "null-comparison", "name": name},
                    severity=Severity.ERROR,
                )
        param_lo, param_hi = fn.params
        if not re.search(rf"\bva_list\s+{n}\b", masked[param_lo:param_hi]):
            return
        for m in re.finditer(r"\bmem(?:cpy|move)\s*\(", masked[lo:hi]):
            args = _scope.call_arguments(ctx, lo + m.end() - 1)
            texts = [masked[a:b].strip() for a, b in args[:2]]
            reported = ctx.cache.setdefault("cc111_memcpy", set())
            if name in texts and lo + m.start() not in reported:
                reported.add(lo + m.start())
                yield ctx.finding(
                    self, lo + m.start(), args[-1][1] + 1 if args else lo + m.end(),
                    f"`{m.group(0).rstrip('( ')}` on va_list parameter `{name}`: on x86-64 the parameter is a pointer and "
                    "this compiles, on AArch64 it is a struct and the build fails (\"incompatible type for argument\")",
                    f"use `va_copy(dst, {name})`",
                    properties={"case": "memcpy", "name": name},
                    severity=Severity.ERROR,
                )

    # -- reuse after passing it to a function -----------------------------------------------------

    def _reuse(self, ctx, fn, name, va_funcs):
        masked = ctx.masked
        lo, hi = fn.body
        n = re.escape(name)
        events = []  # (offset, kind, callee)
        has_name = re.compile(rf"\b{n}\b")
        for m in _CALL.finditer(masked, lo, hi):
            callee = m.group(1)
            close = _scope.close_paren(masked, m.end() - 1, limit=20000, stop_at_semicolon=False)
            if close < 0 or not has_name.search(masked, m.end(), close):
                continue
            args = _scope.call_arguments(ctx, m.end() - 1)
            if not args:
                continue
            texts = [masked[a:b].strip() for a, b in args]
            if callee in ("va_start", "__builtin_va_start", "va_end", "__builtin_va_end"):
                if texts[0] == name:
                    events.append((m.start(), "reset", callee))
            elif callee in ("va_copy", "__va_copy", "__builtin_va_copy") or _COPY_MACRO.search(callee):
                if texts[0] == name:
                    events.append((m.start(), "reset", callee))
            elif callee in ("va_arg", "__builtin_va_arg"):
                if texts[0] == name:
                    events.append((m.start(), "use", callee))
            elif callee not in _VA_MACROS and callee not in _KEYWORDS and name in texts \
                    and not _callee_copies(ctx, callee):
                events.append((m.start(), "pass", callee))
        events.sort()
        passed = None
        for offset, kind, callee in events:
            if kind == "reset":
                passed = None
                continue
            if passed is not None and not _FLOW_BREAK.search(masked, passed[0], offset):
                first_line = ctx.source.line_of(passed[0])
                action = "read with va_arg" if kind == "use" else f"passed to `{callee}()`"
                yield self._reuse_finding(ctx, offset, name, action,
                                          f"was passed to `{passed[1]}()` at line {first_line}")
                passed = None
                continue
            if kind == "pass":
                passed = (offset, callee)
                for finding in self._loop_reuse(ctx, fn, name, offset, callee, events):
                    passed = None  # reported once, at this call
                    yield finding

    def _loop_reuse(self, ctx, fn, name, offset, callee, events):
        masked = ctx.masked
        for loop in _scope.enclosing_loops(ctx, fn, offset):
            lo, hi = loop.keyword, loop.body[1]
            if any(lo <= o < hi and k == "reset" for o, k, _ in events):
                continue
            if re.search(rf"\bva_list\b[^;]*\b{re.escape(name)}\b", masked[lo:hi]):
                continue  # declared inside the loop: fresh each iteration
            yield self._reuse_finding(ctx, offset, name, f"passed to `{callee}()`",
                                      f"is passed again on every iteration of the loop at line "
                                      f"{ctx.source.line_of(loop.keyword)}")
            return

    def _reuse_finding(self, ctx, offset, name, action, history):
        end = offset + len(re.match(r"\w+", ctx.masked[offset:]).group(0))
        return ctx.finding(
            self, offset, end,
            f"va_list `{name}` {history} and is {action} here without va_copy/va_start: on x86-64 (va_list is an "
            "array, passed by reference) the callee advanced it, on AArch64 (a struct passed by value) it did not, "
            "so this reads different arguments",
            f"`va_copy(aq, {name})` before each call that consumes it and `va_end(aq)` after; pass `&{name}` "
            "(a `va_list *`) when the callee is meant to advance the caller's position",
            properties={"case": "reuse", "name": name},
        )


def _is_pointer_decl(masked: str, offset: int, name: str) -> bool:
    """`va_list *ap` or `va_list ap[2]`: not a plain va_list."""
    before = masked[max(0, offset - 12) : offset]
    after = masked[offset + len(name) : offset + len(name) + 3]
    return "*" in before.split("va_list")[-1] or after.lstrip().startswith("[")


def _callee_copies(ctx, callee: str) -> bool:
    """The callee is defined in this file and va_copy's its va_list before reading it."""
    cache = ctx.cache.setdefault("cc111_copies", {})
    if callee not in cache:
        _, funcs = _scope.functions(ctx)
        bodies = [f for f in funcs if f.name == callee]
        cache[callee] = bool(bodies) and all(
            re.search(r"\bva_copy\s*\(", ctx.masked[f.body[0] : f.body[1]]) for f in bodies
        )
    return cache[callee]
