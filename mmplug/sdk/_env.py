"""Every environment variable the SDK reads, and the one resolver for them."""

from __future__ import annotations

import os
from collections.abc import Mapping

# Each name once, generated with the catalog (mmplug.protocol.names); the host sets them.
from mmplug.protocol.names import ENV_API_TARGET as API_TARGET
from mmplug.protocol.names import ENV_CLIENT_CERT as CLIENT_CERT
from mmplug.protocol.names import ENV_DEBUG_LISTEN as DEBUG_LISTEN
from mmplug.protocol.names import ENV_HOST_CLOCK as HOST_CLOCK
from mmplug.protocol.names import ENV_LOG_LEVEL as LOG_LEVEL
from mmplug.protocol.names import ENV_MAGIC_COOKIE as MAGIC_COOKIE_KEY
from mmplug.protocol.names import ENV_MAX_PORT as MAX_PORT
from mmplug.protocol.names import ENV_MIN_PORT as MIN_PORT
from mmplug.protocol.names import ENV_PROTOCOL_VERSIONS as PROTOCOL_VERSIONS
from mmplug.protocol.names import ENV_UNIX_SOCKET_DIR as UNIX_SOCKET_DIR
from mmplug.protocol.names import MAGIC_COOKIE_VALUE as MAGIC_COOKIE_VALUE

__all__ = ["API_TARGET", "APP_PROTOCOL_VERSIONS", "CLIENT_CERT", "CORE_PROTOCOL_VERSION",
           "DEBUG_LISTEN", "HOST_CLOCK", "LOG_LEVEL", "MAGIC_COOKIE_KEY", "MAGIC_COOKIE_VALUE",
           "MAX_PORT", "MIN_PORT", "PROTOCOL_VERSIONS", "UNIX_SOCKET_DIR", "resolve"]

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
