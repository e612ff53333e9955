from __future__ import annotations

import re

from archport.model import Confidence, Impact, Severity
from archport.rule import Rule
from archport.rules._tables import asm_idioms as V
from archport.rules.assembly import _x86

_QUALIFIERS = r"(?:volatile|__volatile__|__volatile|goto|inline|__inline__|__inline)"
_SPACE = r"(?:\s|\\\n)"
_X86_REGISTER_NAME = re.compile(r"%{0,2}(?:" + V.X86_REGISTER + "|" + V.X86_BARE_REGISTER + r")", re.I)
# clobber names: x86 general, SSE/AVX and x87 registers (not cr0: POWER spells "cr0" too)
_X86_CLOBBER = re.compile(
    r"%?(?:[re]?[abcd]x|[re](?:si|di|sp|bp)|[abcd][lh]|(?:si|di|sp|bp)l|r(?:[89]|1[0-5])[dwb]"
    r"|[xyz]mm(?:[12]?\d|3[01])|mm[0-7]|st(?:\([0-7]\))?|dirflag|fpsr)",
    re.I,
)
_SYMBOL = re.compile(r"[A-Za-z_.$][\w.$@]*")
# words after which `asm(` is a statement, not an asm label on a declarator
_STATEMENT_WORDS = frozenset({"else", "do", "return", "case", "default"})
# multi-letter machine constraints (AArch64 `Ump`, `Dz`; x86 `Yz`, `Bz`, `Wz`): not single letters
_MULTI_LETTER_CONSTRAINT = re.compile(r"U[A-Za-z]{2}|[DYBW][a-z0-9]")
# single-letter register constraints that only x86 GCC accepts ("impossible constraint" on AArch64)
_X86_CONSTRAINT_LETTERS = frozenset("abcdDqAtu")
_MSVC_KEYWORD = re.compile(r"\b_{1,2}asm\b")

_SHOWN_LIMIT = 3
_STATEMENT_LIMIT = 50000  # characters; a longer "statement" is an unbalanced parenthesis
_FALLBACK_LIMIT = 4000  # characters searched for the `;` ending an unbalanced statement


class X86InlineAsm(Rule):
    """x86 inline assembly that does not assemble for AArch64.

    ## What it does
    Checks for GCC/Clang inline assembly (`asm`, `__asm`, `__asm__`, with any of the
    `volatile`, `goto` and `inline` qualifiers, in functions and in macro bodies) whose
    template is x86 code: x86 mnemonics (`rdtsc`, `lock xadd`, `movq`, `pause`, `vpxor`),
    x86 register names (`%rax`, `%%xmm0`, `eax` in Intel syntax), x86 register constraints
    (`"=a"`, `"=d"`, `"D"`) or x86 register clobbers (`"rbx"`), and MSVC `__asm` blocks and
    `__asm` statements. Well-known idioms are named, with their AArch64 replacement.
    The compiler-only barrier `asm volatile("" ::: "memory")`, templates written for
    AArch64 or another architecture, and architecture-neutral directives such as
    `.p2align` or a lone `nop` are not reported, nor is assembly in a preprocessor branch
    that an AArch64 build never compiles.

    ## Why is this a problem on ARM64?
    GCC and Clang pass the template to the target assembler, so an AArch64 build fails
    with "unknown mnemonic" or "impossible constraint in 'asm'" on the first x86 line.
    MSVC-style `__asm` blocks are accepted only by compilers targeting 32-bit x86.

    ## Example
    ```c
    static inline unsigned long long cycles(void) {
        unsigned lo, hi;
        __asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
        return ((unsigned long long)hi << 32) | lo;
    }
    ```

    Use instead:
    ```c
    #include <time.h>
    static inline unsigned long long nanoseconds(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (unsigned long long)ts.tv_sec * 1000000000ull + ts.tv_nsec;
    }
    ```

    ## Limitations
    The template is read from the string literals between the parentheses; a template
    built entirely from macros is classified by its operand constraints and clobbers only.
    Template words shared by several architectures (`mov`, `add`, `ret`) are not evidence
    on their own, so an x86 template made only of such words is missed. `.byte`-encoded
    instructions are recognised for a handful of common opcodes.

    ## References
    - GCC extended asm: https://gcc.gnu.org/onlinedocs/gcc/Extended-Asm.html
    - GCC machine constraints: https://gcc.gnu.org/onlinedocs/gcc/Machine-Constraints.html
    - Arm C Language Extensions: https://arm-software.github.io/acle/
    """

    code = "CC404"
    name = "x86-inline-asm"
    summary = "x86 inline assembly that does not assemble for AArch64"
    languages = frozenset({"c", "cpp"})
    severity = Severity.ERROR
    impact = Impact.BUILD_BREAK
    confidence = Confidence.HIGH
    tags = ("asm", "isa")
    effort_minutes = 60
    prefilter = (b"asm",)
    pattern = (
        rf"\b(?P<kw>__asm__|__asm|_asm|asm)\b(?P<quals>(?:{_SPACE}*{_QUALIFIERS}\b)*){_SPACE}*(?P<open>[({{]?)"
    )

    def check_match(self, ctx, match):
        kw, opening = match.group("kw"), match.group("open")
        if opening == "(" and kw != "_asm":
            yield from self._gcc(ctx, match.start(), match.start("open"))
        elif opening == "{" and kw != "asm" and kw != "__asm__":
            yield from self._msvc_block(ctx, match.start(), match.start("open"))
        elif not opening and kw in ("__asm", "_asm") and not match.group("quals"):
            yield from self._msvc_lines(ctx, match.start(), match.end("kw"), match.end())

    # -- GCC / Clang -------------------------------------------------------------------------------

    def _gcc(self, ctx, start, open_at):
        masked = ctx.masked
        end = ctx.matching_paren(open_at, limit=_STATEMENT_LIMIT)
        if end == -1:  # unbalanced (e.g. split by #if branches): stop at the statement's end
            end = masked.find(";", open_at, open_at + _FALLBACK_LIMIT)
            if end == -1:
                return
            inner_end = end
        else:
            inner_end = end - 1
        sections = _top_level_sections(masked, open_at + 1, inner_end)
        literal = ctx.source.string_literals
        template = [lit for s, e in sections[:1] for lit in literal(s, e)]
        constraints = [lit for s, e in sections[1:3] for lit in literal(s, e)]
        clobbers = [lit for s, e in sections[3:4] for lit in literal(s, e)]
        extended = len(sections) > 1

        if not extended and len(template) == 1 and _SYMBOL.fullmatch(template[0].strip()):
            word = template[0].strip()
            if _X86_REGISTER_NAME.fullmatch(word):
                yield ctx.finding(
                    self,
                    start,
                    end,
                    f"asm register variable names the x86 register `{word}`, which an AArch64 build rejects",
                    "name an AArch64 register (x0-x30, v0-v31) under `#elif defined(__aarch64__)`, "
                    "or drop the register binding and let the compiler choose",
                    properties={"idioms": ["register-variable"], "syntax": "gcc", "register": word},
                )
                return
            if _declarator_before(masked, start) and word.lower() not in V.X86_MNEMONICS:
                return  # an asm label: `int f(void) __asm__("symbol");`

        lines = _x86.template_lines(template)
        assessment = _x86.assess_lines(lines, intel=_x86.uses_intel_syntax(lines))
        encoded = _x86.encoded_instructions(lines)
        for name in encoded:
            assessment.add_idiom(V.IDIOM_BY_MNEMONIC.get(name), f"{name}` as `.byte")
        x86_clobbers = [c for c in clobbers if _is_x86_clobber(c)]
        x86_constraints = [c for c in constraints if _is_x86_constraint(c)]

        confidence = Confidence.MEDIUM  # evidence outside the template, or bytes rather than words
        if assessment.is_x86:
            confidence = Confidence.HIGH
            what = _shown(assessment)
            message = f"x86 inline assembly ({what}) does not assemble for AArch64"
        elif assessment.other and not assessment.x86:
            return  # another architecture's assembly
        elif x86_clobbers and not assessment.unknown:
            message = f"inline assembly clobbers the x86 register `{x86_clobbers[0]}`, which an AArch64 build rejects"
        elif x86_constraints and not assessment.unknown and not assessment.other:
            what = f" ({_shown(assessment)})" if assessment.idioms else ""
            message = (
                f"inline assembly{what} uses the x86 register constraint `\"{x86_constraints[0]}\"`: "
                "AArch64 GCC rejects it as an impossible constraint"
            )
        elif encoded:
            message = (
                f"inline assembly emits x86 machine code ({_shown(assessment)}): it assembles for AArch64, "
                "then faults (SIGILL) or misbehaves at run time"
            )
        else:
            return
        yield ctx.finding(
            self,
            start,
            end,
            message,
            _help(assessment),
            properties={
                "idioms": list(assessment.idioms),
                "syntax": "gcc",
                "x86_words": assessment.x86[:5],
            },
            confidence=confidence,
        )

    # -- MSVC ---------------------------------------------------------------------------------------

    def _msvc_block(self, ctx, start, open_at):
        end = ctx.matching_paren(open_at, limit=_STATEMENT_LIMIT)
        if end == -1:
            return
        body = ctx.text[open_at + 1 : end - 1]
        lines = [piece for line in body.split("\n") for piece in _MSVC_KEYWORD.split(line)]
        assessment = _x86.assess_lines(lines, intel=True, semicolon_comments=True)
        yield self._msvc_finding(ctx, start, end, assessment, "block")

    def _msvc_lines(self, ctx, start, kw_end, after):
        masked, source = ctx.masked, ctx.source
        if "\n" in masked[kw_end:after] or not re.match(r"[A-Za-z_]", masked[after : after + 1]):
            return  # not `__asm mnemonic ...` on one line
        line = source.line_of(start)
        line_start = source.line_start(line)
        if _MSVC_KEYWORD.search(masked, line_start, start):
            return  # an earlier `__asm` on this line reports it
        if line > 1 and _is_msvc_line(masked, source, line - 1):
            return  # a run of `__asm` lines is reported once, at its first line
        last = line
        while last < source.line_count and _is_msvc_line(masked, source, last + 1):
            last += 1
        pieces = []
        for n in range(line, last + 1):
            text = source.line_text(n)
            if n == line:
                text = text[start - line_start :]
            text = text.split("}")[0]
            pieces += [p for p in _MSVC_KEYWORD.split(text) if p.strip()]
        assessment = _x86.assess_lines(pieces, intel=True, semicolon_comments=True)
        if not assessment.instructions or (assessment.other and not assessment.is_x86):
            return
        end = source.line_start(last) + len(source.line_text(last).rstrip())
        yield self._msvc_finding(ctx, start, max(end, start + 1), assessment, "statement")

    def _msvc_finding(self, ctx, start, end, assessment, form):
        what = f" ({_shown(assessment)})" if assessment.idioms or assessment.x86 else ""
        help = "rewrite it in C (MSVC has no inline assembler for x64 or ARM64)"
        if assessment.idioms:
            help += "; with GCC/Clang: " + _help(assessment)
        else:
            help += " with compiler intrinsics or builtins"
        return ctx.finding(
            self,
            start,
            end,
            f"MSVC `__asm` {form}{what} does not compile for AArch64: `__asm` blocks are accepted only "
            "when targeting x86 (by MSVC only for 32-bit x86)",
            help,
            properties={"idioms": list(assessment.idioms), "syntax": "msvc", "x86_words": assessment.x86[:5]},
        )


# -- helpers ---------------------------------------------------------------------------------------


def _is_msvc_line(masked: str, source, line: int) -> bool:
    """Whether a line is a one-line MSVC `__asm mnemonic ...` statement."""
    start = source.line_start(line)
    text = masked[start : start + len(source.line_text(line))]
    return bool(re.match(r"\s*_{1,2}asm[ \t]+[A-Za-z_]", text))


def _top_level_sections(masked: str, start: int, end: int) -> list[tuple[int, int]]:
    """[start, end) split at the `:` that separate template, outputs, inputs, clobbers, labels."""
    sections = []
    depth = 0
    begin = start
    for i in range(start, end):
        ch = masked[i]
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == ":" and depth == 0:
            sections.append((begin, i))
            begin = i + 1
    sections.append((begin, end))
    return sections


def _declarator_before(masked: str, start: int) -> bool:
    """Whether the text before `asm` ends a declarator (`int f(void) __asm__("sym")`)."""
    head = masked[max(0, start - 200) : start].rstrip()
    if not head:
        return False
    last = head[-1]
    if last in ")]":
        return True
    if last.isalnum() or last == "_":
        word = re.search(r"\w+$", head).group(0)
        return word not in _STATEMENT_WORDS
    return False


def _is_x86_clobber(clobber: str) -> bool:
    return bool(_X86_CLOBBER.fullmatch(clobber.strip()))


def _is_x86_constraint(constraint: str) -> bool:
    c = constraint.strip()
    if c.startswith("["):
        c = c[c.find("]") + 1 :]
    is_output = c.startswith(("=", "+"))
    letters = _MULTI_LETTER_CONSTRAINT.sub("", c.lstrip("=+&%*#!?"))
    if any(ch in _X86_CONSTRAINT_LETTERS for ch in letters):
        return True
    # `S` (esi) is also an AArch64 input constraint (a symbolic address); as an output it is x86
    return is_output and "S" in letters


def _shown(assessment) -> str:
    words = [assessment.shown[k] for k in assessment.idioms[:_SHOWN_LIMIT]]
    if not words:
        words = ([w for w in assessment.x86 if not w.startswith(".")] or assessment.x86)[:2]
    more = ", …" if len(assessment.idioms) > _SHOWN_LIMIT else ""
    return ", ".join(f"`{w}`" for w in words) + more


def _help(assessment) -> str:
    parts = []
    covered = {k for key in assessment.idioms for k in V.SUBSUMED_BY.get(key, ())}
    for key in assessment.idioms:
        idiom = V.IDIOMS.get(key) if key not in covered else None
        if idiom and idiom.replacement not in parts:
            parts.append(idiom.replacement)
    if not parts:
        return V.GENERIC_REPLACEMENT
    text = "; ".join(parts[:_SHOWN_LIMIT])
    if len(parts) > _SHOWN_LIMIT:
        text += "; for the rest, " + V.GENERIC_REPLACEMENT
    return text
