"""The keyword prefilter never hides a line where a rule matches."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.helpers import TOKEN, builtin, findings_in
from zoho_v1_audit.scan.prefilter import Prefilter

RULES = builtin()
PREFILTER = Prefilter(RULES)
# Keywords, their pieces, and what binds a name to a value: text where keywords overlap.
PIECES = sorted(
    {k.decode() for k in RULES.keywords}
    | {k.decode()[: len(k) // 2] for k in RULES.keywords}
    | {"_", "=", ":", " ", "'", '"', "\n", "(", "api", "auth", TOKEN, "crm.zoho.com"}
)


NAMES = st.lists(st.sampled_from(PIECES), min_size=1, max_size=3).map("".join)
ASSIGNMENTS = st.builds(
    "{}{}{q}{}{q}".format,
    NAMES,
    st.sampled_from(["=", ": ", "(", " => ", "\t= ", ","]),
    st.sampled_from([TOKEN, "Winter2016!crm", f"1000.{TOKEN}.{TOKEN}"]),
    q=st.sampled_from(["'", '"', ""]),
)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(PIECES) | ASSIGNMENTS, max_size=30))
def test_every_match_lies_in_a_span_of_its_rule(pieces: list[str]) -> None:
    data = "".join(pieces).encode()
    spans = PREFILTER.spans_per_rule(data.lower())
    for order, rule in enumerate(RULES.rules):
        for m in rule.regex.finditer(data):
            line_start = data.rfind(b"\n", 0, m.start()) + 1
            if b"\n" in data[m.start() : m.end()]:
                continue  # rules match within a line; a multi-line match is not a finding
            assert any(lo <= line_start and m.end() <= hi for lo, hi in spans.get(order, [])), (
                rule.id,
                data,
            )


def test_a_longer_keyword_does_not_hide_a_shorter_one_running_on() -> None:
    found = findings_in(
        f"BASE = 'https://crm.zoho.com/crm/private/json/'\nAPI(auth_token='{TOKEN}')\n"
    )
    assert [(f.rule_id, f.secret) for f in found if f.location.line == 2] == [
        ("v1-authtoken-named-key", TOKEN)
    ]
