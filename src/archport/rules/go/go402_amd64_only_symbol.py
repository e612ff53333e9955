from __future__ import annotations

import os
import re

from archport.model import Confidence, Impact, Severity
from archport.rule import Rule
from archport.rules.go import _package


def _shadowed(masked: str, name: str) -> bool:
    """Whether the file declares `name` locally (a variable, parameter or range variable)."""
    n = re.escape(name)
    return re.search(
        rf"\b{n}(?:[ \t]*,[ \t]*\w+)*[ \t]*:=|,[ \t]*{n}[ \t]*(?:,[ \t]*\w+[ \t]*)*:=|\bvar[ \t]+{n}\b"
        rf"|[(,][ \t]*{n}(?:[ \t]*,[ \t]*\w+)*[ \t]+(?:\*|\[|\.\.\.|func\b|map\b|chan\b|[A-Za-z])",
        masked,
    ) is not None


class Amd64OnlySymbol(Rule):
    """Portable Go code using a name that only amd64 files of the package define.

    ## What it does
    Checks for identifiers in Go files that a plain `GOARCH=arm64 go build` compiles which
    name a top-level function, type, variable or constant that the package declares only in
    files restricted to amd64 (`_amd64.go` names, `//go:build amd64`, `// +build amd64`),
    with no arm64 or generic declaration. The first use in each file is reported.

    ## Why is this a problem on ARM64?
    The arm64 build leaves the amd64 files out, so the name does not exist there and the
    package fails to compile with `undefined: name`. Every architecture needs a
    declaration: an `_arm64.go` version, or a generic one under `//go:build !amd64`.

    ## Example
    ```go
    package hash

    // useAVX2 is declared in hash_amd64.go only
    func Sum(p []byte) uint64 {
        if useAVX2 {
            return sumAVX2(p)
        }
        return sumGeneric(p)
    }
    ```

    Use instead:
    ```go
    package hash

    // hash_amd64.go declares useAVX2 = cpu.X86.HasAVX2;
    // hash_other.go (//go:build !amd64) declares useAVX2 = false
    func Sum(p []byte) uint64 {
        return sumGeneric(p)
    }
    ```

    An `internal` package that no arm64-compiled file of the module imports is left alone:
    an arm64 build never compiles it (only `go vet ./...` would).

    ## Limitations
    Only the scanned file's directory is read; names are matched as words (a local
    variable of the same name hides the finding); methods and names reached through other
    packages are not checked. Files are selected with custom build tags unset.

    ## References
    - Go build constraints: https://pkg.go.dev/cmd/go#hdr-Build_constraints
    """

    code = "GO402"
    name = "amd64-only-symbol"
    summary = "Portable Go code using a name that only amd64 files of the package define"
    languages = frozenset({"go"})
    severity = Severity.ERROR
    impact = Impact.BUILD_BREAK
    confidence = Confidence.MEDIUM
    tags = ("build", "isa")
    effort_minutes = 60
    prefilter = (b"package ",)
    #: files beside the documentation example (for the documentation test)
    example_siblings = {"hash_amd64.go": "package hash\n\nvar useAVX2 = true\n\nfunc sumAVX2(p []byte) uint64 { return 0 }\n",
                        "hash_generic.go": "package hash\n\nfunc sumGeneric(p []byte) uint64 { return 0 }\n"}

    def check_file(self, ctx):
        name = ctx.path.rsplit("/", 1)[-1]
        if name.endswith("_test.go"):
            return
        here = _package.here(ctx)
        if not here.arm64:
            return
        files = _package.package(ctx)
        amd64_only = [f for f in files.values() if not f.assembly and not f.arm64 and f.x86_64]
        if not amd64_only or _package.internal_unused_on_arm64(os.path.dirname(ctx.abs_path)):
            return
        arm_names: set[str] = set(here.names)
        for f in files.values():
            if f.arm64:
                arm_names |= set(f.names) | f.text_symbols
        masked = ctx.masked
        for owner in amd64_only:
            for symbol in owner.names:
                if symbol in arm_names or symbol == "_" or symbol == "init":
                    continue
                uses = _package.identifier_uses(masked, symbol)
                if not uses or _shadowed(masked, symbol):
                    continue
                arm_names.add(symbol)  # once per file
                start = uses[0]
                yield ctx.finding(
                    self,
                    start,
                    start + len(symbol),
                    f"`{symbol}` is declared only in `{owner.name}` ({owner.reason}), which `GOARCH=arm64 go build` "
                    f"leaves out; this file is built for arm64 and the build fails with \"undefined: {symbol}\"",
                    f"declare `{symbol}` for the other architectures too: an `_arm64.go` version or a generic one in "
                    "a file under `//go:build !amd64`",
                    properties={"symbol": symbol, "declared_in": owner.name},
                )
