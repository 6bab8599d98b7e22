"""The trend from run facts: counts per run and team, fixed and new, shards merged by ordinal."""

from __future__ import annotations

from zoho_v1_audit.audit.trend import RunFacts, merge_runs, runs_section


def _run(started: str, repos: set[str], lines: dict[tuple[str, str, int], set[str]]) -> RunFacts:
    return RunFacts(
        started,
        repos=set(repos),
        v1_lines=dict(lines),
        secrets={"s1": {"@a"}} if "r1" in repos else {},
        live={"s1"} if "r1" in repos else set(),
        findings={(r, f"{p}:{n}") for (r, p, n) in lines},
    )


def test_a_team_down_to_zero_stays_in_the_trend() -> None:
    first = _run("2026-11-27", {"r1", "r2"}, {("r1", "a.py", 1): {"@a"}, ("r2", "b.py", 2): {"@b"}})
    second = _run(
        "2026-12-04", {"r1", "r2"}, {("r2", "b.py", 2): {"@b"}, ("r2", "c.py", 1): {"@b"}}
    )
    runs = runs_section([first, second])
    assert [(r["v1_lines"], r["secrets"], r["live"]) for r in runs] == [(2, 1, 1), (2, 1, 1)]
    assert (runs[1]["fixed"], runs[1]["new"]) == (1, 1)
    assert runs[1]["teams"] == [
        {"team": "@a", "v1_lines": 0, "secrets": 1, "live": 1},
        {"team": "@b", "v1_lines": 2, "secrets": 0, "live": 0},
    ]


def test_fixed_and_new_count_only_repositories_both_runs_scanned() -> None:
    first = _run("1", {"r1", "r2"}, {("r1", "a.py", 1): set(), ("r2", "b.py", 1): set()})
    second = _run("2", {"r1"}, {("r1", "a.py", 1): set()})  # r2 failed this time
    second.failed = {"r2"}
    entry = runs_section([first, second])[1]
    assert (entry["fixed"], entry["new"], entry["failed"]) == (0, 0, 1)


def test_shards_merge_run_by_run() -> None:
    shard1 = [
        _run("2026-11-27T06:01", {"r1"}, {("r1", "a.py", 1): set()}),
        _run("2026-12-04", {"r1"}, {}),
    ]
    shard2 = [_run("2026-11-27T06:00", {"r2"}, {("r2", "b.py", 1): set()})]
    merged = runs_section(merge_runs([shard1, shard2]))
    assert [(r["started"], r["repos"], r["v1_lines"]) for r in merged] == [
        ("2026-11-27T06:00", 2, 2),
        ("2026-12-04", 1, 0),
    ]
