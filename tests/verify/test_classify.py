"""Classification of v1 and CRM API answers, and the verdict over several data centres."""

from __future__ import annotations

import json

import pytest

from zoho_v1_audit.models import Status
from zoho_v1_audit.verify.classify import (
    V1_CODES,
    Answer,
    HttpAnswer,
    classify_oauth,
    classify_v1,
    conclude,
    normalise_code,
)

JSON = "application/json;charset=UTF-8"
XML = "text/xml;charset=UTF-8"
URI = "/crm/private/json/Info/getModules"


def v1_json(key: str, code: object) -> HttpAnswer:
    doc = {"response": {key: {"message": "whatever Zoho says", "code": code}, "uri": URI}}
    return HttpAnswer(200, JSON, json.dumps(doc).encode())


def v1_xml(key: str, code: str) -> HttpAnswer:
    body = (
        f'<?xml version="1.0" encoding="UTF-8" ?>\n<response uri="{URI}"><{key}>'
        f"<code>{code}</code><message>m</message></{key}></response>"
    )
    return HttpAnswer(200, XML, body.encode())


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("4422", Status.LIVE),
        ("4001", Status.LIVE),
        ("401", Status.LIVE),
        ("401.1", Status.LIVE),
        ("401.3", Status.LIVE),
        ("4101", Status.LIVE),
        ("4102", Status.LIVE),
        ("4103", Status.LIVE),
        ("4502", Status.LIVE),
        ("4421", Status.LIVE_RATE_LIMITED),
        ("4820", Status.LIVE_RATE_LIMITED),
        ("4834", Status.INVALID),
        ("4500", Status.UNKNOWN),
        ("4600", Status.UNKNOWN),
        ("9999", Status.UNKNOWN),
    ],
)
def test_v1_codes_in_json_and_xml(code: str, status: Status) -> None:
    key = "nodata" if code == "4422" else "error"
    assert classify_v1(v1_json(key, code)).status is status
    assert classify_v1(v1_xml(key, code)).status is status


@pytest.mark.parametrize(("number", "text"), [(4834, "4834"), (4834.0, "4834"), (401.1, "401.1")])
def test_code_as_a_number(number: float, text: str) -> None:
    assert normalise_code(number) == text
    assert classify_v1(v1_json("error", number)).status is V1_CODES[text][0]


def test_reason_names_code_and_meaning() -> None:
    assert classify_v1(v1_json("error", "4834")).reason == "Zoho answered 4834 Invalid Ticket Id"
    assert classify_v1(v1_json("error", 4820)).reason == "Zoho answered 4820 Rate limit exceeded"


def test_server_text_is_never_echoed() -> None:
    sneaky = "secret-ish<script>"
    for answer in (
        v1_json("error", sneaky),
        v1_json("error", True),
        v1_json("error", None),
        HttpAnswer(401, JSON, json.dumps({"code": sneaky}).encode()),
        HttpAnswer(429, JSON, b"", retry_after=f"{sneaky} authtoken=x"),
    ):
        for verdict in (classify_v1(answer), classify_oauth(answer)):
            assert sneaky not in verdict.reason
            assert "authtoken=x" not in verdict.reason


def test_result_payload_is_live_in_json_and_xml() -> None:
    doc = {
        "response": {"result": {"row": {"no": "1", "pl": "Leads", "content": "Leads"}}, "uri": URI}
    }
    assert classify_v1(HttpAnswer(200, JSON, json.dumps(doc).encode())).status is Status.LIVE
    xml = f'<response uri="{URI}"><result><row no="1" pl="Leads">Leads</row></result></response>'
    assert classify_v1(HttpAnswer(200, XML, xml.encode())).status is Status.LIVE


@pytest.mark.parametrize(
    ("answer", "status", "words"),
    [
        (
            HttpAnswer(200, "text/html", b"<html><body>Zoho</body></html>"),
            Status.UNSUPPORTED,
            "HTML",
        ),
        (HttpAnswer(200, "", b"\n<!DOCTYPE html><html></html>"), Status.UNSUPPORTED, "HTML"),
        (HttpAnswer(404, "text/plain", b"gone"), Status.UNSUPPORTED, "HTTP 404"),
        (HttpAnswer(410, "text/plain", b"gone"), Status.UNSUPPORTED, "HTTP 410"),
        (HttpAnswer(302), Status.UNSUPPORTED, "HTTP 302, a redirect (not followed)"),
        (HttpAnswer(301), Status.UNSUPPORTED, "HTTP 301, a redirect"),
        (HttpAnswer(200, JSON, b'{"data": []}'), Status.UNSUPPORTED, "not as v1"),
        (HttpAnswer(200, JSON, b'{"response": {"uri": "/x"}}'), Status.UNSUPPORTED, "not as v1"),
        (HttpAnswer(200, XML, b"<users><user/></users>"), Status.UNSUPPORTED, "not as v1"),
        (HttpAnswer(200, "text/plain", b"RESULT=FALSE"), Status.UNSUPPORTED, "not as v1"),
        (HttpAnswer(200, JSON, b'{"response": {"result": '), Status.UNKNOWN, "malformed JSON"),
        (HttpAnswer(200, XML, b"<response><result>"), Status.UNKNOWN, "malformed XML"),
        (HttpAnswer(200, JSON, b""), Status.UNKNOWN, "empty"),
        (HttpAnswer(500, JSON, b"{}"), Status.UNKNOWN, "HTTP 500"),
        (HttpAnswer(503, "text/html", b"<html/>"), Status.UNKNOWN, "HTTP 503"),
        (HttpAnswer(429, "text/plain", b"slow down"), Status.UNKNOWN, "HTTP 429"),
    ],
)
def test_v1_non_answers(answer: HttpAnswer, status: Status, words: str) -> None:
    verdict = classify_v1(answer)
    assert verdict.status is status
    assert words in verdict.reason


def test_xml_with_a_dtd_is_refused_unparsed() -> None:
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><response><result>&b;</result></response>'
    )
    assert classify_v1(HttpAnswer(200, XML, bomb.encode())).status is Status.UNSUPPORTED


@pytest.mark.parametrize(
    ("answer", "status"),
    [
        (HttpAnswer(200, JSON, b'{"org": [{"id": "1"}]}'), Status.LIVE),
        (
            HttpAnswer(401, JSON, b'{"code": "OAUTH_SCOPE_MISMATCH", "status": "error"}'),
            Status.LIVE,
        ),
        (HttpAnswer(401, JSON, b'{"code": "INVALID_TOKEN", "status": "error"}'), Status.INVALID),
        (HttpAnswer(401, JSON, b'{"code": "AUTHENTICATION_FAILURE"}'), Status.UNKNOWN),
        (HttpAnswer(400, JSON, b"[1, 2]"), Status.UNSUPPORTED),
        (HttpAnswer(200, "text/html", b"<html></html>"), Status.UNSUPPORTED),
        (HttpAnswer(200, JSON, b"{not json"), Status.UNKNOWN),
        (HttpAnswer(302), Status.UNSUPPORTED),
        (HttpAnswer(404, JSON, b"{}"), Status.UNSUPPORTED),
        (HttpAnswer(502, JSON, b"{}"), Status.UNKNOWN),
    ],
)
def test_oauth_answers(answer: HttpAnswer, status: Status) -> None:
    assert classify_oauth(answer).status is status


DEAD = Answer(Status.INVALID, "Zoho answered 4834 Invalid Ticket Id")
LIVE = Answer(Status.LIVE, "Zoho answered with the module list")
HTML = Answer(Status.UNSUPPORTED, "the host answered with an HTML page, not v1")
SLOW = Answer(Status.UNKNOWN, "no answer within 10 s")
DCS = ["com", "eu", "cn", "in"]


def test_invalid_only_when_every_data_centre_says_4834() -> None:
    status, reason, dc = conclude([(d, DEAD) for d in DCS], DCS, None, v1=True)
    assert status is Status.INVALID
    assert reason == (
        "Zoho answered 4834 Invalid Ticket Id on com, eu, cn and in: no data centre accepts the token"
    )
    assert dc == "com"


def test_live_elsewhere_than_the_hint_is_reported_where_it_answered() -> None:
    status, reason, dc = conclude([("com", DEAD), ("eu", LIVE)], DCS, "com", v1=True)
    assert (status, dc) == (Status.LIVE, "eu")
    assert reason.endswith("the token is live on eu, not on com as its v1 URL says")


def test_rate_limited() -> None:
    limited = Answer(Status.LIVE_RATE_LIMITED, "Zoho answered 4820 Rate limit exceeded")
    status, reason, _ = conclude([("com", limited)], DCS, None, v1=True)
    assert status is Status.LIVE_RATE_LIMITED
    assert "rate-limited" in reason


def test_a_fault_anywhere_keeps_the_token_from_being_invalid() -> None:
    status, reason, dc = conclude(
        [("com", DEAD), ("eu", SLOW), ("cn", DEAD), ("in", DEAD)], DCS, None, v1=True
    )
    assert (status, dc) == (Status.UNKNOWN, "eu")
    assert "4834 Invalid Ticket Id on com, cn and in; no answer within 10 s on eu" in reason
    assert reason.endswith("revoke it anyway")


def test_retired_endpoint_is_unsupported_and_says_revoke() -> None:
    status, reason, _ = conclude([(d, HTML) for d in DCS], DCS, None, v1=True)
    assert status is Status.UNSUPPORTED
    assert "the v1 API is retired, so this token's state is unproven; revoke it anyway" in reason


def test_deadline_leaves_the_rest_unknown() -> None:
    status, reason, _ = conclude([("com", DEAD)], DCS, None, v1=True)
    assert status is Status.UNKNOWN
    assert "eu, cn and in not reached before the verification deadline" in reason
    assert conclude([], DCS, None, v1=True)[:2] == (
        Status.UNKNOWN,
        "not reached before the verification deadline; revoke it anyway",
    )


def test_single_base_is_not_named() -> None:
    status, reason, dc = conclude([("*", DEAD)], ["*"], "eu", v1=True)
    assert status is Status.INVALID
    assert reason == "Zoho answered 4834 Invalid Ticket Id: the token is not accepted"
    assert dc == "*"
