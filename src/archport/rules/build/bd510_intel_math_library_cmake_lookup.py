from __future__ import annotations

import re

from archport import mathlibs
from archport.model import Confidence, Impact, Severity
from archport.rule import Rule
from archport.rules.build import _conditions as cond
from archport.rules.build import _flags
from archport.rules.build.bd501_x86_math_library_link import _LIB as _BD501

_REF = re.compile(
    r"\$ENV\{(?P<env>MKLROOT|IPPROOT|ONEAPI_ROOT)\}|\$\{(?P<var>MKLROOT|IPPROOT|ONEAPI_ROOT)\}"
    r"|\b(?P<cmd>pkg_check_modules|pkg_search_module)[ \t]*\((?P<args>[^)]*)\)",
    re.I,
)
_PKG_MODULE = re.compile(r"(?<![\w-])(?P<mod>mkl-[\w-]+|mkl|ipp\w*|ippcp)(?![\w-])")
_SWITCH = re.compile(r"MKL|IPP|ONEAPI", re.I)
_CONDITION_LINE = re.compile(r"^[ \t]*(?:if|elseif|while)[ \t]*\(", re.I)


class IntelMathLibraryCmakeLookup(Rule):
    """CMake build that requires Intel MKL or IPP through `MKLROOT` or pkg-config.

    ## What it does
    Checks for CMake code that reaches Intel's x86 math libraries without naming a link flag:
    paths built from `$ENV{MKLROOT}`, `${MKLROOT}`, `$ENV{IPPROOT}` or `ONEAPI_ROOT`
    (`include_directories($ENV{MKLROOT}/include)`,
    `${MKLROOT}/lib/intel64/libmkl_rt.so`), and `pkg_check_modules(... REQUIRED mkl-…)` /
    `pkg_search_module(... REQUIRED ipp…)`. References inside `if()` conditions, in branches
    that test MKL/IPP themselves (`if(USE_MKL)`, `if(DEFINED ENV{MKLROOT})`, which an AArch64
    build does not enter), in x86-only branches, and lines that BD501 already reports for a
    `-lmkl_*` flag or `find_package(MKL REQUIRED)` are skipped. The advice, from the shared
    math-library table, is in `properties["migration"]`.

    ## Why is this a problem on ARM64?
    oneMKL and IPP have no AArch64 installation, so `MKLROOT` is unset (the path becomes
    `/include`, `/lib/intel64/...`) and the pkg-config modules `mkl-dynamic-lp64-seq` and
    friends do not exist: configuration stops, or the link fails later with missing MKL
    symbols.

    ## Example
    ```cmake
    include_directories($ENV{MKLROOT}/include)
    target_link_libraries(app $ENV{MKLROOT}/lib/intel64/libmkl_rt.so)
    ```

    Use instead:
    ```cmake
    set(BLA_VENDOR OpenBLAS)
    find_package(BLAS REQUIRED)
    target_link_libraries(app BLAS::BLAS)
    ```

    ## Limitations
    Only CMake files are read; `MKLROOT` in Makefiles and shell scripts is left to the link-flag
    rule (BD501). A pkg-config lookup without `REQUIRED` is optional and not reported.

    ## References
    - CMake FindBLAS (BLA_VENDOR OpenBLAS, Arm, Arm_mp): https://cmake.org/cmake/help/latest/module/FindBLAS.html
    - Intel oneMKL pkg-config support: https://www.intel.com/content/www/us/en/docs/onemkl/developer-guide-linux/
    """

    code = "BD510"
    name = "intel-math-library-cmake-lookup"
    summary = "CMake build that requires Intel MKL or IPP through MKLROOT or pkg-config"
    languages = frozenset({"cmake"})
    severity = Severity.ERROR
    impact = Impact.BUILD_BREAK
    confidence = Confidence.HIGH
    tags = ("build", "math-library", "mkl", "dependencies")
    effort_minutes = 60
    prefilter = (b"MKLROOT", b"IPPROOT", b"ONEAPI_ROOT", b"pkg_check_modules", b"pkg_search_module")
    pattern = _REF.pattern

    def check_match(self, ctx, match):
        masked = ctx.masked
        line_start, line_end = cond.logical_line(ctx, match.start())
        line = masked[line_start:line_end]
        seen = ctx.cache.setdefault("bd510_lines", set())
        if line_start in seen or _CONDITION_LINE.match(line) or _BD501.search(line):
            return
        if _flags.skip_reason(ctx, match.start()) is not None:
            return
        if any(b.kind in ("if", "elif") and _SWITCH.search(b.cond) for b in cond.model(ctx).enclosing(match.start())):
            return  # the branch tests MKL/IPP itself: an AArch64 build without them does not enter it
        if match.group("cmd"):
            args = match.group("args")
            if not re.search(r"\bREQUIRED\b", args):
                return
            mod = _PKG_MODULE.search(args)
            if mod is None:
                return
            name = mod.group("mod")
            start = match.start("args") + mod.start()
            end = start + len(name)
            what = f"`{match.group('cmd')}` requires the pkg-config module `{name}`"
            lib = "mkl_rt" if name.startswith("mkl") else name
        else:
            var = match.group("env") or match.group("var")
            start, end = match.start(), match.end()
            what = f"`{match.group(0)}` points into an Intel oneAPI installation"
            lib = "ippcore" if var.upper() == "IPPROOT" else "mkl_rt"
        seen.add(line_start)
        advice = mathlibs.lookup_link_library(lib)
        yield ctx.finding(
            self, start, end,
            f"{what}, which has no AArch64 build: configuration or the link fails on AArch64",
            advice.help_text() + "; with CMake, `set(BLA_VENDOR OpenBLAS)` (or `Arm`/`Arm_mp` for ArmPL) "
            "and `find_package(BLAS)`/`find_package(LAPACK)`",
            properties={"reference": match.group(0), "library": advice.library, "migration": advice.as_properties()},
        )
