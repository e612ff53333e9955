from __future__ import annotations

import functools
import json
import re
from importlib import resources

from archport.model import Confidence, Impact, Severity
from archport.rule import Rule
from archport.rules.c_cpp._enclosing import enclosing_conditions, guarded

_AT = "with AT_FDCWD as the directory"
#: x86-64-only system call -> what to call on AArch64 (libc wrapper first, then the raw call)
_REPLACEMENT = {
    "open": f"open() from libc, or `SYS_openat` {_AT}",
    "creat": f"creat() from libc, or `SYS_openat` {_AT} and O_CREAT|O_WRONLY|O_TRUNC",
    "fork": "fork() from libc, or `SYS_clone` with SIGCHLD as the flags",
    "vfork": "vfork() or posix_spawn() from libc, or `SYS_clone` with CLONE_VM|CLONE_VFORK|SIGCHLD",
    "stat": f"stat() from libc, or `SYS_newfstatat` {_AT} (or `SYS_statx`)",
    "lstat": f"lstat() from libc, or `SYS_newfstatat` {_AT} and AT_SYMLINK_NOFOLLOW (or `SYS_statx`)",
    "pipe": "pipe() from libc, or `SYS_pipe2` with flags 0",
    "dup2": "dup2() from libc, or `SYS_dup3` (which fails with EINVAL when both descriptors are equal)",
    "access": f"access() from libc, or `SYS_faccessat` {_AT}",
    "chmod": f"chmod() from libc, or `SYS_fchmodat` {_AT}",
    "chown": f"chown() from libc, or `SYS_fchownat` {_AT}",
    "lchown": f"lchown() from libc, or `SYS_fchownat` {_AT} and AT_SYMLINK_NOFOLLOW",
    "mkdir": f"mkdir() from libc, or `SYS_mkdirat` {_AT}",
    "mknod": f"mknod() from libc, or `SYS_mknodat` {_AT}",
    "rmdir": f"rmdir() from libc, or `SYS_unlinkat` {_AT} and AT_REMOVEDIR",
    "unlink": f"unlink() from libc, or `SYS_unlinkat` {_AT} and flags 0",
    "rename": f"rename() from libc, or `SYS_renameat2` {_AT} for both paths",
    "link": f"link() from libc, or `SYS_linkat` {_AT} for both paths",
    "symlink": f"symlink() from libc, or `SYS_symlinkat` {_AT}",
    "readlink": f"readlink() from libc, or `SYS_readlinkat` {_AT}",
    "getdents": "readdir() from libc, or `SYS_getdents64` (struct linux_dirent64)",
    "time": "time() or clock_gettime(CLOCK_REALTIME) from libc (`SYS_clock_gettime`)",
    "utime": f"utime() from libc, or `SYS_utimensat` {_AT}",
    "utimes": f"utimes() from libc, or `SYS_utimensat` {_AT}",
    "futimesat": "`SYS_utimensat` (struct timespec times)",
    "poll": "poll() from libc, or `SYS_ppoll` with a struct timespec timeout",
    "select": "select() from libc, or `SYS_pselect6`",
    "epoll_wait": "epoll_wait() from libc, or `SYS_epoll_pwait` with a NULL signal mask",
    "epoll_create": "epoll_create1(0) (`SYS_epoll_create1`)",
    "inotify_init": "inotify_init1(0) (`SYS_inotify_init1`)",
    "eventfd": "eventfd() from libc, or `SYS_eventfd2` with flags 0",
    "signalfd": "signalfd() from libc, or `SYS_signalfd4` with flags 0",
    "alarm": "alarm() from libc, or `SYS_setitimer` with ITIMER_REAL",
    "pause": "pause() or sigsuspend() from libc",
    "getpgrp": "getpgrp() from libc, or `SYS_getpgid` with 0",
    "ustat": "statfs()/fstatfs() from libc",
    "_sysctl": "read or write the files under /proc/sys",
    "sysfs": "read /proc/filesystems",
    "uselib": "dlopen()",
    "arch_prctl": "nothing: it sets the x86 FS/GS segment bases; AArch64's thread pointer is TPIDR_EL0 "
    "(`__builtin_thread_pointer()`), use compiler TLS (`__thread`/`thread_local`)",
    "modify_ldt": "nothing: AArch64 has no segment descriptor tables",
    "get_thread_area": "`__builtin_thread_pointer()` (TPIDR_EL0) or compiler TLS",
    "set_thread_area": "compiler TLS (`__thread`/`thread_local`); AArch64's thread pointer is TPIDR_EL0",
    "ioperm": "nothing: AArch64 has no I/O port space (use MMIO through a kernel driver, UIO or sysfs)",
    "iopl": "nothing: AArch64 has no I/O port space (use MMIO through a kernel driver, UIO or sysfs)",
}
_UNIMPLEMENTED = frozenset(
    "afs_syscall create_module get_kernel_syms getpmsg putpmsg query_module security tuxcall vserver "
    "epoll_ctl_old epoll_wait_old".split()
)


@functools.lru_cache(maxsize=1)
def syscall_table() -> dict:
    """The generated table (src/archport/rules/_tables/syscalls.json): x86-64 and AArch64
    system-call numbers by name, and the names only x86-64 has."""
    text = resources.files("archport.rules._tables").joinpath("syscalls.json").read_text()
    data = json.loads(text)
    data["x86_64_only_set"] = frozenset(data["x86_64_only"])
    data["aarch64_by_number"] = {v: k for k, v in data["aarch64"].items()}
    data["x86_64_by_number"] = {v: k for k, v in data["x86_64"].items()}
    return data


def replacement(name: str) -> str:
    """What to do on AArch64 instead of the x86-64-only system call `name`, as a help phrase."""
    if name in _UNIMPLEMENTED:
        return "remove the call: x86-64 kernels do not implement it either (ENOSYS)"
    text = _REPLACEMENT.get(name, "the libc wrapper, or the asm-generic system call that replaced it")
    return "drop the call: " + text.removeprefix("nothing: ") if text.startswith("nothing: ") else "use " + text


_OWN_DEFINE = re.compile(
    r"^[ \t]*#[ \t]*define[ \t]+((?:SYS|__NR)_\w+)[ \t]+\(?[ \t]*(0[xX][0-9a-fA-F]+|\d+)[uUlL]*[ \t]*\)?[ \t]*$", re.M
)


class X86SyscallNumber(Rule):
    """System-call names and numbers from the x86-64 table.

    ## What it does
    Checks for `SYS_*` and `__NR_*` names of system calls that the x86-64 kernel has and the
    AArch64 kernel does not (`SYS_open`, `SYS_fork`, `SYS_stat`, `SYS_pipe`, `SYS_dup2`, …; the
    list is generated from both toolchains' headers), `syscall()` with a literal number,
    `#define SYS_x <number>` / `#define __NR_x <number>` that hard-code an x86-64 number,
    `AUDIT_ARCH_X86_64`/`AUDIT_ARCH_I386` in files that never mention `AUDIT_ARCH_AARCH64`, and
    libseccomp's `SCMP_ARCH_X86_64`/`SCMP_ARCH_X86` in files that never mention
    `SCMP_ARCH_AARCH64`. Names tested by `#ifdef`/`#if defined` are not reported, nor code
    guarded by such a test.

    ## Why is this a problem on ARM64?
    AArch64 uses the kernel's generic system-call table, which dropped the calls that an `*at`
    or newer variant replaces (`open` → `openat`, `fork` → `clone`, `stat` → `newfstatat`,
    `pipe` → `pipe2`, …) and numbers every call differently. A missing name does not compile
    ("'SYS_open' undeclared"). A literal number compiles and silently makes another call:
    x86-64's 39 (`getpid`) is `umount2` on AArch64. A seccomp filter that compares
    `seccomp_data.arch` with `AUDIT_ARCH_X86_64` never matches on AArch64.

    ## Example
    ```c
    #include <sys/syscall.h>
    #include <unistd.h>
    #include <fcntl.h>
    long raw_open(const char *p) { return syscall(SYS_open, p, O_RDONLY); }
    long my_pid(void) { return syscall(39); }
    ```

    Use instead:
    ```c
    #include <sys/syscall.h>
    #include <unistd.h>
    #include <fcntl.h>
    long raw_open(const char *p) { return syscall(SYS_openat, AT_FDCWD, p, O_RDONLY); }
    long my_pid(void) { return syscall(SYS_getpid); }
    ```

    ## Limitations
    Numbers are recognised only as the literal first argument of `syscall()` and as the value
    of a `SYS_*`/`__NR_*` `#define`; numbers in BPF filter tables and other macros are not. Assembly that loads a number before `syscall` is
    CC404's. The table is generated from Linux 6.1 UAPI headers (see
    `archport.devtools.gen_syscall_table`).

    ## References
    - Linux generic system-call table: https://github.com/torvalds/linux/blob/master/include/uapi/asm-generic/unistd.h
    - Linux x86-64 system-call table: https://github.com/torvalds/linux/blob/master/arch/x86/entry/syscalls/syscall_64.tbl
    - Seccomp BPF, architecture checks: https://www.kernel.org/doc/html/latest/userspace-api/seccomp_filter.html
    """

    code = "CC501"
    name = "x86-syscall-number"
    summary = "System-call names and numbers from the x86-64 table"
    languages = frozenset({"c", "cpp"})
    severity = Severity.ERROR
    impact = Impact.BUILD_BREAK
    confidence = Confidence.HIGH
    tags = ("syscalls", "linux", "seccomp")
    effort_minutes = 20
    prefilter = (b"SYS_", b"__NR_", b"syscall", b"AUDIT_ARCH_", b"SCMP_ARCH_")
    pattern = (
        r"\b(?P<prefix>SYS|__NR)_(?P<name>\w+)"
        r"|\bsyscall\s*\(\s*(?P<number>0[xX][0-9a-fA-F]+|\d+)\b"
        r"|\b(?P<audit>AUDIT_ARCH_(?:X86_64|I386))\b"
        r"|\b(?P<scmp>SCMP_ARCH_(?:X86_64|X86|X32))\b"
    )

    def check_match(self, ctx, match):
        table = syscall_table()
        start, end = match.span()
        if match.group("name"):
            name = match.group("name")
            if name not in table["x86_64"]:
                return
            token = match.group(0)
            own_values, own_names = self._own_numbers(ctx)
            if start in own_values:  # `#define SYS_open 2`: a hard-coded number
                yield from self._hard_coded(ctx, start, end, token, name, own_values[start])
                return
            if name not in table["x86_64_only_set"] or token in own_names:
                return  # exists on AArch64, or the file's own #define (reported there) supplies it
            if guarded(ctx, start, re.compile(rf"\b(?:SYS|__NR)_{name}\b")):
                return  # `#ifdef SYS_open` and the code under it: compiled only where the name exists
            yield ctx.finding(
                self, start, end,
                f"`{token}` is x86-64 system call {table['x86_64'][name]} ({name}); the AArch64 system-call table "
                f"has no `{name}`, so `{token}` is undeclared there",
                replacement(name),
                properties={"syscall": name, "x86_64_number": table["x86_64"][name], "replacement": replacement(name)},
            )
        elif match.group("number"):
            literal = match.group("number")
            number = int(literal, 16 if literal[:2].lower() == "0x" else 10)
            x86_name = table["x86_64_by_number"].get(number)
            arm_name = table["aarch64_by_number"].get(number)
            here = f"`{arm_name}`" if arm_name else "no call"
            effect = ("the call compiles and silently does something else" if arm_name
                      else "the call compiles and fails with ENOSYS at run time")
            if x86_name:
                message = f"`syscall({literal})` is `{x86_name}` on x86-64, but {number} is {here} on AArch64"
                if x86_name in table["aarch64"]:
                    help_text = (f"call it by name: `syscall(SYS_{x86_name}, ...)` (AArch64 number "
                                 f"{table['aarch64'][x86_name]}) or the libc wrapper")
                else:
                    help_text = f"`{x86_name}` does not exist on AArch64: {replacement(x86_name)}"
            else:
                message = f"`syscall({literal})` uses a number that x86-64 does not define; on AArch64 {number} is {here}"
                help_text = "call it by name with the `SYS_*` constant from <sys/syscall.h>"
            yield ctx.finding(
                self, start, match.end("number"),
                f"{message}; {effect}",
                help_text,
                properties={"number": number, "x86_64": x86_name, "aarch64": arm_name},
                severity=Severity.WARNING,
            )
        elif match.group("audit"):
            if "AUDIT_ARCH_AARCH64" in ctx.masked:
                return
            token = match.group("audit")
            yield ctx.finding(
                self, start, end,
                f"seccomp/audit architecture check against `{token}` and none against `AUDIT_ARCH_AARCH64` in this "
                "file: on AArch64 `seccomp_data.arch` is AUDIT_ARCH_AARCH64, so the comparison never matches and "
                "the filter takes its foreign-architecture path for every call",
                "add an `#elif defined(__aarch64__)` branch that checks AUDIT_ARCH_AARCH64 and uses the AArch64 `__NR_*` "
                "names from <sys/syscall.h>, or build the filter with libseccomp (symbolic names, SCMP_ARCH_AARCH64)",
                properties={"arch": token},
                severity=Severity.WARNING,
            )
        else:
            if "SCMP_ARCH_AARCH64" in ctx.masked:
                return
            token = match.group("scmp")
            yield ctx.finding(
                self, start, end,
                f"libseccomp filter names `{token}` and this file never names `SCMP_ARCH_AARCH64`: check that the "
                "filter still covers the native AArch64 ABI (if the native architecture was removed, every AArch64 "
                "call gets the bad-architecture action)",
                "add SCMP_ARCH_AARCH64 (or keep SCMP_ARCH_NATIVE) next to the x86 architectures, and use "
                "SCMP_SYS(name) so each architecture gets its own numbers",
                properties={"arch": token},
                severity=Severity.WARNING,
                confidence=Confidence.MEDIUM,
            )

    # -- `#define SYS_open 2` ---------------------------------------------------------------------

    _ctx = None
    _own: tuple[dict[int, int], set[str]] = ({}, set())

    def _own_numbers(self, ctx) -> tuple[dict[int, int], set[str]]:
        """The file's `#define SYS_x <number>`: offset of each defined name -> its number, and the names."""
        if self._ctx is not ctx:
            values: dict[int, int] = {}
            names: set[str] = set()
            for m in _OWN_DEFINE.finditer(ctx.masked):
                literal = m.group(2)
                values[m.start(1)] = int(literal, 16 if literal[:2].lower() == "0x" else 10)
                names.add(m.group(1))
            self._ctx, self._own = ctx, (values, names)
        return self._own

    def _hard_coded(self, ctx, start, end, token, name, value):
        table = syscall_table()
        if value != table["x86_64"][name]:
            return
        arm_number = table["aarch64"].get(name)
        if arm_number == value:
            return
        if arm_number is not None and any(re.search(rf"\b{token}\b", c) for c in enclosing_conditions(ctx, start)):
            return  # an `#ifndef SYS_gettid` fallback: AArch64's header defines the name, so it is unused there
        arm_name = table["aarch64_by_number"].get(value)
        effect = (f"on AArch64 {value} is `{arm_name}`: every call through `{token}` silently does something else"
                  if arm_name else f"on AArch64 no call has number {value}: every call through `{token}` fails with ENOSYS")
        if arm_number is None:
            why = f"AArch64 has no `{name}`, so this definition is the one used there"
            help_text = f"don't hard-code the number: {replacement(name)}"
        else:
            why = f"AArch64's number for `{name}` is {arm_number}"
            help_text = f"remove the definition and take `{token}` from <sys/syscall.h> (AArch64 number {arm_number})"
        yield ctx.finding(
            self, start, end,
            f"`{token}` is defined here as {value}, x86-64's number for `{name}`; {why}, and {effect}",
            help_text,
            properties={"syscall": name, "value": value, "aarch64": arm_name, "aarch64_number": arm_number},
            severity=Severity.WARNING,
        )


