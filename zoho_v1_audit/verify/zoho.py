"""The probes: one read-only request per token and data centre, bounded, retried, on a deadline.

v1 authtokens go in a POST form body to `Info/getModules`; OAuth access tokens in an
`Authorization: Zoho-oauthtoken` header to `GET /crm/v2/org`. Redirects are never followed,
cookies never kept, environment proxies and .netrc never used.
"""

from __future__ import annotations

import contextlib
import http.cookiejar
import logging
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ReadTimeoutError

from zoho_v1_audit import __version__
from zoho_v1_audit.models import Secret, Status, Verification
from zoho_v1_audit.verify import VerifyOptions
from zoho_v1_audit.verify.classify import Answer, HttpAnswer, classify_oauth, classify_v1, conclude
from zoho_v1_audit.verify.hosts import ALL, Bases, check_dc, parse_bases, probe_order

log = logging.getLogger(__name__)

V1_PATH = "/crm/private/json/Info/getModules"
ORG_PATH = "/crm/v2/org"
USER_AGENT = f"zoho-v1-audit/{__version__}"
RETRIES = 2  # after the first attempt, for connection errors and HTTP 5xx only
BACKOFF_S = 0.25  # doubled before each retry
BODY_LIMIT = 1 << 20  # bytes of an answer read at most

_AUTHTOKEN = re.compile(r"[0-9a-f]{32}")
_ACCESS_TOKEN = re.compile(r"1000\.[0-9a-f]{32}\.[0-9a-f]{32}")

_NOT_CHECKED = {
    "refresh-token": "refresh tokens are not checked: the only check mints a new access token; "
    "revoke it anyway",
    "grant-code": "grant codes are not checked: the only check mints tokens (and they expire "
    "within minutes); remove it anyway",
    "oauth-token": "a Zoho OAuth token of unknown type is not checked: it may be a refresh token "
    "or grant code, which cannot be checked without minting tokens; revoke it anyway",
}


@dataclass(frozen=True, slots=True)
class _Api:
    """One kind of probe: its name, its path and how to read the answer."""

    name: str
    path: str
    classify: Callable[[HttpAnswer], Answer]


V1 = _Api("v1", V1_PATH, classify_v1)
OAUTH = _Api("oauth", ORG_PATH, classify_oauth)


def _not_checked(secret: Secret) -> str | None:
    """Why a secret is not probed, or None when it is."""
    if secret.kind == "authtoken":
        if _AUTHTOKEN.fullmatch(secret.value):
            return None
        return (
            "not a 32-hex authtoken (every real v1 authtoken is 32 lowercase hex characters), "
            "probably a documentation placeholder; not sent to Zoho"
        )
    if secret.kind == "access-token":
        if _ACCESS_TOKEN.fullmatch(secret.value):
            return None
        return (
            "not shaped like a Zoho OAuth access token (1000.<32 hex>.<32 hex>); not sent to Zoho"
        )
    return _NOT_CHECKED.get(
        secret.kind,
        f"{secret.kind} values are not checked: only v1 authtokens and OAuth access tokens "
        "can be checked read-only",
    )


class _Slow(Exception):
    """An answer that did not complete within the time allowed."""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _session(concurrency: int) -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # no environment proxies, no .netrc credentials
    session.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
    session.headers.update({"User-Agent": USER_AGENT, "Accept": "application/json, */*"})
    adapter = HTTPAdapter(pool_connections=8, pool_maxsize=concurrency, max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


class _Prober:
    """Runs the probes of one verification with one session, timeout and deadline."""

    def __init__(self, options: VerifyOptions, bases: Bases, session: requests.Session) -> None:
        self.options = options
        self.dc = check_dc(options.dc)
        self.bases = bases
        self.session = session
        self.stop_at = None if options.deadline is None else time.monotonic() + options.deadline
        self.requests = 0
        self._lock = threading.Lock()

    def _remaining(self) -> float:
        return float("inf") if self.stop_at is None else self.stop_at - time.monotonic()

    def _send(self, api: _Api, url: str, token: str, timeout: float) -> HttpAnswer:
        with self._lock:
            self.requests += 1
        if api is V1:
            call = self.session.post(
                url,
                data={"authtoken": token, "scope": "crmapi", "type": "api"},
                timeout=timeout,
                allow_redirects=False,
                stream=True,
            )
        else:
            call = self.session.get(
                url,
                headers={"Authorization": f"Zoho-oauthtoken {token}"},
                timeout=timeout,
                allow_redirects=False,
                stream=True,
            )
        started = time.monotonic()
        with call as response:
            body = bytearray()
            for chunk in response.iter_content(chunk_size=65536):
                body += chunk
                if len(body) >= BODY_LIMIT:
                    break
                if time.monotonic() - started > timeout:
                    raise _Slow
            return HttpAnswer(
                response.status_code,
                response.headers.get("Content-Type", ""),
                bytes(body[:BODY_LIMIT]),
                response.headers.get("Location", ""),
            )

    def _attempt(self, api: _Api, base: str, token: str, remaining: float) -> tuple[Answer, bool]:
        """One request's verdict, and whether it may be retried (connection errors, HTTP 5xx)."""
        timeout = min(self.options.timeout, remaining)
        late = Answer(
            Status.UNKNOWN,
            "no answer before the verification deadline"
            if timeout < self.options.timeout
            else f"no answer within {timeout:g} s",
        )
        try:
            reply = self._send(api, base + api.path, token, timeout)
        except (requests.exceptions.ReadTimeout, _Slow):
            return late, False
        except (
            requests.exceptions.ConnectionError,
            requests.exceptions.ChunkedEncodingError,
        ) as exc:
            if exc.args and isinstance(exc.args[0], ReadTimeoutError):  # timed out reading the body
                return late, False
            return Answer(Status.UNKNOWN, f"connection failed ({_why(exc)})"), True
        except requests.exceptions.RequestException as exc:
            return Answer(Status.UNKNOWN, f"request failed ({type(exc).__name__})"), False
        return api.classify(reply), reply.status >= 500

    def probe(self, api: _Api, base: str, token: str) -> Answer | None:
        """One data centre's answer, with retries; None when the deadline came first."""
        answer: Answer | None = None
        for attempt in range(RETRIES + 1):
            if attempt:
                time.sleep(max(0.0, min(BACKOFF_S * 2 ** (attempt - 1), self._remaining())))
            remaining = self._remaining()
            if remaining <= 0:
                return answer
            answer, retry = self._attempt(api, base, token, remaining)
            if not retry:
                return answer
        return answer and Answer(answer.status, f"{answer.reason} after {RETRIES + 1} attempts")

    def verify(self, secret: Secret) -> Verification:
        """Probe one token over the data centres in play, the hinted (else --dc) one first."""
        api = V1 if secret.kind == "authtoken" else OAUTH
        bases = self.bases.v1 if api is V1 else self.bases.oauth
        hint = secret.data_centre_hint
        order = probe_order(list(bases), hint if hint in bases else self.dc)
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


def _why(exc: Exception) -> str:
    """A short, token-free cause of a connection failure."""
    text = str(exc).lower()
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return "connecting timed out"
    for needle, word in (("refused", "refused"), ("reset", "reset"), ("aborted", "aborted")):
        if needle in text:
            return word
    if "name or service" in text or "resolve" in text:
        return "host name not found"
    return "network error"


@contextlib.contextmanager
def _progress_bar(total: int, enabled: bool) -> Iterator[Callable[[], None]]:
    """A callback that advances a bar on stderr (only when enabled)."""
    if not enabled or total == 0:
        yield lambda: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(
        TextColumn("verifying tokens"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    task = bar.add_task("verify", total=total)
    with bar:
        yield lambda: bar.advance(task)


def verify_all(
    secrets: Sequence[Secret], options: VerifyOptions, *, progress: bool
) -> dict[str, object]:
    """Probe each distinct checkable token once; set every secret's verification."""
    started = time.perf_counter()
    bases = parse_bases(options.api_bases)
    groups: dict[str, list[Secret]] = {}
    for secret in secrets:
        why = _not_checked(secret)
        if why is None:
            groups.setdefault(secret.value, []).append(secret)
        else:
            secret.verification = Verification(Status.NOT_CHECKED, why)
    pool = ThreadPoolExecutor(max_workers=options.concurrency)
    with _session(options.concurrency) as session, _progress_bar(len(groups), progress) as advance:
        prober = _Prober(options, bases, session)
        try:
            jobs = {pool.submit(prober.verify, same[0]): same for same in groups.values()}
            for job in as_completed(jobs):
                for secret in jobs[job]:
                    secret.verification = replace(job.result())
                advance()
        finally:  # on Ctrl-C, start nothing new
            pool.shutdown(wait=False, cancel_futures=True)
    statuses = Counter(secret.verification.status.value for secret in secrets)
    return {
        "enabled": True,
        "api_base": bases.v1,
        "oauth_api_base": bases.oauth,
        "data_centres": list(dict.fromkeys([*bases.v1, *bases.oauth])),
        "default_data_centre": options.dc,
        "timeout_s": options.timeout,
        "concurrency": options.concurrency,
        "deadline_s": options.deadline,
        "tokens_checked": len(groups),
        "requests": prober.requests,
        "statuses": dict(sorted(statuses.items())),
        "duration_s": round(time.perf_counter() - started, 3),
    }
