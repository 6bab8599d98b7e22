"""Ask Zoho, safely and once per distinct token, whether hard-coded tokens are still live."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from zoho_v1_audit.errors import UsageError
from zoho_v1_audit.models import Secret
from zoho_v1_audit.verify.hosts import check_dc, parse_bases

MAX_SECONDS = 7 * 24 * 3600.0  # for a timeout or deadline: a week, far below what timers take
MAX_CONCURRENCY = 32  # requests in flight


@dataclass(frozen=True)
class VerifyOptions:
    """Verification settings from the command line."""

    dc: str = "com"  # --dc: data centre tried first when no v1 URL names one
    api_bases: tuple[str, ...] = ()  # raw --api-base values: "URL" or "DC=URL"
    timeout: float = 10.0  # --verify-timeout, seconds per request
    concurrency: int = 4  # --verify-concurrency
    deadline: float = 600.0  # --verify-deadline, seconds for the whole verification


def check_options(options: VerifyOptions) -> None:
    """Raise UsageError (exit code 2) for a bad data centre, base URL or limit."""
    check_dc(options.dc)
    parse_bases(options.api_bases)
    if not 0 < options.timeout <= MAX_SECONDS:  # not NaN or infinite either
        raise UsageError(
            f"--verify-timeout must be more than 0 and at most {MAX_SECONDS:g} seconds"
        )
    if options.concurrency < 1:
        raise UsageError("--verify-concurrency must be at least 1")
    if not 0 < options.deadline <= MAX_SECONDS:
        raise UsageError(
            f"--verify-deadline must be more than 0 and at most {MAX_SECONDS:g} seconds"
        )


def verify_secrets(
    secrets: Sequence[Secret], options: VerifyOptions, *, progress: bool
) -> dict[str, object]:
    """Set `verification` on every secret; return the `scan.verification` section of the result."""
    from zoho_v1_audit.verify.zoho import verify_all

    check_options(options)
    return verify_all(secrets, options, progress=progress)
