"""What the sync and the async API clients share: requests, the retry policy, the translation of
failures into SDK exceptions. Both clients are thin: they only wait differently.

A hand-written method (``kv_get_json``, ``create_post(channel_id=..., message=...)``) is a pure
function that returns a :class:`Call`: the rpc, its request and how to turn the response into
the method's result. ``scripts/gen_sdk.py`` reads those functions and writes the same method
into both clients (``_api_sync.py``, ``_api_async.py``), next to the generated ones.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from google.protobuf.message import Message

from ._convert import app_error_to_exception, check_fields, invalid_fields
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

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])
RPC_ATTR = "__mmplug_rpc__"


class Call(Generic[T]):
    """One PluginAPI call, not made yet: ``rpc``, its ``request`` and ``finish(response)``."""

    __slots__ = ("finish", "request", "rpc")

    def __init__(self, rpc: str, request: Message, finish: Callable[[Any], T]) -> None:
        self.rpc = rpc
        self.request = request
        self.finish = finish


def call(rpc: str, finish: Callable[[Any], T], /, **fields: Any) -> Call[T]:
    """A :class:`Call` of ``rpc`` with a request built from ``fields``."""
    cls = request_class(rpc)
    try:
        request = cls(**fields)
    except (TypeError, ValueError) as exc:
        empty = cls()
        check_fields(rpc, empty, fields)
        raise invalid_fields(rpc, empty, str(exc)) from None
    return Call(rpc, request, finish)


def handwritten(rpc: str) -> Callable[[F], F]:
    """Marks a function returning a ``Call`` of ``rpc`` as a method of both API clients."""

    def mark(func: F) -> F:
        setattr(func, RPC_ATTR, rpc)
        return func

    return mark


def nothing(_response: Any) -> None:
    return None


@functools.cache
def request_class(rpc: str) -> Callable[..., Message]:
    from mmplug.protocol.catalog import API_BY_GO_NAME

    load_api()
    return message_class(API_BY_GO_NAME[rpc].request)


@functools.cache
def method_path(rpc: str) -> str:
    return f"/{API_SERVICE}/{rpc}"


@functools.cache
def is_idempotent(rpc: str) -> bool:
    from ._api_index import IDEMPOTENT

    return rpc in IDEMPOTENT


# -- retry ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Retry:
    """How a client retries a call that failed with gRPC UNAVAILABLE (the server restarting, or
    not reachable yet). Only idempotent rpcs are retried (reads, plain overwrites and deletes:
    ``mmplug.sdk._api_index.IDEMPOTENT``): a create or a compare-and-set that may have been
    applied is never sent twice.

    ``attempts`` counts the first try. Before retry ``n`` the client sleeps
    ``backoff * 2 ** (n - 1)`` seconds (at most ``max_backoff``); a retry then waits up to
    ``wait`` seconds for the connection to come back. No attempt outlives the call's timeout."""

    attempts: int = 3
    backoff: float = 0.25
    max_backoff: float = 2.0
    wait: float = 5.0

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError(f"Retry(attempts={self.attempts}): at least 1 (the first try)")

    def delay(self, retry: int) -> float:
        """Seconds to sleep before retry number ``retry`` (1 for the first retry)."""
        return float(min(self.max_backoff, self.backoff * 2 ** (retry - 1)))


NO_RETRY = Retry(attempts=1)
DEFAULT_RETRY = Retry()
DEFAULT_TIMEOUT = 30.0


def attempt_timeout(policy: Retry, attempt: int, left: float | None) -> float | None:
    """The deadline of attempt ``attempt`` (1-based), ``left`` seconds before the call's."""
    if attempt == 1:
        return left
    return policy.wait if left is None else min(left, policy.wait)


def next_try(
    policy: Retry, rpc: str, exc: BaseException, attempt: int, left: float | None
) -> float | None:
    """Seconds to sleep before trying ``rpc`` again after failed attempt ``attempt``, or None
    to give up. A retry that timed out waiting for the server counts as unavailable."""
    code = grpc_code_name(exc)
    if not (code == "UNAVAILABLE" or (attempt > 1 and code == "DEADLINE_EXCEEDED")):
        return None
    if app_error_of_status(exc) is not None:  # the server's answer (an AppError 503)
        return None
    if attempt >= policy.attempts or not is_idempotent(rpc):
        return None
    pause = policy.delay(attempt)
    if left is not None and left <= pause:
        return None
    return pause


# -- failures ------------------------------------------------------------------------------------
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


# Most of the server's API handlers answer an AppError as a gRPC status whose details are
# "<error id>: <message>" (its code from the HTTP status); an error id has no spaces.
_APP_ERROR_DETAILS = re.compile(r"([\w.-]*): (.*)", re.DOTALL)


def grpc_code_name(exc: BaseException) -> str:
    code = getattr(exc, "code", None)
    status = code() if callable(code) else None
    return str(getattr(status, "name", "UNKNOWN"))


def _details(exc: BaseException) -> str:
    details_fn = getattr(exc, "details", None)
    return (details_fn() if callable(details_fn) else None) or str(exc)


def app_error_of_status(exc: BaseException) -> tuple[str, str] | None:
    """``(error id, message)`` of a gRPC status the server made of an AppError, else None (a
    transport failure, or a plain error: ``internal error: ...``)."""
    if getattr(exc, "code", None) is None:
        return None
    found = _APP_ERROR_DETAILS.fullmatch(_details(exc))
    return (found.group(1), found.group(2)) if found else None


def transport_error(exc: BaseException, rpc: str, attempts: int = 1) -> PluginAPIError:
    """The SDK exception for a failed gRPC call (``grpc.RpcError`` and friends). A status the
    server made of an AppError raises what the same AppError in the response would: its id and
    message, the status code the gRPC code stands for."""
    name = grpc_code_name(exc)
    cls, status_code = _BY_GRPC_CODE.get(name, (PluginAPIError, 500))
    app_error = app_error_of_status(exc)
    if app_error is not None:
        error_id, message = app_error
        return cls(status_code, error_id, message, rpc, grpc_code=name, method=rpc)
    details = _details(exc)
    if attempts > 1:
        details += f" (after {attempts} attempts)"
    elif name == "UNAVAILABLE" and not is_idempotent(rpc):
        details += f" (not retried: {rpc} is not idempotent)"
    return cls(status_code, f"grpc.{name.lower()}", details, rpc, grpc_code=name, method=rpc)


def checked(response: Any, rpc: str) -> Any:
    """``response``, unless it carries an AppError: then raise it as an SDK exception."""
    error = response.error
    if error.id:
        raise app_error_to_exception(error, rpc)
    return response


def not_on_this_loop(client: str) -> PluginError:
    return PluginError(
        f"this {client} belongs to another event loop; await it from the loop that first "
        "used it (the plugin's hooks loop), or create one client per loop"
    )
