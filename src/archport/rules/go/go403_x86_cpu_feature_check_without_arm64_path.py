from __future__ import annotations

import re

from archport.archfiles import go_file
from archport.model import Confidence, Impact, Severity
from archport.rule import Rule
from archport.rules.go import _package

_IMPORT = re.compile(r'(?:^|[\s(])(?:(?P<alias>\w+)[ \t]+)?"(?P<path>golang\.org/x/sys/cpu|internal/cpu|github\.com/klauspost/cpuid(?:/v\d+)?)"')
_FAIL = re.compile(r"\bpanic[ \t]*\(|\blog\.(?:Fatal|Panic)\w*[ \t]*\(|\bos\.Exit[ \t]*\(|\breturn\b[^\n;]*(?:\berrors\.New|\bfmt\.Errorf|\bErr\w*|\berr\w*\b)|\bt\.(?:Fatal|Skip)\w*[ \t]*\(")
_ARM64_ALT = re.compile(r"\.ARM64\.Has\w+|\bcpuid\.(?:ASIMD\w*|CRC32|PMULL|SHA[123]\w*|AESARM|ATOMICS|SVE\w*)\b|GOARCH[ \t]*==[ \t]*\"arm64\"")


def _check_regex(aliases: dict[str, str]) -> re.Pattern | None:
    parts = []
    for i, (alias, path) in enumerate(aliases.items()):
        a = re.escape(alias)
        if "cpuid" in path:
            # v2: cpuid.CPU.Supports(cpuid.AVX2, ...), cpuid.CPU.Has(cpuid.AVX2); v1: cpuid.CPU.AVX2()
            parts.append(a + r"[ \t]*\.[ \t]*CPU[ \t]*\.[ \t]*(?:(?:Supports|Has)[ \t]*\([ \t]*" + a + rf"[ \t]*\.[ \t]*(?P<v1_{i}>\w+)"
                         rf"|(?P<f2_{i}>SSE\w*|SSSE3|AVX\w*|BMI\d|FMA3|POPCNT|AESNI|CLMUL|SHA|ERMS|LZCNT|F16C|GFNI|VAES|VPCLMULQDQ)[ \t]*\(\))")
        else:
            parts.append(a + rf"[ \t]*\.[ \t]*X86[ \t]*\.[ \t]*(?P<f3_{i}>Has\w+)")
    if not parts:
        return None
    return re.compile("|".join(f"(?:{p})" for p in parts))


_ARM_FEATURES = re.compile(r"^(?:ARM_\w+|ASIMD\w*|CRC32|PMULL|SHA[123]\w*|AESARM|ATOMICS|SVE\w*|FP|FPHP|JSCVT|LRCPC|DCPOP|ARMCPUID|SM[34]|SHA512|DGH|BF16|I8MM)$")


class X86CpuFeatureCheckWithoutArm64Path(Rule):
    """x86 CPU feature checks (`cpu.X86.HasAVX2`) with no arm64 path in Go code arm64 compiles.

    ## What it does
    Checks for x86 feature tests of `golang.org/x/sys/cpu` and `internal/cpu`
    (`cpu.X86.HasAVX2`, `cpu.X86.HasSSE41` …) and of `github.com/klauspost/cpuid`
    (`cpuid.CPU.Supports(cpuid.AVX2)`, `cpuid.CPU.Has(cpuid.SSE4)`) in Go files that a
    linux/arm64 build compiles. A negated test whose branch panics, calls `log.Fatal` or
    `os.Exit`, or returns an error is an error. A test that only selects a fast path is
    reported once per file, as information, when neither the file (`cpu.ARM64.Has…`,
    `cpuid.ASIMD`, `runtime.GOARCH == "arm64"`) nor its package (`_arm64.go`/`_arm64.s`
    files) gives arm64 a path of its own.

    ## Why is this a problem on ARM64?
    `cpu.X86` exists on every architecture, but only the 386/amd64 files of the package
    fill it in: on arm64 every `cpu.X86.Has…` field is false (and klauspost/cpuid reports
    no x86 feature). A "requires AVX2" check therefore stops the program on every arm64
    machine, and code that picks a SIMD path by x86 flags always takes the slow generic
    path on arm64.

    ## Example
    ```go
    package fast

    import "golang.org/x/sys/cpu"

    func Init() {
    	if !cpu.X86.HasAVX2 {
    		panic("fast: AVX2 required")
    	}
    }
    ```

    Use instead:
    ```go
    package fast

    import "golang.org/x/sys/cpu"

    var useSIMD = cpu.X86.HasAVX2 || cpu.ARM64.HasASIMD

    func Init() {
    	if !useSIMD {
    		useGeneric()
    	}
    }

    func useGeneric() {}
    ```

    ## Limitations
    A check stored in a variable and tested elsewhere (`if !hasAVX2 { panic(...) }`) is
    not followed. The information finding does not know whether the fast path matters.

    ## References
    - golang.org/x/sys/cpu: https://pkg.go.dev/golang.org/x/sys/cpu
    - klauspost/cpuid: https://pkg.go.dev/github.com/klauspost/cpuid/v2
    """

    code = "GO403"
    name = "x86-cpu-feature-check-without-arm64-path"
    summary = "x86 CPU feature checks (`cpu.X86.HasAVX2`) with no arm64 path in Go code arm64 compiles"
    languages = frozenset({"go"})
    severity = Severity.ERROR
    impact = Impact.RUNTIME_TRAP
    confidence = Confidence.MEDIUM
    tags = ("feature-detection", "simd")
    effort_minutes = 30
    prefilter = (b"x/sys/cpu", b"internal/cpu", b"klauspost/cpuid")

    def check_file(self, ctx):
        if go_file(ctx.path, ctx.text, default_tags=True).arm64 is not True:
            return
        aliases = {}
        for m in _IMPORT.finditer(ctx.text):
            if ctx.source.in_comment(m.start("path")):
                continue
            path = m.group("path")
            alias = m.group("alias") or ("cpuid" if "cpuid" in path else "cpu")
            if m.group("alias") == "import":
                alias = "cpuid" if "cpuid" in path else "cpu"
            if alias in ("_", "."):
                continue
            aliases[alias] = path
        regex = _check_regex(aliases)
        if regex is None:
            return
        masked = ctx.masked
        fast_path = []
        reported = set()
        for m in regex.finditer(masked):
            feature = next(v for v in m.groups() if v)
            if _ARM_FEATURES.match(feature):
                continue
            fail = self._failure(ctx, m)
            if fail is not None:
                stmt, at = fail
                if at in reported:
                    continue  # one finding per `if`
                reported.add(at)
                shown = " ".join(m.group().split())
                yield ctx.finding(
                    self,
                    m.start(),
                    m.end(),
                    f"`{shown}` is false on every arm64 machine, so this `{stmt}` runs there whenever the check "
                    f"is reached: the program fails on arm64 instead of running a generic path",
                    "test the arm64 features too (`cpu.ARM64.HasASIMD` is always true on arm64; "
                    "`cpu.ARM64.HasAES`, `HasPMULL`, `HasSHA2`, `HasCRC32` for the crypto/CRC instructions), "
                    "or fall back to a generic implementation instead of failing",
                    properties={"check": shown, "feature": feature, "failure": stmt},
                )
            else:
                fast_path.append(m)
        if fast_path and not _ARM64_ALT.search(masked) and not self._package_has_arm64(ctx):
            m = fast_path[0]
            shown = " ".join(m.group().split())
            more = f" (and {len(fast_path) - 1} more x86 checks in this file)" if len(fast_path) > 1 else ""
            yield ctx.finding(
                self,
                m.start(),
                m.end(),
                f"`{shown}` selects a faster path only on x86{more}; nothing in this file or package tests "
                f"arm64 features, so arm64 always runs the generic code",
                "add an arm64 path selected by `cpu.ARM64.HasASIMD` (NEON, always present), "
                "`cpu.ARM64.HasAES`/`HasPMULL`/`HasSHA2`/`HasCRC32`, in `_arm64.go`/`_arm64.s` files, "
                "if the fast path matters on arm64",
                properties={"check": shown, "feature": next(v for v in m.groups() if v), "failure": None},
                severity=Severity.INFO,
            )

    def _failure(self, ctx, m) -> tuple[str, int] | None:
        """('panic'…, offset) when the check is negated in an `if` whose block fails, or is
        positive in an `if` whose `else` block fails."""
        masked = ctx.masked
        line_start = masked.rfind("\n", 0, m.start()) + 1
        head = masked[line_start : m.start()]
        after = masked[m.end() : masked.find("\n", m.end()) if "\n" in masked[m.end():] else len(masked)]
        if not re.match(r"^[ \t]*(?:\}[ \t]*else[ \t]+)?if\b", head):
            return None
        negated = head.rstrip().endswith("!") or re.match(r"[ \t]*\)?[ \t]*==[ \t]*false\b", after) is not None
        depth = 0
        for i in range(len(head) - 1, -1, -1):  # `!(cpu.X86.HasAVX2 && cpu.X86.HasFMA)`
            ch = head[i]
            if ch == ")":
                depth += 1
            elif ch == "(":
                if depth:
                    depth -= 1
                elif head[:i].rstrip().endswith("!"):
                    negated = True
                    break
        brace = masked.find("{", m.end())
        if brace < 0 or "\n" in masked[m.end() : brace]:
            return None
        close = ctx.matching_paren(brace)
        if close < 0:
            return None
        if negated:
            block = masked[brace:close]
        else:
            tail = masked[close : close + 40]
            em = re.match(r"[ \t]*else[ \t]*\{", tail)
            if em is None:
                return None
            eb = close + em.end() - 1
            ec = ctx.matching_paren(eb)
            if ec < 0:
                return None
            block = masked[eb:ec]
        if len(block) > 600:
            return None
        fm = _FAIL.search(block)
        if fm is None:
            return None
        word = fm.group().split("(")[0].strip()
        if word.startswith("return"):
            word = "error return"
        return word, line_start

    def _package_has_arm64(self, ctx) -> bool:
        if not ctx.abs_path:
            return False
        for gf in _package.package(ctx).values():
            if gf.arm64 and not gf.x86_64:
                return True
        return False
