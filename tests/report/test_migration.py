"""The v1 -> API 2.0 table: complete, valid, and filled in per module."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from zoho_v1_audit.errors import RuleError
from zoho_v1_audit.migration import load_table
from zoho_v1_audit.ruleset import builtin_rules_dir, load_rules


def _v1_methods_in_rules() -> set[str]:
    rule = load_rules([builtin_rules_dir()]).by_id("v1-method-call")
    names = re.search(rb"\(\?P<method>([^)]*)\)", rule.regex.pattern)
    assert names is not None
    return set(names.group(1).decode().split("|"))


def test_every_method_the_rules_find_has_a_replacement() -> None:
    assert _v1_methods_in_rules() <= set(load_table().methods)
    assert len(load_table().methods) == 26  # 22 current methods and 4 legacy ones


def test_says_which_version_zoho_documents_now() -> None:
    table = load_table()
    assert table.current_version == "v8"
    assert "/crm/v8/" in table.version_note
    assert "version segment" in table.version_note


def test_differences_that_bite_are_all_there() -> None:
    text = " ".join(f"{d.title} {d.text}" for d in load_table().differences)
    for must in ("JSON", "Last_Name", "page", "per_page", "fromIndex", "100 records", "Deals"):
        assert must in text


def test_module_filled_in_and_renamed() -> None:
    table = load_table()
    deals = table.replacement("getRecords", "Potentials")
    assert deals is not None
    assert (deals.http, deals.path, deals.scope) == (
        "GET",
        "/crm/v2/Deals",
        "ZohoCRM.modules.deals.READ",
    )
    orders = table.replacement("insertRecords", "SalesOrders")
    assert orders is not None
    assert (orders.http, orders.path, orders.scope) == (
        "POST",
        "/crm/v2/Sales_Orders",
        "ZohoCRM.modules.salesorders.CREATE",
    )


def test_custom_modules_use_the_custom_scope() -> None:
    found = load_table().replacement("deleteRecords", "CustomModule2")
    assert found is not None
    assert found.scope == "ZohoCRM.modules.custom.DELETE"


def test_unknown_module_stays_a_placeholder() -> None:
    found = load_table().replacement("updateRecords", None)
    assert found is not None
    assert found.path == "/crm/v2/<module>/<record id>"
    assert found.scope == "ZohoCRM.modules.<module>.UPDATE"


@pytest.mark.parametrize(
    ("method", "http", "path", "scope"),
    [
        ("getModules", "GET", "/crm/v2/settings/modules", "ZohoCRM.settings.modules.READ"),
        ("getUsers", "GET", "/crm/v2/users?type=<type>", "ZohoCRM.users.READ"),
        ("convertLead", "POST", "/crm/v2/Leads/<record id>/actions/convert", "ZohoCRM.modules.ALL"),
        ("getDeletedRecordIds", "GET", "/crm/v2/Leads/deleted", "ZohoCRM.modules.leads.READ"),
        ("uploadPhoto", "POST", "/crm/v2/Leads/<record id>/photo", "ZohoCRM.modules.leads.CREATE"),
    ],
)
def test_fixed_endpoints(method: str, http: str, path: str, scope: str) -> None:
    found = load_table().replacement(method, "Leads")
    assert found is not None
    assert (found.http, found.path, found.scope) == (http, path, scope)


def test_unknown_method() -> None:
    assert load_table().replacement("getMagic", "Leads") is None


def test_a_broken_table_names_file_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "table.yaml"
    original = (builtin_rules_dir() / "migration" / "v1-to-v2.yaml").read_text()
    bad.write_text(original.replace("    http: PUT\n", "    http: PATCH\n", 1))
    with pytest.raises(
        RuleError, match=r"table\.yaml: methods\.updateRecords\.http: must be one of"
    ):
        load_table(bad)
    bad.write_text("methods: [\n")
    with pytest.raises(RuleError, match=r"table\.yaml: not valid YAML \(line \d+\)"):
        load_table(bad)
