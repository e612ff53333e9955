from __future__ import annotations

import re

from archport.model import Confidence, Impact, Severity
from archport.rule import Rule
from archport.rules import _arch_gate

_LOAD = re.compile(
    r"\b(?:(?:ctypes\s*\.\s*)?(?:CDLL|PyDLL|WinDLL|OleDLL)"
    r"|(?:ctypes\s*\.\s*)?(?:cdll|windll|oledll|pydll)\s*\.\s*LoadLibrary"
    r"|(?:\w+\s*\.\s*)?ctypeslib\s*\.\s*load_library"
    r"|\bffi\w*\s*\.\s*dlopen)\s*\("
)
_STRING = re.compile(r"(?:[rRuUbBfF]{0,2})(\"[^\"\n]*\"|'[^'\n]*')")


class X86CtypesLibraryLoad(Rule):
    """ctypes/cffi load of a shared library whose name or path says x86.

    ## What it does
    Checks for `ctypes.CDLL`, `cdll.LoadLibrary`, `WinDLL`, `numpy.ctypeslib.load_library`
    and cffi `ffi.dlopen` calls whose string arguments carry an x86 architecture word
    (`libfoo-x86_64.so`, `lib/amd64/`, `win-x64\\foo.dll`, `foo_i686.so`). A call in a
    function (or module) that also names `aarch64`/`arm64` is taken as choosing by
    architecture. Debian multiarch paths (`/usr/lib/x86_64-linux-gnu`) are CT704's.

    ## Why is this a problem on ARM64?
    An AArch64 Python can only load AArch64 shared objects: loading the x86 build raises
    `OSError` ("cannot open shared object file: No such file or directory" when it is not
    shipped, "wrong ELF class" / "cannot open shared object file" for an x86 ELF), usually at
    import time.

    ## Example
    ```python
    import ctypes

    lib = ctypes.CDLL("./vendor/libfast-x86_64.so")
    ```

    Use instead:
    ```python
    import ctypes
    import platform

    lib = ctypes.CDLL(f"./vendor/libfast-{platform.machine()}.so")
    ```

    ## Limitations
    Only string literals written in the call are read; names assembled elsewhere or read
    from configuration are not followed.

    ## References
    - `ctypes` loading shared libraries: https://docs.python.org/3/library/ctypes.html#loading-shared-libraries
    - cffi `ffi.dlopen()`: https://cffi.readthedocs.io/en/stable/cdef.html#ffi-dlopen-loading-libraries-in-abi-mode
    """

    code = "PY701"
    name = "x86-ctypes-library-load"
    summary = "ctypes/cffi load of a shared library whose name or path says x86"
    languages = frozenset({"python"})
    severity = Severity.ERROR
    impact = Impact.RUNTIME_TRAP
    confidence = Confidence.MEDIUM
    tags = ("packaging", "ffi")
    effort_minutes = 30
    prefilter = (b"DLL", b"LoadLibrary", b"load_library", b"dlopen")
    pattern = _LOAD.pattern

    def check_match(self, ctx, match):
        close = ctx.matching_paren(match.end() - 1, limit=2000)
        if close < 0:
            return
        values = [m.group(1)[1:-1] for m in _STRING.finditer(ctx.masked, match.end(), close)]
        marked = [(v, w) for v in values if (w := _arch_gate.x86_marker(v))]
        if not marked or any(_arch_gate.has_arm_token(v) for v in values):
            return
        gates = _arch_gate.ArchGates(ctx, _arch_gate.PYTHON)
        node = gates.node_at(match.start(), match.end())
        if node is None or node.type == "string" or node.parent is not None and node.parent.type == "string":
            return
        if gates.names_arm(node):
            return
        value, word = marked[0]
        yield ctx.finding(
            self, match.start(), close,
            f"loads `{value}`, a library named for x86 (`{word}`): an AArch64 Python cannot load it (OSError)",
            "ship an AArch64 build of the library and pick the file by `platform.machine()` (`aarch64` on Linux, "
            "`arm64` on macOS, `ARM64` on Windows)",
            properties={"library": value, "x86_word": word},
        )
