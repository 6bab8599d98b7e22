"""History and pre-commit benchmark: `scan --git` beside `git log -p`, and `scan --staged`.

Generates git corpora with the shared generator (fixed dates, so the same SHAs every time),
runs each command alternately on a warm page cache, and prints median wall time and peak RSS.

    python bench/history_bench.py                       # 500 and 1,000 commits, 20,000-file staged
    python bench/history_bench.py --commits 1000 --runs 5 --staged-files 0
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from recall import score
from scan_bench import RG_PATTERNS

ROOT = Path(__file__).resolve().parent.parent
TIME = "/usr/bin/time"  # GNU time, for peak RSS
GENERATOR = ROOT.parent / "shared" / "bench" / "make_corpus.py"
STAGED_LINES = {
    "staged/new_client.py": 'URL = "https://crm.zoho.com/crm/private/json/Leads/getRecords"\n'
    'AUTHTOKEN = "3f9a2c7e1b4d8f60a5c9e2b7d1f4a8c3"\n',
}


def run(cmd: list[str] | str, cwd: Path | None = None) -> tuple[float, int]:
    """Wall seconds and peak RSS in KiB of the largest process; a str runs in bash.

    RSS comes from GNU time, a small process: a fork of this one would inherit its high-water mark.
    """
    argv = ["bash", "-o", "pipefail", "-c", cmd] if isinstance(cmd, str) else cmd
    with tempfile.NamedTemporaryFile("r") as rss:
        started = time.perf_counter()
        proc = subprocess.run(
            [TIME, "-q", "-f", "%M", "-o", rss.name, *argv],
            cwd=cwd,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            check=False,
        )
        wall = time.perf_counter() - started
        peak = int(rss.read().split()[-1])
    if proc.returncode not in (0, 1):  # 1: findings (zoho-v1-audit) or no match (rg)
        raise SystemExit(f"{argv} failed with exit code {proc.returncode}: {proc.stderr.decode()}")
    return wall, peak


def generate(out: Path, *args: str) -> dict[str, Any]:
    if not out.exists():
        subprocess.run(
            [sys.executable, str(GENERATOR), "--out", str(out), *args],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    key: dict[str, Any] = json.loads(Path(f"{out}.answer_key.json").read_text())
    return key


def measure(
    tools: dict[str, list[str] | str], runs: int, cwd: Path
) -> dict[str, list[tuple[float, int]]]:
    for cmd in tools.values():  # warm the page cache and the interpreter
        run(cmd, cwd)
    samples: dict[str, list[tuple[float, int]]] = {name: [] for name in tools}
    for _ in range(runs):
        for name, cmd in tools.items():
            samples[name].append(run(cmd, cwd))
    return samples


def show(samples: dict[str, list[tuple[float, int]]], reference: str) -> None:
    ref = statistics.median(w for w, _ in samples[reference])
    print(f"  {'command':<44}{'median wall':>12}{'vs ' + reference[:8]:>14}{'peak RSS':>11}")
    for name, runs in samples.items():
        wall = statistics.median(w for w, _ in runs)
        rss = max(r for _, r in runs) / 1024
        print(f"  {name:<44}{wall:>10.2f} s{wall / ref:>13.1f}x{rss:>8.0f} MB")


def history_check(doc: dict[str, Any], key: dict[str, Any], corpus: Path) -> str:
    """Recall over history, and whether removed secrets are marked gone with the right commit."""
    found = score(doc, key, history=True)
    order = subprocess.run(
        ["git", "rev-list", "--reverse", "HEAD"],
        cwd=corpus,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    secrets = {s["sha256"]: s for s in doc["secrets"]}
    # A v1 URL whose token is a variable (`"?authtoken=" + AUTHTOKEN`) is keyed by the URL: no secret.
    removed = [p for p in key["planted"] if p["removed_in"] and "://" not in p["secret"]]
    gone = right_commit = 0
    for item in removed:
        secret = secrets.get(hashlib.sha256(item["secret"].encode()).hexdigest())
        if secret is None or any(loc["in_head"] for loc in secret["locations"]):
            continue
        gone += 1
        if (secret.get("removed") or {}).get("commit") == order[item["removed_in"] - 1]:
            right_commit += 1
    return (
        f"  recall {found['found']}/{found['planted']} planted (history), "
        f"{len(found['decoys_reported'])}/{found['decoys']} decoys reported; "
        f"{gone}/{len(removed)} deleted secrets marked not in HEAD, "
        f"{right_commit} with the commit that removed them"
    )


def bench_history(audit: str, workdir: Path, commits: int, runs: int) -> None:
    corpus = workdir / f"history-{commits}"
    key = generate(corpus, "--git-commits", str(commits))
    log = subprocess.run(["git", "log", "-p"], cwd=corpus, capture_output=True, check=True)
    size = len(log.stdout)
    print(f"\n{commits} commits, {key['files']} files; `git log -p` writes {size / 1e6:.0f} MB")
    with tempfile.TemporaryDirectory() as tmp:
        result = Path(tmp) / "result.json"
        patterns = Path(tmp) / "patterns.txt"
        patterns.write_text("\n".join(RG_PATTERNS) + "\n")
        tools: dict[str, list[str] | str] = {
            "git log -p": "git log -p > /dev/null",
            "git log -p -U0 --cc -M (what the scan reads)": "git log -p -U0 --cc -M --root > /dev/null",
        }
        if shutil.which("rg"):
            tools["git log -p | rg -f patterns"] = f"git log -p | rg -c -f {patterns} > /dev/null"
        tools["zoho-v1-audit scan --git"] = [
            audit, "scan", ".", "--git", "-o", str(result), "--fail-on", "never",
        ]  # fmt: skip
        show(measure(tools, runs, corpus), "git log -p")
        print(history_check(json.loads(result.read_text()), key, corpus))


def bench_staged(audit: str, workdir: Path, files: int, runs: int) -> None:
    corpus = workdir / f"staged-{files}"
    generate(
        corpus,
        "--files",
        str(files),
        "--planted",
        str(files // 10),
        "--seed",
        "22",
        "--git-commits",
        "1",
    )
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=corpus, capture_output=True, text=True, check=True
    ).stdout.split()
    subprocess.run(["git", "reset", "-q", "--hard", "HEAD"], cwd=corpus, check=True)
    for rel in tracked[:4]:  # four edited files and one new one: five staged files
        with (corpus / rel).open("a", encoding="utf-8") as fh:
            fh.write("# edited for the staged benchmark\n")
    for rel, text in STAGED_LINES.items():
        (corpus / rel).parent.mkdir(parents=True, exist_ok=True)
        (corpus / rel).write_text(text)
    subprocess.run(["git", "add", *tracked[:4], *STAGED_LINES], cwd=corpus, check=True)
    print(f"\n{len(tracked)} tracked files, 5 staged (one adds a v1 URL and a token)")
    tools: dict[str, list[str] | str] = {
        "git diff --cached -U0": "git diff --cached -U0 > /dev/null",
        "zoho-v1-audit --version (start-up)": [audit, "--version"],
        "zoho-v1-audit scan --staged": [audit, "scan", "--staged"],
    }
    show(measure(tools, runs, corpus), "git diff --cached -U0")
    subprocess.run(["git", "reset", "-q", "--hard", "HEAD"], cwd=corpus, check=True)
    for rel in STAGED_LINES:
        (corpus / rel).unlink(missing_ok=True)


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--commits", type=int, nargs="*", default=[500, 1000])
    ap.add_argument("--staged-files", type=int, default=20000, help="0 to skip")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--workdir", type=Path, default=ROOT / "bench" / "out")
    args = ap.parse_args()
    audit = shutil.which("zoho-v1-audit", path=os.path.dirname(sys.executable)) or "zoho-v1-audit"
    args.workdir.mkdir(parents=True, exist_ok=True)
    print(
        f"{os.cpu_count()} cores, git {subprocess.run(['git', '--version'], capture_output=True, text=True, check=True).stdout.split()[-1]}, {args.runs} runs each (median)"
    )
    for commits in args.commits:
        bench_history(audit, args.workdir, commits, args.runs)
    if args.staged_files:
        bench_staged(audit, args.workdir, args.staged_files, args.runs)


if __name__ == "__main__":
    main()
