from __future__ import annotations

import re

from archport.model import Confidence, Impact, Severity
from archport.rule import Rule
from archport.rules.fortran._fortran import compiled, directives, is_fixed_form

_NEIGHBOURHOOD = 4  # lines before and after
#: `ATTRIBUTES a, b : c :: names` -> the attribute list and the names
_ATTRIBUTES = re.compile(r"ATTRIBUTES\s+(.*?)\s*::\s*(.*)$")
_ATTR_WORD = re.compile(r"\b(ALIAS|DECORATE|VALUE|REFERENCE|C|STDCALL|DLLEXPORT|DLLIMPORT|NO_ARG_CHECK)\b")

#: attribute -> (severity, what gfortran makes of it, help, portable form regex on the neighbourhood)
_ATTR_TABLE: dict[str, tuple[Severity, str, str, str | None]] = {
    "ALIAS": (
        Severity.WARNING,
        "gives the procedure an external name of the author's choosing under the Intel compiler; gfortran ignores the "
        "directive and emits its own name (`{name}_`), so callers from C or other objects that use the alias get "
        "an undefined reference at link time",
        "declare the name portably: `bind(c, name=\"...\")` on the procedure (and `use iso_c_binding` kinds for its "
        "arguments)",
        r"\bbind\s*\(\s*c\b",
    ),
    "C": (
        Severity.WARNING,
        "makes the Intel compiler use the C convention for the procedure (arguments by value, no trailing underscore); "
        "gfortran ignores the directive and passes every argument by reference under its usual name with "
        "a trailing underscore, so C callers link to a different symbol or pass values where addresses are expected",
        "use `bind(c)` on the procedure and the `value` attribute on the arguments C passes by value",
        r"\bbind\s*\(\s*c\b",
    ),
    "STDCALL": (
        Severity.WARNING,
        "makes the Intel compiler use the STDCALL convention (arguments by value, changed external name); gfortran "
        "ignores the directive and passes every argument by reference under its usual name with a trailing underscore",
        "use `bind(c)` on the procedure and the `value` attribute on the arguments passed by value",
        r"\bbind\s*\(\s*c\b",
    ),
    "VALUE": (
        Severity.WARNING,
        "makes the Intel compiler receive `{name}` by value; gfortran ignores the directive and expects an address, "
        "so a caller that passes the value makes the procedure dereference it",
        "give the dummy argument the standard `value` attribute (`integer, value :: {name}`), in a `bind(c)` "
        "procedure when C calls it",
        r",\s*value\b",
    ),
    "REFERENCE": (
        Severity.INFO,
        "makes the Intel compiler pass `{name}` by reference (overriding a C or STDCALL convention); gfortran "
        "ignores the directive, so the convention it overrides must be stated portably as well",
        "drop it together with the C/STDCALL attribute: under `bind(c)` arguments without `value` are passed by "
        "reference",
        r"\bbind\s*\(\s*c\b",
    ),
    "DECORATE": (
        Severity.INFO,
        "makes the Intel compiler add platform decoration to the alias name; gfortran ignores the directive",
        "name the external symbol exactly with `bind(c, name=\"...\")`",
        r"\bbind\s*\(\s*c\b",
    ),
    "NO_ARG_CHECK": (
        Severity.WARNING,
        "lets the Intel compiler accept actual arguments of any type and rank for `{name}`; gfortran ignores the "
        "directive, so calls with other types are rejected (type mismatch) or, without an explicit interface, "
        "compile unchecked",
        "add `!GCC$ ATTRIBUTES NO_ARG_CHECK :: {name}` next to it (gfortran accepts it for an assumed-size dummy; "
        "callers need the explicit interface), or declare the dummy `type(*), dimension(*)` (Fortran 2018)",
        r"^[ \t]*[!cC*]gcc\$[ \t]*attributes[^\n]*no_arg_check",
    ),
    "DLLEXPORT": (
        Severity.INFO,
        "exports `{name}` from a Windows DLL under the Intel compiler; gfortran ignores the directive, so in a Windows "
        "on Arm build with gfortran the export rests on the linker's defaults (no effect on Linux)",
        "add `!GCC$ ATTRIBUTES DLLEXPORT :: {name}` next to it, or list the symbol in a .def file",
        r"^[ \t]*[!cC*]gcc\$[ \t]*attributes[^\n]*dllexport",
    ),
    "DLLIMPORT": (
        Severity.INFO,
        "imports `{name}` from a Windows DLL under the Intel compiler; gfortran ignores the directive (no effect on "
        "Linux)",
        "drop it for Linux builds; on Windows on Arm link against the import library",
        None,
    ),
}

#: directives that are not ATTRIBUTES: (pattern on the upper-cased body, label, severity, what, help)
_OTHER: tuple[tuple[re.Pattern, str, Severity, str, str], ...] = (
    (re.compile(r"IF\s*(?:\(|DEFINED\b)|IF\s+\w"), "IF", Severity.WARNING,
     "is conditional compilation of the Intel compiler; gfortran treats the line as a comment and compiles every "
     "branch of the `!DEC$ IF` block, so both alternatives end up in the program (duplicate declarations or "
     "statements that run twice)",
     "use the C preprocessor: `#ifdef NAME` / `#else` / `#endif` in a `.F90`/`.F` file (or with -cpp), and define "
     "the names with `-DNAME`"),
    (re.compile(r"(REAL|INTEGER)\s*:?\s*(\d+)\s*$"), "DEFAULT KIND", Severity.WARNING,
     "makes the Intel compiler give default {0} variables kind {1} from here on; gfortran ignores the directive "
     "and keeps the default kind 4, so precision and storage size change",
     "declare the kinds explicitly (`real(kind=dp)`), or build with `-fdefault-{2}-8` for the whole file"),
    (re.compile(r"FIXEDFORMLINESIZE\s*:?\s*(\d+)"), "FIXEDFORMLINESIZE", Severity.WARNING,
     "makes the Intel compiler read fixed-form lines up to column {0}; gfortran ignores the directive and cuts "
     "lines at column 72 (warning only with -Wall), so statements that run past column 72 silently lose their "
     "tail",
     "compile the file with `-ffixed-line-length-{0}` (or `-ffixed-line-length-none`)"),
    (re.compile(r"(?:NO)?FREEFORM\b"), "FREEFORM", Severity.WARNING,
     "switches the Intel compiler between fixed and free source form; gfortran ignores the directive and reads "
     "the file in the form its extension implies",
     "give the file the matching extension (`.f90` free, `.f` fixed) or compile it with `-ffree-form`/"
     "`-ffixed-form`"),
)


class IntelFortranDirectiveSemantics(Rule):
    """Intel compiler directive that changes meaning and that gfortran ignores.

    ## What it does
    Checks for `!DEC$`/`!DIR$` directives (in fixed form also `CDEC$`, `*DIR$`) that change
    what the program means under ifort/ifx rather than how it is optimised: `ATTRIBUTES`
    `ALIAS`, `DECORATE`, `C`, `STDCALL`, `VALUE`, `REFERENCE`, `NO_ARG_CHECK`, `DLLEXPORT`
    and `DLLIMPORT`; conditional compilation with `!DEC$ IF` / `IF DEFINED`; `!DEC$ REAL:n`
    and `INTEGER:n` (default kinds); `!DEC$ FIXEDFORMLINESIZE` and `[NO]FREEFORM`. An
    attribute with its portable form within four lines (`bind(c)`, a `value` attribute,
    `!GCC$ ATTRIBUTES NO_ARG_CHECK`/`DLLEXPORT`) is not reported. Windows-only attributes
    (`DLLEXPORT`, `DLLIMPORT`) and `REFERENCE`/`DECORATE` are `info`, the others `warning`.

    ## Why is this a problem on ARM64?
    The Intel Fortran compilers target x86 only, so an AArch64 build uses gfortran, LLVM flang
    or a vendor compiler. gfortran treats these lines as comments without a diagnostic, even
    under -Wall -Wextra (checked with gfortran 12, x86-64 and aarch64): the procedure keeps the
    name `foo_` instead of the alias, `VALUE` arguments are still received by address, both
    branches of a `!DEC$ IF DEFINED` block are compiled, `!DEC$ REAL:8` leaves default reals
    at kind 4, and fixed-form lines are cut at column 72. The program compiles, then fails to
    link or computes something else. The standard forms are `bind(c, name=...)`, the `value`
    attribute, the C preprocessor and compiler options.

    ## Example
    ```fortran
    subroutine solve(n, x)
    !DEC$ ATTRIBUTES ALIAS:'solve' :: solve
      integer :: n
      real(8) :: x(n)
      x = 0
    end subroutine
    ```

    Use instead:
    ```fortran
    subroutine solve(n, x) bind(c, name='solve')
      use iso_c_binding, only: c_int, c_double
      integer(c_int) :: n
      real(c_double) :: x(n)
      x = 0
    end subroutine
    ```

    ## Limitations
    `!DEC$ DEFINE`/`UNDEFINE` are not reported on their own (the `!DEC$ IF` that tests the
    name is). Whether a caller really depends on the alias or on by-value passing is not
    checked. LLVM flang honours a few `!dir$` forms; the finding assumes gfortran. Directives
    inside `#ifdef __INTEL_COMPILER` (or another branch an AArch64 build does not compile)
    are not reported.

    ## References
    - gfortran `!GCC$ ATTRIBUTES` directive: https://gcc.gnu.org/onlinedocs/gfortran/ATTRIBUTES-directive.html
    - gfortran options (-fdefault-real-8, -ffixed-line-length-n): https://gcc.gnu.org/onlinedocs/gfortran/Fortran-Dialect-Options.html
    - Intel Fortran ATTRIBUTES directive: https://www.intel.com/content/www/us/en/docs/fortran-compiler/developer-guide-reference/current/attributes.html
    """

    code = "FT601"
    name = "intel-fortran-directive-semantics"
    summary = "Intel compiler directive that changes meaning and that gfortran ignores"
    languages = frozenset({"fortran"})
    severity = Severity.WARNING
    impact = Impact.SILENT_BEHAVIOUR_CHANGE
    confidence = Confidence.HIGH
    tags = ("fortran", "intel-compiler", "directives", "abi")
    effort_minutes = 15
    prefilter = (b"DIR$", b"dir$", b"Dir$", b"DEC$", b"dec$", b"Dec$")

    def check_file(self, ctx):
        text = ctx.text
        fixed = is_fixed_form(ctx)
        for start, end, sentinel, body in directives(ctx):
            if fixed:  # columns after 72 are not part of a fixed-form line
                body = text[start:min(end, start + 72)][5:].split("!", 1)[0].strip()
            upper = body.upper()
            directive = f"!{sentinel}$ {body}".strip()
            m = _ATTRIBUTES.match(upper)
            if m is not None:
                finding = self._attribute(ctx, text, start, end, sentinel, directive, m, body)
                if finding is not None:
                    yield finding
                continue
            for pattern, label, severity, what, help_text in _OTHER:
                om = pattern.match(upper)
                if om is None:
                    continue
                if not compiled(ctx, start):
                    break
                args = list(om.groups())
                if label == "DEFAULT KIND":
                    args = [args[0].lower(), args[1], args[0].lower()]
                yield ctx.finding(
                    self, start, end,
                    f"`{directive}` {what.format(*args)}",
                    help_text.format(*args),
                    properties={"directive": label, "sentinel": sentinel},
                    severity=severity,
                )
                break

    def _attribute(self, ctx, text, start, end, sentinel, directive, m, body):
        attrs = [a for a in _ATTR_WORD.findall(m.group(1)) if a in _ATTR_TABLE]
        if not attrs or not compiled(ctx, start):
            return None
        # the most consequential attribute decides the finding (table order)
        attr = next(a for a in _ATTR_TABLE if a in attrs)
        severity, what, help_text, portable = _ATTR_TABLE[attr]
        names = [w.group() for n in body[body.find("::") + 2:].split(",") if (w := re.match(r"\s*([A-Za-z_]\w*)", n))]
        names = [n.strip() for n in names]
        name = names[0].lower() if names else "name"
        if portable is not None and _neighbourhood_has(text, start, portable):
            return None
        return ctx.finding(
            self, start, end,
            f"`{directive}` {what.format(name=name)}",
            help_text.format(name=name),
            properties={"directive": f"ATTRIBUTES {attr}", "attributes": attrs, "sentinel": sentinel, "names": names},
            severity=severity,
        )


def _neighbourhood_has(text: str, offset: int, pattern: str) -> bool:
    lo = offset
    for _ in range(_NEIGHBOURHOOD):
        lo = text.rfind("\n", 0, max(lo - 1, 0)) + 1 if lo > 0 else 0
    hi = offset
    for _ in range(_NEIGHBOURHOOD + 1):
        nxt = text.find("\n", hi + 1)
        hi = len(text) if nxt < 0 else nxt
    return re.compile(pattern, re.I | re.M).search(text, lo, hi) is not None
