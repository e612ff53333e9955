"""Loading libclang for the deep mode, and a probe that says in one sentence why it cannot be
used. The Python bindings come from the `clang` package (`pip install 'archport[clang]'`); the
shared library and its builtin headers from the system (Debian: libclang1-14 and
libclang-common-14-dev). ARCHPORT_LIBCLANG names the library explicitly."""

from __future__ import annotations

import atexit
import ctypes
import glob
import os
import re

ENV = "ARCHPORT_LIBCLANG"
INSTALL_HINT = ("pip install 'archport[clang]' and apt-get install libclang1-14 libclang-common-14-dev "
                "(or set ARCHPORT_LIBCLANG to a libclang.so)")

_state: dict[str, object] = {}
_PROBE = b"#include <stddef.h>\n#include <stdint.h>\n#include <stdatomic.h>\nchar probe_c;\n"


def _candidates() -> list[str]:
    found = []
    env = os.environ.get(ENV)
    if env:
        found.append(env)

    def version(p: str) -> int:
        m = re.search(r"llvm-(\d+)|libclang-(\d+)", p)
        return int(m.group(1) or m.group(2)) if m else 0

    system = glob.glob("/usr/lib/llvm-*/lib/libclang.so.1") + glob.glob("/usr/lib/llvm-*/lib/libclang-*.so.1")
    system += glob.glob("/usr/lib/*-linux-gnu/libclang-*.so.1") + glob.glob("/usr/lib/*-linux-gnu/libclang.so*")
    found += sorted(set(system), key=lambda p: (-version(p), p))
    found += glob.glob("/usr/local/lib/libclang.so*") + glob.glob("/opt/homebrew/opt/llvm/lib/libclang.dylib")
    return found


def load():
    """(cindex module, None) when libclang works, else (None, reason). Tried once per process."""
    if "result" in _state:
        return _state["result"]
    result = _load()
    _state["result"] = result
    return result


def _load():
    try:
        from clang import cindex
    except ImportError:
        return None, f"the libclang Python bindings are not installed ({INSTALL_HINT})"
    if not cindex.Config.loaded:
        library = next((p for p in _candidates() if os.path.exists(p)), None)
        if library is None:
            return None, f"no libclang shared library was found ({INSTALL_HINT})"
        cindex.Config.set_compatibility_check(False)
        cindex.Config.set_library_file(library)
    try:
        lib = cindex.conf.lib
    except Exception as exc:  # cindex raises LibclangError (an Exception) when the library does not load
        return None, f"libclang could not be loaded: {exc}"
    _register_extras(lib)
    try:
        index = cindex.Index.create()
        tu = index.parse("archport_probe.c", args=["--target=aarch64-linux-gnu"],
                         unsaved_files=[("archport_probe.c", _PROBE.decode())])
    except Exception as exc:
        return None, f"libclang cannot parse a test file: {exc}"
    errors = [d for d in tu.diagnostics if d.severity >= 3]
    if errors:
        return None, (f"libclang cannot find its builtin headers ({errors[0].spelling}); install the headers of the "
                      "same LLVM version (Debian: libclang-common-14-dev)")
    _state["index"] = index
    # dispose of the index while the bindings are still loaded (not in interpreter teardown)
    atexit.register(_state.pop, "index", None)
    return cindex, None


def _register_extras(lib) -> None:
    """clang_Cursor_Evaluate and friends, which the clang 14 bindings do not declare."""
    from clang import cindex

    try:
        lib.clang_Cursor_Evaluate.argtypes = [cindex.Cursor]
        lib.clang_Cursor_Evaluate.restype = ctypes.c_void_p
        lib.clang_EvalResult_getKind.argtypes = [ctypes.c_void_p]
        lib.clang_EvalResult_getKind.restype = ctypes.c_int
        lib.clang_EvalResult_getAsLongLong.argtypes = [ctypes.c_void_p]
        lib.clang_EvalResult_getAsLongLong.restype = ctypes.c_longlong
        lib.clang_EvalResult_dispose.argtypes = [ctypes.c_void_p]
        lib.clang_EvalResult_dispose.restype = None
        _state["evaluate"] = True
    except AttributeError:
        _state["evaluate"] = False


def evaluate_int(cursor) -> int | None:
    """The integer value of a constant expression (through macros and enumerators), or None."""
    if not _state.get("evaluate"):
        return None
    from clang import cindex

    lib = cindex.conf.lib
    res = lib.clang_Cursor_Evaluate(cursor)
    if not res:
        return None
    try:
        return lib.clang_EvalResult_getAsLongLong(res) if lib.clang_EvalResult_getKind(res) == 1 else None
    finally:
        lib.clang_EvalResult_dispose(res)


def index():
    """The shared clang Index (after a successful load())."""
    return _state.get("index")


def describe() -> tuple[bool, str]:
    """(usable, one line for `archport doctor`)."""
    cindex, reason = load()
    if cindex is None:
        return False, str(reason)
    lib = cindex.conf.lib
    try:
        lib.clang_getClangVersion.restype = cindex._CXString
        lib.clang_getClangVersion.errcheck = cindex._CXString.from_result
        version = lib.clang_getClangVersion()
    except Exception:
        version = "libclang"
    return True, f"{version} ({cindex.Config.library_file or 'default library'})"
