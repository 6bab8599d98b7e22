"""The probes: one read-only request per token and data centre, bounded, retried, on a deadline.

v1 authtokens go in a POST form body to `Info/getModules`; OAuth access tokens in an
`Authorization: Zoho-oauthtoken` header to `GET /crm/v2/org`. Redirects are never followed,
cookies never kept, environment proxies and .netrc never used.

Each request has a hard wall-clock bound (a `_Guard`), not just a per-read timeout: a server
that trickles a byte at a time, in the TLS handshake, the headers or the body, is cut off when
the time is up. At most `BODY_LIMIT` bytes of an answer are read, never decompressed.
"""

from __future__ import annotations

import contextlib
import http.client
import http.cookiejar
import logging
import re
import socket
import ssl
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any

import requests
import urllib3.exceptions
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from zoho_v1_audit import __version__
from zoho_v1_audit.models import Secret, Status, Verification
from zoho_v1_audit.verify import VerifyOptions
from zoho_v1_audit.verify.classify import (
    BODY_LIMIT,
    Answer,
    HttpAnswer,
    classify_oauth,
    classify_v1,
    conclude,
)
from zoho_v1_audit.verify.hosts import ALL, Bases, check_dc, parse_bases, probe_order

if TYPE_CHECKING:
    from urllib3._base_connection import BaseHTTPConnection

log = logging.getLogger(__name__)

V1_PATH = "/crm/private/json/Info/getModules"
ORG_PATH = "/crm/v2/org"
USER_AGENT = f"zoho-v1-audit/{__version__}"
RETRIES = 2  # after the first attempt, for connection errors and HTTP 5xx only
BACKOFF_S = 0.25  # doubled before each retry
CHUNK = 1 << 16  # bytes asked for per read of an answer

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


_current = threading.local()  # `.guard`: the _Guard of the request this thread is making


class _Guard:
    """A hard wall-clock bound on one request: when time is up, its sockets are shut down.

    A per-read timeout never fires on a server that sends a byte just before it would; shutting
    the socket down wakes whatever read or write is blocked on it. The guard holds duplicate
    handles of the sockets (so it still reaches one that TLS has taken over) and closes them
    when the request ends. Use as a context manager on the thread that makes the request.
    """

    def __init__(self, seconds: float) -> None:
        self.fired = False  # time ran out and the sockets were shut down
        self.answering = False  # the status line and headers had arrived
        self._done = False
        self._handles: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self.cut)
        self._timer.daemon = True

    def __enter__(self) -> _Guard:
        _current.guard = self
        self._timer.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.disarm()
        _current.guard = None
        for handle in self._handles:
            handle.close()

    def watch(self, sock: socket.socket) -> None:
        """Shut `sock` down too when time is up (at once if it already is)."""
        if sock.fileno() < 0:
            return
        handle = socket.fromfd(sock.fileno(), sock.family, sock.type)
        with self._lock:
            self._handles.append(handle)
            if self.fired:
                _shut(handle)

    def disarm(self) -> None:
        """Never fire from now on: call it before a finished request's connection is reused."""
        with self._lock:
            self._done = True
        self._timer.cancel()

    def cut(self) -> None:
        """Shut the request's sockets down now (and any it opens later): time is up, or Ctrl-C."""
        with self._lock:
            if self._done:
                return
            self.fired = True
            for handle in self._handles:
                _shut(handle)


def _shut(handle: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed by its owner
        handle.shutdown(socket.SHUT_RDWR)


def _watch(sock: socket.socket | None) -> None:
    """Put a socket of this thread's current request under its guard."""
    guard: _Guard | None = getattr(_current, "guard", None)
    if guard is not None and sock is not None:
        guard.watch(sock)


def _stand_down() -> None:
    """Disarm this thread's current guard: its request is done with its connection."""
    guard: _Guard | None = getattr(_current, "guard", None)
    if guard is not None:
        guard.disarm()


class _GuardedHTTPConnection(HTTPConnection):
    """A connection whose sockets the current request's guard can shut down."""

    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        _watch(sock)  # before any TLS handshake on it
        return sock

    def request(self, *args: Any, **kwargs: Any) -> None:
        _watch(self.sock)  # a kept-alive connection, reused
        super().request(*args, **kwargs)


class _GuardedHTTPSConnection(_GuardedHTTPConnection, HTTPSConnection):
    """The HTTPS kind."""


class _GuardedHTTPPool(HTTPConnectionPool):
    """A pool of guarded connections.

    A connection goes back to the pool (when its answer has been read to the end) only after
    its request's guard has stood down, so a guard never cuts a connection that another
    request has taken; one it cut just before is found dropped and replaced by the pool.
    """

    ConnectionCls = _GuardedHTTPConnection

    def _put_conn(self, conn: BaseHTTPConnection | None) -> None:
        _stand_down()
        super()._put_conn(conn)


class _GuardedHTTPSPool(_GuardedHTTPPool, HTTPSConnectionPool):
    """The HTTPS kind."""

    ConnectionCls = _GuardedHTTPSConnection


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _session(concurrency: int) -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # no environment proxies, no .netrc credentials
    session.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
    session.headers.update(
        {
            "User-Agent": USER_AGENT,
            "Accept": "application/json, */*",
            "Accept-Encoding": "identity",  # nothing to decompress, so no compression bomb
        }
    )
    adapter = HTTPAdapter(pool_connections=8, pool_maxsize=concurrency, max_retries=0)
    adapter.poolmanager.pool_classes_by_scheme = {
        "http": _GuardedHTTPPool,
        "https": _GuardedHTTPSPool,
    }
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


def _read_body(response: requests.Response) -> tuple[bytes, bool]:
    """At most BODY_LIMIT bytes of an answer, as sent, and whether it was longer."""
    declared = response.headers.get("Content-Length", "").strip()
    if re.fullmatch(r"[0-9]{1,18}", declared) and int(declared) > BODY_LIMIT:
        return b"", True  # not worth reading
    body = bytearray()
    while len(body) <= BODY_LIMIT:
        chunk = response.raw.read(min(CHUNK, BODY_LIMIT + 1 - len(body)), decode_content=False)
        if not chunk:
            break
        body += chunk
    return bytes(body[:BODY_LIMIT]), len(body) > BODY_LIMIT


class _Prober:
    """Runs the probes of one verification with one session, timeout and deadline."""

    def __init__(self, options: VerifyOptions, bases: Bases, session: requests.Session) -> None:
        self.options = options
        self.dc = check_dc(options.dc)
        self.bases = bases
        self.session = session
        self.stop_at = time.monotonic() + options.deadline
        self.requests = 0
        self.answered = 0  # requests that got an HTTP answer: a data centre was reached
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._guards: set[_Guard] = set()

    def stop(self) -> None:
        """Cut the requests in flight and send no more, so the workers end at once (Ctrl-C)."""
        with self._lock:
            self._stopped.set()
            guards = list(self._guards)
        for guard in guards:
            guard.cut()

    def _remaining(self) -> float:
        return self.stop_at - time.monotonic()

    def _send(self, api: _Api, url: str, token: str, timeout: float, guard: _Guard) -> HttpAnswer:
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
        guard.answering = True
        with self._lock:
            self.answered += 1
        with call as response:
            body, oversized = _read_body(response)
            guard.disarm()  # before the connection goes back to the pool
            headers = response.headers
            encoding = headers.get("Content-Encoding", "").strip().lower()
            return HttpAnswer(
                response.status_code,
                headers.get("Content-Type", ""),
                body,
                retry_after=headers.get("Retry-After", ""),
                oversized=oversized,
                encoded=encoding not in ("", "identity"),
            )

    def _attempt(self, api: _Api, base: str, token: str, remaining: float) -> tuple[Answer, bool]:
        """One request's verdict, and whether it may be retried (connection errors, HTTP 5xx)."""
        timeout = min(self.options.timeout, remaining)
        with _Guard(timeout) as guard:
            with self._lock:
                self._guards.add(guard)
                if self._stopped.is_set():
                    guard.cut()
            try:
                reply = self._send(api, base + api.path, token, timeout, guard)
            except _FAILURES as exc:
                return _failed(exc, guard, timeout, timeout < self.options.timeout)
            finally:
                with self._lock:
                    self._guards.discard(guard)
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


# What a request can raise on a hostile or broken network, from requests, urllib3 (reading the
# body) or below; anything else is a bug and is not hidden.
_FAILURES = (
    requests.exceptions.RequestException,
    urllib3.exceptions.HTTPError,
    http.client.HTTPException,
    OSError,
    ValueError,
)


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """`exc` and every exception it wraps, as an argument, a reason or a cause."""
    seen: set[int] = set()
    todo = [exc]
    while todo:
        item = todo.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        yield item
        inner = [*item.args, getattr(item, "reason", None), item.__cause__]
        todo.extend(e for e in inner if isinstance(e, BaseException))


def _failed(exc: BaseException, guard: _Guard, timeout: float, capped: bool) -> tuple[Answer, bool]:
    """The verdict on a request that raised, and whether it may be retried.

    Timeouts are not retried (the server is there, but slow); TLS failures are not either (a
    certificate or protocol mismatch does not mend itself); other connection errors are.
    """
    causes = list(_causes(exc))
    if guard.fired or any(
        isinstance(e, requests.exceptions.ReadTimeout | urllib3.exceptions.ReadTimeoutError)
        for e in causes
    ):
        what = "the answer did not complete" if guard.answering else "no answer"
        when = "before the verification deadline" if capped else f"within {timeout:g} s"
        return Answer(Status.UNKNOWN, f"{what} {when}"), False
    tls = next((e for e in causes if isinstance(e, ssl.SSLError)), None)
    if tls is not None and not isinstance(tls, ssl.SSLEOFError | ssl.SSLZeroReturnError):
        return Answer(Status.UNKNOWN, f"TLS failed ({_tls_why(tls)})"), False
    if isinstance(exc, requests.exceptions.ConnectionError | urllib3.exceptions.HTTPError) or any(
        isinstance(e, OSError | http.client.HTTPException) for e in causes
    ):
        return Answer(Status.UNKNOWN, f"connection failed ({_why(causes)})"), True
    return Answer(Status.UNKNOWN, f"request failed ({type(exc).__name__})"), False


def _tls_why(exc: ssl.SSLError) -> str:
    """A fixed phrase for a TLS failure."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return "the certificate did not verify"
    if exc.reason in ("WRONG_VERSION_NUMBER", "RECORD_LAYER_FAILURE", "HTTP_REQUEST"):
        return "the host does not speak TLS"
    return "handshake failed"


def _why(causes: Sequence[BaseException]) -> str:
    """A short, token-free cause of a connection failure, from the exceptions' types."""
    kinds: tuple[tuple[type[BaseException] | tuple[type[BaseException], ...], str], ...] = (
        ((socket.gaierror, urllib3.exceptions.NameResolutionError), "host name not found"),
        (ConnectionRefusedError, "refused"),
        ((http.client.RemoteDisconnected, ssl.SSLEOFError), "closed without an answer"),
        (ConnectionResetError, "reset"),
        ((ConnectionAbortedError, BrokenPipeError), "aborted"),
        ((requests.exceptions.ConnectTimeout, TimeoutError), "connecting timed out"),
        (http.client.IncompleteRead, "the answer was cut short"),
        (http.client.BadStatusLine, "the answer was not HTTP"),
        (http.client.HTTPException, "the answer was malformed HTTP"),
    )
    for kind, word in kinds:
        if any(isinstance(e, kind) for e in causes):
            return word
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
        except BaseException:  # Ctrl-C: end the requests in flight, or exiting waits for them
            prober.stop()
            raise
        finally:  # start nothing new
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
        "answered": prober.answered,
        "statuses": dict(sorted(statuses.items())),
        "duration_s": round(time.perf_counter() - started, 3),
    }
