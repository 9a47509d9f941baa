"""mmplug's plugin SDK: write a Mattermost server plugin in Python.

    from mmplug.sdk import Plugin, serve
    from mmplug.sdk.model import PluginContext, Post

    class Hello(Plugin):
        def on_activate(self) -> None:
            self.logger.info("hello")

        def message_has_been_posted(self, context: PluginContext, post: Post) -> None:
            self.api.kv_set(f"last:{post.channel_id}", post.id)

    if __name__ == "__main__":
        serve(Hello)

Depends only on grpcio, grpcio-health-checking, protobuf and ``mmplug.protocol``. The API
clients and the entities (``mmplug.sdk.model``) load on first use, so importing the SDK stays
cheap.
"""

import typing as _typing

# First, before anything below imports grpc: grpcio's older I/O, ~10 % faster per call.
from mmplug.protocol import grpc_env as _grpc_env  # noqa: F401

from ._asgi import AsgiMount, mount_asgi
from ._http import Headers, Request, ResponseWriter
from ._logging import TRACE, HclogFormatter
from ._plugin import AsyncPlugin, Plugin
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

if _typing.TYPE_CHECKING:
    from ._aio import AsyncAPIClient as AsyncAPIClient
    from ._client import APIClient as APIClient
    from ._core import Retry as Retry

# Loaded on first use: the clients bring every rpc's method and the entities.
_LAZY = {"APIClient": "._client", "AsyncAPIClient": "._aio", "Retry": "._core"}


def __getattr__(name: str) -> _typing.Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'mmplug.sdk' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "TRACE",
    "APIClient",
    "AlreadyExistsError",
    "AsgiMount",
    "AsyncAPIClient",
    "AsyncPlugin",
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
    "Retry",
    "Router",
    "UnavailableError",
    "ValidationError",
    "hook",
    "mount_asgi",
    "serve",
]
