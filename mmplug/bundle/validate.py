"""Manifest validation that mirrors the server's ``Manifest.IsValid`` checks.

``validate_manifest`` never stops at the first problem: it returns every finding at once,
each naming the field as a JSON path (``settings_schema.settings[2].type``) and saying how
to fix it. Checks run in the server's order: id, name, URLs, version, min_server_version,
the server part, then the settings schema (each setting, then each section).
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

from mmplug.manifest import ID_MAX, ID_MIN, ID_PATTERN

Severity = Literal["error", "warning"]

SETTING_TYPES = (
    "bool", "dropdown", "generated", "radio", "text", "longtext", "number", "username", "custom",
)
PLACEHOLDER_TYPES = ("generated", "text", "longtext", "number", "username", "custom")
OPTION_TYPES = ("radio", "dropdown")
URL_FIELDS = ("homepage_url", "support_url", "release_notes_url")
KNOWN_PLATFORMS = ("linux-amd64", "linux-arm64", "darwin-amd64", "darwin-arm64", "windows-amd64")
_IDENT = r"(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)"
SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    rf"(?:-{_IDENT}(?:\.{_IDENT})*)?"
    r"(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$"
)


@dataclass(frozen=True)
class Finding:
    """One manifest problem: where (JSON path), what, and how to fix it."""

    path: str
    message: str
    hint: str = ""
    severity: Severity = "error"

    def __str__(self) -> str:
        text = f"{self.path}: {self.message}"
        return f"{text} (fix: {self.hint})" if self.hint else text

    def as_dict(self) -> dict[str, str]:
        return {"path": self.path, "message": self.message, "hint": self.hint,
                "severity": self.severity}


def errors_only(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity == "error"]


def validate_manifest(data: dict[str, Any]) -> list[Finding]:
    """Every problem the server (and a Python plugin launch) would find in ``data``."""
    if not isinstance(data, dict):
        return [Finding("$", "the manifest must be a JSON object", "wrap the fields in { }")]
    out: list[Finding] = []
    _check_id(data.get("id"), out)
    _check_name(data.get("name"), out)
    for key in URL_FIELDS:
        _check_url(data, key, out)
    _check_semver(data, "version", out)
    _check_semver(data, "min_server_version", out)
    _check_server(data.get("server"), out)
    _check_icon(data.get("icon_path"), out)
    _check_webapp(data.get("webapp"), out)
    _check_schema(data.get("settings_schema"), out)
    return out


def _check_id(value: Any, out: list[Finding]) -> None:
    hint = f"use {ID_MIN}-{ID_MAX} characters from a-z, A-Z, 0-9, '-', '_' and '.'"
    if value is None or value == "":
        out.append(Finding("id", "is required", f'add "id": "com.example.myplugin"; {hint}'))
    elif not isinstance(value, str):
        out.append(Finding("id", f"must be a string, not {_kind(value)}", hint))
    elif not ID_PATTERN.match(value):
        out.append(Finding("id", f"{value!r} contains characters the server rejects", hint))
    elif not ID_MIN <= len(value) <= ID_MAX:
        out.append(Finding("id", f"{value!r} is {len(value)} characters long", hint))


def _check_name(value: Any, out: list[Finding]) -> None:
    if not isinstance(value, str) or not value.strip():
        what = "is required" if value in (None, "") else "must be a non-blank string"
        out.append(Finding("name", what, 'add a human-readable name, e.g. "name": "My Plugin"'))


def _check_url(data: dict[str, Any], key: str, out: list[Finding]) -> None:
    value = data.get(key)
    if value is None or value == "":
        return
    hint = "use a full http:// or https:// URL, or remove the field"
    if not isinstance(value, str):
        out.append(Finding(key, f"must be a string, not {_kind(value)}", hint))
        return
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or " " in value:
        out.append(Finding(key, f"{value!r} is not a valid http(s) URL", hint))


def _check_semver(data: dict[str, Any], key: str, out: list[Finding]) -> None:
    value = data.get(key)
    if value is None or value == "":
        return
    hint = "use strict semantic versioning MAJOR.MINOR.PATCH, e.g. 1.2.0 (no 'v' prefix)"
    if not isinstance(value, str):
        out.append(Finding(key, f"must be a string, not {_kind(value)}", hint))
    elif not SEMVER.match(value):
        extra = " (drop the leading 'v')" if value[:1] in "vV" else ""
        out.append(Finding(key, f"{value!r} is not a strict semantic version{extra}", hint))


def _check_server(server: Any, out: list[Finding]) -> None:
    if server is None:
        out.append(Finding("server", "is missing, so the bundle has no Python server part",
                           'add "server": {"executable": "plugin.py", "runtime": "python"}'))
        return
    if not isinstance(server, dict):
        out.append(Finding("server", f"must be an object, not {_kind(server)}",
                           'use "server": {"executable": "plugin.py", "runtime": "python"}'))
        return
    executables = server.get("executables")
    if executables is not None and not isinstance(executables, dict):
        out.append(Finding("server.executables", "must be an object mapping platform to path",
                           'e.g. {"linux-amd64": "plugin.py"}, or remove it'))
        executables = None
    for platform, path in (executables or {}).items():
        where = f"server.executables.{platform}"
        if platform not in KNOWN_PLATFORMS:
            out.append(Finding(where, f"unknown platform {platform!r}",
                               f"use one of {', '.join(KNOWN_PLATFORMS)}", "warning"))
        _check_relpath(where, path, out)
    exe = server.get("executable")
    if exe is None or exe == "":
        out.append(Finding("server.executable", "Python plugin executable not specified",
                           'add "executable": "plugin.py" (a path inside the plugin directory)'))
    else:
        _check_relpath("server.executable", exe, out)
    runtime = server.get("runtime")
    if runtime not in (None, "", "python"):
        out.append(Finding("server.runtime", f"{runtime!r} is not a Python runtime",
                           'set "runtime": "python" (mmplug bundles Python plugins)'))


def _check_relpath(where: str, value: Any, out: list[Finding]) -> None:
    hint = "use a relative path inside the plugin directory, without '..'"
    if not isinstance(value, str):
        out.append(Finding(where, f"must be a string path, not {_kind(value)}", hint))
        return
    clean = posixpath.normpath(value.replace("\\", "/"))
    if value.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", value):
        out.append(Finding(where, f"{value!r} is an absolute path", hint))
    elif clean == ".." or clean.startswith("../"):
        out.append(Finding(where, f"{value!r} points outside the plugin directory", hint))


def _check_icon(value: Any, out: list[Finding]) -> None:
    if value is None or value == "":
        return
    _check_relpath("icon_path", value, out)
    if isinstance(value, str) and not value.lower().endswith(".svg"):
        out.append(Finding("icon_path", f"{value!r} is not an SVG file",
                           "the Marketplace shows SVG icons only; convert it to .svg",
                           "warning"))


def _check_webapp(webapp: Any, out: list[Finding]) -> None:
    if webapp is None:
        return
    if not isinstance(webapp, dict):
        out.append(Finding("webapp", f"must be an object, not {_kind(webapp)}",
                           'use "webapp": {"bundle_path": "webapp/dist/main.js"}'))
        return
    path = webapp.get("bundle_path")
    if isinstance(path, str) and posixpath.normpath(path).startswith("."):
        out.append(Finding("webapp.bundle_path", f"{path!r} must not start with '.'",
                           'use a path like "webapp/dist/main.js"'))


def _check_schema(schema: Any, out: list[Finding]) -> None:
    if schema is None:
        return
    if not isinstance(schema, dict):
        out.append(Finding("settings_schema", f"must be an object, not {_kind(schema)}",
                           'use {"settings": [...]}'))
        return
    seen: dict[str, str] = {}
    _check_settings("settings_schema.settings", schema.get("settings"), seen, out)
    sections = schema.get("sections")
    if sections is None:
        return
    if not isinstance(sections, list):
        out.append(Finding("settings_schema.sections", "must be a list of section objects",
                           'use "sections": [{"key": "...", "settings": [...]}]'))
        return
    for i, section in enumerate(sections):
        where = f"settings_schema.sections[{i}]"
        if not isinstance(section, dict):
            out.append(Finding(where, f"must be an object, not {_kind(section)}",
                               'use {"key": "...", "settings": [...]}'))
            continue
        _check_settings(f"{where}.settings", section.get("settings"), seen, out)
        key = section.get("key")
        if not isinstance(key, str) or not key:
            out.append(Finding(f"{where}.key", "a section needs a key",
                               'add "key": "a-unique-section-key"'))


def _check_settings(
    where: str, settings: Any, seen: dict[str, str], out: list[Finding]
) -> None:
    if settings is None:
        return
    if not isinstance(settings, list):
        out.append(Finding(where, f"must be a list of setting objects, not {_kind(settings)}",
                           'use "settings": [{"key": "...", "type": "text"}]'))
        return
    for i, setting in enumerate(settings):
        path = f"{where}[{i}]"
        if not isinstance(setting, dict):
            out.append(Finding(path, f"must be an object, not {_kind(setting)}",
                               'use {"key": "...", "type": "text", "display_name": "..."}'))
            continue
        _check_setting(path, setting, out)
        key = setting.get("key")
        if isinstance(key, str) and key:
            folded = key.lower()  # the server stores plugin settings case-insensitively
            if folded in seen:
                out.append(Finding(f"{path}.key", f"{key!r} is also used at {seen[folded]}",
                                   "give every setting a unique key", "warning"))
            else:
                seen[folded] = path


def _check_setting(path: str, setting: dict[str, Any], out: list[Finding]) -> None:
    raw_type = setting.get("type")
    kind = raw_type if isinstance(raw_type, str) else ""
    types = ", ".join(SETTING_TYPES)
    if kind not in SETTING_TYPES:
        if kind.lower() in SETTING_TYPES:
            out.append(Finding(f"{path}.type", f"{raw_type!r} should be lower case",
                               f'write "{kind.lower()}"', "warning"))
            kind = kind.lower()
        else:
            shown = "missing" if raw_type is None else f"{raw_type!r}"
            out.append(Finding(f"{path}.type", f"invalid setting type ({shown})",
                               f"use one of: {types}"))
            return
    if setting.get("regenerate_help_text") and kind != "generated":
        out.append(Finding(f"{path}.regenerate_help_text",
                           f"is only allowed for type generated, not {kind}",
                           "remove it, or change the type to generated"))
    if setting.get("placeholder") and kind not in PLACEHOLDER_TYPES:
        out.append(Finding(f"{path}.placeholder", f"is not allowed for type {kind}",
                           f"remove it (placeholders work for {', '.join(PLACEHOLDER_TYPES)})"))
    options = setting.get("options")
    if options is None:
        return
    if kind not in OPTION_TYPES:
        out.append(Finding(f"{path}.options", f"is only allowed for radio or dropdown, not {kind}",
                           "remove options, or change the type to radio or dropdown"))
        return
    if not isinstance(options, list):
        out.append(Finding(f"{path}.options", "must be a list of {display_name, value} objects",
                           'use [{"display_name": "Red", "value": "red"}]'))
        return
    for j, option in enumerate(options):
        _check_option(f"{path}.options[{j}]", option, out)


def _check_option(path: str, option: Any, out: list[Finding]) -> None:
    if not isinstance(option, dict):
        out.append(Finding(path, f"must be an object, not {_kind(option)}",
                           'use {"display_name": "Red", "value": "red"}'))
        return
    for field in ("display_name", "value"):
        value = option.get(field)
        if value is None or value == "":
            out.append(Finding(f"{path}.{field}", f"every option needs a {field}",
                               f'set a non-empty string "{field}"'))
        elif not isinstance(value, str):
            out.append(Finding(f"{path}.{field}", f"must be a string, not {_kind(value)}",
                               f'write the {field} as a JSON string'))


def _kind(value: Any) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean",
             int: "a number", float: "a number", type(None): "null"}
    return names.get(type(value), type(value).__name__)
