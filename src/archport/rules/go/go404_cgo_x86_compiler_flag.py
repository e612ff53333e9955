from __future__ import annotations

import re

from archport.archfiles import evaluate_go_constraint, go_file
from archport.model import Confidence, Impact, Severity
from archport.rule import Rule
from archport.rules.build._tables import CPU_FLAG_RE, ISA_FLAG_RE, X86_CPUS, isa_advice
from archport.rules.go._package import uses_cgo

_CGO = re.compile(
    r"^[ \t]*(?://[ \t]*)?#cgo[ \t]+(?P<cons>[^:\n]*?)[ \t]*\b(?P<kind>CFLAGS|CPPFLAGS|CXXFLAGS|FFLAGS|LDFLAGS)[ \t]*:(?P<flags>[^\n]*)",
    re.M,
)


def _constraint(cons: str) -> str | None:
    """A `#cgo` line's constraint words as a //go:build expression (space = or, comma = and)."""
    alts = cons.split()
    if not alts:
        return None
    return " || ".join(
        "(" + " && ".join(("!" + t[1:]) if t.startswith("!") else t for t in alt.split(",") if t) + ")" for alt in alts
    )


class CgoX86CompilerFlag(Rule):
    """cgo `#cgo CFLAGS` with x86-only compiler flags that an arm64 build also gets.

    ## What it does
    Checks for `#cgo CFLAGS:`, `CPPFLAGS:`, `CXXFLAGS:`, `FFLAGS:` and `LDFLAGS:` lines in the
    preamble of Go files that import "C" which pass x86-only flags (`-mavx2`, `-msse4.2`,
    `-mpclmul`, `-m64`, `-march=haswell`, `-mtune=skylake` …), when the `#cgo` line carries no
    constraint that excludes arm64 (`#cgo amd64 CFLAGS: -mavx2` is fine) and the Go file is
    built for arm64.

    ## Why is this a problem on ARM64?
    With `CGO_ENABLED=1 GOARCH=arm64` the go tool passes these flags to the AArch64 C
    compiler, which rejects them ("aarch64-linux-gnu-gcc: error: unrecognized command-line
    option '-mavx2'"), so the package does not build.

    ## Example
    ```go
    package fast

    // #cgo CFLAGS: -O3 -mavx2
    // #include "fast.h"
    import "C"
    ```

    Use instead:
    ```go
    package fast

    // #cgo CFLAGS: -O3
    // #cgo amd64 CFLAGS: -mavx2
    // #cgo arm64 CFLAGS: -march=armv8-a+crc
    // #include "fast.h"
    import "C"
    ```

    ## Limitations
    Flags added through `CGO_CFLAGS` in the environment or `pkg-config` are not seen (the
    build-file rules read scripts). Custom build tags in the `#cgo` constraint count as unset.

    ## References
    - cgo: https://pkg.go.dev/cmd/cgo
    - GCC AArch64 options: https://gcc.gnu.org/onlinedocs/gcc/AArch64-Options.html
    """

    code = "GO404"
    name = "cgo-x86-compiler-flag"
    summary = "cgo `#cgo CFLAGS` with x86-only compiler flags that an arm64 build also gets"
    languages = frozenset({"go"})
    severity = Severity.ERROR
    impact = Impact.BUILD_BREAK
    confidence = Confidence.HIGH
    tags = ("cgo", "build", "flags")
    effort_minutes = 15
    prefilter = (b"#cgo",)

    def check_file(self, ctx):
        if not uses_cgo(ctx.text):
            return
        if go_file(ctx.path, ctx.text, default_tags=True).arm64 is not True:
            return
        for m in _CGO.finditer(ctx.text):
            if not ctx.source.in_comment(m.start("kind")):
                continue
            expr = _constraint(m.group("cons"))
            if expr is not None and evaluate_go_constraint(expr, "linux", "arm64", default_tags=True) is False:
                continue
            base = m.start("flags")
            flags = m.group("flags")
            for fm in ISA_FLAG_RE.finditer(flags):
                advice, _ = isa_advice(fm.group(1))
                yield self._finding(ctx, m, base + fm.start(), base + fm.end(), fm.group(0), advice)
            for fm in CPU_FLAG_RE.finditer(flags):
                if X86_CPUS.fullmatch(fm.group(2).lower()):
                    yield self._finding(
                        ctx, m, base + fm.start(), base + fm.end(), fm.group(0),
                        "move it to an `#cgo amd64 CFLAGS:` line; for arm64 use `-march=armv8-a` (baseline) or "
                        "`-mcpu=neoverse-n1` on an `#cgo arm64 CFLAGS:` line",
                    )

    def _finding(self, ctx, m, start, end, flag, advice):
        return ctx.finding(
            self,
            start,
            end,
            f"`#cgo {m.group('kind')}` passes the x86-only flag `{flag}` to every architecture; with "
            f"`GOARCH=arm64` the AArch64 C compiler rejects it and cgo fails",
            f"put it on a `#cgo amd64 {m.group('kind')}:` line instead; {advice}",
            properties={"flag": flag, "directive": m.group("kind")},
        )
