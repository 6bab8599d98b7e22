"""Working-tree benchmark: zoho-v1-audit beside `rg -uu` with equivalent patterns.

Generates corpora with the shared generator, runs each tool alternately several times on a
warm page cache, and prints median wall time, throughput, ratio to rg, peak RSS and recall
against the answer key.

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
from recall import score

ROOT = Path(__file__).resolve().parent.parent
GENERATOR = ROOT.parent / "shared" / "bench" / "make_corpus.py"

# The detector's main patterns in ripgrep's syntax (no look-around), for a like-for-like scan.
RG_PATTERNS = r"""
crm/private/(xml|json)
(?i:authtoken|(zoho|crm)[A-Za-z0-9_.-]{0,20}auth[_-]token)[A-Za-z0-9_.-]{0,40}['"]?\s{0,20}(=>|[:=,(>]|%3[dD])\s{0,20}['"]?[0-9a-z]{32}
(?i:zoho-authtoken)\s{1,5}[0-9a-z]{32}
AUTHTOKEN=[0-9a-z]{32}
1000\.[0-9a-f]{32}\.[0-9a-f]{32}
1000\.[A-Z0-9]{30}
(?i:client[_-]?secret)[A-Za-z0-9_.-]{0,40}['"]?\s{0,20}(=>|[:=,(>])\s{0,20}['"]?[0-9a-f]{42}
apiauthtoken/(nb/)?create
(?i:scope)['"]?\s{0,10}(=>|[:=,])\s{0,10}['"]?(ZohoCRM/)?crmapi
(?i:password|passwd)['"]?\s{0,10}(=>|[:=,(])
crm\.zoho\.(['"]\s{0,5}(\+|\.)|\{|\#\{|\$\{|%s)
['"/]([A-Z][A-Za-z0-9_]{1,40}/)?(get|insert|update|delete|search|convert|upload|download|de)[A-Za-z]{2,30}['"?]
""".split()  # noqa: SIM905 (one pattern a line reads best)


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
        result_file = Path(tmp) / "result.json"
        pattern_file = Path(tmp) / "patterns.txt"
        pattern_file.write_text("\n".join(RG_PATTERNS) + "\n")
        tools = {
            "zoho-v1-audit": [
                audit,
                "scan",
                str(corpus),
                "-o",
                str(result_file),
                "--fail-on",
                "never",
            ]
        }
        if rg:
            tools["rg -uu"] = [
                rg,
                "-uu",
                "-c",
                "--threads",
                str(os.cpu_count() or 1),
                "-f",
                str(pattern_file),
                str(corpus),
            ]
        for cmd in tools.values():  # warm the page cache and the interpreter
            run(cmd)
        samples: dict[str, list[tuple[float, int]]] = {name: [] for name in tools}
        for _ in range(args.runs):
            for name, cmd in tools.items():
                samples[name].append(run(cmd))
        recall = score(json.loads(result_file.read_text()), key)

    rg_median = statistics.median(w for w, _ in samples["rg -uu"]) if rg else None
    print(
        f"corpus: {args.files} files, {megabytes:.0f} MB, {len(key['planted'])} planted, "
        f"{len(key['decoys'])} decoys; {args.runs} runs each, {os.cpu_count()} cores"
    )
    print(f"{'tool':<16}{'median wall':>13}{'throughput':>14}{'vs rg':>8}{'peak RSS':>11}")
    for name, runs in samples.items():
        wall = statistics.median(w for w, _ in runs)
        rss = max(r for _, r in runs) / 1024
        ratio = f"{wall / rg_median:.1f}x" if rg_median else "-"
        print(f"{name:<16}{wall:>11.2f} s{megabytes / wall:>9.0f} MB/s{ratio:>8}{rss:>8.0f} MB")
    print(
        f"recall: {recall['found']}/{recall['planted']} planted found, "
        f"{len(recall['decoys_reported'])}/{recall['decoys']} decoys reported"
    )


if __name__ == "__main__":
    main()
