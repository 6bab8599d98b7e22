"""History and pre-commit benchmark: `scan --git` beside `git log -p -U0 | rg -f`, and `scan --staged`.

Generates git corpora with the shared generator (fixed dates, so the same SHAs every time, then
repacked with deltas as a real repository is), or takes any repository (`--repo`), runs each
command alternately on a warm page cache, and prints median wall time and peak RSS: of the whole
command (git included), and of zoho-v1-audit's own process.

    python bench/history_bench.py                       # 500 and 1,000 commits, 20,000-file staged
    python bench/history_bench.py --commits 6000 --runs 7 --staged-files 0
    python bench/history_bench.py --repo ~/src/some-project --commits --staged-files 0
"""

from __future__ import annotations

import argparse
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
from recall import NO_SCRYPT_IDS, same_findings, score

ROOT = Path(__file__).resolve().parent.parent
TIME = "/usr/bin/time"  # GNU time, for peak RSS
GENERATOR = ROOT / "bench" / "make_corpus.py"
FLOOR = ROOT / "bench" / "zoho-floor.ere"
ENGINES = ("hyperscan", "python")
FLOOR_CMD = "git log -p -U0 | rg -f zoho-floor.ere"
# Runs the command in this interpreter and prints its own peak RSS (KiB) last on stderr.
OWN_RSS = (
    "import resource, sys\n"
    "from zoho_v1_audit.cli import main\n"
    "try:\n    main()\n"
    "finally:\n    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)"
)
STAGED_LINES = {
    "staged/new_client.py": 'URL = "https://crm.zoho.com/crm/private/json/Leads/getRecords"\n'
    'AUTHTOKEN = "3f9a2c7e1b4d8f60a5c9e2b7d1f4a8c3"\n',
}


def run(cmd: list[str] | str, cwd: Path | None = None) -> tuple[float, int, int | None]:
    """Wall seconds, peak RSS in KiB of the largest process, and the OWN_RSS figure if printed;
    a str runs in bash.

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
    own = proc.stderr.split()[-1:] if isinstance(cmd, list) and OWN_RSS in cmd else []
    return wall, peak, int(own[0]) if own else None


def generate(out: Path, *args: str) -> dict[str, Any]:
    if not out.exists():
        subprocess.run(
            [sys.executable, str(GENERATOR), "--out", str(out), *args],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        # fast-import writes whole objects; a real repository stores deltas, which git reads faster
        subprocess.run(["git", "repack", "-a", "-d", "-f", "-q"], cwd=out, check=True)
    key: dict[str, Any] = json.loads(Path(f"{out}.answer_key.json").read_text())
    return key


Sample = tuple[float, int, int | None]


def measure(tools: dict[str, list[str] | str], runs: int, cwd: Path) -> dict[str, list[Sample]]:
    for cmd in tools.values():  # warm the page cache, the interpreter and the engine cache
        run(cmd, cwd)
    samples: dict[str, list[Sample]] = {name: [] for name in tools}
    for _ in range(runs):
        for name, cmd in tools.items():
            samples[name].append(run(cmd, cwd))
    return samples


def show(samples: dict[str, list[Sample]], reference: str) -> None:
    ref = statistics.median(w for w, _, _ in samples[reference])
    print(
        f"  {'command':<46}{'median wall':>12}{'vs ' + reference[:10]:>15}{'peak RSS':>11}"
        f"{'own RSS':>10}"
    )
    for name, runs in samples.items():
        wall = statistics.median(w for w, _, _ in runs)
        rss = max(r for _, r, _ in runs) / 1024
        owns = [o for _, _, o in runs if o is not None]
        own = f"{max(owns) / 1024:>7.0f} MB" if owns else ""
        print(f"  {name:<46}{wall:>10.2f} s{wall / ref:>14.2f}x{rss:>8.0f} MB{own:>10}")


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
    # Secrets by the places they were added: a password has no public hash to look it up by.
    secrets = {
        (loc["path"], loc.get("commit"), loc["line"]): s
        for s in doc["secrets"]
        for loc in s["locations"]
    }
    # A v1 URL whose token is a variable (`"?authtoken=" + AUTHTOKEN`) is keyed by the URL: no secret.
    removed = [p for p in key["planted"] if p["removed_in"] and "://" not in p["secret"]]
    gone = right_commit = 0
    for item in removed:
        secret = secrets.get((item["file"], item["commit_sha"], item["line"]))
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


def history_tools(result: Path) -> dict[str, list[str] | str]:
    """`git log -p -U0 | rg -f` (the floor) and a history scan with each engine."""
    tools: dict[str, list[str] | str] = {
        "git log -p -U0 --cc -M (what the scan reads)": "git log -p -U0 --cc -M --root > /dev/null",
    }
    if shutil.which("rg"):
        tools[FLOOR_CMD] = f"git log -p -U0 | rg -f {FLOOR} > {result.parent / 'rg.out'}"
    for engine in ENGINES:
        tools[f"scan --git --engine {engine}"] = [
            sys.executable, "-c", OWN_RSS, "scan", ".", "--git", "--engine", engine,
            "-o", str(result.with_name(f"{engine}.json")), "--fail-on", "never",
        ]  # fmt: skip
    tools["scan --git, no password ids"] = [
        sys.executable, "-c", NO_SCRYPT_IDS + OWN_RSS, "scan", ".", "--git",
        "-o", str(result.with_name("no-ids.json")), "--fail-on", "never",
    ]  # fmt: skip
    return tools


def engines_agree(result: Path) -> str:
    docs = [json.loads(result.with_name(f"{e}.json").read_text()) for e in ENGINES]
    return "  both engines report the same findings: " + ("yes" if same_findings(*docs) else "NO")


def bench_history(workdir: Path, commits: int, runs: int) -> None:
    corpus = workdir / f"history-{commits}"
    key = generate(corpus, "--git-commits", str(commits))
    log = subprocess.run(["git", "log", "-p", "-U0"], cwd=corpus, capture_output=True, check=True)
    print(
        f"\n{commits} commits (generated), {key['files']} files; "
        f"`git log -p -U0` writes {len(log.stdout) / 1e6:.0f} MB"
    )
    with tempfile.TemporaryDirectory() as tmp:
        result = Path(tmp) / "result.json"
        show(measure(history_tools(result), runs, corpus), FLOOR_CMD)
        print(
            history_check(json.loads(result.with_name("hyperscan.json").read_text()), key, corpus)
        )
        print(engines_agree(result))


def bench_repo(repo: Path, runs: int) -> None:
    count = subprocess.run(
        ["git", "rev-list", "--count", "HEAD"], cwd=repo, capture_output=True, text=True, check=True
    ).stdout.strip()
    log = subprocess.run(["git", "log", "-p", "-U0"], cwd=repo, capture_output=True, check=True)
    print(f"\n{repo}: {count} commits; `git log -p -U0` writes {len(log.stdout) / 1e6:.0f} MB")
    with tempfile.TemporaryDirectory() as tmp:
        result = Path(tmp) / "result.json"
        show(measure(history_tools(result), runs, repo), FLOOR_CMD)
        print(engines_agree(result))


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
    ap.add_argument("--repo", type=Path, action="append", default=[], help="a repository to scan")
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
        bench_history(args.workdir, commits, args.runs)
    for repo in args.repo:
        bench_repo(repo.resolve(), args.runs)
    if args.staged_files:
        bench_staged(audit, args.workdir, args.staged_files, args.runs)


if __name__ == "__main__":
    main()
