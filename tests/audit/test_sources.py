"""Sources: normalised keys, `@FILE` lists, and shards that cover every repository once."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zoho_v1_audit.audit.sources import (
    Source,
    in_shard,
    normalise,
    parse_shard,
    parse_sources,
    shard_of,
)
from zoho_v1_audit.errors import UsageError

names = st.text("abcdefghijklmnopqrstuvwxyz0123456789-_.", min_size=1, max_size=20)
urls = st.builds(lambda o, r: f"https://github.com/{o}/{r}.git", names, names)


@settings(max_examples=200, deadline=None)
@given(st.lists(urls, min_size=0, max_size=60, unique=True), st.integers(1, 12))
def test_shards_cover_every_repository_exactly_once(targets: list[str], count: int) -> None:
    sources = parse_sources(targets)
    shards = [in_shard(sources, (i, count)) for i in range(1, count + 1)]
    keys = [s.key for shard in shards for s in shard]
    assert sorted(keys) == sorted(s.key for s in sources)  # all, none twice
    shuffled = sources[::-1]  # the list's order decides nothing
    assert all({s.key for s in in_shard(shuffled, (i, count))} == {s.key for s in shards[i - 1]}
               for i in range(1, count + 1))  # fmt: skip


def test_a_shard_is_a_hash_of_the_key_not_a_position() -> None:
    a = Source(normalise("https://github.com/acme/crm"), "https://github.com/acme/crm")
    assert shard_of(a, 4) == shard_of(Source(a.key, "git@github.com:acme/crm.git"), 4)
    counts = [0] * 4
    for i in range(400):
        counts[shard_of(Source(f"github.com/acme/r{i}", ""), 4) - 1] += 1
    assert min(counts) > 60  # spread out, not all in one job


def test_one_repository_spelled_many_ways_is_one_key(tmp_path: Path) -> None:
    spellings = [
        "https://github.com/acme/crm", "https://GitHub.com/acme/crm.git",
        "https://ada@github.com/acme/crm/", "ssh://git@github.com/acme/crm.git",
        "git@github.com:acme/crm.git",
    ]  # fmt: skip
    assert {normalise(s) for s in spellings} == {"github.com/acme/crm"}
    assert normalise(tmp_path.as_uri()) == normalise(str(tmp_path)) == tmp_path.resolve().as_posix()
    assert len(parse_sources(spellings)) == 1


def test_source_lists(tmp_path: Path) -> None:
    listing = tmp_path / "repos.txt"
    listing.write_text(
        "# team crm\n\n  https://github.com/acme/crm  \n# gone\ngit@gitlab.com:acme/b.git\n"
    )
    got = parse_sources([f"@{listing}", "https://github.com/acme/crm.git"])
    assert [s.name for s in got] == ["acme/crm", "acme/b"]
    with pytest.raises(UsageError, match="cannot read the source list"):
        parse_sources([f"@{tmp_path / 'missing.txt'}"])
    listing.write_text("--upload-pack=touch /tmp/pwned\n")
    with pytest.raises(UsageError, match="not a repository"):
        parse_sources([f"@{listing}"])
    listing.write_text("https://ada:secret-pw@github.com/acme/crm\n")
    with pytest.raises(UsageError, match="holds a password") as caught:
        parse_sources([f"@{listing}"])
    assert "secret-pw" not in str(caught.value)


@pytest.mark.parametrize("text", ["0/3", "4/3", "1/0", "x", "1/2/3", " 2 / 3"])
def test_bad_shards(text: str) -> None:
    with pytest.raises(UsageError):
        parse_shard(text)
    assert parse_shard("3/3") == (3, 3)
