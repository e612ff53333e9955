from __future__ import annotations

import os
import re

from archport import buildflags
from archport.model import Confidence, Impact, Severity
from archport.rule import Rule
from archport.rules.c_cpp import _scope
from archport.rules.c_cpp._x86_runtime import shorten

_FLOAT_TYPES = r"long\s+double|double|float|_Float32|_Float64"
_FLOAT_LITERAL = re.compile(
    r"(?<![\w.])(?:(?:\d+\.\d*|\.\d+)(?:[eE][+-]?\d+)?|\d+[eE][+-]?\d+)[fFlL]?(?![\w.])"
)
_FLOAT_CALL = re.compile(
    r"\b(?:sqrt|pow|exp|log|sin|cos|tan|atan2?|fabs|floor|ceil|round|trunc|hypot|fmod|cbrt)[fl]?\s*\("
)
_IDENT = re.compile(r"(?<![\w.>])([A-Za-z_]\w*)\b(?!\s*\()")
_STOP_BEFORE = re.compile(r"(?:&&|\|\||[;{},?:]|(?<![=!<>+\-*/%&|^])=(?!=)|\breturn\b)")
_CONTRACT_FLAG = re.compile(
    rb"(?<![\w-])(?:-ffp-contract=(off|on|fast)|-ffp-model=(strict|precise|fast)|(-ffast-math|-Ofast)"
    rb"|/fp:(strict|precise|fast))\b"
)
_INT_CAST = re.compile(
    r"\s*\(\s*(?:unsigned|signed|int|long|short|char|size_t|u?int\d+_t|U\d+|S\d+|BYTE)(?:\s+\w+)*\s*\)"
    r"|\s*(?:l?l?round|l?l?rint|floor|ceil|trunc)[fl]?\s*\("
)
_TEST_MACRO = re.compile(r"\b(?:EXPECT|ASSERT|CHECK|REQUIRE)_(?:EQ|NE)\s*\(")


class FmaContractionSensitiveComparison(Rule):
    """Exact comparison of a floating-point result that GCC fuses into an FMA on AArch64.

    ## What it does
    Checks for exact comparisons (`==`, `!=`, `EXPECT_EQ`/`ASSERT_EQ`/`CHECK_EQ`) of a
    floating-point expression of the form `a * b + c` or `a * b - c`, or of a variable that the
    same function assigns from such an expression (`s = a * b + c;`, `s += a * b;`). The
    expression counts as floating when it contains a floating literal, a `<math.h>` call, or a
    name that the function declares `float` or `double`. The message says whether a build file
    next to the source already passes `-ffp-contract=off`.

    ## Why is this a problem on ARM64?
    GCC's default is `-ffp-contract=fast` (except for C in a strict ISO mode such as
    `-std=c11`): at `-O2`, `-O3` and `-Os` it fuses a multiply and a dependent add, even across
    statements, into one fused multiply-add that rounds once instead of twice. Baseline x86-64
    has no FMA instruction, so nothing is fused there; AArch64 always has `fmadd`/`fmsub`, so the
    same source computes a slightly different value. With `a = 0.1, b = 10.0, c = -1.0`,
    `a * b + c == 0.0` is true on x86-64 and false on AArch64 (the result is 5.55e-17).
    Golden-value tests and exact equality checks that passed on x86-64 fail or take the other
    branch.

    ## Example
    ```c
    int on_grid(double a, double b, double c) {
        return a * b + c == 0.0;
    }
    ```

    Use instead:
    ```c
    #include <math.h>
    int on_grid(double a, double b, double c) {
        return fabs(a * b + c) <= 1e-12;
    }
    ```

    ## Limitations
    Operands are recognised by their shape and by declarations in the same function; products
    of struct members or of values from other functions are not known to be floating. Build
    files are looked for in the source's directory and its ancestors (CMake, Make, Meson,
    autoconf, Bazel, setup.py, compile_commands.json); flags set on the command line or by a
    CMake toolchain file elsewhere are not seen. Clang contracts only within one expression by
    default (`-ffp-contract=on`), so with Clang the assigned-variable cases do not change.

    ## References
    - GCC `-ffp-contract`: https://gcc.gnu.org/onlinedocs/gcc/Optimize-Options.html#index-ffp-contract
    - Arm FMADD: https://developer.arm.com/documentation/ddi0602/latest/SIMD-FP-Instructions/FMADD--Floating-point-fused-Multiply-Add--scalar--
    """

    code = "CC206"
    name = "fma-contraction-sensitive-comparison"
    summary = "Exact comparison of a floating-point result that GCC fuses into an FMA on AArch64"
    languages = frozenset({"c", "cpp"})
    severity = Severity.WARNING
    impact = Impact.SILENT_BEHAVIOUR_CHANGE
    confidence = Confidence.MEDIUM
    tags = ("floating-point", "fma", "tests")
    effort_minutes = 20
    prefilter = (b"double", b"float")
    # `==`/`!=`, or the EQ/NE of a test macro (written so that the scan stops at few characters)
    pattern = r"[=!EN][=QE](?:(?<=[=!]=)(?!=)|(?<=_EQ)\s*\(|(?<=_NE)\s*\()"

    def check_match(self, ctx, match):
        masked = ctx.masked
        pos = match.start()
        if masked[pos] in "=!" and pos > 0 and masked[pos - 1] in "=!<>":
            return
        macro = None
        if masked[pos] in "EN":
            macro = _TEST_MACRO.search(masked, max(0, pos - 10), match.end())
            if not macro:
                return
        if masked[pos] in "=!":
            lo = max(0, pos - 400)
            lo = max(lo, masked.rfind(";", lo, pos), masked.rfind("{", lo, pos), masked.rfind("}", lo, pos))
            hi = masked.find(";", match.end(), match.end() + 400)
            if "*" not in masked[lo:pos] and "*" not in masked[match.end() : hi if hi > 0 else match.end() + 400] \
                    and not _float_name_beside(ctx, masked, pos, match.end()):
                return  # no product and no floating name next to the operator: nothing to fuse
            left = _left_operand(masked, lo, pos)
            right = _right_operand(masked, match.end(), min(len(masked), match.end() + 400))
            sides = [left, right]
            op = masked[pos : match.end()]
        else:
            args = _scope.call_arguments(ctx, match.end() - 1)
            if len(args) < 2:
                return
            sides = [_scope.strip_span(masked, *args[0]), _scope.strip_span(masked, *args[1])]
            op = macro.group(0).split("(")[0].strip()
        # cheap screen on the text alone: a fused shape, or a name assigned from a product nearby
        if not any(_floating_shape(ctx, masked[a:b]) or _assigned_product_nearby(ctx, masked[a:b]) for a, b in sides):
            return
        fn = _scope.function_at(ctx, pos)
        if fn is None:
            return
        if _in_loop_condition(ctx, fn, pos):
            return  # `while (prev != x)`: a convergence test, exact on purpose
        floats = _scope.typed_names(ctx, fn, _FLOAT_TYPES)
        for start, end in sides:
            text = masked[start:end]
            if _INT_CAST.match(text):
                continue  # converted to an integer before comparing: robust to the last bits
            found = _contracted(text, floats)
            where = None
            if found is None:
                name = re.fullmatch(r"\s*\(?\s*([A-Za-z_]\w*)\s*\)?\s*", text)
                if name and name.group(1) in floats:
                    where = _assigned_contracted(ctx, fn, name.group(1), pos, floats)
                    if where is None:
                        continue
                    found = where[1]
                else:
                    continue
            flag = _contract_flag(ctx.abs_path)
            subject = shorten(text, 50) if where is None else f"{name.group(1)}"
            origin = "" if where is None else f" (assigned from `{shorten(where[1], 50)}` at line {ctx.source.line_of(where[0])})"
            head = f"`{subject}`{origin} is compared exactly ({op})"
            fused = f"`{shorten(found, 50)}`"
            severity = None
            if flag is not None and flag[0] in ("off", "strict", "precise-msvc"):
                message = (f"{head}; GCC would fuse {fused} into a fused multiply-add on AArch64, but {flag[1]} "
                           f"passes {flag[2]}: check that it reaches this file")
                severity = Severity.INFO
            else:
                message = (f"{head}; GCC fuses {fused} into one fused multiply-add on AArch64, so the last bits "
                           "differ from x86-64, where baseline builds have no FMA; "
                           + (f"{flag[1]} passes {flag[2]}, which allows fusing" if flag
                              else "no -ffp-contract=off found in the build files (GCC's default is fast)"))
            yield ctx.finding(
                self, start, end, message,
                "compare with a tolerance (`fabs(x - expected) <= eps`), or build with -ffp-contract=off on both "
                "architectures where bit-identical results matter; write fma() where fusing is wanted",
                properties={"expression": shorten(found, 50), "build_flag": flag[2] if flag else None,
                            "build_file": flag[1] if flag else None},
                severity=severity,
            )
            return


def _in_loop_condition(ctx, fn, pos: int) -> bool:
    for loop in _scope.loops(ctx, fn):
        if loop.keyword <= pos < loop.body[0] and ctx.masked.startswith("while", loop.keyword):
            return True
    tail = re.compile(r"\bwhile\s*\(")
    for m in tail.finditer(ctx.masked, max(fn.body[0], pos - 300), pos):
        close = _scope.close_paren(ctx.masked, m.end() - 1, stop_at_semicolon=False)
        if close > pos:
            return True
    return False


def _left_operand(masked: str, lo: int, pos: int) -> tuple[int, int]:
    depth = 0
    i = pos - 1
    while i > lo:
        c = masked[i]
        if c in ")]":
            depth += 1
        elif c in "([":
            if depth == 0:
                break
            depth -= 1
        elif depth == 0:
            window = masked[max(lo, i - 6) : i + 1]
            m = _STOP_BEFORE.search(window)
            if m and m.end() == len(window):
                break
        i -= 1
    return _scope.strip_span(masked, i + 1, pos)


def _right_operand(masked: str, pos: int, hi: int) -> tuple[int, int]:
    depth = 0
    i = pos
    while i < hi:
        c = masked[i]
        if c in "([":
            depth += 1
        elif c in ")]":
            if depth == 0:
                break
            depth -= 1
        elif depth == 0 and (c in ";,?:{}" or masked.startswith(("&&", "||"), i)):
            break
        i += 1
    return _scope.strip_span(masked, pos, i)


def _top_level(text: str) -> str:
    """Blank the argument lists of calls and subscripts: `f(a * b) + c` has no top-level product."""
    out = list(text)
    stack: list[bool] = []
    for i, c in enumerate(text):
        if c in "([":
            before = text[:i].rstrip()
            call = c == "[" or (bool(before) and (before[-1].isalnum() or before[-1] in "_]"))
            stack.append(call or (bool(stack) and stack[-1]))
        elif c in ")]":
            if stack:
                stack.pop()
        elif stack and stack[-1]:
            out[i] = " "
    return "".join(out)


_PRODUCT_THEN_SUM = re.compile(r"[^*/+\-]\*[^*/=]")
_SUM = re.compile(r"(?<![eE+\-])[+\-](?![+\-=>])")


def _shape(text: str) -> bool:
    """`a * b + c` / `c - a * b` at the top level of text (calls' arguments ignored)."""
    if "*" not in text:
        return False
    top = _top_level(text).replace("->", "  ")
    if "*" not in top or not _SUM.search(top.strip().lstrip("+-").lstrip()):
        return False
    if not _PRODUCT_THEN_SUM.search(" " + top):
        return False
    return not re.search(r"\*\s*\)?\s*$|^\s*\*|[&|^%<>]|\bsizeof\b", top)


def _floating_shape(ctx, text: str) -> bool:
    """The fused shape, with some floating evidence the file-wide name screen can see."""
    if not _shape(text):
        return False
    if _FLOAT_LITERAL.search(text) or _FLOAT_CALL.search(text):
        return True
    return not {m.group(1) for m in _IDENT.finditer(text)}.isdisjoint(_float_names(ctx))


_NAME_ONLY = re.compile(r"\s*\(?\s*([A-Za-z_]\w*)\s*\)?\s*")




_WORD_AFTER = re.compile(r"\s*\(?\s*([A-Za-z_]\w*)")


def _float_name_beside(ctx, masked: str, pos: int, end: int) -> bool:
    floats = _float_names(ctx)
    if not floats:
        return False
    i = pos
    while i > 0 and masked[i - 1] in " \t\n)":
        i -= 1
    j = i
    while j > 0 and (masked[j - 1].isalnum() or masked[j - 1] == "_"):
        j -= 1
    if j < i and masked[j:i] in floats:
        return True
    after = _WORD_AFTER.match(masked, end)
    return bool(after and after.group(1) in floats)


def _float_names(ctx) -> frozenset[str]:
    return _scope.float_names_in_file(ctx)


def _assigned_product_nearby(ctx, text: str) -> bool:
    """`text` is a name declared float/double in this file that is assigned from a product in the
    4000 characters before `pos` (a cheap screen before the function is looked at)."""
    m = _NAME_ONLY.fullmatch(text)
    if not m or m.group(1) not in _float_names(ctx):
        return False
    cache = ctx.cache.setdefault("cc206_assigned", {})
    name = m.group(1)
    if name not in cache:
        masked = ctx.masked
        found = False
        for occ in _scope.find_tokens(ctx, (name,), r"\s*(?:\+=|-=|=(?!=))"):
            end = masked.find(";", occ.end(), occ.end() + 2000)
            if "*" in masked[occ.end() : end if end > 0 else occ.end() + 2000]:
                found = True
                break
        cache[name] = found
    return cache[name]




def _contracted(text: str, floats: dict) -> str | None:
    """`text` when it is a floating `a * b + c` / `c - a * b` shape, else None."""
    if not _shape(text):
        return None
    top = _top_level(text).replace("->", "  ")
    if _FLOAT_LITERAL.search(text) or _FLOAT_CALL.search(text):
        return text
    idents = {m.group(1) for m in _IDENT.finditer(top)}
    if idents & set(floats):
        return text
    return None


def _assigned_contracted(ctx, fn, name: str, before: int, floats: dict) -> tuple[int, str] | None:
    """The last assignment of `name` before the comparison whose value GCC can contract."""
    masked = ctx.masked
    assign = re.compile(rf"\b{re.escape(name)}\s*(\+=|-=|=(?!=))")
    found = None
    for m in assign.finditer(masked, fn.params[0], before):
        prev = masked[max(0, m.start() - 2) : m.start()].rstrip()
        if prev.endswith((".", "->")):
            continue
        value_end = masked.find(";", m.end(), before)
        if value_end < 0:
            continue
        value = masked[m.end() : value_end]
        if m.group(1) in ("+=", "-="):
            top = _top_level(value)
            if "*" in top and not re.search(r"[&|^%<>]", top):
                found = (m.start(), f"{name} {m.group(1)} {value.strip()}")
            else:
                found = None
        else:
            found = (m.start(), value.strip()) if _contracted(value, floats) else None
    return found


def _contract_flag(abs_path: str) -> tuple[str, str, str] | None:
    """(setting, build file, flag as written) of the nearest build file that sets FP contraction."""
    found = buildflags.find_flag(abs_path, _CONTRACT_FLAG)
    if found is None:
        return None
    written, (contract, model, _fast, msvc), path = found
    if contract:
        setting = {b"off": "off", b"on": "off", b"fast": "fast"}[contract]  # GCC treats `on` as off
    elif model:
        setting = "strict" if model == b"strict" else "fast"  # Clang's precise model contracts
    elif msvc:
        setting = "precise-msvc" if msvc != b"fast" else "fast"
    else:
        setting = "fast"
    return setting, os.path.basename(path), written
