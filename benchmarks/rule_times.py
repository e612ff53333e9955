"""Where a scan spends its time, rule by rule: `python benchmarks/rule_times.py TREE`.

Runs one in-process scan of TREE with every rule and prints the seconds spent in each rule
(a rule that first asks for the #if model also pays for building it) and the total, so a new
rule's cost can be judged on a real tree even on a busy machine (compare shares, not seconds).
"""

from __future__ import annotations

import argparse
import collections
import time
from pathlib import Path

from archport.discovery import discover
from archport.engine import FileScanner
from archport.registry import default_registry
from archport.selection import select_rules
from archport.settings import ScanSettings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tree", type=Path)
    args = parser.parse_args()
    files = discover(args.tree).files
    scanner = FileScanner(select_rules(default_registry()), ScanSettings())
    spent: collections.Counter = collections.Counter()
    run_rule = scanner._run_rule

    def timed(rule, ctx):
        start = time.perf_counter()
        try:
            return run_rule(rule, ctx)
        finally:
            spent[rule.code] += time.perf_counter() - start

    scanner._run_rule = timed
    start = time.perf_counter()
    lines = sum(scanner.scan(abs_path, rel).lines for abs_path, rel in files)
    total = time.perf_counter() - start
    print(f"{args.tree}: {len(files)} files, {lines:,} lines, {total:.2f} s in one process ({lines / total:,.0f} lines/s)")
    for code, seconds in spent.most_common():
        print(f"  {code}  {seconds:6.3f} s  {100 * seconds / total:5.1f} %")
    print(f"  other  {total - sum(spent.values()):6.3f} s  (reading, masking, prefilter, suppressions)")


if __name__ == "__main__":
    main()
