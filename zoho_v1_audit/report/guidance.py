"""What to tell people: labels, verdicts and the steps that fix each kind of finding.

Texts use backticks for code; the HTML template turns them into `<code>`, Markdown keeps them.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from zoho_v1_audit.datacentres import API_HOSTS
from zoho_v1_audit.errors import AuditError

SEVERITIES = ("critical", "high", "medium", "low", "info")
UNOWNED = "(unowned)"  # the team of a file no CODEOWNERS line owns
NO_SECRET = "none"  # noqa: S105 (the status of a finding without a secret)

CATEGORY_LABELS = {
    "v1-token": "v1 authtokens",
    "v1-credential": "token generation and passwords",
    "v1-endpoint": "v1 endpoints",
    "v1-method": "v1 method names",
    "oauth-secret": "OAuth 2.0 secrets",
}

KIND_LABELS = {
    "authtoken": "v1 authtoken",
    "password": "Zoho account password",
    "refresh-token": "OAuth refresh token",
    "access-token": "OAuth access token",
    "grant-code": "OAuth grant code",
    "client-secret": "OAuth client secret",
    "client-id": "OAuth client id",
    "oauth-token": "OAuth token",
}

# The kinds `--verify` can check read-only; the others it never sends anywhere.
CHECKABLE_KINDS = frozenset({"authtoken", "access-token"})
NEVER_CHECKED = (
    "never checked, with or without --verify: only v1 authtokens and OAuth access tokens can be "
    "checked without logging in or minting tokens"
)

# Rotate-now order: proven live first, then unproven, then dead.
STATUS_ORDER = (
    "live",
    "live-rate-limited",
    "unknown",
    "unsupported",
    "not-checked",
    "user-disabled",
    "invalid",
)

STATUS_LABELS = {
    "live": "live",
    "live-rate-limited": "live (rate-limited)",
    "invalid": "invalid",
    "user-disabled": "user disabled",
    "unsupported": "unproven (v1 retired)",
    "unknown": "unknown",
    "not-checked": "not checked",
}

STATUS_VERDICTS = {
    "live": "Zoho accepted this token: anyone who can read the code can use it. Revoke it now.",
    "live-rate-limited": (
        "Zoho accepted this token and refused only for quota: it is live. Revoke it now."
    ),
    "unknown": "No verdict could be had. Treat it as live: revoke it, and check again later.",
    "unsupported": (
        "Zoho's v1 endpoint no longer answers as v1 did, so this token's state is unproven. "
        "Authtokens stay valid until revoked: revoke it anyway."
    ),
    "not-checked": "Not checked. Treat it as live: revoke or rotate it.",
    "user-disabled": (
        "The user behind this token is deactivated. Revoke it in case the user comes back."
    ),
    "invalid": (
        "Every data centre tried rejected this token: it no longer works. Remove it from the "
        "code; revoking it does no harm."
    ),
}

# Groups of the "Rotate now" section: (key, heading, statuses).
SECRET_GROUPS = (
    ("live", "Live: revoke now", ("live", "live-rate-limited")),
    ("unproven", "Unproven: revoke anyway", ("unknown", "unsupported", "not-checked")),
    ("disabled", "User disabled", ("user-disabled",)),
    ("invalid", "Invalid: remove from the code", ("invalid",)),
)

_OAUTH_MOVE = (
    "Move the program to OAuth 2.0: create a self client in the API console "
    "(`https://api-console.zoho.{tld}`), keep its refresh token in a secret store, and send "
    "`Authorization: Zoho-oauthtoken <access token>`."
)


def tld(data_centre: str | None) -> str:
    """The domain suffix of a data centre (`eu` -> `eu`, `au` -> `com.au`); `com` when unknown."""
    host = API_HOSTS.get(data_centre or "com", API_HOSTS["com"])
    return host.partition("zohoapis.")[2]


def secret_steps(kind: str, data_centre: str | None, status: str) -> tuple[str, ...]:
    """The steps that retire one hard-coded secret."""
    t = tld(data_centre)
    replace = "Replace it in every place listed, in each branch and deployment that uses it."
    if kind == "authtoken":
        if status == "invalid":
            return (
                "Delete it from every place listed; it no longer works, and revoking it does no harm.",
                _OAUTH_MOVE.format(tld=t),
            )
        return (
            f"Revoke it: sign in to Zoho Accounts (`https://accounts.zoho.{t}`) as the token's "
            "user, open Settings, Active Authtokens, and remove it.",
            replace,
            _OAUTH_MOVE.format(tld=t),
        )
    if kind == "password":
        return (
            f"Change this Zoho account's password now (`https://accounts.zoho.{t}`), and its "
            "application-specific passwords if it uses two-factor sign-in.",
            "Revoke every authtoken the account generated (Settings, Active Authtokens).",
            "Delete the token-generation code; authtokens can no longer be generated.",
            _OAUTH_MOVE.format(tld=t),
        )
    if kind in ("refresh-token", "oauth-token", "access-token"):
        return (
            f"Revoke the refresh token: `POST https://accounts.zoho.{t}/oauth/v2/token/revoke?token=<refresh token>` "
            "(an access token dies with its refresh token, or within the hour).",
            "Generate a new one and load it from a secret store at run time.",
            replace,
        )
    if kind == "grant-code":
        return ("Remove it; grant codes expire within minutes. Generate them only when needed.",)
    if kind == "client-secret":
        return (
            f"Regenerate the client secret in the API console (`https://api-console.zoho.{t}`).",
            "Read the new secret from a secret store at run time.",
            replace,
        )
    if kind == "client-id":
        return (
            "A client id is not secret by itself; check that no client secret or refresh token "
            "is hard-coded beside it.",
        )
    return ("Revoke or rotate it where it was issued.", replace)


@dataclass(frozen=True, slots=True)
class RuleHelp:
    """A rule's title and remediation, for SARIF rules and report actions."""

    title: str
    remediation: str


@functools.cache
def _builtin_help() -> dict[str, RuleHelp]:
    from zoho_v1_audit.ruleset import builtin_rules_dir, load_rules

    try:
        rules = load_rules([builtin_rules_dir()]).rules
    except AuditError:
        return {}
    return {r.id: RuleHelp(r.title, " ".join(r.remediation.split())) for r in rules}


CATEGORY_REMEDIATION = {
    "v1-token": "Revoke the authtoken in Zoho Accounts, remove it everywhere, and move to OAuth 2.0.",
    "v1-credential": "Change the password, delete the token-generation code, and move to OAuth 2.0.",
    "v1-endpoint": "Call the API 2.0 endpoint (see the migration plan) with an OAuth 2.0 access token.",
    "v1-method": "Replace the v1 method with its API 2.0 endpoint (see the migration plan).",
    "oauth-secret": "Revoke or rotate the credential and load it from a secret store at run time.",
}


def rule_help(rule_id: str, title: str, category: str) -> RuleHelp:
    """Help for a rule: the built-in rule's own text, else the finding's title and its category's advice."""
    found = _builtin_help().get(rule_id)
    if found is not None and found.remediation:
        return found
    return RuleHelp(title, CATEGORY_REMEDIATION.get(category, "Review this finding."))
