from __future__ import annotations

import re

from archport.model import Confidence, Impact, Severity
from archport.rule import Rule
from archport.rules.c_cpp._enclosing import close_paren, guarded

_SYS_IO = re.compile(r"^[ \t]*#[ \t]*include[ \t]*[<\"](?:sys|asm)/io\.h[>\"]", re.M)
_KERNEL = re.compile(r"\bMODULE_LICENSE\b|\b__KERNEL__\b|#[ \t]*include[ \t]*<linux/(?:module|init|kernel)\.h>")
_PORT_LITERAL = re.compile(r"\s*(?:\(\s*[\w ]+\)\s*)?(0[xX][0-9a-fA-F]+|\d+)[uUlL]*\s*$")
#: configure results that guard port I/O (autoconf/CMake `HAVE_SYS_IO_H`, `HAVE_IOPERM`)
_FEATURE_TEST = re.compile(r"(?i:\bhave_sys_io_h|\bhave_ioperm|\bhave_iopl)\b")
_NOT_A_TYPE = frozenset({"return", "else", "do", "case", "sizeof", "typeof", "__typeof__", "goto"})
_HELP = (
    "AArch64 has no I/O port space: reach the device through a kernel driver, UIO (/dev/uioN + mmap) or the sysfs "
    "PCI resource files (MMIO), and keep the port I/O under `#if defined(__x86_64__) || defined(__i386__)`"
)


class X86PortIo(Rule):
    """x86 I/O-port access (ioperm, iopl, inb/outb, MSVC __inbyte/__outbyte).

    ## What it does
    Checks for calls of glibc's x86 port-I/O functions: `ioperm()`, `iopl()`, and
    `inb`/`inw`/`inl`/`outb`/`outw`/`outl` (and their `_p` forms), `insb`…`outsl` in files that
    include `<sys/io.h>` (or a user-space `<asm/io.h>`) or whose port argument is a literal,
    plus MSVC's `__inbyte`, `__inword`, `__indword`, `__outbyte`, `__outword`, `__outdword`
    and their `string` forms. The include itself is CC403's.

    ## Why is this a problem on ARM64?
    Port I/O is an x86 address space with its own instructions (`in`, `out`). AArch64 has no
    I/O port space: glibc for AArch64 has no `<sys/io.h>`, no `ioperm()` and no `iopl()`, and
    MSVC documents the port intrinsics for x86 and x64 only, so the code does not build, and no
    replacement call exists: devices are reached through memory-mapped registers.

    ## Example
    ```c
    #include <sys/io.h>
    int poke_lpt(unsigned char v) {
        if (ioperm(0x378, 3, 1)) return -1;
        outb(v, 0x378);
        return 0;
    }
    ```

    Use instead:
    ```c
    #include <stdint.h>
    /* registers of a UIO device mapped with mmap() on /dev/uio0 */
    int poke_dev(volatile uint8_t *regs, unsigned char v) {
        regs[0] = v;
        return 0;
    }
    ```

    ## Limitations
    `inb()`-style calls in files that neither include `<sys/io.h>` nor pass a literal port
    are not reported (they may be a project's own functions). Linux kernel code is skipped:
    there the arm64 `<asm/io.h>` maps `inb()`/`outb()` onto a PCI I/O window, so such code
    builds, but legacy ISA port numbers have no device behind them.

    ## References
    - glibc `<sys/io.h>` (x86 only): https://sourceware.org/git/?p=glibc.git;a=blob;f=sysdeps/unix/sysv/linux/x86/sys/io.h
    - MSVC `__inbyte`: https://learn.microsoft.com/en-us/cpp/intrinsics/inbyte
    - Linux UIO: https://www.kernel.org/doc/html/latest/driver-api/uio-howto.html
    """

    code = "CC503"
    name = "x86-port-io"
    summary = "x86 I/O-port access (ioperm, iopl, inb/outb, MSVC __inbyte/__outbyte)"
    languages = frozenset({"c", "cpp"})
    severity = Severity.ERROR
    impact = Impact.BUILD_BREAK
    confidence = Confidence.HIGH
    tags = ("hardware", "port-io", "linux")
    effort_minutes = 120
    prefilter = (
        b"ioperm", b"iopl", b"sys/io.h", b"asm/io.h", b"__inbyte", b"__outbyte", b"__inword", b"__outword", b"__indword",
        b"__outdword",
        *(f"{d}{w}{s}(".encode() for d in ("in", "out") for w in "bwl" for s in ("", "_p")),
        *(f"{d}s{w}(".encode() for d in ("in", "out") for w in "bwl"),
    )
    pattern = (
        r"\b(?P<msvc>__(?:in|out)(?:byte|word|dword)(?:string)?)\s*\("
        r"|\b(?P<perm>ioperm|iopl)\s*\("
        r"|\b(?P<io>(?:in|out)[bwl](?:_p)?|(?:in|out)s[bwl])\s*\("
    )

    def check_match(self, ctx, match):
        start = match.start()
        name = match.group("msvc") or match.group("perm") or match.group("io")
        name_end = start + len(name)
        close = close_paren(ctx, match.end() - 1)
        if close == -1 or _is_declaration(ctx.masked, start) or guarded(ctx, start, _FEATURE_TEST):
            return
        args = ctx.masked[match.end() : close - 1]
        props = {"function": name}
        if match.group("msvc"):
            message = (f"`{name}` is an MSVC port-I/O intrinsic documented for x86 and x64 only; GCC for AArch64 does "
                       "not provide it either, and AArch64 has no I/O port space")
        elif match.group("perm"):
            if name in self._file_facts(ctx)[2]:
                return
            message = (f"`{name}()` grants access to x86 I/O ports; glibc for AArch64 has no <sys/io.h> and no "
                       f"`{name}()`, and AArch64 has no I/O port space, so the build fails")
        else:
            port_io_file, kernel, own = self._file_facts(ctx)
            if kernel or name in own:
                return
            parts = _split_args(args)
            port_arg = parts[1] if name.startswith("out") and not name.startswith("outs") and len(parts) > 1 else parts[0]
            port = _PORT_LITERAL.match(port_arg)
            port_value = int(port.group(1), 16 if port.group(1)[:2].lower() == "0x" else 10) if port else None
            if port_value is not None and port_value > 0xFFFF:
                port_value = None
            if not port_io_file and port_value is None:
                return
            where = f"x86 I/O port {port_value:#x}" if port_value is not None else "an x86 I/O port"
            verb = "reads" if name.startswith("in") else "writes"
            message = (f"`{name}()` {verb} {where}; AArch64 has no I/O port space and glibc for AArch64 has no "
                       f"<sys/io.h> or `{name}()`, so the build fails")
            if port_value is not None:
                props["port"] = port_value
        yield ctx.finding(self, start, close if close - start < 120 else name_end, message, _HELP, properties=props)

    _ctx = None
    _facts: tuple[bool, bool, frozenset[str]] = (False, False, frozenset())

    def _file_facts(self, ctx) -> tuple[bool, bool, frozenset[str]]:
        """(includes <sys/io.h> or a user-space <asm/io.h>, is kernel code, names the file declares itself)."""
        if self._ctx is not ctx:
            kernel = bool(_KERNEL.search(ctx.masked)) and not re.search(r"[<\"]sys/io\.h[>\"]", ctx.text)
            includes = bool(_SYS_IO.search(ctx.text)) and not kernel
            own = set()
            for m in re.finditer(self.pattern, ctx.masked):
                if _is_declaration(ctx.masked, m.start()):
                    own.add(m.group("perm") or m.group("io") or m.group("msvc"))
            self._ctx, self._facts = ctx, (includes, kernel, frozenset(own))
        return self._facts


def _is_declaration(masked: str, start: int) -> bool:
    """True when the name at `start` is being declared or defined (`unsigned char inb(unsigned short p)`),
    judged by the token before it: a type name rather than an operator, `return` or a `*`."""
    i = start - 1
    while i >= 0 and masked[i] in " \t\r\n":
        i -= 1
    if i < 0 or not (masked[i].isalnum() or masked[i] == "_"):
        return False
    return _word_before(masked, i + 1) not in _NOT_A_TYPE


def _word_before(text: str, end: int) -> str:
    j = end
    while j > 0 and (text[j - 1].isalnum() or text[j - 1] == "_"):
        j -= 1
    return text[j:end]


def _split_args(args: str) -> list[str]:
    """Top-level comma-separated arguments."""
    parts, depth, current = [], 0, []
    for ch in args:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return parts
