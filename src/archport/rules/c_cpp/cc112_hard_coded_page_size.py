from __future__ import annotations

import re

from archport.model import Confidence, Impact, Severity
from archport.preprocessor import State
from archport.rule import Rule
from archport.rules.c_cpp import _scope
from archport.rules.c_cpp._x86_runtime import directive_at

_FOUR_K = re.compile(
    r"(?<![\w.])(?:4096|0[xX]0*1000|4095|0[xX]0*[fF]{3})[uUlL]*(?![\w.])|(?:<<|>>)\s*12[uUlL]*\b"
    r"|\b4\s*\*\s*1024\b|\b1024\s*\*\s*4\b"
)
#: call -> (argument indexes that hold an address or offset, indexes whose length matters)
_ADDRESS_CALLS = {
    "mprotect": ((0,), (1,)),
    "madvise": ((0,), (1,)),
    "posix_madvise": ((0,), (1,)),
    "munmap": ((0,), ()),
    "msync": ((0,), ()),
    "mlock": ((0,), ()),
    "munlock": ((0,), ()),
    "mremap": ((0,), ()),
    "mmap": ((5,), ()),
    "mmap64": ((5,), ()),
}
_ALIGN_CALLS = {"posix_memalign": 1, "aligned_alloc": 0, "memalign": 0}
_CALL_NAMES = (*_ADDRESS_CALLS, *_ALIGN_CALLS, "sysconf", "getpagesize")
_PAGE_QUERY = r"(?:sysconf\s*\(\s*_SC_PAGE_?SIZE\s*\)|getpagesize\s*\(\s*\))"
_PAGE_COMPARE = re.compile(
    rf"{_PAGE_QUERY}\s*[!=]=\s*(?:4096|0[xX]0*1000)\b|(?:4096|0[xX]0*1000)\s*[!=]=\s*{_PAGE_QUERY}"
)
_DEFINE = re.compile(r"^[ \t]*#[ \t]*define[ \t]+([A-Za-z_]\w*)[ \t]+([^\n]*)", re.M)
_SYS_USER = re.compile(r"^[ \t]*#[ \t]*include[ \t]*<sys/user\.h>", re.M)
_HELP = ("query the page size at run time: `long page = sysconf(_SC_PAGESIZE);` (or getpagesize()), and "
         "align with `p & ~(uintptr_t)(page - 1)`")


class HardCodedPageSize(Rule):
    """A 4 KiB page size written into memory-mapping code.

    ## What it does
    Checks for a 4 KiB page size (`4096`, `0x1000`, `4095`, `0xfff`, `<< 12`, or a macro this
    file defines as one of them) in the address or offset arguments of `mprotect`, `madvise`,
    `munmap`, `msync`, `mlock`, `mremap` and `mmap`'s file offset, in the length of `mprotect`
    and `madvise`, in the alignment of `posix_memalign`/`aligned_alloc`/`memalign` when the same
    function then calls `mprotect` or `madvise`, comparisons such as
    `sysconf(_SC_PAGESIZE) == 4096`, and uses of `PAGE_SIZE`/`PAGE_SHIFT`/`PAGE_MASK` that
    come from glibc's x86-only `<sys/user.h>`. A 4096 that is a buffer size
    (`char buf[4096]`, `read(fd, buf, 4096)`, `mmap(NULL, 4096, …)`) is not reported.

    ## Why is this a problem on ARM64?
    x86-64 always uses 4 KiB pages. AArch64 Linux kernels are built for 4 KiB, 16 KiB or 64 KiB
    pages, and the RHEL family (RHEL, AlmaLinux, Rocky, CentOS Stream) ships 64 KiB kernels.
    There, an address or file offset that is a multiple of 4 KiB but not of 64 KiB makes
    `mprotect`, `madvise`, `munmap` and `mmap` fail with EINVAL, and a 4 KiB length is rounded up
    to a whole 64 KiB page: a guard page protects 16 times more memory than intended, and
    `madvise(p, 4096, MADV_DONTNEED)` discards 64 KiB. glibc's `<sys/user.h>` defines
    `PAGE_SIZE` and `PAGE_SHIFT` on x86-64 only; on AArch64 they are undeclared.

    ## Example
    ```c
    #include <sys/mman.h>
    void *guarded(size_t n) {
        char *p = mmap(NULL, n + 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        mprotect(p + n, 4096, PROT_NONE);
        return p;
    }
    ```

    Use instead:
    ```c
    #include <sys/mman.h>
    #include <unistd.h>
    void *guarded(size_t n) {
        size_t page = (size_t)sysconf(_SC_PAGESIZE);
        n = (n + page - 1) & ~(page - 1);
        char *p = mmap(NULL, n + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        mprotect(p + n, page, PROT_NONE);
        return p;
    }
    ```

    ## Limitations
    Only constants written in the call's arguments, or in a macro defined in the same file, are
    seen: a page size stored in a variable or computed in another function is missed, and an
    alignment mask computed on an earlier line is not followed into the call. Allocators and
    libraries configured for 4 KiB at build time (jemalloc's `--with-lg-page`) are build-system
    findings, not reported here.

    ## References
    - mprotect(2), EINVAL when addr is not a multiple of the page size: https://man7.org/linux/man-pages/man2/mprotect.2.html
    - AWS Graviton getting started, operating systems and page sizes: https://github.com/aws/aws-graviton-getting-started/blob/main/os.md
    - sysconf(3), _SC_PAGESIZE: https://man7.org/linux/man-pages/man3/sysconf.3.html
    """

    code = "CC112"
    name = "hard-coded-page-size"
    summary = "A 4 KiB page size written into memory-mapping code"
    languages = frozenset({"c", "cpp"})
    severity = Severity.WARNING
    impact = Impact.RUNTIME_TRAP
    confidence = Confidence.MEDIUM
    tags = ("memory", "page-size")
    effort_minutes = 30
    prefilter = (b"mprotect", b"madvise", b"munmap", b"msync", b"mlock", b"mremap", b"mmap", b"memalign",
                 b"aligned_alloc", b"_SC_PAGE", b"getpagesize", b"sys/user.h")
    def check_file(self, ctx):
        calls = _scope.find_tokens(ctx, _CALL_NAMES, r"\s*\(")
        macros = _scope.find_tokens(ctx, ("PAGE_SIZE", "PAGE_SHIFT", "PAGE_MASK")) if "sys/user.h" in ctx.masked else []
        for match in sorted(calls + macros, key=lambda m: m.start()):
            yield from self._one(ctx, match)

    def _one(self, ctx, match):
        token = match.group(0)
        if token.startswith(("PAGE_SIZE", "PAGE_SHIFT", "PAGE_MASK")):
            yield from self._sys_user(ctx, match)
            return
        if directive_at(ctx, match.start()) is not None:
            return
        before = ctx.masked[max(0, match.start() - 2) : match.start()]
        if before.endswith((".", ">")) or re.search(r"[\w*]\s+\**$", ctx.masked[max(0, match.start() - 30) : match.start()]) \
                and not re.search(r"\b(?:return|else)\s+$", ctx.masked[max(0, match.start() - 30) : match.start()]):
            return  # a member call, or a declaration `int mprotect(void *, size_t, int)`
        name = token.split("(")[0].strip()
        if name in ("sysconf", "getpagesize"):
            yield from self._comparison(ctx, match)
        elif name in _ALIGN_CALLS:
            yield from self._alignment(ctx, match, name)
        else:
            yield from self._address(ctx, match, name)

    def _four_k(self, ctx, text: str):
        m = _FOUR_K.search(text)
        if m:
            return m.group(0), None
        for name, (value, line) in _page_macros(ctx).items():
            if re.search(rf"\b{re.escape(name)}\b", text):
                return name, (value, line)
        return None

    def _address(self, ctx, match, name):
        masked = ctx.masked
        args = _scope.call_arguments(ctx, match.end() - 1)
        address_idx, length_idx = _ADDRESS_CALLS[name]
        for kinds, indexes in (("address", address_idx), ("length", length_idx)):
            for i in indexes:
                if i >= len(args):
                    continue
                a, b = _scope.strip_span(masked, *args[i])
                text = masked[a:b]
                if kinds == "address" and re.fullmatch(r"\(?\s*(?:NULL|0|nullptr)\s*\)?", text):
                    continue
                found = self._four_k(ctx, text)
                if not found:
                    continue
                constant, macro = found
                via = f" (`{constant}` is defined as `{macro[0]}` at line {macro[1]})" if macro else ""
                where = ctx.target.page_phrase()
                if kinds == "address":
                    what = "file offset" if name.startswith("mmap") else "address"
                    message = (f"`{name}()` gets a {what} computed with a 4 KiB page (`{constant}`){via}: {where} it "
                               "is not page-aligned and the call fails with EINVAL")
                else:
                    message = (f"`{name}()` covers a 4 KiB length (`{constant}`){via}: {where} the length is rounded "
                               "up to a whole page, so it acts on 64 KiB"
                               + (" (MADV_DONTNEED would discard data beyond the 4 KiB)" if "madvise" in name else
                                  " (a guard page then covers memory that is still in use)"))
                yield ctx.finding(
                    self, a, b, message, _HELP,
                    properties={"call": name, "argument": kinds, "constant": constant, "target": ctx.target.name},
                )
                return

    def _alignment(self, ctx, match, name):
        masked = ctx.masked
        args = _scope.call_arguments(ctx, match.end() - 1)
        idx = _ALIGN_CALLS[name]
        if idx >= len(args):
            return
        a, b = _scope.strip_span(masked, *args[idx])
        found = self._four_k(ctx, masked[a:b])
        if not found:
            return
        fn = _scope.function_at(ctx, match.start())
        if fn is None:
            return
        later = re.search(r"\b(?:mprotect|madvise|posix_madvise)\s*\(", masked[match.end() : fn.body[1]])
        if not later:
            return
        line = ctx.source.line_of(match.end() + later.start())
        yield ctx.finding(
            self, a, b,
            f"`{name}()` aligns to 4 KiB (`{found[0]}`) and line {line} then calls "
            f"`{later.group(0).rstrip('( ')}` on the memory: {ctx.target.page_phrase()} a 4 KiB-aligned "
            "address is not page-aligned and the call fails with EINVAL",
            "allocate with the run-time page size as alignment: `posix_memalign(&p, sysconf(_SC_PAGESIZE), n)`",
            properties={"call": name, "argument": "alignment", "constant": found[0], "target": ctx.target.name},
        )

    def _comparison(self, ctx, match):
        masked = ctx.masked
        lo = max(0, match.start() - 20)
        hi = min(len(masked), match.end() + 60)
        m = _PAGE_COMPARE.search(masked, lo, hi)
        if not m or not (m.start() <= match.start() < m.end()):
            return
        yield ctx.finding(
            self, m.start(), m.end(),
            f"`{' '.join(m.group(0).split())}` expects 4 KiB pages: "
            + ("AArch64 kernels use 4, 16 or 64 KiB pages (64 KiB on the RHEL family), so this test fails there"
               if ctx.target.is_baseline
               else f"{ctx.target.page_size_note} ({ctx.target.name}), so this test fails on the 64 KiB-page kernels"),
            "accept any power-of-two page size and use the value sysconf(_SC_PAGESIZE) returns",
            properties={"call": "sysconf", "argument": "comparison", "constant": "4096", "target": ctx.target.name},
            confidence=Confidence.HIGH,
        )

    def _sys_user(self, ctx, match):
        masked = ctx.masked
        if not _SYS_USER.search(masked) or directive_at(ctx, match.start()) is not None:
            return
        name = match.group(0)
        cache = ctx.cache.setdefault("cc112_sys_user", {})
        if name not in cache:
            defined = re.search(rf"^[ \t]*#[ \t]*define[ \t]+{name}\b", masked, re.M)
            cache[name] = defined is not None
            cache[name + "#reported"] = False
        if cache[name] or cache[name + "#reported"]:
            return
        cache[name + "#reported"] = True
        yield ctx.finding(
            self, match.start(), match.end(),
            f"`{name}` comes from glibc's <sys/user.h>, which defines it on x86-64 only (as 4 KiB): on AArch64 it is "
            "undeclared and the build fails",
            _HELP,
            properties={"call": "sys/user.h", "argument": "macro", "constant": name},
            severity=Severity.ERROR,
            confidence=Confidence.HIGH,
        )


def _page_macros(ctx) -> dict[str, tuple[str, int]]:
    """Macros this file defines as a 4 KiB page quantity, in code AArch64 compiles, whose name
    says page: PAGE_SIZE 4096, PAGESIZE 0x1000, PAGE_SHIFT 12, PAGE_MASK (~4095)."""
    macros = ctx.cache.get("cc112_macros")
    if macros is None:
        macros = {}
        for m in _DEFINE.finditer(ctx.masked):
            name, value = m.group(1), m.group(2).strip()
            if "PAGE" not in name.upper():
                continue
            four_k = _FOUR_K.search(value) or ("SHIFT" in name.upper() and re.fullmatch(r"\(?12[uUlL]*\)?", value))
            if four_k and ctx.arm_state(m.start()) is not State.INACTIVE:
                macros[name] = (value, ctx.source.line_of(m.start()))
        # a macro built from another one: #define PAGE_MASK (PAGE_SIZE - 1)
        for m in _DEFINE.finditer(ctx.masked):
            name, value = m.group(1), m.group(2).strip()
            if name not in macros and "PAGE" in name.upper() and any(re.search(rf"\b{k}\b", value) for k in list(macros)):
                macros[name] = (value, ctx.source.line_of(m.start()))
        ctx.cache["cc112_macros"] = macros
    return macros
