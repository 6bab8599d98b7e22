"""How a probe travels: one bounded HTTP request, and a fixed phrase when it fails.

Redirects are never followed, cookies never kept, environment proxies and .netrc never used.
Each request has a hard wall-clock bound (a `Guard`), not just a per-read timeout: a server
that trickles a byte at a time, in the TLS handshake, the headers or the body, is cut off when
the time is up. At most `BODY_LIMIT` bytes of an answer are read, never decompressed.
"""

from __future__ import annotations

import contextlib
import http.client
import http.cookiejar
import re
import socket
import ssl
import threading
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import requests
import urllib3.exceptions
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from zoho_v1_audit import __version__
from zoho_v1_audit.models import Status
from zoho_v1_audit.verify.classify import BODY_LIMIT, Answer, HttpAnswer

if TYPE_CHECKING:
    from urllib3._base_connection import BaseHTTPConnection

USER_AGENT = f"zoho-v1-audit/{__version__}"
CHUNK = 1 << 16  # bytes asked for per read of an answer

_current = threading.local()  # `.guard`: the Guard of the request this thread is making


class Guard:
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

    def __enter__(self) -> Guard:
        _current.guard = self
        self._timer.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
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
    guard: Guard | None = getattr(_current, "guard", None)
    if guard is not None and sock is not None:
        guard.watch(sock)


def _stand_down() -> None:
    """Disarm this thread's current guard: its request is done with its connection."""
    guard: Guard | None = getattr(_current, "guard", None)
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


def open_session(concurrency: int) -> requests.Session:
    """A session of guarded connections: no proxies, .netrc, cookies, retries or compression."""
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


def send(
    session: requests.Session, guard: Guard, method: str, url: str, timeout: float, **how: Any
) -> HttpAnswer:
    """Make one request under `guard` (entered on this thread) and read its answer, bounded.

    `how` carries the token (a form body or a header); redirects are never followed.
    """
    call = session.request(method, url, timeout=timeout, allow_redirects=False, stream=True, **how)
    guard.answering = True
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


# What a request can raise on a hostile or broken network, from requests, urllib3 (reading the
# body) or below; anything else is a bug and is not hidden.
FAILURES = (
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


def failed(exc: BaseException, guard: Guard, timeout: float, capped: bool) -> tuple[Answer, bool]:
    """The verdict on a request that raised, and whether it may be retried.

    Timeouts are not retried (the server is there, but slow); TLS failures are not either (a
    certificate or protocol mismatch does not mend itself); other connection errors are.
    `capped`: the timeout was cut short by the verification deadline.
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
