"""Scanning one file: read, guard, classify, prefilter, mask, evaluate the preprocessor,
route to the rules, drop what AArch64 never compiles, apply suppressions, fingerprint."""

from __future__ import annotations

import functools
import os
import re
from collections import defaultdict

from archport.artifacts.kinds import artifact_kind
from archport.context import RuleContext
from archport.fingerprint import with_fingerprints
from archport.languages import PREPROCESSED_EXTENSIONS, classify, needs_sniff
from archport.model import FileResult, Finding, ScanError
from archport.parsing import treesitter
from archport.prefilter import Prefilter
from archport.preprocessor import Conditionals, State, generic_environment, load_environment, scan_directives
from archport.rule import Rule
from archport.settings import ScanSettings
from archport.targets import get_target
from archport.source import SourceFile
from archport.suppression import apply_suppressions, parse_suppressions

SUPPRESSION_KEY = "<suppression>"
_BINARY_SNIFF = 8192
_PREPROCESSED_SUFFIXES = tuple(sorted(PREPROCESSED_EXTENSIONS))


@functools.lru_cache(maxsize=None)
def _compiled(pattern: str) -> re.Pattern:
    return re.compile(pattern, re.M)


class FileScanner:
    """Everything that is built once per worker process and reused for every file."""

    def __init__(self, rules: list[type[Rule]], settings: ScanSettings):
        self.settings = settings
        self.target = get_target(settings.target)
        self.rules = [r() for r in rules if r.code[:2] != "AP"]
        self.meta_rules = {r.code: r for r in rules if r.code[:2] == "AP"}
        #: each rule's options: declared defaults, then [tool.archport.rules.CODE]
        self.rule_options = {
            r.code: {**{k: o.value_for(self.target) for k, o in r.options.items()}, **settings.rule_options.get(r.code, {})}
            for r in self.rules
        }
        #: deep mode: the compilation database (read once per worker), see archport.deep
        self.compdb = None
        if settings.deep and settings.compile_commands:
            from archport.deep import CompilationDatabase

            try:
                self.compdb = CompilationDatabase.load(settings.compile_commands)
            except ValueError:
                self.compdb = None
        self.rules_by_language: dict[str, list[Rule]] = defaultdict(list)
        for rule in self.rules:
            for lang in rule.languages:
                self.rules_by_language[lang].append(rule)
        literals = {rule.code: rule.prefilter for rule in self.rules}
        if self.meta_rules:
            literals[SUPPRESSION_KEY] = (b"archport:",)
        self.prefilter = Prefilter(literals)
        defines = dict(settings.defines)
        self.envs = {
            cpp: [
                load_environment("aarch64", cpp).with_defines(defines),
                load_environment("x86_64", cpp).with_defines(defines),
                generic_environment(cpp).with_defines(defines),
            ]
            for cpp in (False, True)
        }

    # -- one file --------------------------------------------------------------------------------

    def scan(self, abs_path: str, rel_path: str) -> FileResult:
        result = FileResult(rel_path)
        name = os.path.basename(rel_path)
        kind = artifact_kind(name)
        if kind is None and needs_sniff(name):
            head = self._head(abs_path)
            kind = artifact_kind(name, head) if head is not None else None
            if kind is None and head is not None and classify(name, head) is None:
                result.scanned = result.considered = False
                return result
        if kind is not None:  # binaries and archives go to the artifact rules (archport.artifacts)
            return self._scan_artifact(abs_path, rel_path, kind)
        try:
            size = os.stat(abs_path).st_size
            if size > self.settings.max_file_size:
                result.errors.append(
                    ScanError(
                        rel_path,
                        "read",
                        f"file is {size / 1048576:.1f} MiB, over the {self.settings.max_file_size / 1048576:.0f} MiB "
                        "limit (--max-file-size); skipped",
                    )
                )
                result.scanned = False
                return result
            with open(abs_path, "rb") as fh:
                data = fh.read(self.settings.max_file_size + 1)
        except OSError as exc:
            result.errors.append(ScanError(rel_path, "read", f"cannot read file: {exc.strerror or exc}"))
            result.scanned = False
            return result
        result.size = len(data)
        result.lines = data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)
        if b"\0" in data[:_BINARY_SNIFF]:
            result.errors.append(ScanError(rel_path, "decode", "binary content (NUL bytes) in a source file; skipped"))
            result.scanned = False
            return result
        language = classify(name, data[:65536])
        if language is None:
            result.scanned = False
            return result
        encoding = "utf-8"
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = data.count(b"\n", 0, exc.start) + 1
            result.errors.append(
                ScanError(rel_path, "decode", f"invalid UTF-8 at line {line} (byte 0x{data[exc.start]:02x}); scanned as Latin-1")
            )
            text, encoding = data.decode("latin-1"), "latin-1"
        hits = self.prefilter.hits(data)
        entry = self.compdb.entry_for(abs_path) if self.compdb is not None else None
        # in deep mode, rules that learn types from headers see the file even without their literal
        rules = [r for r in self.rules_by_language.get(language.name, ())
                 if r.code in hits or entry is not None and r.deep_offer]
        if not rules and SUPPRESSION_KEY not in hits:
            return result
        source = SourceFile(rel_path, language.name, text, encoding=encoding)
        factory = None
        if (language.preprocessed or rel_path.endswith(_PREPROCESSED_SUFFIXES)) and "#" in text:
            envs = self.envs[language.name == "cpp"]

            def factory():
                directives = scan_directives(source.masked, text)
                return Conditionals(directives, envs) if directives else None

        deep = None
        if entry is not None:
            from archport.deep import facts_for

            def deep():
                return facts_for(abs_path, entry, data)

        ctx = RuleContext(source, language.grammar, abs_path, factory, target=self.target, deep=deep)

        findings: list[Finding] = []
        for rule in rules:
            try:
                ctx.options = self.rule_options[rule.code]
                findings.extend(self._run_rule(rule, ctx))
            except Exception as exc:  # a rule bug must not stop the scan
                result.errors.append(ScanError(rel_path, "rule", f"{rule.code} failed: {type(exc).__name__}: {exc}"))
        result.parsed = ctx._tree is not None
        result.errors.extend(ScanError(rel_path, "parse", message) for message in ctx.parse_errors)

        suppressions, malformed = parse_suppressions(source) if SUPPRESSION_KEY in hits else ([], [])
        findings = apply_suppressions(findings, suppressions)
        findings.extend(self._meta_findings(ctx, suppressions, malformed))
        result.findings = with_fingerprints(findings, source)
        return result

    @staticmethod
    def _head(abs_path: str) -> bytes | None:
        """The first bytes of an extensionless file: a script counts only when its `#!` line
        names a language we read, a binary by its ELF or Mach-O magic. None when unreadable
        (the normal read reports the error)."""
        try:
            with open(abs_path, "rb") as fh:
                return fh.read(256)
        except OSError:
            return None

    def _scan_artifact(self, abs_path: str, rel_path: str, kind: str) -> FileResult:
        rules = self.rules_by_language.get(kind)
        if not rules:  # no artifact rule selected: the file is not looked at
            result = FileResult(rel_path)
            result.scanned = result.considered = False
            return result
        from archport.artifacts.scanner import scan_artifact

        return scan_artifact(rules, self.rule_options, abs_path, rel_path, kind)

    def _run_rule(self, rule: Rule, ctx: RuleContext):
        produced: list[Finding] = []
        if rule.pattern:
            for m in _compiled(rule.pattern).finditer(ctx.masked):
                produced.extend(rule.check_match(ctx, m))
        if rule.query and ctx.grammar:
            tree = ctx.tree
            for _, captures in treesitter.matches(ctx.grammar, rule.query, tree.root_node):
                produced.extend(rule.check_query(ctx, captures))
        produced.extend(rule.check_file(ctx))
        if not produced or not rule.respect_preprocessor or ctx.conditionals is None:
            return produced
        # code that an AArch64 build never compiles is not a porting problem
        return [f for f in produced if ctx.arm_state(_char_offset(ctx, f)) is not State.INACTIVE]

    def _meta_findings(self, ctx: RuleContext, suppressions, malformed) -> list[Finding]:
        out = []
        unused = self.meta_rules.get("AP001")
        enabled = {r.code for r in self.rules}
        if unused is not None:
            for s in suppressions:
                for code in s.codes:
                    if code in s.used or not any(c.startswith(code) for c in enabled):
                        continue
                    out.append(
                        ctx.finding(
                            unused,
                            s.start,
                            s.end,
                            f"suppression of {code} matched no finding",
                            "remove the stale suppression, or move it to the flagged line or the line before it",
                            properties={"suppressed_code": code},
                        )
                    )
        bad = self.meta_rules.get("AP002")
        if bad is not None:
            for m in malformed:
                out.append(ctx.finding(bad, m.start, m.end, m.reason, "name the rule codes, e.g. `archport: ignore[CC401]`"))
        return out


def _char_offset(ctx: RuleContext, finding: Finding) -> int:
    """Character offset of a finding's start (findings store lines, columns and bytes)."""
    return ctx.source.line_start(finding.line) + finding.column - 1
