"""The preprocessor-branch model: which lines an AArch64 build compiles."""

from __future__ import annotations

import pytest

from archport.preprocessor import (
    Conditionals,
    State,
    evaluate,
    generic_environment,
    load_environment,
    scan_directives,
)
from archport.source import SourceFile


def states(code: str, cpp: bool = False) -> dict[str, tuple[State, State]]:
    """For each line containing `MARK(name)`, the (aarch64, x86_64) state of that line."""
    source = SourceFile("t.c", "cpp" if cpp else "c", code)
    envs = [load_environment("aarch64", cpp), load_environment("x86_64", cpp), generic_environment(cpp)]
    cond = Conditionals(scan_directives(source.masked, code), envs)
    out = {}
    for line_no, line in enumerate(code.splitlines(), 1):
        if "MARK(" in line:
            name = line.split("MARK(")[1].split(")")[0]
            offset = source.line_start(line_no) + line.index("MARK(")
            out[name] = (cond.state_at("aarch64", offset), cond.state_at("x86_64", offset))
    return out


A, I, U = State.ACTIVE, State.INACTIVE, State.UNKNOWN


@pytest.mark.parametrize(
    "code,expected",
    [
        ("#if defined(__x86_64__)\nMARK(x)\n#else\nMARK(other)\n#endif\n", {"x": (I, A), "other": (A, I)}),
        ("#ifdef __aarch64__\nMARK(arm)\n#endif\n", {"arm": (A, I)}),
        ("#if !defined(__aarch64__)\nMARK(notarm)\n#endif\n", {"notarm": (I, A)}),
        ("#if !(defined(__x86_64__) || defined(__i386__))\nMARK(nonx86)\n#endif\n", {"nonx86": (A, I)}),
        ("#  if defined(_M_X64) || defined(__amd64__)\nMARK(msvc)\n#  endif\n", {"msvc": (I, A)}),
        ("#ifdef _M_IX86\nMARK(ia32)\n#elif defined(__i386__)\nMARK(i386)\n#endif\n", {"ia32": (I, I), "i386": (I, I)}),
        ("#if defined(__SSE2__)\nMARK(sse2)\n#elif defined(__ARM_NEON)\nMARK(neon)\n#else\nMARK(scalar)\n#endif\n",
         {"sse2": (I, A), "neon": (A, I), "scalar": (I, I)}),
        ("#ifdef __AVX2__\nMARK(avx2)\n#endif\n#if __AVX512F__\nMARK(avx512)\n#endif\n", {"avx2": (I, A), "avx512": (I, A)}),
        # nested chains
        ("#if defined(__x86_64__)\n#  ifdef __AVX2__\nMARK(inner)\n#  endif\n#else\n#  if defined(__ARM_NEON)\nMARK(neon)\n#  endif\n#endif\n",
         {"inner": (I, A), "neon": (A, I)}),
        # macros defined earlier in the same file decide later conditions
        ("#if defined(__aarch64__)\n#define VEC 4\n#elif defined(__AVX2__)\n#define VEC 2\n#endif\n"
         "#if VEC == 2\nMARK(avx)\n#elif VEC == 4\nMARK(neon)\n#endif\n", {"avx": (I, A), "neon": (A, I)}),
        # a project switch (no architecture named) is compiled by some build
        ("#ifdef MYLIB_IMPLEMENTATION\nMARK(impl)\n#else\nMARK(decl)\n#endif\n", {"impl": (A, A), "decl": (A, A)}),
        # ...but an architecture-named project macro is trusted
        ("#ifdef X86_AVX2\nMARK(cmake)\n#endif\n#if HAVE_NEON\nMARK(neonflag)\n#endif\n", {"cmake": (I, I), "neonflag": (I, I)}),
        # __has_include of arch headers
        ("#if __has_include(<arm_neon.h>)\nMARK(hi)\n#endif\n#if __has_include(<immintrin.h>)\nMARK(hx)\n#endif\n",
         {"hi": (A, I), "hx": (I, A)}),
        # undecidable: function-like macro in an architecture condition
        ("#if defined(__x86_64__) || CHECK(4)\nMARK(u)\n#endif\n", {"u": (U, A)}),
        # continuation lines and comments inside directives
        ("#if defined(__x86_64__) /* x86 */ \\\n    || defined(_M_X64)\nMARK(cont)\n#endif\n", {"cont": (I, A)}),
        # values of predefined macros
        ("#if __SIZEOF_LONG_DOUBLE__ == 16 && __LDBL_MANT_DIG__ == 64\nMARK(x87)\n#endif\n", {"x87": (I, A)}),
        ("#if defined(__GNUC__) && !defined(__clang__)\nMARK(gcc)\n#endif\n", {"gcc": (A, A)}),
        # other compilers and operating systems are not the Linux GCC/Clang target
        ("#ifdef _MSC_VER\nMARK(msvc)\n#elif defined(__APPLE__)\nMARK(mac)\n#else\nMARK(gnu)\n#endif\n",
         {"msvc": (I, I), "mac": (I, I), "gnu": (A, A)}),
        # stray #endif / unterminated #if are tolerated
        ("#endif\n#if defined(__x86_64__)\nMARK(open)\n", {"open": (I, A)}),
    ],
)
def test_branch_states(code, expected):
    assert states(code) == expected


def test_code_after_an_error_only_aarch64_reaches_is_not_compiled():
    code = "#if !defined(__x86_64__)\n#  error \"x86 only\"\n#endif\nMARK(after)\n"
    assert states(code) == {"after": (I, A)}


def test_error_reached_everywhere_does_not_kill_the_file():
    code = "#ifndef CONFIG_H\n#error \"include config.h\"\n#endif\nMARK(after)\n"
    assert states(code) == {"after": (A, A)}


def test_cplusplus_macros():
    code = "#ifdef __cplusplus\nMARK(cxx)\n#endif\n"
    assert states(code, cpp=True) == {"cxx": (A, A)}
    assert states(code, cpp=False) == {"cxx": (A, A)}  # a project-style switch in C: compiled by some build


@pytest.mark.parametrize(
    "expr,value",
    [
        ("1 + 2 * 3 == 7", 1),
        ("(1 << 4) | 3", 19),
        ("0x10 > 010", 1),
        ("defined(__aarch64__) ? 2 : 3", 2),
        ("!defined __x86_64__", 1),
        ("UNDEFINED_THING", 0),
        ("FUNC(1)", None),
        ("0 && FUNC(1)", 0),
        ("1 || FUNC(1)", 1),
        ("1 / 0", None),
        ("__ARM_ARCH >= 8", 1),
        ("-1 < 0", 1),
    ],
)
def test_expression_evaluation(expr, value):
    env = load_environment("aarch64", False)
    assert evaluate(expr, env.macros, env) == value


def test_macro_defined_under_an_x86_test_is_an_x86_test_even_where_skipped():
    code = (
        "#if USE_FAST_COPY\n#if defined(__x86_64__)\n#define fast_copy(d, s, n) x86_copy(d, s, n)\n#endif\n#endif\n"
        "#ifdef fast_copy\nMARK(fast)\n#else\nMARK(slow)\n#endif\n"
    )
    assert states(code) == {"fast": (I, A), "slow": (A, I)}


def test_libc_endian_macros_are_known_on_both_targets():
    code = "#if !defined(BYTE_ORDER) || BYTE_ORDER != LITTLE_ENDIAN\nMARK(odd)\n#else\nMARK(le)\n#endif\n"
    assert states(code) == {"odd": (A, A), "le": (A, A)}  # no architecture named: a project switch
    env = load_environment("aarch64", False)
    assert evaluate("BYTE_ORDER == LITTLE_ENDIAN", env.macros, env) == 1
