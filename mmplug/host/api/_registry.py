"""How an area module declares that it emulates a PluginAPI rpc.

An emulation is a plain function ``(ctx: ApiContext, req: <Request>) -> <Response>`` decorated
with ``@emulates("KVSet")``. It raises :class:`ApiFailure` for the errors the server would
return as ``AppError`` (the API server puts it in ``response.error`` or answers a gRPC status,
as the server does for that rpc); the request/response classes come from the catalog, so a
handler never names wire types it does not use.
"""

from __future__ import annotations

import importlib
import pkgutil
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from mmplug.protocol.catalog import API_BY_GO_NAME

if TYPE_CHECKING:
    from pathlib import Path

    from google.protobuf.message import Message

    from mmplug.host.store import Store
    from mmplug.manifest import Manifest


class HookDispatcher(Protocol):
    """Fires hooks at the session's plugins (provided by the Session)."""

    def fire(
        self, hook: str, request: Message, *, plugin_id: str | None = None,
        failed: list[str] | None = None,
    ) -> list[tuple[str, Message]]:
        """Run ``hook`` on every plugin that implements it (or just ``plugin_id``).

        Returns ``(plugin_id, response)`` pairs in order; plugins that do not implement the
        hook are skipped silently, as the server does. A plugin whose call failed (its
        handler raised, it timed out or crashed) gives no pair; its id goes into ``failed``
        when that is given (for the hooks whose failure the server does not ignore).
        """
        ...


# The server's plugin states (model.PluginState*), as GetPluginStatus reports them.
PLUGIN_NOT_RUNNING, PLUGIN_STARTING, PLUGIN_RUNNING = 0, 1, 2
PLUGIN_FAILED_TO_START, PLUGIN_FAILED_TO_STAY_RUNNING, PLUGIN_STOPPING = 3, 4, 5


@dataclass(frozen=True)
class PluginInfo:
    """A plugin the host knows: running, stopped, or installed through InstallPlugin."""

    id: str
    manifest: dict[str, Any]
    path: str
    state: int  # PLUGIN_* above


class ClusterBus(Protocol):
    """The cluster of the session's nodes, as PublishPluginClusterEvent uses it."""

    def publish(self, plugin_id: str, from_node: str, event_id: str, data: bytes,
                send_type: str, target_id: str) -> None:
        """Send the event to ``plugin_id`` on the other nodes (or on ``target_id`` only);
        raises ``ApiFailure`` for a node that does not exist."""
        ...


class PluginControl(Protocol):
    """The session's plugins, for GetPlugins, EnablePlugin, InstallPlugin, ... (provided by
    the Session; the server's plugins environment)."""

    def plugin_infos(self) -> list[PluginInfo]:
        """Every plugin the host knows, in the order it loaded them."""
        ...

    def set_enabled(self, plugin_id: str, enabled: bool, *, caller: str) -> None:
        """Start and activate, or deactivate and stop, a known plugin (``caller``: the plugin
        whose API call asks; a plugin stopping itself is stopped after its call returns)."""
        ...

    def install(self, plugin_dir: Path) -> None:
        """Make an unpacked plugin known to the host, not running (InstallPlugin)."""
        ...

    def remove(self, plugin_id: str, *, caller: str) -> None:
        """Stop a plugin (if it runs) and forget it (RemovePlugin)."""
        ...

    def install_root(self) -> Path:
        """Where InstallPlugin unpacks bundles (one folder per plugin id)."""
        ...


class ApiFailure(Exception):
    """An error the server would report as an ``AppError``: in the response's ``error`` field,
    or as a gRPC status, as the server's handler of the rpc does (mmplug.host.api._status)."""

    def __init__(
        self,
        status_code: int,
        error_id: str,
        message: str,
        *,
        detailed_error: str = "",
        where: str = "",
        params: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.error_id = error_id
        self.message = message
        self.detailed_error = detailed_error
        self.where = where
        self.params = params or {}


@dataclass
class ApiContext:
    """What an emulated rpc may use: the store, ids, time, the calling plugin, side effects."""

    store: Store
    plugin_id: str
    manifest: Manifest | None = None
    hooks: HookDispatcher | None = None
    # The session's plugins (GetPlugins, EnablePlugin, ...); None: a host with plugins off.
    plugins: PluginControl | None = None
    # Captured side effects (WebSocket events, cluster events, ...): (kind, payload dict).
    emit: Callable[[str, dict[str, Any]], None] = lambda kind, payload: None
    # The Log* rpcs: (level, message, key/values).
    log: Callable[[str, str, dict[str, Any]], None] = lambda level, msg, kv: None
    extra: dict[str, Any] = field(default_factory=dict)
    # With several nodes: the node serving the call, and the bus that carries cluster events
    # to the same plugin on the other nodes (PublishPluginClusterEvent).
    node: str = ""
    cluster: ClusterBus | None = None

    def new_id(self) -> str:
        """A fresh 26-character Mattermost id (deterministic per world seed)."""
        return self.store.new_id()

    def now(self) -> int:
        """Milliseconds since the epoch from the store's clock (injectable)."""
        return self.store.now_ms()


@dataclass
class ApiCall:
    """One PluginAPI call as observed by the host (for fire output, tests and cassettes)."""

    plugin_id: str
    method: str
    request: Message
    response: Message | None
    # AppError fields (with "grpc_code" and "details" when it reached the plugin as a gRPC
    # status), or {"grpc_code": ..., "message": ...} for an rpc that is not there
    error: dict[str, Any] | None
    duration_s: float
    emulated: bool = True
    # Which node of the host served it ("" with one node), and, from mmplug's SDK, the tag of
    # the hook call that made it and the plugin's line that did (mmplug.sdk._calltag).
    node: str = ""
    tag: str = ""
    site: str = ""
    started: float = 0.0  # time.perf_counter() when it arrived


Handler = Callable[[ApiContext, Any], Any]
_EMULATED: dict[str, Handler] = {}
_LOADED = False


def emulates(go_name: str) -> Callable[[Handler], Handler]:
    """Register the decorated function as the emulation of PluginAPI rpc ``go_name``."""
    if go_name not in API_BY_GO_NAME:
        raise ValueError(f"{go_name!r} is not a PluginAPI rpc (see mmplug.protocol.catalog)")

    def register(fn: Handler) -> Handler:
        if go_name in _EMULATED and _EMULATED[go_name] is not fn:
            raise ValueError(f"PluginAPI.{go_name} is emulated twice")
        _EMULATED[go_name] = fn
        return fn

    return register


_DIFFERENCES: dict[str, list[str]] = {}


def differs(go_name: str, text: str) -> None:
    """Declare a known difference of the emulation of ``go_name`` from the real server, in one
    sentence a plugin author understands (what the server does, what mmplug does instead).
    docs/parity.md lists them (scripts/gen_api_docs.py)."""
    if go_name not in API_BY_GO_NAME:
        raise ValueError(f"{go_name!r} is not a PluginAPI rpc (see mmplug.protocol.catalog)")
    _DIFFERENCES.setdefault(go_name, []).append(text)


def differences() -> dict[str, list[str]]:
    """Every declared difference, after importing all area modules of this package."""
    emulated()
    return {name: list(texts) for name, texts in sorted(_DIFFERENCES.items())}


_IMPORT_LOCK = threading.Lock()


def handler_for(go_name: str) -> Handler | None:
    """The emulation of ``go_name`` (its area module is imported on first use), or None."""
    handler = _EMULATED.get(go_name)
    if handler is not None:
        return handler
    from mmplug.host.api._index import AREA_OF

    area = AREA_OF.get(go_name)
    if area is None:
        return None
    with _IMPORT_LOCK:
        importlib.import_module(f"mmplug.host.api.{area}")
    return _EMULATED.get(go_name)


def is_emulated(go_name: str) -> bool:
    from mmplug.host.api._index import AREA_OF

    return go_name in AREA_OF


def emulated() -> dict[str, Handler]:
    """Every emulated rpc, after importing all area modules of this package."""
    global _LOADED
    with _IMPORT_LOCK:
        if not _LOADED:
            import mmplug.host.api as package

            for info in pkgutil.iter_modules(package.__path__):
                if not info.name.startswith("_") and info.name not in ("server", "stubs"):
                    importlib.import_module(f"mmplug.host.api.{info.name}")
            _LOADED = True
    return dict(_EMULATED)
