"""Verification settings: their defaults and limits, checked when made."""

from __future__ import annotations

from dataclasses import dataclass, field

from zoho_v1_audit.datacentres import DEFAULT_DC
from zoho_v1_audit.errors import UsageError
from zoho_v1_audit.verify.hosts import Bases, check_dc, parse_bases

MAX_SECONDS = 7 * 24 * 3600.0  # for a timeout or deadline: a week, far below what timers take
MAX_CONCURRENCY = 32  # requests in flight


@dataclass(frozen=True)
class VerifyOptions:
    """Verification settings, checked when made: a bad value raises UsageError (exit code 2).

    The field defaults are the defaults of the command line and the configuration file.
    `dc` is kept normalised; `bases` holds the base URLs that `api_bases` resolves to.
    """

    dc: str = DEFAULT_DC  # --dc: data centre tried first when no v1 URL names one
    api_bases: tuple[str, ...] = ()  # raw --api-base values: "URL" or "DC=URL"
    timeout: float = 10.0  # --verify-timeout, seconds per request
    concurrency: int = 4  # --verify-concurrency
    deadline: float = 600.0  # --verify-deadline, seconds for the whole verification
    bases: Bases = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "dc", check_dc(self.dc))
        object.__setattr__(self, "bases", parse_bases(self.api_bases))
        if not 0 < self.timeout <= MAX_SECONDS:  # not NaN or infinite either
            raise UsageError(
                f"--verify-timeout must be more than 0 and at most {MAX_SECONDS:g} seconds"
            )
        if self.concurrency < 1:
            raise UsageError("--verify-concurrency must be at least 1")
        if not 0 < self.deadline <= MAX_SECONDS:
            raise UsageError(
                f"--verify-deadline must be more than 0 and at most {MAX_SECONDS:g} seconds"
            )
