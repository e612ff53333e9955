from __future__ import annotations

import re

from archport.archfiles import _ARM_FEATURES, _X86_FEATURES
from archport.model import Confidence, Impact, Severity
from archport.rule import Rule
from archport.rules.rust import _cfg

_FN = re.compile(r"\bfn\b")


def is_x86_feature(feature: str) -> bool:
    f = feature.strip().lstrip("+")
    return (f in _X86_FEATURES or f in ("sse", "sse2", "fxsr", "avx512fp16", "avx512bf16", "avx512ifma", "avx512vbmi2",
                                        "avx512bitalg", "avx512vpopcntdq", "xsaveopt", "xsavec", "xsaves", "rtm", "tbm",
                                        "ermsb", "sse4a", "bmi1", "avxvnni", "kl", "widekl", "amx-tile")
            or f.startswith("avx512")) and f not in _ARM_FEATURES


class X86TargetFeatureAttribute(Rule):
    """`#[target_feature(enable = ...)]` naming an x86 feature on a function aarch64 compiles.

    ## What it does
    Checks for `#[target_feature(enable = "avx2")]` and other x86 feature names (SSE…AVX-512,
    BMI, FMA, POPCNT, PCLMULQDQ, AES-NI, SHA…) on functions that an aarch64 build compiles
    (no `#[cfg(target_arch = "x86_64")]` on the function, its module or a parent module).

    ## Why is this a problem on ARM64?
    rustc checks target-feature names against the target: for aarch64 it rejects the
    attribute with "the feature named `avx2` is not valid for this target", so the crate does
    not build. The function's body is x86 SIMD code anyway and needs an aarch64 counterpart
    (`#[target_feature(enable = "neon")]` with `std::arch::aarch64` intrinsics).

    ## Example
    ```rust
    #[target_feature(enable = "avx2")]
    unsafe fn sum_avx2(v: &[u32]) -> u32 {
        v.iter().sum()
    }
    ```

    Use instead:
    ```rust
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn sum_avx2(v: &[u32]) -> u32 {
        v.iter().sum()
    }
    ```

    ## Limitations
    Only the literal `enable = "..."` form is read; attributes produced by macros are not
    seen. Cargo-feature cfgs count as unknown and are not reported.

    ## References
    - The target_feature attribute: https://doc.rust-lang.org/reference/attributes/codegen.html#the-target_feature-attribute
    """

    code = "RS404"
    name = "x86-target-feature-attribute"
    summary = "`#[target_feature(enable = ...)]` naming an x86 feature on a function aarch64 compiles"
    languages = frozenset({"rust"})
    severity = Severity.ERROR
    impact = Impact.BUILD_BREAK
    confidence = Confidence.HIGH
    tags = ("simd", "isa")
    effort_minutes = 30
    prefilter = (b"target_feature",)
    pattern = r"#\[[ \t]*target_feature[ \t]*\([ \t]*enable[ \t]*=[ \t]*\""

    def check_match(self, ctx, match):
        end = ctx.text.find('"', match.end())
        if end < 0:
            return
        features = [f.strip() for f in ctx.text[match.end() : end].split(",")]
        x86 = [f for f in features if is_x86_feature(f)]
        if not x86:
            return
        fn = _FN.search(ctx.masked, match.end(), match.end() + 2000)
        cfg = _cfg.for_context(ctx)
        if cfg.arm64_at(fn.start() if fn else match.start()) is not True:
            return
        shown = ", ".join(f"`{f}`" for f in x86)
        yield ctx.finding(
            self,
            match.start(),
            end + 1,
            f"x86 target feature {shown} on a function that aarch64 compiles: rustc rejects it there "
            f"(\"the feature named `{x86[0]}` is not valid for this target\")",
            "put `#[cfg(any(target_arch = \"x86\", target_arch = \"x86_64\"))]` on the function (and its callers' "
            "x86 path), and write the aarch64 version with `#[target_feature(enable = \"neon\")]` and "
            "`std::arch::aarch64` intrinsics, or a portable fallback",
            properties={"features": x86},
        )
