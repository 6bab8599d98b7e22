"""A Zoho v1 protocol server per test, and secrets built directly."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.zoho_server import ZohoServer
from zoho_v1_audit.models import Category, Secret, SecretKind, Severity, preview, sha256_hex


@pytest.fixture
def zoho() -> Iterator[ZohoServer]:
    """A running server on 127.0.0.1."""
    with ZohoServer() as server:
        yield server


def secret(value: str, kind: SecretKind = SecretKind.AUTHTOKEN, hint: str | None = None) -> Secret:
    """A secret as the aggregator would build it."""
    category = Category.V1_TOKEN if kind is SecretKind.AUTHTOKEN else Category.OAUTH_SECRET
    return Secret(
        id=sha256_hex(value),
        sha256=sha256_hex(value),
        preview=preview(value, SecretKind(kind)),
        category=category,
        kind=SecretKind(kind),
        severity=Severity.CRITICAL,
        locations=[],
        data_centre_hint=hint,
        value=value,
    )
