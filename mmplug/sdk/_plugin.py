"""The ``Plugin`` base class."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from mmplug.protocol.catalog import HOOKS_BY_GO_NAME

from ._registry import Handler, collect, where
from ._router import Router
from .errors import HookRegistrationError

if TYPE_CHECKING:
    from ._aio import AsyncAPIClient
    from ._asgi import AsgiMount
    from ._client import APIClient

ROUTER_ATTR = "_mmplug_serve_router"
LIFESPAN_HOOKS = (("OnActivate", "_mmplug_asgi_startup"), ("OnDeactivate", "_mmplug_asgi_shutdown"))


class Plugin:
    """Base class of a Mattermost server plugin.

    Define hooks as methods named after them (``on_activate``, ``message_will_be_posted``) or
    mark any method with ``@hook("GoHookName")``. ``self.api`` talks to the server,
    ``self.logger`` logs to the server log. Set ``http = Router()`` to serve HTTP routes, or
    ``http = mount_asgi(app)`` to serve an ASGI app.
    """

    http: ClassVar[Router | AsgiMount | None] = None
    _mmplug_own: ClassVar[dict[str, Handler]] = {}
    _mmplug_handlers: ClassVar[dict[str, Handler]] = {}
    _mmplug_async_only: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._mmplug_own = collect(cls, dict(vars(cls)))
        if cls._mmplug_async_only:
            _require_async(cls)
        merged: dict[str, Handler] = {}
        for klass in reversed(cls.__mro__):
            merged.update(vars(klass).get("_mmplug_own", {}))
        if _serves_http(cls.http) and "ServeHTTP" not in merged:
            spec = HOOKS_BY_GO_NAME["ServeHTTP"]
            merged["ServeHTTP"] = Handler(spec, ROUTER_ATTR, Plugin._mmplug_serve_router)
        if getattr(cls.http, "_mmplug_mount", False):  # ASGI lifespan unless the class has
            for go_name, attr in LIFESPAN_HOOKS:      # its own (which then call it)
                if go_name not in merged:
                    merged[go_name] = Handler(HOOKS_BY_GO_NAME[go_name], attr, getattr(cls, attr))
        cls._mmplug_handlers = merged

    # -- discovery ---------------------------------------------------------------------------
    @classmethod
    def implemented_hooks(cls) -> list[str]:
        """Go names of the hooks this class handles, sorted (what ``Implemented`` returns)."""
        return sorted(cls._mmplug_handlers)

    def handler(self, go_name: str) -> Callable[..., Any] | None:
        """The bound handler of hook ``go_name``, or None if the class does not handle it."""
        entry = self._mmplug_handlers.get(go_name)
        if entry is None:
            return None
        bound: Callable[..., Any] = getattr(self, entry.attr)
        return bound

    # -- services ----------------------------------------------------------------------------
    @property
    def api(self) -> APIClient:
        """The PluginAPI client (connects on first use to MATTERMOST_PLUGIN_API_TARGET)."""
        client: APIClient | None = self.__dict__.get("_mmplug_api")
        if client is None:
            from ._client import APIClient

            client = APIClient()
            self.__dict__["_mmplug_api"] = client
        return client

    @api.setter
    def api(self, client: APIClient) -> None:
        self.__dict__["_mmplug_api"] = client

    @property
    def logger(self) -> logging.Logger:
        """A logger whose records reach the server log with their level."""
        return logging.getLogger(f"plugin.{type(self).__name__}")

    def _mmplug_serve_router(self, context: Any, response: Any, request: Any) -> Any:
        router = type(self).http
        assert router is not None
        return router.dispatch(self, context, response, request)  # a coroutine for ASGI

    async def _mmplug_asgi_startup(self) -> None:
        await type(self).http.startup()  # type: ignore[union-attr]

    async def _mmplug_asgi_shutdown(self) -> None:
        await type(self).http.shutdown()  # type: ignore[union-attr]


def _serves_http(http: object) -> bool:
    """A Router with routes, or a mounted ASGI app."""
    if isinstance(http, Router):
        return bool(http.routes)
    return bool(getattr(http, "_mmplug_mount", False))


def _require_async(cls: type[Plugin]) -> None:
    for handler in cls._mmplug_own.values():
        if not inspect.iscoroutinefunction(handler.func):
            file, line = where(handler.func)
            raise HookRegistrationError(
                f"{cls.__name__}.{handler.attr} handles {handler.spec.go_name} with a plain "
                "def; an AsyncPlugin's hooks are async def (self.api is awaited there): make "
                "it async def, or derive the class from Plugin for sync hooks",
                file=file,
                line=line,
            )


class AsyncPlugin(Plugin):
    """A plugin whose hooks are all ``async def``: ``self.api`` is the ``AsyncAPIClient``, so
    every API call is awaited on the SDK's event loop, without a thread per call::

        class Greeter(AsyncPlugin):
            async def message_has_been_posted(self, context: PluginContext, post: Post) -> None:
                user = await self.api.get_user(post.user_id)

    A plain ``def`` hook is a ``HookRegistrationError`` when the class is defined (it could
    not await the client); route handlers of an ``http = Router()`` may be ``async def`` too.
    """

    _mmplug_async_only: ClassVar[bool] = True

    # an AsyncPlugin is served like any Plugin, but its hooks get the async client
    @property  # type: ignore[override]
    def api(self) -> AsyncAPIClient:
        """The async PluginAPI client (opens on first use on the hooks' event loop)."""
        client: AsyncAPIClient | None = self.__dict__.get("_mmplug_async_api")
        if client is None:
            from ._aio import AsyncAPIClient

            client = AsyncAPIClient()
            self.__dict__["_mmplug_async_api"] = client
        return client

    @api.setter
    def api(self, client: AsyncAPIClient) -> None:
        self.__dict__["_mmplug_async_api"] = client
