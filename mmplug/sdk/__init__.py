"""mmplug's plugin SDK: write a Mattermost server plugin in Python.

    from mmplug.sdk import Plugin, serve

    class Hello(Plugin):
        def on_activate(self):
            self.logger.info("hello")

    if __name__ == "__main__":
        serve(Hello)

Depends only on grpcio, grpcio-health-checking, protobuf and ``mmplug.protocol``.
"""

# First, before anything below imports grpc: grpcio's older I/O, ~10 % faster per call.
from mmplug.protocol import grpc_env as _grpc_env  # noqa: F401

from ._asgi import AsgiMount, mount_asgi
from ._client import APIClient
from ._http import Headers, Request, ResponseWriter
from ._logging import TRACE, HclogFormatter
from ._plugin import Plugin
from ._registry import hook
from ._router import Response, Router
from ._server import serve
from ._stream import ClientDisconnected
from .errors import (
    AlreadyExistsError,
    HookRegistrationError,
    InvalidArgumentError,
    NotFoundError,
    NotImplementedAPIError,
    PermissionDeniedError,
    PluginAPIError,
    PluginError,
    UnavailableError,
    ValidationError,
)

__all__ = [
    "TRACE",
    "APIClient",
    "AlreadyExistsError",
    "AsgiMount",
    "ClientDisconnected",
    "HclogFormatter",
    "Headers",
    "HookRegistrationError",
    "InvalidArgumentError",
    "NotFoundError",
    "NotImplementedAPIError",
    "PermissionDeniedError",
    "Plugin",
    "PluginAPIError",
    "PluginError",
    "Request",
    "Response",
    "ResponseWriter",
    "Router",
    "UnavailableError",
    "ValidationError",
    "hook",
    "mount_asgi",
    "serve",
]
