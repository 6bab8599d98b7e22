"""Zoho data centres: their short codes, their hosts, and how a host maps back to its code."""

from __future__ import annotations

# Data-centre codes, in the order they are tried after the preferred one.
DATA_CENTRES = ("com", "eu", "in", "au", "cn", "jp")
DEFAULT_DC = "com"  # the United States: where an account is when nothing says otherwise

# Hosts that served CRM API v1 (and the v1 authtoken), per data centre.
V1_HOSTS = {
    "com": "crm.zoho.com",
    "eu": "crm.zoho.eu",
    "cn": "crm.zoho.com.cn",
    "in": "crm.zoho.in",
}

# CRM API 2.0+ hosts, where OAuth access tokens are checked.
API_HOSTS = {
    "com": "www.zohoapis.com",
    "eu": "www.zohoapis.eu",
    "in": "www.zohoapis.in",
    "au": "www.zohoapis.com.au",
    "cn": "www.zohoapis.com.cn",
    "jp": "www.zohoapis.jp",
}

_SUFFIX_TO_DC = {host.partition("zohoapis.")[2]: dc for dc, host in API_HOSTS.items()}
_ALIASES = {"crm.baihui.com": "cn"}  # the older Chinese brand


def data_centre_of(host: str) -> str:
    """The data-centre code of a Zoho host (`crm.zoho.eu` -> `eu`); unknown suffixes pass through."""
    host = host.lower().rstrip(".")
    if host in _ALIASES:
        return _ALIASES[host]
    _, _, suffix = host.partition("zoho.")
    return _SUFFIX_TO_DC.get(suffix, suffix or host)
