"""A real HTTP server on 127.0.0.1 that answers as Zoho CRM v1 (and `/crm/v2/org`) did.

Each data centre lives under its own path prefix (`/eu/crm/private/json/Info/getModules`);
paths without a prefix belong to the data centre `*`. Tests script each token's answers per
data centre, and read back every request: method, path, query, headers, form body, the
token and where it travelled, and the peak number of requests in flight.

Network faults come from the same server (an answer that never comes, one that trickles in a
byte at a time, a 10 MB answer, a TLS hello on its plain-HTTP port, a certificate nobody
trusts) and from `RawServer`, a bare TCP peer for faults below HTTP.
"""

from __future__ import annotations

import gzip
import json
import socket
import ssl
import struct
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import parse_qs, urlsplit

MESSAGES = {
    "4001": "No API permission",
    "401": "No module permission",
    "4101": "Zoho CRM disabled",
    "4421": "Number of API calls exceeded",
    "4422": "There is no data to show",
    "4500": "Problem occured while processing the request",
    "4502": "Module not supported in your edition",
    "4820": "Rate limit exceeded",
    "4834": "Invalid Ticket Id",
}


@dataclass(frozen=True)
class Reply:
    """One scripted answer. Build them with the functions below."""

    kind: str
    code: str | int | float | None = None
    status: int = 200
    xml: bool = False  # answer in XML whatever format the path asks for
    delay: float = 0.0  # seconds to wait before answering
    message: str | None = None  # overrides the documented message
    location: str = "https://www.zoho.com/crm/"
    cookie: bool = False  # send a session cookie with the answer
    retry_after: str | None = None  # a Retry-After header
    interval: float = 0.0  # trickle: seconds between bytes
    from_head: bool = True  # trickle: from the status line on, else only the body
    size: int = 0  # huge: body bytes
    chunked: bool = False  # huge: chunked transfer encoding instead of Content-Length
    compressed: bool = False  # huge: gzip-compressed (Content-Encoding: gzip)


def result(*, xml: bool = False, cookie: bool = False) -> Reply:
    """A v1 success payload: the module list."""
    return Reply("result", xml=xml, cookie=cookie)


def code(
    value: str | int | float,
    *,
    xml: bool = False,
    message: str | None = None,
    status: int = 200,
    retry_after: str | None = None,
) -> Reply:
    """A v1 error (or, for 4422, `nodata`) answer; `value` keeps its JSON type."""
    return Reply(
        "code", code=value, xml=xml, message=message, status=status, retry_after=retry_after
    )


def org() -> Reply:
    """A CRM API 2.0 `/org` success."""
    return Reply("org")


def oauth_error(value: str, status: int = 401) -> Reply:
    """A CRM API 2.0 error such as 401 INVALID_TOKEN."""
    return Reply("oauth-error", code=value, status=status)


def html(status: int = 200) -> Reply:
    """An HTML page instead of an API answer."""
    return Reply("html", status=status)


def malformed() -> Reply:
    """A JSON answer cut short."""
    return Reply("malformed")


def nested(depth: int) -> Reply:
    """A JSON answer of `depth` nested arrays: legal JSON that no parser can recurse through."""
    return Reply("nested", size=depth)


def redirect(location: str = "https://www.zoho.com/crm/", status: int = 302) -> Reply:
    """A redirect (302 unless told)."""
    return Reply("redirect", status=status, location=location)


def status(value: int, retry_after: str | None = None) -> Reply:
    """A bare HTTP status with a short text body (and a Retry-After header when given)."""
    return Reply("status", status=value, retry_after=retry_after)


def hang() -> Reply:
    """Read the request, then never answer (until the server stops)."""
    return Reply("hang")


def trickle(interval: float = 1.0, *, from_head: bool = True) -> Reply:
    """The module list, one byte each `interval` seconds: from the status line on, or only the
    body after headers sent at once."""
    return Reply("trickle", interval=interval, from_head=from_head)


def huge(size: int = 10 << 20, *, chunked: bool = False, compressed: bool = False) -> Reply:
    """A 200 JSON answer of `size` bytes (before compression): a v1 start, then blanks."""
    return Reply("huge", size=size, chunked=chunked, compressed=compressed)


def reset() -> Reply:
    """Close the connection with a TCP reset, answering nothing."""
    return Reply("reset")


def slow(seconds: float, then: Reply) -> Reply:
    """`then`, after a delay."""
    return replace(then, delay=seconds)


@dataclass
class Recorded:
    """One request as the server saw it."""

    method: str
    path: str
    dc: str
    endpoint: str  # path without the data-centre prefix
    query: dict[str, list[str]]
    headers: dict[str, str]
    form: dict[str, list[str]]
    token: str | None
    token_in: str | None  # "body", "query" or "header"


@dataclass
class _Plan:
    replies: dict[str, tuple[Reply, ...]]
    served: dict[str, int] = field(default_factory=dict)

    def next(self, dc: str) -> Reply | None:
        script = self.replies.get(dc) or self.replies.get("default")
        if not script:
            return None
        n = self.served.get(dc, 0)
        self.served[dc] = n + 1
        return script[min(n, len(script) - 1)]


class ZohoServer:
    """Start with `with ZohoServer() as zoho:`; `zoho.base("eu")` is the eu base URL.

    With `tls`, the server speaks HTTPS with that context. `host` may be any loopback address.
    """

    def __init__(
        self, delay: float = 0.0, *, host: str = "127.0.0.1", tls: ssl.SSLContext | None = None
    ) -> None:
        self.delay = delay  # added to every answer
        self.tls = tls
        self.requests: list[Recorded] = []
        self.peak = 0
        self.tls_hellos = 0  # TLS hellos that reached this plain-HTTP server
        self.tls_failures = 0  # TLS handshakes that failed on this HTTPS server
        self.closing = threading.Event()  # set when the server stops: hung answers end
        self._active = 0
        self._plans: dict[str, _Plan] = {}
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer((host, 0), _Handler)
        self._httpd.daemon_threads = True
        self._httpd.zoho = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def root(self) -> str:
        """The server's URL without a data-centre prefix."""
        host, port = self._httpd.server_address[:2]
        return f"{'https' if self.tls else 'http'}://{host!s}:{port}"

    @property
    def port(self) -> int:
        """The port the server listens on."""
        return int(self._httpd.server_address[1])

    def base(self, dc: str) -> str:
        """The base URL that serves one data centre."""
        return f"{self.root}/{dc}"

    def api_bases(self, *dcs: str) -> tuple[str, ...]:
        """`--api-base` values `DC=URL` for these data centres."""
        return tuple(f"{dc}={self.base(dc)}" for dc in dcs)

    def script(self, token: str, **per_dc: Reply | Sequence[Reply]) -> None:
        """Script a token's answers per data centre (`default=` for the rest).

        A sequence is served in order, its last answer repeating.
        """
        replies = {dc: (r,) if isinstance(r, Reply) else tuple(r) for dc, r in per_dc.items()}
        with self._lock:
            self._plans[token] = _Plan(replies)

    def count(self, token: str) -> int:
        """How many requests carried this token."""
        return sum(1 for r in self.requests if r.token == token)

    def for_token(self, token: str) -> list[Recorded]:
        """The requests that carried this token, in arrival order."""
        return [r for r in self.requests if r.token == token]

    def next_reply(self, token: str | None, dc: str, oauth: bool) -> Reply:
        with self._lock:
            plan = self._plans.get(token or "")
            reply = plan.next(dc) if plan else None
        if reply is not None:
            return reply
        return oauth_error("INVALID_TOKEN") if oauth else code("4834")

    def record(self, request: Recorded) -> None:
        with self._lock:
            self.requests.append(request)

    def enter(self) -> None:
        with self._lock:
            self._active += 1
            self.peak = max(self.peak, self._active)

    def leave(self) -> None:
        with self._lock:
            self._active -= 1

    def note(self, what: str) -> None:
        """Count a TLS hello on plain HTTP ("hello") or a failed TLS handshake ("failure")."""
        with self._lock:
            if what == "hello":
                self.tls_hellos += 1
            else:
                self.tls_failures += 1

    def __enter__(self) -> ZohoServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.closing.set()
        self._httpd.shutdown()
        self._httpd.server_close()


def _v1_body(reply: Reply, uri: str, xml: bool) -> tuple[str, bytes]:
    if reply.kind == "result":
        modules = ["Leads", "Accounts", "Contacts", "Potentials"]
        if xml:
            rows = "".join(
                f'<row no="{i}" pl="{m}" sl="{m[:-1]}">{m}</row>' for i, m in enumerate(modules, 1)
            )
            text = f'<?xml version="1.0" encoding="UTF-8" ?>\n<response uri="{uri}"><result>{rows}</result></response>'
            return "text/xml;charset=UTF-8", text.encode()
        rows_json = [
            {"no": str(i), "pl": m, "sl": m[:-1], "content": m} for i, m in enumerate(modules, 1)
        ]
        doc = {"response": {"result": {"row": rows_json}, "uri": uri}}
        return "application/json;charset=UTF-8", json.dumps(doc).encode()
    text_code = str(reply.code)
    message = reply.message or MESSAGES.get(text_code, "Unable to process your request")
    key = "nodata" if text_code == "4422" else "error"
    if xml:
        text = (
            f'<?xml version="1.0" encoding="UTF-8" ?>\n<response uri="{uri}"><{key}>'
            f"<code>{text_code}</code><message>{message}</message></{key}></response>"
        )
        return "text/xml;charset=UTF-8", text.encode()
    doc = {"response": {key: {"message": message, "code": reply.code}, "uri": uri}}
    return "application/json;charset=UTF-8", json.dumps(doc).encode()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server_version = "ZGS"
    _reset = False
    _in_flight = False

    @property
    def zoho(self) -> ZohoServer:
        return self.server.zoho  # type: ignore[attr-defined, no-any-return]

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""

    def setup(self) -> None:
        """On an HTTPS server, the TLS handshake; a failed one is counted, and ends the talk."""
        tls = self.zoho.tls
        if tls is not None:
            self.request.settimeout(5)
            try:
                wrapped = tls.wrap_socket(self.request, server_side=True)
            except (ssl.SSLError, OSError):
                self.zoho.note("failure")
                self._reset = True
                return
            wrapped.settimeout(None)
            self.request = wrapped
        super().setup()

    def handle(self) -> None:
        """Serve, unless the client opened with a TLS hello on plain HTTP: then a plain 400."""
        if self._reset:
            return
        if self.zoho.tls is None and self.connection.recv(1, socket.MSG_PEEK) == b"\x16":
            self.zoho.note("hello")
            self._write(
                b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            )
            return
        super().handle()

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def _parse(self) -> tuple[Recorded, bytes]:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        split = urlsplit(self.path)
        parts = split.path.split("/")
        dc, endpoint = "*", split.path
        if len(parts) > 2 and parts[1] != "crm":
            dc, endpoint = parts[1], "/" + "/".join(parts[2:])
        query = parse_qs(split.query)
        form = parse_qs(body.decode("utf-8", "replace"))
        token, token_in = None, None
        auth = self.headers.get("Authorization", "")
        if "authtoken" in form:
            token, token_in = form["authtoken"][0], "body"
        elif "authtoken" in query:
            token, token_in = query["authtoken"][0], "query"
        elif auth.startswith("Zoho-oauthtoken "):
            token, token_in = auth.removeprefix("Zoho-oauthtoken "), "header"
        headers = {k.lower(): v for k, v in self.headers.items()}
        recorded = Recorded(
            self.command, split.path, dc, endpoint, query, headers, form, token, token_in
        )
        return recorded, body

    def _serve(self) -> None:
        self.zoho.enter()
        self._in_flight = True
        try:
            request, _ = self._parse()
            self.zoho.record(request)
            self._answer(request)
        finally:
            self._answered()

    def _answered(self) -> None:
        """The request stops counting as in flight once its answer starts to leave.

        Counting until the handler returns would overlap the client's next request, which it
        may send as soon as it has read this answer.
        """
        if self._in_flight:
            self._in_flight = False
            self.zoho.leave()

    def _answer(self, request: Recorded) -> None:
        endpoint = request.endpoint
        is_v1 = endpoint.startswith("/crm/private/")
        is_org = endpoint == "/crm/v2/org"
        if not (is_v1 or is_org):
            self._send(404, "text/html", b"<html><body>Not found</body></html>")
            return
        reply = self.zoho.next_reply(request.token, request.dc, oauth=is_org)
        time.sleep(self.zoho.delay + reply.delay)
        headers = {"Set-Cookie": "ZCRMSESSION=s3ss10n; Path=/"} if reply.cookie else {}
        if reply.retry_after is not None:
            headers["Retry-After"] = reply.retry_after
        if reply.kind == "reset":
            self._send_reset()
        elif reply.kind == "html":
            page = b"<!DOCTYPE html><html><head><title>Zoho CRM</title></head><body>Sign in</body></html>"
            self._send(reply.status, "text/html;charset=UTF-8", page)
        elif reply.kind == "malformed":
            self._send(200, "application/json;charset=UTF-8", b'{"response": {"result": {"row": [')
        elif reply.kind == "nested":
            body = b"[" * reply.size + b"]" * reply.size
            self._send(200, "application/json;charset=UTF-8", body)
        elif reply.kind == "redirect":
            self._send(reply.status, "text/html", b"", {"Location": reply.location})
        elif reply.kind == "status":
            self._send(reply.status, "text/plain", f"HTTP {reply.status}".encode(), headers)
        elif reply.kind == "hang":
            self.zoho.closing.wait()
            self.close_connection = True
        elif reply.kind == "trickle":
            self._trickle(reply, endpoint)
        elif reply.kind == "huge":
            self._huge(reply)
        elif reply.kind == "org":
            org_doc = {"org": [{"id": "4150868000000225013", "company_name": "Acme"}]}
            self._send(200, "application/json", json.dumps(org_doc).encode(), headers)
        elif reply.kind == "oauth-error":
            doc: dict[str, object] = {
                "code": reply.code,
                "details": {},
                "message": "invalid oauth token",
                "status": "error",
            }
            self._send(reply.status, "application/json", json.dumps(doc).encode())
        else:
            xml = reply.xml or "/crm/private/xml/" in endpoint
            content_type, body = _v1_body(reply, endpoint, xml)
            self._send(reply.status, content_type, body, headers)

    def _send(
        self, code_: int, content_type: str, body: bytes, headers: dict[str, str] | None = None
    ) -> None:
        self._answered()
        try:
            self.send_response(code_)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)
        except OSError:  # the client gave up (timeout)
            self.close_connection = True

    def _write(self, data: bytes) -> bool:
        """Send bytes; False (and the connection closes) when the client has gone."""
        self._answered()
        try:
            self.wfile.write(data)
        except OSError:
            self.close_connection = True
            return False
        return True

    def _trickle(self, reply: Reply, endpoint: str) -> None:
        """The module list, one byte each `reply.interval` s, until done, stopped or dropped."""
        content_type, body = _v1_body(result(), endpoint, "/crm/private/xml/" in endpoint)
        head = (
            f"HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        slow = head + body
        if not reply.from_head:
            if not self._write(head):
                return
            slow = body
        for i in range(len(slow)):
            if self.zoho.closing.wait(reply.interval) or not self._write(slow[i : i + 1]):
                break
        self.close_connection = True

    def _huge(self, reply: Reply) -> None:
        """A v1-looking JSON answer of `reply.size` bytes, sent as fast as the client reads."""
        start = b'{"response": {"uri": "/crm/private/json/Info/getModules", "result": {"row": ['
        body = start + b" " * max(0, reply.size - len(start))
        head = ["HTTP/1.1 200 OK", "Content-Type: application/json;charset=UTF-8"]
        if reply.compressed:
            body = gzip.compress(body, compresslevel=1)
            head.append("Content-Encoding: gzip")
        head.append(
            "Transfer-Encoding: chunked" if reply.chunked else f"Content-Length: {len(body)}"
        )
        if not self._write(("\r\n".join(head) + "\r\n\r\n").encode()):
            return
        step = 1 << 16
        for at in range(0, len(body), step):
            piece = body[at : at + step]
            framed = b"%x\r\n%b\r\n" % (len(piece), piece) if reply.chunked else piece
            if self.zoho.closing.is_set() or not self._write(framed):
                return
        if reply.chunked:
            self._write(b"0\r\n\r\n")
        self.close_connection = True

    def _send_reset(self) -> None:
        self._answered()
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        self.close_connection = True
        self._reset = True

    def finish(self) -> None:
        if not self._reset:
            super().finish()


class RawServer:
    """A bare TCP peer on 127.0.0.1 for faults below HTTP.

    It accepts every connection, records every byte it receives, and sends `answer` one byte
    each `interval` seconds, or all at once when `interval` is 0 (nothing at all when `answer`
    is empty: it never answers).
    """

    def __init__(self, answer: bytes = b"", interval: float = 1.0) -> None:
        self.answer = answer
        self.interval = interval
        self.received = bytearray()
        self.connections = 0
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.05)
        self._thread = threading.Thread(target=self._accept, daemon=True)

    @property
    def port(self) -> int:
        """The port the server listens on."""
        return int(self._listener.getsockname()[1])

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                self.connections += 1
            threading.Thread(target=self._talk, args=(conn,), daemon=True).start()

    def _talk(self, conn: socket.socket) -> None:
        """Record what comes in; send the answer's next byte whenever its time has come."""
        conn.settimeout(0.02)
        sent, next_at = 0, time.monotonic() + self.interval
        with conn:
            while not self._stop.is_set():
                try:
                    data = conn.recv(65536)
                    if not data:
                        return  # the client closed
                    with self._lock:
                        self.received += data
                except TimeoutError:
                    pass
                except OSError:
                    return
                if sent < len(self.answer) and time.monotonic() >= next_at:
                    step = 1 if self.interval else len(self.answer)
                    try:
                        conn.sendall(self.answer[sent : sent + step])
                    except OSError:
                        return
                    sent, next_at = sent + step, next_at + self.interval

    def __enter__(self) -> RawServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join()
        self._listener.close()


def tokens(n: int, start: int = 0) -> Iterator[str]:
    """`n` distinct well-formed 32-hex authtokens."""
    for i in range(start, start + n):
        yield f"{i:08x}" + "3f9a2c7e1b4d8f60a5c9e2b7"
