"""Configuration: `.zoho-v1-audit.yaml` or `[tool.zoho-v1-audit]` in pyproject.toml.

The nearest file from the scan root up to the repository root is used (`--config PATH`
overrides the search). Every key is validated; a mistake is a ConfigError naming the file,
the key and the reason. Command-line flags win over the file: list flags add to its lists,
other flags replace its values.
"""

from __future__ import annotations

import hashlib
import math
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from zoho_v1_audit.errors import ConfigError, UsageError, reason
from zoho_v1_audit.files import is_inside, parse_yaml, read_limited
from zoho_v1_audit.models import Severity
from zoho_v1_audit.regexguard import UNSAFE, unsafe

CONFIG_NAMES = (".zoho-v1-audit.yaml", ".zoho-v1-audit.yml")
PYPROJECT = "pyproject.toml"
TOOL_KEY = "zoho-v1-audit"
NEVER = "never"  # the --fail-on value that never fails a run
FAIL_ON_CHOICES = (*(s.value for s in Severity), NEVER)

_SIZE = re.compile(r"(?i)\s*(\d+(?:\.\d+)?)\s*((?:[kmg]i?)?b?)\s*")
_UNITS = {"": 1, "b": 1, "k": 1024, "m": 1024**2, "g": 1024**3}
_SHA256 = re.compile(r"[0-9a-fA-F]{64}")
_A = TypeVar("_A")
_R = TypeVar("_R")


def parse_size(text: str) -> int:
    """`10MB`, `512k`, `1.5G` or plain bytes."""
    m = _SIZE.fullmatch(text)
    if m is None:
        raise UsageError(f"not a size: {text!r} (use e.g. 10MB, 512k)")
    unit = (m.group(2) or "").lower()[:1]
    size = float(m.group(1)) * _UNITS[unit]
    if not math.isfinite(size):
        raise UsageError(f"not a size: {text!r} (too large)")
    return int(size)


@dataclass(frozen=True, slots=True)
class VerifyConfig:
    """Verification settings from the file; None where the file says nothing."""

    dc: str | None = None
    api_base: tuple[str, ...] | None = None
    timeout: float | None = None
    concurrency: int | None = None
    deadline: float | None = None


@dataclass(frozen=True, slots=True)
class Config:
    """A validated configuration; `source` is None when no file was found.

    `trusted` is true for a file named with --config; a file found in the scanned tree is not,
    and `notes` says which of its values were not taken.
    """

    source: Path | None = None
    trusted: bool = False
    sha256: str | None = None
    notes: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    include: tuple[str, ...] = ()
    rules: tuple[Path, ...] = ()
    disable: tuple[str, ...] = ()
    allow_patterns: tuple[re.Pattern[str], ...] = ()
    allow_hashes: frozenset[str] = frozenset()
    fail_on: str | None = None
    max_file_size: int | None = None
    verify: VerifyConfig = field(default_factory=VerifyConfig)
    owners: Path | None = None

    def check_rule_ids(self, known: Iterable[str]) -> None:
        """ConfigError when `disable` names a rule that does not exist."""
        unknown = sorted(set(self.disable) - set(known))
        if unknown:
            raise ConfigError(f"{self.source}: disable: unknown rule id(s): {', '.join(unknown)}")


def _repo_top(start: Path) -> Path | None:
    """The nearest directory at or above `start` that holds `.git` (a directory or a file)."""
    for directory in (start, *start.parents):
        if (directory / ".git").exists():
            return directory
    return None


def _toml(path: Path, raw: bytes) -> dict[str, Any]:
    """A TOML document, or ConfigError naming the file."""
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, RecursionError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {reason(exc)}") from None


def _pyproject_section(path: Path, raw: bytes) -> Mapping[str, Any] | None:
    """The `[tool.zoho-v1-audit]` table of a pyproject.toml, or None when it has none."""
    if TOOL_KEY.encode() not in raw:  # skip parsing unrelated pyproject files
        return None
    data = _toml(path, raw)
    section = data.get("tool", {}).get(TOOL_KEY)
    if section is None:
        return None
    if not isinstance(section, dict):
        raise ConfigError(f"{path}: [tool.{TOOL_KEY}] must be a table")
    return section


def find_config(start: Path) -> Path | None:
    """The config file nearest to `start`, searching up to the repository root.

    Outside a git repository only `start` itself is searched. In one directory the YAML
    file wins over pyproject.toml.
    """
    start = (start if start.is_dir() else start.parent).resolve()
    top = _repo_top(start)
    for directory in (start, *start.parents):
        for name in CONFIG_NAMES:
            if (directory / name).is_file():
                return directory / name
        pyproject = directory / PYPROJECT
        if pyproject.is_file() and _pyproject_section(pyproject, _raw(pyproject)) is not None:
            return pyproject
        if top is None or directory == top:
            return None
    return None


def _raw(path: Path) -> bytes:
    return read_limited(path, "configuration file")


def _read(path: Path, raw: bytes) -> Mapping[str, Any]:
    """The raw mapping of a YAML file, a pyproject.toml section, or another TOML file."""
    if path.name == PYPROJECT:
        return _pyproject_section(path, raw) or {}
    if path.suffix == ".toml":
        data = _toml(path, raw)
        section: Any = data.get("tool", {}).get(TOOL_KEY) if "tool" in data else data
    else:
        section = parse_yaml(raw, path, ConfigError)
    if section is None:
        return {}
    if not isinstance(section, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of keys to values")
    return section


class _Reader:
    """Validates one file's values; every error names the file and the key.

    A file found in the scanned tree (`root` set) may name only paths inside that tree, and may
    only lower verification limits: it must not make a scan read outside it or wait for days.
    """

    def __init__(self, path: Path, root: Path | None) -> None:
        self.path = path
        self.base = path.resolve().parent
        self.root = root
        self.notes: list[str] = []

    def error(self, key: str, reason: str) -> ConfigError:
        return ConfigError(f"{self.path}: {key}: {reason}")

    def strings(self, key: str, value: object) -> tuple[str, ...]:
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise self.error(key, "expected a list of non-empty strings")
        return tuple(value)

    def path_value(self, key: str, value: object) -> Path:
        if not isinstance(value, str) or not value:
            raise self.error(key, "expected a path")
        path = self.base / value
        try:
            exists = path.exists()
        except OSError as exc:  # e.g. a name too long
            raise self.error(key, f"cannot use {value!r}: {exc.strerror}") from None
        if not exists:
            raise self.error(key, f"no such file or directory: {value}")
        if self.root is not None and not is_inside(path, self.root):
            raise self.error(
                key, f"{value} is outside the scanned repository ({self.root}): refused"
            )
        return path

    def at_most(self, key: str, value: float, default: float) -> float:
        """`value`, or `default` when a file from the scanned tree asks for more."""
        if self.root is None or value <= default:
            return value
        self.notes.append(
            f"{self.path}: {key}: {value:g} is above the default {default:g}; only the command "
            "line or a --config file may raise it"
        )
        return default

    def number(
        self, key: str, value: object, *, low: float, high: float = math.inf, integer: bool = False
    ) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.error(key, f"expected a number, got {value!r}")
        if integer and not isinstance(value, int):
            raise self.error(key, f"expected a whole number, got {value!r}")
        if value < low:
            raise self.error(key, f"must be at least {low:g}, got {value!r}")
        if not value <= high:  # also NaN
            raise self.error(key, f"must be at most {high:g}, got {value!r}")
        return value

    def checked(self, key: str, check: Callable[[_A], _R], value: _A) -> _R:
        try:
            return check(value)
        except UsageError as exc:
            message = str(exc)
            if message.startswith("--"):  # "--dc: ..." names a flag; here the key is named instead
                message = message.partition(": ")[2]
            raise self.error(key, message) from None


def _allow(reader: _Reader, value: object) -> tuple[tuple[re.Pattern[str], ...], frozenset[str]]:
    items = reader.strings("allow", value)
    patterns: list[re.Pattern[str]] = []
    hashes: set[str] = set()
    for index, item in enumerate(items):
        if _SHA256.fullmatch(item):
            hashes.add(item.lower())
            continue
        try:
            pattern = re.compile(item)
        except (re.error, RecursionError) as exc:
            raise reader.error(
                f"allow[{index}]", f"not a valid regular expression: {reason(exc)}"
            ) from None
        if unsafe(item):  # a scanned repository's config must not hang the scan
            raise reader.error(f"allow[{index}]", UNSAFE)
        patterns.append(pattern)
    return tuple(patterns), frozenset(hashes)


def _max_size(reader: _Reader, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise reader.error("max_file_size", f"expected bytes or a size such as 10MB, got {value!r}")
    size = value if isinstance(value, int) else reader.checked("max_file_size", parse_size, value)
    if size < 1:
        raise reader.error("max_file_size", "must be at least 1 byte")
    return size


def _verify(reader: _Reader, value: object, *, trusted: bool) -> VerifyConfig:
    from zoho_v1_audit.verify.hosts import check_dc, parse_bases
    from zoho_v1_audit.verify.options import MAX_CONCURRENCY, MAX_SECONDS, VerifyOptions

    if not isinstance(value, dict):
        raise reader.error(
            "verify", "expected a mapping (dc, api_base, timeout, concurrency, deadline)"
        )
    known = ("dc", "api_base", "timeout", "concurrency", "deadline")
    for key in value:
        if key not in known:
            raise reader.error(f"verify.{key}", f"unknown key (known: {', '.join(known)})")
    out: dict[str, Any] = {}
    if "dc" in value:
        if not isinstance(value["dc"], str):
            raise reader.error("verify.dc", "expected a data-centre code such as com or eu")
        out["dc"] = reader.checked("verify.dc", check_dc, value["dc"])
    if "api_base" in value:
        if not trusted:
            raise reader.error(
                "verify.api_base",
                "only accepted from a file named with --config: a configuration found in the "
                "scanned code must not choose where tokens are sent",
            )
        bases = value["api_base"]
        bases = reader.strings("verify.api_base", [bases] if isinstance(bases, str) else bases)
        reader.checked("verify.api_base", parse_bases, bases)
        out["api_base"] = bases
    safe = VerifyOptions()
    if "timeout" in value:
        timeout = reader.number("verify.timeout", value["timeout"], low=0.1, high=MAX_SECONDS)
        out["timeout"] = float(reader.at_most("verify.timeout", timeout, safe.timeout))
    if "concurrency" in value:
        concurrency = reader.number(
            "verify.concurrency", value["concurrency"], low=1, high=MAX_CONCURRENCY, integer=True
        )
        out["concurrency"] = int(
            reader.at_most("verify.concurrency", concurrency, safe.concurrency)
        )
    if value.get("deadline") is not None:
        deadline = reader.number("verify.deadline", value["deadline"], low=0.1, high=MAX_SECONDS)
        out["deadline"] = float(reader.at_most("verify.deadline", deadline, safe.deadline))
    return VerifyConfig(**out)


KEYS = (
    "exclude",
    "include",
    "rules",
    "disable",
    "allow",
    "fail_on",
    "max_file_size",
    "verify",
    "owners",
)


def _repo_root(path: Path) -> Path:
    """The repository a found configuration file belongs to (its own directory outside one)."""
    directory = path.resolve().parent
    return _repo_top(directory) or directory


def read_config(path: Path, *, trusted: bool) -> Config:
    """Parse and validate one config file.

    `trusted` is true for a file the user named with --config; only such a file may set
    `verify.api_base`, name files outside its repository or raise verification limits.
    """
    root = None if trusted else _repo_root(path)
    raw = read_limited(path, "configuration file", inside=root)
    data = _read(path, raw)
    reader = _Reader(path, root)
    for key in data:
        if key not in KEYS:
            raise reader.error(str(key), f"unknown key (known: {', '.join(KEYS)})")
    values: dict[str, Any] = {
        "source": path,
        "trusted": trusted,
        "sha256": hashlib.sha256(raw).hexdigest(),
    }
    for key in ("exclude", "include", "disable"):
        if key in data:
            values[key] = reader.strings(key, data[key])
    if "rules" in data:
        values["rules"] = tuple(
            reader.path_value(f"rules[{i}]", item)
            for i, item in enumerate(reader.strings("rules", data["rules"]))
        )
        if root is not None:
            from zoho_v1_audit.ruleset import rule_files

            for file in rule_files(values["rules"]):
                if not is_inside(file, root):
                    raise reader.error(
                        "rules", f"{file} is outside the scanned repository: refused"
                    )
    if "allow" in data:
        values["allow_patterns"], values["allow_hashes"] = _allow(reader, data["allow"])
    if "fail_on" in data:
        if data["fail_on"] not in FAIL_ON_CHOICES:
            raise reader.error(
                "fail_on", f"must be one of {', '.join(FAIL_ON_CHOICES)}, got {data['fail_on']!r}"
            )
        values["fail_on"] = data["fail_on"]
    if "max_file_size" in data:
        values["max_file_size"] = _max_size(reader, data["max_file_size"])
    if "verify" in data:
        values["verify"] = _verify(reader, data["verify"], trusted=trusted)
    if "owners" in data:
        values["owners"] = reader.path_value("owners", data["owners"])
    return Config(**values, notes=tuple(reader.notes))


def load_config(
    scan_root: Path, explicit: Path | None = None, *, repo_config: bool = True
) -> Config:
    """The configuration for a scan: the file given with --config, else the nearest one found
    (none with `repo_config` false: an auditor's scan ignores what the scanned tree says)."""
    if explicit is not None:
        if not explicit.exists():
            raise ConfigError(f"{explicit}: config file not found")
        return read_config(explicit, trusted=True)
    found = find_config(scan_root) if repo_config else None
    return read_config(found, trusted=False) if found is not None else Config()
