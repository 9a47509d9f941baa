"""The fake Mattermost host: everything on the server side of a plugin.

Its modules, what each owns and how a hook call goes through them are in the map at the top
of docs/architecture.md. Importing this package is cheap; ``Session`` and friends load on
first use.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing is imported after a cold fire has started the plugin
if TYPE_CHECKING:
    from typing import Any

# grpc's fork handlers off before grpc is imported (see mmplug/_grpc_fork.py)
from mmplug._grpc_fork import FORK_SUPPORT_ENV, FORK_SUPPORT_SET_BY_US  # noqa: E402, F401

# grpcio's older I/O (fewer thread wake-ups per call), chosen on import unless the user chose;
# kept out of the plugins' environment when chosen here (see mmplug/protocol/grpc_env.py).
from mmplug.protocol import grpc_env  # noqa: E402, F401

# Where a plugin project keeps the fake host's files: state.db, snapshots/, the dev socket.
STATE_DIR = ".mmplug"
STATE_DB = "state.db"


def cache_root() -> str:
    """mmplug's cache folder, shared by all of a user's projects: ``$MMPLUG_CACHE_DIR``, else
    ``$XDG_CACHE_HOME/mmplug/worlds``, else ``~/.cache/mmplug/worlds``. The seeded worlds'
    images are kept in it (:mod:`mmplug.host.world_cache`), what ``mmplug check`` read of a
    project's code in ``checks/``, what a ``python3`` answered about the SDK in
    ``interpreters/`` (:mod:`mmplug.host._child_env`), which pytest commands used the plugin
    last time in ``pytest-runs/`` (:mod:`mmplug.testing`). Everything in it can be deleted."""
    import os

    from mmplug.protocol.names import ENV_CACHE_DIR

    explicit = os.environ.get(ENV_CACHE_DIR)
    if explicit:
        return explicit
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "mmplug", "worlds")


__all__ = ["CallEvent", "HookResult", "LogRecord", "PluginHandle", "Session"]


def __getattr__(name: str) -> Any:
    if name in ("Session", "HookResult", "PluginHandle"):
        from mmplug.host import session

        return getattr(session, name)
    if name == "CallEvent":
        from mmplug.host.events import CallEvent

        return CallEvent
    if name == "LogRecord":
        from mmplug.host.logs import LogRecord

        return LogRecord
    raise AttributeError(name)
