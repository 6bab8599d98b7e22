"""Score a zoho-v1-audit JSON result against a make_corpus.py answer key.

Usage: python bench/recall.py RESULT.json ANSWER_KEY.json [--history]
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any


def score(doc: dict[str, Any], key: dict[str, Any], *, history: bool = False) -> dict[str, Any]:
    """Planted items found (a finding on their line), and decoys reported (a finding on theirs)."""
    line_field = "line" if history else "head_line"
    at = {(f["path"], f["line"]) for f in doc["findings"]}
    shas = {f["secret_sha256"] for f in doc["findings"] if f["secret_sha256"]}
    missed: list[dict[str, Any]] = []
    by_kind: Counter[str] = Counter()
    for item in key["planted"]:
        line = item.get(line_field) or item["line"]
        sha = hashlib.sha256(item["secret"].encode()).hexdigest()
        if (item["file"], line) in at or sha in shas:
            by_kind[item["kind"]] += 1
        else:
            missed.append(item)
    decoys_hit = [d for d in key["decoys"] if (d["file"], d.get(line_field) or d["line"]) in at]
    planted = len(key["planted"])
    return {
        "planted": planted,
        "found": planted - len(missed),
        "recall": round((planted - len(missed)) / planted, 4) if planted else 1.0,
        "found_by_kind": dict(by_kind),
        "missed": missed,
        "decoys": len(key["decoys"]),
        "decoys_reported": decoys_hit,
    }


# Run before the command line, for a scan that gives no password a scrypt id (0.1 s each for the
# first 32): what the scan itself costs.
NO_SCRYPT_IDS = "import zoho_v1_audit.models\nzoho_v1_audit.models.SLOW_IDS = 0\n"

# Past the first SLOW_IDS passwords of a run, their ids are keyed with a key of that run.
_PER_RUN = ("secret_id", "fingerprint")


def same_findings(*docs: dict[str, Any]) -> bool:
    """Whether results report the same findings, ids that differ from run to run aside."""
    kept = [
        [{k: v for k, v in f.items() if k not in _PER_RUN} for f in d["findings"]] for d in docs
    ]
    return all(findings == kept[0] for findings in kept[1:])


def main() -> int:
    doc = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    key = json.loads(Path(sys.argv[2]).read_text(encoding="utf-8"))
    result = score(doc, key, history="--history" in sys.argv)
    for item in result["missed"][:20]:
        print("missed:", item["kind"], item["file"], item.get("line"), item["text"][:120])
    for item in result["decoys_reported"][:20]:
        print("decoy reported:", item["file"], item.get("line"), item["text"][:120])
    summary = {k: v for k, v in result.items() if k not in ("missed", "decoys_reported")}
    summary["decoys_reported"] = len(result["decoys_reported"])
    print(json.dumps(summary))
    return 0 if not result["missed"] and not result["decoys_reported"] else 1


if __name__ == "__main__":
    sys.exit(main())
