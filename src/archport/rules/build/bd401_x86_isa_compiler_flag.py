from __future__ import annotations

from archport.model import Confidence, Impact, Severity
from archport.rule import Rule
from archport.rules.build import _flags
from archport.rules.build._tables import ISA_FLAG_RE, isa_advice


class X86IsaCompilerFlag(Rule):
    """x86-only compiler flag applied to an AArch64 build.

    ## What it does
    Checks for x86-only `-m` flags in build files (Makefiles, `*.mk`, CMake, Meson, Bazel and
    `.bazelrc`, `configure.ac`/`Makefile.am`, `setup.py`, `binding.gyp`, shell build
    scripts): `-m64`/`-m32`/`-mx32`, instruction-set switches (`-msse*`, `-mavx*`, `-mfma`,
    `-mbmi*`, `-mpopcnt`, `-mcx16`, `-mpclmul`, `-maes`, `-msha`, `-mrdrnd`, …), `-mfpmath=`,
    `-masm=` and x86 stack/ABI tuning (`-malign-double`, `-mstackrealign`,
    `-mpreferred-stack-boundary=`, `-mno-red-zone`).
    Flags set only under an x86 condition (CMake `if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64")`,
    Make `ifeq ($(ARCH),x86_64)`, Meson `host_machine.cpu_family() == 'x86_64'`, shell
    `case` arms, Bazel `select()` keys), stored in a variable named after the x86 feature
    (`set(AVX2FLAG -mavx2)`), given to x86-named sources or targets, or only probed
    (`check_c_compiler_flag`, `cc.has_argument`, `AX_CHECK_COMPILE_FLAG`) are not reported.

    ## Why is this a problem on ARM64?
    AArch64 GCC rejects every one of these flags: `aarch64-linux-gnu-gcc -mavx2` stops with
    "error: unrecognized command-line option '-mavx2'" (likewise `-m64`, `-m32`, `-msse4.2`,
    `-mfpmath=sse`, `-masm=intel`), so the build fails at its first compile. Clang 14 for
    `--target=aarch64-linux-gnu` accepts `-m64`, warns "argument unused during compilation"
    for most `-m<isa>` flags (an error under `-Werror`), rejects `-mfpmath=sse`, and turns
    `-m32` into a 32-bit Arm compile.

    ## Example
    ```cmake
    add_compile_options(-O2 -msse4.2 -mavx2)
    ```

    Use instead:
    ```cmake
    if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64")
      add_compile_options(-O2 -msse4.2 -mavx2)
    elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "aarch64|arm64")
      add_compile_options(-O2 -march=armv8-a+crc)
    endif()
    ```

    ## Limitations
    Conditions are recognised by the platform names they test; a condition on a variable
    computed elsewhere (`if(HAVE_FAST_CPU)`) counts as reachable. Flags assembled from
    variables (`-m$(BITS)`), flags in files included from elsewhere, and flags in `build.rs`
    (not read yet) are not seen. An x86-named variable (`SSE42_FLAGS = -msse4.2`) is assumed to
    be applied only to x86 code.

    ## References
    - GCC x86 options: https://gcc.gnu.org/onlinedocs/gcc/x86-Options.html
    - GCC AArch64 options: https://gcc.gnu.org/onlinedocs/gcc/AArch64-Options.html
    - AWS Graviton getting started, C/C++: https://github.com/aws/aws-graviton-getting-started/blob/main/c-c++.md
    """

    code = "BD401"
    name = "x86-isa-compiler-flag"
    summary = "x86-only compiler flag applied to an AArch64 build"
    languages = _flags.FLAG_LANGUAGES
    severity = Severity.ERROR
    impact = Impact.BUILD_BREAK
    confidence = Confidence.HIGH
    tags = ("build", "flags")
    effort_minutes = 15
    prefilter = (b"-msse", b"-mavx", b"-m64", b"-m32", b"-mx32", b"-mfma", b"-mbmi", b"-mpopcnt", b"-mcx16",
                 b"-mpclmul", b"-maes", b"-mfpmath", b"-masm=", b"-msha", b"-mssse3", b"-mf16c", b"-mlzcnt",
                 b"-mcrc32", b"-mrdrnd", b"-mrdseed", b"-mno-", b"-malign-double", b"-mstackrealign",
                 b"-mpreferred-stack", b"-mmmx", b"-mmovbe", b"-mxsave", b"-mvpclmul", b"-mvaes", b"-mgfni", b"-madx")
    pattern = ISA_FLAG_RE.pattern

    def check_match(self, ctx, match):
        if not _flags.reads(ctx) or _flags.skip_reason(ctx, match.start()) is not None:
            return
        flag = match.group(0)
        advice, group = isa_advice(match.group(1))
        what = {
            "word-size": "selects an x86 word size",
            "abi": "is x86 code-generation tuning",
        }.get(group, "switches off an x86 instruction-set extension" if match.group(1).startswith("no-")
              else "enables an x86 instruction-set extension")
        yield ctx.finding(
            self,
            match.start(),
            match.end(),
            f"`{flag}` {what} and reaches AArch64 builds{_flags.option_note(ctx, match.start())}; "
            f"AArch64 GCC stops with \"unrecognized command-line option '{flag}'\"",
            f"{advice}; keep the flag for x86 by putting it under an x86 condition",
            properties={"flag": flag, "kind": group},
        )
