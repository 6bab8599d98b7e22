"""Command line: parse options, call the app, write outputs, exit with the documented code."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import signal
import sys
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from zoho_v1_audit import __version__
from zoho_v1_audit.audit.sources import GITHUB_API, GITLAB_API, PARALLEL_REPOSITORIES, Listing
from zoho_v1_audit.baseline import DEFAULT_NAME as BASELINE_NAME
from zoho_v1_audit.config import FAIL_ON_CHOICES, NEVER
from zoho_v1_audit.datacentres import DATA_CENTRES
from zoho_v1_audit.errors import AuditError, ExitCode
from zoho_v1_audit.options import (
    DEFAULT_FAIL_ON,
    DEFAULT_MAX_FILE_SIZE,
    STDIN_NAME,
    OutputOptions,
    output_options,
    size_label,
    threshold,
)
from zoho_v1_audit.redact import display
from zoho_v1_audit.report import OutputFormat
from zoho_v1_audit.ruleset import DEFAULT_ENGINE, ENGINES
from zoho_v1_audit.scan.budget import Limits
from zoho_v1_audit.verify.options import MAX_CONCURRENCY, VerifyOptions

if TYPE_CHECKING:
    from zoho_v1_audit.audit.run import AuditOptions, Summary
    from zoho_v1_audit.audit.sources import Source
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
# Defaults shown in help, read from the options they belong to.
_SAFE, _LIMITS, _LISTING = VerifyOptions(), Limits(), Listing()


def _warn(message: str, prefix: str = "zoho-v1-audit: warning: ") -> None:
    typer.echo(f"{prefix}{display(message)}", err=True)


def _fail(message: str, code: ExitCode = ExitCode.USAGE) -> NoReturn:
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


def _opt(panel: str, text: str, *names: str, **more: Any) -> Any:
    return typer.Option(*names, help=text, rich_help_panel=panel, **more)


def _fail_on(default: str) -> Any:
    return _opt(_OUTPUT, f"Exit 1 at or above: {', '.join(FAIL_ON_CHOICES)}.", show_default=default)


def _limit(text: str, default: float, low: float, high: float | None = None) -> Any:
    return _opt(_VERIFY, text, min=low, max=high, show_default=f"{default:g}")


# Options that several commands share: declared once, so their names, help and choices agree.
Format = Annotated[
    str | None, _opt(_OUTPUT, f"Format for stdout: {', '.join(OutputFormat)}.", "--format", "-f")
]
Outputs = Annotated[
    list[Path] | None,
    _opt(_OUTPUT, "Write a report; format from the extension.", "--output", "-o"),
]
Owners = Annotated[Path | None, _opt(_OUTPUT, "CODEOWNERS file (default: the repository's).")]
RepoUrl = Annotated[
    str | None, _opt(_OUTPUT, "Link places, e.g. https://h/{commit}/{path}#L{line}")
]
Title = Annotated[str | None, _opt(_OUTPUT, "Report title.")]
Template = Annotated[Path | None, _opt(_OUTPUT, "Your own Jinja template (html, md).")]
Exclude = Annotated[list[str] | None, _opt(_WHAT, "Skip paths matching a gitignore-style glob.")]
MaxFileSize = Annotated[
    str | None,
    _opt(_WHAT, "Skip larger files.", show_default=size_label(DEFAULT_MAX_FILE_SIZE)),
]
Rules = Annotated[list[Path] | None, _opt(_WHAT, "Extra rule file or directory.", "--rules")]
Engine = Annotated[
    str | None,
    _opt(
        _WHAT,
        f"Matching engine: {', '.join(ENGINES)} (python: exact; auto: Hyperscan where installed).",
        show_default=DEFAULT_ENGINE,
    ),
]
Disable = Annotated[list[str] | None, _opt(_SUPPRESS, "Turn a rule off (rule id).")]
ConfigFile = Annotated[Path | None, _opt(_SUPPRESS, "Configuration file to trust.", "--config")]
NoRepoConfig = Annotated[
    bool, _opt(_SUPPRESS, "Ignore configuration in the scanned tree.", "--no-repo-config")
]
CacheDir = Annotated[Path | None, _opt(_WHAT, "Clones of remote repositories.", show_default=False)]
Verify = Annotated[bool, _opt(_VERIFY, "Ask Zoho which tokens are live.", "--verify")]
DataCentre = Annotated[
    str | None,
    _opt(_VERIFY, f"Data centre to try first: {', '.join(DATA_CENTRES)}.", show_default=_SAFE.dc),
]
ApiBase = Annotated[list[str] | None, _opt(_VERIFY, "Base URL, or DC=URL, to send probes to.")]


# Options of `scan` alone.
ScanPaths = Annotated[
    list[str] | None,
    typer.Argument(
        help="Files, directories or archives to scan; - reads standard input; or a git URL.",
        show_default=".",
    ),
]
RespectGitignore = Annotated[
    bool, _opt(_WHAT, "Skip what .gitignore files exclude.", "--respect-gitignore")
]
Jobs = Annotated[
    int | None, _opt(_WHAT, "Worker processes (default: all cores).", "--jobs", "-j", min=1)
]
ShowSecrets = Annotated[
    bool, _opt(_OUTPUT, "Full secret values in JSON and terminal.", "--show-secrets")
]
VerifyTimeout = Annotated[float | None, _limit("Seconds per request.", _SAFE.timeout, 0.1)]
VerifyConcurrency = Annotated[
    int | None, _limit("Requests in flight.", _SAFE.concurrency, 1, MAX_CONCURRENCY)
]
VerifyDeadline = Annotated[
    float | None, _limit("Seconds for all of it; later: unknown.", _SAFE.deadline, 0.1)
]
Git = Annotated[bool, _opt(_HISTORY, "Scan the lines every commit added.", "--git")]
Since = Annotated[str | None, _opt(_HISTORY, "Only the commits after this revision.")]
RevRange = Annotated[str | None, _opt(_HISTORY, "Only a range such as main..HEAD.", "--range")]
AllBranches = Annotated[
    bool, _opt(_HISTORY, "Every branch, tag and remote-tracking branch.", "--all-branches")
]
Staged = Annotated[bool, _opt(_HISTORY, "Scan what is staged (pre-commit hooks).", "--staged")]
Baseline = Annotated[Path | None, _opt(_SUPPRESS, "Report only findings not in this baseline.")]
StdinName = Annotated[str, _opt(_WHAT, "Path reported for standard input (-).")]
MaxArchiveDepth = Annotated[int, _opt(_WHAT, "Nested archives opened (0: none).", min=0)]


@app.command(epilog=_EXIT_CODES)
def scan(
    paths: ScanPaths = None,
    fmt: Format = None,
    outputs: Outputs = None,
    fail_on: Annotated[str | None, _fail_on(DEFAULT_FAIL_ON)] = None,
    exclude: Exclude = None,
    respect_gitignore: RespectGitignore = False,
    max_file_size: MaxFileSize = None,
    jobs: Jobs = None,
    rules: Rules = None,
    disable: Disable = None,
    engine: Engine = None,
    show_secrets: ShowSecrets = False,
    verify: Verify = False,
    dc: DataCentre = None,
    api_base: ApiBase = None,
    verify_timeout: VerifyTimeout = None,
    verify_concurrency: VerifyConcurrency = None,
    verify_deadline: VerifyDeadline = None,
    owners: Owners = None,
    repo_url: RepoUrl = None,
    title: Title = None,
    template: Template = None,
    git: Git = False,
    since: Since = None,
    rev_range: RevRange = None,
    all_branches: AllBranches = False,
    staged: Staged = False,
    baseline: Baseline = None,
    config: ConfigFile = None,
    no_repo_config: NoRepoConfig = False,
    stdin_name: StdinName = STDIN_NAME,
    max_archive_depth: MaxArchiveDepth = _LIMITS.max_depth,
    cache_dir: CacheDir = None,
) -> None:
    """Scan files (or git history, or staged changes) for v1 calls, authtokens and OAuth secrets."""
    named = dict(locals())  # every parameter above, by name
    from zoho_v1_audit.options import ScanArgs, resolve_scan

    args = ScanArgs(**named)
    with _errors():
        from zoho_v1_audit import app as use_cases

        request = resolve_scan(args)
        if (given := args.verify_args.given()) and not verify:
            verb = "apply" if len(given) > 1 else "applies"
            _warn(f"{', '.join(given)} {verb} only with --verify; ignored")
        outcome = use_cases.run_scan(request, interactive=sys.stderr.isatty())
        if request.output.targets or request.output.stdout is not OutputFormat.TEXT:
            for notice in outcome.notices:  # else the report shows them
                _warn(display(notice))
        _write_outputs(outcome.doc, request.output)
        if staged and outcome.code is ExitCode.FINDINGS:
            _warn(_BLOCKED, prefix="")
    raise typer.Exit(outcome.code)


_BLOCKED = (
    "zoho-v1-audit: the commit is blocked: remove the findings above from the staged files, or "
    "mark a line `zoho-v1-audit: ignore` when it is not a secret, or record them as known "
    "with `zoho-v1-audit baseline create`; `git commit --no-verify` skips this check once."
)


def _write_outputs(doc: Document, output: OutputOptions) -> None:
    """Render every output first, then write them, so a failed render leaves no file behind."""
    from zoho_v1_audit.output import write_all_atomic
    from zoho_v1_audit.report.render import render
    from zoho_v1_audit.report.summary import nothing_scanned, summary_line, unreachable

    plain = dataclasses.replace(output.render, color=False)  # files get no ANSI colours
    rendered = [(path, render(doc, fmt, plain)) for path, fmt in output.targets]
    write_all_atomic(rendered, private=output.show_secrets)
    if not output.targets:
        sys.stdout.write(render(doc, output.stdout, output.render))
    else:
        typer.echo(f"wrote {', '.join(str(path) for path, _ in output.targets)}", err=True)
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
    fmt: Format = None,
    outputs: Outputs = None,
    owners: Owners = None,
    repo_url: RepoUrl = None,
    title: Title = None,
    template: Template = None,
    fail_on: Annotated[str | None, _fail_on(NEVER)] = None,
) -> None:
    """Render saved JSON results again, merge several (one per repository), or report an audit database."""
    from zoho_v1_audit.options import output_options
    from zoho_v1_audit.report.merge import load_results

    with _errors():
        output = output_options(
            outputs,
            fmt,
            fail_on=fail_on or NEVER,
            title=title,
            repo_url=repo_url,
            template=template,
        )
        if databases:
            from zoho_v1_audit.audit.state import load_state

            doc = load_state(databases, results or [])
        else:
            doc = load_results(results or [])
        if owners is not None:
            from zoho_v1_audit.report.owners import annotate_owners

            annotate_owners(doc, Path("."), owners)
        _write_outputs(doc, output)
        from zoho_v1_audit import app as use_cases

        raise typer.Exit(use_cases.exit_code(doc, output.threshold))


# Options of `audit` alone.
AuditSources = Annotated[
    list[str] | None,
    typer.Argument(help="Repository URLs or paths, or @FILE listing one a line."),
]
AuditDatabase = Annotated[
    Path, typer.Option("--db", help="The audit database (SQLite; created on first use).")
]
GithubOrg = Annotated[
    list[str] | None,
    typer.Option(help="Audit a GitHub organisation's repositories (token: GITHUB_TOKEN)."),
]
GitlabGroup = Annotated[
    list[str] | None,
    typer.Option(help="Audit a GitLab group's projects, subgroups included (GITLAB_TOKEN)."),
]
GithubApi = Annotated[
    str, typer.Option(help="GitHub API base (GitHub Enterprise: https://HOST/api/v3).")
]
GitlabApi = Annotated[str, typer.Option(help="GitLab API base (self-hosted: https://HOST/api/v4).")]
Archived = Annotated[
    bool, typer.Option(help="With --github-org/--gitlab-group: include archived repositories.")
]
Forks = Annotated[bool, typer.Option(help="With --github-org/--gitlab-group: include forks.")]
AuditShard = Annotated[
    str | None,
    typer.Option(help="I/N: audit only shard I of N (a stable hash of each repository)."),
]
AuditGit = Annotated[
    bool, typer.Option("--git", help="Scan each repository's history, not just HEAD.")
]
AuditJobs = Annotated[
    int, typer.Option("--jobs", "-j", min=1, max=64, help="Repositories at once.")
]


@app.command("audit")
def audit_command(
    sources: AuditSources = None,
    database: AuditDatabase = Path("zoho-v1-audit.db"),
    outputs: Outputs = None,
    github_org: GithubOrg = None,
    gitlab_group: GitlabGroup = None,
    github_api: GithubApi = GITHUB_API,
    fail_on: Annotated[str | None, _fail_on(NEVER)] = None,
    gitlab_api: GitlabApi = GITLAB_API,
    archived: Archived = _LISTING.archived,
    forks: Forks = _LISTING.forks,
    shard: AuditShard = None,
    git: AuditGit = False,
    jobs: AuditJobs = PARALLEL_REPOSITORIES,
    cache_dir: CacheDir = None,
    exclude: Exclude = None,
    max_file_size: MaxFileSize = None,
    rules: Rules = None,
    disable: Disable = None,
    config: ConfigFile = None,
    owners: Owners = None,
    verify: Verify = False,
    api_base: ApiBase = None,
    dc: DataCentre = None,
) -> None:
    """Audit many repositories into a database that remembers every run (see `report --db`)."""
    from zoho_v1_audit import app as use_cases
    from zoho_v1_audit.audit.forges import forge_repositories
    from zoho_v1_audit.audit.run import AuditOptions
    from zoho_v1_audit.audit.sources import Forges, choose, parse_shard
    from zoho_v1_audit.config import Config, load_config
    from zoho_v1_audit.options import RuleChoice, VerifyArgs, scan_options, verify_options
    from zoho_v1_audit.scan.remote import default_cache_dir

    with _errors():
        limit, part = threshold(fail_on or NEVER), parse_shard(shard) if shard else None
        output = output_options(outputs, None, fail_on=NEVER)
        cfg = load_config(Path("."), config) if config else Config()
        listing = Listing(archived=archived, forks=forks)
        forges = Forges(
            tuple(github_org or ()), tuple(gitlab_group or ()), github_api, gitlab_api, listing
        )
        options = AuditOptions(
            scan=scan_options(cfg, [], exclude=exclude, max_file_size=max_file_size),
            cache_dir=cache_dir or default_cache_dir(),
            history=git,
            jobs=jobs,
            verify=verify_options(VerifyArgs(dc, tuple(api_base or ())), cfg) if verify else None,
            owners=owners or cfg.owners,
        )
        ruleset = use_cases.rules_for(cfg, RuleChoice(tuple(rules or ()), tuple(disable or ())))
        summary = _audit(
            database,
            choose([*(sources or []), *forge_repositories(forges)], part),
            ruleset,
            options,
        )
        if output.targets:
            from zoho_v1_audit.audit.state import load_state

            _write_outputs(load_state([database], []), output)
    raise typer.Exit(summary.exit_code(limit))


def _audit(
    database: Path, chosen: list[Source], ruleset: RuleSet, options: AuditOptions
) -> Summary:
    """Run an audit into the database and say what it did."""
    from zoho_v1_audit.audit.db import open_db
    from zoho_v1_audit.audit.display import Display
    from zoho_v1_audit.audit.run import run_audit

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
    return summary


@baseline_app.command("create")
def baseline_create(
    path: Annotated[Path, typer.Argument(help="Directory to scan.")] = Path("."),
    output: Annotated[Path, typer.Option("--output", "-o", help="Baseline file to write.")] = Path(
        BASELINE_NAME
    ),
    exclude: Exclude = None,
    rules: Rules = None,
    disable: Disable = None,
    config: ConfigFile = None,
    force: Annotated[
        bool, typer.Option(help="Overwrite an output file that is not a baseline.")
    ] = False,
    no_repo_config: NoRepoConfig = False,
) -> None:
    """Scan PATH and record the fingerprints of its findings (no secrets, no line numbers)."""
    from zoho_v1_audit import app as use_cases
    from zoho_v1_audit.baseline import check_replaceable, render_baseline
    from zoho_v1_audit.config import load_config
    from zoho_v1_audit.options import RuleChoice, scan_options
    from zoho_v1_audit.output import write_atomic

    with _errors():
        if not force:
            check_replaceable(output)
        cfg = load_config(path, config, repo_config=not no_repo_config)
        ruleset = use_cases.rules_for(cfg, RuleChoice(tuple(rules or ()), tuple(disable or ())))
        result = use_cases.scan_tree(scan_options(cfg, [path], exclude=exclude), ruleset)
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
    rules: Rules = None,
    engine: Engine = None,
) -> None:
    """Show every rule: id, category, severity, title and the engine that runs it."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from zoho_v1_audit import app as use_cases
    from zoho_v1_audit.redact import display
    from zoho_v1_audit.scan.prefilter import search_for

    with _errors():
        ruleset = use_cases.load_ruleset(tuple(rules or ()), engine=engine or DEFAULT_ENGINE)
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
