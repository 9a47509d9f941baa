"""What a running ``mmplug dev`` leaves open to the other users of this machine, said once.

Loopback is not private on a shared machine: every local user can connect to a port bound to
127.0.0.1. So the dev loop names each port it listens on (or had a plugin listen on), and how
to close it; the rest (``.mmplug/``, the plugins' sockets and, with ``--private``, the
PluginAPI) is in folders only the developer can enter. docs/security.md has the whole table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mmplug.devloop.loop import DevLoop


@dataclass(frozen=True)
class Opening:
    """One port other local users can connect to: what, where, and how to close it."""

    what: str
    address: str
    close: str

    def __str__(self) -> str:
        return f"{self.what} at {self.address} ({self.close})"


def openings(loop: DevLoop) -> list[Opening]:
    """Every port of ``loop`` (and of the plugins it started) other local users can reach."""
    found: list[Opening] = []
    door = loop.front_door
    if door is not None:
        found.append(Opening("the front door", door.url,
                             "open by design, as the server's HTTP port"))
        if door.metrics_url:
            found.append(Opening("the metrics listener", door.metrics_url,
                                 "leave out --metrics-port to close it"))
    explorer = getattr(loop, "explorer", None)
    if explorer is not None and getattr(explorer, "port", None):
        found.append(Opening("the Plugin Explorer", explorer.url,
                             "every request needs its random token; --no-explorer closes it"))
    session = loop.session
    if session is None:
        return found
    api_target = loop.api_target
    if loop.attach is not None:
        found.append(Opening("the attached plugin's debug listener", loop.attach,
                             "MMPLUG_DEBUG_LISTEN, started by you; it binds loopback"))
        if api_target:
            found.append(Opening("the PluginAPI for the attached plugin", api_target,
                                 "as the server's: plain TCP, no authentication; it closes "
                                 "with --attach"))
        return found
    for handle in session.plugins.values():
        api = handle.api_target
        if api and not api.startswith("unix:"):
            found.append(Opening(f"the PluginAPI of {handle.id}", api,
                                 "as the server's: plain TCP, no authentication, a new port "
                                 "at each reload; --private serves it on a private unix "
                                 "socket instead"))
        client = handle.client
        shake = client.process.handshake if client is not None else None
        if shake is not None and shake.network == "tcp":
            close = ("--tcp, as under the server; without it the plugin serves on a private "
                     "unix socket") if session.transport == "tcp" else (
                     "the plugin chose TCP although the host offered a private unix socket "
                     "(PLUGIN_UNIX_SOCKET_DIR); serve there to close it, as the mmplug SDK does")
            found.append(Opening(f"the hooks and Shutdown of {handle.id}", shake.address,
                                 close))
    return found


def exposure_note(loop: DevLoop) -> str:
    """The lines ``mmplug dev`` says once when it is up."""
    found = openings(loop)
    lines = ["open to other users of this machine:" if found
             else "nothing is open to other users of this machine"]
    lines += [f"  {opening}" for opening in found]
    lines.append("  private (only you): .mmplug/ (state, dev.log, the control socket)"
                 + ("" if loop.attach is not None or _any_tcp_hooks(found) else
                    ", the plugins' sockets")
                 + (", the PluginAPI" if getattr(loop.session, "private", False) else "")
                 + "; see docs/security.md")
    return "\n".join(lines)


def _any_tcp_hooks(found: list[Opening]) -> bool:
    return any(opening.what.startswith("the hooks") for opening in found)
