"""Load, validate and compile rule files (YAML data in `rules/`)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from re import _parser as sre_parse  # type: ignore[attr-defined]
from typing import Any

from zoho_v1_audit.errors import RuleError, reason
from zoho_v1_audit.files import parse_yaml, read_limited
from zoho_v1_audit.models import Category, SecretKind, Severity
from zoho_v1_audit.regexguard import UNSAFE, unsafe

_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_FIELDS = {
    "id", "title", "category", "severity", "keywords", "pattern", "secret_kind", "strict_secret",
    "decode", "decoded", "provides", "requires", "requires_scope", "redundant_with",
    "placeholders", "remediation", "examples", "neighbours", "bound_value", "evidence",
}  # fmt: skip
NEIGHBOURS = ("bound-name", "zoho-block", "zoho-file")
_BOUNDED_WIDTH = 4096  # widest match that lets the detector search windows instead of whole lines
_REQUIRED = ("id", "title", "category", "severity", "keywords", "pattern")
ENGINES = ("auto", "hyperscan", "python")  # auto: Hyperscan where the binding imports
# The exact engine by default: the bundled Hyperscan library misses some matches of some
# patterns (a v1 URL template after `scope=crmapi ` on the same line), so it is opt-in.
DEFAULT_ENGINE = "python"


@dataclass(frozen=True, slots=True)
class Rule:
    """One compiled rule. Patterns run on bytes; the `secret` group marks the secret."""

    id: str
    title: str
    category: Category
    severity: Severity
    keywords: tuple[bytes, ...]
    regex: re.Pattern[bytes]
    secret_kind: SecretKind | None = None
    strict_secret: re.Pattern[str] | None = None
    decode: str | None = None
    decoded: re.Pattern[str] | None = None
    provides: frozenset[str] = frozenset()
    requires: str | None = None
    requires_scope: str = "tree"
    redundant_with: frozenset[Category] = frozenset()
    placeholders: tuple[re.Pattern[str], ...] = ()
    remediation: str = ""
    examples_match: tuple[str, ...] = ()
    examples_no_match: tuple[str, ...] = ()
    source: str = ""
    max_width: int | None = None
    neighbours: str | None = None
    bound_value: re.Pattern[bytes] | None = None
    evidence: str = ""

    @property
    def has_secret(self) -> bool:
        """Whether matches carry a secret value (bound-name rules take theirs from the binding)."""
        return "secret" in self.regex.groupindex or self.bound_value is not None


@dataclass(frozen=True, slots=True)
class RuleFile:
    """A loaded rule file: where it came from, its digest and the placeholders it declares."""

    path: str
    sha256: str
    placeholders: tuple[re.Pattern[str], ...]


@dataclass(frozen=True, slots=True)
class RuleSet:
    """Rules in precedence order, the placeholders that are never secrets, and the engine
    that matches them (one of ENGINES).

    Disabled rules still run, so that a scan can say how many findings turning them off hid;
    their matches are counted and dropped.
    """

    rules: tuple[Rule, ...]
    placeholders: tuple[re.Pattern[str], ...] = ()
    keywords: tuple[bytes, ...] = field(default=())
    engine: str = DEFAULT_ENGINE
    disabled: frozenset[str] = frozenset()
    files: tuple[RuleFile, ...] = ()

    def rules_by_keyword(self) -> tuple[tuple[int, ...], ...]:
        """For each keyword (by index), the indexes of the rules it lets through.

        The prefilter reports the leftmost-longest keyword and skips what it covers, so a
        keyword also stands for every keyword that may hide under it: one it contains (where
        `authtoken` occurs, `token` occurs too) and one that starts inside it and runs on
        (`auth_token` may hide the `token=` of `auth_token=`).
        """
        return tuple(
            tuple(
                i
                for i, rule in enumerate(self.rules)
                if any(_may_hide(keyword, own) for own in rule.keywords)
            )
            for keyword in self.keywords
        )

    def by_id(self, rule_id: str) -> Rule:
        """The rule with this id."""
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)

    def without(self, disabled: Iterable[str]) -> RuleSet:
        """A copy with the named rules disabled; unknown ids are an error."""
        gone = set(disabled)
        unknown = gone - {r.id for r in self.rules}
        if unknown:
            raise RuleError(f"cannot disable unknown rule id(s): {', '.join(sorted(unknown))}")
        return replace(self, disabled=self.disabled | gone)


def make_ruleset(
    rules: Sequence[Rule],
    placeholders: Sequence[re.Pattern[str]],
    engine: str = DEFAULT_ENGINE,
    files: Sequence[RuleFile] = (),
) -> RuleSet:
    """Assemble a rule set and the union of its prefilter keywords."""
    keywords = tuple(sorted({k for r in rules for k in r.keywords}))
    return RuleSet(tuple(rules), tuple(placeholders), keywords, engine, files=tuple(files))


def _may_hide(found: bytes, keyword: bytes) -> bool:
    """Whether an occurrence of `found` may cover one of `keyword` (inside it, or running on)."""
    return keyword in found or any(found.endswith(keyword[:n]) for n in range(1, len(keyword)))


class _RuleReader:
    """Validates one raw rule mapping; every error names file, rule and field."""

    def __init__(self, where: str, raw: dict[str, Any]) -> None:
        self.where = where
        self.raw = raw

    def fail(self, key: str, message: str) -> RuleError:
        return RuleError(f"{self.where}: {key}: {message}")

    def text(self, key: str, default: str | None = None) -> str:
        value = self.raw.get(key, default)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key, "must be a non-empty string")
        return value.strip()

    def strings(self, key: str) -> list[str]:
        value = self.raw.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise self.fail(key, "must be a list of non-empty strings")
        return value

    def regex_str(self, key: str, value: str) -> re.Pattern[str]:
        try:
            regex = re.compile(value)
        except (re.error, RecursionError) as exc:
            raise self.fail(key, f"invalid regular expression: {reason(exc)}") from None
        if unsafe(value):
            raise self.fail(key, UNSAFE)
        return regex

    def optional_regex(self, key: str) -> re.Pattern[str] | None:
        return self.regex_str(key, self.text(key)) if key in self.raw else None

    def pattern(self) -> tuple[re.Pattern[bytes], int | None]:
        source = self.text("pattern")
        try:
            tree = sre_parse.parse(source)
            regex = re.compile(source.encode("utf-8"))
        except (re.error, UnicodeEncodeError, RecursionError) as exc:
            raise self.fail("pattern", f"invalid regular expression: {reason(exc)}") from None
        if unsafe(source):
            raise self.fail("pattern", UNSAFE)
        high = tree.getwidth()[1]
        return regex, (high if high <= _BOUNDED_WIDTH else None)

    def enum(self, key: str, kind: type[Category] | type[Severity] | type[SecretKind]) -> Any:
        value = self.text(key)
        try:
            return kind(value)
        except ValueError:
            allowed = ", ".join(m.value for m in kind)
            raise self.fail(key, f"{value!r} is not one of: {allowed}") from None

    def rule(self, source: str) -> Rule:
        unknown = set(self.raw) - _FIELDS
        if unknown:
            raise self.fail(min(map(str, unknown)), "unknown field")
        for key in _REQUIRED:
            if key not in self.raw:
                raise self.fail(key, "is required")
        rule_id = self.text("id")
        if not _ID.fullmatch(rule_id):
            raise self.fail("id", f"{rule_id!r} must be lower-case words joined by '-'")
        keywords = self.strings("keywords")
        if not keywords or any(k != k.lower() for k in keywords):
            raise self.fail("keywords", "must be a non-empty list of lower-case literals")
        regex, max_width = self.pattern()
        neighbours = self.raw.get("neighbours")
        if neighbours is not None and neighbours not in NEIGHBOURS:
            raise self.fail("neighbours", f"must be one of: {', '.join(NEIGHBOURS)}")
        if (neighbours == "bound-name") != ("bound_value" in self.raw):
            raise self.fail("bound_value", "is required exactly when neighbours is 'bound-name'")
        if neighbours is not None and "evidence" not in self.raw:
            raise self.fail("evidence", "is required with neighbours")
        has_secret = "secret" in regex.groupindex or neighbours == "bound-name"
        if has_secret != ("secret_kind" in self.raw):
            raise self.fail(
                "secret_kind",
                "is required exactly when the pattern has a (?P<secret>…) group "
                "or the rule takes a bound value",
            )
        scope = self.raw.get("requires_scope", "tree")
        if scope not in ("file", "tree"):
            raise self.fail("requires_scope", "must be 'file' or 'tree'")
        if self.raw.get("decode", "base64") != "base64":
            raise self.fail("decode", "only 'base64' is supported")
        examples = self.raw.get("examples", {})
        if not isinstance(examples, dict) or set(examples) - {"match", "no_match"}:
            raise self.fail("examples", "must be a mapping with 'match' and 'no_match' lists")
        reader = _RuleReader(self.where, examples)
        return Rule(
            id=rule_id,
            title=self.text("title"),
            category=self.enum("category", Category),
            severity=self.enum("severity", Severity),
            keywords=tuple(k.encode("utf-8") for k in keywords),
            regex=regex,
            secret_kind=self.enum("secret_kind", SecretKind) if has_secret else None,
            strict_secret=self.optional_regex("strict_secret"),
            decode=self.raw.get("decode"),
            decoded=self.optional_regex("decoded"),
            provides=frozenset(self.strings("provides")),
            requires=self.text("requires") if "requires" in self.raw else None,
            requires_scope=scope,
            redundant_with=frozenset(
                self.enum_list("redundant_with", self.strings("redundant_with"))
            ),
            placeholders=tuple(
                self.regex_str("placeholders", p) for p in self.strings("placeholders")
            ),
            remediation=self.text("remediation", "") if self.raw.get("remediation") else "",
            examples_match=tuple(reader.strings("match")),
            examples_no_match=tuple(reader.strings("no_match")),
            source=source,
            max_width=max_width,
            neighbours=neighbours,
            bound_value=self.bound_value(),
            evidence=self.text("evidence") if "evidence" in self.raw else "",
        )

    def bound_value(self) -> re.Pattern[bytes] | None:
        """The shape a bound literal must have, compiled on bytes."""
        if "bound_value" not in self.raw:
            return None
        source = self.text("bound_value")
        self.regex_str("bound_value", source)
        return re.compile(source.encode("utf-8"))

    def enum_list(self, key: str, values: list[str]) -> list[Category]:
        try:
            return [Category(v) for v in values]
        except ValueError as exc:
            raise self.fail(key, str(exc)) from None


def _load_file(path: Path) -> tuple[list[Rule], list[re.Pattern[str]], RuleFile]:
    """A file's rules, its own placeholders, and the record of it (with every placeholder)."""
    content = read_limited(path, "rule file", error=RuleError)
    doc = parse_yaml(content, path, RuleError)
    if not isinstance(doc, dict) or set(doc) - {"rules", "placeholders"}:
        raise RuleError(
            f"{path}: must be a mapping with a 'rules' list and/or a 'placeholders' list"
        )
    raw_rules = doc.get("rules", [])
    if not isinstance(raw_rules, list):
        raise RuleError(f"{path}: rules: must be a list")
    rules = []
    for i, raw in enumerate(raw_rules):
        label = raw.get("id", f"#{i + 1}") if isinstance(raw, dict) else f"#{i + 1}"
        where = f"{path}: rules[{label}]"
        if not isinstance(raw, dict):
            raise RuleError(f"{where}: must be a mapping")
        rules.append(_RuleReader(where, raw).rule(str(path)))
    reader = _RuleReader(str(path), doc)
    placeholders = [reader.regex_str("placeholders", p) for p in reader.strings("placeholders")]
    every = (*placeholders, *(p for rule in rules for p in rule.placeholders))
    return rules, placeholders, RuleFile(str(path), hashlib.sha256(content).hexdigest(), every)


def rule_files(paths: Iterable[Path]) -> list[Path]:
    """Expand directories into their `*.yaml`/`*.yml` files, sorted."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out.extend(sorted([*p.glob("*.yaml"), *p.glob("*.yml")]))
        elif p.exists():
            out.append(p)
        else:
            raise RuleError(f"{p}: rule file not found")
    return out


def load_rules(paths: Iterable[Path]) -> RuleSet:
    """Load rule files (or directories of them) into one validated rule set."""
    rules: list[Rule] = []
    placeholders: list[re.Pattern[str]] = []
    files: list[RuleFile] = []
    seen: dict[str, str] = {}
    for path in rule_files(paths):
        file_rules, file_placeholders, file = _load_file(path)
        for rule in file_rules:
            if rule.id in seen:
                raise RuleError(f"{path}: rules[{rule.id}]: id: already defined in {seen[rule.id]}")
            seen[rule.id] = str(path)
        rules.extend(file_rules)
        placeholders.extend(file_placeholders)
        files.append(file)
    if not rules:
        raise RuleError("no rules loaded")
    return make_ruleset(rules, placeholders, files=files)


def builtin_rules_dir() -> Path:
    """The bundled rule directory."""
    from zoho_v1_audit.resources import data_dir

    return data_dir("rules")
