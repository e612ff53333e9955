from __future__ import annotations

import re

from archport.model import Confidence, Impact, Severity
from archport.rule import Rule
from archport.rules.go import _package


# `//go:noescape` directly above the declaration (blank lines and other directives allowed)
_NOESCAPE = re.compile(r"//go:noescape[ \t]*\n(?:[ \t]*//[^\n]*\n)*func[ \t]+\Z")


class AssemblyFunctionWithoutArm64Implementation(Rule):
    """Go function declared without a body whose assembly exists only for x86.

    ## What it does
    Checks for top-level Go functions declared without a body (`func sum64(p []byte) uint64`)
    in a file that a plain `GOARCH=arm64 go build` compiles, when the package implements
    them only in Go assembly files that the arm64 build leaves out (`hash_amd64.s`,
    `//go:build amd64` in the `.s` file) and no file built for arm64 (`hash_arm64.s`, or a
    `//go:build !amd64` Go file) provides them; also `//go:noescape` declarations that no Go
    assembly file of the package defines. The sibling files of the directory are read to
    decide.

    ## Why is this a problem on ARM64?
    The go tool compiles `hash_amd64.s` only for GOARCH=amd64. On arm64 the declaration has
    no implementation, and the build stops with `missing function body`. The usual fix is
    to put the declaration in a file constrained to amd64 too and to add a pure-Go version
    for every other architecture (then an `_arm64.s` if the routine is hot).

    ## Example
    ```go
    // hash.go (hash_amd64.s implements sum64; there is no hash_arm64.s)
    package hash

    //go:noescape
    func sum64(p []byte) uint64
    ```

    Use instead:
    ```go
    // hash_amd64.go
    //go:build amd64

    package hash

    //go:noescape
    func sum64(p []byte) uint64
    ```

    ## Limitations
    Only plain functions (not methods) are checked, in the scanned file's own directory;
    files are selected by their `_GOOS_GOARCH` names and `//go:build` / `// +build` lines
    with custom tags (`purego`, `noasm`) unset, as a plain `go build` has them. A
    declaration whose implementation comes from `//go:linkname` or from no assembly file at
    all is not reported.

    ## References
    - Go build constraints: https://pkg.go.dev/cmd/go#hdr-Build_constraints
    - A Quick Guide to Go's Assembler: https://go.dev/doc/asm
    """

    code = "GO401"
    name = "assembly-function-without-arm64-implementation"
    summary = "Go function declared without a body whose assembly exists only for x86"
    languages = frozenset({"go"})
    severity = Severity.ERROR
    impact = Impact.BUILD_BREAK
    confidence = Confidence.HIGH
    tags = ("asm", "isa", "build")
    effort_minutes = 120
    prefilter = (b"func ",)

    def check_file(self, ctx):
        if ctx.path.endswith("_test.go"):
            return
        here = _package.here(ctx)
        candidates = {n: off for n, off in here.bodyless.items() if n not in here.linknamed}
        if not here.arm64 or not candidates:
            return
        files = _package.package(ctx)
        arm_files = [f for f in files.values() if f.arm64 and f.name != here.name]
        for fname, offset in sorted(candidates.items(), key=lambda kv: kv[1]):
            if any(fname in f.text_symbols or (fname in f.names and fname not in f.bodyless) for f in arm_files):
                continue
            x86_asm = sorted(f.name for f in files.values() if f.assembly and not f.arm64 and fname in f.text_symbols)
            if x86_asm:
                shown = ", ".join(f"`{n}`" for n in x86_asm)
                where = f"only {shown} implements it, which `GOARCH=arm64 go build` does not assemble"
            elif _NOESCAPE.search(ctx.text[max(0, offset - 400) : offset]) and not any(fname in f.text_symbols for f in files.values()):
                # `//go:noescape` marks an assembly implementation; none is built for arm64
                shown = "the x86 assembly"
                where = "it is marked `//go:noescape` (an assembly implementation) and no Go assembly file built for arm64 defines it"
            else:
                continue
            yield ctx.finding(
                self,
                offset,
                offset + len(fname),
                f"`func {fname}` has no body and {where}; the arm64 build fails with \"missing function body\"",
                f"move the declaration into a file built only for the same architectures as {shown} "
                "(`//go:build amd64`) and add a pure-Go implementation under `//go:build !amd64`, or an "
                f"`_arm64.s` implementation of `{fname}`",
                properties={"function": fname, "assembly_files": x86_asm},
            )
