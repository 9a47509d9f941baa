"""A small HTTP router for ServeHTTP: ``http = Router()`` and ``@http.get("/path/{id}")``."""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

RouteHandler = Callable[[Any, Any], Any]
H = TypeVar("H", bound=Callable[..., Any])  # a decorated handler keeps its own type
_PARAM = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass
class Response:
    """A complete HTTP response a route handler may return."""

    body: bytes | str = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str | None = None

    @classmethod
    def json(cls, data: Any, status: int = 200) -> Response:
        return cls(json.dumps(data).encode(), status, content_type="application/json")


@dataclass
class Route:
    method: str
    pattern: re.Pattern[str]
    path: str
    handler: RouteHandler


class Router:
    """Routes requests by method and path. Handlers take ``(plugin, request)`` and return
    ``str`` (text/plain), ``bytes``, a ``dict``/``list`` (JSON), a ``Response`` or ``None``
    (empty 200); they may also write to ``request.response`` themselves. An ``async def``
    handler runs on the SDK's event loop (where an ``AsyncPlugin``'s ``self.api`` is awaited)."""

    def __init__(self) -> None:
        self.routes: list[Route] = []

    def route(self, path: str, methods: tuple[str, ...] = ("GET",)) -> Callable[[H], H]:
        regex = "^" + _PARAM.sub(r"(?P<\1>[^/]+)", re.escape(path).replace(r"\{", "{")
                                 .replace(r"\}", "}")) + "$"
        pattern = re.compile(regex)

        def register(handler: H) -> H:
            for method in methods:
                self.routes.append(Route(method.upper(), pattern, path, handler))
            return handler

        return register

    def get(self, path: str) -> Callable[[H], H]:
        return self.route(path, ("GET", "HEAD"))

    def post(self, path: str) -> Callable[[H], H]:
        return self.route(path, ("POST",))

    def put(self, path: str) -> Callable[[H], H]:
        return self.route(path, ("PUT",))

    def patch(self, path: str) -> Callable[[H], H]:
        return self.route(path, ("PATCH",))

    def delete(self, path: str) -> Callable[[H], H]:
        return self.route(path, ("DELETE",))

    def dispatch(
        self, plugin: Any, context: Any, response: Any, request: Any
    ) -> Awaitable[None] | None:
        """Serve one request: find the route, call it, write what it returns (an awaitable
        that does so for an ``async def`` handler)."""
        allowed: list[str] = []
        for route in self.routes:
            match = route.pattern.match(request.path)
            if match is None:
                continue
            if route.method != request.method.upper():
                allowed.append(route.method)
                continue
            request.path_params = match.groupdict()
            request.context = context
            request.response = response
            result = route.handler(plugin, request)
            if inspect.isawaitable(result):
                return _write_awaited(response, result)
            if not response.started:
                write_result(response, result)
            return None
        if allowed:
            response.set_header("Allow", ", ".join(sorted(set(allowed))))
            write_result(response, Response("Method Not Allowed\n", 405))
        else:
            write_result(response, Response("Not Found\n", 404))
        return None


async def _write_awaited(response: Any, result: Awaitable[Any]) -> None:
    value = await result
    if not response.started:
        write_result(response, value)


def write_result(response: Any, result: Any) -> None:
    """Write a route handler's return value to the response writer."""
    if result is None:
        result = Response(b"")
    elif isinstance(result, str):
        result = Response(result, content_type="text/plain; charset=utf-8")
    elif isinstance(result, bytes | bytearray):
        result = Response(bytes(result), content_type="application/octet-stream")
    elif isinstance(result, dict | list):
        result = Response.json(result)
    if not isinstance(result, Response):
        raise TypeError(
            f"route handler returned {type(result).__name__}; "
            "return str, bytes, dict, list, Response or None"
        )
    for key, value in result.headers.items():
        response.set_header(key, value)
    if result.content_type and "Content-Type" not in response.headers:
        response.set_header("Content-Type", result.content_type)
    response.write_header(result.status)
    if result.body:
        response.write(result.body)
