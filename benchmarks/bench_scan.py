#!/usr/bin/env python3
"""Throughput of `archport scan` on a source tree, next to ripgrep running an equivalent set
of x86 patterns over the same files.

    python benchmarks/bench_scan.py TREE [--jobs 2] [--compare-baseline LINES_PER_S]

archport runs in-process through the Python API with every rule, once with --jobs N and
once with one job. ripgrep (`rg`, Debian package `ripgrep`) gets the same file types, a
regex set covering what the x86 rules look for, `-j N --no-unicode -c`. The baseline is the
single-core throughput of the regex-per-line porting advisors (default: AWS Porting Advisor
on zstd, 38,000 lines/s).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DEFAULT_BASELINE = 38_000.0  # lines/s, AWS Porting Advisor single-core on zstd

# What a grep-based porting scan looks for: the x86 vocabulary of the C/C++/assembly rules.
RG_PATTERNS = [
    # intrinsic calls and vector types (CC401, CC402)
    r"\b_mm(?:256|512)?_\w+\s*\(",
    r"\b_(?:bit_scan_\w+|bswap64?|castf32_u32|castu32_f32|lrotl|lrotr|rotl|rotr|rotwl|rotwr)\b",
    r"\b_(?:bextr|blsi|blsmsk|blsr|bzhi|pdep|pext|tzcnt|lzcnt|popcnt|andn|mulx)_u(?:32|64)\b",
    r"\b_(?:rdrand|rdseed)(?:16|32|64)_step\b",
    r"\b__m(?:64|128|256|512)[dhi]?\b",
    # headers (CC403)
    r'#\s*include\s*[<"](?:[a-z0-9]*mmintrin|x86intrin|ia32intrin|immintrin|cpuid|sys/io|asm/unistd_(?:32|64))\.h[>"]',
    r'#\s*include\s*[<"]\w*intrin\.h[>"]',
    # inline assembly (CC404)
    r"\b(?:__asm__|__asm|asm)\b\s*(?:volatile|__volatile__|goto)?\s*[({]",
    # builtins (CC405), CPU feature detection (CC406), TSC (CC407), pause (CC408)
    r"\b__builtin_ia32_\w+",
    r"\b__builtin_cpu_(?:supports|is|init)\b",
    r"\b(?:__get_cpuid(?:_count|_max)?|__cpuid(?:_count|ex)?|_xgetbv|cpuid)\b",
    r"\b(?:__rdtscp?|_rdtsc|rdtscp?)\b",
    r"\b(?:_mm_pause|__builtin_ia32_pause|pause)\b",
    # target attributes, clones, pragmas, ifunc (CC409)
    r"__attribute__\s*\(\(\s*(?:target|target_clones|ifunc)\s*\(",
    r"#\s*pragma\s+GCC\s+target",
    # FP environment and extended floats (CC201, CC202)
    r"\b(?:_MM_SET_(?:FLUSH_ZERO|DENORMALS_ZERO|ROUNDING)_MODE|_mm_[gs]etcsr|_control87|_controlfp|fldcw|fnstcw)\b",
    r"\b(?:__float128|__float80|_Float128|quadmath\.h)\b",
    # double-width CAS (CC301)
    r"\b(?:__int128|cmpxchg16b|_InterlockedCompareExchange128)\b",
    # platform: syscall numbers, ucontext registers, port I/O (CC501-CC503)
    r"\b(?:SYS_(?:open|stat|lstat|fstat|poll|select|pipe|access|dup2|fork|vfork|creat|unlink|rename|mkdir|rmdir|readlink|chmod|chown|getdents|epoll_create|inotify_init|eventfd|signalfd|time|alarm|pause|getpgrp|utime|futimesat|arch_prctl|iopl|ioperm)|__NR_\w+|AUDIT_ARCH_X86_64)\b",
    r"\b(?:REG_(?:RIP|RSP|RBP|RAX|RBX|RCX|RDX|RSI|RDI|EIP|ESP|EFL|ERR|TRAPNO)|gregs\s*\[)\b",
    r"\b(?:ioperm|iopl|outb|outw|outl|inb|inw|inl)\s*\(",
    # build and guard vocabulary (CC601, CC602)
    r"\b(?:__x86_64__|__i386__|_M_X64|_M_IX86|__SSE\w*__|__AVX\w*__)\b",
]


def _source_globs() -> list[str]:
    from archport.languages import LANGUAGES

    exts = sorted({ext for lang in LANGUAGES.values() for ext in lang.extensions} | {".inc"})
    return [f"*{ext}" for ext in exts]


def _warm_cache(tree: Path) -> int:
    """Reads every candidate file once so that no timed run pays for a cold page cache."""
    from archport.discovery import discover

    total = 0
    for abs_path, _ in discover(tree).files:
        try:
            with open(abs_path, "rb") as fh:
                total += len(fh.read())
        except OSError:
            pass
    return total


def _warm_rules() -> int:
    """Scans every rule's documented example once, untimed, so that one-time costs (grammar
    loading, lazily read rule tables, regex compilation) are not charged to the first run."""
    import archport
    from archport.registry import default_registry

    ext = {"c": ".c", "cpp": ".cpp", "c++": ".cpp", "asm": ".S", "nasm": ".asm", "gas": ".s"}
    rules = list(default_registry())
    with tempfile.TemporaryDirectory() as tmp:
        for rule in rules:
            bad, good = rule.doc_examples()
            suffix = ext.get(rule.example_language(), ".c")
            Path(tmp, f"{rule.code}_bad{suffix}").write_text(bad)
            Path(tmp, f"{rule.code}_good{suffix}").write_text(good)
        archport.scan(tmp, jobs=1)
    return len(rules)


def _maxrss_mb(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024.0  # KiB on Linux


def run_archport(tree: Path, jobs: int):
    import archport

    started = time.perf_counter()
    report = archport.scan(tree, jobs=jobs)
    return time.perf_counter() - started, report


def run_ripgrep(tree: Path, jobs: int, rg: str) -> tuple[float, int, int]:
    """(best wall seconds of 3 runs, matching lines, files with matches)."""
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as fh:
        fh.write("\n".join(RG_PATTERNS) + "\n")
        patterns = fh.name
    cmd = [rg, "-j", str(jobs), "--no-unicode", "-c", "--no-messages", "-f", patterns]
    for glob in _source_globs():
        cmd += ["-g", glob]
    cmd.append(str(tree))
    best = float("inf")
    out = ""
    try:
        for _ in range(3):
            started = time.perf_counter()
            proc = subprocess.run(cmd, capture_output=True, text=True)
            best = min(best, time.perf_counter() - started)
            if proc.returncode not in (0, 1):
                raise SystemExit(f"rg failed ({proc.returncode}): {proc.stderr.strip()}")
            out = proc.stdout
    finally:
        os.unlink(patterns)
    matches = files = 0
    for line in out.splitlines():
        _, _, count = line.rpartition(":")
        if count.isdigit():
            matches += int(count)
            files += 1
    return best, matches, files


def _fmt_rate(value: float) -> str:
    return f"{value:,.0f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("tree", type=Path, help="source tree to scan")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes for the parallel run (default 2)")
    parser.add_argument(
        "--compare-baseline",
        type=float,
        default=DEFAULT_BASELINE,
        metavar="LINES_PER_S",
        help=f"single-core lines/s of the tool to compare with (default {DEFAULT_BASELINE:,.0f}: AWS Porting Advisor on zstd)",
    )
    parser.add_argument("--no-rg", action="store_true", help="skip the ripgrep comparison")
    args = parser.parse_args(argv)

    tree = args.tree
    if not tree.exists():
        print(f"bench_scan: no such file or directory: {tree}", file=sys.stderr)
        return 2

    n_rules = _warm_rules()
    warmed = _warm_cache(tree)

    runs = []
    for jobs in (args.jobs, 1) if args.jobs != 1 else (1,):
        seconds, report = run_archport(tree, jobs)
        runs.append((f"archport -j {jobs}", jobs, seconds, report))
    rss_self = _maxrss_mb(resource.RUSAGE_SELF)
    rss_children = _maxrss_mb(resource.RUSAGE_CHILDREN)

    report = runs[0][3]
    files, lines, nbytes = report.files_scanned, report.lines_scanned, report.bytes_scanned
    mb = nbytes / 1e6
    print(f"tree:     {tree}")
    print(
        f"scanned:  {files:,} files, {lines:,} lines, {mb:.1f} MB "
        f"({warmed / 1e6:.1f} MB in candidate files; {n_rules} rules, "
        f"{len(report.active):,} findings + {len(report.suppressed):,} suppressed, {len(report.errors)} errors)"
    )
    print(f"peak RSS: {rss_self:.0f} MB (this process), {rss_children:.0f} MB (largest worker process)")
    print()

    header = f"{'run':<18} {'wall s':>8} {'files/s':>10} {'lines/s':>12} {'MB/s':>8} {'findings':>9}"
    print(header)
    print("-" * len(header))
    for name, _jobs, seconds, rep in runs:
        print(
            f"{name:<18} {seconds:>8.2f} {_fmt_rate(files / seconds):>10} {_fmt_rate(lines / seconds):>12} "
            f"{mb / seconds:>8.1f} {len(rep.active):>9,}"
        )
    same = all(r[3].to_dict()["findings"] == report.to_dict()["findings"] for r in runs[1:])

    rg = shutil.which("rg")
    rg_seconds = None
    if not args.no_rg and rg:
        rg_seconds, matches, match_files = run_ripgrep(tree, args.jobs, rg)
        print(
            f"{'ripgrep -j ' + str(args.jobs):<18} {rg_seconds:>8.2f} {_fmt_rate(files / rg_seconds):>10} "
            f"{_fmt_rate(lines / rg_seconds):>12} {mb / rg_seconds:>8.1f} {matches:>9,}"
        )
        print(f"  (ripgrep: {len(RG_PATTERNS)} patterns, matching lines counted in {match_files:,} files)")
    elif not args.no_rg:
        print("ripgrep not found (apt-get install ripgrep); skipping the comparison")
    print()

    par_name, _, par_seconds, _ = runs[0]
    one_seconds = runs[-1][2]
    one_rate = lines / one_seconds
    print("ratios")
    if len(runs) > 1:
        print(f"  speed-up -j {args.jobs} over -j 1:           {one_seconds / par_seconds:.2f}x")
        print(f"  same findings with -j {args.jobs} and -j 1:     {'yes' if same else 'NO'}")
    if rg_seconds:
        print(f"  {par_name} time / ripgrep time:  {par_seconds / rg_seconds:.1f}x")
    print(
        f"  archport -j 1 lines/s vs baseline {args.compare_baseline:,.0f} lines/s (single core): "
        f"{one_rate / args.compare_baseline:.2f}x"
    )
    if len(runs) > 1:
        print(
            f"  {par_name} lines/s vs the same baseline:           "
            f"{lines / par_seconds / args.compare_baseline:.2f}x (the bar is 3x)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
