"""No full secret in any byte the tool writes, whatever the command or format, unless asked."""

from __future__ import annotations

import base64
import sqlite3
import subprocess
import sys
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import write_tree
from tests.zoho_server import ZohoServer, html, status

AUTHTOKEN = "5d2f8a1c7e3b9d0f4a6c8e2b1d7f3a9c"
HISTORY_TOKEN = "e1c7a3f9b5d2084c6e1a7f3b9d5c2e08"
STAGED_TOKEN = "a8f2c6e0b4d9173e5c8a2f6b0d4e9c13"
PASSWORD = "Spring2017#sync"
REFRESH = "1000.9c3e7a1f5b2d8c4e6a0f3b7d1e5c9a2f.4b8e2d6a0c5f9b3e7d1a6c0f4e8b2d5a"
ACCESS = "1000.7e3a9c5f1b8d2e6a4c0f7b3e9d5a1c8f.2d6b0e4a8c3f7d1b5e9a2c6f0d4b8e3a"
CLIENT_SECRET = "6f1d9b3e7a5c2f8d0b4e6a9c3f7d1b5e8a2c4f6d0b"
SECRETS = (AUTHTOKEN, HISTORY_TOKEN, STAGED_TOKEN, PASSWORD, REFRESH, ACCESS, CLIENT_SECRET)
XSS = "<img src=x onerror=alert(1)>"


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=Dev", "-c", "user.email=dev@acme.example", *args],
        cwd=repo, check=True, capture_output=True,
    )  # fmt: skip


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A repository with secrets in the tree, in history only, and in the index."""
    root = tmp_path_factory.mktemp("leaky")
    write_tree(
        root,
        {
            ".env": f"ZOHO_AUTHTOKEN={AUTHTOKEN}\n",
            "old.py": f"URL = 'https://crm.zoho.eu/crm/private/json/Leads/getRecords?authtoken={HISTORY_TOKEN}'\n",
            "gen.sh": (
                "curl 'https://accounts.zoho.com/apiauthtoken/nb/create?SCOPE=ZohoCRM/crmapi"
                f"&EMAIL_ID=ops@acme.example&PASSWORD={PASSWORD}&DISPLAY_NAME=sync'\n"
            ),
            "oauth.py": (
                f"REFRESH_TOKEN = '{REFRESH}'\nACCESS_TOKEN = '{ACCESS}'\n"
                f"CLIENT_SECRET = '{CLIENT_SECRET}'\n"
            ),
            f"{XSS}.py": f"TOKEN_URL = 'https://crm.zoho.com/crm/private/json/Leads/getRecords?authtoken={AUTHTOKEN}'\n",
            "CODEOWNERS": f"* @acme/{XSS}\n",
        },
    )
    _git(root, "init", "-q", "-b", "main")
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "legacy sync")
    (root / "old.py").write_text("URL = None\n")
    _git(root, "commit", "-qam", "drop the old sync")
    write_tree(root, {"staged.yml": f"zoho:\n  authtoken: {STAGED_TOKEN}\n"})
    _git(root, "add", "staged.yml")
    return root


@pytest.fixture(scope="module")
def zoho() -> Iterator[ZohoServer]:
    """A server whose answers are all faults: HTML pages and 500s."""
    with ZohoServer() as server:
        for token in (AUTHTOKEN, STAGED_TOKEN):
            server.script(token, com=[status(500), status(500), status(500)], eu=html())
        yield server


def _run(*args: str, cwd: Path) -> bytes:
    proc = subprocess.run(
        [sys.executable, "-m", "zoho_v1_audit", *args], cwd=cwd, capture_output=True, timeout=120
    )
    assert proc.returncode in (0, 1), proc.stderr.decode(errors="replace")
    return proc.stdout + proc.stderr


def _leaks(data: bytes) -> list[str]:
    return [s[:6] + "…" for s in SECRETS if s.encode() in data]


def test_every_command_and_format_keeps_secrets_out(
    repo: Path, zoho: ZohoServer, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    written: list[bytes] = []
    reports = [out / f"r.{ext}" for ext in ("json", "sarif", "md", "html", "txt")]
    written.append(
        _run("scan", str(repo), *(a for r in reports for a in ("-o", str(r))), cwd=tmp_path)
    )
    written.extend(
        _run("scan", str(repo), "-f", fmt, cwd=tmp_path)
        for fmt in ("text", "json", "sarif", "md", "html")
    )
    rerendered = [out / f"again.{ext}" for ext in ("html", "md", "sarif", "json")]
    written.append(
        _run(
            "report",
            str(out / "r.json"),
            *(a for r in rerendered for a in ("-o", str(r))),
            cwd=tmp_path,
        )
    )
    written.append(
        _run("baseline", "create", str(repo), "-o", str(out / "baseline.json"), cwd=tmp_path)
    )
    written.append(_run("scan", str(repo), "--baseline", str(out / "baseline.json"), cwd=tmp_path))
    written.append(_run("scan", str(repo), "--git", "-f", "json", cwd=tmp_path))
    written.append(_run("scan", "--staged", "-f", "json", cwd=repo))
    written.append(
        _run("scan", str(repo), "--verify", "--api-base", zoho.root, "--verify-timeout", "1",
             "--dc", "com", "-f", "json", "-o", str(out / "verified.json"), cwd=tmp_path)
    )  # fmt: skip
    written.append(
        _run("scan", str(repo), "--verify", "--api-base", "http://127.0.0.1:1", "--verify-timeout", "1",
             "-f", "html", cwd=tmp_path)
    )  # fmt: skip
    db = out / "audit.db"
    written.append(
        _run("audit", str(repo), "--git", "--db", str(db), "--verify", "--api-base", zoho.root,
             cwd=tmp_path)
    )  # fmt: skip
    written.append(
        _run("report", "--db", str(db), *(a for e in ("html", "md", "json")
             for a in ("-o", str(out / f"db.{e}"))), cwd=tmp_path)
    )  # fmt: skip
    with sqlite3.connect(db) as conn:  # the stored documents, uncompressed
        written.extend(zlib.decompress(d) for (d,) in conn.execute("SELECT document FROM scans"))
    written.extend(p.read_bytes() for p in sorted(out.iterdir()))
    assert zoho.requests, "verification really talked to the server"
    for data in written:
        assert _leaks(data) == []
    for page in (out / "r.html", out / "again.html", out / "db.html"):
        assert XSS.encode() not in page.read_bytes()


def test_show_secrets_is_the_only_way_to_see_them(repo: Path, tmp_path: Path) -> None:
    shown = _run("scan", str(repo), "--git", "-f", "json", "--show-secrets", cwd=tmp_path)
    assert set(_leaks(shown)) >= {
        s[:6] + "…" for s in (AUTHTOKEN, HISTORY_TOKEN, PASSWORD, REFRESH)
    }


def test_base64_wrapped_token_is_redacted_in_its_encoded_form(tmp_path: Path) -> None:
    encoded = base64.b64encode(AUTHTOKEN.encode()).decode()
    write_tree(
        tmp_path / "k8s", {"secret.yaml": f"kind: Secret\ndata:\n  ZOHO_AUTHTOKEN: {encoded}\n"}
    )
    data = _run("scan", str(tmp_path / "k8s"), "-f", "json", cwd=tmp_path)
    assert encoded.encode() not in data
    assert _leaks(data) == []
