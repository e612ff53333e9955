"""`archport verify run`: build a program for x86-64 and for AArch64, run both (AArch64 under
qemu-user) with the same arguments and input, and report every difference of exit status,
stdout and stderr as an AP103 finding.

The builds and runs happen in one scratch directory that is removed at the end; a `--build`
command runs in a copy of the project, never in the project itself. Both runs use the same
absolute working directory and the same argv[0], so paths in the output do not differ."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from archport.discovery import ALWAYS_SKIPPED_DIRS
from archport.model import Finding, ScanError
from archport.report.model import Report
from archport.verify import tools
from archport.verify.compare import first_difference
from archport.verify.findings import FileTexts, fingerprinted, make_finding, rule
from archport.verify.sandbox import Outcome, describe_status, run_limited
from archport.verify.units import language_of

#: `--target` presets: (qemu CPU, page size)
TARGETS = {
    "graviton2": ("neoverse-n1", None),
    "altra": ("neoverse-n1", None),
    "rpi4": ("cortex-a72", None),
    "a64fx": ("a64fx", None),
    "64k": (None, 65536),
}
QEMU_MEMORY_OVERHEAD = 384 << 20  # qemu's own code buffer and heap, added to the --memory limit
_QEMU_SIGNAL_LINE = re.compile(r"^qemu: uncaught target signal \d+ \([^)]*\) - (?:core dumped|exiting)\n?", re.M)
_SHOWN = 600  # characters of each output quoted in a message


class RunError(Exception):
    """verify run cannot go on (bad usage, build failure, missing program): exit 2."""


@dataclass
class RunOptions:
    sources: tuple[str, ...] = ()
    build: str | None = None
    project: str = "."
    cflags: tuple[str, ...] = ()
    ldflags: tuple[str, ...] = ()
    opt: str = "-O2"
    timeout: float = 10.0
    build_timeout: float = 600.0
    memory_mb: int = 1024
    float_tolerance: float | None = None
    page_size: int | None = None
    cpu: str | None = None
    stdin: str | None = None
    inputs: tuple[str, ...] = ()
    static: bool = True


@dataclass
class Side:
    name: str  # "x86_64" | "aarch64"
    outcome: Outcome | None = None
    command: list[str] = field(default_factory=list)


def qemu_cpus() -> set[str]:
    """The CPU models `qemu-aarch64 -cpu help` lists (empty when it cannot be asked)."""
    r = tools.run_tool([tools.QEMU, "-cpu", "help"], os.getcwd(), 30)
    if isinstance(r, str):
        return set()
    return {ln.split()[0] for ln in r.stdout.splitlines()[1:] if ln.strip()}


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QEMU_")}
    env["LC_ALL"] = env.get("LC_ALL") or "C"
    return env


def _compilers(languages: set[str]) -> tuple[dict, dict]:
    need = [tools.CROSS[lang] for lang in sorted(languages)] + [tools.NATIVE[lang] for lang in sorted(languages)] + [tools.QEMU]
    tools.require(need, "`archport verify run`")
    if not tools.host_is_x86_64():
        raise tools.ToolMissing("`archport verify run` needs an x86-64 machine (the reference build runs natively)")
    if not tools.sysroot_ok():
        raise tools.ToolMissing(
            f"`archport verify run` needs the AArch64 C library in {tools.SYSROOT}; install with: "
            f"{tools.install_line(['sysroot'])}"
        )
    return ({lang: tools.NATIVE[lang] for lang in languages}, {lang: tools.CROSS[lang] for lang in languages})


def _build_sources(sources: list[str], compilers: dict, out_dir: str, exe: str, options: RunOptions) -> str | None:
    """Compile each source with its language's compiler into `out_dir`, then link `exe`; None, or
    the error text. The compilers run in the current directory, so relative -I paths work."""
    os.makedirs(out_dir, exist_ok=True)
    objs = []
    for i, src in enumerate(sources):
        lang = language_of(src)
        obj = os.path.join(out_dir, f"{i}-{os.path.basename(src)}.o")
        cmd = [compilers[lang], options.opt, *options.cflags, "-c", src, "-o", obj]
        if lang == "fortran":
            cmd += ["-J", out_dir]
        r = tools.run_tool(cmd, os.getcwd(), options.build_timeout)
        if isinstance(r, str):
            return r
        if r.returncode != 0:
            return f"{compilers[lang]} {os.path.basename(src)}: {_tail(r.stderr)}"
        objs.append(obj)
    languages = {language_of(s) for s in sources}
    driver = compilers["fortran" if "fortran" in languages else "cpp" if "cpp" in languages else "c"]
    link = [driver, options.opt, *options.cflags, *objs, "-o", exe, *options.ldflags, "-lm"]
    r = tools.run_tool(link, os.getcwd(), options.build_timeout)
    if isinstance(r, str):
        return r
    if r.returncode != 0:
        return f"link: {_tail(r.stderr)}"
    return None


def _tail(text: str, n: int = 6) -> str:
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    errors = [ln for ln in lines if re.search(r"error|undefined reference|multiple definition", ln, re.I)] or lines
    return " | ".join(errors[:n]) or "(no output)"


def _copy_tree(src: str, dst: str) -> None:
    """Copy the project for a build; symbolic links that lead back into the original project
    (absolute ones, or relative ones climbing out of the copy) are re-pointed into the copy,
    so the build cannot write through them into the project."""
    shutil.copytree(src, dst, symlinks=True, ignore=shutil.ignore_patterns(*ALWAYS_SKIPPED_DIRS))
    real_src = os.path.realpath(src)
    for dirpath, dirnames, filenames in os.walk(dst):
        for name in dirnames + filenames:
            link = os.path.join(dirpath, name)
            if not os.path.islink(link):
                continue
            target = os.readlink(link)
            resolved = os.path.realpath(os.path.join(os.path.dirname(link), target))
            if resolved == real_src or resolved.startswith(real_src + os.sep):
                os.unlink(link)
                os.symlink(os.path.join(dst, os.path.relpath(resolved, real_src)), link)


def _cross_build_env(native: bool) -> dict[str, str]:
    env = _env()
    if native:
        env.update(CC="gcc", CXX="g++", FC="gfortran", F77="gfortran")
        for k in tools.CROSS_BINUTILS:
            env.pop(k, None)
    else:
        env.update(CC=tools.CROSS["c"], CXX=tools.CROSS["cpp"], FC=tools.CROSS["fortran"], F77=tools.CROSS["fortran"])
        env.update(tools.CROSS_BINUTILS)
        env["CROSS_COMPILE"] = "aarch64-linux-gnu-"
    return env


def _main_location(sources: list[str]) -> tuple[str, int]:
    """The source and line of `main` (or a Fortran `program`), for the finding's location."""
    pat = re.compile(r"^\s*(?:int|void|auto)?\s*\bmain\s*\(|^\s*program\s+\w+", re.M | re.I)
    for src in sources:
        try:
            text = Path(src).read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        m = pat.search(text)
        if m:
            return src, text.count("\n", 0, m.start() + len(m.group(0)) - len(m.group(0).lstrip())) + 1
    return (sources[0], 1) if sources else ("", 1)


def _static_findings(paths: list[str], project: str | None, root: str) -> list[dict]:
    """Findings of `archport scan` in the program's sources (or the whole project with
    --build), as code, path (relative to the report root), line and rule name."""
    import archport

    out: list[dict] = []
    targets = [project] if project else paths
    for t in targets:
        try:
            report = archport.scan(t, jobs=2 if project else 1)
        except Exception:  # the static scan is an extra; it must not stop the comparison
            continue
        base = t if os.path.isdir(t) else os.path.dirname(t)
        for f in report.active:
            if f.code.startswith("AP"):
                continue
            out.append({"code": f.code, "path": os.path.relpath(os.path.join(base, f.path), root), "line": f.line, "name": f.name})
    out.sort(key=lambda d: (d["path"], d["line"], d["code"]))
    return out[:200]


def _quote(text: str) -> str:
    if not text:
        return "(nothing)"
    return "`" + (text if len(text) <= _SHOWN else text[:_SHOWN] + "…") + "`"


def run_differential(program: list[str], options: RunOptions) -> tuple[Report, list[str]]:
    started = time.perf_counter()
    notes: list[str] = []
    if bool(options.sources) == bool(options.build):
        raise RunError("give the program's sources with --src FILE (repeatable) or a build command with --build CMD")
    if options.build and not program:
        raise RunError("name the program the build produces after `--`, e.g. `-- build/prog ARGS`")
    if options.build and (os.path.isabs(program[0]) or os.path.normpath(program[0]).startswith("..")):
        raise RunError(f"with --build, the program must be a path inside the project, got {program[0]}")
    cpu, page = options.cpu, options.page_size
    sources = [os.path.abspath(s) for s in options.sources]
    for s in sources:
        if not os.path.isfile(s):
            raise RunError(f"no such source file: {s}")
        if language_of(s) is None:
            raise RunError(f"not a C, C++ or Fortran source: {s}")
    project = os.path.abspath(options.project)
    if options.build and not os.path.isdir(project):
        raise RunError(f"no such project directory: {options.project}")
    for f in [*(options.inputs), *([options.stdin] if options.stdin else [])]:
        if not os.path.isfile(f):
            raise RunError(f"no such file: {f}")
    languages = {language_of(s) for s in sources} if sources else {"c", "cpp"}
    if options.build:
        languages = {lang for lang in ("c", "cpp") if tools.which(tools.CROSS[lang])} or {"c"}
    native, cross = _compilers(languages)
    if cpu:
        known = qemu_cpus()
        if known and cpu not in known:
            raise RunError(f"qemu-aarch64 has no CPU model `{cpu}` (it has: {', '.join(sorted(known))})")

    exe_name = os.path.basename(program[0]) if program else "a.out"
    args = list(program[1:])
    memory = options.memory_mb << 20 if options.memory_mb else None
    sides = [Side("x86_64"), Side("aarch64")]
    stdin_path = os.path.abspath(options.stdin) if options.stdin else None
    with tempfile.TemporaryDirectory(prefix="archport-verify-run-") as scratch:
        work = os.path.join(scratch, "work")  # the same absolute path for both runs
        capture = os.path.join(scratch, "capture")
        os.makedirs(capture)
        for side in sides:
            is_arm = side.name == "aarch64"
            if os.path.exists(work):
                shutil.rmtree(work)
            if options.build:
                _copy_tree(project, work)
                b = run_limited([options.build], cwd=work, capture_dir=capture, timeout=options.build_timeout,
                                memory_bytes=None, env=_cross_build_env(native=not is_arm), shell=True)
                if b.timed_out or b.returncode != 0:
                    what = f"timed out after {options.build_timeout:g} s" if b.timed_out else describe_status(b.returncode)
                    hint = " (run `archport verify compile` to see the AArch64 compile errors)" if is_arm else ""
                    raise RunError(f"the {side.name} build failed ({what}): {_tail(b.stderr + b.stdout)}{hint}")
                exe = os.path.join(work, program[0])
                if not os.path.isfile(exe):
                    raise RunError(f"the {side.name} build did not produce {program[0]}")
                run_dir, argv0 = work, os.path.join(".", program[0]) if not os.path.isabs(program[0]) else exe
            else:
                os.makedirs(work)
                build_dir = os.path.join(scratch, "build-" + side.name)
                exe = os.path.join(work, exe_name)
                err = _build_sources(sources, cross if is_arm else native, build_dir, exe, options)
                shutil.rmtree(build_dir, ignore_errors=True)
                if err:
                    hint = " (run `archport verify compile` on the sources to see why)" if is_arm else ""
                    raise RunError(f"the {side.name} build failed: {err}{hint}")
                run_dir, argv0 = work, "./" + exe_name
            for f in options.inputs:
                shutil.copy(f, os.path.join(run_dir, os.path.basename(f)))
            if is_arm:
                cmd = [tools.QEMU, "-L", tools.SYSROOT]
                if page:
                    cmd += ["-p", str(page)]
                if cpu:
                    cmd += ["-cpu", cpu]
                cmd += [argv0, *args]
                limit = memory + QEMU_MEMORY_OVERHEAD if memory else None
            else:
                cmd, limit = [argv0, *args], memory
            side.command = cmd
            side.outcome = run_limited(cmd, cwd=run_dir, capture_dir=capture, timeout=options.timeout,
                                       memory_bytes=limit, env=_env(), stdin_path=stdin_path)
        if os.path.exists(work):
            shutil.rmtree(work)

    x86, arm = sides[0].outcome, sides[1].outcome
    assert x86 is not None and arm is not None
    arm_stderr = _QEMU_SIGNAL_LINE.sub("", arm.stderr)
    if x86.timed_out and arm.timed_out:
        raise RunError(f"both runs timed out after {options.timeout:g} s; nothing to compare (raise --timeout)")

    root = project if options.build else (os.path.dirname(sources[0]) if len(sources) == 1 else os.path.commonpath(sources))
    texts = FileTexts(root)
    if options.build:
        where, line = os.path.join(project, program[0]), 1
    else:
        where, line = _main_location(sources)
    static = _static_findings(sources, project if options.build else None, root) if options.static else []
    base_props = {
        "command": [exe_name if not options.build else program[0], *args],
        "x86_64": {"command": sides[0].command, "status": x86.status(options.timeout), "seconds": round(x86.seconds, 3),
                   "stdout_head": x86.stdout[:_SHOWN], "stderr_head": x86.stderr[:_SHOWN]},
        "aarch64": {"command": sides[1].command, "status": arm.status(options.timeout), "seconds": round(arm.seconds, 3),
                    "stdout_head": arm.stdout[:_SHOWN], "stderr_head": arm_stderr[:_SHOWN]},
        "page_size": page,
        "cpu": cpu,
        "float_tolerance": options.float_tolerance,
        "static_findings": static,
    }
    static_note = ""
    if static:
        codes = sorted({s["code"] for s in static})
        static_note = f"; archport scan has {len(static)} finding(s) in these sources ({', '.join(codes)}), listed in properties.static_findings"
    findings: list[Finding] = []
    if x86.timed_out != arm.timed_out or (not x86.timed_out and x86.returncode != arm.returncode):
        msg = f"exit status differs: x86-64 {x86.status(options.timeout)}, AArch64 {arm.status(options.timeout)}"
        findings.append(make_finding(texts, "AP103", where, line, 0, msg, _help(x86, arm, "status") + static_note,
                                     {**base_props, "stream": "status"}))
    for stream, a, b in (("stdout", x86.stdout, arm.stdout), ("stderr", x86.stderr, arm_stderr)):
        diff = first_difference(a, b, options.float_tolerance)
        if diff is None:
            continue
        msg = (f"{stream} differs at line {diff.line} ({diff.reason}): x86-64 {_quote(diff.x86)}, "
               f"AArch64 {_quote(diff.arm)}")
        props = {**base_props, "stream": stream, "first_difference": {"line": diff.line, "x86_64": diff.x86, "aarch64": diff.arm},
                 "x86_64_output": _quote_long(a), "aarch64_output": _quote_long(b)}
        findings.append(make_finding(texts, "AP103", where, line, 0, msg, _help(x86, arm, stream) + static_note, props))
    errors = []
    for side in sides:
        o = side.outcome
        if o and (o.stdout_truncated or o.stderr_truncated):
            errors.append(ScanError(side.name, "config", "output over 1 MiB: only the first 1 MiB of each stream was compared"))
    lines = sum((texts.get(s) or "").count("\n") for s in sources)
    report = Report(
        root=root,
        findings=fingerprinted(findings, texts),
        errors=errors,
        files_scanned=len(sources),
        lines_scanned=lines,
        duration_seconds=time.perf_counter() - started,
        rules_run=["AP103"],
        effort_minutes={"AP103": rule("AP103").effort_minutes},
        settings={"command": "verify run", **{k: v for k, v in base_props.items() if k != "static_findings"},
                  "build": options.build, "sources": [texts.rel(s) for s in sources], "timeout": options.timeout,
                  "memory_mb": options.memory_mb, "identical": not findings},
    )
    if not findings:
        notes.append(f"identical: {x86.status(options.timeout)}, same stdout and stderr "
                     f"(x86-64 {x86.seconds:.2f} s, AArch64 under qemu {arm.seconds:.2f} s)")
    return report, notes


def _quote_long(text: str, limit: int = 4000) -> str:
    return text if len(text) <= limit else text[:limit] + f"… ({len(text) - limit} more characters)"


def _help(x86: Outcome, arm: Outcome, stream: str) -> str:
    if stream == "status" and x86.returncode == -8 and arm.returncode is not None and arm.returncode >= 0:
        return ("x86-64 traps (SIGFPE) on integer division by zero or INT_MIN / -1; AArch64 SDIV/UDIV return 0 "
                "(or INT_MIN) without a signal: check divisors explicitly")
    if stream == "status" and (x86.timed_out or arm.timed_out):
        return "one build loops or waits where the other does not: look for plain-char loops and memory-ordering assumptions"
    return ("look for the usual AArch64 differences: plain char is unsigned (use signed char), float-to-int "
            "conversion saturates and NaN gives 0, long double is 128-bit, a*b+c is fused at -O2 "
            "(-ffp-contract=off to match x86-64), division by zero does not trap")
