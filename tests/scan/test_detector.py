"""What the bundled rules report, one behaviour per test."""

from __future__ import annotations

import base64

import pytest

from tests.helpers import ALNUM_TOKEN, PASSWORD, REFRESH, TOKEN, TOKEN_EU, builtin, findings_in, ids
from zoho_v1_audit.models import Blob, Confidence, Placement, Severity
from zoho_v1_audit.scan.detector import detect


@pytest.mark.parametrize(
    ("host", "dc"),
    [
        ("crm.zoho.com", "com"),
        ("crm.zoho.eu", "eu"),
        ("crm.zoho.in", "in"),
        ("crm.zoho.com.au", "au"),
        ("crm.zoho.com.cn", "cn"),
        ("crm.zoho.jp", "jp"),
        ("crm.baihui.com", "cn"),
        ("crm.zoho.sa", "sa"),
        ("CRM.Zoho.EU", "eu"),
    ],
)
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_v1_endpoint_on_every_data_centre(host: str, dc: str, fmt: str) -> None:
    found = findings_in(f'url = "http://{host}/crm/private/{fmt}/Potentials/getRecordById?id=1"\n')
    endpoint = next(f for f in found if f.rule_id == "v1-crm-endpoint")
    assert endpoint.v1 is not None
    assert (endpoint.v1.data_centre, endpoint.v1.format) == (dc, fmt)
    assert (endpoint.v1.module, endpoint.v1.method) == ("Potentials", "getRecordById")
    assert endpoint.severity is Severity.HIGH


def test_bare_base_url_without_module() -> None:
    found = findings_in('BASE = "https://crm.zoho.com/crm/private/json/"\n')
    assert ids(found) == ["v1-crm-endpoint"]
    assert found[0].v1 is not None and found[0].v1.method is None


def test_v2_urls_are_not_v1() -> None:
    text = 'a = "https://www.zohoapis.com/crm/v2/Leads"\nb = "https://crm.zoho.com/crm/v2/Leads"\n'
    assert findings_in(text) == []


@pytest.mark.parametrize(
    "line",
    [
        'base = "https://crm.zoho." + region',
        "base = f'https://crm.zoho.{region}/'",
        'base = "https://crm.zoho.#{region}/"',
        "base = 'https://crm.zoho.%s/' % region",
        "$base = 'https://crm.zoho.' . $region;",
    ],
)
def test_host_assembled_from_pieces(line: str) -> None:
    assert "v1-crm-host-assembled" in ids(findings_in(line + "\n"))


@pytest.mark.parametrize("line", ["params = {'scope': 'crmapi'}", 'q = "scope=crmapi&newFormat=1"'])
def test_crmapi_scope(line: str) -> None:
    assert ids(findings_in(line + "\n")) == ["v1-crmapi-scope"]


def test_comment_and_docs_are_marked_and_lowered() -> None:
    url = "https://crm.zoho.com/crm/private/xml/Leads/insertRecords"
    in_comment = findings_in(f"# see {url}\n")[0]
    in_docs = findings_in(f"Call {url} to add leads.\n", path="docs/api.md")[0]
    in_code = findings_in(f'u = "{url}"\n')[0]
    assert (in_comment.placement, in_docs.placement, in_code.placement) == (
        Placement.COMMENT,
        Placement.DOCS,
        Placement.CODE,
    )
    assert in_comment.severity is Severity.MEDIUM and in_code.severity is Severity.HIGH


def test_other_products_with_authtoken() -> None:
    text = f'u = "https://recruit.zoho.com/recruit/private/json/Candidates/getRecords?authtoken={TOKEN}&scope=recruitapi"\n'
    found = findings_in(text)
    product = next(f for f in found if f.rule_id == "v1-product-authtoken-url")
    assert product.v1 is not None and product.v1.product == "recruit"
    assert "v1-authtoken-assignment" in ids(found)


def test_method_names_need_v1_context_in_the_tree() -> None:
    assert findings_in("client.call('Leads', 'getRecords')\n") == []
    with_context = findings_in(
        "BASE = 'https://crm.zoho.com/crm/private/json/'\ncall('Leads', 'getRecords')\n"
    )
    method = next(f for f in with_context if f.rule_id == "v1-method-call")
    assert method.v1 is not None and method.v1.method == "getRecords"
    assert method.confidence is Confidence.HIGH


def test_method_name_in_url_fragment_keeps_module() -> None:
    found = findings_in(f'url = BASE + "Leads/getRecords?authtoken={TOKEN}&scope=crmapi"\n')
    method = next(f for f in found if f.rule_id == "v1-method-call")
    assert method.v1 is not None and (method.v1.module, method.v1.method) == ("Leads", "getRecords")
    assert "v1-crmapi-scope" not in ids(found), "the method finding already covers the line"


@pytest.mark.parametrize(
    ("call", "module"),
    [
        ("build_url('Leads', 'getRecords')", "Leads"),
        ('zoho_call($config, "Invoices",  "getRecords")', "Invoices"),
        ("call(module, 'getRecords')", None),
    ],
)
def test_module_passed_beside_the_method_is_kept(call: str, module: str | None) -> None:
    found = findings_in(f"scope=crmapi\n{call}\n")
    method = next(f for f in found if f.rule_id == "v1-method-call")
    assert method.v1 is not None and (method.v1.module, method.v1.method) == (module, "getRecords")


@pytest.mark.parametrize(
    "text",
    [
        f"https://crm.zoho.com/crm/private/json/Leads/getRecords?authtoken={TOKEN}&scope=crmapi",
        f"https%3A%2F%2Fcrm.zoho.com%2Fcrm%2Fprivate%2Fjson%3Fauthtoken%3D{TOKEN}",
        f'{{"authtoken": "{TOKEN}"}}',
        f"'authtoken' => '{TOKEN}',",
        f'params.put("authtoken", "{TOKEN}");',
        f'post.setParameter("authtoken", "{TOKEN}");',
        f"authToken: '{TOKEN}',",
        f"ZOHO_AUTHTOKEN={TOKEN}",
        f"export ZOHO_CRM_AUTH_TOKEN={TOKEN}",
        f"zoho:\n  authtoken: {TOKEN}",
        f"zoho.crm.authtoken={TOKEN}",
        f"[zoho]\nauthtoken = {TOKEN}",
        f"<authtoken>{TOKEN}</authtoken>",
        f'<add key="ZohoAuthToken" value="{TOKEN}"/>',
        f"Authorization: Zoho-authtoken {TOKEN}",
        f"#\n#Wed Feb 29 03:07:33 PST 2012\nAUTHTOKEN={TOKEN}\nRESULT=TRUE",
    ],
)
def test_authtoken_forms_are_critical_secrets(text: str) -> None:
    secrets = [f for f in findings_in(text + "\n") if f.secret is not None]
    assert [s.secret for s in secrets] == [TOKEN]
    assert secrets[0].severity is Severity.CRITICAL
    assert secrets[0].secret_kind == "authtoken"
    assert TOKEN not in secrets[0].snippet


def test_hand_edited_alphanumeric_token_is_one_step_lower() -> None:
    (finding,) = findings_in(f"ZOHO_AUTHTOKEN={ALNUM_TOKEN}\n")
    assert finding.severity is Severity.HIGH and finding.secret == ALNUM_TOKEN


def test_kubernetes_secret_value_is_decoded() -> None:
    b64 = base64.b64encode(TOKEN.encode()).decode()
    text = f"apiVersion: v1\nkind: Secret\ndata:\n  ZOHO_AUTHTOKEN: {b64}\n"
    (finding,) = findings_in(text, path="k8s/secret.yaml")
    assert finding.rule_id == "v1-authtoken-kubernetes-secret"
    assert finding.secret == TOKEN, "the decoded token, so it dedupes with plain copies"
    assert b64 not in finding.snippet


@pytest.mark.parametrize(
    "line",
    ["@token = '{t}'", "config.api_key = '{t}'", "API(auth_token='{t}')", 'self.key = "{t}"'],
)
def test_generic_names_are_tokens_only_with_v1_context(line: str) -> None:
    code = line.format(t=TOKEN) + "\n"
    assert [f for f in findings_in(code) if f.secret] == []
    with_context = findings_in("BASE = 'https://crm.zoho.com/crm/private/json/'\n" + code)
    assert [f.secret for f in with_context if f.secret] == [TOKEN]


@pytest.mark.parametrize(
    "value",
    [
        "YOUR_AUTH_TOKEN",
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        "<authtoken>",
        "${ZOHO_TOKEN}",
        "{{token}}",
        "%s",
        "{authtoken}",
        "bad18eba1ff45jk7858b8ae88a77fa30",
        "aaaaaaaaaaaaaaaabbbbbbbbbbbbbbbb",
    ],
)
def test_placeholders_are_not_secrets_but_the_url_is_v1(value: str) -> None:
    found = findings_in(
        f'u = "https://crm.zoho.com/crm/private/json/Leads/getRecords?authtoken={value}&scope=crmapi"\n'
    )
    assert [f for f in found if f.secret is not None] == []
    assert "v1-crm-endpoint" in ids(found)


@pytest.mark.parametrize(
    "code", ["authtoken = os.environ['ZOHO_AUTHTOKEN']", "authtoken: process.env.ZOHO_TOKEN"]
)
def test_environment_lookups_are_not_secrets(code: str) -> None:
    assert [f for f in findings_in(code + "\n") if f.secret] == []


def test_token_generation_url_and_password() -> None:
    url = (
        "https://accounts.zoho.eu/apiauthtoken/nb/create?SCOPE=ZohoCRM/crmapi"
        f"&EMAIL_ID=ops@acme.example&PASSWORD={PASSWORD}&DISPLAY_NAME=sync"
    )
    found = findings_in(f'r = requests.get("{url}")\n')
    assert ids(found) == ["v1-authtoken-generation-url", "v1-generation-password"]
    password = found[1]
    assert password.severity is Severity.CRITICAL and password.secret == PASSWORD
    assert all(PASSWORD not in f.snippet for f in found)


def test_password_beside_generation_call_joined_from_pieces() -> None:
    text = (
        f"PASSWORD = '{PASSWORD}'\n"
        "url = ACCOUNTS + '/apiauthtoken/nb/create?SCOPE=ZohoCRM/crmapi&EMAIL_ID=' + email + '&PASSWORD=' + PASSWORD\n"
    )
    found = findings_in(text)
    assert [f.secret for f in found if f.secret] == [PASSWORD]
    assert findings_in(f"PASSWORD = '{PASSWORD}'\n") == [], "no generation call, no finding"


def test_api_ticket_login() -> None:
    found = findings_in(
        f"u = 'https://accounts.zoho.com/login?servicename=ZohoCRM&FROM_AGENT=true&LOGIN_ID=ops&PASSWORD={PASSWORD}'\n"
    )
    assert ids(found) == ["v1-api-ticket-login", "v1-generation-password"]


@pytest.mark.parametrize(
    ("line", "kind", "severity"),
    [
        ("REFRESH_TOKEN = '{t}'", "refresh-token", Severity.CRITICAL),
        ("<refreshToken>{t}</refreshToken>", "refresh-token", Severity.CRITICAL),
        ("access_token: {t}", "access-token", Severity.HIGH),
        ("headers = {{'Authorization': 'Zoho-oauthtoken {t}'}}", "access-token", Severity.HIGH),
        ("grant_type=authorization_code&code={t}", "grant-code", Severity.MEDIUM),
        ("TOKEN = '{t}'", "oauth-token", Severity.HIGH),
    ],
)
def test_oauth_tokens_are_classified_by_their_key(line: str, kind: str, severity: Severity) -> None:
    (finding,) = findings_in(line.format(t=REFRESH) + "\n")
    assert (finding.secret_kind, finding.severity, finding.secret) == (kind, severity, REFRESH)


def test_oauth_client_secret_and_id() -> None:
    secret = TOKEN + "9b1e4d7a2c"
    found = findings_in(
        f"CLIENT_ID = '1000.ABCDEFGHIJ0123456789KLMNOPQRST'\nCLIENT_SECRET = '{secret}'\n"
    )
    assert [(f.rule_id, f.severity) for f in found] == [
        ("oauth-client-id", Severity.INFO),
        ("oauth-client-secret", Severity.HIGH),
    ]
    assert found[1].secret == secret and found[0].secret is None


def test_decoys_are_silent() -> None:
    text = f'checksum = "{TOKEN}"\nref = "1000.12.3"\nmd5 = "{TOKEN_EU}"\n'
    assert findings_in(text) == []


def test_inline_ignore_on_the_line_or_above() -> None:
    rules = builtin()
    text = (
        f"a = 'ZOHO_AUTHTOKEN={TOKEN}'  # zoho-v1-audit: ignore\n"
        "# zoho-v1-audit: ignore[v1-authtoken-assignment]\n"
        f"b = 'ZOHO_AUTHTOKEN={TOKEN_EU}'\n"
        f"c = 'ZOHO_AUTHTOKEN={ALNUM_TOKEN}'  # zoho-v1-audit: ignore[v1-crm-endpoint]\n"
    )
    result = detect(Blob("a.py", text.encode()), rules)
    assert [f.secret for f in result.findings] == [ALNUM_TOKEN]
    assert result.ignored == 2


def test_token_learns_the_data_centre_of_its_url() -> None:
    text = f"u = 'https://crm.zoho.eu/crm/private/json/Leads/getRecords?authtoken={TOKEN}&scope=crmapi'\n"
    token = next(f for f in findings_in(text) if f.secret)
    assert token.v1 is not None and token.v1.data_centre == "eu"


def test_positions_are_one_based_and_point_at_the_secret() -> None:
    (finding,) = findings_in(f"\n\nZOHO_AUTHTOKEN={TOKEN}\n")
    assert (finding.location.line, finding.location.column, finding.location.end_column) == (
        3,
        16,
        48,
    )


def test_long_minified_line_snippet_is_cut_around_the_match() -> None:
    text = (
        "var a=1;" * 20000
        + f"u='https://crm.zoho.com/crm/private/json/Leads/getRecords?authtoken={TOKEN}'"
    )
    found = findings_in(text, path="static/app.min.js")
    assert {f.rule_id for f in found} >= {"v1-crm-endpoint", "v1-authtoken-assignment"}
    assert all(len(f.snippet) <= 170 and TOKEN not in f.snippet for f in found)


def test_line_numbers_map_through_blob_line_numbers() -> None:
    blob = Blob("a.py", f"x = 1\nZOHO_AUTHTOKEN={TOKEN}\n".encode(), line_numbers=(10, 42))
    (finding,) = detect(blob, builtin()).findings
    assert finding.location.line == 42
