"""`scan --verify` end to end: the real CLI against the v1 protocol server on 127.0.0.1."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.helpers import REFRESH, TOKEN, TOKEN_EU, write_tree
from tests.zoho_server import ZohoServer, code, html, oauth_error, result, tokens
from zoho_v1_audit.cli import app
from zoho_v1_audit.models import sha256_hex

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "legacy-crm-app"
ACCESS = f"1000.{TOKEN_EU}.{TOKEN}"
DEAD = "5e8b1d4a9b1e4d7a2c5f8e0b3d6a9c2f"
MOVED = "7a2c5f8e0b3d6a9c2f5e8b1d4a9b1e4d"
runner = CliRunner()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """One token in three files, an eu token, a dead one, one that moved to in, OAuth tokens."""
    return write_tree(
        tmp_path / "repo",
        {
            "a.py": f"ZOHO_AUTHTOKEN = '{TOKEN}'\n",
            "b/settings.env": f"ZOHO_AUTHTOKEN={TOKEN}\n",
            "c.php": f"define('ZOHO_AUTHTOKEN', '{TOKEN}');\n",
            "eu/sync.py": (
                "URL = 'https://crm.zoho.eu/crm/private/json/Leads/getRecords'\n"
                f"params = {{'authtoken': '{TOKEN_EU}', 'scope': 'crmapi'}}\n"
            ),
            "old.rb": f"AUTHTOKEN = '{DEAD}'  # authtoken\n",
            "moved.js": (
                "const url = 'https://crm.zoho.com/crm/private/json/Leads/getRecords';\n"
                f"const authtoken = '{MOVED}';\n"
            ),
            "oauth.py": f"access_token = '{ACCESS}'\nrefresh_token = '{REFRESH}'\n",
        },
    )


def bases(zoho: ZohoServer, *dcs: str) -> list[str]:
    return [arg for base in zoho.api_bases(*dcs) for arg in ("--api-base", base)]


def by_hash(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["sha256"]: s for s in doc["secrets"]}


def script_repo(zoho: ZohoServer) -> None:
    zoho.script(TOKEN, com=code("4422"))
    zoho.script(TOKEN_EU, eu=result())
    zoho.script(MOVED, default=code("4834"), **{"in": code("4001")})
    zoho.script(ACCESS, com=oauth_error("OAUTH_SCOPE_MISMATCH"))


def test_verify_through_the_cli(repo: Path, zoho: ZohoServer) -> None:
    script_repo(zoho)
    args = ["scan", str(repo), "-f", "json", "-j", "1", "--verify", "--verify-timeout", "0.5"]
    result_ = runner.invoke(app, [*args, *bases(zoho, "com", "eu", "cn", "in")])
    assert result_.exit_code == 1, result_.output
    doc = json.loads(result_.stdout)
    secrets = by_hash(doc)

    shared = secrets[sha256_hex(TOKEN)]
    assert len(shared["locations"]) == 3
    assert shared["verification"]["status"] == "live"
    assert "4422 There is no data to show on com" in shared["verification"]["reason"]
    assert zoho.count(TOKEN) == 1  # once, whatever the number of places

    eu = secrets[sha256_hex(TOKEN_EU)]["verification"]
    assert (eu["status"], eu["data_centre"]) == ("live", "eu")
    assert eu["endpoint"] == f"{zoho.base('eu')}/crm/private/json/Info/getModules"
    assert [r.dc for r in zoho.for_token(TOKEN_EU)] == ["eu"]  # its URL's data centre first

    moved = secrets[sha256_hex(MOVED)]["verification"]
    assert (moved["status"], moved["data_centre"]) == ("live", "in")
    assert "live on in, not on com as its v1 URL says" in moved["reason"]
    assert [r.dc for r in zoho.for_token(MOVED)] == ["com", "eu", "cn", "in"]

    dead = secrets[sha256_hex(DEAD)]["verification"]
    assert dead["status"] == "invalid"
    assert dead["reason"].startswith("Zoho answered 4834 Invalid Ticket Id on com, eu, cn and in")

    access = secrets[sha256_hex(ACCESS)]["verification"]
    assert access["status"] == "live"
    assert [(r.method, r.endpoint) for r in zoho.for_token(ACCESS)] == [("GET", "/crm/v2/org")]

    refresh = secrets[sha256_hex(REFRESH)]["verification"]
    assert refresh["status"] == "not-checked"
    assert zoho.count(REFRESH) == 0

    section = doc["scan"]["verification"]
    assert section["enabled"] is True
    assert section["api_base"]["eu"] == zoho.base("eu")
    assert all(r.token_in in ("body", "header") and not r.query for r in zoho.requests)
    for value in (TOKEN, TOKEN_EU, DEAD, MOVED, ACCESS, REFRESH):
        assert value not in result_.output


def test_python_dash_m_with_one_base_for_all(repo: Path, zoho: ZohoServer) -> None:
    zoho.script(TOKEN, default=html())
    proc = subprocess.run(
        [
            *(sys.executable, "-m", "zoho_v1_audit", "scan", str(repo), "--format", "json"),
            *("--verify", "--api-base", zoho.root, "--verify-timeout", "0.5"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1, proc.stderr
    secrets = by_hash(json.loads(proc.stdout))
    retired = secrets[sha256_hex(TOKEN)]["verification"]
    assert retired["status"] == "unsupported"
    assert (
        "the v1 API is retired, so this token's state is unproven; revoke it anyway"
        in retired["reason"]
    )
    assert secrets[sha256_hex(DEAD)]["verification"]["status"] == "invalid"
    assert {r.dc for r in zoho.requests} == {"*"}
    assert len(zoho.requests) == 5  # TOKEN, TOKEN_EU, DEAD, MOVED, ACCESS: one request each
    assert TOKEN not in proc.stdout + proc.stderr


def test_bundled_example_gets_a_verdict_for_every_token(zoho: ZohoServer) -> None:
    result_ = runner.invoke(
        app,
        ["scan", str(EXAMPLE), "-f", "json", "-j", "1", "--verify", "--api-base", zoho.root],
    )
    doc = json.loads(result_.stdout)
    authtokens = [s for s in doc["secrets"] if s["kind"] == "authtoken"]
    others = [s for s in doc["secrets"] if s["kind"] != "authtoken"]
    assert len(authtokens) >= 3 and others
    assert {s["verification"]["status"] for s in authtokens} == {"invalid"}
    assert {s["verification"]["status"] for s in others} == {"not-checked"}
    assert len(zoho.requests) == len({r.token for r in zoho.requests}) == len(authtokens)


def test_concurrency_and_deadline_options(tmp_path: Path) -> None:
    values = list(tokens(12))
    tree = write_tree(
        tmp_path, {f"t{i}.py": f"ZOHO_AUTHTOKEN = '{v}'\n" for i, v in enumerate(values)}
    )
    with ZohoServer(delay=0.1) as zoho:
        for v in values:
            zoho.script(v, default=result())
        result_ = runner.invoke(
            app,
            [
                *("scan", str(tree), "-f", "json", "-j", "1", "--verify", "--api-base", zoho.root),
                *("--verify-concurrency", "2", "--verify-deadline", "0.45"),
            ],
        )
    doc = json.loads(result_.stdout)
    statuses = [s["verification"]["status"] for s in doc["secrets"]]
    assert len(statuses) == 12
    assert zoho.peak == 2
    assert 2 <= statuses.count("live") <= 10
    assert statuses.count("live") + statuses.count("unknown") == 12
    assert doc["scan"]["verification"]["deadline_s"] == 0.45


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--api-base", "http://crm.zoho.com"], "plain http is only allowed to a loopback address"),
        (["--dc", "mars"], "data centre must be one of"),
        (
            ["--api-base", "eu=http://127.0.0.1:1", "--api-base", "http://127.0.0.1:2"],
            "either one URL",
        ),
    ],
)
def test_unsafe_or_bad_options_exit_2(repo: Path, extra: list[str], message: str) -> None:
    result_ = runner.invoke(app, ["scan", str(repo), "--verify", *extra])
    assert result_.exit_code == 2
    assert message in result_.output


def test_without_verify_nothing_is_sent_and_all_are_not_checked(
    repo: Path, zoho: ZohoServer
) -> None:
    result_ = runner.invoke(
        app, ["scan", str(repo), "-f", "json", "-j", "1", "--api-base", zoho.root]
    )
    doc = json.loads(result_.stdout)
    assert zoho.requests == []
    assert doc["scan"]["verification"] == {"enabled": False}
    assert {s["verification"]["status"] for s in doc["secrets"]} == {"not-checked"}


# Reports every internet socket the CLI process creates, then runs the CLI.
_HOOKED_CLI = """
import socket, sys
def hook(event, args):
    if event == "socket.__new__" and args[1] in (socket.AF_INET, socket.AF_INET6):
        sys.stderr.write("INTERNET-SOCKET-OPENED\\n")
sys.addaudithook(hook)
from zoho_v1_audit.cli import main
main()
"""


@pytest.mark.parametrize("verify", [False, True])
def test_no_socket_is_opened_without_verify(repo: Path, zoho: ZohoServer, verify: bool) -> None:
    script_repo(zoho)
    args = ["scan", str(repo), "-f", "json", "--api-base", zoho.root, "--verify-timeout", "0.5"]
    proc = subprocess.run(
        [sys.executable, "-c", _HOOKED_CLI, *args, *(["--verify"] if verify else [])],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1, proc.stderr
    assert ("INTERNET-SOCKET-OPENED" in proc.stderr) is verify
    assert bool(zoho.requests) is verify


def _run_on_a_terminal(args: list[str]) -> tuple[int, str]:
    """Run the CLI with stderr on a pseudo-terminal; return its exit code and what it drew."""
    controller, terminal = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "zoho_v1_audit", *args],
        stdout=subprocess.DEVNULL,
        stderr=terminal,
        env={**os.environ, "COLUMNS": "100", "TERM": "xterm"},
    )
    os.close(terminal)
    drawn = bytearray()
    while True:
        try:
            chunk = os.read(controller, 4096)
        except OSError:  # the terminal closed
            break
        if not chunk:
            break
        drawn += chunk
    os.close(controller)
    return proc.wait(timeout=60), drawn.decode("utf-8", "replace")


def test_progress_bar_only_on_a_terminal(repo: Path) -> None:
    with ZohoServer(delay=0.3) as zoho:
        script_repo(zoho)
        args = ["scan", str(repo), "-f", "json", "--verify", "--api-base", zoho.root]
        code_, drawn = _run_on_a_terminal(args)
        piped = subprocess.run(
            [sys.executable, "-m", "zoho_v1_audit", *args],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert code_ == 1
    assert "verifying tokens" in drawn
    assert TOKEN not in drawn and TOKEN_EU not in drawn
    assert "verifying tokens" not in piped.stderr
