"""Turn Zoho's answers to a probe into a verification status and a human reason.

Pure functions. Reasons are built from fixed phrases only: nothing the server sends is echoed
(no redirect target, no Retry-After value, no unknown code), so an answer cannot carry a token
or any other text into a report. Known v1 and OAuth codes are named from this module's tables.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from typing import Any, NamedTuple

from zoho_v1_audit.models import Status
from zoho_v1_audit.verify.hosts import ALL

BODY_LIMIT = 1 << 20  # bytes of an answer read at most: a v1 answer is a few KiB


class HttpAnswer(NamedTuple):
    """What came back from one request, as far as classification needs it."""

    status: int
    content_type: str = ""
    body: bytes = b""  # at most BODY_LIMIT bytes, as sent
    retry_after: str = ""
    oversized: bool = False  # the answer was longer than BODY_LIMIT
    encoded: bool = False  # compressed (a Content-Encoding other than identity)


class Answer(NamedTuple):
    """One data centre's verdict: a status and a phrase that reads well before "on <dc>"."""

    status: Status
    reason: str


# Documented v1 codes (reference section 3.2) that only a logged-in token can get, or that say
# nothing about the token; 4834 is the only "not logged in" answer.
V1_CODES: dict[str, tuple[Status, str]] = {
    "4001": (Status.LIVE, "No API permission"),
    "401": (Status.LIVE, "No module permission"),
    "401.1": (Status.LIVE, "No permission to create"),
    "401.2": (Status.LIVE, "No permission to edit"),
    "401.3": (Status.LIVE, "No permission to delete"),
    "4101": (Status.LIVE, "Zoho CRM disabled"),
    "4102": (Status.LIVE, "No CRM account"),
    "4103": (Status.LIVE, "No record with the given id"),
    "4401": (Status.LIVE, "Mandatory field missing"),
    "4420": (Status.LIVE, "Wrong search parameter"),
    "4422": (Status.LIVE, "There is no data to show"),
    "4423": (Status.LIVE, "Record search limit exceeded"),
    "4424": (Status.LIVE, "Invalid file type"),
    "4487": (Status.LIVE, "No permission to convert lead"),
    "4502": (Status.LIVE, "Module not supported in your edition"),
    "4800": (Status.LIVE, "success"),
    "4807": (Status.LIVE, "File size limit exceeded"),
    "4809": (Status.LIVE, "Storage space limit exceeded"),
    "4832": (Status.LIVE, "Text given for an integer field"),
    "5000": (Status.LIVE, "success"),
    "4421": (Status.LIVE_RATE_LIMITED, "Number of API calls exceeded"),
    "4820": (Status.LIVE_RATE_LIMITED, "Rate limit exceeded"),
    "4834": (Status.INVALID, "Invalid Ticket Id"),
    "4000": (Status.UNKNOWN, "Use authtoken instead of API ticket"),
    "4500": (Status.UNKNOWN, "Internal server error"),
    "4501": (Status.UNKNOWN, "API key inactive"),
    "4600": (Status.UNKNOWN, "Incorrect API parameter or method"),
    "4831": (Status.UNKNOWN, "Missing parameters"),
    "4835": (Status.UNKNOWN, "XML parsing error"),
    "4890": (Status.UNKNOWN, "Wrong API key"),
}

_CODE_SHAPE = re.compile(r"[0-9]{3,4}(?:\.[0-9])?")
_HTML = Answer(Status.UNSUPPORTED, "the host answered with an HTML page, not v1")
_NOT_V1 = Answer(Status.UNSUPPORTED, "the host answered, but not as v1 does")
_OVERSIZED = Answer(
    Status.UNSUPPORTED,
    f"the host answered with more than {BODY_LIMIT >> 20} MiB, far more than any v1 answer "
    "(not read further)",
)
_ENCODED = Answer(Status.UNKNOWN, "the host sent a compressed answer although none was asked for")


def _rate_limited(answer: HttpAnswer) -> Answer:
    """An HTTP 429: the HTTP layer's limit, which says nothing about the token; not waited for."""
    wait = "asked to retry later; " if answer.retry_after.strip() else ""
    return Answer(
        Status.UNKNOWN, f"the host answered HTTP 429 Too Many Requests ({wait}not retried)"
    )


def _http_fault(answer: HttpAnswer) -> Answer | None:
    """Verdicts that follow from the HTTP status, size or encoding alone."""
    status = answer.status
    if 300 <= status < 400:
        return Answer(
            Status.UNSUPPORTED, f"the host answered HTTP {status}, a redirect (not followed)"
        )
    if status in (404, 410):
        return Answer(Status.UNSUPPORTED, f"the host answered HTTP {status}, not v1")
    if status == 429:
        return _rate_limited(answer)
    if status >= 500:
        return Answer(Status.UNKNOWN, f"the host answered HTTP {status}")
    if answer.oversized:
        return _OVERSIZED
    if answer.encoded:
        return _ENCODED
    return None


def _text(body: bytes) -> str:
    return body.decode("utf-8", "replace").lstrip("\ufeff \t\r\n")


def _json(text: str) -> Any:
    """A JSON document; ValueError for malformed JSON and for JSON nested too deeply to read."""
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError("nested too deeply") from None


def _is_html(content_type: str, text: str) -> bool:
    head = text[:64].lower()
    return "html" in content_type.lower() or head.startswith(("<!doctype html", "<html"))


def normalise_code(code: object) -> str | None:
    """A v1 error code as text ("4834", "401.1") whether sent as a string or a number."""
    if isinstance(code, bool):
        return None
    if isinstance(code, int):
        return str(code)
    if isinstance(code, float):
        return str(int(code)) if code.is_integer() else repr(code)
    if isinstance(code, str):
        return code.strip()
    return None


def from_code(code: object) -> Answer:
    """The verdict for a v1 error or no-data code."""
    text = normalise_code(code)
    if text is None or not _CODE_SHAPE.fullmatch(text):
        return Answer(Status.UNKNOWN, "Zoho answered a v1 error without a readable code")
    known = V1_CODES.get(text)
    if known is None:
        return Answer(
            Status.UNKNOWN, "Zoho answered a v1 code that does not tell whether the token is live"
        )
    return Answer(known[0], f"Zoho answered {text} {known[1]}")


_RESULT = Answer(Status.LIVE, "Zoho answered with the module list")


def _from_json(doc: Any) -> Answer:
    response = doc.get("response") if isinstance(doc, dict) else None
    if not isinstance(response, dict):
        return _NOT_V1
    if "result" in response:
        return _RESULT
    for key in ("error", "nodata", "success"):
        part = response.get(key)
        if isinstance(part, dict):
            return from_code(part.get("code"))
    return _NOT_V1


def _from_xml(text: str) -> Answer:
    upper = text.upper()
    if "<!DOCTYPE" in upper or "<!ENTITY" in upper:  # v1 never sent a DTD: no entity tricks
        return _NOT_V1
    try:
        root = ET.fromstring(text)  # noqa: S314  (no DTD, so no entity expansion)
    except ET.ParseError:
        return Answer(Status.UNKNOWN, "the host answered with malformed XML")
    if root.tag != "response":
        return _NOT_V1
    if root.find("result") is not None:
        return _RESULT
    for key in ("error", "nodata", "success"):
        part = root.find(key)
        if part is not None:
            return from_code(part.findtext("code"))
    return _NOT_V1


def classify_v1(answer: HttpAnswer) -> Answer:
    """The verdict of one data centre on a v1 `Info/getModules` probe (JSON or XML answer).

    An HTTP 429 is read for a v1 code first: v1 answers 4820 or 4421 only to a logged-in
    token, whatever the status; a 429 without a v1 answer came before the token was read.
    """
    if answer.status == 429 and not (answer.oversized or answer.encoded):
        said = _v1_answer(answer)
        if said.status in (Status.LIVE, Status.LIVE_RATE_LIMITED, Status.INVALID):
            return said
        limit = _rate_limited(answer)
        return Answer(limit.status, f"{limit.reason} without a v1 answer")
    fault = _http_fault(answer)
    if fault is not None:
        return fault
    return _v1_answer(answer)


def _v1_answer(answer: HttpAnswer) -> Answer:
    """The verdict from the body of an answer to a v1 probe."""
    text = _text(answer.body)
    content_type = answer.content_type.lower()
    if not text:
        return Answer(Status.UNKNOWN, "the host answered with an empty body")
    if _is_html(content_type, text):
        return _HTML
    if text.startswith(("{", "[")) or "json" in content_type:
        try:
            return _from_json(_json(text))
        except ValueError:
            return Answer(Status.UNKNOWN, "the host answered with malformed JSON")
    if text.startswith("<") or "xml" in content_type:
        return _from_xml(text)
    return _NOT_V1


def classify_oauth(answer: HttpAnswer) -> Answer:
    """The verdict of one data centre on `GET /crm/v2/org` with an OAuth access token."""
    fault = _http_fault(answer)
    if fault is not None:
        return fault
    text = _text(answer.body)
    if _is_html(answer.content_type, text):
        return Answer(Status.UNSUPPORTED, "the host answered with an HTML page, not the CRM API")
    try:
        doc = _json(text)
    except ValueError:
        return Answer(Status.UNKNOWN, f"the host answered HTTP {answer.status} without JSON")
    if not isinstance(doc, dict):
        return Answer(Status.UNSUPPORTED, "the host answered, but not as the CRM API does")
    if answer.status == 200:
        return Answer(Status.LIVE, "Zoho answered with the org details")
    code = doc.get("code")
    if code == "INVALID_TOKEN":
        return Answer(Status.INVALID, f"Zoho answered {answer.status} INVALID_TOKEN")
    if code == "OAUTH_SCOPE_MISMATCH":
        return Answer(
            Status.LIVE,
            f"Zoho answered {answer.status} OAUTH_SCOPE_MISMATCH (a valid token without the org scope)",
        )
    return Answer(
        Status.UNKNOWN,
        f"Zoho answered HTTP {answer.status} with no code that tells whether the token is live",
    )


def _join(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _grouped(tried: Sequence[tuple[str, Answer]]) -> str:
    """'Zoho answered 4834 Invalid Ticket Id on com and eu; no answer within 10 s on cn'."""
    places: dict[str, list[str]] = {}
    for label, answer in tried:
        places.setdefault(answer.reason, []).append(label)
    parts = []
    for reason, labels in places.items():
        named = [label for label in labels if label != ALL]
        parts.append(f"{reason} on {_join(named)}" if named else reason)
    return "; ".join(parts)


_REVOKE = "revoke it anyway"


def conclude(
    tried: Sequence[tuple[str, Answer]], in_play: Sequence[str], hint: str | None, *, v1: bool
) -> tuple[Status, str, str | None]:
    """The final status, reason and deciding data centre for one token.

    `tried` holds the answers in order (the last may be live); data centres of `in_play`
    not in `tried` were not reached before the deadline. `invalid` needs every one to say so.
    """
    seen = {label for label, _ in tried}
    untried = [dc for dc in in_play if dc not in seen]
    if not tried:
        return Status.UNKNOWN, f"not reached before the verification deadline; {_REVOKE}", None
    late = f"{_join(untried)} not reached before the verification deadline" if untried else ""
    said = _grouped(tried)
    last_label, last = tried[-1]
    if last.status in (Status.LIVE, Status.LIVE_RATE_LIMITED):
        reason = f"{said}: the token is live"
        if last.status is Status.LIVE_RATE_LIMITED:
            reason += " but rate-limited"
        if hint and last_label not in (hint, ALL):
            reason += f" on {last_label}, not on {hint} as its v1 URL says"
        return last.status, reason, last_label
    statuses = [answer.status for _, answer in tried]
    if untried or Status.UNKNOWN in statuses:
        first = next((label for label, a in tried if a.status is Status.UNKNOWN), tried[0][0])
        return (
            Status.UNKNOWN,
            f"{'; '.join(filter(None, (said, late)))}: the token's state is unknown; {_REVOKE}",
            first,
        )
    if Status.UNSUPPORTED in statuses:
        first = next(label for label, a in tried if a.status is Status.UNSUPPORTED)
        api = "the v1 API is retired" if v1 else "the CRM API did not answer as documented"
        return (
            Status.UNSUPPORTED,
            f"{said}: {api}, so this token's state is unproven; {_REVOKE}",
            first,
        )
    scope = (
        "the token is not accepted" if tried[0][0] == ALL else "no data centre accepts the token"
    )
    return Status.INVALID, f"{said}: {scope}", tried[0][0]
