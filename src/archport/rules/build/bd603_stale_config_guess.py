from __future__ import annotations

import re

from archport.model import Confidence, Impact, Severity
from archport.rule import Rule
from archport.rules.build import _conditions as cond

_HEADER = re.compile(r"^# (?:Attempt to guess a canonical system name|Configuration validation subroutine script)", re.M)
_TIMESTAMP = re.compile(r"^timestamp=['\"](\d{4})-(\d{2})-(\d{2})['\"]", re.M)


class StaleConfigGuess(Rule):
    """`config.guess` / `config.sub` too old to know AArch64.

    ## What it does
    Checks for `config.guess` and `config.sub` scripts (by name, or by their first lines) whose `timestamp='YYYY-MM-DD'` line
    dates them before 2013 and whose text never mentions `aarch64`. One finding per file, on
    the timestamp line.

    ## Why is this a problem on ARM64?
    `configure` runs these scripts to name the build and host systems. Copies from before
    AArch64 support (added to GNU config in 2012) do not know the processor: configure stops
    with "machine `aarch64' not recognized" (config.sub) or "unable to guess system type"
    (config.guess).

    ## Example
    ```sh
    #! /bin/sh
    # Attempt to guess a canonical system name.
    timestamp='2009-11-20'
    ```

    Use instead:
    ```sh
    #! /bin/sh
    # Attempt to guess a canonical system name.
    timestamp='2021-01-01'
    # knows aarch64:Linux:*:*
    ```

    ## Limitations
    Judged by the timestamp and the absence of the word `aarch64`; a vendor-patched old
    copy that handles AArch64 under another spelling is still reported.

    ## References
    - GNU config (current config.guess / config.sub): https://git.savannah.gnu.org/cgit/config.git
    - Autoconf, specifying target triplets: https://www.gnu.org/software/autoconf/manual/autoconf-2.72/html_node/Specifying-Target-Triplets.html
    """

    code = "BD603"
    name = "stale-config-guess"
    summary = "config.guess or config.sub too old to know AArch64"
    languages = frozenset({"shell"})
    severity = Severity.ERROR
    impact = Impact.BUILD_BREAK
    confidence = Confidence.HIGH
    tags = ("build", "autotools")
    effort_minutes = 10
    prefilter = (b"timestamp=",)

    def check_file(self, ctx):
        name = cond.basename(ctx.path)
        if name not in ("config.guess", "config.sub"):
            head = _HEADER.search(ctx.text[:3000])
            if head is None:
                return
            name = "config.guess" if "guess" in head.group(0) else "config.sub"
        m = _TIMESTAMP.search(ctx.text)
        if m is None or "aarch64" in ctx.text:
            return
        year = int(m.group(1))
        if year >= 2013:
            return
        date = "-".join(m.groups())
        yield ctx.finding(
            self, m.start(), m.end(),
            f"`{name}` is dated {date} and does not know aarch64: configure on an AArch64 machine stops "
            "(\"cannot guess build type\" / \"machine `aarch64' not recognized\")",
            "regenerate with `autoreconf -fi` or update config.guess and config.sub from GNU config "
            "(https://git.savannah.gnu.org/cgit/config.git); until then `--build=aarch64-unknown-linux-gnu` "
            "works around config.guess only",
            properties={"script": name, "timestamp": date},
        )
