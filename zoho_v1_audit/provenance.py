"""What shaped a scan: the configuration and rule files read, and every setting that can hide a
finding, each with where it came from.

A scanned repository may carry its own configuration; it must not weaken its own scan without a
trace. Settings from the scanned tree that turn rules off, allow any token, narrow what is read
or lower the exit-code gate are flagged, and the command line warns about them.
"""

from __future__ import annotations

import functools
import re
import secrets
from collections.abc import Iterable, Iterator

import pathspec

from zoho_v1_audit.config import NEVER, Config
from zoho_v1_audit.models import Configuration, ScanResult, ScanWarning, Setting, Severity
from zoho_v1_audit.ruleset import RuleSet, builtin_rules_dir, rule_files

COMMAND_LINE = "command line"
_LOWER_GATES = frozenset(
    {Severity.CRITICAL.value, Severity.HIGH.value, Severity.MEDIUM.value, NEVER}
)


@functools.cache
def _probes() -> tuple[str, ...]:
    """Values no configuration can know in advance: a token, an OAuth token, a password, a line."""
    token = secrets.token_hex(16)
    return (
        token,
        f"1000.{secrets.token_hex(16)}.{secrets.token_hex(16)}",
        secrets.token_urlsafe(12),
        f"url = 'https://crm.zoho.com/crm/private/json/Leads/getRecords?authtoken={token}'",
    )


def allows_any(pattern: re.Pattern[str]) -> bool:
    """Whether an allow pattern also covers a token that nobody could have known of."""
    return any(pattern.search(probe) for probe in _probes())


def _placeholder_of_any(patterns: Iterable[re.Pattern[str]]) -> bool:
    return any(p.fullmatch(probe) for p in patterns for probe in _probes()[:3])


_PROBE_PATHS = ("a.env", "src/crm/Client.java", "deploy/values.yaml")


def _globs_hide_all(globs: Iterable[str], *, included: bool) -> bool:
    """Whether excludes skip (or includes leave out) every path a token could be in."""
    spec = pathspec.GitIgnoreSpec.from_lines(globs)
    return all(spec.match_file(p) != included for p in _PROBE_PATHS)


def _config_settings(cfg: Config, default_max_size: int) -> Iterator[Setting]:
    origin, tree = str(cfg.source), not cfg.trusted
    for rule_id in cfg.disable:
        yield Setting("disable", rule_id, origin, tree)
    for index, pattern in enumerate(cfg.allow_patterns, 1):
        broad = allows_any(pattern)
        value = "matches any token" if broad else "a regular expression"
        yield Setting(f"allow pattern {index}", value, origin, tree, broad)
    if cfg.allow_hashes:
        yield Setting("allow sha256", f"{len(cfg.allow_hashes)} digests", origin, tree)
    for glob in cfg.exclude:
        yield Setting("exclude", glob, origin, tree, _globs_hide_all([glob], included=False))
    if cfg.include:
        hides = _globs_hide_all(cfg.include, included=True)
        yield Setting("include", ", ".join(cfg.include), origin, tree, hides)
    if cfg.max_file_size is not None:
        smaller = cfg.max_file_size < default_max_size
        yield Setting("max_file_size", f"{cfg.max_file_size} bytes", origin, tree, smaller)
    if cfg.fail_on is not None:
        yield Setting("fail_on", cfg.fail_on, origin, tree, cfg.fail_on in _LOWER_GATES)


def describe(
    cfg: Config,
    ruleset: RuleSet,
    *,
    repo_config: bool,
    cli_disable: Iterable[str] = (),
    cli_exclude: Iterable[str] = (),
    cli_overrides: Iterable[str] = (),
    default_max_size: int,
) -> Configuration:
    """The record of a scan's configuration; `cli_overrides` names settings the command line
    replaced (`fail_on`, `max_file_size`), which the file then did not decide."""
    overridden = set(cli_overrides)
    settings = [s for s in _config_settings(cfg, default_max_size) if s.name not in overridden]
    settings += [Setting("disable", rule_id, COMMAND_LINE) for rule_id in cli_disable]
    settings += [Setting("exclude", glob, COMMAND_LINE) for glob in cli_exclude]
    tree_rules = set() if cfg.trusted else {str(p) for p in rule_files(cfg.rules)}
    files: list[tuple[str, str, str]] = []
    if cfg.source is not None and cfg.sha256 is not None:
        files.append(
            (str(cfg.source), cfg.sha256, "scanned tree" if not cfg.trusted else COMMAND_LINE)
        )
    builtin = {str(p) for p in rule_files([builtin_rules_dir()])}
    for file in ruleset.files:
        if file.path in builtin:
            continue
        in_tree = file.path in tree_rules
        origin = str(cfg.source) if in_tree else COMMAND_LINE
        files.append((file.path, file.sha256, origin))
        if file.placeholders:
            count = f"{len(file.placeholders)} patterns in {file.path}"
            broad = _placeholder_of_any(file.placeholders)
            settings.append(Setting("placeholders", count, origin, in_tree, broad))
    if not repo_config:
        state = "ignored (--no-repo-config)"
    else:
        state = "used" if cfg.source is not None and not cfg.trusted else "none found"
    return Configuration(state, tuple(files), tuple(settings), cfg.notes)


def weakening_warning(configuration: Configuration) -> str | None:
    """One sentence naming what the scanned tree's configuration weakened, or None."""
    weak = configuration.weakening()
    if not weak:
        return None
    what = "; ".join(f"{s.name}: {s.value}" for s in weak)
    return (
        f"the configuration in the scanned tree weakens this scan ({what}): "
        "pass --no-repo-config, or pin a configuration with --config"
    )


def attach(result: ScanResult, configuration: Configuration, config_path: str) -> list[str]:
    """Record the configuration in the result; the warnings to show (also kept in the result)."""
    result.configuration = configuration
    said = [*configuration.notes]
    warning = weakening_warning(configuration)
    if warning is not None:
        said.append(warning)
    result.warnings += [ScanWarning(config_path, message) for message in said]
    return said
