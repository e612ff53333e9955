"""Architecture-detection chains (if/elif/else and case statements over the processor name)
and what an AArch64 build does in them: shared by BD601 and BD604."""

from __future__ import annotations

import re
from dataclasses import dataclass

from archport.rules.build import _conditions as cond
from archport.rules.build._tables import ISA_FLAG_RE

#: what a condition or case subject reads when it asks for the processor
ARCH_SUBJECT = re.compile(
    r"CMAKE_(?:HOST_)?SYSTEM_PROCESSOR|CMAKE_\w*_COMPILER_ARCHITECTURE_ID|CMAKE_GENERATOR_PLATFORM|"
    r"uname[ \t]+-[a-z]*[mp]|\b(?:host|build|target)_machine\.cpu(?:_family)?\(\)|platform\.machine\(\)|"
    r"platform\.processor\(\)|os\.uname\(\)|\$[({]?(?:ARCH|arch|HOSTTYPE|MACHTYPE|CPU|cpu|UNAME_M|uname_m|"
    r"MACHINE|machine|TARGET_ARCH|target_arch|HOST_ARCH|host_arch|BUILD_ARCH|PROCESSOR|ARCHITECTURE|"
    r"DETECTED_ARCH|SYSTEM_ARCH|OS_ARCH|CPU_ARCH|cpu_arch|arch_name|ARCH_NAME|HOST_CPU|hostarch|ARCHS?)\b[)}]?|"
    r"\b(?:ARCH|TARGET_ARCH|HOST_ARCH|CPU_ARCH|ARCHITECTURE|SYSTEM_PROCESSOR|PROCESSOR|MACHINE|UNAME_M|uname_M)\b|"
    r"\btarget_arch\b|\bhost_arch\b|\b(?:arch|cpu|cpu_family|machine|host_cpu|processor)\b"
)
AUTOCONF_HOST = re.compile(r"\$\{?(?:host|host_cpu|host_alias|target|target_cpu|build|build_cpu|canonical_host_type)\b\}?")
_ERROR = re.compile(
    r"\bmessage[ \t]*\([ \t]*(?:FATAL_ERROR|SEND_ERROR)|\$\(error\b|^[ \t]*error[ \t]*\(|\bexit[ \t]+[1-9]|"
    r"\bAC_MSG_ERROR\b|\bfail\(|\braise\b|\bsys\.exit\([^0)]",
    re.M,
)
_X86_VALUE = re.compile(
    r"(?:=|\bset[ \t]*\([ \t]*\w+[ \t]+)[ \t]*[\"']?(?:x86_64|x86|i[3-6]86|amd64|x64|ia32)[\"']?(?=[\s)\"';]|$)"
    r"|(?<![\w-])(?:x86|i386|x86_64|amd64)/[\w./-]+|[\w./-]+_(?:sse\w*|avx\w*|x86)\.(?:c|cc|cpp|S|asm)\b"
)
_MESSAGE = re.compile(r"^[ \t]*@?[ \t]*(?:echo|printf|message|\$\((?:info|warning)|warning\(|AC_MSG_\w+)\b[^\n]*", re.M)


@dataclass
class Gap:
    """An arch-detection chain that AArch64 falls through."""

    chain: list
    branch: object | None  # the branch AArch64 enters (else/default/negated test) or None
    what: str  # "error", "x86", "nothing", "no-default"
    detail: str
    offset: int


def is_arch_test(text: str) -> bool:
    return bool(ARCH_SUBJECT.search(text))


def _body(ctx, branch) -> str:
    return ctx.masked[branch.start : max(branch.start, branch.end)]


def fall_through(ctx, chain, autoconf: bool = False) -> Gap | None:
    """How AArch64 fares in one chain: None when it has an Arm/AArch64 branch, a generic one, or
    does nothing harmful."""
    if not chain:
        return None
    first = chain[0]
    is_case = first.kind in ("arm", "default") or first.subject
    subject = first.subject if is_case else ""
    tests = [b for b in chain if b.kind not in ("else", "default")]
    if is_case:
        if not (AUTOCONF_HOST.search(subject) if autoconf else is_arch_test(subject)):
            return None
    elif not any(is_arch_test(b.cond) for b in tests):
        return None
    kinds = [b.own_kind() for b in tests]
    if not any(k in (cond.X86, cond.NONARM, cond.NEGX86) for k in kinds):
        return None  # not about x86
    if not any(k == cond.X86 or k == cond.NEGX86 for k in kinds):
        return None
    # does AArch64 have a branch of its own (or one that takes every processor)?
    for b, k in zip(tests, kinds):
        if k == cond.ARM:
            return None
        if k == cond.ANY and is_case:
            return None  # a pattern such as `*-linux*` that also matches aarch64
    entered = None
    for b, k in zip(tests, kinds):
        if k == cond.NEGX86:
            entered = b
            break
    if entered is None:
        entered = next((b for b in chain if b.kind in ("else", "default")), None)
    if entered is None:
        if is_case:
            var = _mapping_var(ctx, chain)
            if var:
                head = chain[0].case_head if chain[0].case_head >= 0 else chain[0].head
                return Gap(chain, None, "no-default", var, head)
        return None
    body = _body(ctx, entered)
    err = _ERROR.search(body)
    if err:
        return Gap(chain, entered, "error", " ".join(err.group(0).split()), entered.head)
    clean = _MESSAGE.sub(lambda m: " " * len(m.group(0)), body)
    flag = ISA_FLAG_RE.search(clean)
    if flag:
        return Gap(chain, entered, "x86", flag.group(0), entered.head)
    value = _X86_VALUE.search(clean)
    if value:
        return Gap(chain, entered, "x86", " ".join(value.group(0).split()), entered.head)
    return None


def arch_names(chain) -> str:
    names = []
    for b in chain:
        if b.kind in ("else", "default"):
            continue
        text = b.cond
        for m in cond.X86_RE.finditer(text):
            if m.group(0) not in names:
                names.append(m.group(0))
    return ", ".join(names[:4])


_SH_ASSIGN = re.compile(r"(?:^|[;\s(])([A-Za-z_]\w*)\+?=")


def _mapping_var(ctx, chain) -> str:
    """A variable that every arm of a case statement sets (`ARCH=x86_64;; ppc64le) ARCH=ppc64;;`):
    the statement maps processors to values, and AArch64 gets none."""
    arms = [b for b in chain if b.kind in ("arm", "default")]
    if len(arms) < 2:
        return ""
    common = None
    for b in arms:
        body = _body(ctx, b)
        names = {n for n in _SH_ASSIGN.findall(body) if not re.search(r"\$\{?" + re.escape(n) + r"\b", body)}
        common = names if common is None else common & names
        if not common:
            return ""
    common = {v for v in common or () if not re.search(r"\b" + re.escape(v) + r"\b", arms[0].subject)}
    return sorted(common)[0] if common else ""
