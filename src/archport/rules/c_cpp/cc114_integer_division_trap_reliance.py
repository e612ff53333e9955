from __future__ import annotations

import re

from archport.model import Confidence, Impact, Severity
from archport.rule import Rule
from archport.rules.c_cpp import _scope
from archport.rules.c_cpp._x86_runtime import directive_at

_OTHER_SIGNALS = r"SIG(?:SEGV|BUS|ILL|ABRT|TRAP|SYS|TERM|INT|QUIT|HUP|XCPU|XFSZ)"
_FLOAT_CODES = re.compile(r"\bFPE_FLT(?:DIV|OVF|UND|RES|INV|SUB)\b")
_MESSAGE_TAIL = (
    "on AArch64 integer division never traps: x / 0 is 0, x % 0 is x and INT_MIN / -1 is INT_MIN (sdiv/udiv), "
    "so no SIGFPE is raised and execution continues with that value"
)
_HELP = ("test the divisor before dividing (`if (d == 0 || (n == INT_MIN && d == -1))`) and report the error "
         "explicitly; -fsanitize=integer-divide-by-zero finds the divisions in tests")


class IntegerDivisionTrapReliance(Rule):
    """Code that relies on integer division by zero raising SIGFPE.

    ## What it does
    Checks for code that expects integer division to trap: signal handlers that test
    `si_code` for `FPE_INTDIV`/`FPE_INTOVF`, `signal(SIGFPE, …)`/`sigaction(SIGFPE, …)`
    installing a handler used for SIGFPE only (crash reporters that install the same handler
    for SIGSEGV, SIGBUS, SIGILL or SIGABRT are not reported), and tests that expect a process to
    die from SIGFPE (`KilledBySignal(SIGFPE)`, `WTERMSIG(status) == SIGFPE`).

    ## Why is this a problem on ARM64?
    On x86-64 `idiv`/`div` raise a divide error for a zero divisor and for `INT_MIN / -1`, which
    Linux delivers as SIGFPE with `si_code` `FPE_INTDIV`. AArch64's `sdiv`/`udiv` never trap:
    `x / 0` is 0, `x % 0` is `x` and `INT_MIN / -1` is `INT_MIN`. Interpreters, databases and
    tests that turn SIGFPE into a "division by zero" error see no signal and carry on with a
    wrong result.

    ## Example
    ```c
    #include <setjmp.h>
    #include <signal.h>
    static sigjmp_buf div_error;
    static void on_fpe(int sig) { siglongjmp(div_error, 1); }
    int checked_div(int a, int b) {
        signal(SIGFPE, on_fpe);
        if (sigsetjmp(div_error, 1)) return 0;
        return a / b;
    }
    ```

    Use instead:
    ```c
    #include <limits.h>
    int checked_div(int a, int b) {
        if (b == 0 || (a == INT_MIN && b == -1)) return 0;
        return a / b;
    }
    ```

    ## Limitations
    The divisions themselves are not found: without type information an integer division
    cannot be told from a floating one, so the rule reports the code that expects the trap.
    A SIGFPE handler meant for floating-point exceptions enabled with `feenableexcept` is
    reported too.

    ## References
    - Arm A64 SDIV ("no exception for division by zero"): https://developer.arm.com/documentation/ddi0602/latest/Base-Instructions/SDIV--Signed-Divide-
    - sigaction(2), FPE_INTDIV: https://man7.org/linux/man-pages/man2/sigaction.2.html
    """

    code = "CC114"
    name = "integer-division-trap-reliance"
    summary = "Code that relies on integer division by zero raising SIGFPE"
    languages = frozenset({"c", "cpp"})
    severity = Severity.WARNING
    impact = Impact.SILENT_BEHAVIOUR_CHANGE
    confidence = Confidence.MEDIUM
    tags = ("signals", "integer-division")
    effort_minutes = 45
    prefilter = (b"SIGFPE", b"FPE_INT")
    pattern = r"\bFPE_INT(?:DIV|OVF)\b|\bSIGFPE\b"

    def check_match(self, ctx, match):
        masked = ctx.masked
        start = match.start()
        if directive_at(ctx, start) is not None:
            return
        token = match.group(0)
        if token.startswith("FPE_"):
            if _FLOAT_CODES.search(masked):
                return  # a decoder of every si_code (crash reporter), not reliance on the integer trap
            yield ctx.finding(
                self, start, match.end(),
                f"`{token}` tests for the x86 integer-division trap; {_MESSAGE_TAIL}",
                _HELP, properties={"case": "si-code", "code": token}, confidence=Confidence.HIGH,
            )
            return
        before = masked[max(0, start - 80) : start]
        after = masked[match.end() : match.end() + 80]
        if re.search(r"KilledBySignal\s*\(\s*$", before) or re.search(r"\bWTERMSIG\s*\([^()]*\)\s*==\s*$", before) \
                or re.match(r"\s*==\s*WTERMSIG\b", after):
            yield ctx.finding(
                self, start, match.end(),
                f"this test expects the process to die from SIGFPE; {_MESSAGE_TAIL}, so the test fails on AArch64",
                "make the code under test check the divisor and report the error, and test for that instead",
                properties={"case": "death-test"},
                confidence=Confidence.HIGH,
            )
            return
        call = re.search(r"\b(signal|sigaction|sigset|bsd_signal)\s*\(\s*$", before)
        if not call:
            return
        open_paren = start - len(before) + before.rfind("(")
        args = _scope.call_arguments(ctx, open_paren)
        if len(args) < 2:
            return
        handler = masked[args[1][0] : args[1][1]].strip().lstrip("&").strip()
        if handler in ("SIG_IGN", "SIG_DFL", "NULL", "0", "nullptr"):
            return
        if _installed_for_other_signals(ctx, call.group(1), handler):
            return  # a crash reporter for every fatal signal
        yield ctx.finding(
            self, start, match.end(),
            f"`{call.group(1)}(SIGFPE, {handler})` installs a handler for SIGFPE alone: if it exists to catch integer "
            f"division by zero or INT_MIN / -1, it never runs there; {_MESSAGE_TAIL}",
            _HELP, properties={"case": "handler", "handler": handler},
        )


def _installed_for_other_signals(ctx, call: str, handler: str) -> bool:
    masked = ctx.masked
    h = re.escape(handler)
    if call == "sigaction":
        found = re.search(rf"\bsigaction\s*\(\s*{_OTHER_SIGNALS}\s*,\s*&?\s*{h}\b", masked)
    else:
        found = re.search(rf"\b(?:signal|sigset|bsd_signal)\s*\(\s*{_OTHER_SIGNALS}\s*,\s*&?\s*{h}\b", masked)
    if found:
        return True
    # a table or loop over several signals: `int sigs[] = {SIGSEGV, SIGFPE, ...}`
    return re.search(r"[{,]\s*SIGFPE\s*,|,\s*SIGFPE\s*[},]", masked) is not None and \
        re.search(rf"[{{,]\s*{_OTHER_SIGNALS}\s*[,}}]", masked) is not None
