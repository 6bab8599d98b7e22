"""Organisation audit benchmark: N local repositories audited through file:// remotes.

Prints the wall time of a first run (clone and scan), a second run after one commit per tenth
repository (fetch and scan), a resumed run with nothing left to do, `report --db`, and the
database's size.

    python bench/audit_bench.py --repos 50 --files 200 --jobs 1 4
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

V1 = "URL = 'https://crm.zoho.com/crm/private/json/Leads/getRecords?authtoken={token}&scope=crmapi'\n"
GIT = ["git", "-c", "user.name=Bench", "-c", "user.email=bench@example.com"]


def make_repo(path: Path, index: int, files: int) -> None:
    """A repository of `files` Python files; one in ten holds a v1 call with a token."""
    (path / "src").mkdir(parents=True)
    for j in range(files):
        body = "def f(x):\n    return x * 2\n" * 20
        if j % 10 == 0:
            body += V1.format(token=f"{index:08x}{j:08x}".ljust(32, "a"))
        (path / "src" / f"m{j}.py").write_text(body)
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=path, check=True)
    subprocess.run([*GIT, "add", "-A"], cwd=path, check=True)
    subprocess.run([*GIT, "commit", "-qm", "code"], cwd=path, check=True)


def audit(*args: str) -> float:
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "zoho_v1_audit", *args], capture_output=True, text=True
    )
    took = time.perf_counter() - started
    if proc.returncode not in (0, 1):
        raise SystemExit(f"exit {proc.returncode}: {proc.stderr[-2000:]}")
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repos", type=int, default=50)
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 4])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        urls = []
        for i in range(args.repos):
            make_repo(root / "served" / f"repo{i}", i, args.files)
            urls.append((root / "served" / f"repo{i}").as_uri())
        listing = root / "repos.txt"
        listing.write_text("\n".join(urls) + "\n")
        print(f"{args.repos} repositories of {args.files} files, {os.cpu_count()} cores")
        print(
            f"{'jobs':>4} {'first s':>8} {'second s':>9} {'resume s':>9} {'report s':>9} {'db kB':>7}"
        )
        for jobs in args.jobs:
            db, cache = root / f"audit-{jobs}.db", root / f"cache-{jobs}"
            common = (f"@{listing}", "--db", str(db), "--cache-dir", str(cache), "-j", str(jobs))
            first = audit("audit", *common)
            for i in range(0, args.repos, 10):
                repo = root / "served" / f"repo{i}"
                (repo / "src" / "m0.py").write_text(
                    f"URL = 'https://www.zohoapis.com/crm/v2/Leads?jobs={jobs}'\n"
                )
                subprocess.run([*GIT, "commit", "-qam", "v2"], cwd=repo, check=True)
            second = audit("audit", *common)
            with sqlite3.connect(db) as conn:  # an unfinished run, all scanned
                conn.execute("UPDATE runs SET finished_at = NULL WHERE id = 2")
            resume = audit("audit", *common)
            report = audit(
                "report",
                "--db",
                str(db),
                "-o",
                str(root / "org.html"),
                "-o",
                str(root / "org.json"),
            )
            print(
                f"{jobs:>4} {first:>8.2f} {second:>9.2f} {resume:>9.2f} {report:>9.2f} {db.stat().st_size / 1000:>7.0f}"
            )


if __name__ == "__main__":
    main()
