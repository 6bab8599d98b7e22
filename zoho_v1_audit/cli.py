"""Command line: parse options, call the app, write outputs, exit with the documented code."""

from __future__ import annotations

import contextlib
import dataclasses
import os
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


def _fail(message: str, code: ExitCode = ExitCode.USAGE) -> NoReturn:
    typer.echo(f"zoho-v1-audit: error: {message}", err=True)
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


@app.command()
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
    fail_on: Annotated[
        str | None,
        typer.Option(
            help="Exit 1 when a finding is at or above this severity (critical, high, medium, low, info, never).",
            show_default="low",
        ),
    ] = None,
    exclude: Annotated[
        list[str] | None,
        typer.Option(help="Skip paths matching this gitignore-style glob (repeatable)."),
    ] = None,
    respect_gitignore: Annotated[
        bool, typer.Option(help="Skip files that .gitignore files exclude.")
    ] = False,
    max_file_size: Annotated[
        str | None, typer.Option(help="Skip files larger than this.", show_default="10MB")
    ] = None,
    jobs: Annotated[
        int | None,
        typer.Option("--jobs", "-j", min=1, help="Worker processes (default: all cores)."),
    ] = None,
    rules: Annotated[
        list[Path] | None,
        typer.Option("--rules", help="Extra rule file or directory (repeatable)."),
    ] = None,
    disable: Annotated[
        list[str] | None, typer.Option(help="Rule id to turn off (repeatable).")
    ] = None,
    show_secrets: Annotated[
        bool, typer.Option(help="Include full secret values in JSON output and the terminal.")
    ] = False,
    verify: Annotated[
        bool, typer.Option(help="Ask Zoho whether each hard-coded token is still live.")
    ] = False,
    dc: Annotated[
        str | None,
        typer.Option(
            help="Data centre to try first when no v1 URL names one (com, eu, in, cn, au, jp).",
            show_default="com",
        ),
    ] = None,
    api_base: Annotated[
        list[str] | None,
        typer.Option(
            help="Verification base URL, or DC=URL (repeatable); default: Zoho's official hosts."
        ),
    ] = None,
    verify_timeout: Annotated[
        float | None,
        typer.Option(min=0.1, help="Seconds per verification request.", show_default="10"),
    ] = None,
    verify_concurrency: Annotated[
        int | None,
        typer.Option(
            min=1, max=32, help="Verification requests in flight at once.", show_default="4"
        ),
    ] = None,
    verify_deadline: Annotated[
        float | None,
        typer.Option(
            min=0.1, help="Seconds for the whole verification; tokens not reached are 'unknown'."
        ),
    ] = None,
    owners: Annotated[
        Path | None,
        typer.Option(help="CODEOWNERS file (default: found in the scanned repository)."),
    ] = None,
    repo_url: Annotated[
        str | None,
        typer.Option(
            help="Link template for files, e.g. https://github.com/org/repo/blob/{commit}/{path}#L{line}."
        ),
    ] = None,
    title: Annotated[str | None, typer.Option(help="Report title.")] = None,
    template: Annotated[
        Path | None, typer.Option(help="Your own Jinja template for html/md output.")
    ] = None,
    git: Annotated[
        bool, typer.Option("--git", help="Scan the lines every commit added (git history).")
    ] = False,
    since: Annotated[
        str | None, typer.Option(help="With --git: only the commits after this revision.")
    ] = None,
    rev_range: Annotated[
        str | None,
        typer.Option("--range", help="With --git: only the commits of a range such as main..HEAD."),
    ] = None,
    all_branches: Annotated[
        bool,
        typer.Option(
            help="With --git: every branch, tag and remote-tracking branch, not just HEAD."
        ),
    ] = False,
    staged: Annotated[
        bool,
        typer.Option("--staged", help="Scan only what is staged for the next commit (hooks)."),
    ] = False,
    baseline: Annotated[
        Path | None, typer.Option(help="Report only findings that are not in this baseline file.")
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            help="Configuration file (default: .zoho-v1-audit.yaml or pyproject.toml, searched upwards).",
        ),
    ] = None,
    stdin_name: Annotated[
        str, typer.Option(help="The path reports give standard input (-).")
    ] = "stdin",
    max_archive_depth: Annotated[
        int,
        typer.Option(
            min=0, help="Archives opened inside archives, counting the outermost (0: none)."
        ),
    ] = 4,
    cache_dir: Annotated[
        Path | None,
        typer.Option(help="Where remote repositories are cloned.", show_default="user cache dir"),
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
        cfg = load_config(roots[0], config)
        threshold = _fail_on(fail_on or cfg.fail_on or "low")
        stdout_format = _stdout_format(fmt)
        targets = [(p, OutputFormat.for_path(p)) for p in outputs or []]
        render_options = _render_options(title, repo_url, template)
        verify_options = None
        if verify:
            from zoho_v1_audit.verify import VerifyOptions, check_options

            verify_options = VerifyOptions(
                dc=dc or cfg.verify.dc or "com",
                api_bases=tuple(api_base or cfg.verify.api_base or ()),
                timeout=verify_timeout or cfg.verify.timeout or 10.0,
                concurrency=verify_concurrency or cfg.verify.concurrency or 4,
                deadline=verify_deadline or cfg.verify.deadline,
            )
            check_options(verify_options)
        ruleset = _ruleset(cfg, rules, disable)
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
                result = use_cases.scan_tree(options, ruleset, progress)
        if verify_options is not None:
            from zoho_v1_audit.verify import verify_secrets

            result.verification = verify_secrets(
                result.secrets, verify_options, progress=interactive
            )
        doc = use_cases.document(result, show_secrets=show_secrets, owners=owners or cfg.owners)
        if remote is not None:
            doc["scan"]["roots"] = [remote]
        _write_outputs(doc, targets, stdout_format, render_options)
        raise typer.Exit(use_cases.exit_code(doc, threshold))


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


def _ruleset(cfg: Config, rules: list[Path] | None, disable: list[str] | None) -> RuleSet:
    """Built-in rules, the configuration's and the command line's, minus the disabled ones."""
    from zoho_v1_audit import app as use_cases

    ruleset = use_cases.load_ruleset((*cfg.rules, *(rules or ())))
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
    from zoho_v1_audit.output import write_atomic
    from zoho_v1_audit.report import render
    from zoho_v1_audit.report.summary import summary_line

    plain = dataclasses.replace(options, color=False)  # files get no ANSI colours
    rendered = [(path, render(doc, fmt, plain)) for path, fmt in targets]
    private = any("value" in secret for secret in doc["secrets"])  # --show-secrets
    for path, text in rendered:
        write_atomic(path, text, private=private)
    if not targets:
        sys.stdout.write(render(doc, stdout_format, options))
    else:
        typer.echo(summary_line(doc), err=True)


@app.command()
def report(
    results: Annotated[
        list[Path], typer.Argument(help="JSON results of earlier scans; several are merged.")
    ],
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
    """Render saved JSON results again, or merge several (one per repository) into one report."""
    from zoho_v1_audit import app as use_cases
    from zoho_v1_audit.report import OutputFormat
    from zoho_v1_audit.report.merge import load_results

    with _errors():
        threshold = _fail_on(fail_on)
        stdout_format = _stdout_format(fmt)
        targets = [(p, OutputFormat.for_path(p)) for p in outputs or []]
        render_options = _render_options(title, repo_url, template)
        doc = load_results(results)
        if owners is not None:
            from zoho_v1_audit.report.owners import annotate_owners

            annotate_owners(doc, Path("."), owners)
        _write_outputs(doc, targets, stdout_format, render_options)
        raise typer.Exit(use_cases.exit_code(doc, threshold))


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
) -> None:
    """Scan PATH and record the fingerprints of its findings (no secrets, no line numbers)."""
    from zoho_v1_audit import app as use_cases
    from zoho_v1_audit.baseline import render_baseline
    from zoho_v1_audit.config import load_config
    from zoho_v1_audit.output import write_atomic

    with _errors():
        cfg = load_config(path, config)
        ruleset = _ruleset(cfg, rules, disable)
        result = use_cases.scan_tree(_scan_options(cfg, [path], exclude, None, None), ruleset)
        write_atomic(output, render_baseline(result.findings))
    typer.echo(f"wrote the fingerprints of {len(result.findings)} findings to {output}", err=True)


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
) -> None:
    """Show every rule: id, category, severity and title."""
    from rich.console import Console
    from rich.table import Table

    from zoho_v1_audit import app as use_cases

    with _errors():
        ruleset = use_cases.load_ruleset(tuple(rules or ()))
    table = Table(show_edge=False, box=None)
    for name in ("id", "category", "severity", "title"):
        table.add_column(name, overflow="fold")
    for rule in ruleset.rules:
        table.add_row(rule.id, rule.category.value, rule.severity.value, rule.title)
    Console(width=160).print(table)


@rules_app.command("test")
def rules_test(
    files: Annotated[
        list[Path] | None, typer.Argument(help="Rule files to test (default: the built-in rules).")
    ] = None,
) -> None:
    """Run every rule's own examples; exit 1 when one does not behave as declared."""
    from zoho_v1_audit import app as use_cases
    from zoho_v1_audit.ruleset import builtin_rules_dir, load_rules

    def show(failure: use_cases.ExampleFailure) -> None:
        want = "should match" if failure.expected_match else "should not match"
        typer.echo(
            f"FAIL {failure.rule.id} ({failure.rule.source}): {want}: {failure.example!r} "
            f"-> reported {failure.got or 'nothing'}",
            err=True,
        )

    with _errors():
        ruleset = load_rules([builtin_rules_dir(), *(files or [])])
        ran, failed = use_cases.check_rule_examples(ruleset, show)
    typer.echo(f"{ran - failed} passed, {failed} failed")
    raise typer.Exit(ExitCode.FINDINGS if failed else ExitCode.CLEAN)


def main() -> None:
    """Console-script entry point: exit codes 0, 1, 2 and 130 whatever happens."""
    try:
        code = app(standalone_mode=False)
    except (typer.Abort, KeyboardInterrupt):
        typer.echo("zoho-v1-audit: interrupted", err=True)
        sys.exit(ExitCode.INTERRUPTED)
    except typer.TyperException as exc:  # the parser's usage errors
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
