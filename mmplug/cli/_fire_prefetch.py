"""Start the plugin the moment `mmplug fire` starts, before the host has imported grpc and
started its API server, as go-plugin's client starts a plugin at once.

The fast path (:mod:`mmplug.cli._fire_fast`) calls :func:`start` with the options it parsed;
when it could not parse them, typer handles the command line and nothing is started early.
On anything unusual (no plugin.json, no interpreter) it does nothing and the launch is an
ordinary cold one. The session adopts the early process (see :mod:`mmplug.host._prelaunch`);
an unused one is killed at exit.
"""

from __future__ import annotations

import atexit

TYPE_CHECKING = False  # typing and pathlib load after the plugin has been started
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

_POOL: Any = None


def start(options: Mapping[str, Any]) -> None:
    """Start the plugin for a ``mmplug fire`` whose command line parsed into ``options`` (the
    keywords of :func:`mmplug.cli._fire_run.execute`) early; best effort, never raises."""
    global _POOL
    try:
        import os

        from mmplug._plugin_files import find_project, is_plugin_dir, quick_launch_target

        folders = [a for a in options.get("args") or () if is_plugin_dir(a)]
        folder = folders[0] if folders else find_project(".")
        if folder is None:
            return  # no project here: the command says so
        if not options.get("local") and not options.get("nodes") and os.path.isfile(
                os.path.join(folder, ".mmplug", "dev.json")):
            return  # fire goes into the running dev session
        if (options.get("nodes") or 1) > 1:
            return  # each node's process is started with its node's environment
        target = quick_launch_target(folder)
        if target is None:
            return
        plugin_dir, executable = target
        from mmplug.host._child_env import find_python
        from mmplug.host._prelaunch import Prelaunch

        interpreter = find_python(plugin_dir, options.get("python"))
        if interpreter is None:
            return
        if options.get("tcp") and options.get("private"):
            return  # a usage error: the command says so
        pool = Prelaunch([interpreter, executable], plugin_dir,
                         transport="tcp" if options.get("tcp") else "unix",
                         private=bool(options.get("private")))
        atexit.register(pool.close)
        _POOL = pool
    except Exception:  # a prefetch must never be the reason a command fails
        return


def take() -> Any:
    """The early plugin process (a :class:`~mmplug.host._prelaunch.Prelaunch`), once, or None."""
    global _POOL
    pool, _POOL = _POOL, None
    return pool
