"""Masking secret shapes and escaping control characters: each attack on the defence."""

from __future__ import annotations

import base64
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.helpers import PASSWORD, REFRESH, TOKEN, builtin, findings_in, scan, write_tree
from zoho_v1_audit import models
from zoho_v1_audit.models import Blob, SecretKind, is_generated, preview
from zoho_v1_audit.redact import clean, display, redact
from zoho_v1_audit.ruleset import make_ruleset
from zoho_v1_audit.scan.detector import detect

CLIENT_SECRET = "6f1d9b3e7a5c2f8d0b4e6a9c3f7d1b5e8a2c4f6d0b"
ALNUM = "k4m9p2q7r1s8t3u6v0w5x2y9z4a7b1c6"


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        (f"old token: {TOKEN}", "old token: 3f9a…a8c3"),
        (f"T={TOKEN.upper()}", "T=3F9A…A8C3"),
        (f'"{{\\"authtoken\\":\\"{TOKEN}\\"}}"', '"{\\"authtoken\\":\\"3f9a…a8c3\\"}"'),
        (f"x {REFRESH} y", "x 1000.3f9a…1d4a y"),
        (f"k={ALNUM}", "k=k4m9…b1c6"),
        (f"client_secret: {CLIENT_SECRET}", "client_secret: 6f1d…6d0b"),
        (f"data: {base64.b64encode(TOKEN.encode()).decode()}", "data: M2Y5…YzM="),
        (f"&PASSWORD={PASSWORD}&next=1", "&PASSWORD=…&next=1"),
        (f"password: '{PASSWORD} with spaces'", "password: '…'"),
        (f'\\"pwd\\":\\"{PASSWORD}\\"', '\\"pwd\\":\\"…\\"'),
        ("CLIENT_SECRET = 'hunter2'", "CLIENT_SECRET = '…'"),
    ],
)
def test_every_secret_shape_is_masked(text: str, shown: str) -> None:
    assert redact(text) == shown
    assert redact(shown) == shown  # masking twice changes nothing


@pytest.mark.parametrize(
    "text",
    [
        "CLIENT_ID = '1000.ABCDEFGHIJ0123456789KLMNOPQRST'",  # a client id is not a secret
        "https://crm.zoho.com/crm/private/json/Leads/getSearchRecordsByPDC?scope=crmapi",
        "import src/main/java/com/acme/crm/LegacyCrmSynchroniserService.java",
        "sha = 'abc1234'",
    ],
)
def test_what_is_not_secret_stays_readable(text: str) -> None:
    assert redact(text) == text


def test_control_and_bidi_characters_become_visible_escapes() -> None:
    hostile = "a\x1b]0;pwned\x07b\x9b2Jc\x7f\u202eevil\u2066d\u2069\u200fe\u2028f\r\ng\th"
    shown = display(hostile)
    assert shown == (
        "a\\x1b]0;pwned\\x07b\\x9b2Jc\\x7f\\u202eevil\\u2066d\\u2069\\u200fe\\u2028f\\x0d\\x0ag\th"
    )
    assert display(shown) == shown
    assert not re.search("[\x00-\x08\x0a-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", shown)


def test_clean_reaches_every_string_and_masks_only_free_text() -> None:
    doc = {
        "findings": [{"path": "a\x1b.py", "snippet": f"t={TOKEN}", "fingerprint": TOKEN * 2}],
        "warnings": [{"path": "\u202e", "message": f"cannot read {TOKEN}"}],
        "secrets": [{"verification": {"reason": f"redirected to {TOKEN}.evil"}, "id": TOKEN * 2}],
        "stats": {"files_skipped": {"big\x07": 1}},
    }
    assert clean(doc) == {
        "findings": [{"path": "a\\x1b.py", "snippet": "t=3f9a…a8c3", "fingerprint": TOKEN * 2}],
        "warnings": [{"path": "\\u202e", "message": "cannot read 3f9a…a8c3"}],
        "secrets": [{"verification": {"reason": "redirected to 3f9a…a8c3.evil"}, "id": TOKEN * 2}],
        "stats": {"files_skipped": {"big\\x07": 1}},
    }


def test_passwords_are_low_entropy_tokens_are_not() -> None:
    assert is_generated(TOKEN, SecretKind.AUTHTOKEN) and is_generated(
        REFRESH, SecretKind.REFRESH_TOKEN
    )
    assert not is_generated(
        TOKEN, SecretKind.PASSWORD
    )  # a password is a password, whatever it looks like
    assert not is_generated(PASSWORD, None) and not is_generated("a1" * 20, None)
    assert (
        preview(PASSWORD, SecretKind.PASSWORD) == "…" and preview(TOKEN, SecretKind.PASSWORD) == "…"
    )
    assert preview(TOKEN, SecretKind.AUTHTOKEN) == "3f9a…a8c3"


def test_a_placeholder_for_everything_still_masks_the_snippet() -> None:
    rules = builtin()
    greedy = make_ruleset(rules.rules, [re.compile(".*")])
    line = f"u = 'https://crm.zoho.com/crm/private/json/Leads/getRecords?authtoken={TOKEN}'"
    scanned = detect(Blob("app.py", line.encode()), greedy)
    assert scanned.placeholders and scanned.findings
    assert all(f.secret is None for f in scanned.findings)
    assert all(TOKEN not in f.snippet and "3f9a…a8c3" in f.snippet for f in scanned.findings)


def test_a_window_on_a_long_line_never_shows_part_of_a_token() -> None:
    """The window around a finding grows over a token it cuts, even one no rule found."""
    for pad in range(90, 140, 3):
        line = f"u = 'https://crm.zoho.com/crm/private/json/Leads/getRecords' {'x' * pad} {ALNUM}{'y' * 400}"
        (finding,) = findings_in(line)
        assert ALNUM[:8] not in finding.snippet and ALNUM[-8:] not in finding.snippet
        assert finding.snippet.endswith("…")


def test_password_ids_are_stable_slow_and_capped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past the cap, passwords get one-off ids and the result says so."""
    fresh = [f"Pw-{secrets.token_hex(4)}!" for _ in range(3)]
    # Other tests in this process may have used up the cap: room for one more slow id.
    monkeypatch.setattr(models, "SLOW_IDS", models.SECRET_IDS.slow + 1)
    first = models.SECRET_IDS.get(fresh[0], SecretKind.PASSWORD)
    assert first == models._SecretIds().get(fresh[0], SecretKind.PASSWORD)  # the same in every run
    assert first not in {models.sha256_hex(fresh[0])}
    monkeypatch.setattr(models, "SLOW_IDS", models.SECRET_IDS.slow)
    lines = [
        "curl 'https://accounts.zoho.com/apiauthtoken/nb/create?SCOPE=ZohoCRM/crmapi"
        f"&EMAIL_ID=ops@acme.example&PASSWORD={pw}&DISPLAY_NAME=sync'"
        for pw in fresh
    ]
    result = scan(write_tree(tmp_path, {"gen.sh": "\n".join(lines) + "\n"}), jobs=1)
    assert len(result.secrets) == 3
    assert [w.message.split(" ")[0] for w in result.warnings] == ["2"]
    assert "valid for this result only" in result.warnings[0].message


def test_terminal_report_takes_no_markup_from_paths(tmp_path: Path) -> None:
    from zoho_v1_audit import app
    from zoho_v1_audit.report import OutputFormat, RenderOptions
    from zoho_v1_audit.report.render import render

    name = "[link=https://evil.test]ok[/link][blink].py"
    root = write_tree(
        tmp_path, {name: "u = 'https://crm.zoho.com/crm/private/json/Leads/getRecords'\n"}
    )
    doc = app.document(scan(root, jobs=1), rules=builtin(), show_secrets=False, owners=None)
    shown = render(doc, OutputFormat.TEXT, RenderOptions(color=True, width=400))
    assert "\x1b]8;" not in shown and "evil.test]ok[/link]" in shown


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "zoho_v1_audit", *args], cwd=cwd, capture_output=True, timeout=60
    )


def test_errors_and_rule_listings_escape_control_characters(tmp_path: Path) -> None:
    hostile = "x\x1b]0;pwned\x07\u202e"
    missing = _cli("scan", hostile, cwd=tmp_path)
    assert missing.returncode == 2
    assert b"\x1b" not in missing.stderr and b"x\\x1b]0;pwned\\x07\\u202e" in missing.stderr
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        'rules:\n  - id: acme-proxy\n    title: "Proxy \\e]0;pwned\\a \\u202e"\n'
        "    category: v1-endpoint\n    severity: low\n    keywords: [acme]\n"
        "    pattern: 'acme\\.example/v1'\n"
        '    examples:\n      match: ["acme.example/v2 \\e[2K"]\n',
        encoding="utf-8",
    )
    listed, tested = (
        _cli("rules", "list", "--rules", str(rules), cwd=tmp_path),
        _cli("rules", "test", str(rules), cwd=tmp_path),
    )
    assert listed.returncode == 0 and tested.returncode == 1
    for out in (listed.stdout + listed.stderr, tested.stdout + tested.stderr):
        assert b"\x1b" not in out and b"\x07" not in out and "\u202e".encode() not in out
    assert b"Proxy \\x1b]0;pwned\\x07" in listed.stdout


_PIECES = st.sampled_from(
    [TOKEN, TOKEN.upper(), ALNUM, REFRESH, CLIENT_SECRET, "PASSWORD=", "secret: ", "'", '"',
     "\\", " ", "=", "&", "…", "\x1b", "\x9b", "\u202e", "\n", "\t", "x", "1000.", "/"]
)  # fmt: skip


@given(st.lists(st.one_of(_PIECES, st.text(max_size=8)), max_size=12).map("".join))
@settings(max_examples=500, deadline=None)
def test_masking_and_escaping_hold_for_any_text(text: str) -> None:
    """Whatever the text: no token survives, no control character is left, twice is once.

    As a snippet goes: masked by the detector, then escaped and masked again for output.
    """
    shown = redact(display(redact(text)))
    assert not re.search(r"[0-9A-Fa-f]{32}", shown)
    assert not re.search("[\x00-\x08\x0a-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", shown)
    assert redact(display(shown)) == shown


def test_ids_prepared_at_once_are_the_ids_given_one_by_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Slow ids computed together, on several cores, are the ids `get` gives in that order."""
    monkeypatch.setattr(models, "SLOW_IDS", 3)
    fresh = [f"Pw-{secrets.token_hex(4)}!" for _ in range(4)]
    together, one_by_one = models._SecretIds(), models._SecretIds()
    batch = [(TOKEN, SecretKind.AUTHTOKEN), *((v, SecretKind.PASSWORD) for v in fresh)]
    together.prepare([*batch, (fresh[0], SecretKind.PASSWORD)])
    assert together.slow == 3  # the cap holds; the token and the repeat cost nothing
    for value, kind in batch[:4]:
        assert together.get(value, kind) == one_by_one.get(value, kind)
    assert together.slow == 3 and together.one_off == 0  # nothing was hashed twice
    assert together.get(fresh[3], SecretKind.PASSWORD) != models._slow_id(fresh[3])
    assert together.one_off == 1  # past the cap: a one-off id, as one by one
