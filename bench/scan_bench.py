"""Working-tree benchmark: zoho-v1-audit's two engines beside `rg -uu -i -f bench/zoho-floor.ere`.

The floor is ripgrep with four patterns that find the v1 calls and tokens (the project's shared
floor: any tool that reads every byte and matches takes at least this long). Generates the
corpus with the shared generator, runs each command alternately on a warm page cache, and prints
median wall time, throughput, ratio to the floor, peak RSS and recall against the answer key.

    python bench/scan_bench.py --files 2000 --planted 200 --runs 5
    python bench/scan_bench.py --files 20000 --planted 2000 --seed 22
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
GENERATOR = ROOT / "bench" / "make_corpus.py"
FLOOR = ROOT / "bench" / "zoho-floor.ere"
ENGINES = ("hyperscan", "python")


def run(cmd: list[str]) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB, the process and its waited-for children)."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise SystemExit(f"{cmd[0]} failed with status {status}")
    return wall, usage.ru_maxrss


def make_corpus(out: Path, files: int, planted: int, seed: int) -> dict[str, Any]:
    if not out.exists():
        subprocess.run(
            [
                sys.executable,
                str(GENERATOR),
                "--files",
                str(files),
                "--planted",
                str(planted),
                "--seed",
                str(seed),
                "--out",
                str(out),
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    key: dict[str, Any] = json.loads(Path(str(out) + ".answer_key.json").read_text())
    return key


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--files", type=int, default=2000)
    ap.add_argument("--planted", type=int, default=200)
    ap.add_argument("--seed", type=int, default=22)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--workdir", type=Path, default=ROOT / "bench" / "out")
    args = ap.parse_args()

    audit = shutil.which("zoho-v1-audit", path=os.path.dirname(sys.executable)) or "zoho-v1-audit"
    rg = shutil.which("rg")
    corpus = args.workdir / f"corpus-{args.files}-{args.planted}-{args.seed}"
    corpus.parent.mkdir(parents=True, exist_ok=True)
    key = make_corpus(corpus, args.files, args.planted, args.seed)
    megabytes = key["bytes"] / 1e6

    with tempfile.TemporaryDirectory() as tmp:
        results = {engine: Path(tmp) / f"{engine}.json" for engine in ENGINES}
        tools = {
            f"scan --engine {engine}": [
                audit, "scan", str(corpus), "--engine", engine, "-o", str(results[engine]),
                "--fail-on", "never",
            ]
            for engine in ENGINES
        }  # fmt: skip
        tools["scan, no password ids"] = [
            sys.executable, "-c", NO_SCRYPT_IDS + "from zoho_v1_audit.cli import main\nmain()",
            "scan", str(corpus), "-o", str(Path(tmp) / "no-ids.json"), "--fail-on", "never",
        ]  # fmt: skip
        floor = "rg -uu -i -f zoho-floor.ere"
        if rg:  # matches go to a file: ripgrep stops at the first match when it sees /dev/null
            matches = Path(tmp) / "rg.out"
            tools[floor] = [
                "bash", "-c", '"$0" -uu -i -f "$1" "$2" > "$3"', rg, str(FLOOR), str(corpus),
                str(matches),
            ]  # fmt: skip
        for cmd in tools.values():  # warm the page cache, the interpreter and the engine cache
            run(cmd)
        samples: dict[str, list[tuple[float, int]]] = {name: [] for name in tools}
        for _ in range(args.runs):
            for name, cmd in tools.items():
                samples[name].append(run(cmd))
        recalls = {e: score(json.loads(results[e].read_text()), key) for e in ENGINES}
        same = same_findings(*(json.loads(path.read_text()) for path in results.values()))

    rg_median = statistics.median(w for w, _ in samples[floor]) if rg else None
    print(
        f"corpus: {args.files} files, {megabytes:.0f} MB, {len(key['planted'])} planted, "
        f"{len(key['decoys'])} decoys; {args.runs} alternating runs each, {os.cpu_count()} cores"
    )
    print(f"{'command':<30}{'median wall':>13}{'throughput':>14}{'vs floor':>10}{'peak RSS':>11}")
    for name, runs in samples.items():
        wall = statistics.median(w for w, _ in runs)
        rss = max(r for _, r in runs) / 1024
        ratio = f"{wall / rg_median:.1f}x" if rg_median else "-"
        print(f"{name:<30}{wall:>11.2f} s{megabytes / wall:>9.0f} MB/s{ratio:>10}{rss:>8.0f} MB")
    for engine, recall in recalls.items():
        print(
            f"recall ({engine}): {recall['found']}/{recall['planted']} planted found, "
            f"{len(recall['decoys_reported'])}/{recall['decoys']} decoys reported"
        )
    print(f"both engines report the same findings: {'yes' if same else 'NO'}")


if __name__ == "__main__":
    main()
