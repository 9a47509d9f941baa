"""The hook-call pipeline around a Session: observers, per-call collectors, the dispatcher.

* :class:`Observers` holds the attached observers (recorders, tracers, the CLI printer) and,
  per plugin, the collectors of hook calls in flight, which gather the API calls and logs that
  happen during each call.
* :class:`Dispatcher` is what the PluginAPI server uses to fire hooks for side effects
  (CreatePost -> MessageWillBePosted, slash commands): ``ApiServer(hooks=session.hooks)``.
* :class:`Plugins` is what it uses for the plugin rpcs (GetPlugins, EnablePlugin, ...).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from mmplug.errors import MmplugError
from mmplug.host.logs import host_record

if TYPE_CHECKING:
    from pathlib import Path

    from google.protobuf.message import Message

    from mmplug.host.api import ApiCall
    from mmplug.host.api._registry import PluginInfo
    from mmplug.host.logs import LogRecord
    from mmplug.host.session import Session


class Collector:
    """The API calls and logs of one plugin while one hook call is in flight. ``tag``: the
    call's tag (see :mod:`mmplug.sdk._calltag`), when the host tags calls: an API call that
    carries a tag goes to the collector of that tag only."""

    def __init__(self, tag: str = "") -> None:
        self.tag = tag
        self.api_calls: list[ApiCall] = []
        self.logs: list[LogRecord] = []


def where(plugin_id: str, node: str = "") -> str:
    """The key of a plugin on a node (its collectors, its clock): ``plugin`` with one node,
    ``plugin@node2`` with several."""
    return f"{plugin_id}@{node}" if node else plugin_id


class Observers:
    """Observers get ``on_hook_start``, ``on_hook_call``, ``on_api_call``, ``on_log``,
    ``on_event`` (each optional).

    The observer list and each plugin's collector list are tuples replaced (under the lock) on
    every change, so the per-call paths read them without locking or copying.
    """

    def __init__(self) -> None:
        self._observers: tuple[object, ...] = ()
        self._collectors: dict[str, tuple[Collector, ...]] = {}
        self._lock = threading.Lock()
        # Per thread: how deep in consequences of a call (see consequences()), and whether a
        # user action (see action()) has made its first hook call yet.
        self._local = threading.local()

    def add(self, observer: object) -> None:
        with self._lock:
            self._observers = (*self._observers, observer)

    def remove(self, observer: object) -> None:
        with self._lock:
            if observer in self._observers:
                kept = list(self._observers)
                kept.remove(observer)
                self._observers = tuple(kept)

    def notify(self, method: str, *args: Any) -> list[str]:
        """Call ``method`` on every observer that has it; returns the failures as text."""
        failures = []
        for observer in self._observers:
            callback = getattr(observer, method, None)
            if callback is None:
                continue
            try:
                callback(*args)
            except Exception as exc:  # an observer must not break the session
                failures.append(f"observer {type(observer).__name__}.{method} failed: {exc}")
        return failures

    def open(self, plugin_id: str, tag: str = "") -> Collector:
        """Start collecting for one hook call of ``plugin_id`` (a :func:`where` key); end
        with :meth:`close`."""
        collector = Collector(tag)
        with self._lock:
            self._collectors[plugin_id] = (*self._collectors.get(plugin_id, ()), collector)
        return collector

    def close(self, plugin_id: str, collector: Collector) -> None:
        with self._lock:
            kept = tuple(c for c in self._collectors.get(plugin_id, ()) if c is not collector)
            if kept:
                self._collectors[plugin_id] = kept
            else:
                self._collectors.pop(plugin_id, None)

    def collectors_of(self, plugin_id: str) -> tuple[Collector, ...]:
        return self._collectors.get(plugin_id, ())

    def collectors_for(self, key: str, tag: str) -> tuple[Collector, ...]:
        """Where an API call of ``key`` goes: the collector of its tag when it has one, else
        every collector of ``key``."""
        found = self._collectors.get(key, ())
        if tag and found:
            return tuple(c for c in found if c.tag == tag)
        return found

    def in_flight(self, plugin_id: str | None = None) -> bool:
        """Whether a hook call of ``plugin_id`` (None: any plugin; on any node) is being
        collected."""
        if plugin_id is None:
            return bool(self._collectors)
        return any(key == plugin_id or key.startswith(plugin_id + "@")
                   for key in self._collectors)

    # -- which hook calls are consequences of another ------------------------------------------
    # A hook the host runs because of another call (a CreatePost of a hook in flight runs
    # MessageWillBePosted; the host saves the post a fired MessageWillBePosted allowed and runs
    # MessageHasBeenPosted) is "nested": a cassette replay does not fire it, it happens again
    # through the call it came from.
    @contextmanager
    def consequences(self) -> Iterator[None]:
        """Hook calls made in this thread meanwhile are consequences (nested)."""
        depth = getattr(self._local, "depth", 0)
        self._local.depth = depth + 1
        try:
            yield
        finally:
            self._local.depth = depth

    @contextmanager
    def action(self) -> Iterator[None]:
        """A user action (a post, a slash command, ...): its first hook call in this thread is
        the one a cassette records; the calls after it are its consequences."""
        previous = getattr(self._local, "action", None)
        self._local.action = [False]
        try:
            yield
        finally:
            self._local.action = previous

    def begin_call(self, plugin_id: str) -> bool:
        """Whether a hook call of ``plugin_id`` starting now in this thread is nested."""
        if self._collectors.get(plugin_id) or int(getattr(self._local, "depth", 0)) > 0:
            return True
        action = getattr(self._local, "action", None)
        if action is None:
            return False
        if action[0]:
            return True
        action[0] = True
        return False


class Dispatcher:
    """What the API server uses to run hooks for side effects (CreatePost, slash commands).

    Like the server: plugins that do not implement the hook are skipped silently, and a
    plugin that breaks is logged and skipped (the server fails open). Chaining Will* hooks
    (each plugin sees the previous one's modification; a rejection stops) is done by the API
    side, one plugin at a time over :meth:`plugin_ids` (``mmplug.host.api._hooks.chain``).
    """

    def __init__(self, session: Session, node: str = "") -> None:
        self._session = session
        # The node of the host whose plugins this dispatcher runs (with several nodes, an API
        # call's hooks run on the node that handled the call, as on a server cluster).
        self.node = node

    def plugin_ids(self) -> list[str]:
        """The active plugins, in the order the session loaded them."""
        return [h.id for h in self._session.plugins.values() if h.state == "active"]

    def fire(
        self, hook: str, request: Message, *, plugin_id: str | None = None,
        failed: list[str] | None = None,
    ) -> list[tuple[str, Message]]:
        session = self._session
        ids = [plugin_id] if plugin_id else list(session.plugins)
        handles = [session.plugin_on(pid, self.node) for pid in ids]
        answers: list[tuple[str, Message]] = []
        for handle in handles:
            if handle.state != "active" or hook not in handle.implemented:
                continue
            try:
                result = session.invoke(handle, hook, request)
            except MmplugError as exc:
                session.emit_log(host_record(handle.id, "error", exc.message))
                if failed is not None:
                    failed.append(handle.id)
                continue
            if result.response is None:
                if failed is not None:
                    failed.append(handle.id)
                continue
            answers.append((handle.id, result.response))
        return answers

    def serve_http(self, plugin_id: str, init: Any, body: bytes) -> Any:
        """One HTTP request (its ``init`` made) to ``plugin_id``'s ServeHTTP (inter-plugin
        ``PluginHTTP``), on this node."""
        return self._session.serve_http(plugin_id, init.method, init.url, (), iter([body]),
                                        node=self.node or None, init=init)


_STATE_OF = {"active": 2, "starting": 1, "failed": 3, "crashed": 4, "stopping": 5}


class Plugins:
    """The session's plugins as the PluginAPI's plugin rpcs see them (GetPlugins, EnablePlugin,
    DisablePlugin, RemovePlugin, InstallPlugin): ``ApiServer(plugins=session.plugin_control)``.
    """

    def __init__(self, session: Session) -> None:
        self._session = session
        self._lock = threading.Lock()

    def plugin_infos(self) -> list[PluginInfo]:
        from mmplug.host.api._registry import PluginInfo

        return [PluginInfo(h.id, dict(h.manifest.raw), str(h.manifest.plugin_dir),
                           _STATE_OF.get(h.state, 0))
                for h in list(self._session.plugins.values())]

    def set_enabled(self, plugin_id: str, enabled: bool, *, caller: str) -> None:
        def change() -> None:
            with self._lock:
                self._session.set_plugin_enabled(plugin_id, enabled)

        self._run(change, plugin_id, caller)

    def install(self, plugin_dir: Path) -> None:
        with self._lock:
            self._session.add_plugin(plugin_dir, start=False)

    def remove(self, plugin_id: str, *, caller: str) -> None:
        def change() -> None:
            with self._lock:
                self._session.remove_plugin(plugin_id)

        self._run(change, plugin_id, caller)

    def install_root(self) -> Path:
        return self._session.install_root()

    def _run(self, change: Callable[[], None], plugin_id: str, caller: str) -> None:
        """Now, or (a plugin stopping itself) once the hook call during which it asked has
        returned: the host cannot wait for the plugin's OnDeactivate while the plugin waits
        for the host, and stopping it sooner would fail that hook call."""
        if plugin_id != caller:
            change()
            return
        session = self._session

        def later() -> None:
            deadline = time.monotonic() + session.hook_timeout
            while session.in_flight(caller) and time.monotonic() < deadline:
                time.sleep(0.01)
            change()

        threading.Thread(target=later, name="mmplug-plugin-change", daemon=True).start()
