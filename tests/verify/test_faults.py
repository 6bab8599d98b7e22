"""`scan --verify` under network faults, through the real CLI against real servers on loopback.

Every case must end with exit code 0 or 1 and no traceback, within `--verify-deadline` plus a
small margin, with the token `unknown` (or `unsupported`) for a human reason, and with the
token sent nowhere but the configured base (checked in the servers' own logs).
"""

from __future__ import annotations

import json
import shutil
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.helpers import TOKEN, write_tree
from tests.zoho_server import (
    RawServer,
    ZohoServer,
    code,
    hang,
    huge,
    nested,
    redirect,
    reset,
    result,
    slow,
    status,
    tokens,
    trickle,
)
from zoho_v1_audit.cli import app
from zoho_v1_audit.models import sha256_hex

MARGIN_S = 1.0  # the scan itself, and a loaded CI machine, on top of the deadline
runner = CliRunner()


@dataclass
class Outcome:
    """One CLI run: its exit code, its JSON document, the wall time, what it wrote."""

    exit_code: int
    doc: dict[str, Any]
    seconds: float
    output: str

    def verification(self, value: str = TOKEN) -> dict[str, Any]:
        """The verification of the secret with this value."""
        [found] = [s for s in self.doc["secrets"] if s["sha256"] == sha256_hex(value)]
        return found["verification"]  # type: ignore[no-any-return]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """One hard-coded authtoken next to a com v1 URL."""
    return write_tree(
        tmp_path / "repo",
        {
            "sync.py": (
                "URL = 'https://crm.zoho.com/crm/private/json/Leads/getRecords'\n"
                f"params = {{'authtoken': '{TOKEN}', 'scope': 'crmapi'}}\n"
            )
        },
    )


def scan(tree: Path, *bases: str, timeout: float, deadline: float, **extra: str) -> Outcome:
    """Run `scan --verify` in process; check the outcome every fault case must have."""
    args = [
        *("scan", str(tree), "-f", "json", "-j", "1", "--verify"),
        *("--verify-timeout", str(timeout), "--verify-deadline", str(deadline)),
        *(arg for base in bases for arg in ("--api-base", base)),
        *(arg for name, value in extra.items() for arg in (f"--{name}", value)),
    ]
    started = time.monotonic()
    ran = runner.invoke(app, args)
    seconds = time.monotonic() - started
    assert ran.exception is None or isinstance(ran.exception, SystemExit), repr(ran.exception)
    assert ran.exit_code in (0, 1), ran.output
    assert "Traceback" not in ran.output
    doc = json.loads(ran.stdout)
    assert seconds < deadline + MARGIN_S
    assert doc["scan"]["verification"]["duration_s"] <= deadline + 0.5
    assert TOKEN not in ran.output
    return Outcome(ran.exit_code, doc, seconds, ran.output)


def only_to(zoho: ZohoServer, dc: str = "com") -> None:
    """Every request the server saw carried the token in its form body, to data centre `dc`."""
    assert zoho.requests
    for request in zoho.requests:
        assert (request.dc, request.token_in, request.query) == (dc, "body", {})


def closed_port() -> int:
    """A loopback port nobody listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_dns_failure(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The host name does not resolve.

    Simulated in this process only: `socket.getaddrinfo` raises `socket.gaierror` for this
    test's host and defers to the loopback-only guard of tests/conftest.py for every other
    name, so no real DNS query leaves the machine.
    """
    host = "crm.v1-audit-dns-fault.invalid"
    lookups: list[str] = []
    guarded = socket.getaddrinfo

    def failing(name: Any, *args: Any, **kwargs: Any) -> Any:
        lookups.append(name)
        if name == host:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return guarded(name, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", failing)
    out = scan(repo, f"https://{host}", timeout=0.5, deadline=2)
    verdict = out.verification()
    assert verdict["status"] == "unknown"
    assert verdict["reason"].startswith("connection failed (host name not found) after 3 attempts")
    assert lookups == [host] * 3  # retried as any connection error; no other name looked up


def test_connection_refused(repo: Path) -> None:
    port = closed_port()
    out = scan(repo, f"com=http://127.0.0.1:{port}", timeout=0.5, deadline=2)
    verdict = out.verification()
    assert verdict["status"] == "unknown"
    assert verdict["reason"].startswith("connection failed (refused) after 3 attempts on com")


def test_server_that_does_not_speak_http(repo: Path) -> None:
    with RawServer(b"SSH-2.0-OpenSSH_9.6\r\n", interval=0) as ssh:
        out = scan(repo, f"com=http://127.0.0.1:{ssh.port}", timeout=0.5, deadline=2)
    verdict = out.verification()
    assert verdict["status"] == "unknown"
    assert verdict["reason"].startswith(
        "connection failed (the answer was not HTTP) after 3 attempts on com"
    )
    assert ssh.connections == 3


def test_server_reads_the_request_and_never_answers(repo: Path, zoho: ZohoServer) -> None:
    zoho.script(TOKEN, default=hang())
    out = scan(repo, *zoho.api_bases("com"), timeout=0.5, deadline=2)
    verdict = out.verification()
    assert verdict["status"] == "unknown"
    assert verdict["reason"].startswith("no answer within 0.5 s on com")
    assert zoho.count(TOKEN) == 1  # a timeout is not retried
    only_to(zoho)


def test_server_accepts_and_never_says_a_word_to_tls(repo: Path) -> None:
    with RawServer() as silent:
        out = scan(repo, f"https://127.0.0.1:{silent.port}", timeout=0.5, deadline=2)
    verdict = out.verification()
    assert verdict["status"] == "unknown"
    assert verdict["reason"].startswith("no answer within 0.5 s")
    assert silent.connections == 1
    assert silent.received.startswith(b"\x16")  # a TLS hello, and never the token
    assert TOKEN.encode() not in silent.received


@pytest.mark.parametrize(
    ("from_head", "words"),
    [(True, "no answer within 1.5 s"), (False, "the answer did not complete within 1.5 s")],
    ids=["headers", "body"],
)
def test_server_trickles_one_byte_a_second(
    repo: Path, zoho: ZohoServer, from_head: bool, words: str
) -> None:
    """Each byte comes sooner than the 1.5 s per-read timeout: only a wall-clock bound ends it."""
    zoho.script(TOKEN, default=trickle(1.0, from_head=from_head))
    out = scan(repo, *zoho.api_bases("com"), timeout=1.5, deadline=3)
    verdict = out.verification()
    assert verdict["status"] == "unknown"
    assert verdict["reason"].startswith(f"{words} on com")
    assert out.seconds > 1.4
    assert zoho.count(TOKEN) == 1
    only_to(zoho)


def test_trickle_is_cut_at_the_deadline_when_the_timeout_is_longer(
    repo: Path, zoho: ZohoServer
) -> None:
    zoho.script(TOKEN, default=trickle(0.2, from_head=False))
    out = scan(repo, *zoho.api_bases("com", "eu"), timeout=30, deadline=1)
    verdict = out.verification()
    assert verdict["status"] == "unknown"
    assert verdict["reason"].startswith(
        "the answer did not complete before the verification deadline on com; "
        "eu not reached before the verification deadline"
    )
    only_to(zoho)


def test_tls_handshake_that_trickles(repo: Path) -> None:
    """A TLS record header announcing 16 KiB, then a byte every 0.25 s: the handshake never ends."""
    with RawServer(b"\x16\x03\x03\x40\x00" + b"\x02" * 64, interval=0.25) as tls:
        out = scan(repo, f"https://127.0.0.1:{tls.port}", timeout=1, deadline=2)
    verdict = out.verification()
    assert verdict["status"] == "unknown"
    assert verdict["reason"].startswith("no answer within 1 s")
    assert TOKEN.encode() not in tls.received


def test_tls_to_a_plain_http_server(repo: Path, zoho: ZohoServer) -> None:
    base = f"https://127.0.0.1:{zoho.port}"
    out = scan(repo, base, timeout=0.5, deadline=2)
    verdict = out.verification()
    assert verdict["status"] == "unknown"
    assert verdict["reason"].startswith("TLS failed (the host does not speak TLS)")
    assert zoho.tls_hellos == 1  # not retried
    assert zoho.requests == []  # no HTTP request, so no token, ever reached it


@pytest.fixture(scope="module")
def untrusted(tmp_path_factory: pytest.TempPathFactory) -> ssl.SSLContext:
    """A server TLS context with a fresh self-signed certificate for 127.0.0.1."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("needs the openssl command to make a self-signed certificate")
    where = tmp_path_factory.mktemp("tls")
    cert, key = where / "cert.pem", where / "key.pem"
    subprocess.run(
        [
            *(openssl, "req", "-x509", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1"),
            *("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"),
            *("-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
        timeout=30,
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context


def test_tls_certificate_nobody_trusts(repo: Path, untrusted: ssl.SSLContext) -> None:
    with ZohoServer(tls=untrusted) as zoho:
        zoho.script(TOKEN, default=result())
        out = scan(repo, zoho.root, timeout=0.5, deadline=2)
    verdict = out.verification()
    assert verdict["status"] == "unknown"
    assert verdict["reason"].startswith("TLS failed (the certificate did not verify)")
    assert zoho.tls_failures == 1  # not retried
    assert zoho.requests == []


@pytest.mark.parametrize(
    ("retry_after", "words"),
    [
        ("3600", "asked to retry later; "),
        ("Wed, 21 Oct 2065 07:28:00 GMT", "asked to retry later; "),
        ("", ""),
    ],
)
def test_http_429_says_nothing_about_the_token(
    repo: Path, zoho: ZohoServer, retry_after: str, words: str
) -> None:
    """An HTTP-layer 429 comes before v1 reads the token: unknown, and never waited for."""
    zoho.script(TOKEN, default=status(429, retry_after=retry_after))
    out = scan(repo, *zoho.api_bases("com"), timeout=0.5, deadline=1)
    verdict = out.verification()
    assert verdict["status"] == "unknown"
    assert verdict["reason"].startswith(
        f"the host answered HTTP 429 Too Many Requests ({words}not retried) "
        "without a v1 answer on com: the token's state is unknown"
    )
    assert out.doc["scan"]["verification"]["duration_s"] < 0.5
    assert zoho.count(TOKEN) == 1
    only_to(zoho)


def test_http_429_with_a_v1_rate_limit_code_is_live_rate_limited(
    repo: Path, zoho: ZohoServer
) -> None:
    """v1 itself answers 4820 only to a logged-in token: the code speaks, whatever the status."""
    zoho.script(TOKEN, default=code("4820", status=429, retry_after="60"))
    out = scan(repo, *zoho.api_bases("com"), timeout=0.5, deadline=1)
    verdict = out.verification()
    assert verdict["status"] == "live-rate-limited"
    assert verdict["reason"].startswith("Zoho answered 4820 Rate limit exceeded on com")
    assert zoho.count(TOKEN) == 1


@pytest.fixture
def elsewhere() -> Iterator[ZohoServer]:
    """A second v1 server on another loopback address: where a redirect points."""
    with ZohoServer(host="127.0.0.2") as server:
        yield server


@pytest.mark.parametrize("code_", [301, 302, 303, 307, 308])
def test_redirect_to_another_host_is_never_followed(
    repo: Path, zoho: ZohoServer, elsewhere: ZohoServer, code_: int
) -> None:
    target = f"{elsewhere.base('com')}/crm/private/json/Info/getModules"
    zoho.script(TOKEN, default=redirect(target, status=code_))
    elsewhere.script(TOKEN, default=result())
    out = scan(repo, *zoho.api_bases("com"), timeout=0.5, deadline=2)
    verdict = out.verification()
    assert verdict["status"] == "unsupported"
    assert verdict["reason"].startswith(
        f"the host answered HTTP {code_}, a redirect (not followed) on com"
    )
    assert elsewhere.requests == []
    assert zoho.count(TOKEN) == 1
    only_to(zoho)


@pytest.mark.parametrize(
    ("answer", "verdict", "words"),
    [
        (huge(), "unsupported", "the host answered with more than 1 MiB"),
        (huge(chunked=True), "unsupported", "the host answered with more than 1 MiB"),
        (huge(compressed=True), "unknown", "the host sent a compressed answer"),
    ],
    ids=["content-length", "chunked", "gzip"],
)
def test_ten_megabyte_answer_is_not_read_whole(
    repo: Path, zoho: ZohoServer, answer: Any, verdict: str, words: str
) -> None:
    zoho.script(TOKEN, default=answer)
    out = scan(repo, *zoho.api_bases("com"), timeout=1, deadline=2)
    found = out.verification()
    assert found["status"] == verdict
    assert found["reason"].startswith(f"{words}")
    assert out.doc["scan"]["verification"]["duration_s"] < 1
    assert zoho.count(TOKEN) == 1
    only_to(zoho)


def test_json_nested_400000_deep_is_a_malformed_answer(repo: Path, zoho: ZohoServer) -> None:
    zoho.script(TOKEN, default=nested(400_000))
    out = scan(repo, *zoho.api_bases("com"), timeout=2, deadline=4)
    assert out.verification()["status"] == "unknown"
    assert out.verification()["reason"].startswith("the host answered with malformed JSON")
    assert [f["rule_id"] for f in out.doc["findings"]]  # the scan's findings survive the answer


def test_every_fault_at_once_stays_within_the_deadline(tmp_path: Path) -> None:
    """Eight tokens, a fault each, four at a time over kept-alive connections: each gets its own
    verdict, and no token's watchdog disturbs another's request."""
    values = list(tokens(8))
    tree = write_tree(
        tmp_path, {f"t{i}.py": f"ZOHO_AUTHTOKEN = '{v}'\n" for i, v in enumerate(values)}
    )
    with ZohoServer() as zoho, ZohoServer(host="127.0.0.2") as other:
        faults = [
            hang(),
            trickle(0.2),
            trickle(0.2, from_head=False),
            status(429, retry_after="30"),
            huge(),
            reset(),
            slow(0.05, result()),
            redirect(f"{other.root}/crm/private/json/Info/getModules", status=307),
        ]
        for value, fault in zip(values, faults, strict=True):
            zoho.script(value, default=fault)
        out = scan(tree, zoho.root, timeout=0.8, deadline=2, **{"verify-concurrency": "4"})
    got = {v: out.verification(v)["status"] for v in values}
    assert list(got.values()) == [
        *("unknown", "unknown", "unknown", "unknown", "unsupported", "unknown"),
        *("live", "unsupported"),
    ]
    assert other.requests == []
    for value in values:
        assert value not in out.output
        assert {r.token_in for r in zoho.for_token(value)} == {"body"}


def test_a_fault_through_python_dash_m(repo: Path, zoho: ZohoServer) -> None:
    """A real process: exit code 1, no traceback, no token, and back within the deadline."""
    zoho.script(TOKEN, default=trickle(0.2, from_head=False))
    started = time.monotonic()
    proc = subprocess.run(
        [
            *(sys.executable, "-m", "zoho_v1_audit", "scan", str(repo), "-f", "json"),
            *("--verify", "--api-base", zoho.root, "--verify-deadline", "1"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    seconds = time.monotonic() - started
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert TOKEN not in proc.stdout + proc.stderr
    [secret] = json.loads(proc.stdout)["secrets"]
    assert secret["verification"]["status"] == "unknown"
    assert "before the verification deadline" in secret["verification"]["reason"]
    assert seconds < 1 + 3  # the deadline, and an interpreter's start-up
