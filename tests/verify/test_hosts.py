"""Where a token may be sent: data centres, official hosts and --api-base safety."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from zoho_v1_audit.errors import ExitCode, UsageError
from zoho_v1_audit.verify.hosts import ALL, check_base_url, parse_bases, probe_order
from zoho_v1_audit.verify.options import VerifyOptions


def test_default_bases_are_the_official_https_hosts() -> None:
    bases = parse_bases(())
    assert bases.v1 == {
        "com": "https://crm.zoho.com",
        "eu": "https://crm.zoho.eu",
        "cn": "https://crm.zoho.com.cn",
        "in": "https://crm.zoho.in",
    }
    assert bases.oauth["au"] == "https://www.zohoapis.com.au"
    assert set(bases.oauth) == {"com", "eu", "in", "au", "cn", "jp"}
    assert not bases.shared


def test_one_base_stands_for_every_data_centre() -> None:
    bases = parse_bases(("http://127.0.0.1:8080/proxy/",))
    assert bases.v1 == bases.oauth == {ALL: "http://127.0.0.1:8080/proxy"}
    assert bases.shared


def test_bases_per_data_centre_keep_their_order() -> None:
    bases = parse_bases(("EU=http://127.0.0.1:1/eu", "com=https://crm.zoho.com"))
    assert list(bases.v1.items()) == [
        ("eu", "http://127.0.0.1:1/eu"),
        ("com", "https://crm.zoho.com"),
    ]


@pytest.mark.parametrize(
    "url",
    [
        "https://crm.zoho.eu",
        "https://www.zohoapis.com.cn/",
        "http://127.0.0.1:9/x",
        "http://[::1]:9",
        "http://localhost:9",
        "https://127.0.0.2",
        "https://zoho-proxy.corp.example",
    ],
)
def test_allowed_bases(url: str) -> None:
    assert check_base_url(url) == url.rstrip("/")


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("http://crm.zoho.com", "plain http is only allowed to a loopback address"),
        ("http://10.0.0.1:8080", "plain http is only allowed"),
        ("ftp://127.0.0.1", "need an http(s) URL"),
        ("127.0.0.1:8080", "need an http(s) URL"),
        ("https://user:pw@crm.zoho.com", "no credentials"),
        ("https://crm.zoho.com/?authtoken=x", "no credentials, query or fragment"),
        ("http://127.0.0.1:99999", "not a valid URL"),
    ],
)
def test_refused_bases(url: str, words: str) -> None:
    with pytest.raises(UsageError, match="--api-base") as caught:
        check_base_url(url)
    assert words in str(caught.value)
    assert caught.value.exit_code == ExitCode.USAGE


@pytest.mark.parametrize(
    ("values", "words"),
    [
        (("http://127.0.0.1:1", "http://127.0.0.1:2"), "single URL given twice"),
        (("eu=http://127.0.0.1:1", "eu=http://127.0.0.1:2"), "data centre 'eu' given twice"),
        (("http://127.0.0.1:1", "eu=http://127.0.0.1:2"), "either one URL"),
        (("mars=http://127.0.0.1:1",), "data centre must be one of"),
        (("eu=http://crm.zoho.eu",), "plain http"),
    ],
)
def test_refused_base_combinations(values: tuple[str, ...], words: str) -> None:
    with pytest.raises(UsageError, match="--api-base") as caught:
        parse_bases(values)
    assert words in str(caught.value)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"dc": "us"}, "--dc: data centre must be one of: com, eu, in, au, cn, jp (got 'us')"),
        (
            {"timeout": 0},
            "--verify-timeout must be more than 0 and at most 604800 seconds",
        ),
        ({"timeout": float("nan")}, "--verify-timeout must be more than 0"),
        ({"concurrency": 0}, "--verify-concurrency must be at least 1"),
        (
            {"deadline": -1},
            "--verify-deadline must be more than 0 and at most 604800 seconds",
        ),
        ({"deadline": float("inf")}, "--verify-deadline must be more than 0"),
        ({"api_bases": ("http://evil.example",)}, "--api-base: plain http is only allowed"),
    ],
)
def test_bad_options_are_refused_when_made(options: dict[str, Any], message: str) -> None:
    with pytest.raises(UsageError) as caught:
        VerifyOptions(**options)
    assert str(caught.value).startswith(message)
    assert caught.value.exit_code == ExitCode.USAGE


def test_options_carry_their_resolved_values() -> None:
    assert VerifyOptions().bases == parse_bases(())
    options = VerifyOptions(dc=" EU", api_bases=("in=https://crm.zoho.in/",), deadline=5)
    assert options.dc == "eu"
    assert options.bases.v1 == options.bases.oauth == {"in": "https://crm.zoho.in"}
    assert options == VerifyOptions(dc="eu", api_bases=("in=https://crm.zoho.in/",), deadline=5)


def test_option_defaults_are_the_field_defaults() -> None:
    defaults = {f.name: f.default for f in dataclasses.fields(VerifyOptions) if f.init}
    assert defaults == {
        "dc": "com",
        "api_bases": (),
        "timeout": 10.0,
        "concurrency": 4,
        "deadline": 600.0,
    }
    assert VerifyOptions() == VerifyOptions(**defaults)


def test_probe_order_starts_with_the_hint_when_in_play() -> None:
    assert probe_order(["com", "eu", "cn", "in"], "cn") == ["cn", "com", "eu", "in"]
    assert probe_order(["com", "eu"], "jp") == ["com", "eu"]
    assert probe_order([ALL], "eu") == [ALL]
