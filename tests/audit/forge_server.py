"""A real HTTP server on 127.0.0.1 that lists repositories as GitHub (`GET /orgs/{org}/repos`)
and GitLab (`GET /groups/{id}/projects`) do: pages of `PAGE` items, `Link: rel="next"` on
GitHub, `x-next-page` (and `Link` when asked) on GitLab, and 401 without the right token."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

PAGE = 2


@dataclass
class Forge:
    """What the server lists, and what it saw."""

    token: str
    github: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # org -> repos
    gitlab: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # group -> projects
    gitlab_link: bool = False  # send Link headers on GitLab as well
    next_host: str | None = None  # send next links to this host instead
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    base: str = ""


def _handler(forge: Forge) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _send(self, status: int, body: Any, headers: dict[str, str]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            forge.requests.append((self.path, dict(self.headers)))
            segments = [unquote(s) for s in parts.path.strip("/").split("/")]
            if len(segments) == 3 and segments[0] == "orgs" and segments[2] == "repos":
                ok = self.headers.get("Authorization") == f"Bearer {forge.token}"
                items = forge.github.get(segments[1])
                gitlab = False
            elif len(segments) == 3 and segments[0] == "groups" and segments[2] == "projects":
                ok = self.headers.get("PRIVATE-TOKEN") == forge.token
                items = forge.gitlab.get(segments[1])
                gitlab = True
                if query.get("archived") == "false" and items is not None:
                    items = [i for i in items if not i.get("archived")]
            else:
                self._send(404, {"message": "Not Found"}, {})
                return
            if not ok:
                self._send(401, {"message": "Bad credentials"}, {})
                return
            if items is None:
                self._send(404, {"message": "404 Group Not Found"}, {})
                return
            page = int(query.get("page", "1"))
            chunk = items[(page - 1) * PAGE : page * PAGE]
            headers: dict[str, str] = {}
            if page * PAGE < len(items):
                base = f"http://{forge.next_host}" if forge.next_host else forge.base
                link = f'<{base}{parts.path}?{parts.query.split("&page=")[0]}&page={page + 1}>; rel="next"'
                if gitlab:
                    headers["x-next-page"] = str(page + 1)
                    if forge.gitlab_link:
                        headers["Link"] = link
                else:
                    headers["Link"] = link
            elif gitlab:
                headers["x-next-page"] = ""
            self._send(200, chunk, headers)

    return Handler


@contextmanager
def forge_server(forge: Forge) -> Iterator[Forge]:
    """Serve `forge` on a free loopback port; `forge.base` is its URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(forge))
    forge.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield forge
    finally:
        server.shutdown()
        server.server_close()
