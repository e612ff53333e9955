from __future__ import annotations

from archport.model import Confidence, Impact, Severity
from archport.rule import Rule
from archport.rules.rust import _cfg

_ADVICE = (
    "put the x86 code under `#[cfg(any(target_arch = \"x86\", target_arch = \"x86_64\"))]` and give aarch64 a "
    "path: `std::arch::aarch64` NEON intrinsics (Advanced SIMD is part of the aarch64 baseline; "
    "`std::arch::is_aarch64_feature_detected!` tests optional features) or portable code under "
    "`#[cfg(not(...))]`"
)


class X86ArchIntrinsicsOnAarch64(Rule):
    """x86 `std::arch` intrinsics or feature detection in Rust code that aarch64 compiles.

    ## What it does
    Checks for `std::arch::x86_64`, `std::arch::x86`, `core::arch::x86_64`,
    `core::arch::x86` paths (imports and calls) and `is_x86_feature_detected!` in code that
    an aarch64 build compiles: not excluded by `#[cfg(...)]` on the enclosing items,
    statements and modules, `#![cfg(...)]`, `cfg_if!` branches, or the `mod` declaration of
    a parent module file. `if cfg!(...)` does not exclude code from compilation, so code
    under it counts.

    ## Why is this a problem on ARM64?
    `std::arch` only has the module of the target architecture: on aarch64
    `std::arch::x86_64` does not exist and the import fails to resolve, and
    `is_x86_feature_detected!` expands to a `compile_error!` ("can only be used on x86 and
    x86_64 targets"). The crate does not build for aarch64 at all.

    ## Example
    ```rust
    use std::arch::x86_64::*;

    pub fn has_avx2() -> bool {
        is_x86_feature_detected!("avx2")
    }
    ```

    Use instead:
    ```rust
    #[cfg(target_arch = "x86_64")]
    use std::arch::x86_64::*;

    pub fn has_avx2() -> bool {
        #[cfg(target_arch = "x86_64")]
        {
            return is_x86_feature_detected!("avx2");
        }
        #[cfg(not(target_arch = "x86_64"))]
        false
    }
    ```

    ## Limitations
    cfg predicates on Cargo features and custom cfgs are unknown and keep the code out of
    the report. Attributes are read from the text: a cfg on a match arm or a macro-generated
    item is not seen. Parent modules are found by the standard `mod.rs`/`name.rs` layout
    (`#[path]` is not followed).

    ## References
    - core::arch module: https://doc.rust-lang.org/core/arch/index.html
    - is_aarch64_feature_detected!: https://doc.rust-lang.org/std/arch/macro.is_aarch64_feature_detected.html
    - Conditional compilation: https://doc.rust-lang.org/reference/conditional-compilation.html
    """

    code = "RS401"
    name = "x86-arch-intrinsics-on-aarch64"
    summary = "x86 std::arch intrinsics or feature detection in Rust code that aarch64 compiles"
    languages = frozenset({"rust"})
    severity = Severity.ERROR
    impact = Impact.BUILD_BREAK
    confidence = Confidence.HIGH
    tags = ("simd", "isa")
    effort_minutes = 60
    prefilter = (b"arch::x86", b"is_x86_feature_detected")
    pattern = r"\b(?:std|core)[ \t]*::[ \t]*arch[ \t]*::[ \t]*(?:x86_64|x86)\b|\bis_x86_feature_detected[ \t]*!"

    def check_match(self, ctx, match):
        cfg = _cfg.for_context(ctx)
        if cfg.arm64_at(match.start()) is not True:
            return
        found = " ".join(match.group().split())
        if found.startswith("is_x86"):
            what = "`is_x86_feature_detected!` expands to a compile_error! on aarch64"
        else:
            what = f"`{found.replace(' ', '')}` does not exist when compiling for aarch64 (unresolved import)"
        # report once per statement (a `use` list or call chain names the module several times)
        key = ("rs401", cfg._statement_start(match.start()))
        if key in ctx.cache:
            return
        ctx.cache[key] = True
        yield ctx.finding(
            self,
            match.start(),
            match.end(),
            f"{what}, and nothing excludes this code from an aarch64 build",
            _ADVICE,
            properties={"path": found.replace(" ", "")},
        )
