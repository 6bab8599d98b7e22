"""Command line and configuration, resolved once into the typed options a run works with.

Each default lives here or on the option class it belongs to (`VerifyOptions`, `Limits`); the
command line's help reads them from there.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from zoho_v1_audit.config import FAIL_ON_CHOICES, NEVER, Config, parse_size
from zoho_v1_audit.errors import UsageError
from zoho_v1_audit.models import Severity
from zoho_v1_audit.report import DEFAULT_TITLE, OutputFormat, RenderOptions
from zoho_v1_audit.scan.aggregate import Suppressions
from zoho_v1_audit.scan.budget import Limits
from zoho_v1_audit.scan.gitsource import GitOptions

if TYPE_CHECKING:
    from zoho_v1_audit.verify.options import VerifyOptions

DEFAULT_MAX_FILE_SIZE = 10 * 1024 * 1024
DEFAULT_FAIL_ON = "low"  # scan; `report` and `audit` never fail unless asked
STDIN_NAME = "stdin"


def size_label(size: int) -> str:
    """`10MB` for 10 MiB: how help texts show a size default."""
    return f"{size // 2**20}MB" if size % 2**20 == 0 else f"{size}B"


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
    stdin_name: str = STDIN_NAME  # how reports name standard input (`-`)
    archives: Limits = field(default_factory=Limits)


@dataclass(frozen=True, slots=True)
class OutputOptions:
    """Where results go, how they look, and when the run fails."""

    targets: tuple[tuple[Path, OutputFormat], ...] = ()
    stdout: OutputFormat = OutputFormat.TEXT
    render: RenderOptions = field(default_factory=RenderOptions)
    threshold: Severity | None = None  # exit 1 at or above it; None: never
    show_secrets: bool = False


@dataclass(frozen=True, slots=True)
class RuleChoice:
    """Which rules run: extra rule files, rule ids turned off, and the matching engine."""

    files: tuple[Path, ...] = ()
    disable: tuple[str, ...] = ()
    engine: str | None = None  # None: the default engine


def threshold(value: str) -> Severity | None:
    """The severity a `--fail-on` value names; None for `never`."""
    if value not in FAIL_ON_CHOICES:
        raise UsageError(f"--fail-on must be one of: {', '.join(FAIL_ON_CHOICES)}")
    return None if value == NEVER else Severity(value)


def output_format(value: str | None) -> OutputFormat | None:
    """The format a `--format` value names."""
    try:
        return None if value is None else OutputFormat(value)
    except ValueError:
        raise UsageError(f"--format must be one of: {', '.join(OutputFormat)}") from None


def output_options(
    outputs: list[Path] | None,
    fmt: str | None,
    *,
    fail_on: str,
    title: str | None = None,
    repo_url: str | None = None,
    template: Path | None = None,
    show_secrets: bool = False,
) -> OutputOptions:
    """Output options, checked before any work so that a typo costs nothing."""
    from zoho_v1_audit.report.links import LinkTemplate

    if repo_url:
        LinkTemplate(repo_url)
    given = output_format(fmt)
    return OutputOptions(
        targets=tuple((path, OutputFormat.for_path(path, given)) for path in outputs or ()),
        stdout=given or OutputFormat.TEXT,
        render=RenderOptions(
            title=title or DEFAULT_TITLE,
            repo_url=repo_url,
            template=template,
            color=sys.stdout.isatty(),
        ),
        threshold=threshold(fail_on),
        show_secrets=show_secrets,
    )


def scan_options(
    cfg: Config,
    paths: list[Path],
    *,
    exclude: list[str] | None = None,
    max_file_size: str | None = None,
    baseline: Path | None = None,
) -> ScanOptions:
    """What to read and what to suppress: command-line values over the configuration's."""
    from zoho_v1_audit.baseline import load_baseline

    return ScanOptions(
        paths=tuple(paths),
        excludes=(*cfg.exclude, *(exclude or ())),
        includes=cfg.include,
        max_file_size=parse_size(max_file_size)
        if max_file_size
        else cfg.max_file_size or DEFAULT_MAX_FILE_SIZE,
        suppressions=Suppressions(
            allow_patterns=cfg.allow_patterns,
            allow_hashes=cfg.allow_hashes,
            baseline=load_baseline(baseline) if baseline else frozenset(),
        ),
    )


@dataclass(frozen=True, slots=True)
class VerifyArgs:
    """Verification values from the command line; None where it said nothing."""

    dc: str | None = None
    api_base: tuple[str, ...] = ()
    timeout: float | None = None
    concurrency: int | None = None
    deadline: float | None = None

    def given(self) -> list[str]:
        """The options given, by flag name."""
        named = {
            "--dc": self.dc,
            "--api-base": self.api_base,
            "--verify-timeout": self.timeout,
            "--verify-concurrency": self.concurrency,
            "--verify-deadline": self.deadline,
        }
        return [flag for flag, value in named.items() if value]


def verify_options(args: VerifyArgs, cfg: Config) -> VerifyOptions:
    """Command line over configuration over the defaults, validated once."""
    from zoho_v1_audit.verify.options import VerifyOptions

    safe, file = VerifyOptions(), cfg.verify
    return VerifyOptions(
        dc=args.dc or file.dc or safe.dc,
        api_bases=args.api_base or file.api_base or (),
        timeout=args.timeout or file.timeout or safe.timeout,
        concurrency=args.concurrency or file.concurrency or safe.concurrency,
        deadline=args.deadline or file.deadline or safe.deadline,
    )


@dataclass(frozen=True, slots=True)
class ScanArgs:
    """`scan`'s command line as given: None, empty or false where the user said nothing."""

    paths: list[str] | None
    fmt: str | None
    outputs: list[Path] | None
    fail_on: str | None
    exclude: list[str] | None
    respect_gitignore: bool
    max_file_size: str | None
    jobs: int | None
    rules: list[Path] | None
    disable: list[str] | None
    engine: str | None
    show_secrets: bool
    verify: bool
    dc: str | None
    api_base: list[str] | None
    verify_timeout: float | None
    verify_concurrency: int | None
    verify_deadline: float | None
    owners: Path | None
    repo_url: str | None
    title: str | None
    template: Path | None
    git: bool
    since: str | None
    rev_range: str | None
    all_branches: bool
    staged: bool
    baseline: Path | None
    config: Path | None
    no_repo_config: bool
    stdin_name: str
    max_archive_depth: int
    cache_dir: Path | None

    @property
    def verify_args(self) -> VerifyArgs:
        return VerifyArgs(
            self.dc,
            tuple(self.api_base or ()),
            self.verify_timeout,
            self.verify_concurrency,
            self.verify_deadline,
        )


@dataclass(frozen=True, slots=True)
class ScanRequest:
    """A scan, resolved: what to read, which rules, whether to verify, where results go."""

    scan: ScanOptions
    history: GitOptions | None  # None: the working tree
    rules: RuleChoice
    verify: VerifyOptions | None
    output: OutputOptions
    config: Config
    repo_config: bool  # false: configuration in the scanned tree is ignored
    overrides: tuple[str, ...]  # configuration settings the command line replaced
    excludes_given: tuple[str, ...]  # --exclude globs, recorded with the configuration
    owners: Path | None
    remote: str | None  # the URL when a remote repository was cloned to scan


def _history(args: ScanArgs) -> GitOptions | None:
    if args.git and args.staged:
        raise UsageError("--git and --staged cannot be used together")
    if not (args.git or args.staged):
        if args.since or args.rev_range or args.all_branches:
            raise UsageError("--since, --range and --all-branches need --git")
        return None
    return GitOptions(args.staged, args.since, args.rev_range, args.all_branches)


def _targets(args: ScanArgs) -> tuple[list[Path], str | None]:
    """Local paths to scan, and the URL when the target is a remote repository (cloned first)."""
    from zoho_v1_audit.scan.remote import default_cache_dir, fetch, is_remote

    paths = args.paths or ["."]
    urls = [p for p in paths if is_remote(p)]
    if not urls:
        for p in paths:
            if p != "-" and os.path.exists(p) and not os.access(p, os.R_OK):
                raise UsageError(f"{p} is not readable")
        return [Path(p) for p in paths], None
    if len(paths) > 1 or args.staged:
        raise UsageError("a remote repository is scanned alone, and not with --staged")
    return [fetch(urls[0], args.cache_dir or default_cache_dir())], urls[0]


def resolve_scan(args: ScanArgs) -> ScanRequest:
    """Check the command line, read the configuration, and settle every option once.

    Cheap checks come first, so that a typo costs nothing; a remote target is cloned before its
    configuration is read.
    """
    history = _history(args)
    output = output_options(
        args.outputs,
        args.fmt,
        fail_on=args.fail_on or DEFAULT_FAIL_ON,
        title=args.title,
        repo_url=args.repo_url,
        template=args.template,
        show_secrets=args.show_secrets,
    )
    roots, remote = _targets(args)
    from zoho_v1_audit.config import load_config

    cfg = load_config(roots[0], args.config, repo_config=not args.no_repo_config)
    if args.fail_on is None and cfg.fail_on is not None:
        output = dataclasses.replace(output, threshold=threshold(cfg.fail_on))
    scan = scan_options(
        cfg, roots, exclude=args.exclude, max_file_size=args.max_file_size, baseline=args.baseline
    )
    return ScanRequest(
        scan=dataclasses.replace(
            scan,
            respect_gitignore=args.respect_gitignore,
            jobs=args.jobs or os.cpu_count() or 1,
            stdin_name=args.stdin_name,
            archives=Limits(max_depth=args.max_archive_depth),
        ),
        history=history,
        rules=RuleChoice(tuple(args.rules or ()), tuple(args.disable or ()), args.engine),
        verify=verify_options(args.verify_args, cfg) if args.verify else None,
        output=output,
        config=cfg,
        repo_config=not args.no_repo_config,
        overrides=tuple(
            name
            for name, given in (("fail_on", args.fail_on), ("max_file_size", args.max_file_size))
            if given
        ),
        excludes_given=tuple(args.exclude or ()),
        owners=args.owners or cfg.owners,
        remote=remote,
    )
