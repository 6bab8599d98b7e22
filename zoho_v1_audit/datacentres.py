"""Zoho data centres: the short codes used everywhere, and how hosts map to them."""

from __future__ import annotations

# Domain suffix after "zoho." -> data-centre code.
_SUFFIX_TO_DC = {"com": "com", "eu": "eu", "in": "in", "com.au": "au", "com.cn": "cn", "jp": "jp"}
_ALIASES = {"crm.baihui.com": "cn"}


def data_centre_of(host: str) -> str:
    """The data-centre code of a Zoho host (`crm.zoho.eu` -> `eu`); unknown suffixes pass through."""
    host = host.lower().rstrip(".")
    if host in _ALIASES:
        return _ALIASES[host]
    _, _, suffix = host.partition("zoho.")
    return _SUFFIX_TO_DC.get(suffix, suffix or host)
