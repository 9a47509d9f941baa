"""Reading and checking ``plugin.json`` the way the Mattermost server does: the one validator.

``validate_manifest`` returns every problem at once, each a :class:`Finding` naming the field as
a JSON path (``settings_schema.settings[2].type``), what is wrong and how to fix it. Each finding
carries two severities, because the server checks a manifest in two places:

* ``severity``: for ``mmplug bundle`` and ``bundle inspect`` -- the full ``Manifest.IsValid()``
  rules (the starter template's build and Marketplace tooling run them), so an ``error`` means
  "do not ship this";
* ``load``: for every command that runs the plugin (``fire``, ``run``, ``dev``, ``replay``, the
  pytest plugin) -- an ``error`` only where the server itself refuses the plugin: a manifest that
  does not decode into the server's types (``"settings": 5``), an invalid id (refused at
  install), a ``min_server_version`` it cannot parse (refused at activation), an executable or
  webapp path it rejects. The rest of ``IsValid()`` (a version like ``1.0``, a setting type
  ``txt``) is not checked when a plugin is installed or activated, so it is a ``warning`` there.

``load_manifest`` finds, parses and validates the manifest of a plugin directory for launching:
it raises :class:`ManifestError` listing every load error, and keeps the rest as
``Manifest.warnings``. ``mmplug.bundle`` re-exports ``validate_manifest`` and ``Finding``.
"""

from __future__ import annotations

import json
import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from mmplug._plugin_files import MANIFEST_NAMES, executable_for_platform
from mmplug.errors import ManifestError, read_text

ID_PATTERN = re.compile(r"^[a-zA-Z0-9-_.]+\Z")
ID_MIN, ID_MAX = 3, 190

Severity = Literal["error", "warning"]

SETTING_TYPES = (
    "bool", "dropdown", "generated", "radio", "text", "longtext", "number", "username", "custom",
)
PLACEHOLDER_TYPES = ("generated", "text", "longtext", "number", "username", "custom")
OPTION_TYPES = ("radio", "dropdown")
URL_FIELDS = ("homepage_url", "support_url", "release_notes_url")
KNOWN_PLATFORMS = ("linux-amd64", "linux-arm64", "darwin-amd64", "darwin-arm64", "windows-amd64")
# Plain-text fields the server decodes into Go strings: another JSON type fails the decoding.
_STRING_FIELDS = ("description",)
_SCHEMA_STRINGS = ("header", "footer")
_SECTION_STRINGS = ("title", "subtitle", "header", "footer", "fallback")
_SETTING_STRINGS = ("display_name", "help_text", "regenerate_help_text", "placeholder", "hosting")
_IDENT = r"(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)"
SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    rf"(?:-{_IDENT}(?:\.{_IDENT})*)?"
    r"(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?\Z"
)


def semver_core(text: str) -> tuple[int, int, int] | None:
    """``(major, minor, patch)`` of a strict semantic version, None for anything else."""
    match = SEMVER.match(text) if isinstance(text, str) else None
    return (int(match[1]), int(match[2]), int(match[3])) if match else None


@dataclass(frozen=True)
class Finding:
    """One manifest problem: where (JSON path), what, how to fix it, and how serious it is for
    bundling (``severity``) and for running the plugin (``load``; see the module docstring)."""

    path: str
    message: str
    hint: str = ""
    severity: Severity = "error"
    load: Severity = "warning"

    def __str__(self) -> str:
        text = f"{self.path}: {self.message}"
        return f"{text} (fix: {self.hint})" if self.hint else text

    def as_dict(self) -> dict[str, str]:
        return {"path": self.path, "message": self.message, "hint": self.hint,
                "severity": self.severity}


def _refused(path: str, message: str, hint: str = "") -> Finding:
    """A problem the server refuses the plugin for (an error everywhere)."""
    return Finding(path, message, hint, "error", "error")


def errors_only(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity == "error"]


def manifest_error(path: Path, problems: list[Finding], hint: str) -> ManifestError:
    """One error listing every problem, in the words every command uses."""
    return ManifestError(
        f"{path}: {len(problems)} problem(s) in the manifest",
        details="\n".join(f"  {f}" for f in problems),
        hint=hint,
    )


@dataclass(frozen=True)
class Manifest:
    """The parts of a plugin manifest mmplug acts on, plus the raw document."""

    path: Path
    id: str
    name: str
    version: str
    executable: str
    runtime: str
    raw: dict[str, Any] = field(repr=False)
    # what the server would accept but bundling refuses or frowns on (said once at load)
    warnings: tuple[Finding, ...] = field(default=(), repr=False)

    @property
    def plugin_dir(self) -> Path:
        return self.path.parent

    @property
    def executable_path(self) -> Path:
        return self.plugin_dir / self.executable

    @property
    def settings(self) -> list[dict[str, Any]]:
        """Every setting of ``settings_schema`` that is an object with a string key, including
        those inside sections (whatever else the schema holds is skipped, never a crash)."""
        schema = self.raw.get("settings_schema")
        if not isinstance(schema, dict):
            return []
        groups = [schema.get("settings")]
        sections = schema.get("sections")
        if isinstance(sections, list):
            groups += [s.get("settings") for s in sections if isinstance(s, dict)]
        return [s for group in groups if isinstance(group, list) for s in group
                if isinstance(s, dict) and isinstance(s.get("key"), str)]

    def setting_defaults(self) -> dict[str, Any]:
        """The plugin configuration a fresh server gives: each setting's ``default``."""
        return {s["key"]: s["default"] for s in self.settings if "default" in s}


def find_manifest(plugin_dir: Path) -> Path:
    for name in MANIFEST_NAMES:
        candidate = plugin_dir / name
        if candidate.is_file():
            return candidate
    if not plugin_dir.is_dir():
        raise ManifestError(
            f"{plugin_dir} is not a directory" if plugin_dir.exists()
            else f"there is no directory {plugin_dir}",
            hint="give the directory of a plugin project (the one with plugin.json), "
            "or create one with `mmplug new <plugin-id>`",
        )
    raise ManifestError(
        f"no plugin.json in {plugin_dir}",
        hint="run mmplug in a plugin project (a directory with plugin.json), "
        "or create one with `mmplug new <plugin-id>`",
    )


def read_json(path: Path) -> Any:
    """The parsed manifest file (any JSON value; YAML is refused with a hint)."""
    if path.suffix in (".yml", ".yaml"):
        raise ManifestError(
            f"{path.name}: YAML manifests are not supported by mmplug yet",
            hint="convert it to plugin.json (the server reads either)",
        )
    from mmplug._json import JSONDepthError, loads

    try:
        return loads(read_text(path, error=ManifestError), constants=False)
    except json.JSONDecodeError as exc:
        raise ManifestError(
            f"{path}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}",
            hint="fix the syntax; `python -m json.tool plugin.json` shows the spot",
        ) from None
    except JSONDepthError as exc:
        raise ManifestError(f"{path}: the manifest is {exc}",
                            hint="a manifest nests a few levels; remove the deep value") from None


def load_manifest(plugin_dir: str | Path) -> Manifest:
    """Load and check the manifest of the plugin in ``plugin_dir`` for launching: every
    problem the server refuses a plugin for is raised at once; the others become warnings."""
    plugin_dir = Path(plugin_dir).resolve()
    path = find_manifest(plugin_dir)
    data = read_json(path)
    findings = validate_manifest(data)
    if isinstance(data, dict) and not any(f.load == "error" for f in findings):
        findings += _launch_findings(plugin_dir, data)
    refused = [f for f in findings if f.load == "error"]
    if refused:
        raise manifest_error(path, refused, "fix every field listed above (the server would "
                             "refuse this plugin), then run mmplug again")
    server = data["server"]
    executable = executable_for_platform(server)
    return Manifest(
        path=path,
        id=str(data["id"]).lower(),  # the server lower-cases ids when it finds a manifest
        name=str(data.get("name") or ""),
        version=str(data.get("version") or ""),
        executable=executable,
        runtime=str(server.get("runtime") or "python"),
        raw=data,
        warnings=tuple(f for f in findings if f.load == "warning"),
    )


def _launch_findings(plugin_dir: Path, data: dict[str, Any]) -> list[Finding]:
    """What running the plugin here needs beyond the manifest rules: a Python executable for
    this platform, inside the plugin directory (symlinks resolved), that exists."""
    server = data["server"]
    executable = executable_for_platform(server)
    where = "server.executable"
    if executable != server.get("executable"):
        where = next((f"server.executables.{k}" for k, v in server["executables"].items()
                      if v == executable), where)
    if server.get("runtime") not in (None, "", "python") and not executable.endswith(".py"):
        return [_refused(where, f"{executable!r} is not a Python plugin",
                         'set "runtime": "python" in "server", or point it at a .py file')]
    target = (plugin_dir / executable).resolve()
    if not target.is_relative_to(plugin_dir):
        return [_refused(where, f"{executable!r} points outside the plugin directory",
                         "use a relative path inside the plugin directory, without '..'")]
    try:
        exists = target.is_file()
    except OSError as exc:  # a name too long for the file system, say
        return [_refused(where, f"{executable!r} cannot be opened: {exc.strerror}",
                         "point it at the plugin's .py file with a shorter path")]
    if not exists:
        return [_refused(where, f"{executable!r} does not exist",
                         f"create {executable} or fix the path in plugin.json")]
    return []


# -- the rules ---------------------------------------------------------------------------------
def validate_manifest(data: Any) -> list[Finding]:
    """Every problem the server (and a Python plugin launch) would find in ``data``. Checks run
    in the server's order: id, name, URLs, version, min_server_version, the server part, then
    the settings schema (each setting, then each section)."""
    if not isinstance(data, dict):
        return [_refused("$", f"the manifest must be a JSON object, not {_kind(data)}",
                         "wrap the fields in { }")]
    out: list[Finding] = []
    _check_id(data.get("id"), out)
    _check_name(data.get("name"), out)
    for key in _STRING_FIELDS:
        _check_string(key, data.get(key), out)
    for key in URL_FIELDS:
        _check_url(data, key, out)
    _check_semver(data, "version", out, load="warning")  # the server runs any version string
    _check_semver(data, "min_server_version", out, load="error")  # parsed at activation
    _check_server(data.get("server"), out)
    _check_icon(data.get("icon_path"), out)
    _check_webapp(data.get("webapp"), out)
    if "props" in data and data["props"] is not None and not isinstance(data["props"], dict):
        out.append(_refused("props", f"must be an object, not {_kind(data['props'])}",
                            'use "props": {"key": "value"}, or remove it'))
    _check_schema(data.get("settings_schema"), out)
    return out


def _check_string(where: str, value: Any, out: list[Finding]) -> bool:
    """A field the server decodes into a string (absent or null is fine); False if it is not."""
    if value is None or isinstance(value, str):
        return True
    out.append(_refused(where, f"must be a string, not {_kind(value)}",
                        "write it as a JSON string"))
    return False


def _check_id(value: Any, out: list[Finding]) -> None:
    hint = f"use {ID_MIN}-{ID_MAX} characters from a-z, A-Z, 0-9, '-', '_' and '.'"
    if value is None or value == "":
        out.append(_refused("id", "is required", f'add "id": "com.example.myplugin"; {hint}'))
    elif not isinstance(value, str):
        out.append(_refused("id", f"must be a string, not {_kind(value)}", hint))
    elif not ID_PATTERN.match(value):
        out.append(_refused("id", f"{value!r} contains characters the server rejects", hint))
    elif not ID_MIN <= len(value) <= ID_MAX:
        out.append(_refused("id", f"{value!r} is {len(value)} characters long", hint))


def _check_name(value: Any, out: list[Finding]) -> None:
    if not _check_string("name", value, out):
        return
    if not isinstance(value, str) or not value.strip():
        what = "is required" if value in (None, "") else "must be a non-blank string"
        out.append(Finding("name", what, 'add a human-readable name, e.g. "name": "My Plugin"'))


def _check_url(data: dict[str, Any], key: str, out: list[Finding]) -> None:
    from urllib.parse import urlsplit

    value = data.get(key)
    if value is None or value == "":
        return
    hint = "use a full http:// or https:// URL, or remove the field"
    if not isinstance(value, str):
        out.append(_refused(key, f"must be a string, not {_kind(value)}", hint))
        return
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or " " in value:
        out.append(Finding(key, f"{value!r} is not a valid http(s) URL", hint))


def _check_semver(data: dict[str, Any], key: str, out: list[Finding], load: Severity) -> None:
    value = data.get(key)
    if value is None or value == "":
        return
    hint = "use strict semantic versioning MAJOR.MINOR.PATCH, e.g. 1.2.0 (no 'v' prefix)"
    if not isinstance(value, str):
        out.append(_refused(key, f"must be a string, not {_kind(value)}", hint))
    elif not SEMVER.match(value):
        extra = " (drop the leading 'v')" if value[:1] in "vV" else ""
        out.append(Finding(key, f"{value!r} is not a strict semantic version{extra}", hint,
                           "error", load))


def _check_server(server: Any, out: list[Finding]) -> None:
    if server is None:
        out.append(_refused("server", "is missing, so there is no Python server part to run",
                            'add "server": {"executable": "plugin.py", "runtime": "python"}'))
        return
    if not isinstance(server, dict):
        out.append(_refused("server", f"must be an object, not {_kind(server)}",
                            'use "server": {"executable": "plugin.py", "runtime": "python"}'))
        return
    executables = server.get("executables")
    if executables is not None and not isinstance(executables, dict):
        out.append(_refused("server.executables", "must be an object mapping platform to path",
                            'e.g. {"linux-amd64": "plugin.py"}, or remove it'))
        executables = None
    for platform, path in (executables or {}).items():
        where = f"server.executables.{platform}"
        if platform not in KNOWN_PLATFORMS:
            out.append(Finding(where, f"unknown platform {platform!r}",
                               f"use one of {', '.join(KNOWN_PLATFORMS)}", "warning"))
        _check_relpath(where, path, out, load="error")
    exe = server.get("executable")
    if exe is None or exe == "":
        out.append(_refused("server.executable", "Python plugin executable not specified",
                            'add "executable": "plugin.py" (a path inside the plugin directory)'))
    else:
        _check_relpath("server.executable", exe, out, load="error")
    runtime = server.get("runtime")
    if _check_string("server.runtime", runtime, out) and runtime not in (None, "", "python"):
        # the server still runs a .py executable as Python; bundling writes "python"
        out.append(Finding("server.runtime", f"{runtime!r} is not a Python runtime",
                           'set "runtime": "python" (mmplug bundles Python plugins)'))
    _check_python_version(server.get("python_version"), out)


def _check_python_version(value: Any, out: list[Finding]) -> None:
    """``server.python_version``: the server ignores it; ``mmplug bundle`` vendors for it."""
    if value is None or value == "":
        return
    try:
        python_versions(value)
    except PythonVersionError as exc:
        out.append(Finding("server.python_version", exc.message, exc.hint))


# -- server.python_version -------------------------------------------------------------------
OLDEST_PYTHON_MINOR = 10  # the SDK runtime needs 3.10
NEWEST_PYTHON_MINOR = 14  # the newest CPython the pinned grpcio ships wheels for
_CLAUSE = re.compile(r"^(~=|==|!=|<=|>=|<|>)?\s*(\d+(?:\.\d+){0,2})(\.\*)?$")


class PythonVersionError(ValueError):
    """``server.python_version`` names nothing mmplug can vendor for."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


def vendorable_pythons() -> list[str]:
    """Every CPython ``X.Y`` mmplug can vendor dependencies for."""
    return [f"3.{m}" for m in range(OLDEST_PYTHON_MINOR, NEWEST_PYTHON_MINOR + 1)]


def python_versions(spec: Any) -> list[str]:
    """The CPython versions (``X.Y``, oldest first) that ``server.python_version`` names and
    mmplug can vendor for: a version (``"3.11"``, ``"3.11.4"``: that minor only) or a
    specifier (``">=3.10"``, ``">=3.10,<3.13"``, ``"==3.*"``, ``"~=3.11"``: every minor of
    3.10 to 3.14 with a release that matches it). Raises :class:`PythonVersionError`."""
    span = f"3.{OLDEST_PYTHON_MINOR} to 3.{NEWEST_PYTHON_MINOR}"
    hint = f'write one version or a range of CPython {span}, e.g. "3.11" or ">=3.10"'
    if not isinstance(spec, str):
        raise PythonVersionError(f"must be a string, not {_kind(spec)}", hint)
    text = spec.strip()
    bare = re.fullmatch(r"(\d+)\.(\d+)(?:\.\d+)?", text)
    if bare:
        version = f"{bare.group(1)}.{bare.group(2)}"
        if version not in vendorable_pythons():
            raise PythonVersionError(
                f"{spec!r}: mmplug cannot vendor for CPython {version} (the SDK runs on "
                f"CPython {span})", hint)
        return [version]
    clauses = []
    for part in text.split(","):
        match = _CLAUSE.match(part.strip())
        if not match or (match.group(3) and match.group(1) not in (None, "==", "!=")):
            raise PythonVersionError(
                f"{spec!r} is neither a version (3.11) nor a version specifier (>=3.10)", hint)
        op, numbers = match.group(1) or "==", tuple(int(n) for n in match.group(2).split("."))
        # names minors: "!=3.12" leaves out all of 3.12, not only 3.12.0 (as "!=3.12.*")
        prefix = bool(match.group(3)) or (op in ("==", "!=") and len(numbers) < 3)
        clauses.append((op, numbers, prefix))
    found = [f"3.{m}" for m in range(OLDEST_PYTHON_MINOR, NEWEST_PYTHON_MINOR + 1)
             if any(all(_matches((3, m, patch), *c) for c in clauses) for patch in range(50))]
    if not found:
        raise PythonVersionError(
            f"{spec!r} names no CPython version mmplug can vendor for (CPython {span})", hint)
    return found


def _matches(version: tuple[int, int, int], op: str, bound: tuple[int, ...],
             wildcard: bool) -> bool:
    if wildcard or op == "~=":  # a prefix match: ==3.*, !=3.12, ~=3.11 (>=3.11, ==3.*)
        prefix = bound[:-1] if op == "~=" else bound
        same = version[:len(prefix)] == prefix
        if op == "~=":
            return same and version >= _pad(bound)
        return same if op == "==" else not same
    bound3 = _pad(bound)
    return {"==": version == bound3, "!=": version != bound3, "<": version < bound3,
            "<=": version <= bound3, ">": version > bound3, ">=": version >= bound3}[op]


def _pad(numbers: tuple[int, ...]) -> tuple[int, int, int]:
    a, b, c = (*numbers, 0, 0)[:3]
    return (a, b, c)


def _check_relpath(where: str, value: Any, out: list[Finding], load: Severity) -> None:
    hint = "use a relative path inside the plugin directory, without '..'"
    if not isinstance(value, str):
        out.append(_refused(where, f"must be a string path, not {_kind(value)}", hint))
        return
    clean = posixpath.normpath(value.replace("\\", "/"))
    if "\0" in value:  # no file system takes it: the server could not start the plugin
        out.append(Finding(where, f"{value!r} contains a NUL character", hint, "error", load))
    elif value.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", value):
        out.append(Finding(where, f"{value!r} is an absolute path", hint, "error", load))
    elif clean == ".." or clean.startswith("../"):
        out.append(Finding(where, f"{value!r} points outside the plugin directory", hint,
                           "error", load))


def _check_icon(value: Any, out: list[Finding]) -> None:
    if value is None or value == "":
        return
    _check_relpath("icon_path", value, out, load="warning")  # only the Marketplace reads it
    if isinstance(value, str) and not value.lower().endswith(".svg"):
        out.append(Finding("icon_path", f"{value!r} is not an SVG file",
                           "the Marketplace shows SVG icons only; convert it to .svg",
                           "warning"))


def _check_webapp(webapp: Any, out: list[Finding]) -> None:
    if webapp is None:
        return
    if not isinstance(webapp, dict):
        out.append(_refused("webapp", f"must be an object, not {_kind(webapp)}",
                            'use "webapp": {"bundle_path": "webapp/dist/main.js"}'))
        return
    path = webapp.get("bundle_path")
    if not _check_string("webapp.bundle_path", path, out):
        return
    hint = 'use a path like "webapp/dist/main.js"'
    if not path:  # the server refuses to activate a webapp without a bundle path
        out.append(_refused("webapp.bundle_path", "is required when there is a webapp", hint))
    elif posixpath.normpath(path).startswith("."):
        out.append(_refused("webapp.bundle_path", f"{path!r} must not start with '.'", hint))


def _check_schema(schema: Any, out: list[Finding]) -> None:
    if schema is None:
        return
    if not isinstance(schema, dict):
        out.append(_refused("settings_schema", f"must be an object, not {_kind(schema)}",
                            'use {"settings": [...]}'))
        return
    for key in _SCHEMA_STRINGS:
        _check_string(f"settings_schema.{key}", schema.get(key), out)
    seen: dict[str, str] = {}
    _check_settings("settings_schema.settings", schema.get("settings"), seen, out)
    sections = schema.get("sections")
    if sections is None:
        return
    if not isinstance(sections, list):
        out.append(_refused("settings_schema.sections",
                            f"must be a list of section objects, not {_kind(sections)}",
                            'use "sections": [{"key": "...", "settings": [...]}]'))
        return
    for i, section in enumerate(sections):
        where = f"settings_schema.sections[{i}]"
        if not isinstance(section, dict):
            out.append(_refused(where, f"must be an object, not {_kind(section)}",
                                'use {"key": "...", "settings": [...]}'))
            continue
        for key in _SECTION_STRINGS:
            _check_string(f"{where}.{key}", section.get(key), out)
        _check_settings(f"{where}.settings", section.get("settings"), seen, out)
        section_key = section.get("key")
        if _check_string(f"{where}.key", section_key, out) and not section_key:
            out.append(Finding(f"{where}.key", "a section needs a key",
                               'add "key": "a-unique-section-key"'))


def _check_settings(
    where: str, settings: Any, seen: dict[str, str], out: list[Finding]
) -> None:
    if settings is None:
        return
    if not isinstance(settings, list):
        out.append(_refused(where, f"must be a list of setting objects, not {_kind(settings)}",
                            'use "settings": [{"key": "...", "type": "text"}]'))
        return
    for i, setting in enumerate(settings):
        path = f"{where}[{i}]"
        if not isinstance(setting, dict):
            out.append(_refused(path, f"must be an object, not {_kind(setting)}",
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
    _check_string(f"{path}.key", setting.get("key"), out)
    for key in _SETTING_STRINGS:
        _check_string(f"{path}.{key}", setting.get(key), out)
    raw_type = setting.get("type")
    if not _check_string(f"{path}.type", raw_type, out):
        return
    kind = raw_type or ""
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
    if not isinstance(options, list):
        out.append(_refused(f"{path}.options", "must be a list of {display_name, value} objects",
                            'use [{"display_name": "Red", "value": "red"}]'))
        return
    if kind not in OPTION_TYPES:
        out.append(Finding(f"{path}.options", f"is only allowed for radio or dropdown, not {kind}",
                           "remove options, or change the type to radio or dropdown"))
        return
    for j, option in enumerate(options):
        _check_option(f"{path}.options[{j}]", option, out)


def _check_option(path: str, option: Any, out: list[Finding]) -> None:
    if not isinstance(option, dict):
        out.append(_refused(path, f"must be an object, not {_kind(option)}",
                            'use {"display_name": "Red", "value": "red"}'))
        return
    for name in ("display_name", "value"):
        value = option.get(name)
        if value is None or value == "":
            out.append(Finding(f"{path}.{name}", f"every option needs a {name}",
                               f'set a non-empty string "{name}"'))
        elif not isinstance(value, str):
            out.append(_refused(f"{path}.{name}", f"must be a string, not {_kind(value)}",
                                f'write the {name} as a JSON string'))


def _kind(value: Any) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean",
             int: "a number", float: "a number", type(None): "null"}
    return names.get(type(value), type(value).__name__)
