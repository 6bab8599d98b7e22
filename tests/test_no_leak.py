"""No full secret in any byte the tool writes, whatever the command or format, unless asked.

The scanned repository is the attacker: it hides tokens where rules do not look (escaped JSON,
upper-case hex, a second token on a line), turns rules off, declares every value a
placeholder, plants terminal escapes and bidirectional overrides, and the server that answers
verification names the token in its redirect. No output may carry any of it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import sqlite3
import subprocess
import sys
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import builtin, write_tree
from tests.zoho_server import ZohoServer, html, oauth_error, redirect, status

AUTHTOKEN = "5d2f8a1c7e3b9d0f4a6c8e2b1d7f3a9c"
HISTORY_TOKEN = "e1c7a3f9b5d2084c6e1a7f3b9d5c2e08"
STAGED_TOKEN = "a8f2c6e0b4d9173e5c8a2f6b0d4e9c13"
PASSWORD = "Spring2017#sync"
REFRESH = "1000.9c3e7a1f5b2d8c4e6a0f3b7d1e5c9a2f.4b8e2d6a0c5f9b3e7d1a6c0f4e8b2d5a"
ACCESS = "1000.7e3a9c5f1b8d2e6a4c0f7b3e9d5a1c8f.2d6b0e4a8c3f7d1b5e9a2c6f0d4b8e3a"
CLIENT_SECRET = "6f1d9b3e7a5c2f8d0b4e6a9c3f7d1b5e8a2c4f6d0b"
SECOND = "b7d3f9a1c5e2084d6b1f7a3c9e5d2b08"  # a second token on a line whose first one a rule found
ESCAPED = "c3e9a1f7b5d20e4c8a6f2b1d9e7c5a30"  # inside an escaped JSON string
UPPER = "9F4C2A7E1B5D3F8C0A6E4B2D9C7F1A3E"  # upper-case hex in a v1 URL
ANSI_TOKEN = "d4a8e2c6f0b3917e5a9c3f7b1d6e0a24"  # on a line full of terminal escapes
SECRETS = (
    AUTHTOKEN, HISTORY_TOKEN, STAGED_TOKEN, PASSWORD, REFRESH, ACCESS, CLIENT_SECRET,
    SECOND, ESCAPED, UPPER, UPPER.lower(), ANSI_TOKEN,
)  # fmt: skip
XSS = "<img src=x onerror=alert(1)>"
ESCAPES = "\x1b[2K\x1b[1A\x1b]0;pwned\x07 \u009b2J"  # erase, move up, set the title, bell, C1 CSI
BIDI = "\u202e\u2066"  # right-to-left override, left-to-right isolate (Trojan Source)
CONTROLS = ("\x1b", "\x07", "\u009b", "\u202e", "\u2066")


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
            ".env": f"ZOHO_AUTHTOKEN={AUTHTOKEN}  # old token: {SECOND}\n",
            "escaped.py": (
                'requests.post("https://crm.zoho.com/crm/private/json/Leads/insertRecords", '
                f'data="{{\\"authtoken\\":\\"{ESCAPED}\\"}}")\n'
            ),
            "upper.py": f"URL = 'https://crm.zoho.com/crm/private/json/Leads/getRecords?authtoken={UPPER}&scope=crmapi'\n",
            "ansi.env": f"ZOHO_AUTHTOKEN={ANSI_TOKEN} {ESCAPES}\n",
            f"trojan{BIDI}.py": f"URL = 'https://crm.zoho.com/crm/private/json/Leads/getRecords'  # {BIDI} admin\n",
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
    _git(root, "-c", f"user.name=Dev {ESCAPES}{BIDI}", "commit", "-qm", "legacy sync")
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
    """Secrets, control characters and crackable password digests found in some output."""
    text = data.decode("utf-8", "replace")
    found = [s[:6] + "…" for s in SECRETS if s in text]
    found += [f"U+{ord(c):04X}" for c in CONTROLS if c in text]
    digest = hashlib.sha256(PASSWORD.encode()).hexdigest()
    found += ["sha256(password)"] if digest[:12] in text else []
    found += ["password preview"] if f"{PASSWORD[:2]}…" in text else []
    return found


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
    db = tmp_path / "audit.db"  # a binary file: its own bytes hold control characters
    written.append(
        _run("audit", str(repo), "--git", "--db", str(db), "--verify", "--api-base", zoho.root,
             cwd=tmp_path)
    )  # fmt: skip
    written.append(
        _run("report", "--db", str(db), *(a for e in ("html", "md", "json")
             for a in ("-o", str(out / f"db.{e}"))), cwd=tmp_path)
    )  # fmt: skip
    assert [leak for leak in _leaks(db.read_bytes()) if not leak.startswith("U+")] == []
    with sqlite3.connect(db) as conn:  # the stored documents, uncompressed
        written.extend(zlib.decompress(d) for (d,) in conn.execute("SELECT document FROM scans"))
    written.extend(p.read_bytes() for p in sorted(out.iterdir()))
    assert zoho.requests, "verification really talked to the server"
    for index, data in enumerate(written):
        assert _leaks(data) == [], index
    doc = json.loads((out / "r.json").read_text())
    assert any("old token: b7d3…2b08" in f["snippet"] for f in doc["findings"]), "masked, shown"
    assert any("\\x1b]0;pwned\\x07" in f["snippet"] for f in doc["findings"]), "escapes visible"
    assert any(f["path"] == "trojan\\u202e\\u2066.py" for f in doc["findings"])
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


def _secret_rules() -> list[str]:
    return [rule.id for rule in builtin().rules if rule.has_secret]


def test_disabled_secret_rules_still_mask_every_token(repo: Path, tmp_path: Path) -> None:
    off = [arg for rule_id in _secret_rules() for arg in ("--disable", rule_id)]
    reports = [tmp_path / f"off.{ext}" for ext in ("json", "sarif", "md", "html", "txt")]
    written = [
        _run("scan", str(repo), *off, *(a for r in reports for a in ("-o", str(r))), cwd=tmp_path),
        _run("scan", str(repo), *off, "--git", cwd=tmp_path),
    ]
    written.extend(r.read_bytes() for r in reports)
    doc = json.loads(reports[0].read_text())
    assert doc["findings"] and not doc["secrets"], "v1 usage reported, no secret rule ran"
    for data in written:
        assert _leaks(data) == []


def test_placeholder_for_everything_does_not_unmask(tmp_path: Path) -> None:
    """A rule file that calls every value a placeholder decides what is reported, not masked."""
    root = write_tree(
        tmp_path / "lazy",
        {
            ".zoho-v1-audit.yaml": "rules: [everything.yaml]\n",
            "everything.yaml": "placeholders: ['.*']\n",
            "client.py": f"URL = 'https://crm.zoho.com/crm/private/json/Leads/getRecords?authtoken={AUTHTOKEN}'\n",
            "gen.sh": (
                "curl 'https://accounts.zoho.com/apiauthtoken/nb/create?SCOPE=ZohoCRM/crmapi"
                f"&EMAIL_ID=ops@acme.example&PASSWORD={PASSWORD}&DISPLAY_NAME=sync'\n"
            ),
        },
    )
    reports = [tmp_path / f"lazy.{ext}" for ext in ("json", "sarif", "md", "html", "txt")]
    written = [_run("scan", str(root), *(a for r in reports for a in ("-o", str(r))), cwd=tmp_path)]
    written.extend(r.read_bytes() for r in reports)
    doc = json.loads(reports[0].read_text())
    assert doc["stats"]["placeholders"] >= 2 and not doc["secrets"]
    snippets = " ".join(f["snippet"] for f in doc["findings"])
    assert "authtoken=5d2f…3a9c" in snippets and "PASSWORD=…&" in snippets
    for data in written:
        assert _leaks(data) == []


def _letters(token: str) -> str:
    """A hex token spelt in capital letters, the shape an OAuth error code may take."""
    return "".join(chr(ord("A") + int(c, 16)) for c in token)


def test_verification_reasons_never_quote_the_server(repo: Path, tmp_path: Path) -> None:
    """The server got the tokens; its redirect, Retry-After and error code name them back."""
    with ZohoServer() as server:
        server.script(AUTHTOKEN, default=redirect(f"https://{AUTHTOKEN}.attacker.test/{AUTHTOKEN}"))
        server.script(ANSI_TOKEN, default=status(429, retry_after=f"{ANSI_TOKEN}{ESCAPES}"))
        server.script(ACCESS, default=oauth_error(_letters(ACCESS[5:37]), status=400))
        out = tmp_path / "verified"
        out.mkdir()
        reports = [out / f"v.{ext}" for ext in ("json", "sarif", "md", "html", "txt")]
        written = [
            _run("scan", str(repo), "--verify", "--api-base", server.root, "--verify-timeout", "2",
                 *(a for r in reports for a in ("-o", str(r))), cwd=tmp_path),
            _run("scan", str(repo), "--verify", "--api-base", server.root, "--verify-timeout", "2",
                 cwd=tmp_path),
        ]  # fmt: skip
        assert server.count(AUTHTOKEN) and server.count(ANSI_TOKEN) and server.count(ACCESS)
    written.extend(r.read_bytes() for r in reports)
    reasons = {
        s["preview"]: s["verification"]["reason"]
        for s in json.loads(reports[0].read_text())["secrets"]
    }
    assert "HTTP 302, a redirect (not followed)" in reasons["5d2f…3a9c"]
    assert "asked to retry later" in reasons["d4a8…0a24"]
    for data in written:
        assert _leaks(data) == []
        assert _letters(ACCESS[5:37]).encode() not in data
        assert b"attacker.test" not in data


def _password_repo(root: Path, path: str) -> Path:
    return write_tree(
        root,
        {
            path: (
                "curl 'https://accounts.zoho.com/apiauthtoken/nb/create?SCOPE=ZohoCRM/crmapi"
                f"&EMAIL_ID=ops@acme.example&PASSWORD={PASSWORD}&DISPLAY_NAME=sync'\n"
            )
        },
    )


def test_passwords_get_no_crackable_digest_and_still_merge(tmp_path: Path) -> None:
    """No sha256(password) nor preview characters anywhere; the same password still merges."""
    billing = _password_repo(tmp_path / "billing", "gen.sh")
    crm = _password_repo(tmp_path / "crm", "tools/mint.sh")
    written = [
        _run("scan", str(billing), "-o", str(tmp_path / "billing.json"), "-o",
             str(tmp_path / "billing.sarif"), "-o", str(tmp_path / "billing.html"), cwd=tmp_path),
        _run("scan", str(crm), "-o", str(tmp_path / "crm.json"), cwd=tmp_path),
        _run("report", str(tmp_path / "billing.json"), str(tmp_path / "crm.json"),
             "-o", str(tmp_path / "org.json"), "-o", str(tmp_path / "org.sarif"),
             "-o", str(tmp_path / "org.html"), "-o", str(tmp_path / "org.md"), cwd=tmp_path),
        _run("scan", str(billing), "-o", str(tmp_path / "again.json"), cwd=tmp_path),
    ]  # fmt: skip
    written.extend(p.read_bytes() for p in sorted(tmp_path.glob("*.*")) if p.is_file())
    for data in written:
        assert _leaks(data) == []
    first, again = (json.loads((tmp_path / n).read_text()) for n in ("billing.json", "again.json"))
    (password,) = first["secrets"]
    assert password["sha256"] is None and password["preview"] == "…"
    assert len(password["id"]) == 64 and password["id"] == again["secrets"][0]["id"]
    assert [f["fingerprint"] for f in first["findings"]] == [
        f["fingerprint"] for f in again["findings"]
    ]
    merged = json.loads((tmp_path / "org.json").read_text())
    (shared,) = [s for s in merged["secrets"] if s["kind"] == "password"]
    assert sorted(loc["repo"] for loc in shared["locations"]) == ["billing", "crm"]
