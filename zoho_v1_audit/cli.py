"""Command line: parse options, call the app, write outputs, exit with the documented code."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import os
import signal
import sys
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from zoho_v1_audit import __version__
from zoho_v1_audit.baseline import DEFAULT_NAME as BASELINE_NAME
from zoho_v1_audit.errors import AuditError, ExitCode, UsageError
from zoho_v1_audit.models import Severity
from zoho_v1_audit.ruleset import DEFAULT_ENGINE

if TYPE_CHECKING:
    from zoho_v1_audit.app import ScanOptions
    from zoho_v1_audit.config import Config
    from zoho_v1_audit.report import OutputFormat, RenderOptions
    from zoho_v1_audit.report.json import Document
    from zoho_v1_audit.ruleset import RuleSet

app = typer.Typer(
    name="zoho-v1-audit",
    help="Find retired Zoho CRM API v1 calls and hard-coded authtokens, check which tokens are live, and plan the migration.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
rules_app = typer.Typer(help="List and test the detection rules.", no_args_is_help=True)
app.add_typer(rules_app, name="rules")
baseline_app = typer.Typer(
    help="Record today's findings so that scans report only new ones.", no_args_is_help=True
)
app.add_typer(baseline_app, name="baseline")


_WHAT, _HISTORY, _OUTPUT = "What to scan", "Git history", "Output"
_VERIFY, _SUPPRESS = "Verification", "Suppression and configuration"
_EXIT_CODES = (
    "Exit codes: 0 nothing at or above --fail-on; 1 findings at or above it "
    "(a pre-commit hook blocks the commit); 2 usage, configuration or git error; 130 interrupted."
)
_VERIFY_ONLY = (
    "--dc",
    "--api-base",
    "--verify-timeout",
    "--verify-concurrency",
    "--verify-deadline",
)


def _warn(message: str, prefix: str = "zoho-v1-audit: warning: ") -> None:
    typer.echo(f"{prefix}{message}", err=True)


def _fail(message: str, code: ExitCode = ExitCode.USAGE) -> NoReturn:
    from zoho_v1_audit.redact import display

    typer.echo(f"zoho-v1-audit: error: {display(message)}", err=True)
    raise typer.Exit(code)


@contextlib.contextmanager
def _errors() -> Iterator[None]:
    """Turn known errors and interrupts into one line on stderr and an exit code."""
    try:
        yield
    except AuditError as exc:
        _fail(str(exc), exc.exit_code)
    except BrokenPipeError:
        raise
    except OSError as exc:  # the machine's, not ours: a full disk, too many open files
        where = f": {exc.filename}" if exc.filename else ""
        _fail(f"{exc.strerror or exc}{where}", ExitCode.USAGE)
    except KeyboardInterrupt:
        typer.echo("zoho-v1-audit: interrupted", err=True)
        raise typer.Exit(ExitCode.INTERRUPTED) from None


def _version(value: bool) -> None:
    if value:
        typer.echo(f"zoho-v1-audit {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option("--version", "-V", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Audit code for the retired Zoho CRM API v1."""


def _fail_on(value: str) -> Severity | None:
    if value == "never":
        return None
    try:
        return Severity(value)
    except ValueError:
        raise UsageError(
            f"--fail-on must be one of: {', '.join(s.value for s in Severity)}, never"
        ) from None


def _stdout_format(value: str | None) -> OutputFormat:
    from zoho_v1_audit.report import OutputFormat

    try:
        return OutputFormat(value or "text")
    except ValueError:
        raise UsageError(
            f"--format must be one of: {', '.join(f.value for f in OutputFormat)}"
        ) from None


def _render_options(
    title: str | None, repo_url: str | None, template: Path | None
) -> RenderOptions:
    """Presentation options, checked before any work so that a typo costs nothing."""
    from zoho_v1_audit.report import DEFAULT_TITLE, RenderOptions
    from zoho_v1_audit.report.links import LinkTemplate

    if repo_url:
        LinkTemplate(repo_url)
    return RenderOptions(
        title=title or DEFAULT_TITLE,
        repo_url=repo_url,
        template=template,
        color=sys.stdout.isatty(),
    )


@app.command(epilog=_EXIT_CODES)
def scan(
    paths: Annotated[
        list[str] | None,
        typer.Argument(
            help="Files, directories or archives to scan; - reads standard input; or a git URL.",
            show_default=".",
        ),
    ] = None,
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            "-f",
            help="stdout format: text, json, sarif, md, html.",
            rich_help_panel=_OUTPUT,
        ),
    ] = None,
    outputs: Annotated[
        list[Path] | None,
        typer.Option(
            "--output",
            "-o",
            help="Write a report; format from the extension.",
            rich_help_panel=_OUTPUT,
        ),
    ] = None,
    fail_on: Annotated[
        str | None,
        typer.Option(
            help="Exit 1 at or above: critical, high, medium, low, info, never.",
            show_default="low",
            rich_help_panel=_OUTPUT,
        ),
    ] = None,
    exclude: Annotated[
        list[str] | None,
        typer.Option(help="Skip paths matching a gitignore-style glob.", rich_help_panel=_WHAT),
    ] = None,
    respect_gitignore: Annotated[
        bool,
        typer.Option(
            "--respect-gitignore", help="Skip what .gitignore files exclude.", rich_help_panel=_WHAT
        ),
    ] = False,
    max_file_size: Annotated[
        str | None,
        typer.Option(help="Skip larger files.", show_default="10MB", rich_help_panel=_WHAT),
    ] = None,
    jobs: Annotated[
        int | None,
        typer.Option(
            "--jobs",
            "-j",
            min=1,
            help="Worker processes (default: all cores).",
            rich_help_panel=_WHAT,
        ),
    ] = None,
    rules: Annotated[
        list[Path] | None,
        typer.Option("--rules", help="Extra rule file or directory.", rich_help_panel=_WHAT),
    ] = None,
    disable: Annotated[
        list[str] | None, typer.Option(help="Turn a rule off (rule id).", rich_help_panel=_SUPPRESS)
    ] = None,
    engine: Annotated[
        str,
        typer.Option(
            help="Engine: python (exact), hyperscan (experimental), auto.", rich_help_panel=_WHAT
        ),
    ] = DEFAULT_ENGINE,
    show_secrets: Annotated[
        bool,
        typer.Option(
            "--show-secrets",
            help="Full secret values in JSON and terminal.",
            rich_help_panel=_OUTPUT,
        ),
    ] = False,
    verify: Annotated[
        bool,
        typer.Option("--verify", help="Ask Zoho which tokens are live.", rich_help_panel=_VERIFY),
    ] = False,
    dc: Annotated[
        str | None,
        typer.Option(
            help="Data centre to try first: com, eu, in, cn, au, jp.",
            show_default="com",
            rich_help_panel=_VERIFY,
        ),
    ] = None,
    api_base: Annotated[
        list[str] | None,
        typer.Option(help="Base URL, or DC=URL, to send probes to.", rich_help_panel=_VERIFY),
    ] = None,
    verify_timeout: Annotated[
        float | None,
        typer.Option(
            min=0.1, help="Seconds per request.", show_default="10", rich_help_panel=_VERIFY
        ),
    ] = None,
    verify_concurrency: Annotated[
        int | None,
        typer.Option(
            min=1, max=32, help="Requests in flight.", show_default="4", rich_help_panel=_VERIFY
        ),
    ] = None,
    verify_deadline: Annotated[
        float | None,
        typer.Option(
            min=0.1,
            help="Seconds for all of it; later: unknown.",
            show_default="600",
            rich_help_panel=_VERIFY,
        ),
    ] = None,
    owners: Annotated[
        Path | None,
        typer.Option(help="CODEOWNERS file (default: the repo's).", rich_help_panel=_OUTPUT),
    ] = None,
    repo_url: Annotated[
        str | None,
        typer.Option(
            help="Link places, e.g. https://h/{commit}/{path}#L{line}",
            rich_help_panel=_OUTPUT,
        ),
    ] = None,
    title: Annotated[
        str | None, typer.Option(help="Report title.", rich_help_panel=_OUTPUT)
    ] = None,
    template: Annotated[
        Path | None,
        typer.Option(help="Your own Jinja template (html, md).", rich_help_panel=_OUTPUT),
    ] = None,
    git: Annotated[
        bool,
        typer.Option("--git", help="Scan the lines every commit added.", rich_help_panel=_HISTORY),
    ] = False,
    since: Annotated[
        str | None,
        typer.Option(help="Only the commits after this revision.", rich_help_panel=_HISTORY),
    ] = None,
    rev_range: Annotated[
        str | None,
        typer.Option("--range", help="Only a range such as main..HEAD.", rich_help_panel=_HISTORY),
    ] = None,
    all_branches: Annotated[
        bool,
        typer.Option(
            "--all-branches",
            help="Every branch, tag and remote-tracking branch.",
            rich_help_panel=_HISTORY,
        ),
    ] = False,
    staged: Annotated[
        bool,
        typer.Option(
            "--staged", help="Scan what is staged (pre-commit hooks).", rich_help_panel=_HISTORY
        ),
    ] = False,
    baseline: Annotated[
        Path | None,
        typer.Option(help="Report only findings not in this baseline.", rich_help_panel=_SUPPRESS),
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            help="Config file (default: found upwards).",
            rich_help_panel=_SUPPRESS,
        ),
    ] = None,
    no_repo_config: Annotated[
        bool,
        typer.Option(
            "--no-repo-config",
            help="Ignore configuration in the scanned tree.",
            rich_help_panel=_SUPPRESS,
        ),
    ] = False,
    stdin_name: Annotated[
        str, typer.Option(help="Path reported for standard input (-).", rich_help_panel=_WHAT)
    ] = "stdin",
    max_archive_depth: Annotated[
        int,
        typer.Option(min=0, help="Nested archives opened (0: none).", rich_help_panel=_WHAT),
    ] = 4,
    cache_dir: Annotated[
        Path | None,
        typer.Option(
            help="Clones of remote repositories.", show_default=False, rich_help_panel=_WHAT
        ),
    ] = None,
) -> None:
    """Scan files (or git history, or staged changes) for v1 calls, authtokens and OAuth secrets."""
    from zoho_v1_audit import app as use_cases
    from zoho_v1_audit.progress import scan_progress
    from zoho_v1_audit.report import OutputFormat
    from zoho_v1_audit.scan.budget import Limits

    with _errors():
        from zoho_v1_audit.config import load_config

        roots, remote = _targets(paths or ["."], cache_dir, staged)
        cfg = load_config(roots[0], config, repo_config=not no_repo_config)
        threshold = _fail_on(fail_on or cfg.fail_on or "low")
        stdout_format = _stdout_format(fmt)
        targets = [
            (p, OutputFormat.for_path(p, stdout_format if fmt else None)) for p in outputs or []
        ]
        render_options = _render_options(title, repo_url, template)
        given = [
            name
            for name, value in zip(
                _VERIFY_ONLY,
                (dc, api_base, verify_timeout, verify_concurrency, verify_deadline),
                strict=True,
            )
            if value
        ]
        if given and not verify:
            _warn(
                f"{', '.join(given)} {'apply' if len(given) > 1 else 'applies'} only with --verify; ignored"
            )
        verify_options = None
        if verify:
            from zoho_v1_audit.verify import VerifyOptions

            safe = VerifyOptions()
            verify_options = VerifyOptions(
                dc=dc or cfg.verify.dc or safe.dc,
                api_bases=tuple(api_base or cfg.verify.api_base or ()),
                timeout=verify_timeout or cfg.verify.timeout or safe.timeout,
                concurrency=verify_concurrency or cfg.verify.concurrency or safe.concurrency,
                deadline=verify_deadline or cfg.verify.deadline or safe.deadline,
            )
        ruleset = functools.cache(functools.partial(_ruleset, cfg, rules, disable, engine))
        options = _scan_options(cfg, roots, exclude, max_file_size, baseline)
        options = dataclasses.replace(
            options,
            respect_gitignore=respect_gitignore,
            jobs=jobs or os.cpu_count() or 1,
            stdin_name=stdin_name,
            archives=Limits(max_depth=max_archive_depth),
        )
        interactive = sys.stderr.isatty()
        if git or staged:
            if git and staged:
                raise UsageError("--git and --staged cannot be used together")
            history = use_cases.GitOptions(
                staged=staged, since=since, rev_range=rev_range, all_branches=all_branches
            )
            with scan_progress(enabled=interactive) as progress:
                result = use_cases.scan_git(options, history, ruleset, progress)
        elif since or rev_range or all_branches:
            raise UsageError("--since, --range and --all-branches need --git")
        else:
            with scan_progress(enabled=interactive) as progress:
                result = use_cases.scan_tree(options, ruleset(), progress)
        from zoho_v1_audit.provenance import attach, describe
        from zoho_v1_audit.redact import display

        record = describe(
            cfg,
            ruleset(),
            repo_config=not no_repo_config,
            cli_disable=disable or (),
            cli_exclude=exclude or (),
            cli_overrides=[
                name
                for name, given in (("fail_on", fail_on), ("max_file_size", max_file_size))
                if given
            ],
            default_max_size=use_cases.DEFAULT_MAX_FILE_SIZE,
        )
        for message in attach(result, record, str(cfg.source)):
            if targets or stdout_format is not OutputFormat.TEXT:  # else the report shows it
                typer.echo(f"zoho-v1-audit: warning: {display(message)}", err=True)
        if verify_options is not None:
            from zoho_v1_audit.verify import verify_secrets

            result.verification = verify_secrets(
                result.secrets, verify_options, progress=interactive
            )
        doc = use_cases.document(result, show_secrets=show_secrets, owners=owners or cfg.owners)
        if remote is not None:
            doc["scan"]["roots"] = [remote]
        _write_outputs(doc, targets, stdout_format, render_options)
        code = use_cases.exit_code(doc, threshold)
        if staged and code is ExitCode.FINDINGS:
            _warn(_BLOCKED, prefix="")
        raise typer.Exit(code)


_BLOCKED = (
    "zoho-v1-audit: the commit is blocked: remove the findings above from the staged files, or "
    "mark a line `zoho-v1-audit: ignore` when it is not a secret, or record them as known "
    "with `zoho-v1-audit baseline create`; `git commit --no-verify` skips this check once."
)


def _targets(
    paths: list[str], cache_dir: Path | None, staged: bool
) -> tuple[list[Path], str | None]:
    """Local paths to scan, and the URL when the target is a remote repository (cloned first)."""
    from zoho_v1_audit.scan.remote import default_cache_dir, fetch, is_remote

    urls = [p for p in paths if is_remote(p)]
    if not urls:
        for p in paths:
            if p != "-" and os.path.exists(p) and not os.access(p, os.R_OK):
                raise UsageError(f"{p} is not readable")
        return [Path(p) for p in paths], None
    if len(paths) > 1 or staged:
        raise UsageError("a remote repository is scanned alone, and not with --staged")
    return [fetch(urls[0], cache_dir or default_cache_dir())], urls[0]


def _ruleset(
    cfg: Config, rules: list[Path] | None, disable: list[str] | None, engine: str = DEFAULT_ENGINE
) -> RuleSet:
    """Built-in rules, the configuration's and the command line's, minus the disabled ones."""
    from zoho_v1_audit import app as use_cases

    ruleset = use_cases.load_ruleset((*cfg.rules, *(rules or ())), engine=engine)
    cfg.check_rule_ids(rule.id for rule in ruleset.rules)
    disabled = (*cfg.disable, *(disable or ()))
    return ruleset.without(disabled) if disabled else ruleset


def _scan_options(
    cfg: Config,
    paths: list[Path],
    exclude: list[str] | None,
    max_file_size: str | None,
    baseline: Path | None,
) -> ScanOptions:
    """What to read and what to suppress: command-line values over the configuration's."""
    from zoho_v1_audit import app as use_cases
    from zoho_v1_audit.baseline import load_baseline
    from zoho_v1_audit.config import parse_size
    from zoho_v1_audit.scan.aggregate import Suppressions

    return use_cases.ScanOptions(
        paths=tuple(paths),
        excludes=(*cfg.exclude, *(exclude or ())),
        includes=cfg.include,
        max_file_size=parse_size(max_file_size)
        if max_file_size
        else cfg.max_file_size or use_cases.DEFAULT_MAX_FILE_SIZE,
        suppressions=Suppressions(
            allow_patterns=cfg.allow_patterns,
            allow_hashes=cfg.allow_hashes,
            baseline=load_baseline(baseline) if baseline else frozenset(),
        ),
    )


def _write_outputs(
    doc: Document,
    targets: list[tuple[Path, OutputFormat]],
    stdout_format: OutputFormat,
    options: RenderOptions,
) -> None:
    """Render every output first, then write them, so a failed render leaves no file behind."""
    from zoho_v1_audit.output import write_all_atomic
    from zoho_v1_audit.report import render
    from zoho_v1_audit.report.summary import nothing_scanned, summary_line, unreachable

    plain = dataclasses.replace(options, color=False)  # files get no ANSI colours
    rendered = [(path, render(doc, fmt, plain)) for path, fmt in targets]
    private = any("value" in secret for secret in doc["secrets"])  # --show-secrets
    write_all_atomic(rendered, private=private)
    if not targets:
        sys.stdout.write(render(doc, stdout_format, options))
    else:
        typer.echo(f"wrote {', '.join(str(path) for path, _ in targets)}", err=True)
        if empty := nothing_scanned(doc):
            _warn(empty)
        typer.echo(summary_line(doc), err=True)
    if far := unreachable(doc):
        _warn(far)


@app.command()
def report(
    results: Annotated[
        list[Path] | None,
        typer.Argument(help="JSON results of earlier scans; several are merged."),
    ] = None,
    databases: Annotated[
        list[Path] | None,
        typer.Option(
            "--db", help="Audit database: its repositories' latest state and trend (repeatable)."
        ),
    ] = None,
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format", "-f", help="Output format for stdout: text, json, sarif, md, html."
        ),
    ] = None,
    outputs: Annotated[
        list[Path] | None,
        typer.Option(
            "--output",
            "-o",
            help="Write a report here (repeatable; the format comes from the extension).",
        ),
    ] = None,
    owners: Annotated[
        Path | None,
        typer.Option(help="CODEOWNERS file to assign owners again (default: keep the saved ones)."),
    ] = None,
    repo_url: Annotated[
        str | None,
        typer.Option(
            help="Link template for files, e.g. https://github.com/org/{repo}/blob/{commit}/{path}#L{line}."
        ),
    ] = None,
    title: Annotated[str | None, typer.Option(help="Report title.")] = None,
    template: Annotated[
        Path | None, typer.Option(help="Your own Jinja template for html/md output.")
    ] = None,
    fail_on: Annotated[
        str,
        typer.Option(
            help="Exit 1 when a finding is at or above this severity (critical, high, medium, low, info, never)."
        ),
    ] = "never",
) -> None:
    """Render saved JSON results again, merge several (one per repository), or report an audit database."""
    from zoho_v1_audit import app as use_cases
    from zoho_v1_audit.report import OutputFormat
    from zoho_v1_audit.report.merge import load_results

    with _errors():
        threshold = _fail_on(fail_on)
        stdout_format = _stdout_format(fmt)
        targets = [
            (p, OutputFormat.for_path(p, stdout_format if fmt else None)) for p in outputs or []
        ]
        render_options = _render_options(title, repo_url, template)
        if databases:
            from zoho_v1_audit.audit.state import load_state

            doc = load_state(databases, results or [])
        else:
            doc = load_results(results or [])
        if owners is not None:
            from zoho_v1_audit.report.owners import annotate_owners

            annotate_owners(doc, Path("."), owners)
        _write_outputs(doc, targets, stdout_format, render_options)
        raise typer.Exit(use_cases.exit_code(doc, threshold))


@app.command("audit")
def audit_command(
    sources: Annotated[
        list[str] | None,
        typer.Argument(help="Repository URLs or paths, or @FILE listing one a line."),
    ] = None,
    database: Annotated[
        Path, typer.Option("--db", help="The audit database (SQLite; created on first use).")
    ] = Path("zoho-v1-audit.db"),
    outputs: Annotated[
        list[Path] | None,
        typer.Option(
            "--output",
            "-o",
            help="Then write a report of the database, as `report --db` does (repeatable).",
        ),
    ] = None,
    github_org: Annotated[
        list[str] | None,
        typer.Option(help="Audit a GitHub organisation's repositories (token: GITHUB_TOKEN)."),
    ] = None,
    gitlab_group: Annotated[
        list[str] | None,
        typer.Option(help="Audit a GitLab group's projects, subgroups included (GITLAB_TOKEN)."),
    ] = None,
    github_api: Annotated[
        str, typer.Option(help="GitHub API base (GitHub Enterprise: https://HOST/api/v3).")
    ] = "https://api.github.com",
    gitlab_api: Annotated[
        str, typer.Option(help="GitLab API base (self-hosted: https://HOST/api/v4).")
    ] = "https://gitlab.com/api/v4",
    archived: Annotated[
        bool, typer.Option(help="With --github-org/--gitlab-group: include archived repositories.")
    ] = True,
    forks: Annotated[
        bool, typer.Option(help="With --github-org/--gitlab-group: include forks.")
    ] = False,
    shard: Annotated[
        str | None,
        typer.Option(help="I/N: audit only shard I of N (a stable hash of each repository)."),
    ] = None,
    git: Annotated[
        bool, typer.Option("--git", help="Scan each repository's history, not just HEAD.")
    ] = False,
    jobs: Annotated[
        int, typer.Option("--jobs", "-j", min=1, max=64, help="Repositories at once.")
    ] = 4,
    cache_dir: Annotated[
        Path | None,
        typer.Option(help="Where repositories are cloned.", show_default="user cache dir"),
    ] = None,
    fail_on: Annotated[
        str,
        typer.Option(
            help="Exit 1 when a finding is at or above this severity (critical, high, medium, low, info, never)."
        ),
    ] = "never",
    exclude: Annotated[
        list[str] | None,
        typer.Option(help="Skip paths matching this gitignore-style glob (repeatable)."),
    ] = None,
    max_file_size: Annotated[
        str | None, typer.Option(help="Skip files larger than this.", show_default="10MB")
    ] = None,
    rules: Annotated[
        list[Path] | None,
        typer.Option("--rules", help="Extra rule file or directory (repeatable)."),
    ] = None,
    disable: Annotated[
        list[str] | None, typer.Option(help="Rule id to turn off (repeatable).")
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option("--config", help="Configuration file (none is read from the repositories)."),
    ] = None,
    owners: Annotated[
        Path | None,
        typer.Option(help="CODEOWNERS file for every repository (default: each one's own)."),
    ] = None,
    verify: Annotated[
        bool, typer.Option(help="Ask Zoho whether each hard-coded token is still live.")
    ] = False,
    api_base: Annotated[
        list[str] | None,
        typer.Option(
            help="Verification base URL, or DC=URL (repeatable); default: Zoho's official hosts."
        ),
    ] = None,
    dc: Annotated[
        str, typer.Option(help="Data centre to try first when no v1 URL names one.")
    ] = "com",
) -> None:
    """Audit many repositories into a database that remembers every run (see `report --db`)."""
    from zoho_v1_audit.audit.db import open_db
    from zoho_v1_audit.audit.display import Display
    from zoho_v1_audit.audit.forges import Listing, github_repos, gitlab_projects
    from zoho_v1_audit.audit.run import AuditOptions, run_audit
    from zoho_v1_audit.audit.sources import in_shard, parse_shard, parse_sources
    from zoho_v1_audit.config import Config, load_config
    from zoho_v1_audit.report import OutputFormat
    from zoho_v1_audit.scan.remote import default_cache_dir

    with _errors():
        threshold = _fail_on(fail_on)
        part = parse_shard(shard) if shard else None
        reports = [(p, OutputFormat.for_path(p)) for p in outputs or []]
        cfg = load_config(Path("."), config) if config else Config()
        verify_options = None
        if verify:
            from zoho_v1_audit.verify import VerifyOptions

            verify_options = VerifyOptions(dc=dc, api_bases=tuple(api_base or ()))
        ruleset = _ruleset(cfg, rules, disable)
        targets = list(sources or [])
        listing = Listing(archived=archived, forks=forks)
        for org in github_org or ():
            targets += github_repos(org, github_api, listing)
        for group in gitlab_group or ():
            targets += gitlab_projects(group, gitlab_api, listing)
        chosen = in_shard(parse_sources(targets), part)
        if not targets:
            raise UsageError(
                "nothing to audit: give repositories, @FILE, --github-org or --gitlab-group"
            )
        options = AuditOptions(
            scan=_scan_options(cfg, [], exclude, max_file_size, None),
            cache_dir=cache_dir or default_cache_dir(),
            history=git,
            jobs=jobs,
            verify=verify_options,
            owners=owners or cfg.owners,
        )
        os.environ.setdefault("GIT_TERMINAL_PROMPT", "0")  # unattended: never wait for a password
        conn = open_db(database, create=True)
        try:
            with Display(live=sys.stderr.isatty()) as display:
                summary = run_audit(conn, chosen, ruleset, options, display)
        finally:
            conn.close()
        resumed = f"resumed run {summary.run_id}" if summary.resumed else f"run {summary.run_id}"
        typer.echo(
            f"{resumed}: {summary.scanned} scanned, {summary.unchanged} unchanged, "
            f"{summary.failed} failed; recorded in {database}",
            err=True,
        )
        if reports:
            from zoho_v1_audit.audit.state import load_state

            doc = load_state([database], [])
            _write_outputs(doc, reports, OutputFormat.TEXT, _render_options(None, None, None))
    raise typer.Exit(summary.exit_code(threshold))


@baseline_app.command("create")
def baseline_create(
    path: Annotated[Path, typer.Argument(help="Directory to scan.")] = Path("."),
    output: Annotated[Path, typer.Option("--output", "-o", help="Baseline file to write.")] = Path(
        BASELINE_NAME
    ),
    exclude: Annotated[
        list[str] | None,
        typer.Option(help="Skip paths matching this gitignore-style glob (repeatable)."),
    ] = None,
    rules: Annotated[
        list[Path] | None,
        typer.Option("--rules", help="Extra rule file or directory (repeatable)."),
    ] = None,
    disable: Annotated[
        list[str] | None, typer.Option(help="Rule id to turn off (repeatable).")
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option("--config", help="Configuration file (default: searched upwards)."),
    ] = None,
    force: Annotated[
        bool, typer.Option(help="Overwrite an output file that is not a baseline.")
    ] = False,
    no_repo_config: Annotated[
        bool,
        typer.Option(
            "--no-repo-config", help="Ignore every configuration file found in the scanned tree."
        ),
    ] = False,
) -> None:
    """Scan PATH and record the fingerprints of its findings (no secrets, no line numbers)."""
    from zoho_v1_audit import app as use_cases
    from zoho_v1_audit.baseline import check_replaceable, render_baseline
    from zoho_v1_audit.config import load_config
    from zoho_v1_audit.output import write_atomic

    with _errors():
        if not force:
            check_replaceable(output)
        cfg = load_config(path, config, repo_config=not no_repo_config)
        ruleset = _ruleset(cfg, rules, disable)
        result = use_cases.scan_tree(_scan_options(cfg, [path], exclude, None, None), ruleset)
        written = render_baseline(result.findings)
        write_atomic(output, written)
    from zoho_v1_audit.report.summary import plural

    entries = len({f.fingerprint for f in result.findings})
    found = plural(len(result.findings), "finding")
    typer.echo(f"wrote {plural(entries, 'entry', 'entries')} for {found} to {output}", err=True)


@app.command("install-hook")
def install_hook(
    path: Annotated[Path, typer.Argument(help="A directory of the repository.")] = Path("."),
    force: Annotated[
        bool,
        typer.Option(
            help="Replace a hook that zoho-v1-audit did not write (kept as pre-commit.bak)."
        ),
    ] = False,
) -> None:
    """Install a git pre-commit hook that runs `scan --staged` (offline) before each commit."""
    from zoho_v1_audit.hooks import install_hook as install

    with _errors():
        done = install(path, force=force)
    kept = f"; the old hook is kept as {done.backup}" if done.backup else ""
    typer.echo(f"{done.action} the pre-commit hook at {done.path}{kept}", err=True)


@rules_app.command("list")
def rules_list(
    rules: Annotated[
        list[Path] | None,
        typer.Option("--rules", help="Extra rule file or directory (repeatable)."),
    ] = None,
    engine: Annotated[
        str,
        typer.Option(
            help="Matching engine: python (exact), hyperscan (compiled, experimental) or auto "
            "(Hyperscan where installed)."
        ),
    ] = DEFAULT_ENGINE,
) -> None:
    """Show every rule: id, category, severity, title and the engine that runs it."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from zoho_v1_audit import app as use_cases
    from zoho_v1_audit.redact import display
    from zoho_v1_audit.scan.prefilter import search_for

    with _errors():
        ruleset = use_cases.load_ruleset(tuple(rules or ()), engine=engine)
    engines = search_for(ruleset).engines()
    table = Table(show_edge=False, box=None)
    for name in ("id", "category", "severity", "title", "engine"):
        table.add_column(name, overflow="fold")
    for rule, runs_on in zip(ruleset.rules, engines, strict=True):
        table.add_row(
            rule.id, rule.category.value, rule.severity.value, Text(display(rule.title)), runs_on
        )
    Console(width=160).print(table)


@rules_app.command("test")
def rules_test(
    files: Annotated[
        list[Path] | None, typer.Argument(help="Rule files to test (default: the built-in rules).")
    ] = None,
) -> None:
    """Run every rule's own examples; exit 1 when one does not behave as declared."""
    from zoho_v1_audit import app as use_cases
    from zoho_v1_audit.redact import display
    from zoho_v1_audit.ruleset import builtin_rules_dir, load_rules

    def show(failure: use_cases.ExampleFailure) -> None:
        want = "should match" if failure.expected_match else "should not match"
        typer.echo(
            display(
                f"FAIL {failure.rule.id} ({failure.rule.source}): {want}: {failure.example!r} "
                f"-> reported {failure.got or 'nothing'}"
            ),
            err=True,
        )

    with _errors():
        ruleset = load_rules([builtin_rules_dir(), *(files or [])])
        ran, failed = use_cases.check_rule_examples(ruleset, show)
    typer.echo(f"{ran - failed} passed, {failed} failed")
    raise typer.Exit(ExitCode.FINDINGS if failed else ExitCode.CLEAN)


def _interrupt(signum: int, frame: object) -> NoReturn:
    raise KeyboardInterrupt


def _close_options(exc: Exception) -> None:
    """Suggest only options close to a mistyped one: the parser's default suggests far ones."""
    name, offered = getattr(exc, "option_name", None), getattr(exc, "possibilities", None)
    if isinstance(name, str) and offered:
        import difflib

        bare = {option.lstrip("-"): option for option in offered}
        close = difflib.get_close_matches(name.lstrip("-"), list(bare), n=3, cutoff=0.75)
        exc.possibilities = [bare[option] for option in close]  # type: ignore[attr-defined]


def main() -> None:
    """Console-script entry point: exit codes 0, 1, 2 and 130 whatever happens.

    SIGTERM and SIGHUP end the run as Ctrl-C does: temporary files are removed and worker
    processes stopped before the exit.
    """
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _interrupt)
    try:
        code = app(standalone_mode=False)
    except (typer.Abort, KeyboardInterrupt):
        typer.echo("zoho-v1-audit: interrupted", err=True)
        sys.exit(ExitCode.INTERRUPTED)
    except typer.TyperException as exc:  # the parser's usage errors
        _close_options(exc)
        show = getattr(exc, "show", None)
        if show is not None:
            show()
        else:
            typer.echo(f"zoho-v1-audit: error: {exc.format_message()}", err=True)
        sys.exit(ExitCode.USAGE)
    except Exception as exc:  # a bug: say so without a traceback that could quote scanned data
        where = traceback.extract_tb(exc.__traceback__)[-1]
        typer.echo(
            f"zoho-v1-audit: internal error: {type(exc).__name__} at "
            f"{Path(where.filename).name}:{where.lineno}; please report it",
            err=True,
        )
        sys.exit(ExitCode.USAGE)
    sys.exit(code if isinstance(code, int) else ExitCode.CLEAN)
