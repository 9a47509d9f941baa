"""The async PluginAPI client, on grpc's asyncio API: calls run on the event loop that awaits
them, with no thread per call. Same methods and signatures as the sync client."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Callable
from typing import Any

from google.protobuf.message import Message

from mmplug.protocol.catalog import API_BY_GO_NAME

from . import _async, _calltag
from ._api_async import AsyncMethods
from ._client import CHANNEL_OPTIONS, _serialize, build_request, resolve_target, spec_for
from ._core import (
    DEFAULT_RETRY,
    DEFAULT_TIMEOUT,
    NO_RETRY,
    Retry,
    attempt_timeout,
    checked,
    method_path,
    next_try,
    not_on_this_loop,
    transport_error,
)
from ._proto import message_class

_UNSET: Any = object()


class _AioConnection:
    """A grpc.aio channel, opened on the first call's event loop and usable from it only."""

    def __init__(self, target: str | None) -> None:
        self.target = target
        self.channel: Any = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.callables: dict[str, Callable[..., Any]] = {}

    def callable(self, rpc: str) -> Callable[..., Any]:
        loop = asyncio.get_running_loop()
        if loop is not self.loop:
            if self.loop is not None:
                raise not_on_this_loop("AsyncAPIClient")
            self._open(loop)
        found = self.callables.get(rpc)
        if found is None:
            response_cls = message_class(API_BY_GO_NAME[rpc].response)
            found = self.channel.unary_unary(
                method_path(rpc),
                request_serializer=_serialize,
                response_deserializer=response_cls.FromString,
            )
            self.callables[rpc] = found
        return found

    def _open(self, loop: asyncio.AbstractEventLoop) -> None:
        import grpc.aio  # type: ignore[import-untyped]

        self.channel = grpc.aio.insecure_channel(resolve_target(self.target),
                                                 options=CHANNEL_OPTIONS)
        self.loop = loop
        _async.on_loop_close(loop, self.close)

    async def close(self) -> None:
        channel, self.channel = self.channel, None
        self.loop = None
        self.callables.clear()
        if channel is not None:
            await channel.close()


class AsyncAPIClient(AsyncMethods):
    """The PluginAPI client for ``async def`` code: ``await api.get_user(user_id)``,
    ``async for user in api.iter_users()``. Every method of ``APIClient``, with the same
    signatures, options (``timeout``, ``retry``, ``with_options``) and exceptions.

    It runs on grpc's asyncio API in the event loop that first awaits it (in a plugin, the
    SDK's loop of ``async def`` hooks) and is closed with that loop; elsewhere, close it with
    ``await api.close()`` or ``async with AsyncAPIClient(...) as api``."""

    def __init__(
        self,
        target: str | None = None,
        *,
        timeout: float | None = DEFAULT_TIMEOUT,
        retry: Retry | None = DEFAULT_RETRY,
    ) -> None:
        self._conn = _AioConnection(target)
        self.timeout = timeout
        self.retry = retry or NO_RETRY

    @property
    def target(self) -> str:
        return resolve_target(self._conn.target)

    def with_options(
        self, *, timeout: float | None = _UNSET, retry: Retry | None = _UNSET
    ) -> AsyncAPIClient:
        """This client with another timeout and/or retry policy, sharing its connection:
        ``await self.api.with_options(timeout=2).get_user(user_id)``."""
        other = copy.copy(self)
        if timeout is not _UNSET:
            other.timeout = timeout
        if retry is not _UNSET:
            other.retry = retry or NO_RETRY
        return other

    async def _invoke(self, rpc: str, request: Message) -> Any:
        method = self._conn.callable(rpc)
        loop = self._conn.loop
        assert loop is not None
        deadline = None if self.timeout is None else loop.time() + self.timeout
        attempt = 1
        while True:
            left = None if deadline is None else deadline - loop.time()
            try:
                response = await method(request,
                                        timeout=attempt_timeout(self.retry, attempt, left),
                                        wait_for_ready=attempt > 1 or None,
                                        metadata=_calltag.metadata())
            except Exception as exc:  # grpc.aio.AioRpcError and friends, translated here
                left = None if deadline is None else deadline - loop.time()
                pause = next_try(self.retry, rpc, exc, attempt, left)
                if pause is None:
                    raise transport_error(exc, rpc, attempt) from None
                await asyncio.sleep(pause)
                attempt += 1
                continue
            return checked(response, rpc)

    async def call(self, method: str, request: Message | None = None, /,
                   **fields: Any) -> Message:
        """Call any PluginAPI rpc by Go or Python name with a request message or keyword
        fields. Returns the response with ``error`` removed."""
        spec = spec_for(method)
        response: Any = await self._invoke(spec.go_name, build_request(spec, request, fields))
        response.ClearField("error")
        return response  # type: ignore[no-any-return]

    async def close(self) -> None:
        """Close the channel (reopened on next use)."""
        await self._conn.close()

    async def __aenter__(self) -> AsyncAPIClient:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()
