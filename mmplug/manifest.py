"""Reading ``plugin.json`` the way the Mattermost server does.

``load_manifest`` finds and parses the manifest and the server part mmplug needs to launch
a Python plugin (``server.executable`` resolved inside the plugin directory). Full validation
of every manifest rule (ids, versions, URLs, settings schema) lives in
``mmplug.bundle.validate`` and reports all findings at once.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mmplug._plugin_files import MANIFEST_NAMES, executable_for_platform
from mmplug.errors import ManifestError

ID_PATTERN = re.compile(r"^[a-zA-Z0-9-_.]+$")
ID_MIN, ID_MAX = 3, 190


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

    @property
    def plugin_dir(self) -> Path:
        return self.path.parent

    @property
    def executable_path(self) -> Path:
        return self.plugin_dir / self.executable

    @property
    def settings(self) -> list[dict[str, Any]]:
        """Every setting of ``settings_schema``, including those inside sections."""
        schema = self.raw.get("settings_schema") or {}
        settings = list(schema.get("settings") or [])
        for section in schema.get("sections") or []:
            settings.extend(section.get("settings") or [])
        return [s for s in settings if isinstance(s, dict)]

    def setting_defaults(self) -> dict[str, Any]:
        """The plugin configuration a fresh server gives: each setting's ``default``."""
        return {s["key"]: s["default"] for s in self.settings if "key" in s and "default" in s}


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


def _parse(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    if path.suffix in (".yml", ".yaml"):
        raise ManifestError(
            f"{path.name}: YAML manifests are not supported by mmplug yet",
            hint="convert it to plugin.json (the server reads either)",
        )
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ManifestError(
            f"{path}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}",
            hint="fix the syntax; `python -m json.tool plugin.json` shows the spot",
        ) from None
    if not isinstance(data, dict):
        raise ManifestError(f"{path}: the manifest must be a JSON object")
    return data


def load_manifest(plugin_dir: str | Path) -> Manifest:
    """Load and check the manifest of the plugin in ``plugin_dir`` for launching."""
    plugin_dir = Path(plugin_dir).resolve()
    path = find_manifest(plugin_dir)
    data = _parse(path)
    plugin_id = data.get("id")
    if not isinstance(plugin_id, str) or not plugin_id:
        raise ManifestError(f"{path}: `id` is missing", hint='add "id": "com.example.myplugin"')
    if not ID_PATTERN.match(plugin_id) or not ID_MIN <= len(plugin_id) <= ID_MAX:
        raise ManifestError(
            f"{path}: invalid plugin id {plugin_id!r}",
            hint=f"use {ID_MIN}-{ID_MAX} characters from a-z, A-Z, 0-9, '-', '_' and '.'",
        )
    server = data.get("server")
    if not isinstance(server, dict):
        raise ManifestError(
            f"{path}: no `server` section, so there is no server part to run",
            hint='add "server": {"executable": "plugin.py", "runtime": "python"}',
        )
    executable = executable_for_platform(server)
    if not executable:
        raise ManifestError(
            f"{path}: Python plugin executable not specified in manifest (`server.executable`)",
            hint='add "executable": "plugin.py" (a path inside the plugin directory) to "server"',
        )
    runtime = str(server.get("runtime") or "")
    if runtime != "python" and not executable.endswith(".py"):
        raise ManifestError(
            f"{path}: server.executable {executable!r} is not a Python plugin",
            hint='set "runtime": "python" in "server", or point executable at a .py file',
        )
    target = (plugin_dir / executable).resolve()
    if Path(executable).is_absolute() or not target.is_relative_to(plugin_dir):
        raise ManifestError(
            f"{path}: server.executable {executable!r} points outside the plugin directory",
            hint="use a relative path inside the plugin directory, without '..'",
        )
    if not target.is_file():
        raise ManifestError(
            f"{path}: server.executable {executable!r} does not exist",
            hint=f"create {executable} or fix the path in plugin.json",
        )
    return Manifest(
        path=path,
        id=plugin_id.lower(),  # the server lower-cases ids when it finds a manifest
        name=str(data.get("name") or ""),
        version=str(data.get("version") or ""),
        executable=executable,
        runtime=runtime or "python",
        raw=data,
    )
