"""Start the plugin the moment `mmplug fire` starts, before the host has imported grpc and
started its API server (about 100 ms), as go-plugin's client starts a plugin at once.

The fast path (and ``register`` for typer's) calls :func:`start` only when the command line is
``mmplug fire ...``. It reads just enough of the arguments to know the plugin directory and
interpreter; on anything unusual it does nothing and the launch is an ordinary cold one. The
session adopts the early process (see :mod:`mmplug.host._prelaunch`); an unused one is killed
at exit.
"""

from __future__ import annotations

import atexit
from pathlib import Path
from typing import Any

_POOL: Any = None


def _option(args: list[str], name: str) -> str | None:
    for i, arg in enumerate(args):
        if arg == name and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return None


def start(args: list[str]) -> None:
    """Start the plugin for ``mmplug fire ARGS`` early (best effort, never raises)."""
    global _POOL
    try:
        import os

        from mmplug._plugin_files import MANIFEST_NAMES, quick_launch_target

        if not args or args[0].startswith("-") or "--list" in args:
            return
        folders = [a for a in args[1:] if not a.startswith("-") and os.path.isdir(a)
                   and any(os.path.isfile(os.path.join(a, n)) for n in MANIFEST_NAMES)]
        folder = folders[0] if folders else "."
        if "--local" not in args and os.path.isfile(os.path.join(folder, ".mmplug", "dev.json")):
            return  # fire goes into the running dev session
        target = quick_launch_target(folder)
        if target is None:
            return
        plugin_dir, executable = target
        from mmplug.host._child_env import find_python
        from mmplug.host._prelaunch import Prelaunch

        python = _option(args, "--python")
        if python and "/" in python:
            python = str(Path(python).absolute())  # as the command does
        interpreter = find_python(Path(plugin_dir), python)
        if interpreter is None:
            return
        pool = Prelaunch([interpreter, executable], Path(plugin_dir))
        atexit.register(pool.close)
        _POOL = pool
    except Exception:  # a prefetch must never be the reason a command fails
        return


def take() -> Any:
    """The early plugin process (a :class:`~mmplug.host._prelaunch.Prelaunch`), once, or None."""
    global _POOL
    pool, _POOL = _POOL, None
    return pool
