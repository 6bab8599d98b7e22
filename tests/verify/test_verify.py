"""verify_secrets against the real v1 protocol server on 127.0.0.1."""

from __future__ import annotations

import dataclasses
import json
import logging
import time

import pytest

from tests.helpers import TOKEN, TOKEN_EU
from tests.verify.conftest import secret
from tests.zoho_server import (
    ZohoServer,
    code,
    html,
    malformed,
    oauth_error,
    org,
    redirect,
    reset,
    result,
    slow,
    status,
    tokens,
)
from zoho_v1_audit import __version__
from zoho_v1_audit.models import ScanResult, Secret, SecretKind, Stats, Status, VerificationSummary
from zoho_v1_audit.report.json import to_document
from zoho_v1_audit.verify import verify_secrets
from zoho_v1_audit.verify.options import VerifyOptions

ACCESS = f"1000.{TOKEN}.{TOKEN_EU}"
V1_DCS = ("com", "eu", "cn", "in")


def run(
    zoho: ZohoServer, secrets: list[Secret], *dcs: str, **options: object
) -> VerificationSummary:
    """Verify against the server's data centres (all v1 ones by default), 0.3 s timeout."""
    opts = VerifyOptions(api_bases=zoho.api_bases(*(dcs or V1_DCS)), **{"timeout": 0.3, **options})  # type: ignore[arg-type]
    return verify_secrets(secrets, opts, progress=False)


def one(
    zoho: ZohoServer,
    value: str = TOKEN,
    *dcs: str,
    kind: SecretKind = SecretKind.AUTHTOKEN,
    hint: str | None = None,
    **options: object,
) -> Secret:
    s = secret(value, kind, hint)
    run(zoho, [s], *dcs, **options)
    return s


def test_probe_is_a_read_only_post_with_the_token_in_the_body(zoho: ZohoServer) -> None:
    zoho.script(TOKEN, com=result())
    s = one(zoho)
    assert s.verification.status is Status.LIVE
    assert s.verification.data_centre == "com"
    assert s.verification.endpoint == f"{zoho.base('com')}/crm/private/json/Info/getModules"
    assert s.verification.checked_at is not None
    [request] = zoho.requests
    assert request.method == "POST"
    assert request.path == "/com/crm/private/json/Info/getModules"
    assert request.query == {}
    assert request.token_in == "body"
    assert request.form == {"authtoken": [TOKEN], "scope": ["crmapi"], "type": ["api"]}
    assert request.headers["user-agent"] == f"zoho-v1-audit/{__version__}"
    assert "authorization" not in request.headers


def test_live_only_on_eu_moves_on_after_4834(zoho: ZohoServer) -> None:
    zoho.script(TOKEN, eu=result())
    s = one(zoho, TOKEN, hint="com")
    assert s.verification.status is Status.LIVE
    assert s.verification.data_centre == "eu"
    assert [r.dc for r in zoho.requests] == ["com", "eu"]
    assert "4834 Invalid Ticket Id on com" in s.verification.reason
    assert "live on eu, not on com as its v1 URL says" in s.verification.reason


def test_the_hinted_data_centre_goes_first(zoho: ZohoServer) -> None:
    zoho.script(TOKEN, cn=result())
    s = one(zoho, TOKEN, hint="cn")
    assert s.verification.data_centre == "cn"
    assert [r.dc for r in zoho.requests] == ["cn"]


def test_without_a_hint_dc_option_goes_first(zoho: ZohoServer) -> None:
    zoho.script(TOKEN, default=result())
    one(zoho, TOKEN, dc="in")
    assert [r.dc for r in zoho.requests] == ["in"]


def test_invalid_after_every_data_centre_said_4834(zoho: ZohoServer) -> None:
    zoho.script(TOKEN, default=code("4834"), eu=code(4834))  # string and number
    s = one(zoho)
    assert s.verification.status is Status.INVALID
    assert s.verification.reason == (
        "Zoho answered 4834 Invalid Ticket Id on com, eu, cn and in: no data centre accepts the token"
    )
    assert sorted(r.dc for r in zoho.requests) == sorted(V1_DCS)


def test_only_the_bases_given_are_in_play(zoho: ZohoServer) -> None:
    s = one(zoho, TOKEN, "eu", hint="com")
    assert s.verification.status is Status.INVALID
    assert [r.dc for r in zoho.requests] == ["eu"]


def test_one_base_stands_for_all_data_centres(zoho: ZohoServer) -> None:
    zoho.script(TOKEN, default=code("4834"))
    s = secret(TOKEN, hint="eu")
    section = verify_secrets(
        [s], VerifyOptions(api_bases=(zoho.root,), timeout=0.3), progress=False
    )
    assert s.verification.status is Status.INVALID
    assert s.verification.data_centre is None
    assert s.verification.endpoint == f"{zoho.root}/crm/private/json/Info/getModules"
    assert [r.path for r in zoho.requests] == ["/crm/private/json/Info/getModules"]
    assert section.api_base == {"*": zoho.root}


@pytest.mark.parametrize(
    ("reply", "verdict", "words"),
    [
        (code("4422"), Status.LIVE, "4422 There is no data to show"),
        (code(4001), Status.LIVE, "4001 No API permission"),
        (code("401.2"), Status.LIVE, "401.2 No permission to edit"),
        (code("4101", xml=True), Status.LIVE, "4101 Zoho CRM disabled"),
        (code(4502), Status.LIVE, "4502"),
        (result(xml=True), Status.LIVE, "module list"),
        (code("4820"), Status.LIVE_RATE_LIMITED, "4820 Rate limit exceeded"),
        (code(4421, xml=True), Status.LIVE_RATE_LIMITED, "4421"),
        (code("4500"), Status.UNKNOWN, "4500 Internal server error"),
        (malformed(), Status.UNKNOWN, "malformed JSON"),
        (html(), Status.UNSUPPORTED, "HTML page"),
        (status(404), Status.UNSUPPORTED, "HTTP 404"),
        (status(410), Status.UNSUPPORTED, "HTTP 410"),
        (status(400), Status.UNSUPPORTED, "not as v1"),
        (redirect(), Status.UNSUPPORTED, "HTTP 302, a redirect (not followed)"),
    ],
)
def test_answers_are_classified_and_never_retried(
    zoho: ZohoServer, reply: object, verdict: Status, words: str
) -> None:
    zoho.script(TOKEN, default=reply)  # type: ignore[arg-type]
    s = one(zoho, TOKEN, "com")
    assert s.verification.status is verdict
    assert words in s.verification.reason
    assert zoho.count(TOKEN) == 1


def test_unsupported_says_the_state_is_unproven(zoho: ZohoServer) -> None:
    zoho.script(TOKEN, default=html())
    s = one(zoho)
    assert s.verification.status is Status.UNSUPPORTED
    assert s.verification.reason == (
        "the host answered with an HTML page, not v1 on com, eu, cn and in: the v1 API is retired, "
        "so this token's state is unproven; revoke it anyway"
    )


def test_redirect_is_not_followed(zoho: ZohoServer) -> None:
    zoho.script(TOKEN, default=redirect(f"{zoho.root}/landing?authtoken={TOKEN}"))
    s = one(zoho, TOKEN, "com")
    assert s.verification.status is Status.UNSUPPORTED
    assert [r.path for r in zoho.requests] == ["/com/crm/private/json/Info/getModules"]
    assert TOKEN not in s.verification.reason


def test_http_500_then_success_is_retried(zoho: ZohoServer) -> None:
    zoho.script(TOKEN, default=[status(500), status(503), result()])
    s = one(zoho, TOKEN, "com")
    assert s.verification.status is Status.LIVE
    assert zoho.count(TOKEN) == 3


def test_at_most_two_retries(zoho: ZohoServer) -> None:
    zoho.script(TOKEN, default=status(502))
    s = one(zoho, TOKEN, "com")
    assert s.verification.status is Status.UNKNOWN
    assert "the host answered HTTP 502 after 3 attempts on com" in s.verification.reason
    assert zoho.count(TOKEN) == 3


def test_reset_connection_is_retried_then_unknown(zoho: ZohoServer) -> None:
    zoho.script(TOKEN, default=reset())
    zoho.script(TOKEN_EU, default=[reset(), result()])
    a, b = secret(TOKEN), secret(TOKEN_EU)
    run(zoho, [a, b], "com")
    assert a.verification.status is Status.UNKNOWN
    assert "connection failed" in a.verification.reason
    assert "after 3 attempts" in a.verification.reason
    assert zoho.count(TOKEN) == 3
    assert b.verification.status is Status.LIVE
    assert zoho.count(TOKEN_EU) == 2


def test_refused_connection_is_unknown() -> None:
    with ZohoServer() as gone:
        base = gone.base("com")
    s = secret(TOKEN)
    verify_secrets([s], VerifyOptions(api_bases=(f"com={base}",), timeout=0.3), progress=False)
    assert s.verification.status is Status.UNKNOWN
    assert "connection failed (refused) after 3 attempts" in s.verification.reason


def test_slow_answer_times_out_and_is_not_retried(zoho: ZohoServer) -> None:
    zoho.script(TOKEN, default=slow(1.5, result()))
    started = time.monotonic()
    s = one(zoho, TOKEN, "com")
    assert time.monotonic() - started < 1.0
    assert s.verification.status is Status.UNKNOWN
    assert "no answer within 0.3 s on com" in s.verification.reason
    assert zoho.count(TOKEN) == 1


def test_a_timeout_on_one_data_centre_does_not_stop_the_others(zoho: ZohoServer) -> None:
    zoho.script(TOKEN, com=slow(1.5, result()), eu=result())
    s = one(zoho, TOKEN, "com", "eu")
    assert s.verification.status is Status.LIVE
    assert s.verification.data_centre == "eu"


def test_once_per_distinct_token(zoho: ZohoServer) -> None:
    zoho.script(TOKEN, com=result())
    same = [secret(TOKEN), secret(TOKEN)]
    section = run(zoho, [*same, secret(TOKEN_EU)], "com")
    assert zoho.count(TOKEN) == 1
    assert zoho.count(TOKEN_EU) == 1
    assert [s.verification.status for s in same] == [Status.LIVE, Status.LIVE]
    assert same[0].verification is not same[1].verification
    assert section.tokens_checked == 2
    assert section.requests == 2


@pytest.mark.parametrize("limit", [1, 3])
def test_concurrency_is_bounded(limit: int) -> None:
    with ZohoServer(delay=0.05) as zoho:
        secrets = [secret(t) for t in tokens(12)]
        for s in secrets:
            zoho.script(s.value, default=result())
        run(zoho, secrets, "com", concurrency=limit)
    assert zoho.peak == limit
    assert all(s.verification.status is Status.LIVE for s in secrets)


def test_deadline_leaves_unreached_tokens_unknown_never_dropped() -> None:
    with ZohoServer(delay=0.1) as zoho:
        secrets = [secret(t) for t in tokens(20)]
        for s in secrets:
            zoho.script(s.value, default=result())
        started = time.monotonic()
        run(zoho, secrets, "com", concurrency=1, deadline=0.45)
        took = time.monotonic() - started
    statuses = [s.verification.status for s in secrets]
    assert took < 1.5
    assert 2 <= statuses.count(Status.LIVE) <= 5
    assert statuses.count(Status.LIVE) + statuses.count(Status.UNKNOWN) == 20
    late = [s.verification for s in secrets if s.verification.status is Status.UNKNOWN]
    assert any(v.reason.startswith("not reached before the verification deadline") for v in late)
    assert all(v.checked_at is None for v in late if v.reason.startswith("not reached"))
    assert len(zoho.requests) < 8


def test_deadline_cuts_a_slow_request_short(zoho: ZohoServer) -> None:
    zoho.script(TOKEN, com=slow(2, result()))
    s = secret(TOKEN)
    run(zoho, [s], "com", "eu", timeout=5, deadline=0.3)
    assert s.verification.status is Status.UNKNOWN
    assert "no answer before the verification deadline on com" in s.verification.reason
    assert "eu not reached before the verification deadline" in s.verification.reason


def test_access_token_is_checked_with_a_header_on_get_org(zoho: ZohoServer) -> None:
    zoho.script(ACCESS, default=oauth_error("INVALID_TOKEN"), eu=org())
    s = one(zoho, ACCESS, "com", "eu", kind=SecretKind.ACCESS_TOKEN)
    assert s.verification.status is Status.LIVE
    assert s.verification.data_centre == "eu"
    assert s.verification.endpoint == f"{zoho.base('eu')}/crm/v2/org"
    for request in zoho.requests:
        assert request.method == "GET"
        assert request.endpoint == "/crm/v2/org"
        assert request.headers["authorization"] == f"Zoho-oauthtoken {ACCESS}"
        assert request.query == {} and request.form == {}


def test_access_token_scope_mismatch_is_live(zoho: ZohoServer) -> None:
    zoho.script(ACCESS, default=oauth_error("OAUTH_SCOPE_MISMATCH"))
    s = one(zoho, ACCESS, "com", kind=SecretKind.ACCESS_TOKEN)
    assert s.verification.status is Status.LIVE
    assert "OAUTH_SCOPE_MISMATCH" in s.verification.reason


def test_access_token_invalid_after_every_data_centre(zoho: ZohoServer) -> None:
    dcs = ("com", "eu", "in", "au", "cn", "jp")
    s = one(zoho, ACCESS, *dcs, kind=SecretKind.ACCESS_TOKEN)
    assert s.verification.status is Status.INVALID
    assert "401 INVALID_TOKEN on com, eu, in, au, cn and jp" in s.verification.reason
    assert len(zoho.requests) == 6


@pytest.mark.parametrize(
    ("kind", "value", "words"),
    [
        ("refresh-token", ACCESS, "refresh tokens are not checked"),
        ("grant-code", ACCESS, "grant codes are not checked"),
        ("oauth-token", ACCESS, "unknown type"),
        ("client-secret", "0" * 42, "only v1 authtokens and OAuth access tokens"),
        ("password", "Winter2016!crm", "only v1 authtokens"),
        ("authtoken", "k4m9p2q7r1s8t3u6v0w5x2y9z4a7b1c6", "not a 32-hex authtoken"),
        ("access-token", "1000.abc.def", "not shaped like"),
    ],
)
def test_not_checked_kinds_send_nothing(
    zoho: ZohoServer, kind: str, value: str, words: str
) -> None:
    s = one(zoho, value, kind=SecretKind(kind))
    assert s.verification.status is Status.NOT_CHECKED
    assert words in s.verification.reason
    assert zoho.requests == []


def test_cookies_are_never_sent_back(zoho: ZohoServer) -> None:
    first, second = tokens(2)
    zoho.script(first, default=result(cookie=True))
    zoho.script(second, default=result())
    run(zoho, [secret(first)], "com", concurrency=1)
    run(zoho, [secret(first), secret(second)], "com", concurrency=1)
    assert all("cookie" not in r.headers for r in zoho.requests)


def test_token_never_in_reasons_logs_or_progress(
    zoho: ZohoServer,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")  # draw the bar as on a terminal
    caplog.set_level(logging.DEBUG)
    zoho.script(
        TOKEN,
        com=code("4834", message=f"bad ticket {TOKEN}"),
        eu=redirect(f"https://x.example/?t={TOKEN}"),
    )
    zoho.script(ACCESS, default=[reset(), oauth_error("INVALID_TOKEN")])
    secrets = [secret(TOKEN), secret(ACCESS, SecretKind.ACCESS_TOKEN)]
    opts = VerifyOptions(api_bases=zoho.api_bases("com", "eu"), timeout=0.3)
    section = verify_secrets(secrets, opts, progress=True)
    out = capsys.readouterr()
    assert "verifying tokens" in out.err
    everything = [
        out.out,
        out.err,
        caplog.text,
        repr(section),
        *(repr(s.verification) for s in secrets),
    ]
    for text in everything:
        assert TOKEN not in text and ACCESS not in text and TOKEN_EU not in text
    assert "3f9a…a8c3" in caplog.text


def test_summary_reports_what_was_done(zoho: ZohoServer) -> None:
    zoho.script(TOKEN, default=result())
    secrets = [secret(TOKEN), secret(ACCESS, SecretKind.REFRESH_TOKEN), secret(TOKEN)]
    summary = run(zoho, secrets, "eu", "com", dc="COM", concurrency=2, deadline=30)
    assert (
        summary.api_base
        == summary.oauth_api_base
        == {
            "eu": zoho.base("eu"),
            "com": zoho.base("com"),
        }
    )
    assert summary.data_centres == ("eu", "com")
    assert (summary.default_data_centre, summary.timeout_s) == ("com", 0.3)
    assert (summary.concurrency, summary.deadline_s) == (2, 30)
    assert (summary.tokens_checked, summary.requests, summary.answered) == (1, 1, 1)
    assert summary.statuses == {Status.LIVE: 2, Status.NOT_CHECKED: 1}
    assert isinstance(summary.duration_s, float)
    with pytest.raises(dataclasses.FrozenInstanceError):
        summary.requests = 0  # type: ignore[misc]


def test_summary_is_the_scan_verification_section_of_the_result() -> None:
    summary = VerificationSummary(
        api_base={"*": "http://127.0.0.1:9"},
        oauth_api_base={"*": "http://127.0.0.1:9"},
        data_centres=("*",),
        default_data_centre="eu",
        timeout_s=10.0,
        concurrency=4,
        deadline_s=600.0,
        tokens_checked=3,
        requests=5,
        answered=4,
        statuses={Status.UNKNOWN: 1, Status.INVALID: 2, Status.LIVE: 1},
        duration_s=1.25,
    )
    result = ScanResult(["."], "tree", "2026-01-05T10:12:00+00:00", 0.1, Stats(), [], [], [])
    assert to_document(result, rules=())["scan"]["verification"] == {"enabled": False}
    result.verification = summary
    section = json.dumps(to_document(result, rules=())["scan"]["verification"])
    assert section == (
        '{"enabled": true, "api_base": {"*": "http://127.0.0.1:9"}, '
        '"oauth_api_base": {"*": "http://127.0.0.1:9"}, "data_centres": ["*"], '
        '"default_data_centre": "eu", "timeout_s": 10.0, "concurrency": 4, '
        '"deadline_s": 600.0, "tokens_checked": 3, "requests": 5, "answered": 4, '
        '"statuses": {"invalid": 2, "live": 1, "unknown": 1}, "duration_s": 1.25}'
    )
