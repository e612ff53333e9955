"""Parsing GCC, gfortran and assembler output, and mapping diagnostics to rule codes (canned
compiler output: no tools needed)."""

from __future__ import annotations

import pytest

from archport.verify.diagnostics import Diagnostic, classify, parse_assembler, parse_gcc, reportable

GCC_OUTPUT = """\
In file included from a.c:2,
                 from b.c:1:
stubs/immintrin.h:1:2: warning: #warning "archport-stub immintrin.h" [-Wcpp]
a.c: In function 'f':
a.c:4:3: error: unknown type name '__m256i'
a.c:4:15: warning: implicit declaration of function '_mm256_set1_epi32' [-Wimplicit-function-declaration]
a.c:5:9: warning: comparison is always false due to limited range of data type [-Wtype-limits]
a.c:6:21: note: each undeclared identifier is reported only once for each function it appears in
x.h:2461:69: error: expression in static assertion is not an integer
x.h:2467:32: note: in expansion of macro 'ASSERT_MSG'
a.c:9:5: note: in expansion of macro 'ASSERT'
a.c: At top level:
a.c:12:1: error: pragma or attribute 'target("avx2")' is not valid
a.c:14:10: fatal error: cpuid.h: No such file or directory
compilation terminated.
"""


def test_parse_gcc_locations_options_chains_and_notes():
    diags = parse_gcc(GCC_OUTPUT)
    assert [(d.file, d.line, d.col, d.kind) for d in diags] == [
        ("stubs/immintrin.h", 1, 2, "warning"),
        ("a.c", 4, 3, "error"),
        ("a.c", 4, 15, "warning"),
        ("a.c", 5, 9, "warning"),
        ("x.h", 2461, 69, "error"),
        ("a.c", 12, 1, "error"),
        ("a.c", 14, 10, "error"),
    ]
    stub, typ, implicit, limits, static, target, fatal = diags
    assert stub.included_from == [("a.c", 2), ("b.c", 1)] and stub.option == "-Wcpp"
    assert typ.function == "f" and typ.option == ""
    assert implicit.option == "-Wimplicit-function-declaration"
    assert implicit.message == "implicit declaration of function '_mm256_set1_epi32'"
    assert static.use_site() == ("a.c", 9, 5)
    assert target.function is None
    assert fatal.fatal and fatal.message == "cpuid.h: No such file or directory"


def test_parse_gfortran_errors():
    diags = parse_gcc("f.f90:3:15: Error: Kind 10 not supported for type REAL at (1)\n")
    assert [(d.file, d.line, d.col, d.kind, d.message) for d in diags] == [
        ("f.f90", 3, 15, "error", "Kind 10 not supported for type REAL at (1)")
    ]


def test_assembler_errors_map_back_through_loc_directives():
    asm = "\n".join([
        '\t.file\t"s.c"',
        '\t.file 1 "s.c"',
        "\t.loc 1 5 3",
        "#APP",
        "\tbswap x0",
        "#NO_APP",
        "\t.loc 1 9 7",
        "\tret",
    ])
    diags = parse_assembler("u.s: Assembler messages:\nu.s:5: Error: unknown mnemonic `bswap' -- `bswap x0'\n", asm)
    assert [(d.file, d.line, d.col, d.assembler) for d in diags] == [("s.c", 5, 3, True)]


def _d(msg, kind="error", option="", fatal=False, assembler=False):
    return Diagnostic("a.c", 1, 1, kind, msg, option, fatal=fatal, assembler=assembler)


@pytest.mark.parametrize(
    "diag,code",
    [
        (_d("immintrin.h: No such file or directory", fatal=True), "CC403"),
        (_d("cpuid.h: No such file or directory", fatal=True), "CC403"),
        (_d("sys/io.h: No such file or directory", fatal=True), "CC503"),
        (_d("quadmath.h: No such file or directory", fatal=True), "CC202"),
        (_d("generated_config.h: No such file or directory", fatal=True), "AP101"),
        (_d("unknown type name '__m256i'"), "CC402"),
        (_d("'__m128i' undeclared (first use in this function)"), "CC402"),
        (_d("implicit declaration of function '_mm_add_epi32'", "warning", "-Wimplicit-function-declaration"), "CC401"),
        (_d("implicit declaration of function '_mm_pause'", "warning", "-Wimplicit-function-declaration"), "CC408"),
        (_d("implicit declaration of function '__rdtsc'", "warning", "-Wimplicit-function-declaration"), "CC407"),
        (_d("implicit declaration of function '__builtin_ia32_crc32si'", "warning", "-Wimplicit-function-declaration"), "CC405"),
        (_d("implicit declaration of function '__builtin_cpu_supports'; did you mean '__builtin_isupper'?", "warning", "-Wimplicit-function-declaration"), "CC406"),
        (_d("'bit_AVX2' undeclared (first use in this function)"), "CC406"),
        (_d("'_MM_FLUSH_ZERO_ON' undeclared (first use in this function)"), "CC201"),
        (_d("impossible constraint in 'asm'"), "CC404"),
        (_d("unknown mnemonic `pause' -- `pause'", assembler=True), "CC404"),
        (_d("expected '=', ',', ';', 'asm' or '__attribute__' before '*' token"), "AP101"),
        (_d("pragma or attribute 'target(\"avx2\")' is not valid"), "CC409"),
        (_d("'SYS_open' undeclared (first use in this function); did you mean 'SYS_fsopen'?"), "CC501"),
        (_d("'mcontext_t' has no member named 'gregs'; did you mean 'regs'?"), "CC502"),
        (_d("'REG_RIP' undeclared (first use in this function)"), "CC502"),
        (_d("#error \"x86-64 only\""), "CC602"),
        (_d("static assertion failed: \"char is signed\""), "CC602"),
        (_d("unknown type name '__float128'; did you mean '_Float128'?"), "CC202"),
        (_d("implicit declaration of function 'outb'", "warning", "-Wimplicit-function-declaration"), "CC503"),
        (_d("narrowing conversion of '-1' from 'int' to 'char'", option="-Wnarrowing"), "AP101"),
        (_d("comparison is always false due to limited range of data type", "warning", "-Wtype-limits"), "AP102"),
        (_d("'ms_abi' attribute directive ignored", "warning", "-Wattributes"), "AP102"),
    ],
)
def test_classify(diag, code):
    assert classify(diag)[0] == code


@pytest.mark.parametrize(
    "diag,wanted",
    [
        (_d("anything"), True),
        (_d("unused variable 'x'", "warning", "-Wunused-variable"), False),
        (_d("comparison is always false due to limited range of data type", "warning", "-Wtype-limits"), True),
        (_d("conversion to 'uint64_t' from 'int' may change the sign of the result", "warning", "-Wsign-conversion"), False),
        (_d("unsigned conversion from 'int' to 'char' changes value from '-1' to '255'", "warning", "-Wsign-conversion"), True),
        (_d("in expansion of macro 'X'", "note"), False),
    ],
)
def test_reportable(diag, wanted):
    assert reportable(diag) is wanted
