"""What the explorer works on: a running dev loop (live) or a project's state alone (offline).

Live, every change goes through the session (its store, its hook dispatcher, the loop's lock
that keeps a reload from starting in the middle of an action). Offline (``mmplug explore``
with no ``mmplug dev`` running) the explorer opens ``.mmplug/state.db`` and the trace of the
last dev run; no plugin runs, so what needs one (posting, commands, re-firing) says so.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from mmplug.errors import MmplugError

if TYPE_CHECKING:
    from mmplug.devloop.loop import DevLoop
    from mmplug.explorer.capture import TraceCapture
    from mmplug.explorer.trace import TraceStore
    from mmplug.host.api._registry import ApiContext
    from mmplug.host.events import CallEvent
    from mmplug.host.store import Store
    from mmplug.manifest import Manifest

T = TypeVar("T")


class NotLive(MmplugError):
    """An operation that needs a running plugin, asked of an offline explorer."""

    def __init__(self, what: str) -> None:
        super().__init__(f"{what} needs the plugin running, and no `mmplug dev` runs for this "
                         "project", hint="start `mmplug dev` in the project; its explorer does it")


class Backend:
    """The common face of both kinds. Subclasses fill in the rest."""

    live = False

    def __init__(self, project: Path, trace: TraceStore, capture: TraceCapture | None) -> None:
        self.project = project
        self.trace = trace
        self.capture = capture
        self._lock = threading.RLock()

    # what subclasses provide
    @property
    def store(self) -> Store:
        raise NotImplementedError

    def manifests(self) -> dict[str, Manifest]:
        raise NotImplementedError

    def status(self) -> dict[str, Any]:
        raise NotImplementedError

    def fire(self, hook: str, request: Any, plugin_id: str | None) -> CallEvent:
        raise NotLive(f"firing {hook}")

    def front_door_url(self) -> str | None:
        return None

    def clock(self, advance: str | None = None, to: str | None = None,
              data_retention: bool = False) -> dict[str, Any]:
        """The host's clock (``Timekeeper.command``): move it, or only read it."""
        if advance is not None or to is not None:
            raise NotLive("moving the clock")
        return {"live": False}

    def host_context(self, plugin_id: str = "") -> ApiContext:
        """The server's own context for an action (hooks go to every active plugin)."""
        from mmplug.host.api._registry import ApiContext

        return ApiContext(self.store, plugin_id, self.manifests().get(plugin_id))

    def after_restore(self) -> None:
        """The state was replaced (snapshot restore, reset)."""

    @contextlib.contextmanager
    def exclusive(self) -> Iterator[None]:
        """Held while an action runs (live: no reload starts in the middle of it)."""
        with self._lock:
            yield

    def run(self, fn: Callable[[], T]) -> T:
        with self.exclusive():
            return fn()

    def close(self) -> None:
        pass


class LiveBackend(Backend):
    """A running ``mmplug dev``."""

    live = True

    def __init__(self, loop: DevLoop, trace: TraceStore, capture: TraceCapture) -> None:
        super().__init__(loop.plugin_dirs[0], trace, capture)
        self.loop = loop

    @property
    def session(self) -> Any:
        return self.loop._session()

    @property
    def store(self) -> Store:
        store: Store = self.session.store
        return store

    def manifests(self) -> dict[str, Manifest]:
        return {h.id: h.manifest for h in self.session.plugins.values()}

    def status(self) -> dict[str, Any]:
        door = self.loop.front_door
        return {"live": True, "project": str(self.project),
                "plugins": [s.as_dict() for s in self.loop.status.values()],
                "front_door": door.url if door else None,
                "store": str(self.store.path), "acting_user": self.loop.acting_user(None)[1]}

    def fire(self, hook: str, request: Any, plugin_id: str | None) -> CallEvent:
        return self.loop.fire(hook, request, plugin_id)

    def clock(self, advance: str | None = None, to: str | None = None,
              data_retention: bool = False) -> dict[str, Any]:
        with self.exclusive():  # no reload starts while the plugins' jobs run
            answer = self.session.clock.command(advance=advance, to=to,
                                                data_retention=data_retention)
        return {"live": True, **answer}

    def front_door_url(self) -> str | None:
        door = self.loop.front_door
        return door.url if door else None

    def host_context(self, plugin_id: str = "") -> ApiContext:
        from mmplug.host.api._registry import ApiContext

        session = self.session
        return ApiContext(session.store, plugin_id, self.manifests().get(plugin_id),
                          session.hooks, session.plugin_control, emit=session.emit_event,
                          log=lambda level, msg, kv: None)

    @contextlib.contextmanager
    def exclusive(self) -> Iterator[None]:
        with self.loop._lock:
            yield

    def after_restore(self) -> None:
        """Plugins keep what they read at activation (a bot id, settings): restart them on the
        restored state, as a fresh start of ``mmplug dev`` would."""
        for plugin_id in list(self.loop.status):
            self.loop.request_reload(plugin_id, "state restored from the explorer")


class OfflineBackend(Backend):
    """A project's state with no plugin running (``mmplug explore``)."""

    def __init__(self, project: Path, store: Store, trace: TraceStore) -> None:
        super().__init__(project, trace, None)
        self._store = store
        self._manifests: dict[str, Manifest] | None = None

    @property
    def store(self) -> Store:
        return self._store

    def manifests(self) -> dict[str, Manifest]:
        if self._manifests is None:
            from mmplug.manifest import load_manifest

            manifest = load_manifest(self.project)
            self._manifests = {manifest.id: manifest}
        return self._manifests

    def status(self) -> dict[str, Any]:
        return {"live": False, "project": str(self.project),
                "plugins": [{"id": pid, "directory": str(m.plugin_dir), "state": "not running",
                             "implemented": [], "problem": None, "last_reload": None}
                            for pid, m in self.manifests().items()],
                "front_door": None, "store": str(self.store.path), "acting_user": "anonymous"}

    def close(self) -> None:
        self._store.close()
