"""Where a compiler or linker flag in a build file takes effect: shared by the BD4xx/BD5xx flag
rules.

A flag is *not* reported when an AArch64 build never passes it to the compiler:
- it sits in an x86-only branch (see _conditions), an x86 Make target (`all32:`), a function or
  macro named after x86 (`macro(check_avx2_intrinsics)`), or an x86-specific file (`arch/x86/…`);
- it is stored in a variable or given to a target/source named after the x86 feature
  (`set(AVX2FLAG "-mavx2")`, `foo_avx2.o: CFLAGS += -mavx2`,
  `set_source_files_properties(x86/crc_pclmul.c PROPERTIES COMPILE_FLAGS -mpclmul)`);
- it is only a probe (`check_c_compiler_flag(-mavx2 …)`, `cc.has_argument('-mavx2')`,
  `AX_CHECK_COMPILE_FLAG([-mavx2], …)`, `CMAKE_REQUIRED_FLAGS`): on AArch64 the probe fails and
  the flag is left out;
- the same command line names a non-AArch64 compiler (`CC=powerpc-linux-gnu-gcc CFLAGS=-m32`).

An x86-named project option that defaults ON on every architecture (`option(WITH_AVX2 … ON)`
then `if(WITH_AVX2)`) does not make its branch x86-only: the AArch64 build takes it.
"""

from __future__ import annotations

import bisect
import re

from archport.rules.build import _conditions as cond

_PROBE_CALLS = frozenset(
    name.lower()
    for name in (
        # CMake
        "check_c_compiler_flag", "check_cxx_compiler_flag", "check_compiler_flag", "check_fortran_compiler_flag",
        "check_c_source_compiles", "check_cxx_source_compiles", "check_source_compiles", "check_c_source_runs",
        "check_cxx_source_runs", "check_source_runs", "try_compile", "try_run", "check_linker_flag",
        "check_symbol_exists", "check_cxx_symbol_exists", "check_prototype_definition", "check_include_file",
        "cmake_push_check_state",
        # Meson
        "has_argument", "has_multi_arguments", "get_supported_arguments", "first_supported_argument",
        "has_link_argument", "has_multi_link_arguments", "get_supported_link_arguments",
        "first_supported_link_argument", "compiles", "links", "run", "has_header", "check_header",
        "has_function", "has_header_symbol",
        # autoconf
        "AX_CHECK_COMPILE_FLAG", "AX_APPEND_COMPILE_FLAGS", "AX_CHECK_LINK_FLAG", "AX_APPEND_LINK_FLAGS",
        "AX_CHECK_CFLAGS", "AX_CFLAGS_GCC_OPTION", "AC_COMPILE_IFELSE", "AC_LINK_IFELSE", "AC_RUN_IFELSE",
        "AC_TRY_COMPILE", "AC_TRY_LINK", "AC_TRY_RUN", "AC_CACHE_CHECK", "AC_CACHE_VAL", "CC_CHECK_CFLAGS",
        "CC_CHECK_CFLAG_APPEND", "CC_CHECK_LDFLAGS", "AX_GCC_ARCHFLAG", "AX_EXT", "JE_CFLAGS_ADD", "JE_CFLAGS_SAVE",
    )
)
_PROBE_VARS = re.compile(r"^CMAKE_REQUIRED_\w+$|^(?:ac_save|save|saved|old|SAVE|OLD)_?\w*$|_save$|^conftest", re.I)
_CMAKE_ASSIGN_CALLS = {"set": 0, "string": 1, "list": 1, "set_property": -1}
_PER_TARGET_CALLS = frozenset(
    ("set_source_files_properties", "set_property", "target_compile_options", "target_link_options",
     "target_link_libraries", "target_compile_definitions", "add_library", "add_executable", "set_target_properties",
     "ac_arg_with", "ac_arg_enable", "AC_ARG_WITH", "AC_ARG_ENABLE")
)
_ASSIGN = re.compile(r"^[ \t]*(?:export[ \t]+|override[ \t]+|local[ \t]+|declare[ \t]+(?:-\w+[ \t]+)*)?([A-Za-z_][\w.]*)[ \t]*(?:\+|:|\?|::|!)?=")
_TARGET_VAR = re.compile(r"^[^\t#\n:=]+:[ \t]*(?:export[ \t]+|override[ \t]+)?([A-Za-z_][\w.]*)[ \t]*(?:\+|:|\?)?=")
_CROSS_CC = re.compile(
    r"(?:[\w.+-]+-(?:gcc|g\+\+|clang\+*|cc|c\+\+)(?:-[\d.]+)?\b|--?target[= ]\S+|--host[= ]\S+)"
)
_KEY_BEFORE = re.compile(r"(\w+)\s*[:+]?=?\s*$")
_BAZEL_NAME = re.compile(r"\bname\s*=\s*[\"']([^\"'\n]+)[\"']")
_SHELL_PROBE = re.compile(r"(?:/dev/null|conftest|\btry\b|\$test\.c|\btest\.c\b|-E\s+-|-fsyntax-only)")
_REACH = 600
_MESSAGE_LINE = re.compile(r"^[ \t]*@?[ \t]*(?:echo|printf|message|\$\((?:info|warning|error))\b")
_CMAKE_OPTION = re.compile(r"^[ \t]*option[ \t]*\([ \t]*(\w+)[ \t]+(?:\"[^\"]*\"|\S+)[ \t]+ON[ \t]*\)", re.M | re.I)
_MAKE_OPTION = re.compile(r"^(\w+)[ \t]*(?:\?|:)?=[ \t]*(?:1|yes|on|true|ON|YES|TRUE)[ \t]*$", re.M)


def options_on(ctx) -> dict[str, int]:
    """x86-named options that default ON and are declared outside any x86-only branch."""
    found = ctx.cache.get("bd_options_on")
    if found is None:
        found = {}
        regex = {"cmake": _CMAKE_OPTION, "make": _MAKE_OPTION}.get(ctx.language)
        if regex is not None:
            for m in regex.finditer(ctx.masked):
                if cond.names_x86(m.group(1)) and cond.x86_only_reason(ctx, m.start()) is None:
                    found[m.group(1)] = m.start()
        ctx.cache["bd_options_on"] = found
    return found


def skip_reason(ctx, start: int) -> str | None:
    """Why the flag at `start` never reaches an AArch64 compile (None: it does)."""
    if cond.path_names_x86(ctx.path):
        return "x86-specific file"
    if ctx.language == "autoconf":
        option = cond.autoconf_option(ctx, start)
        if option and cond.names_x86(option):
            return f"option `--with/--enable-{option}`"
    if ctx.language in ("shell", "autoconf"):
        if any(s <= start < e for s, e in cond.heredocs(ctx)):
            return "here-document"
        if cond.in_case_pattern(ctx, start):
            return "case pattern"
    reason = _branch_reason(ctx, start)
    if reason:
        return reason
    text = ctx.masked
    line_start, line_end = cond.logical_line(ctx, start)
    # long (minified or generated) lines: look at most _REACH characters around the flag
    if start - line_start > _REACH:
        line_start = text.rfind(" ", start - _REACH, start) + 1 or start - _REACH
        clipped = True
    else:
        clipped = False
    line = text[line_start : min(line_end, start + _REACH)]
    if not clipped and _MESSAGE_LINE.match(line) or re.search(r"\b(?:echo|printf)\b[^;|&]*$", text[line_start:start]):
        return "message text"
    for m in _CROSS_CC.finditer(line):
        if (cond.names_x86(m.group()) or cond.names_other_platform(m.group())) and "aarch64" not in m.group():
            return f"non-AArch64 compiler `{m.group()}`"
    if ctx.language in ("make", "shell", "autoconf"):
        m = None if clipped else _ASSIGN.match(line) or _TARGET_VAR.match(line)
        if m and (cond.names_x86(m.group(1)) or _PROBE_VARS.search(m.group(1))):
            return f"variable `{m.group(1)}`"
        if ctx.language in ("shell", "autoconf") and _SHELL_PROBE.search(line) and re.search(r"\$\{?CC\b|\$\{?CXX\b", line):
            return "compiler probe"
    calls = cond.enclosing_calls(ctx, start)
    for name, open_, end in calls:
        low = name.lower()
        if low.rsplit(".", 1)[-1] in _PROBE_CALLS or name in _PROBE_CALLS:
            return f"probe `{name}`"
        if low in ("message", "info", "warning", "error", "print", "echo", "assert", "summary", "ac_msg_notice",
                   "ac_msg_warn", "ac_msg_result", "ac_msg_checking", "ac_msg_error", "as_echo", "add_feature_info"):
            return "message text"
        args = text[open_ + 1 : start]
        if low in _CMAKE_ASSIGN_CALLS:
            words = args.split()
            index = _CMAKE_ASSIGN_CALLS[low]
            var = words[index] if 0 <= index < len(words) else ""
            if var and (cond.names_x86(var) or _PROBE_VARS.search(var)):
                return f"variable `{var}`"
            if low == "set_property" and cond.names_x86(args):
                return "x86 sources"
        if low in _PER_TARGET_CALLS and cond.names_x86(args):
            return f"x86 target or sources in `{name}`"
        if ctx.language == "bazel":
            nm = _BAZEL_NAME.search(text, open_, min(end, open_ + 4000))
            if nm and cond.names_x86(nm.group(1)):
                return f"x86 target `{nm.group(1)}`"
    if ctx.language in ("meson", "python", "bazel", "gyp") and calls is not None:
        # `avx2_flags = ['-mavx2']`, `sse_args : [...]`: the outermost bracket's key
        outer = _outermost_bracket(ctx, start)
        if outer >= 0:
            m = _KEY_BEFORE.search(text, max(0, outer - 80), outer)
            if m and cond.names_x86(m.group(1)):
                return f"variable `{m.group(1)}`"
        m = None if clipped else _ASSIGN.match(line)
        if m and cond.names_x86(m.group(1)):
            return f"variable `{m.group(1)}`"
    return None


def _branch_reason(ctx, start: int) -> str | None:
    for b in cond.model(ctx).enclosing(start):
        kind = b.platform()
        if kind not in (cond.X86, cond.NONARM):
            continue
        if kind == cond.X86 and b.kind in ("if", "elif") and _option_on(ctx, b.cond):
            continue  # `if(WITH_AVX2)` with WITH_AVX2 ON everywhere: AArch64 enters it
        what = {"def": "definition", "target": "Make target", "config": "named config"}.get(b.kind, "branch")
        return f"{what} `{' '.join(b.cond.split())[:60] or b.kind}`"
    return None


def _option_on(ctx, text: str) -> str | None:
    options = options_on(ctx)
    if not options:
        return None
    for word in re.findall(r"[A-Za-z_]\w*", text):
        if word in options:
            return word
    return None


def option_note(ctx, start: int) -> str:
    """Why an x86-looking branch still reaches AArch64: an x86 option that defaults ON, or an
    Arm switch the user must pass by hand; '' otherwise."""
    model = cond.model(ctx)
    branches = list(model.enclosing(start))
    for t in [b for b in branches if b.kind == "target"]:
        for use in model.target_uses(t)[:5]:
            branches.extend(model.enclosing(use))
    for b in branches:
        if b.kind in ("if", "elif") and b.platform() == cond.X86:
            word = _option_on(ctx, b.cond)
            if word:
                return f" (it is set under `{' '.join(b.cond.split())[:40]}`, and option {word} defaults ON on every architecture)"
        if b.kind in ("if", "elif"):
            switch = model.arm_user_switch(b.cond)
            if switch:
                return f" (its branch is the default unless `{switch}` is set: a plain `make` on AArch64 takes it)"
    return ""


def _outermost_bracket(ctx, offset: int) -> int:
    pairs = cond._pairs(ctx)
    lo = bisect.bisect_left(pairs, (offset - cond._CALL_REACH, -1))
    for open_, end in pairs[lo:]:
        if open_ >= offset:
            break
        if end > offset and ctx.masked[open_] in "[{":
            return open_
    return -1


#: the build-file kinds whose flags these rules read
FLAG_LANGUAGES = frozenset({"make", "cmake", "meson", "bazel", "autoconf", "shell", "python", "gyp"})
_AUTOCONF_M4 = re.compile(r"\b(?:AC|AM|AS|AX|LT|m4|PKG)_[A-Za-z_]+|^dnl\b", re.M)
_GENERATED = re.compile(r"Generated by GNU Autoconf|has been automatically generated|generated automatically by (?:aclocal|automake|config\.status)|Generated by (?:automake|CMake)", re.I)


def reads(ctx) -> bool:
    """Whether a flag rule reads this file: not generated `configure` scripts / Makefile.in
    (their source, configure.ac / Makefile.am, is read instead), and only setup.py among
    Python files."""
    ok = ctx.cache.get("bd_reads")
    if ok is None:
        name = cond.basename(ctx.path)
        if ctx.language == "python":
            ok = name == "setup.py"
        elif name in ("config.guess", "config.sub"):
            ok = False
        elif name.endswith(".m4"):
            # m4 is also used for assembly templates (OpenSSL's sparc des_enc.m4)
            ok = bool(_AUTOCONF_M4.search(ctx.text))
        else:
            ok = not _GENERATED.search(ctx.text[:4000])
        ctx.cache["bd_reads"] = ok
    return ok
