from __future__ import annotations

from archport.artifacts.platforms import X86_WORD, arm_spelling
from archport.model import Confidence, Impact, Severity
from archport.rule import Rule
from archport.rules.binaries._describe import (
    MEMBERS_LISTED,
    isa_note,
    isa_words,
    library_words,
    listed,
    x86_only_libraries,
)


class X86OnlyBinary(Rule):
    """x86 machine code in the tree with no AArch64 build beside it.

    ## What it does
    Checks for executables, shared libraries, object files and static libraries in the tree
    (`.so`, `.so.N`, `.a`, `.o`, `.dll`, `.exe`, `.dylib`, `.node`, `.pyd`, and files without an
    extension whose first bytes are ELF or Mach-O) whose machine code is x86 or x86-64, read
    from the ELF, PE/COFF or Mach-O header (`e_machine`, the COFF machine, the CPU type of every
    slice of a universal binary). It reports each one that has no AArch64 counterpart beside it:
    a sibling file or directory whose name is the same with an AArch64 word in place of the x86
    one (`linux-x86_64/libfoo.so` beside `linux-aarch64/libfoo.so`, `foo-amd64` beside
    `foo-arm64`), or an AArch64-named sibling directory holding the same file
    (`Linux/aarch64/libfoo.so` for `Linux/x86_64-musl/libfoo.so`). The finding names the machine, the libraries the binary needs (`DT_NEEDED`)
    when they exist only for x86 (Intel MKL, SVML, the Intel compiler runtime, IPP), and the x86-64
    ISA level the binary declares (`GNU_PROPERTY_X86_ISA_1_NEEDED`, e.g. x86-64-v3).
    Not reported: binaries with AArch64 code, code for another operating system than Linux
    (PE/COFF, Mach-O, ELF marked FreeBSD/NetBSD/OpenBSD/Solaris, or under a path that names
    Windows, macOS, a BSD, Solaris, AIX or Android: archport's targets are Linux on AArch64),
    and files named like binaries that are not machine code (a linker script named `libc.so`,
    a Git LFS pointer).

    ## Why is this a problem on ARM64?
    An AArch64 machine cannot run x86 machine code. The kernel refuses to execute such a
    program ("Exec format error"), the AArch64 linker stops with "file in wrong format", and
    `dlopen` fails on such a library, with glibc reporting "cannot open shared object file",
    which hides the real cause. A prebuilt binary committed to the tree has to be rebuilt
    from source for AArch64 or replaced by its AArch64 build.

    ## Example
    ```text
    tools/bin/protoc                    ELF x86-64
    ```

    Use instead:
    ```text
    tools/bin/linux-x86_64/protoc       ELF x86-64
    tools/bin/linux-aarch64/protoc      ELF aarch64
    ```

    ## Limitations
    The counterpart is found by name only: an AArch64 build kept under an unrelated name, or
    chosen by the build from another place, is not seen (list the file under
    `per-file-ignores`). Binaries under test-data directories (`test/`, `testdata/`,
    `fixtures/`…) are reported with low confidence: they are often samples, not code that
    runs. Windows, macOS and other non-Linux binaries are read but never reported, so a
    Windows on Arm or Apple silicon port gets no help here. Only the headers are read: whether
    the binary is used by the build is not known.

    ## References
    - [System V ABI, ELF header `e_machine`](https://refspecs.linuxfoundation.org/elf/gabi4+/ch4.eheader.html)
    - [x86-64 psABI: GNU_PROPERTY_X86_ISA_1_NEEDED](https://gitlab.com/x86-psABIs/x86-64-ABI)
    - [PE format: machine types](https://learn.microsoft.com/en-us/windows/win32/debug/pe-format#machine-types)
    """

    code = "BN701"
    name = "x86-only-binary"
    summary = "Prebuilt x86 executable or library in the tree with no AArch64 build beside it"
    languages = frozenset({"binary"})
    severity = Severity.WARNING
    impact = Impact.PACKAGING
    confidence = Confidence.HIGH
    tags = ("binaries", "prebuilt")
    effort_minutes = 60

    def check_artifact(self, ctx):
        info = ctx.binary()
        if info is None or not info.is_x86_only or ctx.system(info) != "linux":
            return  # Windows, macOS, BSD, Solaris and Android code does not run on the Linux targets anyway
        if ctx.tree_counterpart() is not None:
            return
        infos = [info]
        isa = isa_note(infos)
        libs = x86_only_libraries(infos)
        what = info.describe()
        if info.format == "ar":
            what = f"a static library of x86 object files ({listed(list(info.x86_members))})"
        if info.kind == "executable":
            effect = "it cannot run on AArch64"
        elif info.kind in ("object file", "static library"):
            effect = "it cannot be linked into an AArch64 build"
        else:
            effect = "it cannot be loaded or linked on AArch64"
        message = f"`{ctx.name}` is {_article(what)} with no AArch64 build beside it: {effect}{isa_words(isa)}{library_words(libs)}"
        suggestion = ""
        if X86_WORD.search(ctx.path):
            suggestion = f" (by the usual naming, `{arm_spelling(ctx.path)}`)"
        help_text = (
            f"rebuild it from source for AArch64 (e.g. with aarch64-linux-gnu-gcc or natively on an Arm machine), "
            f"or put the AArch64 build beside it{suggestion} and pick one per architecture (`uname -m`)"
        )
        if libs:
            help_text += "; the AArch64 build needs replacements for " + ", ".join(libs[:3]) + " (e.g. OpenBLAS or Arm Performance Libraries for MKL)"
        confidence = Confidence.LOW if ctx.in_test_data else None
        if ctx.in_test_data:
            message += " (it sits in a test-data directory: it may be a sample rather than code that runs)"
        properties = {
            "format": info.format,
            "machine": "+".join(info.arches),
            "kind": info.kind,
        }
        if info.needed:
            properties["needed"] = list(info.needed[:MEMBERS_LISTED])
        if libs:
            properties["x86_only_libraries"] = libs
        if isa:
            properties["x86_isa_needed"] = isa
        if info.x86_members:
            properties["x86_members"] = list(info.x86_members[:MEMBERS_LISTED])
        yield ctx.finding(self, message, help_text, properties=properties, confidence=confidence)


def _article(what: str) -> str:
    if what.startswith("a "):
        return what
    return ("an " if what[:1].lower() in "aeiou" else "a ") + what
