"""What a plugin directory says about launching it, without heavy imports.

A cold ``mmplug fire`` starts the plugin's interpreter before anything else (see
:mod:`mmplug.cli._fire_prefetch`); this module gives it the manifest's file names and executable
for the cost of ``json``. :mod:`mmplug.manifest` builds on it and validates everything.
"""

from __future__ import annotations

import json
import os

TYPE_CHECKING = False  # typing is imported after a cold fire has started the plugin
if TYPE_CHECKING:
    from typing import Any

MANIFEST_NAMES = ("plugin.yaml", "plugin.yml", "plugin.json")  # the server prefers YAML


def is_plugin_dir(folder: str) -> bool:
    """Whether ``folder`` is a directory with a plugin manifest in it."""
    return os.path.isdir(folder) and any(os.path.isfile(os.path.join(folder, name))
                                         for name in MANIFEST_NAMES)


def system_and_machine() -> tuple[str, str]:
    """("linux", "x86_64") and the like; os.uname where there is one (the platform module
    costs a few milliseconds of every command's start)."""
    if hasattr(os, "uname"):
        info = os.uname()
        return info.sysname.lower(), info.machine.lower()
    import platform

    return platform.system().lower(), platform.machine().lower()


def executable_for_platform(server: dict[str, Any]) -> str:
    """``server.executables[<os>-<arch>]`` if present, else ``server.executable``."""
    system, arch = system_and_machine()
    machine = {"x86_64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(arch, arch)
    key = f"{system}-{machine}"
    executables = server.get("executables") or {}
    if isinstance(executables, dict) and isinstance(executables.get(key), str):
        return str(executables[key])
    value = server.get("executable") or ""
    return value if isinstance(value, str) else ""


def quick_launch_target(folder: str) -> tuple[str, str] | None:
    """``(plugin directory, executable)`` as :func:`mmplug.manifest.load_manifest` would give
    them for a plugin.json that is fine, or None for anything else (no manifest, YAML, bad
    JSON, no executable): the real launch then reports the problem."""
    plugin_dir = os.path.realpath(folder)
    for name in MANIFEST_NAMES:
        path = os.path.join(plugin_dir, name)
        if os.path.isfile(path):
            break
    else:
        return None
    if not path.endswith(".json"):
        return None
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        return None
    server = data.get("server") if isinstance(data, dict) else None
    executable = executable_for_platform(server) if isinstance(server, dict) else ""
    if not executable or not os.path.isfile(os.path.join(plugin_dir, executable)):
        return None
    return plugin_dir, executable
