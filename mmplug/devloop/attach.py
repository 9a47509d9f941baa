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

:class:`Attachment` is what the dev loop gives its session for an attached plugin: the spawner
(relays), the stopper (the relay only) and, while the session keeps the plugin's PluginAPI
server for the whole run (``lasting_api``), a forwarder that also offers that server on the
debug port + 1, the address the SDK's debug mode dials by default.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mmplug.devloop._forward import Forwarder
    from mmplug.host.launcher import PluginProcess

from mmplug.errors import MmplugError, PluginLaunchError, UsageError
from mmplug.protocol.names import ENV_API_TARGET, ENV_DEBUG_LISTEN

LOOPBACK = ("127.0.0.1", "localhost", "::1")

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
                         f"{ENV_DEBUG_LISTEN}")
    return host, int(port)


class Attachment:
    """The session's spawner and stopper for a plugin attached at ``address``."""

    def __init__(self, address: str, on_problem: Callable[[MmplugError], None] = lambda e: None
                 ) -> None:
        self.host, self.port = parse_address(address)
        self.on_problem = on_problem  # told when the PluginAPI cannot be offered on port + 1
        self.launches = 0
        self._relays: list[subprocess.Popen[bytes]] = []
        self._api: str | None = None  # the session's PluginAPI address, from the first launch
        self._forwarder: Forwarder | None = None

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def api_target(self) -> str | None:
        """The PluginAPI address of the attached plugin (stable for the whole run; the debug
        port + 1 when that port was free, stable across runs too)."""
        if self._forwarder is not None:
            host, port = self._forwarder.listen
            return f"{host}:{port}"
        return self._api

    def __call__(
        self, command: list[str], *, cwd: Path, env: dict[str, str]
    ) -> subprocess.Popen[bytes]:
        """The launcher's spawner: a relay for the address. The session's first launch does
        not wait for a plugin that is not there yet (the dev loop comes up and says how to
        start it, then retries); later launches wait in the relay."""
        from mmplug.host._process import spawn

        self.launches += 1
        if self._api is None and env.get(ENV_API_TARGET):
            self._api = env[ENV_API_TARGET]
            self._forward_api()
        if self.launches == 1 and not self.reachable():
            raise PluginLaunchError(f"nothing listens on {self.address} yet")
        relay = [sys.executable, "-I", "-S", "-c", RELAY, self.host, str(self.port)]
        popen = spawn(relay, cwd=cwd, env=env)
        self._relays = [p for p in self._relays if p.poll() is None] + [popen]
        return popen

    def _forward_api(self) -> None:
        """Also offer the PluginAPI on the debug port + 1, the same address every run."""
        from mmplug.devloop._forward import Forwarder

        if self._api is None or self.host not in LOOPBACK:
            return
        host, _, port = self._api.rpartition(":")
        forwarder = Forwarder((self.host, self.port + 1), (host, int(port)))
        try:
            forwarder.start()
        except MmplugError as exc:
            self.on_problem(exc)
            return
        self._forwarder = forwarder

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

    def stop(self, process: PluginProcess) -> str | None:
        """The session's stopper: stop the relay only; the attached plugin keeps running (it
        is the user's)."""
        process.kill()
        return None

    def close(self) -> None:
        """Stop forwarding (after the session has closed)."""
        if self._forwarder is not None:
            self._forwarder.stop()
            self._forwarder = None


def start_command(address: str, api_target: str | None) -> str:
    """What to run to start the plugin so this session can attach to it."""
    api = f" {ENV_API_TARGET}={api_target}" if api_target else ""
    return f"{ENV_DEBUG_LISTEN}={address}{api} python plugin.py"
