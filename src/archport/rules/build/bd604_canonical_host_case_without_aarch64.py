from __future__ import annotations

from archport.model import Confidence, Impact, Severity
from archport.rule import Rule
from archport.rules.build import _conditions as cond
from archport.rules.build import _detect


class CanonicalHostCaseWithoutAarch64(Rule):
    """autoconf `$host` case statement with x86 arms and no AArch64 arm.

    ## What it does
    Checks for `configure.ac` and `*.m4` statements `case $host in` / `case "$host_cpu" in` /
    `AS_CASE([$host_cpu], …)` statements (the values AC_CANONICAL_HOST computes) that list x86
    patterns but no `aarch64*`/`arm*` pattern and no pattern that also matches an AArch64
    triplet, where AArch64 then reaches `AC_MSG_ERROR`, an x86 setting in the `*)` default, or
    none of the values every listed arm sets.

    ## Why is this a problem on ARM64?
    On an AArch64 host `$host_cpu` is `aarch64` and `$host` is e.g.
    `aarch64-unknown-linux-gnu`. A case that only knows `i?86`/`x86_64` either stops
    configure ("unsupported host"), or configures the x86 code path, or leaves an
    architecture variable empty so that later steps pick wrong sources.

    ## Example
    ```autoconf
    case $host_cpu in
      x86_64) ARCH_DIR=x86 ;;
      powerpc64*) ARCH_DIR=ppc ;;
      *) AC_MSG_ERROR([unsupported host CPU $host_cpu]) ;;
    esac
    ```

    Use instead:
    ```autoconf
    case $host_cpu in
      x86_64) ARCH_DIR=x86 ;;
      aarch64*) ARCH_DIR=aarch64 ;;
      powerpc64*) ARCH_DIR=ppc ;;
      *) AC_MSG_ERROR([unsupported host CPU $host_cpu]) ;;
    esac
    ```

    ## Limitations
    Cases over other variables are BD601's. Arms written with m4 quadrigraphs or built by
    macros are not parsed; a `case` whose x86 arm only switches on an optional feature and
    that sets nothing in common is not reported.

    ## References
    - Autoconf canonical system type: https://www.gnu.org/software/autoconf/manual/autoconf-2.72/html_node/Canonicalizing.html
    """

    code = "BD604"
    name = "canonical-host-case-without-aarch64"
    summary = "autoconf $host case statement with x86 arms and no AArch64 arm"
    languages = frozenset({"autoconf"})
    severity = Severity.ERROR
    impact = Impact.BUILD_BREAK
    confidence = Confidence.MEDIUM
    tags = ("build", "autotools", "detection")
    effort_minutes = 30
    prefilter = (b"host", b"target_cpu", b"build_cpu")

    def check_file(self, ctx):
        for start, end, subject, chain in cond.case_statements(ctx):
            if not _detect.AUTOCONF_HOST.search(subject) or not chain:
                continue
            if cond.x86_only_reason(ctx, start) is not None:
                continue
            gap = _detect.fall_through(ctx, chain, autoconf=True)
            if gap is None:
                continue
            names = _detect.arch_names(chain) or "x86"
            line_end = ctx.masked.find("\n", gap.offset)
            line_end = line_end if line_end > 0 else len(ctx.masked)
            subj = " ".join(subject.split())
            if gap.what == "error":
                msg = f"`case {subj}` handles {names} but not aarch64: on an AArch64 host configure stops at `{gap.detail}`"
                sev = None
            elif gap.what == "x86":
                msg = f"`case {subj}` handles {names} but not aarch64: an AArch64 host falls into the default with the x86 setting `{gap.detail}`"
                sev = None
            else:
                msg = f"`case {subj}` sets `{gap.detail}` for {names} but has no aarch64 arm and no default: on an AArch64 host it stays unset"
                sev = Severity.WARNING
            yield ctx.finding(
                self, gap.offset, line_end, msg,
                "add an `aarch64*)` arm (host_cpu is `aarch64` on AArch64 Linux; also `arm64*` on Apple/Windows triplets) "
                "with the AArch64 values",
                properties={"outcome": gap.what, "detail": gap.detail, "subject": subj},
                severity=sev,
            )
