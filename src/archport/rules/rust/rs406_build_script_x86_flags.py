from __future__ import annotations

import re

from archport.model import Confidence, Impact, Severity
from archport.rule import Rule
from archport.rules.build._tables import CPU_FLAG_RE, ISA_FLAG_RE, X86_CPUS, isa_advice
from archport.rules.rust import _cfg

_X86_LITERAL = re.compile(
    r"\"(?:x86_64|x86|i[3-6]86|amd64|x86_64-[\w-]+|i[3-6]86-[\w-]+)\"|::[ \t]*(?:X64|X86|X86_64|X86_32|Amd64|AMD64|I686)\b"
)
_ARM_LITERAL = re.compile(r"\"(?:aarch64|arm64|arm|aarch64-[\w-]+)\"")
_IF_HEAD = re.compile(r"^\s*(?:else\s+)?if\b")
_X86_CFG = re.compile(r"cfg!\s*\(\s*(?:any\s*\(\s*)?target_arch\s*=\s*\"(?:x86_64|x86)\"")
_CALL = re.compile(r"\.[ \t]*(?P<call>flag|file|files)[ \t]*\(|\bCommand[ \t]*::[ \t]*new[ \t]*\(")
_X86_CALL = re.compile(r"\b\w*(?:x86|x64|amd64|i[3-6]86)\w*\s*\(", re.I)
_ARM_CALL = re.compile(r"\b\w*(?:arm|aarch64|neon)\w*\s*\(", re.I)
_NEGATED = re.compile(
    r"!=\s*\"(?:x86|i[3-6]86|amd64)|\"(?:x86|i[3-6]86|amd64)[^\"]*\"\s*!=|!\s*\(?\s*[\w:.]*(?:x86|x64|amd64|i[3-6]86)"
    r"|!\s*cfg!|!\s*[\w.]+\s*\.\s*(?:starts_with|contains|ends_with)\s*\(\s*\"(?:x86|i[3-6]86|amd64)",
    re.I,
)
_X86_PATH = re.compile(r"(?:^|[/\\_.-])(?:x86_64|x86|x64|amd64|i386|i686|avx2?|avx512\w*|sse\d*\w*)(?:[/\\_.-]|$)", re.I)


class BuildScriptX86Flags(Rule):
    """Cargo build script that compiles C with x86 flags or x86 assembly for every target.

    ## What it does
    Checks for x86-only inputs in Cargo build scripts (`build.rs`, and Rust files that use
    `cc::Build`): `cc::Build` calls `.flag("-mavx2")`, `.flag("-msse4.2")`,
    `.flag("-march=haswell")` (x86-only compiler flags), `.file(...)` of `.asm` files or of
    assembly (`.s`/`.S`) under x86-named paths, and `Command::new("nasm")` / `"yasm"`, when
    they are not inside an `if` or `match` arm that tests the target for x86
    (`env::var("CARGO_CFG_TARGET_ARCH")` compared with `"x86_64"`, `target.starts_with("x86")`,
    `cfg!(target_arch = "x86_64")`) nor under an x86 `#[cfg]`.
    `.flag_if_supported(...)` is not reported: cc tries the flag and drops it when the
    compiler rejects it.

    ## Why is this a problem on ARM64?
    The build script runs for every target. For aarch64, cc invokes the AArch64 C compiler,
    which rejects x86 options ("aarch64-linux-gnu-gcc: error: unrecognized command-line
    option '-mavx2'"), and x86 assembly sources do not assemble; NASM and YASM only emit
    x86 object code, which cannot be linked into an aarch64 binary. The crate fails to
    build.

    ## Example
    ```rust
    fn main() {
        cc::Build::new().file("src/fast.c").flag("-mavx2").compile("fast");
    }
    ```

    Use instead:
    ```rust
    fn main() {
        let arch = std::env::var("CARGO_CFG_TARGET_ARCH").unwrap();
        let mut build = cc::Build::new();
        build.file("src/fast.c");
        if arch == "x86_64" {
            build.flag("-mavx2");
        }
        build.compile("fast");
    }
    ```

    ## Limitations
    Only conditions written at the call (an enclosing `if`/`match` arm) are read: an early
    `return` for other targets or a helper function that decides is not followed. Flags
    built at run time (`format!`) are not seen.

    ## References
    - Build scripts, target environment variables: https://doc.rust-lang.org/cargo/reference/environment-variables.html#environment-variables-cargo-sets-for-build-scripts
    - cc crate: https://docs.rs/cc/latest/cc/struct.Build.html
    """

    code = "RS406"
    name = "build-script-x86-flags"
    summary = "Cargo build script that compiles C with x86 flags or x86 assembly for every target"
    languages = frozenset({"rust"})
    severity = Severity.ERROR
    impact = Impact.BUILD_BREAK
    confidence = Confidence.MEDIUM
    tags = ("build", "flags")
    effort_minutes = 20
    prefilter = (b".flag(", b".file(", b"nasm", b"yasm", b".flag (")

    def check_file(self, ctx):
        name = ctx.path.replace("\\", "/").rsplit("/", 1)[-1]
        if name != "build.rs" and "cc::Build" not in ctx.masked:
            return
        for match in _CALL.finditer(ctx.masked):
            yield from self._check(ctx, match)

    def _check(self, ctx, match):
        open_ = match.end() - 1
        close = ctx.matching_paren(open_, limit=2000)
        if close < 0:
            return
        literals = ctx.source.string_literals(open_, close)
        if not literals:
            return
        call = match.group("call")
        found = None
        if call == "flag":
            flag = literals[0].strip()
            fm = ISA_FLAG_RE.fullmatch(flag)
            if fm:
                advice, _ = isa_advice(fm.group(1))
                found = ("flag", flag, f"`.flag(\"{flag}\")` passes an x86-only option to the C compiler of every target: "
                         f"for aarch64 the compiler rejects it (\"unrecognized command-line option\") and cc fails",
                         f"pass it only when `CARGO_CFG_TARGET_ARCH` is `x86_64`, or use `.flag_if_supported`; {advice}")
            else:
                cm = CPU_FLAG_RE.fullmatch(flag)
                if cm and X86_CPUS.fullmatch(cm.group(2).lower()):
                    found = ("flag", flag, f"`.flag(\"{flag}\")` names an x86 CPU for the C compiler of every target: "
                             f"for aarch64 the compiler rejects it and cc fails",
                             "pass it only when `CARGO_CFG_TARGET_ARCH` is `x86_64`; for aarch64 use `-march=armv8-a` "
                             "(baseline) or `-mcpu=neoverse-n1`")
        elif call in ("file", "files"):
            for lit in literals:
                path = lit.strip()
                low = path.lower()
                if low.endswith(".asm") or (low.endswith((".s", ".sx")) and _X86_PATH.search(path.rsplit(".", 1)[0])):
                    found = ("file", path, f"`.{call}(\"{path}\")` compiles x86 assembly for every target: the aarch64 "
                             f"assembler rejects it and the build fails",
                             "add it only when `CARGO_CFG_TARGET_ARCH` is `x86_64`, with an aarch64 assembly file or "
                             "C/Rust fallback for other targets")
                    break
        else:
            tool = literals[0].strip().rsplit("/", 1)[-1].lower()
            if tool in ("nasm", "yasm", "nasm.exe", "yasm.exe"):
                found = ("tool", tool, f"`Command::new(\"{literals[0]}\")` runs {tool.split('.')[0].upper()}, an x86-only "
                         f"assembler, for every target: its objects cannot be linked into an aarch64 binary",
                         "run it only when `CARGO_CFG_TARGET_ARCH` is `x86_64`/`x86`, with aarch64 assembly or a "
                         "C/Rust fallback for other targets")
        if found is None:
            return
        if self._x86_only(ctx, match.start()):
            return
        kind, value, message, help_ = found
        yield ctx.finding(self, match.start() + 1 if kind != "tool" else match.start(), close, message, help_,
                          properties={"kind": kind, "value": value})

    def _x86_only(self, ctx, offset: int, depth: int = 0) -> bool:
        cfg = _cfg.for_context(ctx)
        if cfg.arm64_at(offset) is False:
            return True
        masked, text = ctx.masked, ctx.text
        line = text[text.rfind("\n", 0, offset) + 1 : offset]
        if "=>" in line:
            pattern = line[: line.rfind("=>")]
            if _X86_LITERAL.search(pattern) and not _ARM_LITERAL.search(pattern):
                return True
        for open_, close in cfg.pairs:
            if open_ >= offset:
                break
            if close <= offset:
                continue
            start = cfg._statement_start(open_)
            head = text[start:open_]
            arm = text[max(0, open_ - 300):open_]
            if _IF_HEAD.match(masked[start:open_]) or _X86_CFG.search(head):
                if _NEGATED.search(head):
                    continue
                if (_X86_LITERAL.search(head) or _X86_CFG.search(head) or _X86_CALL.search(masked[start:open_])) \
                        and not _ARM_LITERAL.search(head) and not _ARM_CALL.search(masked[start:open_]):
                    return True
            elif masked[start:open_].rstrip().endswith("=>"):
                # a match arm: the pattern text since the previous arm
                pattern = arm[arm.rfind(",") + 1 :] if "," in arm else arm
                pattern = pattern[pattern.rfind("{") + 1 :]
                if _X86_LITERAL.search(pattern) and not _ARM_LITERAL.search(pattern):
                    return True
        # a helper function (`fn build_avx2()`) whose every caller is x86-only
        if depth < 3:
            for open_, close in cfg.pairs:
                if open_ >= offset:
                    break
                if close <= offset:
                    continue
                fm = re.search(r"\bfn\s+(\w+)[^{;]*$", masked[cfg._statement_start(open_) : open_])
                if fm is None or fm.group(1) == "main":
                    continue
                calls = [c.start() for c in re.finditer(r"(?<![\w.:])" + re.escape(fm.group(1)) + r"\s*\(", masked)
                         if not re.search(r"\bfn\s+$", masked[max(0, c.start() - 10) : c.start()])]
                if calls and all(self._x86_only(ctx, c, depth + 1) for c in calls):
                    return True
                break
        return False
