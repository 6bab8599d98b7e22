"""Configuration files: where they are found, what they may say, and every way to get one wrong."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.git.repo import GitRepo
from tests.helpers import TOKEN, write_tree
from zoho_v1_audit.config import Config, VerifyConfig, find_config, load_config, read_config
from zoho_v1_audit.errors import ConfigError
from zoho_v1_audit.models import sha256_hex

FULL = f"""
exclude: ["vendor/", "*.min.js"]
include: ["src/"]
rules: [extra-rules.yaml]
disable: [v1-method-call]
allow: ["^test-", "{sha256_hex(TOKEN)}"]
fail_on: high
max_file_size: 2MB
verify: {{dc: eu, timeout: 3, concurrency: 2, deadline: 30}}
owners: .github/CODEOWNERS
"""


def test_every_key(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {".zoho-v1-audit.yaml": FULL, "extra-rules.yaml": "rules: []\n", ".github/CODEOWNERS": ""},
    )
    config = load_config(tmp_path)
    assert config.source == tmp_path / ".zoho-v1-audit.yaml"
    assert config.exclude == ("vendor/", "*.min.js")
    assert config.include == ("src/",)
    assert config.rules == (tmp_path / "extra-rules.yaml",)
    assert config.disable == ("v1-method-call",)
    assert [p.pattern for p in config.allow_patterns] == ["^test-"]
    assert config.allow_hashes == {sha256_hex(TOKEN)}
    assert config.fail_on == "high"
    assert config.max_file_size == 2 * 1024 * 1024
    assert config.verify == VerifyConfig(dc="eu", timeout=3.0, concurrency=2, deadline=30.0)
    assert config.owners == tmp_path / ".github" / "CODEOWNERS"


def test_pyproject_section(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "x"\n\n[tool.zoho-v1-audit]\nfail_on = "critical"\nexclude = ["build/"]\n'
        },
    )
    config = load_config(tmp_path)
    assert (config.source, config.fail_on, config.exclude) == (
        tmp_path / "pyproject.toml",
        "critical",
        ("build/",),
    )


def test_nearest_file_wins_up_to_the_repository_root(repo: GitRepo) -> None:
    root = repo.path
    write_tree(
        root.parent,
        {".zoho-v1-audit.yaml": "fail_on: info\n"},  # above the repository: never read
    )
    write_tree(
        root,
        {
            ".zoho-v1-audit.yaml": "fail_on: low\n",
            "svc/pyproject.toml": '[project]\nname = "svc"\n',  # no section: keep looking
            "svc/deep/.keep": "",
            "lib/pyproject.toml": '[tool.zoho-v1-audit]\nfail_on = "high"\n',
            "both/.zoho-v1-audit.yaml": "fail_on: medium\n",
            "both/pyproject.toml": '[tool.zoho-v1-audit]\nfail_on = "critical"\n',
        },
    )
    assert find_config(root / "svc" / "deep") == root / ".zoho-v1-audit.yaml"
    assert find_config(root / "lib") == root / "lib" / "pyproject.toml"
    assert find_config(root / "both") == root / "both" / ".zoho-v1-audit.yaml"
    (root / ".zoho-v1-audit.yaml").unlink()
    assert find_config(root / "svc") is None  # the file above the repository root is not used


def test_outside_a_repository_only_the_scan_root_is_searched(tmp_path: Path) -> None:
    write_tree(tmp_path, {".zoho-v1-audit.yaml": "fail_on: info\n", "sub/a.py": ""})
    assert find_config(tmp_path / "sub") is None
    assert find_config(tmp_path) == tmp_path / ".zoho-v1-audit.yaml"
    assert find_config(tmp_path / "sub" / "a.py") is None  # a file: its directory is the start


def test_explicit_file_overrides_discovery(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {".zoho-v1-audit.yaml": "fail_on: info\n", "ci/audit.toml": 'fail_on = "critical"\n'},
    )
    assert load_config(tmp_path, tmp_path / "ci" / "audit.toml").fail_on == "critical"
    with pytest.raises(ConfigError, match=r"missing\.yaml: config file not found"):
        load_config(tmp_path, tmp_path / "missing.yaml")


def test_no_file_no_settings(tmp_path: Path) -> None:
    assert load_config(tmp_path) == Config()


def test_api_base_only_from_a_file_the_user_names(tmp_path: Path) -> None:
    body = "verify:\n  api_base: [eu=https://proxy.example/zoho]\n"
    write_tree(tmp_path, {".zoho-v1-audit.yaml": body})
    with pytest.raises(
        ConfigError, match=r"verify\.api_base: only accepted from a file named with --config"
    ):
        load_config(tmp_path)
    named = load_config(tmp_path, tmp_path / ".zoho-v1-audit.yaml")
    assert named.verify.api_base == ("eu=https://proxy.example/zoho",)


BAD = [
    ("colour: red\n", "colour: unknown key"),
    ("exclude: vendor/\n", "exclude: expected a list of non-empty strings"),
    ("include: [1]\n", "include: expected a list of non-empty strings"),
    ('disable: [""]\n', "disable: expected a list of non-empty strings"),
    ("rules: [nope.yaml]\n", r"rules\[0\]: no such file or directory: nope.yaml"),
    ("allow: ['([a-z']\n", r"allow\[0\]: not a valid regular expression"),
    (
        "fail_on: hgih\n",
        "fail_on: must be one of critical, high, medium, low, info, never, got 'hgih'",
    ),
    ("max_file_size: lots\n", "max_file_size: not a size: 'lots'"),
    ("max_file_size: 0\n", "max_file_size: must be at least 1 byte"),
    ("max_file_size: true\n", "max_file_size: expected bytes or a size"),
    ("verify: fast\n", "verify: expected a mapping"),
    ("verify: {colour: red}\n", r"verify\.colour: unknown key"),
    ("verify: {dc: mars}\n", r"verify\.dc: data centre must be one of"),
    ("verify: {timeout: 0}\n", r"verify\.timeout: must be at least 0.1"),
    ("verify: {timeout: soon}\n", r"verify\.timeout: expected a number"),
    ("verify: {concurrency: 2.5}\n", r"verify\.concurrency: expected a whole number"),
    ("verify: {concurrency: 99}\n", r"verify\.concurrency: must be at most 32"),
    ("verify: {deadline: -1}\n", r"verify\.deadline: must be at least 0.1"),
    ("owners: [a]\n", "owners: expected a path"),
    ("owners: CODEOWNERS\n", "owners: no such file or directory: CODEOWNERS"),
    ("- a\n- b\n", "the top level must be a mapping"),
    ("fail_on: [\n", "not valid YAML"),
    ('allow: ["\\Uf44d3f9a"]\n', "not valid YAML"),  # an escape beyond Unicode
]


@pytest.mark.parametrize(("body", "message"), BAD, ids=[m.split(":")[0] for _, m in BAD])
def test_errors_name_the_file_the_key_and_the_reason(
    tmp_path: Path, body: str, message: str
) -> None:
    path = tmp_path / ".zoho-v1-audit.yaml"
    path.write_text(body)
    with pytest.raises(ConfigError, match=f"^{re.escape(str(path))}: {message}"):
        read_config(path, trusted=True)


def test_broken_pyproject_is_named(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text("[tool.zoho-v1-audit\nfail_on = 'x'\n")
    with pytest.raises(ConfigError, match=f"^{re.escape(str(path))}: not valid TOML"):
        load_config(tmp_path)


def test_unknown_disabled_rule_is_named(tmp_path: Path) -> None:
    write_tree(tmp_path, {".zoho-v1-audit.yaml": "disable: [no-such-rule]\n"})
    config = load_config(tmp_path)
    with pytest.raises(ConfigError, match=r"disable: unknown rule id\(s\): no-such-rule"):
        config.check_rule_ids({"v1-method-call"})


def test_the_documented_example_is_valid(tmp_path: Path) -> None:
    doc = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    example = doc.split("## Configuration file", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    write_tree(
        tmp_path,
        {
            ".zoho-v1-audit.yaml": example,
            "ci/acme-rules.yaml": "rules: []\n",
            ".github/CODEOWNERS": "",
        },
    )
    config = load_config(tmp_path)
    assert config.fail_on == "high" and config.verify.dc == "eu" and len(config.allow_hashes) == 1
