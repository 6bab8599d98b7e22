"""A real HTTP server on 127.0.0.1 that answers as Zoho CRM v1 (and `/crm/v2/org`) did.

Each data centre lives under its own path prefix (`/eu/crm/private/json/Info/getModules`);
paths without a prefix belong to the data centre `*`. Tests script each token's answers per
data centre, and read back every request: method, path, query, headers, form body, the
token and where it travelled, and the peak number of requests in flight.
"""

from __future__ import annotations

import json
import socket
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


def result(*, xml: bool = False, cookie: bool = False) -> Reply:
    """A v1 success payload: the module list."""
    return Reply("result", xml=xml, cookie=cookie)


def code(value: str | int | float, *, xml: bool = False, message: str | None = None) -> Reply:
    """A v1 error (or, for 4422, `nodata`) answer; `value` keeps its JSON type."""
    return Reply("code", code=value, xml=xml, message=message)


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


def redirect(location: str = "https://www.zoho.com/crm/") -> Reply:
    """A 302 redirect."""
    return Reply("redirect", status=302, location=location)


def status(value: int) -> Reply:
    """A bare HTTP status with a short text body."""
    return Reply("status", status=value)


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
    """Start with `with ZohoServer() as zoho:`; `zoho.base("eu")` is the eu base URL."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay  # added to every answer
        self.requests: list[Recorded] = []
        self.peak = 0
        self._active = 0
        self._plans: dict[str, _Plan] = {}
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.daemon_threads = True
        self._httpd.zoho = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def root(self) -> str:
        """The server's URL without a data-centre prefix."""
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

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

    def __enter__(self) -> ZohoServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
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

    @property
    def zoho(self) -> ZohoServer:
        return self.server.zoho  # type: ignore[attr-defined, no-any-return]

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""

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
        zoho = self.zoho
        zoho.enter()
        try:
            request, _ = self._parse()
            zoho.record(request)
            self._answer(request)
        finally:
            zoho.leave()

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
        if reply.kind == "reset":
            self._send_reset()
        elif reply.kind == "html":
            page = b"<!DOCTYPE html><html><head><title>Zoho CRM</title></head><body>Sign in</body></html>"
            self._send(reply.status, "text/html;charset=UTF-8", page)
        elif reply.kind == "malformed":
            self._send(200, "application/json;charset=UTF-8", b'{"response": {"result": {"row": [')
        elif reply.kind == "redirect":
            self._send(302, "text/html", b"", {"Location": reply.location})
        elif reply.kind == "status":
            self._send(reply.status, "text/plain", f"HTTP {reply.status}".encode())
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

    def _send_reset(self) -> None:
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        self.close_connection = True
        self._reset = True

    def finish(self) -> None:
        if not self._reset:
            super().finish()


def tokens(n: int, start: int = 0) -> Iterator[str]:
    """`n` distinct well-formed 32-hex authtokens."""
    for i in range(start, start + n):
        yield f"{i:08x}" + "3f9a2c7e1b4d8f60a5c9e2b7"
