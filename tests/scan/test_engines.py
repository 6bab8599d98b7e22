"""The compiled engine (Hyperscan) and the Python engine find exactly the same."""

from __future__ import annotations

import dataclasses
import functools
import json
import re
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from packaging.requirements import Requirement

from tests.helpers import ALNUM_TOKEN, PASSWORD, REFRESH, TOKEN, builtin
from zoho_v1_audit import app
from zoho_v1_audit.models import Blob, Finding, Stats
from zoho_v1_audit.options import ScanOptions
from zoho_v1_audit.ruleset import RuleSet
from zoho_v1_audit.scan import hsmatch
from zoho_v1_audit.scan.aggregate import Aggregator
from zoho_v1_audit.scan.detector import MAX_FINDINGS_PER_RULE, detect
from zoho_v1_audit.scan.prefilter import search_for

ROOT = Path(__file__).resolve().parents[2]

# User rules that lean on what Python's `re` and Hyperscan spell or mean differently.
TRICKY_RULES = r"""
rules:
  - id: look-around
    title: look-behind and look-ahead
    category: v1-token
    severity: high
    keywords: ["tok"]
    pattern: '(?<![A-Za-z])tok(?=en)'
  - id: back-reference
    title: quoted the same on both sides
    category: v1-token
    severity: high
    keywords: ["key"]
    pattern: '(?P<q>[''"])key(?P=q)|(k)ey(?i:\2)'
  - id: anchored
    title: anchors at line and text ends
    category: v1-token
    severity: high
    keywords: ["end"]
    pattern: '(?m)^\s{0,3}end$|end\Z'
  - id: caseless-class
    title: a case-folded class and word boundaries
    category: v1-token
    severity: high
    keywords: ["zoho"]
    pattern: '(?i)\bzoho[a-c_]{1,3}\b'
  - id: dot-and-spaces
    title: dots and spaces
    category: v1-token
    severity: high
    keywords: ["auth"]
    pattern: 'auth.\s\S{2}\w\W\d\D'
  - id: conditional
    title: a conditional group
    category: v1-token
    severity: high
    keywords: ["cond"]
    pattern: '(x)?cond(?(1)y|z)'
  - id: huge-repeat
    title: a repeat wider than Hyperscan builds
    category: v1-token
    severity: high
    keywords: ["wide"]
    pattern: 'wide[a-z ]{0,5000}open'
  - id: class-run
    title: a shape the bundled library misses in block mode (found by comparing with re)
    category: v1-token
    severity: high
    keywords: ["x"]
    pattern: 'x[a-c]*a'
    examples:
      match: ['/dd c/   / x b%sd%sd/ aa xx/  %sx/acxx/axx a%sdd cb/aac/a%sxab xc/bc d/%sx']
"""

# A line on which the library finds no match of `class-run` though Python finds `xa`.
LIBRARY_MISS = "/dd c/   / x b%sd%sd/ aa xx/  %sx/acxx/axx a%sdd cb/aac/a%sxab xc/bc d/%sx"


FRAGMENTS = [
    "authtoken=",
    TOKEN,
    ALNUM_TOKEN,
    REFRESH,
    f"password={PASSWORD}",
    "https://crm.zoho.com/crm/private/json/Leads/getRecords",
    "accounts.zoho.eu/apiauthtoken/nb/create?SCOPE=ZohoCRM/crmapi&EMAIL_ID=a&PASSWORD=",
    "AUTHTOKEN=",
    "Zoho-authtoken ",
    "scope: ZohoCRM/crmapi",
    "client_secret = ",
    "'getRecords'",
    "tok",
    "token",
    "'key'",
    "\"key'",
    "end",
    "ZOHOab",
    "zoho_",
    "auth",
    "x. ab_!1a",
    "xcondy",
    "condz",
    "wide",
    "open",
    "  ",
    "\t",
    "\n",
    "\n\n",
    "=",
    "'",
    '"',
    "é",
    "\x0b",
    "# zoho-v1-audit: ignore",
]


@pytest.fixture(autouse=True)
def _own_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.getbasetemp() / "cache"))


def engines(rules: RuleSet) -> tuple[RuleSet, RuleSet]:
    """The same rules for the compiled engine and for the Python engine."""
    return dataclasses.replace(rules, engine="hyperscan"), dataclasses.replace(
        rules, engine="python"
    )


@functools.cache
def tricky() -> RuleSet:
    """The built-in rules and TRICKY_RULES."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp, "tricky.yaml")
        path.write_text(TRICKY_RULES)
        return app.load_ruleset((path,))


def findings(blobs: list[Blob], rules: RuleSet) -> list[Finding]:
    aggregator = Aggregator(Stats())
    for blob in blobs:
        aggregator.add(detect(blob, rules))
    return aggregator.finish()[0]


def test_hyperscan_runs_here() -> None:
    """CI installs the binding: the differential tests below really run both engines."""
    fast, slow = engines(builtin())
    assert hsmatch.available()
    assert search_for(fast).matcher is not None
    assert search_for(slow).matcher is None
    runs = search_for(fast).engines()
    assert runs.count("hyperscan") > len(runs) // 2
    assert all(e == "hyperscan" or e.startswith("python (") for e in runs)  # each with a reason


def test_same_findings_on_the_example_project() -> None:
    options = ScanOptions(paths=(ROOT / "examples",), jobs=1)
    fast, slow = engines(builtin())
    found = app.scan_tree(options, fast).findings
    assert len(found) > 20
    assert found == app.scan_tree(options, slow).findings


@pytest.mark.slow
@pytest.mark.parametrize("seed", [3, 7])
def test_same_findings_on_generated_corpora(tmp_path: Path, seed: int) -> None:
    corpus = tmp_path / "corpus"
    subprocess.run(
        [sys.executable, str(ROOT / "bench" / "make_corpus.py"), "--files", "150",
         "--planted", "60", "--seed", str(seed), "--out", str(corpus)],
        check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    options = ScanOptions(paths=(corpus,), jobs=2)
    fast, slow = engines(builtin())
    found = app.scan_tree(options, fast).findings
    assert len(found) >= 50
    assert found == app.scan_tree(options, slow).findings


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=6), max_size=40),
    st.sampled_from(["src/app.py", "docs/notes.md"]),
)
def test_same_findings_on_built_text(parts: list[str], path: str) -> None:
    for rules in (builtin(), tricky()):
        fast, slow = engines(rules)
        blob = [Blob(path, "".join(parts).encode("utf-8", "surrogatepass"))]
        assert findings(blob, fast) == findings(blob, slow)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.sampled_from(FRAGMENTS[:12]), min_size=1, max_size=12),
    st.lists(st.integers(0, 3000), min_size=1, max_size=12),
)
def test_same_findings_on_minified_lines(parts: list[str], gaps: list[int]) -> None:
    """Lines over 4 KiB are searched in windows around keywords: the same on both engines."""
    line = "".join(part + "x;" * gap for part, gap in zip(parts, gaps * len(parts), strict=False))
    blob = [Blob("dist/app.min.js", line.replace("\n", " ").encode())]
    fast, slow = engines(builtin())
    assert findings(blob, fast) == findings(blob, slow)


def test_tricky_rules_match_on_both_engines() -> None:
    text = (
        "a tok en xtoken token\n'key' \"key' \"key\"\nkeyK\n  end\nZOHOab zohoabcd\n"
        f"auth. ab_!1a\nxcondy condz xcondz\nwide a b c open\n{LIBRARY_MISS}\nend"
    )
    blob = [Blob("src/app.py", text.encode())]
    fast, slow = engines(tricky())
    found = findings(blob, fast)
    assert {f.rule_id for f in found} == {
        "look-around", "back-reference", "anchored", "caseless-class", "dot-and-spaces",
        "conditional", "huge-repeat", "class-run",
    }  # fmt: skip
    assert found == findings(blob, slow)


def test_rules_hyperscan_cannot_take_run_on_python_with_the_reason() -> None:
    rules = dataclasses.replace(tricky(), engine="hyperscan")
    runs = dict(zip((r.id for r in rules.rules), search_for(rules).engines(), strict=True))
    assert runs["look-around"] == runs["back-reference"] == runs["huge-repeat"] == "hyperscan"
    assert runs["conditional"] == "python (not supported by Hyperscan: conditional groups)"
    # When a fixed library finds this match, this fails: time to reconsider the default engine.
    assert runs["class-run"] == "python (Hyperscan missed one of the rule's own examples)"


def test_a_line_the_library_misses_is_found_by_both_engines() -> None:
    blob = Blob("src/app.py", LIBRARY_MISS.encode())
    for rules in engines(tricky()):
        assert [f.rule_id for f in detect(blob, rules).findings] == ["class-run"], rules.engine


def test_translation_matches_at_least_what_python_matches() -> None:
    pattern = re.compile(rb"(?i:ab)[^x\s]{2,3}(?=q)")
    expression = hsmatch.translate(pattern)
    assert expression == r"(?:[\x41\x61][\x42\x62])(?:[\x00-\x08\x0e-\x1f\x21-\x77\x79-\xff]){2}"


def test_too_many_match_ends_go_to_the_python_engine() -> None:
    line = "https://crm.zoho.com/crm/private/json/Leads/getRecords\n"
    blob = Blob("src/app.py", (line * (hsmatch.MAX_ENDS + 10)).encode())
    fast, slow = engines(builtin())
    assert search_for(fast).matcher is not None
    assert search_for(fast).matcher.ends(blob.data) is None  # type: ignore[union-attr]
    found, expected = detect(blob, fast), detect(blob, slow)
    assert len(found.findings) == MAX_FINDINGS_PER_RULE  # the rest is counted, not kept
    assert found.capped["v1-crm-endpoint"] == hsmatch.MAX_ENDS + 10 - MAX_FINDINGS_PER_RULE
    assert (found.findings, found.capped) == (expected.findings, expected.capped)


def test_the_compiled_database_is_cached_and_a_damaged_cache_is_rebuilt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    line = f"token = '{TOKEN}'".encode()
    assert hsmatch.HsMatcher(builtin()).ends(line)
    # The database in use: the last written (one without rules that missed their examples).
    path = max(
        (tmp_path / "zoho-v1-audit").glob("hyperscan-*.db"), key=lambda p: p.stat().st_mtime_ns
    )
    saved = path.read_bytes()
    with monkeypatch.context() as patch:  # a second start loads the database: no compiling
        patch.setattr(hsmatch, "_compile", None)
        assert hsmatch.HsMatcher(builtin()).ends(line)
    path.write_bytes(saved[:100] + b"damaged")
    assert hsmatch.HsMatcher(builtin()).ends(line)
    assert path.read_bytes() == saved


def run_cli(*args: str, without_hyperscan: bool) -> subprocess.CompletedProcess[str]:
    block = "import sys; sys.modules['hyperscan'] = None; " if without_hyperscan else ""
    code = f"{block}import sys; from zoho_v1_audit.cli import main; sys.argv[1:] = {list(args)!r}; main()"
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, cwd=ROOT
    )


@pytest.mark.slow
def test_without_the_binding_auto_falls_back_and_hyperscan_is_a_usage_error() -> None:
    listed = run_cli("rules", "list", without_hyperscan=True)
    assert listed.returncode == 0
    assert "python (hyperscan is not installed)" in listed.stdout
    refused = run_cli("scan", "examples", "--engine", "hyperscan", without_hyperscan=True)
    assert refused.returncode == 2
    assert "hyperscan package is not installed" in refused.stderr
    fallback = run_cli(
        "scan", "examples", "-f", "json", "--fail-on", "never", without_hyperscan=True
    )
    fast = run_cli("scan", "examples", "-f", "json", "--fail-on", "never", without_hyperscan=False)
    assert fallback.returncode == fast.returncode == 0
    assert json.loads(fallback.stdout)["findings"] == json.loads(fast.stdout)["findings"] != []


def test_installing_the_package_brings_hyperscan_where_its_wheels_exist() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    [req] = [r for r in map(Requirement, project["dependencies"]) if r.name == "hyperscan"]
    assert req.marker is not None
    assert req.marker.evaluate({"sys_platform": "linux", "platform_machine": "x86_64"})
    assert not req.marker.evaluate({"sys_platform": "linux", "platform_machine": "aarch64"})


def test_every_rule_hyperscan_runs_sees_its_own_examples() -> None:
    """A rule the library would miss on one of its examples runs on the exact engine instead."""
    fast, _ = engines(builtin())
    matcher = search_for(fast).matcher
    assert matcher is not None
    for index, rule in enumerate(fast.rules):
        if index in matcher.reasons:
            continue
        for example in rule.examples_match:
            data = example.encode()
            if rule.regex.search(data):
                assert index in {found for _, found in matcher.ends(data) or ()}, rule.id


def test_a_template_after_crmapi_on_one_line_is_found_by_both_engines() -> None:
    line = b"q = 'scope=crmapi'; url = '%s/%s/%s/%s' % (BASE, fmt, module, method)\n"
    for rules in engines(builtin()):
        found = [f.rule_id for f in detect(Blob("client.py", line), rules).findings]
        assert "v1-url-template-assembled" in found, rules.engine
