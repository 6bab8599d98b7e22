"""Where verification may send a token: Zoho's data centres, official hosts, `--api-base` rules."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

from zoho_v1_audit.datacentres import API_HOSTS, DATA_CENTRES, V1_HOSTS
from zoho_v1_audit.errors import UsageError

ALL = "*"  # the key of a single --api-base that stands for every data centre


@dataclass(frozen=True, slots=True)
class Bases:
    """Base URLs in play, per data centre (ordered), for v1 probes and for OAuth probes.

    With a single `--api-base URL` both maps hold one entry under `ALL`.
    """

    v1: dict[str, str]
    oauth: dict[str, str]

    @property
    def shared(self) -> bool:
        """True when one base stands for every data centre."""
        return ALL in self.v1


def check_dc(dc: str, option: str = "--dc") -> str:
    """The normalised data-centre code, or UsageError naming `option`."""
    code = dc.strip().lower()
    if code not in DATA_CENTRES:
        raise UsageError(
            f"{option}: data centre must be one of: {', '.join(DATA_CENTRES)} (got {dc!r})"
        )
    return code


def is_loopback(host: str) -> bool:
    """True for `localhost` and loopback addresses (127.0.0.0/8, ::1)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_base_url(url: str, option: str = "--api-base") -> str:
    """A safe base URL without trailing slash, or UsageError.

    The user names the base explicitly on the command line (a proxy, a test server), so any
    HTTPS host is accepted; plain HTTP only to loopback. No credentials, query or fragment,
    and no control character or space inside (urlsplit drops some, the HTTP client does not).
    """
    if any(ord(c) <= 0x20 or c == "\x7f" for c in url.strip()):
        raise UsageError(f"{option}: not a valid URL: {url!r}")
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").lower()
        parts.port  # noqa: B018  (raises ValueError on a bad port)
    except ValueError:
        raise UsageError(f"{option}: not a valid URL: {url!r}") from None
    if parts.scheme not in ("https", "http") or not host:
        raise UsageError(f"{option}: need an http(s) URL with a host: {url!r}")
    if parts.username is not None or parts.password is not None or parts.query or parts.fragment:
        raise UsageError(f"{option}: no credentials, query or fragment allowed: {url!r}")
    if parts.scheme == "http" and not is_loopback(host):
        raise UsageError(
            f"{option}: plain http is only allowed to a loopback address, not {host!r}; "
            "tokens travel over HTTPS"
        )
    return url.strip().rstrip("/")


def parse_bases(api_bases: tuple[str, ...]) -> Bases:
    """Bases from raw `--api-base` values ("URL" once, or "DC=URL" repeatable); defaults without."""
    if not api_bases:
        return Bases(
            v1={dc: f"https://{host}" for dc, host in V1_HOSTS.items()},
            oauth={dc: f"https://{host}" for dc, host in API_HOSTS.items()},
        )
    given: dict[str, str] = {}
    for raw in api_bases:
        label, sep, url = raw.partition("=")
        if not sep or "://" in label:
            label, url = ALL, raw
        else:
            label = check_dc(label, "--api-base")
        if label in given:
            what = "a single URL" if label == ALL else f"data centre {label!r}"
            raise UsageError(f"--api-base: {what} given twice")
        given[label] = check_base_url(url)
    if ALL in given and len(given) > 1:
        raise UsageError("--api-base: give either one URL for every data centre, or DC=URL values")
    return Bases(v1=given, oauth=dict(given))


def probe_order(in_play: list[str], first: str | None) -> list[str]:
    """Data centres to try: `first` when it is in play, then the others in their usual order."""
    if first in in_play:
        return [first, *(dc for dc in in_play if dc != first)]
    return list(in_play)
