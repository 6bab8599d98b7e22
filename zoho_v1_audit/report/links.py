"""Links from a report to the scanned code, from the user's `--repo-url` template."""

from __future__ import annotations

import re
from urllib.parse import quote

from zoho_v1_audit.errors import UsageError

_FIELD = re.compile(r"\{([^{}]*)\}")
FIELDS = ("path", "line", "commit", "repo")


class LinkTemplate:
    """`https://github.com/org/repo/blob/{commit}/{path}#L{line}`; `{repo}` names a merged result."""

    def __init__(self, template: str) -> None:
        if not template.startswith(("https://", "http://")):
            raise UsageError(f"--repo-url must start with https:// or http://: {template!r}")
        unknown = sorted({f for f in _FIELD.findall(template) if f not in FIELDS})
        if unknown:
            raise UsageError(
                f"--repo-url: unknown field {{{unknown[0]}}} (use {', '.join('{' + f + '}' for f in FIELDS)})"
            )
        self.template = template

    def link(self, path: str, line: int, commit: str | None, repo: str | None) -> str:
        """The URL of one line; without a commit it points at HEAD."""
        values = {
            "path": quote(path, safe="/"),
            "line": str(line),
            "commit": quote(commit or "HEAD", safe=""),
            "repo": quote(repo or "", safe=""),
        }
        return _FIELD.sub(lambda m: values[m.group(1)], self.template)
