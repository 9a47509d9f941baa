"""The hook-call pipeline around a Session: observers, per-call collectors, the dispatcher.

* :class:`Observers` holds the attached observers (recorders, tracers, the CLI printer) and,
  per plugin, the collectors of hook calls in flight, which gather the API calls and logs that
  happen during each call.
* :class:`Dispatcher` is what the PluginAPI server uses to fire hooks for side effects
  (CreatePost -> MessageWillBePosted, slash commands): ``ApiServer(hooks=session.hooks)``.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
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
    """Observers get ``on_hook_call``, ``on_api_call``, ``on_log``, ``on_event`` (optional)."""

    def __init__(self) -> None:
        self._observers: list[object] = []
        self._collectors: dict[str, list[Collector]] = {}
        self._lock = threading.Lock()

    def add(self, observer: object) -> None:
        with self._lock:
            self._observers.append(observer)

    def remove(self, observer: object) -> None:
        with self._lock:
            if observer in self._observers:
                self._observers.remove(observer)

    def notify(self, method: str, *args: Any) -> list[str]:
        """Call ``method`` on every observer that has it; returns the failures as text."""
        with self._lock:
            observers = list(self._observers)
        failures = []
        for observer in observers:
            callback = getattr(observer, method, None)
            if callback is None:
                continue
            try:
                callback(*args)
            except Exception as exc:  # an observer must not break the session
                failures.append(f"observer {type(observer).__name__}.{method} failed: {exc}")
        return failures

    @contextlib.contextmanager
    def collect(self, plugin_id: str) -> Iterator[Collector]:
        """Collect what ``plugin_id`` does (API calls, logs) until the block ends."""
        collector = Collector()
        with self._lock:
            self._collectors.setdefault(plugin_id, []).append(collector)
        try:
            yield collector
        finally:
            with self._lock:
                self._collectors[plugin_id].remove(collector)

    def collectors_of(self, plugin_id: str) -> list[Collector]:
        with self._lock:
            return list(self._collectors.get(plugin_id, ()))


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
