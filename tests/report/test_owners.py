"""CODEOWNERS: GitHub's places, glob semantics, last match wins."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.report.docs import document, finding, location, secret
from zoho_v1_audit.errors import UsageError
from zoho_v1_audit.report.owners import (
    CodeOwners,
    annotate_owners,
    compile_pattern,
    find_codeowners,
)

# (pattern, path, owned?) from the examples in GitHub's CODEOWNERS documentation and the
# gitignore rules it follows.
CASES = [
    ("*", "README.md", True),
    ("*", "deep/nested/file.py", True),
    ("*.js", "app.js", True),
    ("*.js", "web/static/app.js", True),
    ("*.js", "app.jsx", False),
    ("*.go", "cmd/main.go", True),
    # A trailing slash owns everything below a directory of that name, at any depth.
    ("apps/", "apps/main.py", True),
    ("apps/", "src/apps/deep/x.py", True),
    ("apps/", "apps", False),
    ("apps/", "myapps/x.py", False),
    # A leading slash anchors to the repository root.
    ("/docs/", "docs/guide.md", True),
    ("/docs/", "docs/deep/guide.md", True),
    ("/docs/", "src/docs/guide.md", False),
    ("/build/logs/", "build/logs/today.log", True),
    ("/build/logs/", "other/build/logs/today.log", False),
    # `docs/*` owns files directly in docs/ only, unlike gitignore.
    ("docs/*", "docs/getting-started.md", True),
    ("docs/*", "docs/build-app/troubleshooting.md", False),
    ("docs/*", "src/docs/a.md", False),
    ("/*", "README.md", True),
    ("/*", "src/main.py", False),
    # A slash in the middle anchors too; the match owns what lies below it.
    ("apps/github", "apps/github", True),
    ("apps/github", "apps/github/x.py", True),
    ("apps/github", "src/apps/github/x.py", False),
    ("/apps/github", "apps/github/deep/x.py", True),
    ("foo/*.txt", "foo/a.txt", True),
    ("foo/*.txt", "foo/bar/a.txt", False),
    ("foo/*/baz", "foo/bar/baz", True),
    ("foo/*/baz", "foo/bar/baz/qux.py", True),
    ("foo/*/baz", "foo/baz", False),
    # `**` spans any number of directories.
    ("**/logs", "logs/a.log", True),
    ("**/logs", "build/logs/a.log", True),
    ("**/logs", "deeply/nested/logs/a.log", True),
    ("**/logs", "catalogs/a", False),
    ("foo/**/bar", "foo/bar", True),
    ("foo/**/bar", "foo/x/y/bar/z.py", True),
    ("foo/**/bar", "x/foo/bar", False),
    ("foo/**", "foo/a/b.py", True),
    ("foo/**", "foo", False),
    ("foo/**/", "foo/a/b.py", True),
    # One name without slashes matches a file or directory at any depth.
    ("Makefile", "Makefile", True),
    ("Makefile", "sub/Makefile", True),
    ("Makefile", "Makefile.old", False),
    ("f?o", "foo", True),
    ("f?o", "fooo", False),
    ("f\\*o", "f*o", True),
    ("f\\*o", "foo", False),
    # Paths are case-sensitive.
    ("/Docs/", "docs/a.md", False),
]


@pytest.mark.parametrize(("pattern", "path", "owned"), CASES)
def test_pattern(pattern: str, path: str, owned: bool) -> None:
    assert bool(compile_pattern(pattern).fullmatch(path)) is owned


def test_last_matching_line_wins() -> None:
    owners = CodeOwners("*       @org/everyone\n*.js    @org/js\n/web/   @org/web\n")
    assert owners.owners_of("README.md") == ["@org/everyone"]
    assert owners.owners_of("lib/x.js") == ["@org/js"]
    assert owners.owners_of("web/x.js") == ["@org/web"]  # later line beats *.js


def test_line_without_owners_leaves_the_file_unowned() -> None:
    owners = CodeOwners("/apps/ @octocat\n/apps/github\n")
    assert owners.owners_of("apps/main.py") == ["@octocat"]
    assert owners.owners_of("apps/github/x.py") == []


def test_several_owners_and_emails() -> None:
    owners = CodeOwners("*.py  @org/a   @someone  dev@example.com\n")
    assert owners.owners_of("a.py") == ["@org/a", "@someone", "dev@example.com"]


def test_comments_and_lines_github_rejects_are_skipped() -> None:
    owners = CodeOwners(
        "# a comment\n"
        "*            @org/default   # an inline comment\n"
        "!secret.py   @org/nobody\n"  # negation does not work
        "*.[ch]       @org/c\n"  # character ranges do not work
        "\\#notes     @org/notes\n"  # escaping a leading # does not work
        "*.md         not-an-owner\n"  # not a user, team or email
        "\n"
    )
    assert [r.pattern for r in owners.rules] == ["*"]
    assert owners.owners_of("secret.py") == ["@org/default"]
    assert owners.owners_of("main.c") == ["@org/default"]
    assert owners.owners_of("a.md") == ["@org/default"]


def test_escaped_space_in_a_pattern() -> None:
    owners = CodeOwners("/my\\ docs/  @org/docs\n")
    assert owners.owners_of("my docs/a.md") == ["@org/docs"]


@pytest.mark.parametrize("place", [".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"])
def test_found_where_github_looks(tmp_path: Path, place: str) -> None:
    (tmp_path / place).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / place).write_text("* @org/x\n")
    assert find_codeowners(tmp_path) == tmp_path / place


def test_github_directory_comes_first(tmp_path: Path) -> None:
    for place in (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"):
        (tmp_path / place).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / place).write_text("* @org/x\n")
    assert find_codeowners(tmp_path) == tmp_path / ".github/CODEOWNERS"
    (tmp_path / ".github/CODEOWNERS").unlink()
    assert find_codeowners(tmp_path) == tmp_path / "CODEOWNERS"


def test_nothing_found(tmp_path: Path) -> None:
    assert find_codeowners(tmp_path) is None


def test_annotate_fills_findings_and_locations(tmp_path: Path) -> None:
    (tmp_path / "CODEOWNERS").write_text("* @org/all\n/billing/ @org/billing\n")
    doc = document(
        [finding("r", "billing/a.php", 3), finding("r", "README.md", 1)],
        [secret("t", "t…", [location("billing/a.php", 3), location("x/y.env", 1)])],
    )
    annotate_owners(doc, tmp_path, None)
    assert [f["owners"] for f in doc["findings"]] == [["@org/billing"], ["@org/all"]]
    assert [loc["owners"] for loc in doc["secrets"][0]["locations"]] == [
        ["@org/billing"],
        ["@org/all"],
    ]


def test_annotate_without_codeowners_changes_nothing(tmp_path: Path) -> None:
    doc = document([finding("r", "a.py", 1, owners=["@kept"])], [])
    annotate_owners(doc, tmp_path, None)
    assert doc["findings"][0]["owners"] == ["@kept"]


def test_explicit_file_wins_over_discovery(tmp_path: Path) -> None:
    (tmp_path / "CODEOWNERS").write_text("* @org/found\n")
    explicit = tmp_path / "teams.txt"
    explicit.write_text("* @org/explicit\n")
    doc = document([finding("r", "a.py", 1)], [])
    annotate_owners(doc, tmp_path, explicit)
    assert doc["findings"][0]["owners"] == ["@org/explicit"]


def test_unreadable_file_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="cannot read CODEOWNERS"):
        annotate_owners(document([], []), tmp_path, tmp_path / "missing")


def test_the_example_projects_teams() -> None:
    root = Path(__file__).parents[2] / "examples" / "legacy-crm-app"
    owners = CodeOwners((root / "CODEOWNERS").read_text())
    assert owners.owners_of(".env") == ["@acme/crm-integrations"]
    assert owners.owners_of("billing/push_invoices.php") == ["@acme/billing"]
    assert owners.owners_of("platform/src/main/resources/crm.properties") == ["@acme/platform"]
    assert owners.owners_of("deploy/k8s/zoho-secret.yaml") == ["@acme/sre"]
    assert owners.owners_of("README.md") == ["@acme/legacy-apps"]
