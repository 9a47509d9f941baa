"""Plugin projects as the tests write them: a folder with plugin.json and plugin.py, as a
user's project has them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any


def write_plugin_project(folder: Path, plugin_id: str, code: str | Path, *,
                         name: str | None = None, version: str = "0.1.0",
                         runtime: bool = False, **fields: Any) -> Path:
    """Make ``folder`` (and its parents) a plugin project: plugin.py holds ``code`` (text, or
    a copy of the file at that path), plugin.json names the plugin ``plugin_id`` (with
    ``name``, ``version``, any other manifest ``fields`` such as ``min_server_version``) and
    plugin.py as its server executable (with ``"runtime": "python"`` when ``runtime``)."""
    folder.mkdir(parents=True, exist_ok=True)
    server: dict[str, str] = {"executable": "plugin.py"}
    if runtime:
        server["runtime"] = "python"
    manifest = {"id": plugin_id, **({"name": name} if name is not None else {}),
                "version": version, **fields, "server": server}
    (folder / "plugin.json").write_text(json.dumps(manifest), encoding="utf-8")
    if isinstance(code, Path):
        shutil.copy(code, folder / "plugin.py")
    else:
        (folder / "plugin.py").write_text(code, encoding="utf-8")
    return folder
