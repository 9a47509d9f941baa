"""The sync PluginAPI client: one channel, one call path (``_invoke``), every rpc a method."""

from __future__ import annotations

import copy
import difflib
import threading
import time
from collections.abc import Callable
from typing import Any

from google.protobuf.message import Message

from mmplug.protocol.catalog import API_BY_GO_NAME, API_BY_PY_NAME, ApiSpec

from . import _calltag, _env
from ._api_sync import SyncMethods
from ._core import (
    DEFAULT_RETRY,
    DEFAULT_TIMEOUT,
    NO_RETRY,
    Retry,
    attempt_timeout,
    checked,
    method_path,
    next_try,
    transport_error,
)
from ._proto import load_api, message_class
from .errors import PluginError

MAX_MESSAGE = 100 * 1024 * 1024
CHANNEL_OPTIONS = (
    ("grpc.keepalive_time_ms", 10_000),
    ("grpc.keepalive_timeout_ms", 5_000),
    # Pings only while a call is in flight: a gRPC server with the default ping policy (the
    # fake host's, and Go's) answers pings on an idle connection with GOAWAY "too_many_pings",
    # which grpc logs on the plugin's stderr and which drops the connection.
    ("grpc.keepalive_permit_without_calls", 0),
    ("grpc.max_receive_message_length", MAX_MESSAGE),
    ("grpc.max_send_message_length", MAX_MESSAGE),
    # a server that restarts is back within a second or two: reconnect soon after it
    ("grpc.initial_reconnect_backoff_ms", 100),
    ("grpc.min_reconnect_backoff_ms", 100),
    ("grpc.max_reconnect_backoff_ms", 1_000),
)
_UNSET: Any = object()


def resolve_target(target: str | None) -> str:
    """The PluginAPI address: ``target``, else ``MATTERMOST_PLUGIN_API_TARGET``."""
    found = _env.resolve(_env.API_TARGET, target)
    if not found:
        raise PluginError(
            f"the plugin API is not available: {_env.API_TARGET} is not set. The server "
            "(or mmplug's host) sets it when it starts the plugin; pass target=... to "
            "connect elsewhere."
        )
    return found


class _Connection:
    """The channel and its per-rpc callables, shared by a client and its ``with_options``
    copies."""

    def __init__(self, target: str | None) -> None:
        self.target = target
        self.channel: Any = None
        self.callables: dict[str, Callable[..., Any]] = {}
        self.lock = threading.Lock()

    def callable(self, rpc: str) -> Callable[..., Any]:
        found = self.callables.get(rpc)
        if found is not None:
            return found
        import grpc  # type: ignore[import-untyped]

        with self.lock:
            if self.channel is None:
                self.channel = grpc.insecure_channel(resolve_target(self.target),
                                                     options=CHANNEL_OPTIONS)
            response_cls = message_class(API_BY_GO_NAME[rpc].response)
            method: Callable[..., Any] = self.channel.unary_unary(
                method_path(rpc),
                request_serializer=_serialize,
                response_deserializer=response_cls.FromString,
            )
            self.callables[rpc] = method
        return method

    def close(self) -> None:
        with self.lock:
            channel, self.channel = self.channel, None
            self.callables.clear()
        if channel is not None:
            channel.close()


def _serialize(message: Message) -> bytes:
    return message.SerializeToString()


class APIClient(SyncMethods):
    """Calls the server's PluginAPI: every rpc is a typed method (``get_user``, ``kv_get``, ...),
    and ``call("GoName", ...)`` reaches any rpc by name. Connects on first use to ``target``
    (default: ``MATTERMOST_PLUGIN_API_TARGET``).

    ``timeout`` bounds each call in seconds (None: no limit); ``retry`` is the policy for
    UNAVAILABLE (see ``Retry``; ``retry=None`` never retries). ``with_options(timeout=...)``
    gives a client for one call or a few with other settings, on the same connection.
    Failed calls raise ``PluginAPIError`` subclasses."""

    def __init__(
        self,
        target: str | None = None,
        *,
        timeout: float | None = DEFAULT_TIMEOUT,
        retry: Retry | None = DEFAULT_RETRY,
    ) -> None:
        self._conn = _Connection(target)
        self.timeout = timeout
        self.retry = retry or NO_RETRY

    @property
    def target(self) -> str:
        return resolve_target(self._conn.target)

    def with_options(
        self, *, timeout: float | None = _UNSET, retry: Retry | None = _UNSET
    ) -> APIClient:
        """This client with another timeout and/or retry policy, sharing its connection:
        ``self.api.with_options(timeout=2).get_user(user_id)``."""
        other = copy.copy(self)
        if timeout is not _UNSET:
            other.timeout = timeout
        if retry is not _UNSET:
            other.retry = retry or NO_RETRY
        return other

    def _invoke(self, rpc: str, request: Message) -> Any:
        method = self._conn.callable(rpc)
        deadline = None if self.timeout is None else time.monotonic() + self.timeout
        attempt = 1
        while True:
            left = None if deadline is None else deadline - time.monotonic()
            try:
                response = method(request, timeout=attempt_timeout(self.retry, attempt, left),
                                  wait_for_ready=attempt > 1 or None,
                                  metadata=_calltag.metadata())
            except Exception as exc:  # grpc.RpcError and friends, translated exactly here
                left = None if deadline is None else deadline - time.monotonic()
                pause = next_try(self.retry, rpc, exc, attempt, left)
                if pause is None:
                    raise transport_error(exc, rpc, attempt) from None
                time.sleep(pause)
                attempt += 1
                continue
            return checked(response, rpc)

    def call(self, method: str, request: Message | None = None, /, **fields: Any) -> Message:
        """Call any PluginAPI rpc by Go or Python name (``"GetTeamStats"``/``"get_team_stats"``)
        with a request message or keyword fields. Returns the response with ``error`` removed."""
        spec = spec_for(method)
        response: Any = self._invoke(spec.go_name, build_request(spec, request, fields))
        response.ClearField("error")
        return response  # type: ignore[no-any-return]

    def close(self) -> None:
        """Close the channel (reopened on next use)."""
        self._conn.close()

    def __enter__(self) -> APIClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def spec_for(method: str) -> ApiSpec:
    spec = API_BY_GO_NAME.get(method) or API_BY_PY_NAME.get(method)
    if spec is None:
        close = difflib.get_close_matches(method, list(API_BY_GO_NAME) + list(API_BY_PY_NAME), 1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise PluginError(f"unknown PluginAPI method {method!r}{hint}")
    return spec


def build_request(spec: ApiSpec, request: Message | None, fields: dict[str, Any]) -> Message:
    """The request of ``spec`` from a message or keyword fields, with a clear error."""
    load_api()
    cls = message_class(spec.request)
    if request is not None:
        if fields:
            raise PluginError(f"{spec.go_name}: pass a request message or fields, not both")
        if not isinstance(request, cls):
            raise PluginError(
                f"{spec.go_name} takes a {spec.request}, got {type(request).__name__}"
            )
        return request
    try:
        return cls(**fields)
    except (TypeError, ValueError) as exc:
        names = ", ".join(f.name for f in cls.DESCRIPTOR.fields) or "none"
        raise PluginError(f"{spec.go_name}: {exc} (fields: {names})") from None
