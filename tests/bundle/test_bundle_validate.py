"""validate_manifest: every rule has a failing example, findings name the field and the fix."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from bundle_support import SAMPLE

from mmplug.bundle import Finding, validate_manifest

VALID: dict[str, Any] = json.loads((SAMPLE / "plugin.json").read_text())


def _with(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(VALID)
    for key, value in changes.items():
        if value is _DROP:
            data.pop(key, None)
        else:
            data[key] = value
    return data


_DROP = object()


def _setting(**fields: Any) -> dict[str, Any]:
    return _with(settings_schema={"settings": [
        {"key": "ok", "type": "text"}, {"key": "ok2", "type": "bool"}, {"key": "s", **fields}]})


def _errors(data: dict[str, Any]) -> list[Finding]:
    return [f for f in validate_manifest(data) if f.severity == "error"]


def test_the_sample_manifest_is_valid() -> None:
    assert validate_manifest(VALID) == []


BAD: list[tuple[str, dict[str, Any], str]] = [
    ("id missing", _with(id=_DROP), "id"),
    ("id pattern", _with(id="com.example/evil"), "id"),
    ("id with space", _with(id="my plugin"), "id"),
    ("id ending in a newline", _with(id="com.example.x\n"), "id"),  # Go's $: not before \n
    ("id too short", _with(id="ab"), "id"),
    ("id too long", _with(id="a" * 191), "id"),
    ("id not a string", _with(id=42), "id"),
    ("name missing", _with(name=_DROP), "name"),
    ("name blank", _with(name="   "), "name"),
    ("homepage_url scheme", _with(homepage_url="ftp://example.com"), "homepage_url"),
    ("support_url no host", _with(support_url="https://"), "support_url"),
    ("release_notes_url text", _with(release_notes_url="see the wiki"), "release_notes_url"),
    ("version with v", _with(version="v1.2.3"), "version"),
    ("version two parts", _with(version="1.2"), "version"),
    ("version leading zero", _with(version="01.2.3"), "version"),
    ("version ending in a newline", _with(version="1.2.3\n"), "version"),
    ("min_server_version loose", _with(min_server_version="10"), "min_server_version"),
    ("server missing", _with(server=_DROP), "server"),
    ("server not object", _with(server="plugin.py"), "server"),
    ("executable missing", _with(server={"runtime": "python"}), "server.executable"),
    ("executable absolute", _with(server={"executable": "/usr/bin/evil.py"}),
     "server.executable"),
    ("executable climbs out", _with(server={"executable": "../outside.py"}),
     "server.executable"),
    ("executables entry climbs out",
     _with(server={"executable": "plugin.py", "executables": {"linux-amd64": "../x.py"}}),
     "server.executables.linux-amd64"),
    ("runtime not python", _with(server={"executable": "plugin.py", "runtime": "go"}),
     "server.runtime"),
    ("icon_path climbs out", _with(icon_path="../icon.svg"), "icon_path"),
    ("webapp bundle path dot", _with(webapp={"bundle_path": "../main.js"}),
     "webapp.bundle_path"),
    ("settings_schema not object", _with(settings_schema=[]), "settings_schema"),
    ("settings not list", _with(settings_schema={"settings": {}}), "settings_schema.settings"),
    ("setting type unknown", _setting(type="colour"), "settings_schema.settings[2].type"),
    ("setting type missing", _setting(), "settings_schema.settings[2].type"),
    ("regenerate_help_text on text", _setting(type="text", regenerate_help_text="again"),
     "settings_schema.settings[2].regenerate_help_text"),
    ("placeholder on bool", _setting(type="bool", placeholder="yes?"),
     "settings_schema.settings[2].placeholder"),
    ("placeholder on radio", _setting(type="radio", placeholder="pick",
                                      options=[{"display_name": "A", "value": "a"}]),
     "settings_schema.settings[2].placeholder"),
    ("options on text", _setting(type="text", options=[{"display_name": "A", "value": "a"}]),
     "settings_schema.settings[2].options"),
    ("option without display_name", _setting(type="dropdown", options=[{"value": "a"}]),
     "settings_schema.settings[2].options[0].display_name"),
    ("option without value", _setting(type="radio", options=[{"display_name": "A"}]),
     "settings_schema.settings[2].options[0].value"),
    ("option empty value", _setting(type="radio", options=[{"display_name": "A", "value": ""}]),
     "settings_schema.settings[2].options[0].value"),
    ("options not a list", _setting(type="radio", options="a,b"),
     "settings_schema.settings[2].options"),
    ("section without key", _with(settings_schema={"sections": [{"settings": []}]}),
     "settings_schema.sections[0].key"),
    ("setting inside section", _with(settings_schema={"sections": [
        {"key": "main", "settings": [{"key": "x", "type": "nope"}]}]}),
     "settings_schema.sections[0].settings[0].type"),
]


@pytest.mark.parametrize(("data", "path"), [(d, p) for _, d, p in BAD],
                         ids=[name for name, _, _ in BAD])
def test_each_rule_has_a_failing_example(data: dict[str, Any], path: str) -> None:
    errors = _errors(data)
    assert [f.path for f in errors] == [path]
    assert errors[0].hint, "every finding says how to fix it"
    assert str(errors[0]).startswith(f"{path}: ")


@pytest.mark.parametrize("kind", ["generated", "text", "longtext", "number", "username",
                                  "custom"])
def test_placeholder_is_allowed_where_the_server_allows_it(kind: str) -> None:
    assert _errors(_setting(type=kind, placeholder="type here")) == []


def test_regenerate_help_text_is_fine_on_generated() -> None:
    assert _errors(_setting(type="generated", regenerate_help_text="new key")) == []


def test_all_errors_are_reported_at_once_in_server_order() -> None:
    data = _with(id="x", name="", homepage_url="nope", version="v1", min_server_version="7",
                 settings_schema={"settings": [{"type": "bool", "placeholder": "p"}],
                                  "sections": [{"title": "no key"}]})
    paths = [f.path for f in _errors(data)]
    assert paths == ["id", "name", "homepage_url", "version", "min_server_version",
                     "settings_schema.settings[0].placeholder", "settings_schema.sections[0].key"]


def test_semver_accepts_prerelease_and_build_metadata() -> None:
    assert _errors(_with(version="1.0.0-rc.1+build.5", min_server_version="10.11.0")) == []


def test_warnings_do_not_block() -> None:
    data = _setting(type="Bool")
    findings = validate_manifest(data)
    assert [(f.path, f.severity) for f in findings] == [
        ("settings_schema.settings[2].type", "warning")]


def test_not_an_object() -> None:
    assert [f.path for f in validate_manifest([])] == ["$"]  # type: ignore[arg-type]


def test_bitmap_icon_is_a_warning() -> None:
    assert [(f.path, f.severity) for f in validate_manifest(_with(icon_path="assets/i.png"))] == [
        ("icon_path", "warning")]
