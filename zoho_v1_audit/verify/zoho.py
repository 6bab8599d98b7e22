"""The probes: one read-only request per token and data centre, retried, on a deadline.

v1 authtokens go in a POST form body to `Info/getModules`; OAuth access tokens in an
`Authorization: Zoho-oauthtoken` header to `GET /crm/v2/org`. Data centres are tried the
hinted (else `--dc`) one first; how each request travels is `transport`'s job.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import requests

from zoho_v1_audit.models import Secret, SecretKind, Status, Verification, VerificationSummary
from zoho_v1_audit.progress import verify_progress
from zoho_v1_audit.verify.classify import Answer, HttpAnswer, classify_oauth, classify_v1, conclude
from zoho_v1_audit.verify.hosts import ALL, probe_order
from zoho_v1_audit.verify.options import VerifyOptions
from zoho_v1_audit.verify.transport import FAILURES, Guard, failed, open_session, send

log = logging.getLogger(__name__)

V1_PATH = "/crm/private/json/Info/getModules"
ORG_PATH = "/crm/v2/org"
RETRIES = 2  # after the first attempt, for connection errors and HTTP 5xx only
BACKOFF_S = 0.25  # doubled before each retry

_SHAPES = {
    SecretKind.AUTHTOKEN: (
        re.compile(r"[0-9a-f]{32}"),
        "not a 32-hex authtoken (every real v1 authtoken is 32 lowercase hex characters), "
        "probably a documentation placeholder; not sent to Zoho",
    ),
    SecretKind.ACCESS_TOKEN: (
        re.compile(r"1000\.[0-9a-f]{32}\.[0-9a-f]{32}"),
        "not shaped like a Zoho OAuth access token (1000.<32 hex>.<32 hex>); not sent to Zoho",
    ),
}

_NOT_CHECKED = {
    SecretKind.REFRESH_TOKEN: "refresh tokens are not checked: the only check mints a new "
    "access token; revoke it anyway",
    SecretKind.GRANT_CODE: "grant codes are not checked: the only check mints tokens (and they "
    "expire within minutes); remove it anyway",
    SecretKind.OAUTH_TOKEN: "a Zoho OAuth token of unknown type is not checked: it may be a "
    "refresh token or grant code, which cannot be checked without minting tokens; revoke it anyway",
}


def _v1_form(token: str) -> dict[str, Any]:
    return {"data": {"authtoken": token, "scope": "crmapi", "type": "api"}}


def _oauth_header(token: str) -> dict[str, Any]:
    return {"headers": {"Authorization": f"Zoho-oauthtoken {token}"}}


@dataclass(frozen=True, slots=True)
class _Api:
    """One kind of probe: its name, request, where the token goes and how to read the answer."""

    name: str
    method: str
    path: str
    carry: Callable[[str], dict[str, Any]]
    classify: Callable[[HttpAnswer], Answer]


V1 = _Api("v1", "POST", V1_PATH, _v1_form, classify_v1)
OAUTH = _Api("oauth", "GET", ORG_PATH, _oauth_header, classify_oauth)


def _not_checked(secret: Secret) -> str | None:
    """Why a secret is not probed, or None when it is."""
    if not secret.kind.checkable:
        return _NOT_CHECKED.get(
            secret.kind,
            f"{secret.kind} values are not checked: only v1 authtokens and OAuth access tokens "
            "can be checked read-only",
        )
    shape, why = _SHAPES[secret.kind]
    return None if shape.fullmatch(secret.value) else why


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class _Prober:
    """Runs the probes of one verification with one session, timeout and deadline."""

    def __init__(self, options: VerifyOptions, session: requests.Session) -> None:
        self.options = options
        self.session = session
        self.stop_at = time.monotonic() + options.deadline
        self.requests = 0
        self.answered = 0  # requests that got an HTTP answer: a data centre was reached
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._guards: set[Guard] = set()

    def stop(self) -> None:
        """Cut the requests in flight and send no more, so the workers end at once (Ctrl-C)."""
        with self._lock:
            self._stopped.set()
            guards = list(self._guards)
        for guard in guards:
            guard.cut()

    def _remaining(self) -> float:
        return self.stop_at - time.monotonic()

    def _attempt(self, api: _Api, base: str, token: str, remaining: float) -> tuple[Answer, bool]:
        """One request's verdict, and whether it may be retried (connection errors, HTTP 5xx)."""
        timeout = min(self.options.timeout, remaining)
        with Guard(timeout) as guard:
            with self._lock:
                self._guards.add(guard)
                self.requests += 1
                if self._stopped.is_set():
                    guard.cut()
            try:
                url = base + api.path
                reply = send(self.session, guard, api.method, url, timeout, **api.carry(token))
            except FAILURES as exc:
                return failed(exc, guard, timeout, timeout < self.options.timeout)
            finally:
                with self._lock:
                    self._guards.discard(guard)
                    self.answered += guard.answering
        return api.classify(reply), reply.status >= 500

    def probe(self, api: _Api, base: str, token: str) -> Answer | None:
        """One data centre's answer, with retries; None when the deadline (or a stop) came first."""
        answer: Answer | None = None
        for attempt in range(RETRIES + 1):
            if attempt:
                self._stopped.wait(max(0.0, min(BACKOFF_S * 2 ** (attempt - 1), self._remaining())))
            remaining = self._remaining()
            if remaining <= 0 or self._stopped.is_set():
                return answer
            answer, retry = self._attempt(api, base, token, remaining)
            if not retry:
                return answer
        return answer and Answer(answer.status, f"{answer.reason} after {RETRIES + 1} attempts")

    def verify(self, secret: Secret) -> Verification:
        """Probe one token over the data centres in play, the hinted (else --dc) one first."""
        api = V1 if secret.kind is SecretKind.AUTHTOKEN else OAUTH
        bases = self.options.bases.v1 if api is V1 else self.options.bases.oauth
        hint = secret.data_centre_hint
        order = probe_order(list(bases), hint if hint in bases else self.options.dc)
        tried: list[tuple[str, Answer]] = []
        for dc in order:
            answer = self.probe(api, bases[dc], secret.value)
            if answer is None:
                break
            log.debug("%s probe of %s on %s: %s", api.name, secret.preview, dc, answer.status)
            tried.append((dc, answer))
            if answer.status in (Status.LIVE, Status.LIVE_RATE_LIMITED):
                break
        status, reason, label = conclude(tried, order, hint, v1=api is V1)
        return Verification(
            status=status,
            reason=reason,
            data_centre=None if label in (None, ALL) else label,
            endpoint=None if label is None else bases[label] + api.path,
            checked_at=_now() if tried else None,
        )


def verify_all(
    secrets: Sequence[Secret], options: VerifyOptions, *, progress: bool
) -> VerificationSummary:
    """Probe each distinct checkable token once; set every secret's verification."""
    started = time.perf_counter()
    groups: dict[str, list[Secret]] = {}
    for secret in secrets:
        why = _not_checked(secret)
        if why is None:
            groups.setdefault(secret.value, []).append(secret)
        else:
            secret.verification = Verification(Status.NOT_CHECKED, why)
    pool = ThreadPoolExecutor(max_workers=options.concurrency)
    with (
        open_session(options.concurrency) as session,
        verify_progress(len(groups), enabled=progress) as advance,
    ):
        prober = _Prober(options, session)
        try:
            jobs = {pool.submit(prober.verify, same[0]): same for same in groups.values()}
            for job in as_completed(jobs):
                for secret in jobs[job]:
                    secret.verification = replace(job.result())
                advance()
        except BaseException:  # Ctrl-C: end the requests in flight, or exiting waits for them
            prober.stop()
            raise
        finally:  # start nothing new
            pool.shutdown(wait=False, cancel_futures=True)
    bases = options.bases
    return VerificationSummary(
        api_base=bases.v1,
        oauth_api_base=bases.oauth,
        data_centres=tuple(dict.fromkeys([*bases.v1, *bases.oauth])),
        default_data_centre=options.dc,
        timeout_s=options.timeout,
        concurrency=options.concurrency,
        deadline_s=options.deadline,
        tokens_checked=len(groups),
        requests=prober.requests,
        answered=prober.answered,
        statuses=Counter(secret.verification.status for secret in secrets),
        duration_s=round(time.perf_counter() - started, 3),
    )
