from __future__ import annotations

import re

from archport.model import Confidence, Impact, Severity
from archport.rule import Rule
from archport.rules.c_cpp import _scope

_LD = r"long\s+double"
_LD_CAST = re.compile(rf"\(\s*{_LD}\s*\)")
_LD_LITERAL = re.compile(r"(?<![\w.])(?:\d+\.\d*|\.\d+|\d+(?=[eE]))(?:[eE][+-]?\d+)?[lL](?![\w.])")
_LD_MATH = re.compile(
    r"\b(?:sqrt|cbrt|pow|exp|exp2|expm1|log|log2|log10|log1p|sin|cos|tan|asin|acos|atan|atan2|sinh|cosh|tanh"
    r"|fma|fmod|hypot|floor|ceil|round|trunc|rint|lround|llround|lrint|llrint|modf|frexp|ldexp|erf|erfc|lgamma"
    r"|tgamma)l\s*\("
)
_ARITH = r"(?:[-+*/]=|(?<![-+*/=<>!&|])[-+*/](?![-+=>/*]))"
_ROUTINES = {"+": "__addtf3", "-": "__subtf3", "*": "__multf3", "/": "__divtf3"}


class LongDoubleSoftwareQuad(Rule):
    """`long double` arithmetic inside a loop, done in software on AArch64.

    ## What it does
    Checks for arithmetic on `long double` values inside `for`, `while` and `do` loops: operators
    applied to names the function declares `long double`, to `(long double)` casts and to
    `L`-suffixed floating literals, and calls to the `long double` math functions (`sqrtl`,
    `expl`, `powl` …). One finding is reported per function, at the first such operation.

    ## Why is this a problem on ARM64?
    On x86-64 `long double` is the x87 80-bit format and each operation is one x87 instruction.
    On AArch64 Linux it is IEEE binary128, which no AArch64 core implements in hardware: GCC
    turns every operation into a call into libgcc (`__addtf3`, `__subtf3`, `__multf3`,
    `__divtf3`, comparisons such as `__gttf2`, conversions such as `__extenddftf2`), each costing
    tens to hundreds of cycles. Loops that accumulate in `long double` become many times slower;
    GEOS and h3 profiles on AArch64 were reported to spend 26-55% of their time in `__multf3`.

    ## Example
    ```c
    double dot(const double *x, const double *y, int n) {
        long double acc = 0.0L;
        for (int i = 0; i < n; i++)
            acc += (long double)x[i] * y[i];
        return (double)acc;
    }
    ```

    Use instead:
    ```c
    #include <math.h>
    double dot(const double *x, const double *y, int n) {
        double acc = 0.0, err = 0.0;     /* compensated (Kahan) summation in double */
        for (int i = 0; i < n; i++) {
            double p = x[i] * y[i];
            double t = acc + p;
            err += fabs(acc) >= fabs(p) ? (acc - t) + p : (p - t) + acc;
            acc = t;
        }
        return acc + err;
    }
    ```

    ## Limitations
    Only names declared in the same function are known to be `long double`; values reached
    through struct members, typedefs or pointers to `long double` declared elsewhere are missed.
    Whether the loop is hot is not known: the finding is informational, to be weighed against a
    profile. Where the extra precision is what the code needs, `long double` is still the right
    type on AArch64 (and more precise there).

    ## References
    - GCC floating types (AArch64 long double is binary128): https://gcc.gnu.org/onlinedocs/gcc/Floating-Types.html
    - GCC soft-float library routines (`__addtf3`, `__multf3` …): https://gcc.gnu.org/onlinedocs/gccint/Soft-float-library-routines.html
    - GEOS issue 509 (__multf3 in arm64 profiles): https://github.com/libgeos/geos/issues/509
    - h3 pull request 790 (long double replaced for arm64 performance): https://github.com/uber/h3/pull/790
    """

    code = "CC205"
    name = "long-double-software-quad"
    summary = "`long double` arithmetic inside a loop, done in software on AArch64"
    languages = frozenset({"c", "cpp"})
    severity = Severity.INFO
    impact = Impact.PERFORMANCE
    confidence = Confidence.MEDIUM
    tags = ("floating-point", "long-double", "performance")
    effort_minutes = 30
    prefilter = (b"long double",)

    def check_file(self, ctx):
        masked = ctx.masked
        seen: set[int] = set()
        for decl in re.finditer(rf"\b{_LD}\b", masked):
            fn = _scope.function_at(ctx, decl.start())
            if fn is None or fn.head in seen:
                continue
            seen.add(fn.head)
            hit = self._first_operation(ctx, fn)
            if hit is None:
                continue
            start, end, routine = hit
            line_text = " ".join(ctx.text[start:end].split())
            yield ctx.finding(
                self, start, end,
                f"`{line_text}` computes in long double inside a loop of `{fn.name}`: on AArch64 long double is "
                f"IEEE binary128 done in software, so each operation is a call into libgcc (here {routine}) rather "
                "than an instruction",
                "use double (with compensated summation or fma() where the extra precision mattered) in hot loops; "
                "keep long double only where binary128 precision is really needed",
                properties={"function": fn.name, "routine": routine},
            )

    @staticmethod
    def _first_operation(ctx, fn):
        loops = _scope.loops(ctx, fn)
        if not loops:
            return None
        masked = ctx.masked
        names = _scope.typed_names(ctx, fn, _LD)
        name_re = None
        if names:
            alt = "|".join(sorted(map(re.escape, names)))
            name_re = re.compile(
                rf"(?<![\w.>])(?:{alt})\b\s*({_ARITH})|({_ARITH})\s*\(?\s*(?:{alt})\b(?!\s*\()"
            )
        best = None
        for loop in loops:
            lo, hi = loop.keyword, loop.body[1]
            candidates = []
            if name_re is not None:
                m = name_re.search(masked, lo, hi)
                if m:
                    op = (m.group(1) or m.group(2))[0]
                    candidates.append((m.start(), op))
            for pat in (_LD_CAST, _LD_LITERAL):
                for m in pat.finditer(masked, lo, hi):
                    around = masked[max(lo, m.start() - 3) : min(hi, m.end() + 40)]
                    op = re.search(r"[-+*/](?![-+>])", around)
                    if op:
                        candidates.append((m.start(), op.group(0)))
                        break
            m = _LD_MATH.search(masked, lo, hi)
            if m:
                candidates.append((m.start(), "call"))
            if candidates:
                pos, op = min(candidates)
                if best is None or pos < best[0]:
                    best = (pos, op)
        if best is None:
            return None
        pos, op = best
        line_start = masked.rfind("\n", 0, pos) + 1
        line_end = masked.find("\n", pos)
        line_end = len(masked) if line_end < 0 else line_end
        statement = masked[line_start:line_end].strip()
        start = line_start + (len(masked[line_start:line_end]) - len(masked[line_start:line_end].lstrip()))
        routine = _ROUTINES.get(op, "e.g. __multf3") if op != "call" else "the binary128 libm routine"
        return start, start + len(statement), routine
