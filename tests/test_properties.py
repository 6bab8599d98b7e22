"""Property tests: v1 URL parsing, `--api-base` and verification limits, sizes, the config loader.

Each parser takes text from code or configuration nobody vetted: whatever it is given, it
returns a value or raises the project's own error (exit code 2), never anything else.
"""

from __future__ import annotations

import math
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import requests
import urllib3
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.helpers import TOKEN, findings_in, write_tree
from zoho_v1_audit.config import FAIL_ON_CHOICES, KEYS, Config, parse_size, read_config
from zoho_v1_audit.datacentres import DATA_CENTRES, data_centre_of
from zoho_v1_audit.errors import ConfigError, ExitCode, RuleError, UsageError
from zoho_v1_audit.ruleset import RuleSet, load_rules
from zoho_v1_audit.scan.reader import Reading, read_blobs
from zoho_v1_audit.scan.sources import FileTask
from zoho_v1_audit.verify.hosts import ALL, check_base_url, is_loopback, parse_bases
from zoho_v1_audit.verify.options import MAX_SECONDS, VerifyOptions

# ---------------------------------------------------------------- v1 URLs in code

HOSTS = {
    "crm.zoho.com": "com",
    "crm.zoho.eu": "eu",
    "crm.zoho.in": "in",
    "crm.zoho.com.au": "au",
    "crm.zoho.com.cn": "cn",
    "crm.zoho.jp": "jp",
    "crm.baihui.com": "cn",
}
MODULE = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,40}")
METHOD = re.compile(r"[A-Za-z]{3,40}")
LINES = [
    'url = "{url}"',
    "$url = '{url}';",
    "fetch(`{url}`).then(r => r.json())",
    '<a href="{url}">CRM</a>',
    "curl -s {url}",
    "  endpoint: {url}",
    '{{"endpoint": "{url}"}}',
    "# old call: {url}",
]
TAILS = [
    "",
    f"?authtoken={TOKEN}&scope=crmapi",
    "?scope=crmapi&authtoken=${{TOKEN}}",
    "?newFormat=1",
]
other_lines = st.lists(st.text(max_size=60).map(lambda t: t.replace("\n", " ")), max_size=3)


@settings(max_examples=300, deadline=None)
@given(
    host=st.sampled_from(sorted(HOSTS)),
    scheme=st.sampled_from(["https://", "http://", "//"]),
    fmt=st.sampled_from(["json", "xml"]),
    module=st.from_regex(MODULE, fullmatch=True),
    method=st.from_regex(METHOD, fullmatch=True),
    tail=st.sampled_from(TAILS),
    line=st.sampled_from(LINES),
    before=other_lines,
    after=other_lines,
)
def test_any_v1_url_is_found_with_its_module_method_and_data_centre(
    host: str,
    scheme: str,
    fmt: str,
    module: str,
    method: str,
    tail: str,
    line: str,
    before: list[str],
    after: list[str],
) -> None:
    url = f"{scheme}{host}/crm/private/{fmt}/{module}/{method}{tail}"
    text = "\n".join([*before, line.format(url=url), *after])
    calls = {
        (f.v1.data_centre, f.v1.format, f.v1.module, f.v1.method)
        for f in findings_in(text)
        if f.rule_id == "v1-crm-endpoint" and f.v1 is not None
    }
    assert (HOSTS[host], fmt, module, method) in calls


URL_PIECES = [
    "https:", "http:", "//", "crm.zoho.", "crm.baihui.com", "com", "eu", "com.cn", "jp", ".",
    "/", "crm/private/", "json", "xml", "Leads", "getRecords", "Info", "?", "&", "=",
    "authtoken=", TOKEN, "scope=crmapi", "%2F", " ", "\n", "'", '"', "é", "\x00", "_", "\\",
]  # fmt: skip
url_soup = st.lists(st.sampled_from(URL_PIECES) | st.text(max_size=4), min_size=1, max_size=40).map(
    "".join
)


@settings(max_examples=300, deadline=None)
@given(url_soup)
def test_url_soup_never_crashes_and_every_call_is_well_formed(text: str) -> None:
    for finding in findings_in(text):
        call = finding.v1
        if call is None:
            continue
        assert call.format in (None, "json", "xml")
        assert call.module is None or MODULE.fullmatch(call.module)
        assert call.method is None or METHOD.fullmatch(call.method)
        assert call.data_centre is None or re.fullmatch(r"[a-z.]{2,6}", call.data_centre)


@given(st.text(max_size=80) | url_soup)
def test_data_centre_of_any_host_is_text(host: str) -> None:
    assert isinstance(data_centre_of(host), str)


@given(st.sampled_from(sorted(HOSTS)), st.sampled_from([str.upper, str.lower, str.title]))
def test_data_centre_of_ignores_case_and_a_trailing_dot(host: str, case: Any) -> None:
    assert data_centre_of(case(host) + ".") == HOSTS[host]


# ------------------------------------------------------- --api-base and verification limits

loopback_hosts = st.one_of(
    st.just("localhost"),
    st.just("[::1]"),
    st.tuples(*[st.integers(0, 255)] * 3).map(lambda t: "127.{}.{}.{}".format(*t)),
)
public_ips = st.ip_addresses().filter(lambda ip: not ip.is_loopback)
domains = st.from_regex(
    r"[a-z][a-z0-9-]{0,20}(\.[a-z][a-z0-9-]{0,20}){0,3}\.[a-z]{2,6}", fullmatch=True
)
ports = st.one_of(st.just(""), st.integers(1, 65535).map(lambda p: f":{p}"))
paths = st.from_regex(r"(/[A-Za-z0-9._~-]{0,12}){0,3}/?", fullmatch=True)


def _bracketed(ip: Any) -> str:
    return f"[{ip}]" if ip.version == 6 else str(ip)


@given(st.one_of(public_ips.map(_bracketed), domains), ports, paths)
def test_plain_http_to_anything_but_loopback_is_refused(host: str, port: str, path: str) -> None:
    with pytest.raises(UsageError, match="loopback"):
        check_base_url(f"http://{host}{port}{path}")


@given(loopback_hosts, ports, paths)
def test_plain_http_to_loopback_is_accepted_as_given(host: str, port: str, path: str) -> None:
    url = f"http://{host}{port}{path}"
    assert check_base_url(url) == url.rstrip("/")


@given(st.one_of(public_ips.map(_bracketed), domains, loopback_hosts), ports, paths)
def test_https_to_any_host_is_accepted(host: str, port: str, path: str) -> None:
    url = f"https://{host}{port}{path}"
    assert check_base_url(url) == url.rstrip("/")


BASE_PIECES = [
    "http://", "https://", "HTTP://", "ftp://", "127.0.0.1", "localhost", "[::1]", "::1",
    "evil.example", "10.0.0.1", "@", ":", ":8080", "/", "\\", "#", "?", "%40", "%2e", ".",
    "\t", "\n", " ", "[", "]", "user:pw@", "0x7f.1", "\x00", "=", "eu=", "com=",
]  # fmt: skip
base_soup = st.lists(st.sampled_from(BASE_PIECES) | st.text(max_size=3), max_size=12).map("".join)


@settings(max_examples=500)
@given(base_soup)
@example("http://127.0.0.1\\@evil.example")
@example("http://evil.example\\@127.0.0.1")
@example("http://127.0.0.1:80@evil.example")
@example("http://localhost\t.evil.example")
@example("http://[::1")
@example("\x08https://http://evil.example")
def test_api_base_parsing_never_crashes_and_http_only_reaches_loopback(raw: str) -> None:
    """Whatever the text, a base is refused with a UsageError or accepted; and then the host
    the HTTP client really connects to for plain http is a loopback one."""
    try:
        base = check_base_url(raw)
    except UsageError:
        return
    assert not any(ord(c) <= 0x20 or c == "\x7f" for c in base)
    session = requests.Session()
    try:
        request = requests.Request("POST", base + "/crm/private/json/Info/getModules")
        url = session.prepare_request(request).url
        assert url is not None
        session.get_adapter(url)
        parsed = urllib3.util.parse_url(url)
    except (requests.exceptions.RequestException, urllib3.exceptions.LocationParseError):
        return  # the client refuses it: nothing is sent
    assert parsed.scheme in ("http", "https")
    assert parsed.auth is None and parsed.query is None and parsed.fragment is None
    if parsed.scheme == "http":
        assert parsed.host is not None and is_loopback(parsed.host.strip("[]")), url


@settings(max_examples=300)
@given(st.lists(base_soup, max_size=4).map(tuple))
def test_parse_bases_gives_bases_or_a_usage_error(raw: tuple[str, ...]) -> None:
    try:
        bases = parse_bases(raw)
    except UsageError:
        return
    if not raw:  # Zoho's own hosts
        assert all(b.startswith("https://") for b in (*bases.v1.values(), *bases.oauth.values()))
        return
    assert bases.v1 and bases.v1 == bases.oauth
    assert set(bases.v1) <= {ALL, *DATA_CENTRES}
    assert all(check_base_url(base) == base for base in bases.v1.values())


seconds = st.floats(allow_nan=True, allow_infinity=True) | st.integers(-10, 10**12)


@given(timeout=seconds, deadline=seconds, concurrency=st.integers(-2, 40))
@example(timeout=math.inf, deadline=600, concurrency=4)
@example(timeout=10.0, deadline=math.nan, concurrency=4)
@example(timeout=1e12, deadline=600, concurrency=4)
def test_verification_limits_are_usable_or_refused(
    timeout: float, deadline: float, concurrency: int
) -> None:
    """An accepted timeout or deadline fits every timer and socket it ends up in."""
    try:
        VerifyOptions(timeout=timeout, deadline=deadline, concurrency=concurrency)
    except UsageError:
        return
    for value in (timeout, deadline):
        assert math.isfinite(value) and 0 < value <= threading.TIMEOUT_MAX


@pytest.mark.slow
@pytest.mark.parametrize("flag", ["--verify-timeout", "--verify-deadline"])
def test_infinite_verification_limit_is_a_usage_error(tmp_path: Path, flag: str) -> None:
    tree = write_tree(tmp_path / "tree", {".env": f"ZOHO_AUTHTOKEN={TOKEN}\n"})
    proc = subprocess.run(
        [
            *(sys.executable, "-m", "zoho_v1_audit", "scan", str(tree), "--verify"),
            *("--api-base", "http://127.0.0.1:9", flag, "inf"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == ExitCode.USAGE
    assert (
        proc.stderr.strip()
        == f"zoho-v1-audit: error: {flag} must be more than 0 and at most 604800 seconds"
    )


# ----------------------------------------------------------------------------- sizes

size_text = st.builds(
    "{}{}{}".format,
    st.from_regex(r"[0-9]{1,400}(\.[0-9]{1,5})?", fullmatch=True),
    st.sampled_from(["", " ", "b", "k", "KB", "M", "mb", "G", "GiB", "iB", "i"]),
    st.sampled_from(["", " "]),
) | st.text(max_size=12)


@settings(max_examples=300, deadline=None)
@given(size_text)
@example("9" * 400)
@example("100GB")
@example("5IB")
@example("99999999999999999999")
def test_any_accepted_size_can_be_used_to_read_a_file(text: str) -> None:
    try:
        size = parse_size(text)
    except UsageError:
        return
    assert size >= 0
    with tempfile.NamedTemporaryFile() as fh:
        fh.write(b"ZOHO_AUTHTOKEN=x\n")
        fh.flush()
        list(
            read_blobs(FileTask(fh.name, "f.env"), Reading(size))
        )  # no MemoryError, no OverflowError


# ------------------------------------------------------------------------ config loader

VERIFY_KEYS = ["dc", "api_base", "timeout", "concurrency", "deadline"]
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=10**300, max_value=10**320),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(
        [*FAIL_ON_CHOICES, "10MB", "eu", "com", "http://127.0.0.1:8080", "rules", "(a+)+$", "["]
    ),
)
yaml_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(VERIFY_KEYS) | st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
documents = st.dictionaries(
    st.sampled_from([*KEYS, *KEYS]) | st.text(max_size=10), yaml_values, max_size=5
)


@pytest.fixture(scope="module")
def config_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where config files are written (with a `rules` directory that a path may name)."""
    directory = tmp_path_factory.mktemp("config")
    (directory / "rules").mkdir()
    return directory


def load(
    directory: Path, text: str, name: str = ".zoho-v1-audit.yaml", *, trusted: bool = True
) -> Config | None:
    """The loaded config, or None when it was refused with a ConfigError."""
    path = directory / name
    path.write_text(text, encoding="utf-8")
    try:
        return read_config(path, trusted=trusted)
    except ConfigError as exc:
        error = exc
    assert str(error).startswith(f"{path}: ")  # names the file
    assert error.exit_code == ExitCode.USAGE
    return None


def check_values(config: Config) -> None:
    """What a loaded config holds is usable as it is."""
    assert config.fail_on in (None, *FAIL_ON_CHOICES)
    assert config.max_file_size is None or (
        isinstance(config.max_file_size, int) and config.max_file_size >= 1
    )
    verify = config.verify
    for value in (verify.timeout, verify.deadline):
        assert value is None or (math.isfinite(value) and 0.1 <= value <= MAX_SECONDS)
    assert verify.concurrency is None or 1 <= verify.concurrency <= 32
    assert verify.dc is None or verify.dc in DATA_CENTRES
    assert all(isinstance(x, str) and x for x in (*config.exclude, *config.include))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents, st.booleans())
@example({"verify": {"timeout": math.nan}}, True)
@example({"verify": {"deadline": math.inf}}, True)
@example({"verify": {"timeout": 10**400}}, True)
@example({"max_file_size": "9" * 400}, True)
@example({"rules": ["r" * 5000]}, True)
@example({"owners": "o" * 300}, True)
@example({"allow": ["(" * 5000 + ")" * 5000]}, False)
@example({"allow": ["([0-9a-f]+)+z"]}, False)
def test_any_yaml_mapping_loads_or_is_a_config_error(
    config_dir: Path, doc: dict[Any, Any], trusted: bool
) -> None:
    text = yaml.safe_dump(doc, allow_unicode=True)
    config = load(config_dir, text, trusted=trusted)
    if config is not None:
        check_values(config)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
@example("exclude: " + "[" * 5000 + "]" * 5000)
@example("exclude: " + "{a: " * 3000 + "1" + "}" * 3000)
@example("max_file_size: " + "9" * 5000)
@example("verify: &a {timeout: *a}")
@example("- a\n- b")
@example("\ufeffexclude: [a]")
def test_any_yaml_text_loads_or_is_a_config_error(config_dir: Path, text: str) -> None:
    config = load(config_dir, text)
    if config is not None:
        check_values(config)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
@example("exclude = " + "[" * 5000 + "]" * 5000)
@example("verify = { timeout = inf }")
@example("verify = { timeout = nan }")
@example("max_file_size = 1e400")
def test_any_pyproject_section_loads_or_is_a_config_error(config_dir: Path, body: str) -> None:
    config = load(config_dir, "[tool.zoho-v1-audit]\n" + body, name="pyproject.toml", trusted=False)
    if config is not None:
        check_values(config)


RULE = """rules:
  - id: my-rule
    title: My rule
    category: v1-endpoint
    severity: low
    keywords: [legacy]
    pattern: '{pattern}'
"""
DEEP = "(" * 5000 + ")" * 5000
CONFIG = ".zoho-v1-audit.yaml"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({CONFIG: f"exclude: {'[' * 5000}{']' * 5000}"}, "not valid YAML (line 1): exceeded maximum nesting depth"),
        ({"pyproject.toml": f"[tool.zoho-v1-audit]\nexclude = {'[' * 5000}{']' * 5000}"}, "not valid TOML: nested too deeply"),
        ({CONFIG: "max_file_size: '" + "9" * 400 + "'"}, "max_file_size: not a size"),
        ({CONFIG: "verify: {timeout: .nan}"}, "verify.timeout: must be at most 604800, got nan"),
        ({CONFIG: "rules: ['" + "r" * 5000 + "']"}, "rules[0]: cannot use"),
        ({CONFIG: 'allow: ["([0-9a-f]+)+z"]'}, "allow[0]: a repeat inside a repeat"),
        ({CONFIG: 'allow: ["(a|aa)*Q"]'}, "allow[0]: a repeat inside a repeat, or alternatives"),
        ({CONFIG: "rules: [evil.yaml]", "evil.yaml": RULE.format(pattern="zz(?:a|aa)*c")}, "pattern: a repeat inside a repeat"),
        ({CONFIG: "rules: [evil.yaml]", "evil.yaml": "placeholders: ['(x|x)+y']\n" + RULE.format(pattern="legacy")}, "placeholders: a repeat inside a repeat"),
        ({CONFIG: f"allow: ['{DEEP}']"}, "allow[0]: not a valid regular expression: nested too deeply"),
        ({CONFIG: "rules: [evil.yaml]", "evil.yaml": RULE.format(pattern=DEEP)}, "pattern: invalid regular expression: nested too deeply"),
        ({CONFIG: "rules: [evil.yaml]", "evil.yaml": "rules: [" + "9" * 5000 + "]"}, "evil.yaml: not valid YAML"),
    ],
    ids=[
        "deep-yaml", "deep-toml", "huge-size", "nan-timeout", "long-rules-path",
        "backtracking-allow", "alternation-allow", "alternation-rule", "alternation-placeholder", "deep-allow", "deep-rule-pattern", "huge-int-rule-file",
    ],
)  # fmt: skip
def test_hostile_config_in_the_scanned_tree_is_one_clear_error(
    tmp_path: Path, files: dict[str, str], message: str
) -> None:
    """A configuration committed to the scanned code cannot crash or hang the scan."""
    tree = write_tree(tmp_path / "tree", {**files, ".env": f"ZOHO_AUTHTOKEN={TOKEN}\n"})
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "zoho_v1_audit", "scan", str(tree), "-f", "json"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert time.monotonic() - started < 20
    assert proc.returncode == ExitCode.USAGE
    [line] = proc.stderr.splitlines()
    assert line.startswith("zoho-v1-audit: error: ") and message in line, line
    assert "internal error" not in line
    assert proc.stdout == ""


RULE_FIELDS = [
    "id", "title", "category", "severity", "keywords", "pattern", "secret_kind", "strict_secret",
    "decode", "decoded", "provides", "requires", "requires_scope", "redundant_with",
    "placeholders", "remediation", "examples",
]  # fmt: skip
GOOD_RULE: dict[Any, Any] = {
    "id": "my-rule",
    "title": "My rule",
    "category": "v1-endpoint",
    "severity": "low",
    "keywords": ["legacy"],
    "pattern": "legacy-crm\\.example",
}
rule_values = yaml_values | st.sampled_from(
    ["v1-endpoint", "v1-token", "high", "base64", "file", "(?P<secret>[0-9a-f]{32})", "(a+)+$"]
)
rules_docs = st.builds(
    lambda base, changes, drop: {
        "rules": [{k: v for k, v in {**base, **changes}.items() if k not in drop}]
    },
    st.just(GOOD_RULE),
    st.dictionaries(st.sampled_from(RULE_FIELDS) | st.integers() | st.text(max_size=6), rule_values, max_size=4),
    st.sets(st.sampled_from(RULE_FIELDS), max_size=2),
) | st.dictionaries(st.sampled_from(["rules", "placeholders"]) | st.text(max_size=6), yaml_values, max_size=3)  # fmt: skip


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rules_docs)
@example({"rules": [{**GOOD_RULE, 1: "x"}]})
@example({"rules": [{**GOOD_RULE, "pattern": DEEP}]})
@example({"placeholders": [DEEP]})
def test_any_rule_file_loads_or_is_a_rule_error(config_dir: Path, doc: dict[Any, Any]) -> None:
    path = config_dir / "rules.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    try:
        rules = load_rules([path])
    except RuleError as exc:
        error = exc
    else:
        assert isinstance(rules, RuleSet)
        return
    assert str(error).startswith(f"{path}: ") or str(error) == "no rules loaded"
    assert error.exit_code == ExitCode.USAGE
