"""Errors that end a run with a clear one-line message and a documented exit code."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit codes, documented in the README."""

    CLEAN = 0
    FINDINGS = 1
    USAGE = 2
    INCOMPLETE = 3  # audit: a repository could not be scanned; the others were recorded
    INTERRUPTED = 130


class AuditError(Exception):
    """Base class: the message is shown to the user as is, and the run exits with `exit_code`."""

    exit_code = ExitCode.USAGE


class UsageError(AuditError):
    """Bad command-line arguments or option values."""


class ConfigError(AuditError):
    """A configuration file that cannot be used; the message names the file and key."""


class RuleError(AuditError):
    """A rule file that cannot be used; the message names the file, rule and field."""


def reason(exc: BaseException) -> str:
    """Why parsing failed, in words: a RecursionError means input nested too deeply."""
    return "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
