"""Only what is new: `scan --baseline FILE`, `scan --diff REF`, and `archport baseline`.

Both filters keep every finding in the report and mark the old ones suppressed (`baseline`,
`unchanged since REF`), so the exit status and the default output count only new findings,
while --show-suppressed, JSON and SARIF still carry the rest.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable

import click
from click.core import ParameterSource

from archport.baseline import DEFAULT_FILE, BaselineError, apply_baseline, load
from archport.gitdiff import GitDiffError, apply_diff, changed_lines
from archport.report.model import Report


class NewFindingsError(Exception):
    """--baseline or --diff cannot be honoured; the CLI exits 2 with this one-line message."""


def prepare(path: str, baseline_file: str | None, diff_ref: str | None) -> Callable[[Report], Report]:
    """Reads the baseline and asks git for the changed lines before the scan starts (so a bad
    file or revision fails fast), and returns what marks a finished report."""
    try:
        baseline = load(baseline_file) if baseline_file else None
        changed = changed_lines(path, diff_ref) if diff_ref is not None else None
    except (BaselineError, GitDiffError) as exc:
        raise NewFindingsError(str(exc)) from None

    def mark(report: Report) -> Report:
        if baseline is not None:
            matched = apply_baseline(report, baseline)
            if baseline.entries and not matched.findings and not matched.baseline_paths_present:
                _note(
                    f"no file that {baseline.path} names exists under {report.root}; "
                    f"a baseline matches only scans of the same root (it was taken of `{baseline.root}`)"
                )
        if changed is not None:
            apply_diff(report, changed)
        return report

    return mark


def _note(text: str) -> None:
    sys.stderr.write(f"archport: note: {text}\n")


# -- `archport baseline` ------------------------------------------------------------------------

#: scan parameters that are about output or gating, not about which findings exist
_NOT_SHARED = {"fmt", "output", "fail_on", "show_suppressed", "baseline", "diff_ref"}


def baseline_command(scan: click.Command) -> click.Command:
    """`archport baseline`: the scan command's discovery and selection options (whatever
    they are: new scan options are shared automatically), writing a baseline file."""

    @click.command(
        "baseline",
        params=[p for p in scan.params if p.name not in _NOT_SHARED],
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    @click.option(
        "-o", "--output", "baseline_output", default=DEFAULT_FILE, show_default=True, type=click.Path(dir_okay=False),
        help="Write the baseline to FILE (`-` for standard output).",
    )
    @click.pass_context
    def baseline(ctx: click.Context, baseline_output: str, **options):
        """Record the findings of PATH as a baseline: `scan --baseline FILE` then reports only new ones."""
        to_stdout = baseline_output == "-"
        fixed = {
            "fmt": "baseline", "output": None if to_stdout else baseline_output,
            "fail_on": "never", "show_suppressed": False, "baseline": None, "diff_ref": None,
        }
        # run the scan command in a context of its own that knows which options were given
        # (a configuration file fills in only the others), as if typed as `scan ... --format baseline`
        sub = click.Context(scan, info_name=ctx.info_name, parent=ctx)
        for name in options:
            sub.set_parameter_source(name, ctx.get_parameter_source(name))
        for name in fixed:
            sub.set_parameter_source(name, ParameterSource.COMMANDLINE)
        sub.params = {**options, **{k: v for k, v in fixed.items() if k in {p.name for p in scan.params}}}
        try:
            with sub:
                sub.invoke(scan.callback, **sub.params)
        except SystemExit as exc:  # scan ends with sys.exit; 0 is success here
            if exc.code not in (0, None):
                raise
        if not to_stdout:
            try:
                with open(baseline_output, encoding="utf-8") as fh:
                    count = len(json.load(fh)["findings"])
            except (OSError, ValueError, KeyError, TypeError):
                return
            _note(f"baseline of {count} finding{'s' if count != 1 else ''} written to {baseline_output}")

    return baseline
