from __future__ import annotations

import re

from archport.archfiles import rust_cfg
from archport.model import Confidence, Impact, Severity
from archport.rule import Rule
from archport.rules.build._tables import X86_CPUS
from archport.rules.rust.rs404_x86_target_feature_attribute import is_x86_feature

_SECTION = re.compile(r"^[ \t]*\[([^\]\n]+(?:\][^\]\n]*)?)\][ \t]*$", re.M)
_ADVICE = (
    "scope x86 code-generation flags to x86 targets: in `.cargo/config.toml` under "
    "`[target.x86_64-unknown-linux-gnu]` (or `[target.'cfg(target_arch = \"x86_64\")']`) rather than `[build]`; "
    "for aarch64 use `-C target-cpu=neoverse-n1` (Graviton2/Neoverse N1), `neoverse-v1` (Graviton3) or `native`, "
    "and `+lse`, `+crc`, `+aes`, `+sha2` features if wanted"
)


class X86Rustflags(Rule):
    """x86 `target-cpu`/`target-feature` in rustflags that an aarch64 build also uses.

    ## What it does
    Checks for `-C target-cpu=<x86 CPU>` (`haswell`, `x86-64-v3`, `skylake`, `znver3` …) and
    `-C target-feature=+avx2`-style x86 features in `rustflags` of Cargo configuration files
    (`[build]`, `[target.aarch64-…]`, or a `[target.'cfg(...)']` table that aarch64 matches) and
    in `RUSTFLAGS=` settings of shell scripts, Makefiles, Dockerfiles and CI files.
    Tables for x86 target triples and x86-only cfgs are not reported.

    ## Why is this a problem on ARM64?
    rustc for aarch64 ignores an x86 CPU name ("'haswell' is not a recognized processor
    for this target (ignoring processor)") and warns about each x86 feature ("unknown and
    unstable feature specified for `-Ctarget-feature`: `avx2`"). The build runs, but with
    generic aarch64 code generation instead of the tuning the flags were meant to give,
    and every crate prints the warnings.

    ## Example
    ```toml
    [build]
    rustflags = ["-C", "target-cpu=haswell", "-C", "target-feature=+avx2"]
    ```

    Use instead:
    ```toml
    [target.x86_64-unknown-linux-gnu]
    rustflags = ["-C", "target-cpu=haswell"]

    [target.aarch64-unknown-linux-gnu]
    rustflags = ["-C", "target-cpu=neoverse-n1"]
    ```

    ## Limitations
    In scripts only lines that name `RUSTFLAGS` (or `rustflags`) are read; which target a
    script or CI job builds for is not followed. The legacy `.cargo/config` file without
    extension is not read.

    ## References
    - Cargo configuration, target tables: https://doc.rust-lang.org/cargo/reference/config.html#target
    - rustc codegen options: https://doc.rust-lang.org/rustc/codegen-options/index.html
    """

    code = "RS405"
    name = "x86-rustflags"
    summary = "x86 `target-cpu`/`target-feature` in rustflags that an aarch64 build also uses"
    languages = frozenset({"toml", "shell", "make", "dockerfile", "yaml"})
    severity = Severity.WARNING
    impact = Impact.PERFORMANCE
    confidence = Confidence.HIGH
    tags = ("build", "flags")
    effort_minutes = 15
    prefilter = (b"target-cpu=", b"target-feature=")
    pattern = r"target-(?P<kind>cpu|feature)[ \t]*=[ \t]*(?P<value>[\w.+,-]+)"

    def check_match(self, ctx, match):
        value = match.group("value")
        if match.group("kind") == "cpu":
            if not X86_CPUS.fullmatch(value.lower()):
                return
            found = [value]
            what = f"`target-cpu={value}` is an x86 CPU: rustc for aarch64 ignores it (\"not a recognized processor\")"
        else:
            found = [f.lstrip("+") for f in value.split(",") if f.startswith("+") and is_x86_feature(f)]
            if not found:
                return
            shown = ", ".join(f"`+{f}`" for f in found)
            what = f"x86 target feature {shown}: rustc for aarch64 warns \"unknown ... feature\" and ignores it"
        if ctx.language == "toml":
            if not self._toml_applies(ctx, match.start()):
                return
        else:
            line_start = ctx.text.rfind("\n", 0, match.start()) + 1
            line_end = ctx.text.find("\n", match.end())
            line = ctx.text[line_start : line_end if line_end >= 0 else len(ctx.text)]
            if not re.search(r"RUSTFLAGS|rustflags", line) or re.search(r"CARGO_TARGET_(?:X86_64|I[3-6]86)_\w*RUSTFLAGS", line):
                return
        yield ctx.finding(
            self,
            match.start(),
            match.end(),
            f"{what}; these rustflags also apply to aarch64 builds",
            _ADVICE,
            properties={"flag": match.group(0), "x86": found},
        )

    def _toml_applies(self, ctx, offset: int) -> bool:
        if "rustflags" not in ctx.text:
            return False
        header = None
        for m in _SECTION.finditer(ctx.masked, 0, offset):
            header = ctx.text[m.start(1) : m.end(1)].strip()
        if header is None or header in ("build",) or header.startswith(("profile", "env")):
            return True
        if not header.startswith("target."):
            return True
        target = header[len("target.") :].strip().strip("'\"")
        if target.startswith("cfg("):
            return rust_cfg(target[4:-1] if target.endswith(")") else target[4:]).arm64 is not False
        return target.startswith("aarch64")  # another triple (x86, Windows, wasm…) is not an aarch64 build
