from __future__ import annotations

import re

from archport.model import Confidence, Impact, Severity
from archport.rule import Rule
from archport.rules import _arch_gate

#: classes of System.Runtime.Intrinsics.X86 (Aes and Crc-like names exist in the Arm namespace
#: too: they count only in files that import the X86 namespace and not the Arm one)
_X86_CLASSES = (
    "X86Base", "X86Serialize", "Sse", "Sse2", "Sse3", "Ssse3", "Sse41", "Sse42", "Avx", "Avx2", "AvxVnni",
    "Avx512F", "Avx512BW", "Avx512CD", "Avx512DQ", "Avx512Vbmi", "Avx512Vbmi2", "Avx10v1", "Avx10v2", "Fma",
    "Bmi1", "Bmi2", "Lzcnt", "Popcnt", "Pclmulqdq", "Aes", "Gfni",
)
_SHARED_NAMES = frozenset({"Aes"})
_CALL = re.compile(
    r"(?<![\w.])(?:(?:System\s*\.\s*)?Runtime\s*\.\s*Intrinsics\s*\.\s*X86\s*\.\s*|X86\s*\.\s*)?"
    r"(" + "|".join(sorted(_X86_CLASSES, key=len, reverse=True)) + r")(?:\s*\.\s*(?:X64|VL))?\s*\.\s*(\w+)\s*[(<]"
)
_X86_USING = re.compile(r"^\s*using\s+(?:static\s+)?System\.Runtime\.Intrinsics\.X86\b", re.M)
_ARM_USING = re.compile(r"^\s*using\s+(?:static\s+)?System\.Runtime\.Intrinsics\.Arm\b", re.M)
_GUARD = re.compile(r"\bIsSupported\b|\bCompExactlyDependsOn\b|\bIsHardwareAccelerated\b")
_METHODS = ("method_declaration", "local_function_statement", "constructor_declaration", "operator_declaration")


class X86IntrinsicWithoutIsSupported(Rule):
    """x86 hardware intrinsic called where no `IsSupported` check protects it.

    ## What it does
    Checks for calls into `System.Runtime.Intrinsics.X86` classes (`Sse2.Add`, `Avx2.Shuffle`,
    `Popcnt.PopCount`, `Bmi2.ParallelBitExtract`…) in methods that test no `IsSupported`
    property before the call and that are entry points (`Main`, constructors) or are called
    in the same file from such an unguarded method. A method that carries a
    `CompExactlyDependsOn` attribute, is only called under an `IsSupported` check in this
    file, or is not called in this file at all (its callers elsewhere decide) is not
    reported.

    ## Why is this a problem on ARM64?
    On Arm64 every `System.Runtime.Intrinsics.X86` class reports `IsSupported == false`,
    and .NET documents that its APIs then throw `PlatformNotSupportedException`. Code that
    calls them unconditionally works on every x86-64 machine and fails on the first Arm64 one.

    ## Example
    ```csharp
    using System.Runtime.Intrinsics;
    using System.Runtime.Intrinsics.X86;

    static class Program
    {
        static Vector128<int> Add4(Vector128<int> a, Vector128<int> b) => Sse2.Add(a, b);

        static void Main() => System.Console.WriteLine(Add4(Vector128<int>.One, Vector128<int>.One));
    }
    ```

    Use instead:
    ```csharp
    using System.Runtime.Intrinsics;
    using System.Runtime.Intrinsics.X86;

    static class Program
    {
        static Vector128<int> Add4(Vector128<int> a, Vector128<int> b) =>
            Sse2.IsSupported ? Sse2.Add(a, b) : Vector128.Add(a, b);

        static void Main() => System.Console.WriteLine(Add4(Vector128<int>.One, Vector128<int>.One));
    }
    ```

    ## Limitations
    Guards are recognised by the word `IsSupported` (any class) earlier in the same method,
    or at every call site of the method in the same file; callers in other files are not
    seen, so an unguarded helper called only from other files is not reported (recall is
    traded for precision: most intrinsic helpers are guarded by their callers).

    ## References
    - `System.Runtime.Intrinsics.X86` namespace: https://learn.microsoft.com/en-us/dotnet/api/system.runtime.intrinsics.x86
    - `Sse2.IsSupported` ("false indicates that the APIs will throw PlatformNotSupportedException"): https://learn.microsoft.com/en-us/dotnet/api/system.runtime.intrinsics.x86.sse2.issupported
    - `System.Runtime.Intrinsics.Arm` (AdvSimd): https://learn.microsoft.com/en-us/dotnet/api/system.runtime.intrinsics.arm
    """

    code = "CS401"
    name = "x86-intrinsic-without-is-supported"
    summary = "x86 hardware intrinsic called where no `IsSupported` check protects it"
    languages = frozenset({"csharp"})
    severity = Severity.ERROR
    impact = Impact.RUNTIME_TRAP
    confidence = Confidence.MEDIUM
    tags = ("simd", "intrinsics")
    effort_minutes = 45
    prefilter = (b"Intrinsics.X86",)

    def check_file(self, ctx):
        masked = ctx.masked
        x86_using = _X86_USING.search(masked) is not None
        arm_using = _ARM_USING.search(masked) is not None
        gates = None
        reported: set[int] = set()
        for m in _CALL.finditer(masked):
            cls, member = m.group(1), m.group(2)
            qualified = "X86" in m.group(0)
            if member == "IsSupported" or not qualified and not x86_using:
                continue
            if cls in _SHARED_NAMES and not qualified and arm_using:
                continue
            if gates is None:
                gates = _arch_gate.ArchGates(ctx, _arch_gate.CSHARP)
            node = gates.node_at(m.start(1), m.end(1))
            method = _method(node)
            if method is None or method.start_byte in reported:
                continue
            if self._guarded(ctx, gates, method, ctx.source.byte_offset(m.start()), depth=3):
                continue
            reported.add(method.start_byte)
            yield ctx.finding(
                self, m.start(1), m.end(2),
                f"`{cls}.{member}` is called with no `{cls}.IsSupported` check: on Arm64 `{cls}.IsSupported` is "
                "false and the call throws PlatformNotSupportedException",
                f"test `{cls}.IsSupported` first and give the `else` a path that runs on Arm64: "
                "`AdvSimd` from System.Runtime.Intrinsics.Arm, or the portable `Vector128`/`Vector<T>` operators",
                properties={"class": cls, "member": member},
            )

    def _guarded(self, ctx, gates, method, before: int, depth: int) -> bool:
        head = ctx.data[method.start_byte : before].decode("utf-8", "replace")
        if _GUARD.search(head):
            return True
        # attributes sit before the method node in some grammar versions
        prev = method.prev_named_sibling
        if prev is not None and prev.type == "attribute_list" and b"CompExactlyDependsOn" in ctx.data[prev.start_byte : prev.end_byte]:
            return True
        name_node = method.child_by_field_name("name")
        name = gates.text(name_node) if name_node is not None else ""
        if name == "Main" or method.type == "constructor_declaration":
            return False  # an entry point with no guard of its own
        if name_node is None or depth == 0:
            return True  # too far to follow: its callers decide
        callers = []
        root = ctx.tree.root_node
        for m in re.finditer(rb"(?<![\w])" + re.escape(name.encode()) + rb"\s*[(<]", ctx.data):
            if m.start() == name_node.start_byte:
                continue
            node = root.descendant_for_byte_range(m.start(), m.start() + len(name) - 1)
            if node is None or node.type != "identifier":
                continue
            caller = _method(node)
            if caller is None or caller.start_byte == method.start_byte:
                continue
            callers.append((caller, m.start()))
        if not callers:
            return True  # not called in this file: its callers elsewhere decide
        return all(self._guarded(ctx, gates, c, at, depth - 1) for c, at in callers)


def _method(node):
    while node is not None and node.type not in _METHODS:
        node = node.parent
    return node
