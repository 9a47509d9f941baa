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


def find_project(start: str = ".") -> str | None:
    """The nearest directory at or above ``start`` that holds a plugin manifest (absolute), or
    None: how every command and the pytest plugin find the project they were not given."""
    folder = os.path.abspath(start)
    while True:
        if is_plugin_dir(folder):
            return folder
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent


def project_dir(path: str | os.PathLike[str] | None = None) -> str:
    """The project a command works on: ``path`` itself, which must hold a manifest, or without
    ``path`` the nearest directory holding one from the current directory upward (see
    docs/cli.md). Anything else is a :class:`~mmplug.errors.ManifestError` saying where it
    looked and how to go on."""
    from mmplug.errors import ManifestError

    if path is None:
        here = os.getcwd()
        found = find_project(here)
        if found is not None:
            return found
        above = "" if os.path.dirname(here) == here else " or in any directory above it"
        raise ManifestError(
            f"no plugin.json in {here}{above}",
            hint="run mmplug inside a plugin project (a directory with plugin.json, or one "
            "below it), give the project's directory, or create one with "
            "`mmplug new <plugin-id>`")
    folder = os.fspath(path)
    if is_plugin_dir(folder):
        return folder
    if not os.path.isdir(folder):
        raise ManifestError(
            f"{folder} is not a directory" if os.path.exists(folder)
            else f"there is no directory {folder}",
            hint="give the directory of a plugin project (the one with plugin.json), "
            "or create one with `mmplug new <plugin-id>`")
    outer = find_project(os.path.dirname(os.path.abspath(folder)))
    hint = (f"the project above it is {outer}: give that directory, or leave the path out"
            if outer is not None else
            "give the directory of a plugin project (the one with plugin.json), "
            "or create one with `mmplug new <plugin-id>`")
    raise ManifestError(f"no plugin.json in {folder}", hint=hint)


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
    except (OSError, ValueError, RecursionError):  # the slow path says what is wrong
        return None
    server = data.get("server") if isinstance(data, dict) else None
    executable = executable_for_platform(server) if isinstance(server, dict) else ""
    if not executable or not os.path.isfile(os.path.join(plugin_dir, executable)):
        return None
    return plugin_dir, executable
