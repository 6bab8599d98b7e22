"""A plain git pre-commit hook for teams without the pre-commit framework."""

from __future__ import annotations

import os
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path

from zoho_v1_audit.errors import UsageError
from zoho_v1_audit.output import write_atomic
from zoho_v1_audit.scan.gitrepo import require_repo, run_git

MARKER = "# zoho-v1-audit pre-commit hook"


def hook_script(python: str) -> str:
    """The hook: scan the staged changes, offline; the installing interpreter first, then PATH."""
    py = shlex.quote(python)
    return f"""#!/bin/sh
{MARKER} (written by `zoho-v1-audit install-hook`; safe to rerun)
# Blocks commits that add Zoho CRM API v1 calls or hard-coded v1 authtokens. No network.
# Skip it once with `git commit --no-verify`.
if [ -x {py} ]; then
  exec {py} -m zoho_v1_audit scan --staged
fi
if command -v zoho-v1-audit >/dev/null 2>&1; then
  exec zoho-v1-audit scan --staged
fi
echo "zoho-v1-audit pre-commit hook: zoho-v1-audit is not installed; reinstall it or remove $0" >&2
exit 1
"""


@dataclass(frozen=True, slots=True)
class Installed:
    """Where the hook went and what happened to what was there."""

    path: Path
    action: str  # "installed", "updated" or "replaced"
    backup: Path | None = None


def hook_path(repo: Path) -> Path:
    """The repository's pre-commit hook file (honours core.hooksPath and worktrees)."""
    cwd = require_repo(repo, work_tree=True)
    raw = run_git(cwd, "rev-parse", "--git-path", "hooks/pre-commit").stdout
    path = Path(os.fsdecode(raw.rstrip(b"\n")))
    return path if path.is_absolute() else cwd / path


def install_hook(repo: Path, *, force: bool, python: str = sys.executable) -> Installed:
    """Write the pre-commit hook; UsageError for someone else's hook unless `force`.

    Our own hook is rewritten in place, so installing twice is harmless. A replaced foreign
    hook is kept next to it as `pre-commit.bak`.
    """
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
