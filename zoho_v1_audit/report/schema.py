"""The shape of the JSON result document (schema_version "1"), as `json.to_document` writes it.

Keys marked NotRequired are written by other steps: `owners` by code owners, `repo` and
`scan.repos` by merges, `runs` by audit reports, `value` only with --show-secrets.
"""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict


class Tool(TypedDict):
    """What wrote the document."""

    name: str
    version: str


class V1Call(TypedDict):
    """What a v1 endpoint finding tells about the call."""

    data_centre: str | None
    format: str | None
    module: str | None
    method: str | None
    product: str


class Evidence(TypedDict):
    """The line a finding that rests on context rests on."""

    text: str
    line: int
    path: str | None


class Origin(TypedDict):
    """Where the code of a place came from: a commit, an image layer (None when not)."""

    commit: str | None
    author: str | None
    date: str | None
    in_head: bool
    layer: str | None
    in_final_image: bool | None


class Location(Origin):
    """One place of a secret."""

    path: str
    line: int | None
    offset: int | None
    column: int
    owners: NotRequired[list[str]]
    repo: NotRequired[str]


class Finding(Origin):
    """One match of one rule at one place."""

    rule_id: str
    title: str
    category: str
    severity: str
    confidence: str
    placement: str
    path: str
    line: int | None
    offset: int | None
    column: int
    end_column: int
    snippet: str
    fingerprint: str
    secret_sha256: str | None
    secret_id: str | None
    secret_kind: str | None
    v1: V1Call | None
    evidence: Evidence | None
    owners: list[str]
    repo: NotRequired[str]


class Seen(TypedDict):
    """A commit that added a secret."""

    commit: str
    date: str


class Removal(TypedDict):
    """The commit that removed a secret from HEAD's tree."""

    commit: str | None
    author: str | None
    date: str | None


class Verification(TypedDict):
    """The answer to "is this secret still live?"."""

    status: str
    reason: str
    data_centre: str | None
    endpoint: str | None
    checked_at: str | None


class Secret(TypedDict):
    """One distinct secret with every place it appears."""

    id: str
    sha256: str | None
    preview: str
    category: str
    kind: str
    severity: str
    data_centre_hint: str | None
    locations: list[Location]
    first_seen: Seen | None
    last_seen: Seen | None
    removed: Removal | None
    verification: Verification
    value: NotRequired[str]


class ConfigFile(TypedDict):
    """A configuration or rule file the scan read."""

    path: str
    sha256: str
    origin: str


class Setting(TypedDict):
    """One setting that can hide findings, and how many it hid."""

    name: str
    value: str
    origin: str
    from_scanned_tree: bool
    broad: bool
    findings_hidden: int | None


class Configuration(TypedDict):
    """What shaped the scan."""

    repo_config: str
    files: list[ConfigFile]
    settings: list[Setting]
    weakened_by_scanned_tree: list[str]
    notes: list[str]


class ScanInfo(TypedDict):
    """What was scanned, how, and when."""

    roots: list[str]
    mode: str
    started_at: str
    duration_s: float
    verification: dict[str, Any]
    configuration: NotRequired[Configuration]
    repos: NotRequired[list[dict[str, Any]]]


class Stats(TypedDict):
    """Counters that prove what was and was not read."""

    files_scanned: int
    bytes_scanned: int
    files_skipped: dict[str, int]
    findings_ignored_inline: int
    findings_allowlisted: int
    findings_baselined: int
    placeholders: int
    commits_scanned: int
    findings_disabled: dict[str, int]
    findings_capped: int


class Warning(TypedDict):
    """Something the scan could not do."""

    path: str
    message: str
    repo: NotRequired[str]


class Rule(TypedDict):
    """A rule the result was produced with: what it reports and how to fix it."""

    id: str
    title: str
    category: str
    severity: str
    secret_kind: str | None
    remediation: str


class Document(TypedDict):
    """A result document."""

    schema_version: str
    tool: Tool
    scan: ScanInfo
    stats: Stats
    findings: list[Finding]
    secrets: list[Secret]
    warnings: list[Warning]
    rules: list[Rule]
    runs: NotRequired[list[dict[str, Any]]]
