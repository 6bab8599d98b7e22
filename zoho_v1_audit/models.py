"""The data model: what sources yield, what the detector finds, what a scan returns."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from enum import StrEnum


class Severity(StrEnum):
    """How urgent a finding is, most urgent first."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        """Larger is more urgent."""
        return _SEVERITY_RANK[self]

    def lowered(self) -> Severity:
        """One step less urgent (INFO stays INFO)."""
        order = list(Severity)
        return order[min(order.index(self) + 1, len(order) - 1)]


_SEVERITY_RANK = {s: 4 - i for i, s in enumerate(Severity)}


class Category(StrEnum):
    """What kind of problem a rule reports."""

    V1_TOKEN = "v1-token"  # noqa: S105
    V1_CREDENTIAL = "v1-credential"
    V1_ENDPOINT = "v1-endpoint"
    V1_METHOD = "v1-method"
    OAUTH_SECRET = "oauth-secret"  # noqa: S105


class Confidence(StrEnum):
    """How sure the detector is that a finding is real v1 usage."""

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class Placement(StrEnum):
    """Where on its line a finding sits: live code, a comment, or a documentation file."""

    CODE = "code"
    COMMENT = "comment"
    DOCS = "docs"


class Status(StrEnum):
    """Verification outcome for one distinct secret."""

    LIVE = "live"
    LIVE_RATE_LIMITED = "live-rate-limited"
    INVALID = "invalid"
    USER_DISABLED = "user-disabled"
    UNSUPPORTED = "unsupported"
    UNKNOWN = "unknown"
    NOT_CHECKED = "not-checked"


def sha256_hex(value: str) -> str:
    """SHA-256 of a secret's UTF-8 bytes, as lower-case hex."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def preview(value: str) -> str:
    """A redacted form that identifies a secret to a human without revealing it.

    Long tokens keep 4 characters at each end (and OAuth tokens the 4 after their common
    `1000.` prefix); shorter secrets such as
    passwords keep at most their first 2.
    """
    if len(value) >= 24:
        head = 9 if value.startswith("1000.") else 4  # OAuth tokens share the "1000." prefix
        return f"{value[:head]}…{value[-4:]}"
    if len(value) >= 12:
        return value[:2] + "…"
    return "…"


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a blob came from when it is not the working tree: a commit, or an image layer."""

    commit: str | None = None
    author: str | None = None
    date: str | None = None
    layer: str | None = None  # a container image's layer digest
    in_final_image: bool | None = None  # False: a later layer deleted or replaced the file


@dataclass(frozen=True, slots=True)
class Blob:
    """A unit of text to scan.

    `line_numbers`, when set, maps the blob's n-th line (0-based) to its real line
    number in the file; history and staged sources use it for the added lines of a diff.
    `binary`, when set, says the blob holds a binary file's printable strings, one a line
    (see scan/binary.py), and maps positions back to byte offsets in the file.
    """

    path: str
    data: bytes
    origin: Origin = Origin()
    line_numbers: tuple[int, ...] | None = None
    binary: tuple[tuple[int, int, int], ...] | None = None


@dataclass(frozen=True, slots=True)
class V1Call:
    """What a v1 endpoint finding tells about the call."""

    data_centre: str | None = None
    format: str | None = None
    module: str | None = None
    method: str | None = None
    product: str = "crm"


@dataclass(frozen=True, slots=True)
class Location:
    """One place in the scanned code.

    In a binary file `line` is None and `offset` is the byte offset of the match (columns
    count within the printable string that holds it).
    """

    path: str
    line: int | None
    column: int
    end_column: int
    commit: str | None = None
    author: str | None = None
    date: str | None = None
    in_head: bool = True
    offset: int | None = None
    layer: str | None = None
    in_final_image: bool | None = None


@dataclass(frozen=True, slots=True)
class Finding:
    """One match of one rule at one location.

    `secret` holds the clear value in memory only (for hashing and verification);
    it never reaches an output unless the user asks for it.
    """

    rule_id: str
    title: str
    category: Category
    severity: Severity
    location: Location
    snippet: str
    confidence: Confidence = Confidence.HIGH
    placement: Placement = Placement.CODE
    secret_kind: str | None = None
    v1: V1Call | None = None
    needs_context: str | None = None
    secret: str | None = field(default=None, repr=False, compare=False)

    @property
    def secret_sha256(self) -> str | None:
        """SHA-256 of the secret, or None for findings without one."""
        return None if self.secret is None else sha256_hex(self.secret)

    @property
    def fingerprint(self) -> str:
        """Identity across scans: rule, path and secret (or snippet), never the line number."""
        subject = self.secret_sha256 or self.snippet.strip()
        key = "\0".join((self.rule_id, self.location.path, subject))
        return hashlib.sha256(key.encode("utf-8")).hexdigest()


@dataclass(slots=True)
class Verification:
    """The answer to "is this secret still live?"."""

    status: Status = Status.NOT_CHECKED
    reason: str = "verification was not requested (use --verify)"
    data_centre: str | None = None
    endpoint: str | None = None
    checked_at: str | None = None


@dataclass(slots=True)
class Secret:
    """One distinct secret value with every place it appears."""

    sha256: str
    preview: str
    category: Category
    kind: str
    severity: Severity
    locations: list[Location]
    data_centre_hint: str | None = None
    verification: Verification = field(default_factory=Verification)
    value: str = field(default="", repr=False)
    removed: Origin | None = None  # history scans: the commit that deleted it from HEAD's tree


@dataclass(slots=True)
class Stats:
    """Counters that prove what was and was not read."""

    files_scanned: int = 0
    bytes_scanned: int = 0
    files_skipped: dict[str, int] = field(default_factory=dict)
    findings_ignored_inline: int = 0
    findings_allowlisted: int = 0
    findings_baselined: int = 0
    placeholders: int = 0
    commits_scanned: int = 0

    def skip(self, reason: str) -> None:
        """Count one skipped file under `reason`."""
        self.files_skipped[reason] = self.files_skipped.get(reason, 0) + 1


@dataclass(frozen=True, slots=True)
class ScanWarning:
    """Something the scan could not do, reported instead of crashing."""

    path: str
    message: str


@dataclass(slots=True)
class ScanResult:
    """Everything one scan produced; its JSON form is the interchange format."""

    roots: list[str]
    mode: str
    started_at: str
    duration_s: float
    stats: Stats
    findings: list[Finding]
    secrets: list[Secret]
    warnings: list[ScanWarning]
    verification: dict[str, object] = field(default_factory=lambda: {"enabled": False})
