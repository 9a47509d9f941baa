"""The fake Mattermost host: everything on the server side of a plugin.

    session.py        Session: owns the store, API servers, plugin processes, hook pipeline
    launcher.py       the server's go-plugin client, emulated (spawn, handshake, health, stop)
    _process.py       child processes: own group, die with the host, exact exit waits
    plugin_client.py  host side of PluginHooks (hook calls, ServeHTTP stream)
    pipeline.py       observers, per-call collectors, the dispatcher the API server fires with
    logs.py           plugin stderr -> LogRecord, render_log
    faults.py         the named catalogue of launch/crash faults and their messages
    api/              the PluginAPI server and its emulation, by area
    store.py          the SQLite state store (the only owner of state)

Importing this package is cheap; ``Session`` and friends load on first use.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False  # typing is imported after a cold fire has started the plugin
if TYPE_CHECKING:
    from typing import Any

# Our children exec right after fork, so grpc's fork handlers have nothing to protect; with
# them on, every spawn while grpc threads run prints "skipping fork() handlers" on stderr.
# Set only if the user did not choose; the launcher keeps it out of the plugin's environment.
FORK_SUPPORT_ENV = "GRPC_ENABLE_FORK_SUPPORT"
FORK_SUPPORT_SET_BY_US = FORK_SUPPORT_ENV not in os.environ
if FORK_SUPPORT_SET_BY_US:
    os.environ[FORK_SUPPORT_ENV] = "false"

# grpcio's EventEngine client hands each response from its poller thread over to the thread
# waiting for it, one more wake-up per call than its older client, in which the waiting thread
# polls the socket itself: a hook or health call then takes ~50-80 µs less here. The host
# chooses the older client (still selectable as a grpcio experiment) when the user did not set
# any, and only in the grpcio versions this was tried with: an experiment grpcio no longer
# knows makes it log an error. It stays out of plugins' environments, also when inherited
# from an mmplug parent process (the very value is taken as ours).
EXPERIMENTS_ENV = "GRPC_EXPERIMENTS"
EXPERIMENTS_VALUE = "-event_engine_client"
TRIED_GRPCIO = ((1, 85),)


def _grpcio_version() -> tuple[int, ...]:
    """grpcio's version without importing grpc (it reads the environment on import): from the
    first grpc package on sys.path, as an import would find it (importlib.util's find_spec
    costs a cold fire ~2 ms of imports before it can start the plugin)."""
    import re
    import sys

    for folder in sys.path:
        try:
            with open(os.path.join(folder or os.curdir, "grpc", "_grpcio_metadata.py")) as handle:
                text = handle.read()
        except (OSError, ValueError):
            continue
        found = re.search(r"""__version__\s*=\s*['"]+(\d+)\.(\d+)""", text)
        return (int(found[1]), int(found[2])) if found else ()
    return ()


if EXPERIMENTS_ENV not in os.environ and _grpcio_version() in TRIED_GRPCIO:
    os.environ[EXPERIMENTS_ENV] = EXPERIMENTS_VALUE
EXPERIMENTS_SET_BY_US = os.environ.get(EXPERIMENTS_ENV) == EXPERIMENTS_VALUE

# Where a plugin project keeps the fake host's files: state.db, snapshots/, the dev socket.
STATE_DIR = ".mmplug"
STATE_DB = "state.db"

__all__ = ["HookResult", "LogRecord", "PluginHandle", "Session"]


def __getattr__(name: str) -> Any:
    if name in ("Session", "HookResult", "PluginHandle"):
        from mmplug.host import session

        return getattr(session, name)
    if name == "LogRecord":
        from mmplug.host.logs import LogRecord

        return LogRecord
    raise AttributeError(name)
