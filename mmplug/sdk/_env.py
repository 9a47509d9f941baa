"""Every environment variable the SDK reads, named once, and the one resolver for them."""

from __future__ import annotations

import os
from collections.abc import Mapping

# go-plugin handshake (set by the host)
MAGIC_COOKIE_KEY = "MATTERMOST_PLUGIN"
MAGIC_COOKIE_VALUE = "Securely message teams, anywhere."
PROTOCOL_VERSIONS = "PLUGIN_PROTOCOL_VERSIONS"
MIN_PORT = "PLUGIN_MIN_PORT"
MAX_PORT = "PLUGIN_MAX_PORT"
UNIX_SOCKET_DIR = "PLUGIN_UNIX_SOCKET_DIR"
CLIENT_CERT = "PLUGIN_CLIENT_CERT"

# Mattermost's Python-plugin supervisor
API_TARGET = "MATTERMOST_PLUGIN_API_TARGET"

# mmplug's own
LOG_LEVEL = "MMPLUG_LOG_LEVEL"
DEBUG_LISTEN = "MMPLUG_DEBUG_LISTEN"
# set to "1" by mmplug's fake host: it serves mmplug.ext.v1.HostClock (see _clock.py)
HOST_CLOCK = "MMPLUG_HOST_CLOCK"

CORE_PROTOCOL_VERSION = 1
APP_PROTOCOL_VERSIONS = (1,)


def resolve(
    name: str,
    argument: str | None = None,
    default: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> str | None:
    """Resolve a setting: an explicit argument wins, then the variable ``name``, then ``default``.

    An empty variable counts as unset.
    """
    if argument is not None:
        return argument
    value = (os.environ if environ is None else environ).get(name, "")
    return value if value != "" else default
