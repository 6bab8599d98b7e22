"""Options that several commands share: one declaration, help generated from the code's own
choices and defaults, and each value settled once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from typer.main import get_command

from zoho_v1_audit.cli import app
from zoho_v1_audit.config import FAIL_ON_CHOICES, Config, VerifyConfig
from zoho_v1_audit.datacentres import DATA_CENTRES
from zoho_v1_audit.errors import UsageError
from zoho_v1_audit.models import Severity
from zoho_v1_audit.options import (
    DEFAULT_MAX_FILE_SIZE,
    VerifyArgs,
    output_format,
    size_label,
    threshold,
    verify_options,
)
from zoho_v1_audit.report import OutputFormat
from zoho_v1_audit.ruleset import DEFAULT_ENGINE, ENGINES
from zoho_v1_audit.verify.options import VerifyOptions

CHOICES = {
    "--format": tuple(OutputFormat),
    "--fail-on": FAIL_ON_CHOICES,
    "--dc": DATA_CENTRES,
    "--engine": ENGINES,
}


def _options() -> Iterator[tuple[str, typer.core.TyperOption]]:
    def walk(command: object, path: str) -> Iterator[tuple[str, typer.core.TyperOption]]:
        for sub_name, sub in getattr(command, "commands", {}).items():
            yield from walk(sub, f"{path} {sub_name}".strip())
        for param in getattr(command, "params", []):
            if isinstance(param, typer.core.TyperOption):
                yield path, param

    yield from walk(get_command(app), "")


def test_help_lists_exactly_the_choices_the_code_accepts() -> None:
    seen = set()
    for command, option in _options():
        name = option.opts[0]
        if name in CHOICES:
            seen.add(name)
            listed = f": {', '.join(CHOICES[name])}"
            assert listed in (option.help or ""), (command, name, option.help)
    assert seen == set(CHOICES)  # every option with choices was found in some command


def test_every_listed_choice_is_accepted_and_others_are_refused() -> None:
    assert [threshold(c) for c in FAIL_ON_CHOICES] == [*Severity, None]
    assert [output_format(f) for f in OutputFormat] == list(OutputFormat)
    for dc in DATA_CENTRES:
        assert VerifyOptions(dc=dc).dc == dc
    with pytest.raises(UsageError, match="--fail-on must be one of"):
        threshold("urgent")
    with pytest.raises(UsageError, match="--format must be one of"):
        output_format("pdf")


def test_help_shows_the_defaults_the_code_uses() -> None:
    safe = VerifyOptions()
    shown = {
        "--max-file-size": size_label(DEFAULT_MAX_FILE_SIZE),
        "--verify-timeout": f"{safe.timeout:g}",
        "--verify-concurrency": str(safe.concurrency),
        "--verify-deadline": f"{safe.deadline:g}",
        "--dc": safe.dc,
        "--engine": DEFAULT_ENGINE,
    }
    found = {}
    for _, option in _options():
        if option.opts[0] in shown:
            found[option.opts[0]] = option.show_default
    assert found == shown
    assert size_label(DEFAULT_MAX_FILE_SIZE) == "10MB" and size_label(1536) == "1536B"


def test_shared_options_are_declared_once() -> None:
    """The same flag in two commands is the same declaration: same help, same type."""
    by_flag: dict[str, set[tuple[str, str]]] = {}
    for _, option in _options():
        by_flag.setdefault(option.opts[0], set()).add((option.help or "", option.type.name))
    for flag in ("--exclude", "--rules", "--disable", "--config", "--owners", "--format", "--dc"):
        assert len(by_flag[flag]) == 1, (flag, by_flag[flag])


def test_verification_settings_command_line_over_file_over_defaults(tmp_path: Path) -> None:
    file = Config(verify=VerifyConfig(dc="eu", timeout=3.0))
    assert verify_options(VerifyArgs(), Config()) == VerifyOptions()
    resolved = verify_options(VerifyArgs(concurrency=2), file)
    assert (resolved.dc, resolved.timeout, resolved.concurrency) == ("eu", 3.0, 2)
    resolved = verify_options(VerifyArgs(dc="in", timeout=1.0), file)
    assert (resolved.dc, resolved.timeout) == ("in", 1.0)
    assert VerifyArgs(dc="eu", deadline=5.0).given() == ["--dc", "--verify-deadline"]
