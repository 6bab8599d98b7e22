"""List an organisation's repositories through the GitHub and GitLab REST APIs.

The token comes from the environment only (`GITHUB_TOKEN`, `GITLAB_TOKEN`) and goes only to the
API base named on the command line (or the public default): a `next` page on another origin is
refused, redirects are not followed, and no proxy variable or `.netrc` is read.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import quote, urlsplit

import requests

from zoho_v1_audit.audit.sources import Forges, Listing
from zoho_v1_audit.errors import AuditError, UsageError
from zoho_v1_audit.redact import display
from zoho_v1_audit.scan.remote import is_remote
from zoho_v1_audit.verify.hosts import check_base_url

MAX_PAGES = 1000  # 100,000 repositories
MAX_PAGE_BYTES = 32 * 1024 * 1024
TIMEOUT_S = 30.0
_NOT_FROM_AN_API = ("http://", "file://")  # an answer must not make us clone local paths


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return parts.scheme, (parts.hostname or "").lower(), parts.port


def _refusal(what: str, resp: requests.Response, body: bytes) -> AuditError:
    try:
        message = str(json.loads(body).get("message", ""))
    except (ValueError, AttributeError):
        message = ""
    why = {401: "the token was refused", 403: "access refused", 404: "not found"}.get(
        resp.status_code, "unexpected answer"
    )
    detail = f": {display(message)[:200]}" if message else ""
    return AuditError(f"{what}: {why} (HTTP {resp.status_code}){detail}")


def _body(resp: requests.Response) -> bytes:
    data = b""
    for chunk in resp.iter_content(65536):
        data += chunk
        if len(data) > MAX_PAGE_BYTES:
            raise AuditError(f"{resp.url}: an answer larger than {MAX_PAGE_BYTES} bytes")
    return data


def _pages(
    what: str, url: str, params: Mapping[str, str], headers: Mapping[str, str]
) -> Iterator[list[dict[str, Any]]]:
    """Each page's items, following `Link: rel="next"` or GitLab's `x-next-page`."""
    origin = _origin(url)
    session = requests.Session()
    session.trust_env = False  # no proxy variables, no .netrc
    next_url: str | None = url
    query: Mapping[str, str] | None = params
    for _ in range(MAX_PAGES):
        if next_url is None:
            return
        try:
            resp = session.get(
                next_url,
                params=query,
                headers=headers,
                timeout=TIMEOUT_S,
                allow_redirects=False,
                stream=True,
            )
            body = _body(resp)
        except requests.RequestException as exc:
            raise AuditError(
                f"{what}: cannot reach {_origin(url)[1]}: {type(exc).__name__}"
            ) from None
        if resp.status_code != 200:
            raise _refusal(what, resp, body)
        try:
            items = json.loads(body)
        except ValueError:
            raise AuditError(f"{what}: the answer is not JSON") from None
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise AuditError(f"{what}: the answer is not a list of repositories")
        yield items
        next_url, query = resp.links.get("next", {}).get("url"), None
        page = resp.headers.get("x-next-page", "").strip()
        if next_url is None and page:
            next_url, query = url, {**params, "page": page}
        if next_url is not None and _origin(next_url) != origin:
            raise AuditError(f"{what}: refused a next page on another host: {display(next_url)}")
    raise AuditError(f"{what}: more than {MAX_PAGES} pages")


def _clone_url(what: str, item: Mapping[str, Any], key: str) -> str:
    url = item.get(key)
    if not isinstance(url, str) or not is_remote(url) or url.startswith(_NOT_FROM_AN_API):
        raise AuditError(f"{what}: a repository without a usable {key}: {display(str(url))}")
    return url


def _token(variable: str) -> str | None:
    token = os.environ.get(variable, "").strip()
    if any(not c.isprintable() or c.isspace() for c in token):
        raise UsageError(f"{variable} holds characters a token cannot have")
    return token or None


def _clone_urls(
    what: str,
    url: str,
    params: dict[str, str],
    headers: dict[str, str],
    listing: Listing,
    *,
    fork_key: str,
    url_key: str,
) -> list[str]:
    """The clone URLs on every page of a listing, without the kinds `listing` leaves out."""
    return [
        _clone_url(what, item, url_key)
        for page in _pages(what, url, params, headers)
        for item in page
        if (listing.archived or not item.get("archived"))
        and (listing.forks or not item.get(fork_key))
    ]


def github_repos(org: str, api: str, listing: Listing) -> list[str]:
    """Clone URLs of a GitHub organisation's repositories (`GET /orgs/{org}/repos`)."""
    base = check_base_url(api, "--github-api")
    headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
    if token := _token("GITHUB_TOKEN"):
        headers["Authorization"] = f"Bearer {token}"
    what = f"GitHub organisation {display(org)}"
    url = f"{base}/orgs/{quote(org, safe='')}/repos"
    params = {"per_page": "100", "type": "all"}
    return _clone_urls(what, url, params, headers, listing, fork_key="fork", url_key="clone_url")


def gitlab_projects(group: str, api: str, listing: Listing) -> list[str]:
    """Clone URLs of a GitLab group's projects, subgroups included (`GET /groups/{id}/projects`)."""
    base = check_base_url(api, "--gitlab-api")
    headers = {"PRIVATE-TOKEN": token} if (token := _token("GITLAB_TOKEN")) else {}
    what = f"GitLab group {display(group)}"
    params = {"per_page": "100", "include_subgroups": "true", "order_by": "id", "sort": "asc"}
    if not listing.archived:
        params["archived"] = "false"
    url = f"{base}/groups/{quote(group, safe='')}/projects"
    return _clone_urls(
        what,
        url,
        params,
        headers,
        listing,
        fork_key="forked_from_project",
        url_key="http_url_to_repo",
    )


def forge_repositories(forges: Forges) -> list[str]:
    """Clone URLs of every organisation and group named, in the order given."""
    return [
        *(
            url
            for org in forges.github_orgs
            for url in github_repos(org, forges.github_api, forges.listing)
        ),
        *(
            url
            for group in forges.gitlab_groups
            for url in gitlab_projects(group, forges.gitlab_api, forges.listing)
        ),
    ]
