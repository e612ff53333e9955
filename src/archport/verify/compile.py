"""`archport verify compile`: compile each translation unit with the AArch64 cross compiler and
report what fails (or warns) on AArch64 but not with the x86-64 compiler and the same flags.

Per unit: one AArch64 compile (`-S -g` into a scratch directory, then the assembler when the
unit has inline assembly; or `-fsyntax-only`), with the x86-only intrinsic headers replaced by
empty stubs so the errors behind the missing header are found too; when that compile has
anything to report, the same compile with the x86-64 compiler, and only the diagnostics that
x86-64 does not have become findings. Compilers run in the unit's directory; every output goes
to the scratch directory, which is removed at the end; the project tree is only read."""

from __future__ import annotations

import dataclasses
import os
import re
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from archport.layout import ARM_DIRS, x86_only_directories
from archport.model import Finding, ScanError
from archport.report.model import Report
from archport.verify import tools
from archport.verify.diagnostics import BEHAVIOUR_WARNINGS, Diagnostic, classify, parse_assembler, parse_gcc, reportable
from archport.verify.findings import FileTexts, fingerprinted, make_finding, rule
from archport.verify.units import (
    CODEGEN_MARKERS,
    CompileCommandsError,
    IncludeGraph,
    Unit,
    UnitSet,
    default_units,
    filter_rejected,
    find_compile_commands,
    fortran_waves,
    units_from_compile_commands,
    walk,
)

DIAG_FLAGS = (
    "-fno-diagnostics-show-caret",
    "-fdiagnostics-color=never",
    "-fdiagnostics-urls=never",
    "-fdiagnostics-column-unit=byte",
    "-fmessage-length=0",
    "-fmax-errors=1000",
)

#: x86-only headers replaced by stubs in the AArch64 compile (`-idirafter`, so a real header of
#: the same name always wins); each stub only emits a marker warning
STUB_HEADERS = (
    "adxintrin.h", "ammintrin.h", "amxbf16intrin.h", "amxint8intrin.h", "amxtileintrin.h", "avx2intrin.h",
    "avx5124fmapsintrin.h", "avx5124vnniwintrin.h", "avx512bf16intrin.h", "avx512bf16vlintrin.h",
    "avx512bitalgintrin.h", "avx512bwintrin.h", "avx512cdintrin.h", "avx512dqintrin.h", "avx512erintrin.h",
    "avx512fintrin.h", "avx512fp16intrin.h", "avx512fp16vlintrin.h", "avx512ifmaintrin.h", "avx512ifmavlintrin.h",
    "avx512pfintrin.h", "avx512vbmi2intrin.h", "avx512vbmi2vlintrin.h", "avx512vbmiintrin.h", "avx512vbmivlintrin.h",
    "avx512vlbwintrin.h", "avx512vldqintrin.h", "avx512vlintrin.h", "avx512vnniintrin.h", "avx512vnnivlintrin.h",
    "avx512vp2intersectintrin.h", "avx512vp2intersectvlintrin.h", "avx512vpopcntdqintrin.h",
    "avx512vpopcntdqvlintrin.h", "avxintrin.h", "avxvnniintrin.h", "bmi2intrin.h", "bmiintrin.h", "cetintrin.h",
    "cldemoteintrin.h", "clflushoptintrin.h", "clwbintrin.h", "clzerointrin.h", "cpuid.h", "emmintrin.h",
    "enqcmdintrin.h", "f16cintrin.h", "fma4intrin.h", "fmaintrin.h", "fxsrintrin.h", "gfniintrin.h",
    "hresetintrin.h", "ia32intrin.h", "immintrin.h", "keylockerintrin.h", "lwpintrin.h", "lzcntintrin.h",
    "mm3dnow.h", "mm_malloc.h", "mmintrin.h", "movdirintrin.h", "mwaitintrin.h", "mwaitxintrin.h", "nmmintrin.h",
    "pconfigintrin.h", "pkuintrin.h", "pmmintrin.h", "popcntintrin.h", "prfchwintrin.h", "rdseedintrin.h",
    "rtmintrin.h", "serializeintrin.h", "sgxintrin.h", "shaintrin.h", "smmintrin.h", "tbmintrin.h",
    "tmmintrin.h", "tsxldtrkintrin.h", "uintrintrin.h", "vaesintrin.h", "vpclmulqdqintrin.h", "waitpkgintrin.h",
    "wbnoinvdintrin.h", "wmmintrin.h", "x86gprintrin.h", "x86intrin.h", "xmmintrin.h", "xopintrin.h",
    "xsavecintrin.h", "xsaveintrin.h", "xsaveoptintrin.h", "xsavesintrin.h", "xtestintrin.h", "zmmintrin.h",
    "sys/io.h", "sys/perm.h", "asm/unistd_64.h", "asm/unistd_32.h", "quadmath.h",
)
_STUB_MARK = "archport-stub"

_HELP = {
    "CC201": "control the floating-point environment with <fenv.h> (fesetround, fesetenv); flush-to-zero is FPCR bit 24 on AArch64",
    "CC202": "use long double (IEEE binary128 on AArch64 Linux) or _Float128 instead of __float128 and libquadmath",
    "CC401": "replace the x86 intrinsic with a NEON intrinsic from <arm_neon.h> under `#elif defined(__aarch64__)`, or a portable C path",
    "CC402": "use NEON vector types (int32x4_t, uint8x16_t, float32x4_t, ...) from <arm_neon.h> on AArch64",
    "CC403": "guard the include with `#if defined(__x86_64__) || defined(_M_X64)` and include <arm_neon.h> under `#elif defined(__aarch64__)`",
    "CC404": "keep the x86 assembly under `#if defined(__x86_64__)` and give AArch64 a C or AArch64-assembly path",
    "CC405": "use a portable GCC builtin (e.g. __builtin_popcount) or a NEON intrinsic instead of __builtin_ia32_*",
    "CC406": "detect AArch64 features with getauxval(AT_HWCAP) and the HWCAP_* bits of <asm/hwcap.h>",
    "CC407": "use clock_gettime(CLOCK_MONOTONIC), or read the generic timer with `mrs %0, cntvct_el0` under __aarch64__",
    "CC408": "in spin loops use `asm volatile(\"yield\")` under __aarch64__ (or a portable back-off)",
    "CC409": "keep x86 target attributes under `#if defined(__x86_64__)`; AArch64 GCC takes target(\"arch=armv8.2-a\") or target(\"+crc\")",
    "CC501": "call the libc wrapper (open(), stat(), ...) or the *at system call (SYS_openat): AArch64 has only the generic system-call table",
    "CC502": "on AArch64 read uc_mcontext.pc, uc_mcontext.sp and uc_mcontext.regs[0..30] under `#elif defined(__aarch64__)`",
    "CC503": "AArch64 has no I/O ports: reach the device through a kernel driver, UIO or sysfs (MMIO)",
    "CC602": "give AArch64 its own branch before the #error, or fix the assumption the assertion checks (char signedness, type sizes)",
    "AP101": "this error does not occur with the x86-64 compiler and the same flags: fix the code (or its #if branches) for AArch64",
}
_AP102_HELP = {
    "-Wtype-limits": "plain char is unsigned on AArch64: use signed char (or int for getchar()/fgetc() results) where negative values matter",
    "-Wchar-subscripts": "plain char is unsigned on AArch64: index with unsigned char or int explicitly",
    "-Wsign-compare": "plain char is unsigned on AArch64: use signed char or unsigned char explicitly",
    "-Wsign-conversion": "plain char is unsigned on AArch64: use signed char where negative values are stored",
    "-Woverflow": "plain char is unsigned on AArch64 (0..255): use signed char or unsigned char explicitly",
    "-Wswitch-outside-range": "plain char is unsigned on AArch64: a negative case label can never match; use signed char",
    "-Wattributes": "this attribute means nothing to the AArch64 compiler: keep it under `#if defined(__x86_64__)`",
    "-Wpsabi": "the AArch64 calling convention for this type changed between GCC releases: build all code that passes it with one compiler",
    "-Wcpp": "a #warning that only the AArch64 build reaches: check the branch it guards",
}


@dataclass
class CompileOptions:
    jobs: int = 0
    compile_commands: str | None = None
    mode: str = "auto"  # auto: generate code only for units with inline asm or target_clones | syntax | full
    extra_flags: tuple[str, ...] = ()
    excludes: tuple[str, ...] = ()
    timeout: float = 300.0
    respect_layout: bool = True


@dataclass
class UnitResult:
    unit: Unit
    arm_only: list[Diagnostic] = field(default_factory=list)
    shared_errors: list[Diagnostic] = field(default_factory=list)
    compared: bool = False
    codegen: bool = False
    problems: list[str] = field(default_factory=list)


class VerifyInputError(Exception):
    """Bad input for verify (missing path, unreadable compile_commands.json): exit 2."""


class _Checker:
    def __init__(self, us: UnitSet, options: CompileOptions, scratch: str, cross: dict, native: dict):
        self.us = us
        self.options = options
        self.scratch = scratch
        self.cross = cross
        self.native = native
        self.stubs = os.path.join(scratch, "stubs")
        self.graph = IncludeGraph()
        self.system_dirs = system_dirs(cross, native)
        self.moddir = {"arm": os.path.join(scratch, "mod-aarch64"), "x86": os.path.join(scratch, "mod-x86_64")}
        for d in self.moddir.values():
            os.makedirs(d, exist_ok=True)
        for name in STUB_HEADERS:
            path = os.path.join(self.stubs, name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as fh:
                fh.write(f'#warning "{_STUB_MARK} {name}"\n')

    def _full(self, unit: Unit, stub_flags: list[str]) -> bool:
        """Whether to generate code for this unit: in auto mode, only when the AArch64
        preprocessor output has inline assembly or target_clones (a cheap include-graph test
        first, then `-E`), since only code generation and the assembler find their errors."""
        if self.options.mode != "auto":
            return self.options.mode == "full"
        if unit.language == "fortran":
            return True
        if not self.graph.needs_codegen(unit, unit.arm_flags):
            return False
        cmd = [self.cross[unit.language], *unit.arm_flags, *stub_flags, "-E", unit.file]
        r = tools.run_tool(cmd, unit.directory, self.options.timeout)
        if isinstance(r, str) or r.returncode != 0:
            return True
        return _has_codegen_markers(r.stdout)

    def _mode(self, unit: Unit, index: int, which: str, full: bool) -> tuple[list[str], str | None]:
        if unit.language == "fortran":
            mods = ["-J", self.moddir[which], "-I", self.moddir[which]]
        else:
            mods = []
        if not full:
            return ["-fsyntax-only", *mods], None
        if which == "x86":
            return ["-S", "-g", "-o", os.devnull, *mods], None
        out = os.path.join(self.scratch, f"u{index}.s")
        return ["-S", "-g", "-o", out, *mods], out

    def _warnings(self, unit: Unit) -> list[str]:
        return [] if unit.language == "fortran" else list(BEHAVIOUR_WARNINGS)

    def check(self, index: int, unit: Unit) -> UnitResult:
        res = UnitResult(unit)
        timeout = self.options.timeout
        stub_flags = [] if unit.language == "fortran" else ["-idirafter", self.stubs]
        full = self._full(unit, stub_flags)
        res.codegen = full
        mode, asm_out = self._mode(unit, index, "arm", full)
        cmd = [self.cross[unit.language], *unit.arm_flags, *self._warnings(unit), *DIAG_FLAGS, *stub_flags, *mode, unit.file]
        r = tools.run_tool(cmd, unit.directory, timeout)
        if isinstance(r, str):
            res.problems.append(r)
            return res
        diags = [self._absolute(d, unit.directory) for d in parse_gcc(r.stderr)]
        if r.returncode != 0 and not any(d.kind == "error" for d in diags):
            res.problems.append(_first_lines(r.stderr) or f"the AArch64 compiler exited with status {r.returncode}")
        if asm_out and r.returncode == 0 and os.path.exists(asm_out):
            diags.extend(self._assemble(asm_out, unit, index))
        if asm_out and os.path.exists(asm_out):
            os.unlink(asm_out)
        diags = self._resolve_stubs(diags)
        interesting = [d for d in diags if reportable(d)]
        native = self.native.get(unit.language)
        if (interesting or unit.language == "fortran") and native:
            mode, _ = self._mode(unit, index, "x86", full)
            xcmd = [native, *unit.x86_flags, *self._warnings(unit), *DIAG_FLAGS, *mode, unit.file]
            xr = tools.run_tool(xcmd, unit.directory, timeout)
            if isinstance(xr, str):
                res.problems.append(xr)
                res.arm_only = interesting
                return res
            xkeys = {self._key(self._absolute(d, unit.directory)) for d in parse_gcc(xr.stderr)}
            res.compared = True
            for d in interesting:
                if self._key(d) in xkeys:
                    if d.kind == "error":
                        res.shared_errors.append(d)
                else:
                    res.arm_only.append(d)
        else:
            res.arm_only = interesting
        res.arm_only = [x for x in (self._attribute(d) for d in res.arm_only) if x is not None]
        return res

    def _canonical(self, path: str) -> str | None:
        """`bits/types.h` for a header of either compiler's system directories, else None."""
        for d in self.system_dirs:
            if path.startswith(d + os.sep):
                return path[len(d) + 1:]
        return None

    def _key(self, d: Diagnostic) -> tuple:
        canonical = self._canonical(d.file)
        if canonical is None:
            return d.key
        return tuple("<system>/" + canonical if x == d.file else x for x in d.key)

    def _attribute(self, d: Diagnostic) -> Diagnostic | None:
        """A diagnostic inside a system header belongs to the project line that includes it."""
        canonical = self._canonical(d.file)
        if canonical is None:
            return d
        for f, line in d.included_from:
            if self._canonical(f) is None:
                return dataclasses.replace(d, file=f, line=line, col=0, message=f"in <{canonical}>: {d.message}",
                                           function=None, notes=[])
        return None

    def _absolute(self, d: Diagnostic, directory: str) -> Diagnostic:
        if not os.path.isabs(d.file):
            d.file = os.path.normpath(os.path.join(directory, d.file))
        d.included_from = [(f if os.path.isabs(f) else os.path.normpath(os.path.join(directory, f)), n) for f, n in d.included_from]
        return d

    def _assemble(self, asm_out: str, unit: Unit, index: int) -> list[Diagnostic]:
        try:
            with open(asm_out, encoding="utf-8", errors="replace") as fh:
                text = fh.read()
        except OSError:
            return []
        if "#APP" not in text:  # no inline assembly: compiler output always assembles
            return []
        obj = os.path.join(self.scratch, f"u{index}.o")
        r = tools.run_tool([tools.ASSEMBLER, "-o", obj, asm_out], self.scratch, self.options.timeout)
        if os.path.exists(obj):
            os.unlink(obj)
        if isinstance(r, str) or r.returncode == 0 and not r.stderr:
            return []
        return [self._absolute(d, unit.directory) for d in parse_assembler(r.stderr, text)]

    def _resolve_stubs(self, diags: list[Diagnostic]) -> list[Diagnostic]:
        """A stub's marker warning becomes the error the real compiler gives at the include."""
        out = []
        prefix = self.stubs + os.sep
        for d in diags:
            if d.file.startswith(prefix):
                if d.option == "-Wcpp" and _STUB_MARK in d.message and d.included_from:
                    header = d.file[len(prefix):]
                    where, line = d.included_from[0]
                    out.append(Diagnostic(where, line, 0, "error", f"{header}: No such file or directory", fatal=True))
                continue
            out.append(d)
        return out


_LINEMARKER = re.compile(r'^# \d+ "[^"]*"((?: \d)*)$')


def _has_codegen_markers(preprocessed: str) -> bool:
    """Inline asm or target_clones in the project's own code of a preprocessed unit (system
    headers, flagged 3 in the line markers, only have asm labels such as `__asm__("__isoc99_scanf")`)."""
    in_system = False
    for line in preprocessed.splitlines():
        if line.startswith("#"):
            m = _LINEMARKER.match(line)
            if m:
                in_system = " 3" in m.group(1)
            continue
        if not in_system and CODEGEN_MARKERS.search(line):
            return True
    return False


def system_dirs(cross: dict, native: dict) -> tuple[str, ...]:
    """The system include directories of every compiler in use, longest first."""
    lang = {"c": "c", "cpp": "c++", "fortran": "f95"}
    dirs = set()
    for compilers in (cross, native):
        for language, cc in compilers.items():
            dirs.update(tools.search_dirs(cc, lang[language]))
            if language == "fortran":  # gfortran does not list them; its C preprocessor's are the C ones
                dirs.update(tools.search_dirs(cc.replace("gfortran", "gcc"), "c"))
    return tuple(sorted(dirs, key=len, reverse=True))


def _first_lines(text: str, n: int = 2) -> str:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return "; ".join(lines[:n])


def _default_system_dirs() -> tuple[str, ...]:
    cross = {lang: cc for lang, cc in tools.CROSS.items() if lang != "fortran" and tools.which(cc)}
    native = {lang: cc for lang, cc in tools.NATIVE.items() if lang != "fortran" and tools.which(cc)}
    return system_dirs(cross, native)


_LAYOUT_PAIRS: dict[int, dict[str, str]] = {}


#: directories of other architectures, which an AArch64 build skips when an Arm one sits beside them
_OTHER_ARCH_DIRS = frozenset({
    "riscv", "riscv64", "power", "powerpc", "ppc", "ppc64", "s390", "s390x", "mips", "mips64", "loongarch",
    "loongarch64", "sparc", "sparc64", "ia64", "alpha", "e2k",
})


def _other_arch_directories(base: str, rels: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for rel in rels:
        parts = rel.split("/")[:-1]
        for i, part in enumerate(parts):
            if part.lower() in _OTHER_ARCH_DIRS:
                prefix = "/".join(parts[: i + 1]) + "/"
                if prefix not in found:
                    parent = "/".join(parts[:i])
                    try:
                        names = os.listdir(os.path.join(base, parent))
                    except OSError:
                        names = []
                    arm = next((n for n in sorted(names) if n.lower() in ARM_DIRS), None)
                    if arm is not None:
                        found[prefix] = f"{parent}/{arm}/" if parent else f"{arm}/"
                break
    return found


def _skip_x86_directories(us: UnitSet, root: Path) -> dict[str, int]:
    """Drop units under an x86 (or other non-Arm) architecture directory with an Arm sibling
    (arch/x86/ beside arch/arm/): the AArch64 build compiles the Arm directory instead, as
    `archport scan` assumes too."""
    if not root.is_dir():
        return {}
    base = os.path.abspath(root)
    rels = {id(u): os.path.relpath(u.file, base).replace(os.sep, "/") for u in us.units}
    inside = [r for r in rels.values() if not r.startswith("..")]
    pairs = {**x86_only_directories(Path(base), inside), **_other_arch_directories(base, inside)}
    if not pairs:
        return {}
    _LAYOUT_PAIRS[id(us)] = pairs
    skipped: dict[str, int] = {}
    keep = []
    for u in us.units:
        prefix = next((p for p in pairs if rels[id(u)].startswith(p)), None)
        if prefix is None:
            keep.append(u)
        else:
            skipped[prefix] = skipped.get(prefix, 0) + 1
    us.units = keep
    return skipped


def _unit_set(root: Path, options: CompileOptions) -> UnitSet:
    if options.compile_commands:
        ccj = Path(options.compile_commands)
        if not ccj.is_file():
            raise VerifyInputError(f"no such file: {options.compile_commands}")
    else:
        ccj = find_compile_commands(root)
    if ccj is not None:
        try:
            us = units_from_compile_commands(ccj, list(options.extra_flags))
        except CompileCommandsError as exc:
            raise VerifyInputError(str(exc)) from None
        if root.is_dir():
            root_abs = os.path.abspath(root)
            inside = [u for u in us.units if u.file.startswith(root_abs + os.sep)]
            us.units = inside or us.units
        else:
            us.units = [u for u in us.units if os.path.samefile(u.file, root)] if root.exists() else []
        us.notes.append(f"using {ccj} ({len(us.units)} translation unit{'s' if len(us.units) != 1 else ''})")
        return us
    if root.is_file():
        parent = root.resolve().parent
        us = default_units(parent, walk(parent, options.excludes) + [str(root.resolve())], list(options.extra_flags),
                           _default_system_dirs())
        us.units = [u for u in us.units if u.file == str(root.resolve())][:1]
        return us
    return default_units(root, walk(root.resolve(), options.excludes), list(options.extra_flags), _default_system_dirs())


def run_compile_check(path: str, options: CompileOptions = CompileOptions()) -> tuple[Report, list[str]]:
    """The Report of the compile check of `path`, and notes for the user (flags dropped, mode)."""
    started = time.perf_counter()
    root = Path(path)
    if not root.exists():
        raise VerifyInputError(f"no such file or directory: {path}")
    us = _unit_set(root, options)
    layout_skipped = _skip_x86_directories(us, root) if options.respect_layout else {}
    languages = sorted({u.language for u in us.units})
    tools.require([tools.CROSS[lang] for lang in languages] + ([] if options.mode == "syntax" else [tools.ASSEMBLER]), "`archport verify compile`")
    cross = {lang: tools.CROSS[lang] for lang in languages}
    native = {lang: tools.NATIVE[lang] for lang in languages if tools.host_is_x86_64() and tools.which(tools.NATIVE[lang])}
    errors: list[ScanError] = []
    for lang in languages:
        if lang not in native:
            errors.append(ScanError(".", "config", (
                f"no x86-64 {tools.NATIVE[lang]} on this machine: {lang} diagnostics are not compared with x86-64, "
                f"so errors that x86-64 has too are reported (install with: {tools.install_line([tools.NATIVE[lang]])})")))
    jobs = options.jobs or min(os.cpu_count() or 1, 8)
    notes = list(us.notes)
    us.dropped_arm = filter_rejected(us.units, cross, "arm_flags", jobs)
    us.dropped_x86 = filter_rejected(us.units, native, "x86_flags", jobs)
    if us.dropped_arm:
        notes.append("dropped for the AArch64 compile (the cross compiler rejects them): " + " ".join(sorted(us.dropped_arm)))
    if us.dropped_x86:
        notes.append("dropped for the x86-64 reference compile (the host compiler rejects them): " + " ".join(sorted(us.dropped_x86)))
    if layout_skipped:
        n = sum(layout_skipped.values())
        notes.append(
            f"skipped {n} unit{'s' if n != 1 else ''} under other architectures' directories that have an Arm sibling "
            f"({', '.join(f'{k} beside {v}' for k, v in sorted(_LAYOUT_PAIRS.get(id(us), {}).items()))}); --no-layout checks them"
        )
    if us.unsafe_dropped:
        notes.append("ignored (outputs, linking, or loading code): " + " ".join(sorted(us.unsafe_dropped)))

    results: list[UnitResult] = []
    with tempfile.TemporaryDirectory(prefix="archport-verify-") as scratch:
        checker = _Checker(us, options, scratch, cross, native)
        indexed = list(enumerate(us.units))
        c_units = [(i, u) for i, u in indexed if u.language != "fortran"]
        f_units = [u for u in us.units if u.language == "fortran"]
        with ThreadPoolExecutor(jobs) as pool:
            results.extend(pool.map(lambda iu: checker.check(*iu), c_units))
            index_of = {id(u): i for i, u in indexed}
            for wave in fortran_waves(f_units):
                results.extend(pool.map(lambda u: checker.check(index_of[id(u)], u), wave))

    _drop_module_consequences(results)
    texts = FileTexts(str(root.resolve()))
    findings = _findings(results, texts)
    for res in results:
        rel = texts.rel(res.unit.file)
        for p in res.problems:
            errors.append(ScanError(rel, "config", p))
        if res.shared_errors:
            d = res.shared_errors[0]
            errors.append(ScanError(rel, "config", (
                f"{len(res.shared_errors)} error(s) occur with the x86-64 compiler too (first: {texts.rel(d.file)}:{d.line}: "
                f"{d.message}); they are not AArch64 problems but an incomplete setup (include paths, defines, "
                "generated headers): give --compile-commands")))
    lines = nbytes = 0
    for u in us.units:
        text = texts.get(u.file)
        if text is not None:
            lines += text.count("\n")
            nbytes += len(text)
    report = Report(
        root=str(path),
        findings=findings,
        errors=errors,
        files_scanned=len(us.units),
        lines_scanned=lines,
        bytes_scanned=nbytes,
        duration_seconds=time.perf_counter() - started,
        rules_run=sorted({f.code for f in findings} | {"AP101", "AP102"}),
        effort_minutes={f.code: rule(f.code).effort_minutes for f in findings},
        settings={
            "command": "verify compile",
            "units_from": us.source,
            "mode": options.mode,
            "units_compiled_to_assembly": sum(1 for r in results if r.codegen),
            "jobs": jobs,
            "compilers": {"aarch64": cross, "x86_64": native},
            "behaviour_warnings": list(BEHAVIOUR_WARNINGS),
            "dropped_flags_aarch64": dict(sorted(us.dropped_arm.items())),
            "dropped_flags_x86_64": dict(sorted(us.dropped_x86.items())),
            "layout_skipped": dict(sorted(layout_skipped.items())),
        },
    )
    return report, notes


_MODULE_MISSING = re.compile(r"^Cannot open module file '([^']+)\.mod'", re.I)
_KIND_UNSUPPORTED = re.compile(r"^Kind \d+ not supported for type", re.I)


def _drop_module_consequences(results: list[UnitResult]) -> None:
    """Fortran: a unit that cannot open a module of a unit that failed on AArch64, and the
    IMPLICIT-type errors after an unsupported kind, only repeat that unit's errors."""
    failed_modules = set()
    for res in results:
        if res.unit.language == "fortran" and any(d.kind == "error" for d in res.arm_only):
            failed_modules |= res.unit.modules[0]
    for res in results:
        if res.unit.language != "fortran":
            continue
        kind_error = any(_KIND_UNSUPPORTED.match(d.message) for d in res.arm_only)
        keep = []
        for d in res.arm_only:
            m = _MODULE_MISSING.match(d.message)
            if m and m.group(1).lower() in failed_modules:
                continue
            if kind_error and "has no IMPLICIT type" in d.message:
                continue
            keep.append(d)
        res.arm_only = keep


def _findings(results: list[UnitResult], texts: FileTexts) -> list[Finding]:
    """One finding per AArch64-only diagnostic, minus the consequences of another one: a generic
    error on a line (or later in a function) that already has a mapped x86 hazard, a parse error
    after an unknown x86 name, and everything after an AArch64-only `#error` in the unit's own
    file (that unit is x86-only by design; those findings stay in the report as suppressed)."""
    seen: set = set()
    out: list[Finding] = []
    for res in results:
        mapped_lines: set = set()
        mapped_functions: set = set()
        first_mapped: dict[str, int] = {}
        stopped_at: Diagnostic | None = None
        kept: list[tuple[Diagnostic, str, dict, bool]] = []
        for d in res.arm_only:
            code, props = classify(d)
            if not code.startswith("AP"):
                mapped_lines.add((d.file, d.line))
                first_mapped[d.file] = min(first_mapped.get(d.file, d.line), d.line)
                if d.function:
                    mapped_functions.add((d.file, d.function))
            elif code == "AP101" and d.kind == "error":
                if (d.file, d.line) in mapped_lines:
                    continue  # a consequence of the hazard already reported on this line
                if d.function and (d.file, d.function) in mapped_functions:
                    continue  # follows an unknown x86 type or name earlier in this function
                if d.message.startswith("expected ") and first_mapped.get(d.file, d.line + 1) <= d.line:
                    continue  # a parse error after an unknown x86 type or name reported above it
            kept.append((d, code, props, stopped_at is not None))
            if stopped_at is None and code == "CC602" and d.message.startswith("#error") and d.file == res.unit.file:
                stopped_at = d
        unit_findings = []
        for d, code, props, after in kept:
            # an inlined asm statement fails once per copy: one finding per statement and mnemonic
            key = (d.file, d.line, d.col, code, d.message.split(" -- ")[0] if d.assembler else d.message)
            if key in seen:
                continue
            seen.add(key)
            unit_findings.append((d, code, props, after))
        n_after = sum(1 for x in unit_findings if x[3])
        for d, code, props, after in unit_findings:
            if d is stopped_at and n_after:
                props = {**props, "diagnostics_after": n_after}
            f = _finding(d, code, props, res, texts)
            if after:
                assert stopped_at is not None
                f = dataclasses.replace(
                    f, suppressed=f"after the AArch64-only #error at {texts.rel(stopped_at.file)}:{stopped_at.line}"
                )
            out.append(f)
    return fingerprinted(out, texts)


def _finding(d: Diagnostic, code: str, props: dict, res: UnitResult, texts: FileTexts) -> Finding:
    compiler = tools.CROSS[res.unit.language] if not d.assembler else tools.ASSEMBLER
    properties = {
        "compiler": compiler,
        "diagnostic": d.kind,
        "compiler_message": d.message,
        "translation_unit": texts.rel(res.unit.file),
        "compared_with_x86_64": res.compared,
        **props,
    }
    if d.option:
        properties["option"] = d.option
    token = props.get("identifier") or props.get("header") or ""
    file, line, col = d.file, d.line, d.col
    site = d.use_site()
    if site is not None:  # report where the macro is used, not inside its definition
        properties["macro_definition"] = f"{texts.rel(d.file)}:{d.line}"
        file, line, col = site
    if "header" in props and d.fatal:
        message = (
            f"{props['header']}: No such file or directory — the AArch64 compiler stops here "
            "(archport went on with an empty stand-in to find the errors behind it)"
        )
    elif d.assembler:
        message = f"the AArch64 assembler rejects this inline assembly: {d.message}"
    elif code == "AP102":
        message = f"only on AArch64: {d.message} [{d.option}]"
    elif d.kind == "warning" and d.option == "-Wimplicit-function-declaration":
        message = f"only on AArch64: {d.message} (GCC 14 rejects it; the link fails unless AArch64 defines it)"
    else:
        message = f"AArch64 compile error: {d.message}"
    help = _AP102_HELP.get(d.option, "") if code == "AP102" else _HELP.get(code, "")
    if not help:
        help = _HELP["AP101"] if code != "AP102" else "a warning the x86-64 compiler does not give: check the AArch64 behaviour it points at"
    if props.get("diagnostics_after"):
        message += f" ({props['diagnostics_after']} later AArch64 findings of this unit are listed as suppressed)"
    return make_finding(texts, code, file, line, col, message, help, properties, token=token)
