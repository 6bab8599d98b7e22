"""Ask Zoho, safely and once per distinct token, whether hard-coded tokens are still live."""

from __future__ import annotations

from collections.abc import Sequence

from zoho_v1_audit.models import Secret, VerificationSummary
from zoho_v1_audit.verify.options import VerifyOptions


def verify_secrets(
    secrets: Sequence[Secret], options: VerifyOptions, *, progress: bool
) -> VerificationSummary:
    """Set `verification` on every secret; return what the verification did."""
    from zoho_v1_audit.verify.zoho import verify_all

    return verify_all(secrets, options, progress=progress)
