"""Use cases: load rules, run a scan, test rules. The only module that wires the parts together."""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pathspec

from zoho_v1_audit.errors import ExitCode, UsageError
from zoho_v1_audit.models import (
    SECRET_IDS,
    SLOW_IDS,
    Blob,
    Finding,
    ScanResult,
    ScanWarning,
    Secret,
    Severity,
    Stats,
)
from zoho_v1_audit.report.json import Document, to_document
from zoho_v1_audit.ruleset import (
    DEFAULT_ENGINE,
    ENGINES,
    Rule,
    RuleSet,
    builtin_rules_dir,
    load_rules,
)
from zoho_v1_audit.scan.aggregate import Aggregator, Suppressions
from zoho_v1_audit.scan.budget import Limits
from zoho_v1_audit.scan.detector import detect
from zoho_v1_audit.scan.engine import Progress, scan_files
from zoho_v1_audit.scan.reader import Reading
from zoho_v1_audit.scan.sources import STDIN, TreeWalker

DEFAULT_MAX_FILE_SIZE = 10 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class ScanOptions:
    """Everything a working-tree scan needs, already validated."""

    paths: tuple[Path, ...] = (Path("."),)
    excludes: tuple[str, ...] = ()
    includes: tuple[str, ...] = ()  # when set, only paths matching one of these globs
    respect_gitignore: bool = False
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    jobs: int = field(default_factory=lambda: os.cpu_count() or 1)
    suppressions: Suppressions = field(default_factory=Suppressions)
    stdin_name: str = "stdin"  # how reports name standard input (`-`)
    archives: Limits = field(default_factory=Limits)


def load_ruleset(
    extra: tuple[Path, ...] = (), disabled: tuple[str, ...] = (), engine: str = DEFAULT_ENGINE
) -> RuleSet:
    """The built-in rules plus the user's rule files, minus disabled rule ids, matched by
    `engine` (auto, hyperscan or python)."""
    from zoho_v1_audit.scan import hsmatch

    if engine not in ENGINES:
        raise UsageError(f"--engine must be one of: {', '.join(ENGINES)}")
    if engine == "hyperscan" and not hsmatch.available():
        raise UsageError(
            "--engine hyperscan: the hyperscan package is not installed (no wheel for this "
            "platform?); use --engine auto or python"
        )
    rules = dataclasses.replace(load_rules([builtin_rules_dir(), *extra]), engine=engine)
    return rules.without(disabled) if disabled else rules


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def scan_tree(
    options: ScanOptions,
    rules: RuleSet,
    progress: Progress | None = None,
) -> ScanResult:
    """Scan working-tree paths (`-`: standard input), archives and binary files included."""
    if [str(p) for p in options.paths].count(STDIN) > 1:
        raise UsageError("standard input (-) can be scanned once")
    for path in options.paths:
        if str(path) != STDIN and not path.exists():
            raise UsageError(f"path not found: {path}")
    started, clock = _now(), time.perf_counter()
    stats, warnings = Stats(), list[ScanWarning]()
    aggregator = Aggregator(stats, options.suppressions)
    walker = TreeWalker(
        options.paths,
        excludes=options.excludes,
        respect_gitignore=options.respect_gitignore,
        stdin_name=options.stdin_name,
    )
    included = _path_filter((), options.includes)
    scan_files(
        (task for task in walker if _wanted(included, task.path, stats)),
        rules,
        aggregator,
        warnings,
        reading=Reading(options.max_file_size, options.archives, options.excludes),
        jobs=options.jobs,
        progress=progress,
    )
    for skip in walker.skips:
        stats.skip(skip.reason)
        if skip.message:
            warnings.append(ScanWarning(skip.path, skip.message))
    findings, secrets = _finish(aggregator, warnings)
    return ScanResult(
        roots=[p.as_posix() for p in options.paths],
        mode="tree",
        started_at=started,
        duration_s=time.perf_counter() - clock,
        stats=stats,
        findings=findings,
        secrets=secrets,
        warnings=sorted(warnings, key=lambda w: w.path),
    )


def _finish(
    aggregator: Aggregator, warnings: list[ScanWarning]
) -> tuple[list[Finding], list[Secret]]:
    """The aggregated findings and secrets; a warning when passwords got one-off ids."""
    before = SECRET_IDS.one_off
    findings, secrets = aggregator.finish()
    warnings += aggregator.warnings
    one_off = SECRET_IDS.one_off - before
    if one_off:
        warnings.append(
            ScanWarning(
                ".",
                f"{one_off} passwords or other low-entropy secrets beyond the first {SLOW_IDS} "
                "got ids valid for this result only: they match no baseline and merge with no "
                "other result",
            )
        )
    return findings, secrets


def _path_filter(excludes: tuple[str, ...], includes: tuple[str, ...]) -> Callable[[str], bool]:
    """Whether a path is scanned: not excluded, and included when includes are given."""
    excluded = pathspec.GitIgnoreSpec.from_lines(excludes)
    included = pathspec.GitIgnoreSpec.from_lines(includes) if includes else None
    return lambda path: (
        not excluded.match_file(path) and (included is None or included.match_file(path))
    )


def _wanted(wanted: Callable[[str], bool], path: str, stats: Stats) -> bool:
    if wanted(path):
        return True
    stats.skip("excluded")
    return False


@dataclass(frozen=True, slots=True)
class GitOptions:
    """Which changes a `--git` (history) or `--staged` (index) scan reads."""

    staged: bool = False
    since: str | None = None
    rev_range: str | None = None
    all_branches: bool = False


def scan_git(
    options: ScanOptions,
    git: GitOptions,
    rules_loader: Callable[[], RuleSet],
    progress: Progress | None = None,
) -> ScanResult:
    """Scan the lines added by each commit in history, or by the staged changes.

    Detection runs in this process: reading history out of git costs more than matching it.
    git starts first, and writes ahead while `rules_loader` loads and compiles the rules.
    History findings get `in_head`, and secrets gone from HEAD the commit that removed them.
    """
    from zoho_v1_audit.scan.deleted import DeletedLines
    from zoho_v1_audit.scan.githead import mark_head_state
    from zoho_v1_audit.scan.gitrepo import scan_dir
    from zoho_v1_audit.scan.gitsource import iter_history_blobs, iter_staged_blobs

    if len(options.paths) != 1:
        raise UsageError("--git and --staged scan one repository: give one path")
    root = options.paths[0]
    started, clock = _now(), time.perf_counter()
    stats, warnings = Stats(), list[ScanWarning]()
    aggregator = Aggregator(stats, options.suppressions)
    size = options.max_file_size
    # Removals are dated from the deleted lines seen on the way when the scan reads HEAD's history.
    reads_head = not (git.staged or git.rev_range or git.all_branches)
    with contextlib.closing(DeletedLines()) as spool:
        deleted = spool if reads_head else None
        if git.staged:
            blobs = iter_staged_blobs(root, stats, warnings, max_size=size)
        else:
            blobs = iter_history_blobs(
                root,
                since=git.since,
                rev_range=git.rev_range,
                all_branches=git.all_branches,
                stats=stats,
                warnings=warnings,
                max_size=size,
                deleted=deleted,
            )
        wanted = _path_filter(options.excludes, options.includes)
        first = next(blobs, None)  # git is running from here on
        rules = rules_loader()
        for blob in itertools.chain([first] if first is not None else [], blobs):
            if _wanted(wanted, blob.path, stats):
                stats.files_scanned += 1
                stats.bytes_scanned += len(blob.data)
                aggregator.add(detect(blob, rules))
                if progress is not None:
                    progress(stats.files_scanned, stats.bytes_scanned)
        findings, secrets = _finish(aggregator, warnings)
        if not git.staged:
            findings = mark_head_state(scan_dir(root), findings, secrets, warnings, deleted)
    return ScanResult(
        roots=[root.as_posix()],
        mode="staged" if git.staged else "git",
        started_at=started,
        duration_s=time.perf_counter() - clock,
        stats=stats,
        findings=findings,
        secrets=secrets,
        warnings=sorted(warnings, key=lambda w: w.path),
    )


def scan_text(text: str, rules: RuleSet, path: str = "example.txt") -> list[str]:
    """Rule ids reported for one text as if it were a whole tree (used by `rules test`)."""
    aggregator = Aggregator(Stats())
    aggregator.add(detect(Blob(path, text.encode("utf-8")), rules))
    findings, _ = aggregator.finish()
    return [f.rule_id for f in findings]


@dataclass(frozen=True, slots=True)
class ExampleFailure:
    """A rule example that did not behave as declared."""

    rule: Rule
    example: str
    expected_match: bool
    got: list[str]


def check_rule_examples(
    rules: RuleSet, report: Callable[[ExampleFailure], None]
) -> tuple[int, int]:
    """Run every rule's own examples; returns (examples run, failures)."""
    ran = failed = 0
    for rule in rules.rules:
        cases = [(ex, True) for ex in rule.examples_match] + [
            (ex, False) for ex in rule.examples_no_match
        ]
        for example, expected in cases:
            ran += 1
            got = scan_text(example, rules)
            if (rule.id in got) != expected:
                failed += 1
                report(ExampleFailure(rule, example, expected, got))
    return ran, failed


def document(result: ScanResult, *, show_secrets: bool, owners: Path | None) -> Document:
    """The JSON document of a result, with code owners filled in when a CODEOWNERS file is known."""
    from zoho_v1_audit.report.owners import annotate_owners

    doc = to_document(result, show_secrets=show_secrets)
    root = Path(result.roots[0]) if len(result.roots) == 1 else Path(".")
    annotate_owners(doc, root if root.is_dir() else root.parent, owners)
    return doc


def exit_code(doc: Document, threshold: Severity | None) -> ExitCode:
    """FINDINGS when a finding is at or above the threshold (None: never)."""
    if threshold is None:
        return ExitCode.CLEAN
    worst = max((Severity(f["severity"]).rank for f in doc["findings"]), default=-1)
    return ExitCode.FINDINGS if worst >= threshold.rank else ExitCode.CLEAN
