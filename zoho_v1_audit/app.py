"""Use cases: load rules, run a scan, test rules. The only module that wires the parts together."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pathspec

from zoho_v1_audit.config import Config
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
from zoho_v1_audit.options import (
    DEFAULT_MAX_FILE_SIZE,
    RuleChoice,
    ScanOptions,
    ScanRequest,
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
from zoho_v1_audit.scan.detector import detect
from zoho_v1_audit.scan.engine import Progress, record_skips, scan_blobs, scan_files
from zoho_v1_audit.scan.gitsource import GitOptions
from zoho_v1_audit.scan.reader import Reading
from zoho_v1_audit.scan.sources import STDIN, TreeWalker


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


def rules_for(cfg: Config, choice: RuleChoice) -> RuleSet:
    """Built-in rules, the configuration's and the command line's, minus the disabled ones."""
    ruleset = load_ruleset((*cfg.rules, *choice.files), engine=choice.engine or DEFAULT_ENGINE)
    cfg.check_rule_ids(rule.id for rule in ruleset.rules)
    disabled = (*cfg.disable, *choice.disable)
    return ruleset.without(disabled) if disabled else ruleset


class _Run:
    """What every scan shares: its clock, counters, warnings and aggregator, and its result."""

    def __init__(self, suppressions: Suppressions) -> None:
        self.started = datetime.now(UTC).isoformat(timespec="seconds")
        self.clock = time.perf_counter()
        self.stats, self.warnings = Stats(), list[ScanWarning]()
        self.aggregator = Aggregator(self.stats, suppressions)

    def finish(self) -> tuple[list[Finding], list[Secret]]:
        """The aggregated findings and secrets; a warning when passwords got one-off ids."""
        before = SECRET_IDS.one_off
        findings, secrets = self.aggregator.finish()
        self.warnings += self.aggregator.warnings
        one_off = SECRET_IDS.one_off - before
        if one_off:
            self.warnings.append(
                ScanWarning(
                    ".",
                    f"{one_off} passwords or other low-entropy secrets beyond the first "
                    f"{SLOW_IDS} got ids valid for this result only: they match no baseline "
                    "and merge with no other result",
                )
            )
        return findings, secrets

    def result(
        self, roots: list[str], mode: str, findings: list[Finding], secrets: list[Secret]
    ) -> ScanResult:
        return ScanResult(
            roots=roots,
            mode=mode,
            started_at=self.started,
            duration_s=time.perf_counter() - self.clock,
            stats=self.stats,
            findings=findings,
            secrets=secrets,
            warnings=sorted(self.warnings, key=lambda w: w.path),
        )


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
    run = _Run(options.suppressions)
    walker = TreeWalker(
        options.paths,
        excludes=options.excludes,
        respect_gitignore=options.respect_gitignore,
        stdin_name=options.stdin_name,
    )
    included = _path_filter((), options.includes)
    scan_files(
        (task for task in walker if _wanted(included, task.path, run.stats)),
        rules,
        run.aggregator,
        run.warnings,
        reading=Reading(options.max_file_size, options.archives, options.excludes),
        jobs=options.jobs,
        progress=progress,
    )
    record_skips(walker.skips, run.stats, run.warnings)
    return run.result([p.as_posix() for p in options.paths], "tree", *run.finish())


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
    run = _Run(options.suppressions)
    # Removals are dated from the deleted lines seen on the way when the scan reads HEAD's history.
    with contextlib.closing(DeletedLines()) as spool:
        deleted = spool if git.reads_head else None
        size = options.max_file_size
        if git.staged:
            blobs = iter_staged_blobs(root, run.stats, run.warnings, max_size=size)
        else:
            blobs = iter_history_blobs(
                root, git, run.stats, run.warnings, max_size=size, deleted=deleted
            )
        wanted = _path_filter(options.excludes, options.includes)
        first = next(blobs, None)  # git is running from here on
        rules = rules_loader()
        chained = itertools.chain([first] if first is not None else [], blobs)
        kept = (blob for blob in chained if _wanted(wanted, blob.path, run.stats))
        scan_blobs(kept, rules, run.aggregator, progress)
        findings, secrets = run.finish()
        if not git.staged:
            findings = mark_head_state(scan_dir(root), findings, secrets, run.warnings, deleted)
    return run.result([root.as_posix()], "staged" if git.staged else "git", findings, secrets)


def scan(
    options: ScanOptions,
    history: GitOptions | None,
    rules_loader: Callable[[], RuleSet],
    progress: Progress | None = None,
) -> ScanResult:
    """A working-tree scan, or (with `history`) a scan of the changes it names."""
    if history is not None:
        return scan_git(options, history, rules_loader, progress)
    return scan_tree(options, rules_loader(), progress)


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


def document(
    result: ScanResult, *, rules: RuleSet, show_secrets: bool, owners: Path | None
) -> Document:
    """The JSON document of a result produced with `rules`, with code owners filled in when a
    CODEOWNERS file is known."""
    from zoho_v1_audit.report.owners import annotate_owners

    doc = to_document(result, rules=rules.rules, show_secrets=show_secrets)
    root = Path(result.roots[0]) if len(result.roots) == 1 else Path(".")
    annotate_owners(doc, root if root.is_dir() else root.parent, owners)
    return doc


def exit_code(doc: Document, threshold: Severity | None) -> ExitCode:
    """FINDINGS when a finding is at or above the threshold (None: never)."""
    if threshold is None:
        return ExitCode.CLEAN
    worst = max((Severity(f["severity"]).rank for f in doc["findings"]), default=-1)
    return ExitCode.FINDINGS if worst >= threshold.rank else ExitCode.CLEAN


@dataclass(slots=True)
class Outcome:
    """A finished scan: its result document, and what the run must say on the way out."""

    doc: Document
    notices: list[str]  # configuration warnings, for the terminal when the report is elsewhere
    code: ExitCode


def run_scan(request: ScanRequest, *, interactive: bool) -> Outcome:
    """Scan, record the configuration, verify when asked, and build the result document."""
    from zoho_v1_audit.progress import scan_progress
    from zoho_v1_audit.provenance import attach, describe

    cfg = request.config
    ruleset = functools.cache(functools.partial(rules_for, cfg, request.rules))
    with scan_progress(enabled=interactive) as progress:
        result = scan(request.scan, request.history, ruleset, progress)
    record = describe(
        cfg,
        ruleset(),
        repo_config=request.repo_config,
        cli_disable=request.rules.disable,
        cli_exclude=request.excludes_given,
        cli_overrides=request.overrides,
        default_max_size=DEFAULT_MAX_FILE_SIZE,
    )
    notices = attach(result, record, str(cfg.source))
    if request.verify is not None:
        from zoho_v1_audit.verify import verify_secrets

        result.verification = verify_secrets(result.secrets, request.verify, progress=interactive)
    doc = document(
        result, rules=ruleset(), show_secrets=request.output.show_secrets, owners=request.owners
    )
    if request.remote is not None:
        doc["scan"]["roots"] = [request.remote]
    return Outcome(doc, notices, exit_code(doc, request.output.threshold))
