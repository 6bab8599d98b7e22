"""A plain git pre-commit hook for teams without the pre-commit framework."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from zoho_v1_audit.errors import UsageError
from zoho_v1_audit.output import write_atomic
from zoho_v1_audit.scan.gitrepo import require_repo, run_git

MARKER = "# zoho-v1-audit pre-commit hook"


def hook_script(python: str) -> str:
    """The hook: scan the staged changes, offline, with the installing interpreter.

    Isolated mode (`-I`): neither the work tree (git runs hooks at its top) nor PYTHONPATH is
    on the import path, so a `zoho_v1_audit/` directory committed to the repository is never
    imported. No PATH lookup either: a PATH holding `.` would run the repository's own script.
    """
    py = shlex.quote(python)
    return f"""#!/bin/sh
{MARKER} (written by `zoho-v1-audit install-hook`; safe to rerun)
# Blocks commits that add Zoho CRM API v1 calls or hard-coded v1 authtokens. No network.
# Skip it once with `git commit --no-verify`.
if [ -x {py} ]; then
  exec {py} -I -m zoho_v1_audit scan --staged
fi
echo "zoho-v1-audit pre-commit hook: {py} is gone; reinstall zoho-v1-audit and rerun install-hook, or remove $0" >&2
exit 1
"""


def _check_isolated(python: str) -> None:
    """UsageError unless `python -I` imports this tool (not so from the user site directory)."""
    proc = subprocess.run(
        [python, "-I", "-c", "import zoho_v1_audit.cli"],
        cwd="/",
        capture_output=True,
        check=False,
    )
    if proc.returncode != 0:
        raise UsageError(
            f"{python} -I cannot import zoho_v1_audit (installed in the user site directory?); "
            "the hook runs Python isolated: install zoho-v1-audit in a virtual environment or "
            "with pipx, then rerun install-hook"
        )


@dataclass(frozen=True, slots=True)
class Installed:
    """Where the hook went and what happened to what was there."""

    path: Path
    action: str  # "installed", "updated" or "replaced"
    backup: Path | None = None


def hook_path(repo: Path) -> Path:
    """The repository's pre-commit hook file (honours core.hooksPath and worktrees)."""
    cwd = require_repo(repo, work_tree=True)
    raw = run_git(cwd, "rev-parse", "--git-path", "hooks/pre-commit", hooks_path=True).stdout
    path = Path(os.fsdecode(raw.rstrip(b"\n")))
    return path if path.is_absolute() else cwd / path


def install_hook(repo: Path, *, force: bool, python: str = sys.executable) -> Installed:
    """Write the pre-commit hook; UsageError for someone else's hook unless `force`.

    Our own hook is rewritten in place, so installing twice is harmless. A replaced foreign
    hook is kept next to it as `pre-commit.bak`.
    """
    python = os.path.abspath(python)
    _check_isolated(python)
    path = hook_path(repo)
    action, backup = "installed", None
    if path.exists():
        current = path.read_text(encoding="utf-8", errors="replace")
        if MARKER in current:
            action = "updated"
        elif not force:
            raise UsageError(
                f"{path} already exists and was not written by zoho-v1-audit; run "
                "`zoho-v1-audit scan --staged` from it, or use --force to replace it "
                "(the old hook is kept as pre-commit.bak)"
            )
        else:
            action, backup = "replaced", path.with_name("pre-commit.bak")
            path.replace(backup)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, hook_script(python))
    path.chmod(0o755)
    return Installed(path, action, backup)
