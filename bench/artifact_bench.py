"""Build-artifact benchmark: a large WAR of JARs, zoho-v1-audit beside `unzip -p | rg`.

Builds (once) a WAR of about --mb megabytes: JARs of class-like binary files, a few holding a
v1 URL with a token, and properties files. Runs each tool alternately and prints median wall
time, throughput and peak RSS. `unzip -p` writes the WAR's members (the JARs still compressed)
to ripgrep, which therefore sees only the WAR's top level: it is a floor, not a peer.
Throughput is counted in bytes of the WAR as stored.

    python bench/artifact_bench.py --mb 200 --runs 5
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scan_bench import FLOOR, ROOT, run

CLASS_BYTES = 16 << 10
CLASSES_PER_JAR = 128
# Class-like bytes: 16 symbols, printable and not, so that deflate halves them as it does
# real class files, and short printable runs as `strings` sees in them.
_SYMBOLS = bytes([0, 1, 2, 3, 5, 7, 14, 16, 128, 144, 255, 97, 98, 99, 100, 101])
_CLASSLIKE = bytes(_SYMBOLS[b & 15] for b in range(256))
TOKEN = "3f9a2c7e1b4d8f60a5c9e2b7d1f4a8c3"  # noqa: S105 (made up, planted)
URL = f"https://crm.zoho.com/crm/private/json/Leads/getRecords?authtoken={TOKEN}&scope=crmapi"


def _jar(rng: random.Random, index: int, planted: list[str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for c in range(CLASSES_PER_JAR):
            body = bytearray(rng.randbytes(CLASS_BYTES).translate(_CLASSLIKE))
            body[:4] = b"\xca\xfe\xba\xbe"
            name = f"com/acme/lib{index}/C{c}.class"
            if c == 0 and index % 10 == 0:  # one class in ten JARs holds the v1 URL
                body[100 : 100 + len(URL) + 2] = b"\x01" + URL.encode() + b"\x01"
                planted.append(name)
            zf.writestr(name, bytes(body))
        zf.writestr("META-INF/lib.properties", f"name=lib{index}\nversion=1.0\n" * 50)
    return buf.getvalue()


def build_war(path: Path, megabytes: int, seed: int) -> int:
    """Write the WAR; the number of planted classes."""
    rng = random.Random(seed)
    planted: list[str] = []
    jars = max(1, megabytes * (1 << 20) // (CLASS_BYTES * CLASSES_PER_JAR // 2))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as war:
        war.writestr("WEB-INF/web.xml", "<web-app/>\n")
        for index in range(jars):
            war.writestr(f"WEB-INF/lib/lib{index}.jar", _jar(rng, index, planted))
    return len(planted)


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--mb", type=int, default=200)
    ap.add_argument("--seed", type=int, default=22)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--workdir", type=Path, default=ROOT / "bench" / "out")
    args = ap.parse_args()

    args.workdir.mkdir(parents=True, exist_ok=True)
    war = args.workdir / f"app-{args.mb}mb-{args.seed}.war"
    if not war.exists():
        build_war(war, args.mb, args.seed)
    size_mb = war.stat().st_size / 1e6
    audit = shutil.which("zoho-v1-audit", path=os.path.dirname(sys.executable)) or "zoho-v1-audit"
    with tempfile.TemporaryDirectory() as tmp:
        result = Path(tmp) / "result.json"
        tools = {
            "zoho-v1-audit": [audit, "scan", str(war), "-o", str(result), "--fail-on", "never"],
        }
        if shutil.which("unzip") and shutil.which("rg"):
            pipe = f"unzip -p {war} | rg -a -c -i -f {FLOOR}; true"
            tools["unzip -p | rg"] = ["sh", "-c", pipe]
        for cmd in tools.values():
            run(cmd)
        samples: dict[str, list[tuple[float, int]]] = {name: [] for name in tools}
        for _ in range(args.runs):
            for name, cmd in tools.items():
                samples[name].append(run(cmd))
        doc = json.loads(result.read_text())
    classes = {f["path"] for f in doc["findings"] if f["path"].endswith(".class")}
    print(f"artifact: {war.name}, {size_mb:.0f} MB; {args.runs} runs each, {os.cpu_count()} cores")
    print(f"{'tool':<16}{'median wall':>13}{'throughput':>14}{'peak RSS':>11}")
    for name, runs in samples.items():
        wall = statistics.median(w for w, _ in runs)
        rss = max(r for _, r in runs) / 1024
        print(f"{name:<16}{wall:>11.2f} s{size_mb / wall:>9.0f} MB/s{rss:>8.0f} MB")
    print(
        f"zoho-v1-audit: {len(classes)} classes with a v1 URL found, "
        f"{doc['stats']['files_scanned']} members scanned, warnings: {len(doc['warnings'])}"
    )


if __name__ == "__main__":
    main()
