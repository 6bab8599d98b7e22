"""Coverage-guided fuzzing of what reads untrusted bytes: file decoding and the detector.

No input may raise. Run it for a bounded time (CI runs one minute):

    python -m pip install atheris
    python tests/fuzz/fuzz_detector.py -max_total_time=60 NEW_INPUTS_DIR examples/legacy-crm-app
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports():
    from zoho_v1_audit import app
    from zoho_v1_audit.models import Blob
    from zoho_v1_audit.scan.detector import detect
    from zoho_v1_audit.scan.text import scannable

RULES = app.load_ruleset()


def one_input(data: bytes) -> None:
    """Decode one file's bytes as the scanner does and run every rule over them."""
    text = scannable(data)
    if text is not None:
        detect(Blob("fuzz/input.env", text), RULES)


def main() -> None:
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
