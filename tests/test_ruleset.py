"""Rule files: the bundled ones pass their own examples; broken ones fail with a precise message."""

from __future__ import annotations

import functools
import time
from pathlib import Path

import pytest

from tests.helpers import builtin
from zoho_v1_audit import app
from zoho_v1_audit.errors import RuleError
from zoho_v1_audit.models import Blob
from zoho_v1_audit.ruleset import builtin_rules_dir, load_rules
from zoho_v1_audit.scan.detector import detect

GOOD = """
rules:
  - id: my-rule
    title: My rule
    category: v1-endpoint
    severity: low
    keywords: [legacy-crm]
    pattern: 'legacy-crm\\.example'
    examples:
      match: ["x = 'legacy-crm.example'"]
      no_match: ["x = 'crm.example'"]
"""


@functools.cache
def _example_failures() -> tuple[app.ExampleFailure, ...]:
    failures: list[app.ExampleFailure] = []
    app.check_rule_examples(builtin(), failures.append)
    return tuple(failures)


@pytest.mark.parametrize("rule_id", [r.id for r in builtin().rules])
def test_bundled_rule_examples(rule_id: str) -> None:
    assert [(f.example, f.got) for f in _example_failures() if f.rule.id == rule_id] == []


def test_every_bundled_rule_has_both_kinds_of_example() -> None:
    for rule in builtin().rules:
        assert rule.examples_match and rule.examples_no_match, rule.id


def test_user_rules_load_beside_the_bundled_ones(tmp_path: Path) -> None:
    (tmp_path / "mine.yaml").write_text(GOOD)
    rules = app.load_ruleset((tmp_path,))
    assert rules.by_id("my-rule").keywords == (b"legacy-crm",)
    assert len(rules.rules) == len(builtin().rules) + 1


def test_disable_unknown_rule_is_an_error() -> None:
    with pytest.raises(RuleError, match="unknown rule id"):
        app.load_ruleset(disabled=("no-such-rule",))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("rules: [\n", "not valid YAML"),
        ('rules: ["\\Uf44d3f9a"]\n', "not valid YAML"),  # an escape beyond Unicode
        ("- just a list\n", "must be a mapping"),
        (
            GOOD.replace("severity: low", "severity: urgent"),
            "rules[my-rule]: severity: 'urgent' is not one of",
        ),
        (GOOD.replace("    title: My rule\n", ""), "rules[my-rule]: title: is required"),
        (
            GOOD.replace("keywords: [legacy-crm]", "keywords: [Legacy]"),
            "keywords: must be a non-empty list of lower-case",
        ),
        (
            GOOD.replace("'legacy-crm\\.example'", "'legacy-(crm'"),
            "pattern: invalid regular expression",
        ),
        (
            GOOD.replace("'legacy-crm\\.example'", "'(a+)+$'"),
            "pattern: a repeat inside a repeat",
        ),
        (
            GOOD.replace("'legacy-crm\\.example'", "'(?P<secret>[0-9a-f]{32})'"),
            "secret_kind: is required exactly when",
        ),
        (
            GOOD.replace("    title: My rule", "    titel: x\n    title: My rule"),
            "rules[my-rule]: titel: unknown field",
        ),
        (GOOD.replace("id: my-rule", "id: My Rule"), "id: 'My Rule' must be lower-case"),
        (GOOD.replace("id: my-rule", "id: v1-crm-endpoint"), "already defined in"),
    ],
)
def test_broken_rule_files_name_file_rule_and_field(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(RuleError) as err:
        load_rules([builtin_rules_dir(), path])
    assert str(path) in str(err.value) or "already defined" in str(err.value)
    assert message in str(err.value)


def test_missing_rule_file(tmp_path: Path) -> None:
    with pytest.raises(RuleError, match="rule file not found"):
        load_rules([tmp_path / "nope.yaml"])


def test_bundled_patterns_stay_linear_on_hostile_lines() -> None:
    hostile = (
        b"authtoken" + b"a" * 200_000 + b"crm/private/" + b"/" * 200_000 + b"key=" + b"'" * 100_000
    )
    started = time.perf_counter()
    detect(Blob("x.min.js", hostile), builtin())
    assert time.perf_counter() - started < 5
