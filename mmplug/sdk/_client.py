"""The PluginAPI client: one channel, one generic typed call path, Pythonic methods on top."""

from __future__ import annotations

import difflib
import threading
from collections.abc import Callable
from typing import Any

from google.protobuf.message import Message

from mmplug.protocol.catalog import API_BY_GO_NAME, API_BY_PY_NAME, ApiSpec

from . import _env
from ._api_channels import ChannelsMixin
from ._api_files import FilesMixin
from ._api_kv import KVMixin
from ._api_misc import MiscMixin
from ._api_users import UsersMixin
from ._convert import app_error_to_exception
from ._proto import API_SERVICE, load_api, message_class
from .errors import (
    AlreadyExistsError,
    InvalidArgumentError,
    NotFoundError,
    NotImplementedAPIError,
    PermissionDeniedError,
    PluginAPIError,
    PluginError,
    UnavailableError,
)

MAX_MESSAGE = 100 * 1024 * 1024
CHANNEL_OPTIONS = (
    ("grpc.keepalive_time_ms", 10_000),
    ("grpc.keepalive_timeout_ms", 5_000),
    ("grpc.keepalive_permit_without_calls", 1),
    ("grpc.max_receive_message_length", MAX_MESSAGE),
    ("grpc.max_send_message_length", MAX_MESSAGE),
)
_BY_GRPC_CODE = {
    "INVALID_ARGUMENT": (InvalidArgumentError, 400),
    "OUT_OF_RANGE": (InvalidArgumentError, 400),
    "FAILED_PRECONDITION": (InvalidArgumentError, 400),
    "UNAUTHENTICATED": (PermissionDeniedError, 401),
    "PERMISSION_DENIED": (PermissionDeniedError, 403),
    "NOT_FOUND": (NotFoundError, 404),
    "ALREADY_EXISTS": (AlreadyExistsError, 409),
    "RESOURCE_EXHAUSTED": (UnavailableError, 429),
    "UNAVAILABLE": (UnavailableError, 503),
    "DEADLINE_EXCEEDED": (UnavailableError, 504),
    "UNIMPLEMENTED": (NotImplementedAPIError, 501),
}


class APIClient(KVMixin, UsersMixin, ChannelsMixin, FilesMixin, MiscMixin):
    """Calls the server's PluginAPI. Connects lazily to ``target`` (default:
    ``MATTERMOST_PLUGIN_API_TARGET``). Failed calls raise ``PluginAPIError`` subclasses."""

    def __init__(self, target: str | None = None, *, timeout: float | None = 30.0) -> None:
        self._target = target
        self.timeout = timeout
        self._channel: Any = None
        self._callables: dict[str, Callable[..., Any]] = {}
        self._lock = threading.Lock()

    @property
    def target(self) -> str:
        target = _env.resolve(_env.API_TARGET, self._target)
        if not target:
            raise PluginError(
                f"the plugin API is not available: {_env.API_TARGET} is not set. The server "
                "(or mmplug's host) sets it when it starts the plugin; pass APIClient(target=...) "
                "to connect elsewhere."
            )
        return target

    def _callable(self, spec: ApiSpec) -> Callable[..., Any]:
        found: Callable[..., Any] | None = self._callables.get(spec.go_name)
        if found is not None:
            return found
        import grpc  # type: ignore[import-untyped]

        with self._lock:
            if self._channel is None:
                self._channel = grpc.insecure_channel(self.target, options=CHANNEL_OPTIONS)
            response_cls = message_class(spec.response)
            found = self._channel.unary_unary(  # grpc is untyped
                f"/{API_SERVICE}/{spec.go_name}",
                request_serializer=lambda m: m.SerializeToString(),
                response_deserializer=response_cls.FromString,
            )
            self._callables[spec.go_name] = found
        assert found is not None
        return found

    def call(self, method: str, request: Message | None = None, /, **fields: Any) -> Message:
        """Call any PluginAPI rpc by Go or Python name (``"GetTeamStats"``/``"get_team_stats"``)
        with a request message or keyword fields. Returns the response with ``error`` removed."""
        spec = _spec(method)
        request = _request(spec, request, fields)
        try:
            response: Any = self._callable(spec)(request, timeout=self.timeout)
        except PluginError:
            raise
        except Exception as exc:  # grpc.RpcError and friends, translated exactly here
            raise _transport_error(exc, spec.go_name) from None
        if response.HasField("error") and response.error.id:
            raise app_error_to_exception(response.error, spec.go_name)
        response.ClearField("error")
        return response  # type: ignore[no-any-return]

    def _call(self, method: str, **fields: Any) -> Any:
        return self.call(method, **fields)

    def close(self) -> None:
        """Close the channel (reopened on next use)."""
        with self._lock:
            channel, self._channel = self._channel, None
            self._callables.clear()
        if channel is not None:
            channel.close()

    def __enter__(self) -> APIClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def _spec(method: str) -> ApiSpec:
    spec = API_BY_GO_NAME.get(method) or API_BY_PY_NAME.get(method)
    if spec is None:
        close = difflib.get_close_matches(method, list(API_BY_GO_NAME) + list(API_BY_PY_NAME), 1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise PluginError(f"unknown PluginAPI method {method!r}{hint}")
    return spec


def _request(spec: ApiSpec, request: Message | None, fields: dict[str, Any]) -> Message:
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


def _transport_error(exc: Exception, method: str) -> PluginAPIError:
    code = getattr(exc, "code", None)
    status = code() if callable(code) else None
    name = getattr(status, "name", "UNKNOWN")
    details_fn = getattr(exc, "details", None)
    details = (details_fn() if callable(details_fn) else None) or str(exc)
    cls, status_code = _BY_GRPC_CODE.get(name, (PluginAPIError, 500))
    return cls(status_code, f"grpc.{name.lower()}", details, method, grpc_code=name)
