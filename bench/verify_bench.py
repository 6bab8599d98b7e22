"""Verification benchmark: distinct tokens against the local v1 protocol server.

Every answer is delayed as a remote Zoho host would be; the script prints wall time, tokens
per second and the server's peak concurrency for each concurrency level.

    python bench/verify_bench.py --tokens 200 --delay 0.05 --concurrency 1 4
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.verify.conftest import secret
from tests.zoho_server import ZohoServer, result, tokens
from zoho_v1_audit.models import Status
from zoho_v1_audit.verify import verify_secrets
from zoho_v1_audit.verify.options import VerifyOptions


def run_once(count: int, delay: float, concurrency: int) -> tuple[float, int, int]:
    """Seconds to verify `count` live tokens, the server's peak concurrency, requests made."""
    with ZohoServer(delay=delay) as zoho:
        secrets = [secret(value) for value in tokens(count)]
        for s in secrets:
            zoho.script(s.value, default=result())
        options = VerifyOptions(api_bases=(zoho.root,), concurrency=concurrency)
        started = time.perf_counter()
        verify_secrets(secrets, options, progress=False)
        took = time.perf_counter() - started
    assert all(s.verification.status is Status.LIVE for s in secrets)
    return took, zoho.peak, len(zoho.requests)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=200)
    parser.add_argument("--delay", type=float, default=0.05, help="server delay per answer, s")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(f"{args.tokens} distinct tokens, {args.delay * 1000:g} ms server delay, {args.runs} runs")
    print(
        f"{'concurrency':>11} {'median s':>9} {'min s':>7} {'tokens/s':>9} {'peak':>5} {'requests':>9}"
    )
    for level in args.concurrency:
        runs = [run_once(args.tokens, args.delay, level) for _ in range(args.runs)]
        times = [t for t, _, _ in runs]
        median = statistics.median(times)
        peak = max(p for _, p, _ in runs)
        print(
            f"{level:>11} {median:>9.2f} {min(times):>7.2f} {args.tokens / median:>9.1f} "
            f"{peak:>5} {runs[0][2]:>9}"
        )


if __name__ == "__main__":
    main()
