"""Shared by the x86 math-library rules (CC504-CC508): finding the call sites and includes of
Intel MKL, IPP, SVML and the Intel OpenMP runtime, deciding whether a file really uses the
library (for names that are also portable, such as `cblas_dgemm`), and recognising code that
only a project switch such as `#ifdef USE_MKL` compiles. The advice comes from
archport.mathlibs."""

from __future__ import annotations

import re
from collections.abc import Iterable

from archport import mathlibs
from archport.model import Confidence, Finding, Severity
from archport.preprocessor import State
from archport.rules.c_cpp._enclosing import enclosing_branches
from archport.rules.c_cpp._x86_runtime import SIMDE_ALIASES, definition_body, reference_kind

_INCLUDE = re.compile(r"^[ \t]*#[ \t]*include(?:_next)?[ \t]*([<\"])([^>\"\n]+)[>\"]", re.M)
#: identifiers only MKL defines: a file using one of them uses MKL
_MKL_ONLY = re.compile(
    r"(?<![\w$])(?:mkl_[a-z]\w*|MKL_(?:INT|UINT|LONG|Complex8|Complex16|Set_Num_Threads|Get_Max_Threads|malloc|free)"
    r"|Dfti[A-Z]\w*|DFTI_[A-Z]\w*|vsl[A-Z]\w*|VSL_[A-Z]\w*|vml[A-Z]\w*|VML_[A-Z]\w*|LAPACKE_mkl_\w+)\b"
)
#: identifiers only IPP defines (types and status codes)
_IPP_ONLY = re.compile(
    r"(?<![\w$])(?:Ipp(?:8u|8s|16u|16s|32u|32s|32f|64f|64s|64u|8sc|16sc|32sc|64sc|32fc|64fc|Status|iSize|iRect"
    r"|iPoint|iBorderType|iInterpolationType|HintAlgorithm|LibraryVersion|sFFTSpec_\w+|sDFTSpec_\w+)"
    r"|ippSts[A-Z]\w*)\b"
)
_SWITCH = re.compile(r"\b\w*(?:MKL|IPP|SVML|IOMP)\w*\b")
_NEGATED = re.compile(r"!\s*(?:defined\s*\(?\s*)?\w*(?:MKL|IPP|SVML|IOMP)")
_SIMDE_SVML = re.compile(r"^[ \t]*#[ \t]*include[ \t]*[<\"](?:[^>\"\n]*/)?simde/x86/svml\.h[>\"]", re.M)


def _cache(ctx) -> dict:
    return ctx.cache.setdefault("_mathlib_sites", {})


def includes(ctx) -> list[tuple[int, int, str, mathlibs.MigrationAdvice]]:
    """(start, end, header as written, advice) of each Intel math-library include outside
    comments; the span covers the header name with its brackets."""
    cache = _cache(ctx)
    if "includes" not in cache:
        found = []
        text, masked = ctx.text, ctx.masked
        for m in _INCLUDE.finditer(text):
            hash_at = text.index("#", m.start())
            if masked[hash_at] != "#":
                continue  # inside a block comment
            advice = mathlibs.lookup_header(m.group(2))
            if advice is not None:
                found.append((m.start(1), m.end(), m.group(2).strip(), advice))
        cache["includes"] = found
    return cache["includes"]


def uses_library(ctx, library: str) -> bool:
    """Whether the file, in code an AArch64 build may compile, includes a header of `library`
    (MKL or IPP) or uses an identifier only that library defines."""
    cache = _cache(ctx)
    key = ("uses", library)
    if key not in cache:
        # a bare "ipp.h" may be a project's own (CUPS has one): it proves nothing by itself
        result = any(
            a.library == library and h != "ipp.h" and ctx.arm_state(s) is not State.INACTIVE
            for s, _, h, a in includes(ctx)
        )
        if not result:
            only = _MKL_ONLY if library == mathlibs.MKL else _IPP_ONLY if library == mathlibs.IPP else None
            hints = ("mkl_", "MKL_", "Dfti", "DFTI_", "vsl", "VSL_", "vml", "VML_") if library == mathlibs.MKL else ("Ipp", "ippSts")
            if only is not None and any(h in ctx.masked for h in hints):
                for n, m in enumerate(only.finditer(ctx.masked)):
                    if ctx.arm_state(m.start()) is not State.INACTIVE:
                        result = True
                        break
                    if n > 50:
                        break
        cache[key] = result
    return cache[key]


def simde_svml(ctx) -> bool:
    """The file keeps the SVML names on AArch64 through SIMDe (`simde/x86/svml.h` with native
    aliases)."""
    text = ctx.text
    return "simde" in text and bool(SIMDE_ALIASES.search(text)) and any(
        ctx.arm_state(m.start()) is not State.INACTIVE for m in _SIMDE_SVML.finditer(text)
    )


def project_switch(ctx, offset: int) -> tuple[str, bool] | None:
    """(macro, has_alternative) when offset is compiled only under a project switch that
    selects the Intel library (`#ifdef USE_MKL`, `#if defined(HAVE_IPP) && ...`): the AArch64
    build leaves such a switch off. has_alternative: the same #if chain has an `#else`/`#elif`
    branch that builds without the library."""
    for chain, index in enclosing_branches(ctx, offset):
        directive = ctx.conditionals.directives[chain.branches[index].directive]
        if directive.kind not in ("if", "ifdef", "elif", "elifdef"):
            continue
        m = _SWITCH.search(directive.arg)
        if m is None or _NEGATED.search(directive.arg):
            continue
        return m.group(0), len(chain.branches) > 1
    return None


_DECLARATOR_AFTER = re.compile(r"\s*\)\s*\(")


def _after_directive(masked: str, start: int) -> bool:
    """Whether the nearest code before `start` ends a preprocessor line."""
    i = start
    while i > 0 and masked[i - 1] in " \t\r\n":
        i -= 1
    line_start = masked.rfind("\n", 0, i) + 1
    return masked[line_start:i].lstrip().startswith("#") and "\n" in masked[i:start]


def candidate_sites(ctx, rule, candidate: re.Pattern) -> list[tuple[re.Match, mathlibs.Family]]:
    """Uses of the rule's families (not declarations, directives, or names the file defines)."""
    masked = ctx.masked
    uses = []
    defined: set[str] = set()
    for m in candidate.finditer(masked):
        name = m.group(0)
        fam = mathlibs.lookup_family(name)
        if fam is None or fam.rule != rule.code:
            continue
        start = m.start()
        if masked[max(0, start - 2) : start].endswith((".", "->", "::")):
            continue  # a member or a namespaced name of the same spelling
        if _DECLARATOR_AFTER.match(masked, m.end()) and masked[max(0, start - 20) : start].rstrip().endswith("(*"):
            continue  # `int (*mkl_free)(void *)`: a function-pointer declarator of that name
        kind = reference_kind(ctx, start)
        if kind == "declaration" and _after_directive(masked, start):
            kind = "use"  # the word before is the end of an `#ifdef USE_MKL` line, not a type
        if kind == "directive":
            continue
        if kind == "definition" or (kind == "declaration" and definition_body(ctx, start, m.end()) is not None):
            if ctx.arm_state(start) is not State.INACTIVE:
                defined.add(name)
            continue
        if kind == "declaration":
            continue
        uses.append((m, fam))
    return [(m, fam) for m, fam in uses if m.group(0) not in defined]


_UNAVAILABLE = "has no AArch64 implementation: the AArch64 build fails here"
_COMPATIBLE = "this call is source-compatible with an AArch64 library; only the header and the link line change"


def site_findings(ctx, rule, sites: Iterable[tuple[int, int, str, mathlibs.MigrationAdvice, bool]],
                  what: str = "call", unavailable: str = _UNAVAILABLE, compatible: str = _COMPATIBLE,
                  ) -> Iterable[Finding]:
    """One finding per (start, end, name, advice, corroborated) site, with the migration
    advice in properties and the severity chosen by the advice's kind and any project switch
    (never above the rule's own severity)."""
    for start, end, name, advice, corroborated in sites:
        switch = project_switch(ctx, start)
        function = ctx.function_name(start) if what == "call" else None
        where = f" in `{function}()`" if function else ""
        label = f"`{name}` ({advice.library} {advice.family}){where}"
        props = {what: name, "library": advice.library, "migration": advice.as_properties()}
        if advice.kind == "drop-in":
            message = f"{label}: {advice.library} has no AArch64 build, but {compatible}"
            severity = Severity.INFO
        else:
            message = f"{label} {unavailable}; migration is a {advice.kind}"
            severity = rule.severity
        if switch is not None:
            macro, alternative = switch
            props["switch"] = macro
            if alternative:
                message = (f"{label} is compiled only when `{macro}` is set, and the same #if chain has a branch "
                           f"without it: an AArch64 build that leaves `{macro}` off does not need {advice.library} "
                           f"here (keeping this path on AArch64 is a {advice.kind})")
                severity = Severity.INFO
            else:
                message += (f". It is compiled only when `{macro}` is set; leaving `{macro}` off on AArch64 drops "
                            "this code path, so it still needs a replacement")
                severity = min(severity, Severity.WARNING, key=lambda s: s.rank)
        severity = min(severity, rule.severity, key=lambda s: s.rank)
        yield ctx.finding(
            rule, start, end, message, advice.help_text(), properties=props, severity=severity,
            confidence=Confidence.MEDIUM if corroborated else None,
        )
