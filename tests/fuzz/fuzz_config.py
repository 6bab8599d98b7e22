"""Coverage-guided fuzzing of what a scanned repository configures: configuration and rule files.

Any bytes must load or end in a clear error (an AuditError: exit code 2), and whatever loads must
not hang when it runs: accepted allow, rule and placeholder patterns are tried on adversarial
text. Run it for a bounded time (CI runs one minute):

    python -m pip install atheris
    python tests/fuzz/fuzz_config.py -max_total_time=60 -timeout=10 NEW_INPUTS_DIR tests/fuzz/seeds
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import atheris

with atheris.instrument_imports():
    from zoho_v1_audit.config import read_config
    from zoho_v1_audit.errors import AuditError
    from zoho_v1_audit.models import Blob
    from zoho_v1_audit.ruleset import builtin_rules_dir, load_rules
    from zoho_v1_audit.scan.detector import detect

WORKDIR = Path(tempfile.mkdtemp(prefix="zoho-v1-audit-fuzz-"))
(WORKDIR / ".git").mkdir()
NAMES = (".zoho-v1-audit.yaml", "pyproject.toml", "rules.yaml")
BUILTIN = builtin_rules_dir()
# Text on which a pattern that backtracks shows it: long runs of one character, then a mismatch.
ADVERSARIAL = "".join(c * 400 + "!" for c in "a0 x.-_/=") + "legacy authtoken crmapi"


def one_input(data: bytes) -> None:
    """Load the bytes as a found configuration, a pyproject.toml or a rule file; run what loads."""
    if not data:
        return
    path = WORKDIR / NAMES[data[0] % len(NAMES)]
    path.write_bytes(data[1:])
    try:
        if path.name == "rules.yaml":
            rules = load_rules([BUILTIN, path])
            detect(Blob("fuzz.txt", ADVERSARIAL.encode()), rules)
            for placeholder in rules.placeholders:
                placeholder.fullmatch(ADVERSARIAL)
        else:
            config = read_config(path, trusted=False)
            for pattern in config.allow_patterns:
                pattern.search(ADVERSARIAL)
    except AuditError:
        pass
    finally:
        path.unlink()


def main() -> None:
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
