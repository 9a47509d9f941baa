"""The hook-call pipeline around a Session: observers, per-call collectors, the dispatcher.

* :class:`Observers` holds the attached observers (recorders, tracers, the CLI printer) and,
  per plugin, the collectors of hook calls in flight, which gather the API calls and logs that
  happen during each call.
* :class:`Dispatcher` is what the PluginAPI server uses to fire hooks for side effects
  (CreatePost -> MessageWillBePosted, slash commands): ``ApiServer(hooks=session.hooks)``.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from mmplug.errors import MmplugError
from mmplug.host.logs import host_record

if TYPE_CHECKING:
    from google.protobuf.message import Message

    from mmplug.host.api import ApiCall
    from mmplug.host.logs import LogRecord
    from mmplug.host.session import Session


class Collector:
    """The API calls and logs of one plugin while one hook call is in flight."""

    def __init__(self) -> None:
        self.api_calls: list[ApiCall] = []
        self.logs: list[LogRecord] = []


class Observers:
    """Observers get ``on_hook_call``, ``on_api_call``, ``on_log``, ``on_event`` (optional).

    The observer list and each plugin's collector list are tuples replaced (under the lock) on
    every change, so the per-call paths read them without locking or copying.
    """

    def __init__(self) -> None:
        self._observers: tuple[object, ...] = ()
        self._collectors: dict[str, tuple[Collector, ...]] = {}
        self._lock = threading.Lock()

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

    def open(self, plugin_id: str) -> Collector:
        """Start collecting for one hook call of ``plugin_id``; end with :meth:`close`."""
        collector = Collector()
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


class Dispatcher:
    """What the API server uses to run hooks for side effects (CreatePost, slash commands).

    Like the server: plugins that do not implement the hook are skipped silently, and a
    plugin that breaks is logged and skipped (the server fails open). Chaining Will* hooks
    (each plugin sees the previous one's modification; a rejection stops) is done by the API
    side, one plugin at a time over :meth:`plugin_ids` (``mmplug.host.api._hooks.chain``).
    """

    def __init__(self, session: Session) -> None:
        self._session = session

    def plugin_ids(self) -> list[str]:
        """The active plugins, in the order the session loaded them."""
        return [h.id for h in self._session.plugins.values() if h.state == "active"]

    def fire(
        self, hook: str, request: Message, *, plugin_id: str | None = None
    ) -> list[tuple[str, Message]]:
        session = self._session
        handles = [session.plugin(plugin_id)] if plugin_id else list(session.plugins.values())
        answers: list[tuple[str, Message]] = []
        for handle in handles:
            if handle.state != "active" or hook not in handle.implemented:
                continue
            try:
                result = session._invoke(handle, hook, request)
            except MmplugError as exc:
                session._emit_log(host_record(handle.id, "error", exc.message))
                continue
            if result.response is None:
                continue
            answers.append((handle.id, result.response))
        return answers

    def serve_http(self, plugin_id: str, method: str, path: str,
                   headers: list[tuple[str, str]], body: bytes) -> Any:
        """One HTTP request to ``plugin_id``'s ServeHTTP (inter-plugin ``PluginHTTP``)."""
        return self._session.serve_http(plugin_id, method, path, headers, iter([body]))
