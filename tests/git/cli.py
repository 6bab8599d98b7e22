"""Run the command line in-process and read its JSON result."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from typer.testing import CliRunner

from zoho_v1_audit.cli import app

runner = CliRunner()


@dataclass(frozen=True)
class Run:
    """One invocation: exit code, stdout, stderr."""

    code: int
    stdout: str
    stderr: str

    @property
    def doc(self) -> dict[str, Any]:
        """stdout as the JSON result document."""
        parsed: dict[str, Any] = json.loads(self.stdout)
        return parsed


def audit(*args: str) -> Run:
    """`zoho-v1-audit ARGS`, in this process."""
    result = runner.invoke(app, list(args))
    return Run(result.exit_code, result.stdout, result.stderr)
