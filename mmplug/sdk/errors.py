"""Exceptions raised by the plugin SDK.

The tree::

    PluginError                      base of everything the SDK raises
    ├── HookRegistrationError        a Plugin class is wrong (misspelled hook, bad signature)
    ├── ReturnTypeError              a handler returned what its hook cannot carry (_returns)
    ├── ServeError                   the plugin cannot start serving (_server)
    ├── ClientDisconnected           the HTTP client went away mid-answer (_stream)
    └── PluginAPIError               a PluginAPI call failed (AppError or transport error)
        ├── InvalidArgumentError     400, 413, 422 / INVALID_ARGUMENT  (alias: ValidationError)
        ├── PermissionDeniedError    401, 403 / PERMISSION_DENIED, UNAUTHENTICATED
        ├── NotFoundError            404 / NOT_FOUND
        ├── AlreadyExistsError       409 / ALREADY_EXISTS
        ├── UnavailableError         429, 503 / UNAVAILABLE, RESOURCE_EXHAUSTED, DEADLINE_EXCEEDED
        └── NotImplementedAPIError   501 / UNIMPLEMENTED (a feature turned off on the server,
                                     or an rpc the host does not provide)

Any other status (500 above all) is a plain ``PluginAPIError``; ``status_code`` and
``error_id`` always carry the server's AppError. Plugin code never sees a raw
``grpc.RpcError``: the API client translates them here.
"""

from __future__ import annotations

__all__ = [
    "AlreadyExistsError",
    "HookRegistrationError",
    "InvalidArgumentError",
    "NotFoundError",
    "NotImplementedAPIError",
    "PermissionDeniedError",
    "PluginAPIError",
    "PluginError",
    "UnavailableError",
    "ValidationError",
    "error_for_status",
]


class PluginError(Exception):
    """Base class of every exception the SDK raises."""


class HookRegistrationError(PluginError, TypeError):
    """A Plugin subclass declares a hook wrongly; raised when the class is defined."""

    def __init__(self, message: str, *, file: str = "", line: int = 0, suggestion: str = ""):
        self.file = file
        self.line = line
        self.suggestion = suggestion
        where = f"{file}:{line}: " if file else ""
        super().__init__(where + message)


class PluginAPIError(PluginError):
    """A PluginAPI call failed. Carries the server's AppError fields, and ``method``: the Go
    name of the rpc that failed (``"GetUser"``)."""

    def __init__(
        self,
        status_code: int,
        error_id: str,
        message: str,
        where: str = "",
        *,
        detailed_error: str = "",
        grpc_code: str = "",
        method: str = "",
    ):
        self.status_code = status_code
        self.error_id = error_id
        self.message = message
        self.where = where
        self.detailed_error = detailed_error
        self.grpc_code = grpc_code
        self.method = method or where
        super().__init__(self._describe())

    def _describe(self) -> str:
        text = self.message or self.error_id or "plugin API call failed"
        parts = [f"{self.where}: {text}" if self.where else text]
        if self.detailed_error:
            parts.append(f"({self.detailed_error})")
        tags = [t for t in (self.error_id, str(self.status_code) if self.status_code else "") if t]
        if tags:
            parts.append(f"[{', '.join(tags)}]")
        return " ".join(parts)


class InvalidArgumentError(PluginAPIError):
    """The server rejected the arguments (HTTP 400; 413 when too large, 422)."""


ValidationError = InvalidArgumentError


class PermissionDeniedError(PluginAPIError):
    """Not allowed (HTTP 401/403)."""


class NotFoundError(PluginAPIError):
    """The entity does not exist (HTTP 404)."""


class AlreadyExistsError(PluginAPIError):
    """Conflict with an existing entity (HTTP 409)."""


class UnavailableError(PluginAPIError):
    """The server is unreachable, overloaded or rate-limiting (HTTP 429/503, gRPC UNAVAILABLE)."""


class NotImplementedAPIError(PluginAPIError):
    """The feature is turned off on the server (HTTP 501, e.g. public file links or custom
    emoji disabled), or the host does not implement this rpc (gRPC UNIMPLEMENTED)."""


_BY_STATUS: dict[int, type[PluginAPIError]] = {
    400: InvalidArgumentError,
    401: PermissionDeniedError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: AlreadyExistsError,
    413: InvalidArgumentError,
    422: InvalidArgumentError,
    429: UnavailableError,
    501: NotImplementedAPIError,
    503: UnavailableError,
}


def error_for_status(status_code: int) -> type[PluginAPIError]:
    """The exception class for an AppError status code."""
    return _BY_STATUS.get(status_code, PluginAPIError)
