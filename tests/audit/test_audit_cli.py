"""`audit` over real remotes into a database, and `report --db` from it."""

from __future__ import annotations

import json
import re
import sqlite3
import zlib
from pathlib import Path

import jsonschema
import pytest

from tests.audit.conftest import V1_CALL, Org
from tests.git.cli import audit
from tests.helpers import TOKEN, TOKEN_EU

SCHEMA = Path(__file__).resolve().parents[2] / "docs" / "result.schema.json"


def _scans(db: Path) -> dict[str, tuple[str, str | None]]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT r.name, s.status, s.reason FROM scans s "
            "JOIN repositories r ON r.id = s.repository_id"
        )
        return {name: (status, reason) for name, status, reason in rows}


def test_an_audit_records_every_repository_and_reports_the_failures(
    org: Org, tmp_path: Path
) -> None:
    db, cache = tmp_path / "org.db", tmp_path / "cache"
    sources = [org.url("crm"), org.url("legacy"), org.url("clean")]
    sources += [org.repos["empty"].path.as_uri(), org.url("missing"), org.url("corrupt")]
    out = tmp_path / "org.json"
    run = audit(
        "audit", *sources, "--git", "--db", str(db), "--cache-dir", str(cache), "-j", "3",
        "-o", str(out), "-o", str(tmp_path / "org.html"),
    )  # fmt: skip
    assert run.code == 3, run.stderr  # a repository failed; the others were recorded
    scans = _scans(db)
    assert len(scans) == 6
    by_repo = {name.rsplit("/", 1)[-1]: value for name, value in scans.items()}
    assert by_repo["crm"][0] == by_repo["legacy"][0] == by_repo["clean"][0] == "ok"
    assert by_repo["empty"] == ("failed", "empty repository: no commit to scan")
    assert by_repo["missing"][0] == "failed"
    assert f"cannot clone {org.url('missing')}" in (by_repo["missing"][1] or "")
    assert re.search(r"failed +missing: cannot clone", run.stderr)
    assert by_repo["corrupt"][0] == "failed" and "cannot clone" in (by_repo["corrupt"][1] or "")
    assert "3 scanned, 0 unchanged, 3 failed" in run.stderr

    doc = json.loads(out.read_text())  # the database and its reports in one command
    assert "<svg" in (tmp_path / "org.html").read_text()
    report = audit("report", "--db", str(db), "-f", "json")
    assert report.code == 0 and json.loads(report.stdout) == doc
    found = {(f["repo"].rsplit("/", 1)[-1], f["path"], f["in_head"]) for f in doc["findings"]}
    assert ("crm", "app.env", True) in found
    assert ("legacy", "config.env", False) in found  # only in history
    assert not any(repo == "clean" for repo, _, _ in found)
    missing = [w for w in doc["warnings"] if w["repo"].endswith("missing")]
    assert "cannot clone" in missing[0]["message"]
    [entry] = doc["runs"]
    assert (entry["repos"], entry["failed"], entry["secrets"]) == (3, 3, 2)
    assert entry["v1_lines"] == 2  # the URL line and the authtoken parameter line of leads.py


def test_nothing_in_the_database_is_a_secret(org: Org, tmp_path: Path) -> None:
    db = tmp_path / "org.db"
    run = audit(
        "audit", org.url("crm"), org.url("legacy"), "--git", "--db", str(db),
        "--cache-dir", str(tmp_path / "cache"),
    )  # fmt: skip
    assert run.code == 0, run.stderr
    raw = db.read_bytes()
    with sqlite3.connect(db) as conn:
        docs = [zlib.decompress(blob) for (blob,) in conn.execute("SELECT document FROM scans")]
        counts = conn.execute("SELECT count(*) FROM secrets").fetchone()[0]
    assert counts == 2
    for blob in (raw, *docs):
        for secret in (TOKEN, TOKEN_EU):
            assert secret.encode() not in blob
    assert all(b'"value"' not in d for d in docs)


def test_a_fix_shows_in_the_trend(org: Org, tmp_path: Path) -> None:
    db, cache = tmp_path / "org.db", tmp_path / "cache"
    args = ("--db", str(db), "--cache-dir", str(cache))
    assert audit("audit", org.url("crm"), org.url("clean"), *args).code == 0
    crm = org.repos["crm"]
    fixed = V1_CALL.replace(
        "crm.zoho.com/crm/private/json/Leads/getRecords", "www.zohoapis.com/crm/v2/Leads"
    )
    crm.commit("use API 2.0 for the URL", {"src/leads.py": fixed})
    second = audit("audit", org.url("crm"), org.url("clean"), *args)
    assert second.code == 0, second.stderr
    assert "run 2: 2 scanned" in second.stderr

    outputs = [tmp_path / f"org.{ext}" for ext in ("json", "html", "md")]
    report = audit("report", "--db", str(db), *(a for p in outputs for a in ("-o", str(p))))
    assert report.code == 0, report.stderr
    doc = json.loads(outputs[0].read_text())
    jsonschema.validate(doc, json.loads(SCHEMA.read_text()))
    runs = doc["runs"]
    assert [r["v1_lines"] for r in runs] == [2, 1]  # the URL line is gone
    assert [r["secrets"] for r in runs] == [1, 1]
    assert (runs[1]["fixed"], runs[1]["new"]) == (1, 0)
    assert set(runs[0]) >= {"started", "repos", "v1_lines", "secrets", "live"}
    teams = [{t["team"]: (t["v1_lines"], t["secrets"]) for t in r["teams"]} for r in runs]
    assert teams == [
        {"@acme/crm-team": (2, 0), "(unowned)": (0, 1)},  # CODEOWNERS owns src/, not app.env
        {"@acme/crm-team": (1, 0), "(unowned)": (0, 1)},
    ]

    html = outputs[1].read_text()
    trend = html.index('<svg class="trend"')
    svg = html[trend : html.index("</svg>", trend)]
    v1_line = re.search(r'<polyline points="([^"]+)"', svg)
    assert v1_line is not None
    (x1, y1), (x2, y2) = (tuple(map(float, p.split(","))) for p in v1_line[1].split())
    assert x2 > x1 and y2 > y1  # drawn lower: fewer v1 lines
    assert "<script" not in svg and "style=" not in svg and "href" not in svg
    assert "| #2 |" in outputs[2].read_text()


def test_source_lists_shards_and_merged_databases(org: Org, tmp_path: Path) -> None:
    names = ("crm", "legacy", "clean")
    listing = tmp_path / "repos.txt"
    lines = ["# the organisation", "", *(org.url(n) for n in names)]
    lines.append(org.url("crm") + ".git/")  # the same repository spelled differently
    listing.write_text("\n".join(lines) + "\n")
    cache = tmp_path / "cache"
    dbs = []
    for shard in (1, 2):
        db = tmp_path / f"shard-{shard}.db"
        run = audit("audit", f"@{listing}", "--shard", f"{shard}/2", "--db", str(db),
                    "--cache-dir", str(cache))  # fmt: skip
        assert run.code == 0, run.stderr
        dbs.append(db)
    per_shard = [set(_scans(db)) for db in dbs]
    assert not per_shard[0] & per_shard[1]
    assert {n.rsplit("/", 1)[-1] for s in per_shard for n in s} == set(names)
    out = tmp_path / "org.json"
    merged = audit("report", "--db", str(dbs[0]), "--db", str(dbs[1]), "-o", str(out))
    assert merged.code == 0, merged.stderr
    doc = json.loads(out.read_text())
    assert len(doc["scan"]["repos"]) == 3
    [entry] = doc["runs"]  # the first run of each shard is one run of the organisation
    assert entry["repos"] == 3

    (tmp_path / "billing").mkdir()
    (tmp_path / "billing" / "sync.py").write_text(V1_CALL)
    saved = tmp_path / "billing.json"
    assert (
        audit("scan", str(tmp_path / "billing"), "-o", str(saved), "--fail-on", "never").code == 0
    )
    both = audit("report", "--db", str(dbs[0]), str(saved), "-f", "json")
    assert both.code == 0, both.stderr
    repos = {r["repo"] for r in json.loads(both.stdout)["scan"]["repos"]}
    assert "billing" in repos and len(repos) == len(per_shard[0]) + 1


def test_bad_databases_and_options_are_usage_errors(tmp_path: Path) -> None:
    not_db = tmp_path / "notes.db"
    not_db.write_text("hello, this is not SQLite\n" * 100)
    assert audit("report", "--db", str(not_db)).code == 2
    assert audit("report", "--db", str(tmp_path / "none.db")).code == 2
    newer = tmp_path / "newer.db"
    with sqlite3.connect(newer) as conn:
        conn.execute("PRAGMA user_version = 99")
    run = audit("audit", str(tmp_path), "--db", str(newer))
    assert run.code == 2 and "newer than this tool" in run.stderr
    for shard in ("0/2", "3/2", "1", "a/b"):
        run = audit("audit", str(tmp_path), "--shard", shard, "--db", str(tmp_path / "x.db"))
        assert run.code == 2 and "--shard must be I/N" in run.stderr
    assert audit("audit", "--db", str(tmp_path / "x.db")).code == 2  # nothing to audit
    run = audit("audit", "https://ada:pw-123@127.0.0.1/r.git", "--db", str(tmp_path / "x.db"))
    assert run.code == 2 and "pw-123" not in run.stderr


def test_a_new_database_gets_the_current_schema(tmp_path: Path) -> None:
    db = tmp_path / "new.db"
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.py").write_text(V1_CALL)
    assert audit("audit", str(tmp_path / "src"), "--db", str(db), "--fail-on", "high").code == 1
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
        tables = {n for (n,) in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert tables == {"runs", "repositories", "scans", "findings", "secrets", "verifications"}


def test_live_tokens_are_verified_once_per_run_and_counted(org: Org, tmp_path: Path) -> None:
    from tests.zoho_server import ZohoServer, result

    org.repos["clean"].commit("copy", {"old.env": f"ZOHO_AUTHTOKEN={TOKEN}\n"})
    db = tmp_path / "org.db"
    with ZohoServer() as zoho:
        zoho.script(TOKEN, default=result())
        run = audit(
            "audit", org.url("crm"), org.url("clean"), "--db", str(db), "-j", "2",
            "--cache-dir", str(tmp_path / "cache"), "--verify", "--api-base", zoho.root,
        )  # fmt: skip
        assert run.code == 0, run.stderr
        probes = zoho.count(TOKEN)
    assert probes == 1  # one token in two repositories: asked once
    report = audit("report", "--db", str(db), "-f", "json")
    [entry] = json.loads(report.stdout)["runs"]
    assert (entry["secrets"], entry["live"]) == (1, 1)
    with sqlite3.connect(db) as conn:
        statuses = conn.execute("SELECT status FROM verifications").fetchall()
    assert statuses == [("live",)]


def test_an_older_database_is_migrated_forward_keeping_its_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from zoho_v1_audit.audit import db as store

    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.py").write_text(V1_CALL)
    path = tmp_path / "org.db"
    assert audit("audit", str(tmp_path / "src"), "--db", str(path)).code == 0
    later = "ALTER TABLE runs ADD COLUMN label TEXT; UPDATE runs SET label = 'weekly'"
    monkeypatch.setattr(store, "MIGRATIONS", (*store.MIGRATIONS, later))
    monkeypatch.setattr(store, "SCHEMA_VERSION", 2)
    conn = store.open_db(path, create=False)
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 2
        assert conn.execute("SELECT id, label FROM runs").fetchall() == [(1, "weekly")]
        assert conn.execute("SELECT count(*) FROM findings").fetchone()[0] == 2
    finally:
        conn.close()
    broken = (*store.MIGRATIONS[:1], "CREATE TABLE t (x); ALTER TABLE nowhere ADD COLUMN y")
    monkeypatch.setattr(store, "MIGRATIONS", (*broken, "SELECT 1"))
    monkeypatch.setattr(store, "SCHEMA_VERSION", 3)
    path2 = tmp_path / "org2.db"
    run = audit("audit", str(tmp_path / "src"), "--db", str(path2))
    assert run.code == 2 and "migrating to schema 2 failed" in run.stderr
    with sqlite3.connect(path2) as check:  # the failed step left nothing half-done
        assert check.execute("PRAGMA user_version").fetchone()[0] == 1
        tables = {n for (n,) in check.execute("SELECT name FROM sqlite_master")}
    assert "t" not in tables


def test_names_and_reasons_are_shown_without_control_characters(tmp_path: Path) -> None:
    hostile = tmp_path / "repo\x1b[2J\x07"
    hostile.mkdir()
    (hostile / "a.py").write_text("print(1)\n")
    run = audit("audit", str(hostile), str(tmp_path / "gone\x1b]0;pwned\x07"),
                "--db", str(tmp_path / "x.db"))  # fmt: skip
    assert run.code == 3
    assert "\x1b" not in run.stderr and "\x07" not in run.stderr
    assert "repo\\x1b[2J\\x07" in run.stderr and "gone\\x1b]0;pwned" in run.stderr
