"""grpcio's I/O for mmplug's processes, chosen on import, before grpc is imported.

Both sides of the plugin protocol import this first: the fake host (``mmplug.host``) and the
plugin SDK (``mmplug.sdk``), so a bundle ships it too. grpcio's EventEngine hands every
received message from a poller thread to the thread that waits for it, and every accepted
call from its listener's threads to the server's: one more thread wake-up per call than its
older I/O, in which the waiting thread polls the socket itself. Waking a thread on another
CPU costs tens of microseconds on a virtual machine, so the older I/O makes a hook or an API
call ~10 % faster on the two-core machine of docs/benchmarks.md. Both are still selectable
as grpcio experiments; they are chosen only

- when the user has not set ``GRPC_EXPERIMENTS`` (theirs is always kept),
- in the grpcio versions this was measured with (an experiment grpcio no longer knows makes it
  log an error),
- and before grpc is imported (it reads the variable once).

The value stays in this process's environment; the host keeps it out of the plugins it
starts (``CHOSEN_HERE``), so that a plugin built with another SDK runs with grpc's defaults,
as under the server.
"""

from __future__ import annotations

import os
import sys

EXPERIMENTS_ENV = "GRPC_EXPERIMENTS"
OLDER_IO = "-event_engine_client,-event_engine_listener"
TRIED_GRPCIO = ((1, 85),)


def grpcio_version() -> tuple[int, ...]:
    """grpcio's version without importing grpc: from the first grpc package on sys.path, as an
    import would find it (importlib.util's find_spec would import modules a cold fire does
    not need before it can start the plugin)."""
    import re

    for folder in sys.path:
        try:
            with open(os.path.join(folder or os.curdir, "grpc", "_grpcio_metadata.py")) as handle:
                text = handle.read()
        except (OSError, ValueError):
            continue
        found = re.search(r"""__version__\s*=\s*['"]+(\d+)\.(\d+)""", text)
        return (int(found[1]), int(found[2])) if found else ()
    return ()


def _choose() -> bool:
    if EXPERIMENTS_ENV not in os.environ and "grpc" not in sys.modules \
            and grpcio_version() in TRIED_GRPCIO:
        os.environ[EXPERIMENTS_ENV] = OLDER_IO
    # An mmplug parent's very value counts as ours: it is not the user's choice either.
    return os.environ.get(EXPERIMENTS_ENV) == OLDER_IO


CHOSEN_HERE = _choose()
