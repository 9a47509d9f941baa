"""Attach: run a plugin the user started elsewhere (a debugger, a container) in the session.

The plugin runs the SDK's debug mode (``MMPLUG_DEBUG_LISTEN=HOST:PORT python plugin.py``). The
session still wants a local process per plugin, to supervise and to read a handshake from, so
attaching starts a tiny **relay** process instead of the plugin: it waits until ``HOST:PORT``
accepts connections, prints the go-plugin handshake for that address, and exits as soon as the
address stops accepting connections. The launcher then connects, health-checks and activates the
remote plugin exactly as it does a local one; when the user restarts their plugin, the relay's
exit is seen as a crash and a new relay waits for the plugin to come back (go-plugin's reattach,
without copying a reattach config around). Stopping an attached plugin runs ``OnDeactivate`` and
ends the relay; the user's process is theirs to stop.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from mmplug.errors import UsageError

RELAY = r"""
import socket, sys, time
host, port = sys.argv[1], int(sys.argv[2])
def up():
    try:
        socket.create_connection((host, port), timeout=1.0).close()
        return True
    except OSError:
        return False
while not up():
    time.sleep(0.05)
print(f"1|1|tcp|{host}:{port}|grpc", flush=True)
misses = 0
while misses < 2:
    time.sleep(0.1)
    misses = 0 if up() else misses + 1
"""


def parse_address(address: str) -> tuple[str, int]:
    """``HOST:PORT`` (or just ``PORT`` for 127.0.0.1) -> (host, port), with a clear error."""
    host, sep, port = address.rpartition(":")
    if not sep:
        host, port = "127.0.0.1", address
    host = host.strip("[]") or "127.0.0.1"
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise UsageError(f"--attach {address}: expected HOST:PORT, e.g. 127.0.0.1:5555",
                         hint="use the address the plugin was started with in "
                         "MMPLUG_DEBUG_LISTEN")
    return host, int(port)


class AttachSpawner:
    """The launcher's spawner for an attached plugin: starts a relay for ``address``."""

    def __init__(self, address: str) -> None:
        self.host, self.port = parse_address(address)
        self._relays: list[subprocess.Popen[bytes]] = []

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def __call__(
        self, command: list[str], *, cwd: Path, env: dict[str, str]
    ) -> subprocess.Popen[bytes]:
        from mmplug.host._process import spawn

        relay = [sys.executable, "-I", "-S", "-c", RELAY, self.host, str(self.port)]
        popen = spawn(relay, cwd=cwd, env=env)
        self._relays = [p for p in self._relays if p.poll() is None] + [popen]
        return popen

    def reachable(self) -> bool:
        """Whether something accepts connections on the address now."""
        import socket

        try:
            socket.create_connection((self.host, self.port), timeout=0.5).close()
        except OSError:
            return False
        return True

    def cancel(self) -> None:
        """End every relay still waiting for the plugin (so a pending attach gives up now)."""
        from mmplug.host._process import kill_group

        for popen in self._relays:
            if popen.poll() is None:
                kill_group(popen)

    def stop(self, process: Any, grace: float | None = None) -> str | None:
        """Stop the relay only: the attached plugin keeps running (it is the user's)."""
        process.kill()
        return None


def start_command(address: str, api_target: str | None) -> str:
    """What to run to start the plugin so this session can attach to it."""
    api = f" MATTERMOST_PLUGIN_API_TARGET={api_target}" if api_target else ""
    return f"MMPLUG_DEBUG_LISTEN={address}{api} python plugin.py"
