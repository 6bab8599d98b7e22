"""The v1 method -> API 2.0 endpoint table (data in `rules/migration/v1-to-v2.yaml`)."""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from zoho_v1_audit.errors import RuleError
from zoho_v1_audit.files import parse_yaml

_HTTP_METHODS = ("GET", "POST", "PUT", "DELETE")
_CUSTOM_MODULE = re.compile(r"CustomModule\d+|\w+__c")


class Difference(NamedTuple):
    """A difference between v1 and API 2.0 that breaks a naive port."""

    title: str
    text: str


@dataclass(frozen=True, slots=True)
class Replacement:
    """The API 2.0 call that replaces one v1 call, filled in for its module when known.

    The table holds one per method with `module` None and `{module}`, `{scope}` still open.
    """

    method: str
    module: str | None
    http: str
    path: str
    scope: str
    notes: str
    inferred: bool


@dataclass(frozen=True, slots=True)
class MigrationTable:
    """The whole table: per-method replacements, module renames and general differences."""

    current_version: str
    version_note: str
    api_domain: str
    differences: tuple[Difference, ...]
    modules: Mapping[str, str]
    module_scopes: frozenset[str]
    methods: Mapping[str, Replacement]

    def api_module(self, v1_module: str | None) -> str | None:
        """The API 2.0 name of a v1 module (`Potentials` -> `Deals`)."""
        if v1_module is None:
            return None
        return self.modules.get(v1_module, v1_module)

    def scope_segment(self, api_module: str) -> str:
        """The `ZohoCRM.modules.<segment>` part for a module API name."""
        segment = api_module.replace("_", "").lower()
        if segment in self.module_scopes or not _CUSTOM_MODULE.fullmatch(api_module):
            return segment
        return "custom"

    def replacement(self, method: str, v1_module: str | None) -> Replacement | None:
        """The replacement of `v1_module/method`, or None for a method the table lacks."""
        entry = self.methods.get(method)
        if entry is None:
            return None
        module = self.api_module(v1_module)
        fill = {
            "module": module or "<module>",
            "scope": self.scope_segment(module) if module else "<module>",
        }
        return dataclasses.replace(
            entry,
            module=module,
            path=_fill(entry.path, fill),
            scope=_fill(entry.scope, fill),
            notes=_fill(entry.notes, fill),
        )


def _fill(template: str, values: Mapping[str, str]) -> str:
    return re.sub(r"\{(module|scope)\}", lambda m: values[m.group(1)], template)


class _Reader:
    """Validates the raw table; every error names the file and the field."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, where: str, message: str) -> RuleError:
        return RuleError(f"{self.path}: {where}: {message}")

    def text(self, raw: Mapping[str, Any], key: str, where: str) -> str:
        value = raw.get(key)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(f"{where}{key}", "must be a non-empty string")
        return " ".join(value.split())

    def mapping(self, raw: Mapping[str, Any], key: str) -> dict[str, Any]:
        value = raw.get(key)
        if not isinstance(value, dict) or not value:
            raise self.fail(key, "must be a non-empty mapping")
        return value

    def method(self, name: str, raw: Any) -> Replacement:
        where = f"methods.{name}."
        if not isinstance(raw, dict):
            raise self.fail(f"methods.{name}", "must be a mapping")
        unknown = set(raw) - {"http", "path", "scope", "notes", "inferred"}
        if unknown:
            raise self.fail(f"{where}{sorted(unknown)[0]}", "unknown field")
        http = self.text(raw, "http", where)
        if http not in _HTTP_METHODS:
            raise self.fail(f"{where}http", f"must be one of {', '.join(_HTTP_METHODS)}")
        inferred = raw.get("inferred", False)
        if not isinstance(inferred, bool):
            raise self.fail(f"{where}inferred", "must be true or false")
        return Replacement(
            method=name,
            module=None,
            http=http,
            path=self.text(raw, "path", where),
            scope=self.text(raw, "scope", where),
            notes=self.text(raw, "notes", where),
            inferred=inferred,
        )

    def table(self, raw: Any) -> MigrationTable:
        if not isinstance(raw, dict):
            raise self.fail("(top)", "must be a mapping")
        differences = raw.get("differences")
        if not isinstance(differences, list) or not all(isinstance(d, dict) for d in differences):
            raise self.fail("differences", "must be a list of mappings")
        scopes = raw.get("module_scopes")
        if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes):
            raise self.fail("module_scopes", "must be a list of strings")
        modules = self.mapping(raw, "modules")
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in modules.items()):
            raise self.fail("modules", "must map v1 module names to API 2.0 names")
        return MigrationTable(
            current_version=self.text(raw, "current_version", ""),
            version_note=self.text(raw, "version_note", ""),
            api_domain=self.text(raw, "api_domain", ""),
            differences=tuple(
                Difference(
                    self.text(d, "title", f"differences[{i}]."),
                    self.text(d, "text", f"differences[{i}]."),
                )
                for i, d in enumerate(differences)
            ),
            modules=modules,
            module_scopes=frozenset(scopes),
            methods={
                name: self.method(name, entry)
                for name, entry in self.mapping(raw, "methods").items()
            },
        )


def table_path() -> Path:
    """The bundled table."""
    from zoho_v1_audit.resources import data_dir

    return data_dir("rules") / "migration" / "v1-to-v2.yaml"


@functools.cache
def load_table(path: Path | None = None) -> MigrationTable:
    """Read and validate the migration table (the bundled one unless `path` is given)."""
    path = path or table_path()
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise RuleError(f"{path}: cannot read: {exc.strerror}") from None
    return _Reader(path).table(parse_yaml(raw, path, RuleError))
