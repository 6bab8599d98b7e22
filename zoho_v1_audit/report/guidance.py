"""What to tell people: labels, verdicts and the steps that fix each kind of finding.

Texts use backticks for code; the HTML template turns them into `<code>`, Markdown keeps them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from zoho_v1_audit.datacentres import API_HOSTS, DEFAULT_DC
from zoho_v1_audit.models import Category, SecretKind, Status
from zoho_v1_audit.report import schema

UNOWNED = "(unowned)"  # the team of a file no CODEOWNERS line owns
NO_SECRET = "none"  # noqa: S105 (the status of a finding without a secret)

CATEGORY_LABELS: dict[str, str] = {
    Category.V1_TOKEN: "v1 authtokens",
    Category.V1_CREDENTIAL: "token generation and passwords",
    Category.V1_ENDPOINT: "v1 endpoints",
    Category.V1_METHOD: "v1 method names",
    Category.OAUTH_SECRET: "OAuth 2.0 secrets",
}

KIND_LABELS: dict[str, str] = {
    SecretKind.AUTHTOKEN: "v1 authtoken",
    SecretKind.PASSWORD: "Zoho account password",
    SecretKind.REFRESH_TOKEN: "OAuth refresh token",
    SecretKind.ACCESS_TOKEN: "OAuth access token",
    SecretKind.GRANT_CODE: "OAuth grant code",
    SecretKind.CLIENT_SECRET: "OAuth client secret",
    SecretKind.CLIENT_ID: "OAuth client id",
    SecretKind.OAUTH_TOKEN: "OAuth token",
}

NEVER_CHECKED = (
    "never checked, with or without --verify: only v1 authtokens and OAuth access tokens can be "
    "checked without logging in or minting tokens"
)

STATUS_LABELS: dict[str, str] = {
    Status.LIVE: "live",
    Status.LIVE_RATE_LIMITED: "live (rate-limited)",
    Status.INVALID: "invalid",
    Status.USER_DISABLED: "user disabled",
    Status.UNSUPPORTED: "unproven (v1 retired)",
    Status.UNKNOWN: "unknown",
    Status.NOT_CHECKED: "not checked",
}

STATUS_VERDICTS: dict[str, str] = {
    Status.LIVE: (
        "Zoho accepted this token: anyone who can read the code can use it. Revoke it now."
    ),
    Status.LIVE_RATE_LIMITED: (
        "Zoho accepted this token and refused only for quota: it is live. Revoke it now."
    ),
    Status.UNKNOWN: (
        "No verdict could be had. Treat it as live: revoke it, and check again later."
    ),
    Status.UNSUPPORTED: (
        "Zoho's v1 endpoint no longer answers as v1 did, so this token's state is unproven. "
        "Authtokens stay valid until revoked: revoke it anyway."
    ),
    Status.NOT_CHECKED: "Not checked. Treat it as live: revoke or rotate it.",
    Status.USER_DISABLED: (
        "The user behind this token is deactivated. Revoke it in case the user comes back."
    ),
    Status.INVALID: (
        "Every data centre tried rejected this token: it no longer works. Remove it from the "
        "code; revoking it does no harm."
    ),
}

# Groups of the "Rotate now" section: (key, heading, statuses).
SECRET_GROUPS = (
    ("live", "Live: revoke now", (Status.LIVE, Status.LIVE_RATE_LIMITED)),
    (
        "unproven",
        "Unproven: revoke anyway",
        (Status.UNKNOWN, Status.UNSUPPORTED, Status.NOT_CHECKED),
    ),
    ("disabled", "User disabled", (Status.USER_DISABLED,)),
    ("invalid", "Invalid: remove from the code", (Status.INVALID,)),
)

_OAUTH_MOVE = (
    "Move the program to OAuth 2.0: create a self client in the API console "
    "(`https://api-console.zoho.{tld}`), keep its refresh token in a secret store, and send "
    "`Authorization: Zoho-oauthtoken <access token>`."
)


def tld(data_centre: str | None) -> str:
    """The domain suffix of a data centre (`eu` -> `eu`, `au` -> `com.au`); `com` when unknown."""
    host = API_HOSTS[data_centre if data_centre in API_HOSTS else DEFAULT_DC]
    return host.partition("zohoapis.")[2]


def secret_steps(kind: str, data_centre: str | None, status: str) -> tuple[str, ...]:
    """The steps that retire one hard-coded secret."""
    t = tld(data_centre)
    replace = "Replace it in every place listed, in each branch and deployment that uses it."
    if kind == SecretKind.AUTHTOKEN:
        if status == Status.INVALID:
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
    if kind == SecretKind.PASSWORD:
        return (
            f"Change this Zoho account's password now (`https://accounts.zoho.{t}`), and its "
            "application-specific passwords if it uses two-factor sign-in.",
            "Revoke every authtoken the account generated (Settings, Active Authtokens).",
            "Delete the token-generation code; authtokens can no longer be generated.",
            _OAUTH_MOVE.format(tld=t),
        )
    if kind in (SecretKind.REFRESH_TOKEN, SecretKind.OAUTH_TOKEN, SecretKind.ACCESS_TOKEN):
        return (
            f"Revoke the refresh token: `POST https://accounts.zoho.{t}/oauth/v2/token/revoke?token=<refresh token>` "
            "(an access token dies with its refresh token, or within the hour).",
            "Generate a new one and load it from a secret store at run time.",
            replace,
        )
    if kind == SecretKind.GRANT_CODE:
        return ("Remove it; grant codes expire within minutes. Generate them only when needed.",)
    if kind == SecretKind.CLIENT_SECRET:
        return (
            f"Regenerate the client secret in the API console (`https://api-console.zoho.{t}`).",
            "Read the new secret from a secret store at run time.",
            replace,
        )
    if kind == SecretKind.CLIENT_ID:
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


CATEGORY_REMEDIATION: dict[str, str] = {
    Category.V1_TOKEN: (
        "Revoke the authtoken in Zoho Accounts, remove it everywhere, and move to OAuth 2.0."
    ),
    Category.V1_CREDENTIAL: (
        "Change the password, delete the token-generation code, and move to OAuth 2.0."
    ),
    Category.V1_ENDPOINT: (
        "Call the API 2.0 endpoint (see the migration plan) with an OAuth 2.0 access token."
    ),
    Category.V1_METHOD: "Replace the v1 method with its API 2.0 endpoint (see the migration plan).",
    Category.OAUTH_SECRET: (
        "Revoke or rotate the credential and load it from a secret store at run time."
    ),
}


def rule_help(
    rules: Mapping[str, schema.Rule], rule_id: str, title: str, category: str
) -> RuleHelp:
    """Help for a rule: the text of the rule the result was produced with (`rules`, by id),
    else the finding's title and its category's advice."""
    found = rules.get(rule_id)
    if found is not None and found["remediation"]:
        return RuleHelp(found["title"], found["remediation"])
    return RuleHelp(title, CATEGORY_REMEDIATION.get(category, "Review this finding."))
