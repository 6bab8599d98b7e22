"""The data model: what sources yield, what the detector finds, what a scan returns."""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
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


# Rotate-now order: proven live first, then unproven, then dead.
STATUS_URGENCY = (
    Status.LIVE,
    Status.LIVE_RATE_LIMITED,
    Status.UNKNOWN,
    Status.UNSUPPORTED,
    Status.NOT_CHECKED,
    Status.USER_DISABLED,
    Status.INVALID,
)


class SecretKind(StrEnum):
    """What a hard-coded secret is; decides how it is verified and what fixes it."""

    AUTHTOKEN = "authtoken"
    PASSWORD = "password"  # noqa: S105
    ACCESS_TOKEN = "access-token"  # noqa: S105
    REFRESH_TOKEN = "refresh-token"  # noqa: S105
    OAUTH_TOKEN = "oauth-token"  # noqa: S105
    GRANT_CODE = "grant-code"
    CLIENT_SECRET = "client-secret"  # noqa: S105
    CLIENT_ID = "client-id"

    @property
    def checkable(self) -> bool:
        """Whether `--verify` can check it read-only (the others are never sent anywhere)."""
        return self in (SecretKind.AUTHTOKEN, SecretKind.ACCESS_TOKEN)


def sha256_hex(value: str) -> str:
    """SHA-256 of a secret's UTF-8 bytes, as lower-case hex."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


_TOKEN_ALPHABET = re.compile(r"[0-9A-Za-z+/=._-]{32,}")


def is_generated(value: str, kind: SecretKind | None = None) -> bool:
    """Whether a secret is a machine-generated token, as opposed to a low-entropy secret.

    A generated token is at least 32 characters of `[0-9A-Za-z+/=._-]` with at least 10
    distinct ones, and it is not a password. Everything else (passwords,
    short keys, anything a person typed) is low-entropy: it gets no public hash and no
    preview characters, because a dictionary would recover it from either.
    """
    if kind == SecretKind.PASSWORD:
        return False
    return bool(_TOKEN_ALPHABET.fullmatch(value)) and len(set(value)) >= 10


def preview(value: str, kind: SecretKind | None = None) -> str:
    """A redacted form that identifies a generated token to a human without revealing it.

    Generated tokens keep 4 characters at each end (OAuth tokens the 4 after their common
    `1000.` prefix); low-entropy secrets keep none.
    """
    if not is_generated(value, kind):
        return "…"
    head = 9 if value.startswith("1000.") else 4
    return f"{value[:head]}…{value[-4:]}"


# Ids of low-entropy secrets: scrypt with a fixed salt, so the same password has the same id in
# every result (merge, baselines) while each dictionary guess costs about 0.1 s and 32 MiB.
_KDF_SALT = b"zoho-v1-audit/secret-id/1"
SLOW_IDS = 32  # distinct low-entropy secrets per process that get a stable id
_KDF_THREADS = 4  # scrypt runs outside the GIL; each thread holds 32 MiB while it hashes


def _slow_id(value: str) -> str:
    return hashlib.scrypt(
        value.encode("utf-8"), salt=_KDF_SALT, n=1 << 15, r=8, p=1, maxmem=64 << 20, dklen=32
    ).hex()


class _SecretIds:
    """Ids of secrets, computed once per value.

    A generated token's id is its SHA-256. A low-entropy secret's id is its scrypt hash, for
    the first `SLOW_IDS` distinct values; beyond them (a repository planting thousands of
    passwords to slow the scan down) an HMAC under a random key of this process: unique
    within the run, but it matches no other result or baseline.
    """

    def __init__(self) -> None:
        self._known: dict[tuple[str, bool], str] = {}
        self._run_key = os.urandom(32)
        self.slow = self.one_off = 0

    def get(self, value: str, kind: SecretKind | None) -> str:
        generated = is_generated(value, kind)
        known = self._known.get((value, generated))
        if known is not None:
            return known
        data = value.encode("utf-8")
        if generated:
            made = hashlib.sha256(data).hexdigest()
        elif self.slow < SLOW_IDS:
            self.slow += 1
            made = _slow_id(value)
        else:
            self.one_off += 1
            made = hmac.new(self._run_key, data, hashlib.sha256).hexdigest()
        self._known[(value, generated)] = made
        return made

    def prepare(self, secrets: Iterable[tuple[str, SecretKind | None]]) -> None:
        """Compute at once, on several cores, the slow ids that `get` would give these secrets
        in this order: the same ids, in a fraction of the time."""
        fresh: dict[str, None] = {}  # in order, without repeats
        for value, kind in secrets:
            if self.slow + len(fresh) >= SLOW_IDS:
                break
            if not is_generated(value, kind) and (value, False) not in self._known:
                fresh[value] = None
        if len(fresh) < 2:
            return
        with ThreadPoolExecutor(min(_KDF_THREADS, os.cpu_count() or 1)) as pool:
            for value, made in zip(fresh, pool.map(_slow_id, fresh), strict=True):
                self._known[(value, False)] = made
        self.slow += len(fresh)


SECRET_IDS = _SecretIds()


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
class Evidence:
    """What a finding that rests on context rests on: a short fixed phrase and the line it names.

    `path` is set when that line is in another file.
    """

    text: str
    line: int
    path: str | None = None


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
    offset: int | None = None
    layer: str | None = None
    in_final_image: bool | None = None
    in_head: bool = True


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
    secret_kind: SecretKind | None = None
    v1: V1Call | None = None
    needs_context: str | None = None
    evidence: Evidence | None = None
    secret: str | None = field(default=None, repr=False, compare=False)

    @property
    def secret_sha256(self) -> str | None:
        """SHA-256 of a generated token; None for low-entropy secrets and findings without one."""
        if self.secret is None or not is_generated(self.secret, self.secret_kind):
            return None
        return sha256_hex(self.secret)

    @property
    def secret_id(self) -> str | None:
        """The secret's identity across results (see `_SecretIds`), or None without a secret."""
        return None if self.secret is None else SECRET_IDS.get(self.secret, self.secret_kind)

    @property
    def fingerprint(self) -> str:
        """Identity across scans: rule, path and secret id (or snippet), never the line number."""
        subject = self.secret_id or self.snippet.strip()
        key = "\0".join((self.rule_id, self.location.path, subject))
        return hashlib.sha256(key.encode("utf-8")).hexdigest()


NOT_REQUESTED = "verification was not requested (use --verify)"


@dataclass(slots=True)
class Verification:
    """The answer to "is this secret still live?"."""

    status: Status = Status.NOT_CHECKED
    reason: str = NOT_REQUESTED
    data_centre: str | None = None
    endpoint: str | None = None
    checked_at: str | None = None


@dataclass(frozen=True, slots=True)
class VerificationSummary:
    """What `--verify` did: where it asked, within which limits, and what it found.

    `api_base` and `oauth_api_base` map each data centre in play (or `*` for a single base)
    to its base URL, in probe order; `statuses` counts the secrets by verification status.
    """

    api_base: Mapping[str, str]
    oauth_api_base: Mapping[str, str]
    data_centres: tuple[str, ...]
    default_data_centre: str
    timeout_s: float
    concurrency: int
    deadline_s: float
    tokens_checked: int
    requests: int
    answered: int  # requests that got an HTTP answer: a data centre was reached
    statuses: Mapping[Status, int]
    duration_s: float


@dataclass(slots=True)
class Secret:
    """One distinct secret value with every place it appears.

    `id` is its identity across results; `sha256` is set for generated tokens only.
    """

    id: str
    sha256: str | None
    preview: str
    category: Category
    kind: SecretKind
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
    findings_disabled: dict[str, int] = field(default_factory=dict)  # by rule id
    findings_capped: int = 0  # matches past the per-file limit of a rule
    allowlisted_by: dict[str, int] = field(default_factory=dict)  # by allow entry

    def skip(self, reason: str) -> None:
        """Count one skipped file under `reason`."""
        self.files_skipped[reason] = self.files_skipped.get(reason, 0) + 1


@dataclass(frozen=True, slots=True)
class Setting:
    """One configured value that can hide findings, and where it came from."""

    name: str  # e.g. "disable", "allow pattern 2", "exclude", "fail_on", "placeholders"
    value: str  # what it says, never a secret: a rule id, a glob, a level, a count
    origin: str  # "command line", or the file that set it
    from_scanned_tree: bool = False
    broad: bool = False  # it would hide any token, not just known ones


@dataclass(frozen=True, slots=True)
class Configuration:
    """What shaped a scan: the files read and every setting that can hide a finding."""

    repo_config: str = "none found"  # "used", "none found" or "ignored (--no-repo-config)"
    files: tuple[tuple[str, str, str], ...] = ()  # (path, sha256, origin) of config and rules
    settings: tuple[Setting, ...] = ()
    notes: tuple[str, ...] = ()  # values of the scanned tree's configuration not taken

    def weakening(self) -> list[Setting]:
        """Settings from the scanned tree that turn rules off, allow broadly or lower the gate."""
        return [
            s for s in self.settings if s.from_scanned_tree and (s.broad or s.name == "disable")
        ]


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
    verification: VerificationSummary | None = None  # None: verification was not requested
    configuration: Configuration = field(default_factory=Configuration)
