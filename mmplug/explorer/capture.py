"""The one adapter between what the session and the dev loop report and the explorer's trace.

The session reports a hook call as ``on_hook_call(CallEvent)`` (the one event of a call,
:mod:`mmplug.host.events`) after ``on_api_call`` for each API call it made, and the dev loop
adds ``on_exchange`` (front door requests, as the same event with origin ``FRONT_DOOR``),
``on_reloading``/``on_reload``/``on_problem`` (reloads, crashes, restarts). This module turns
those into :class:`~mmplug.explorer.trace.Entry` records; nothing else in the explorer knows
the observer protocol.

Everything here runs on the thread that saw the event (a hook call's caller, an API worker), so
it only notes times and hands references over; the trace's writer thread does the encoding.
"""

from __future__ import annotations

import contextlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from mmplug.explorer.trace import Entry, TraceStore, now

if TYPE_CHECKING:
    from mmplug.host.events import CallEvent

_API_ENDS_KEPT = 4096  # end times of API calls not yet claimed by their hook call


class TraceCapture:
    """Observer of a session (and of a dev loop) that feeds a :class:`TraceStore`.

    ``on_change(kind, payload)`` listeners hear about side effects (``on_event``: posts,
    reactions, ephemeral posts, dialogs, WebSocket events) and plugin status changes, for the
    live stream.
    """

    def __init__(self, trace: TraceStore) -> None:
        self.trace = trace
        self.session: Any = None
        self.listeners: list[Callable[[str, dict[str, Any]], None]] = []
        self._api_ends: OrderedDict[int, float] = OrderedDict()
        self._seq_of: OrderedDict[int, int] = OrderedDict()
        self._lock = threading.Lock()

    # -- the session's observer calls -------------------------------------------------------
    def on_session(self, session: Any) -> None:
        self.session = session

    def on_api_call(self, call: Any) -> None:
        end = now()
        if self._in_hook(call.plugin_id):
            ends = self._api_ends
            ends[id(call)] = end
            if len(ends) > _API_ENDS_KEPT:
                with self._lock, contextlib.suppress(KeyError):
                    ends.popitem(last=False)
            return
        # made outside any hook call (a plugin's own thread, a ServeHTTP handler)
        self.trace.add(Entry("api", call.method, end, call.duration_s, call.plugin_id,
                             _api_error(call.error), api=[(call, end)], node=call.node))

    def on_hook_call(self, result: CallEvent) -> None:
        from mmplug.host.events import FRONT_DOOR

        end = now()
        if result.origin == FRONT_DOOR:
            return  # its front door request is in the trace already (on_exchange)
        ends = self._api_ends
        api = [(call, ends.pop(id(call), 0.0)) for call in result.api_calls]
        entry = Entry("hook", result.hook, end, result.duration_s, result.plugin_id,
                      result.error, result, api,
                      nested=result.nested or self._any_in_flight(), node=result.node)
        seq = self.trace.add(entry)
        seqs = self._seq_of
        seqs[id(result)] = seq
        if len(seqs) > 256:
            with self._lock, contextlib.suppress(KeyError):
                seqs.popitem(last=False)

    def on_event(self, kind: str, payload: dict[str, Any]) -> None:
        self._tell(kind, payload)

    # -- the dev loop's ----------------------------------------------------------------------
    def on_exchange(self, event: CallEvent) -> None:
        end = now()
        init = event.request.init  # type: ignore[attr-defined]
        self.trace.add(Entry(
            "http", f"{init.method} {init.request_uri}", end, event.duration_s,
            event.plugin_id, event.error, user_id=_user_in(init),
            info={"status": event.status, "user": event.user, "rpc": event.hook,
                  "outcome": str(event.status)}, node=event.node))

    def on_reloading(self, plugin_id: str, why: str) -> None:
        self.trace.add(Entry("lifecycle", "reloading", now(), 0.0, plugin_id,
                             info={"why": why, "outcome": why}))

    def on_reload(self, plugin_id: str, reload: Any) -> None:
        self.trace.add(Entry(
            "lifecycle", "start" if reload.why == "start" else "reload", now(),
            reload.duration_s, plugin_id, None if reload.ok else reload.error,
            info={"why": reload.why, "warm": reload.warm,
                  "outcome": "active" if reload.ok else "failed"}))
        self._tell("status", {"plugin_id": plugin_id})

    def on_problem(self, plugin_id: str, text: str) -> None:
        self.trace.add(Entry("lifecycle", "problem", now(), 0.0, plugin_id, text,
                             info={"text": text, "outcome": text.splitlines()[0] if text else ""}))
        self._tell("status", {"plugin_id": plugin_id})

    def on_status(self) -> None:
        self._tell("status", {})

    # -- the explorer's own ------------------------------------------------------------------
    @contextlib.contextmanager
    def action(self, title: str, user_id: str = "", **info: Any) -> Iterator[dict[str, Any]]:
        """Mark a chat action (a post, a command, a re-fire) in the trace: the hook calls made
        while it runs are its children. Yields a dict for the action's outcome and details."""
        started = now()
        details: dict[str, Any] = dict(info)
        error: str | None = None
        try:
            yield details
        except Exception as exc:
            error = getattr(exc, "message", None) or str(exc)
            raise
        finally:
            end = now()
            self.trace.add(Entry("action", title, end, end - started, details.pop("plugin_id", ""),
                                 error, user_id=user_id, info=details))

    def seq_of(self, result: CallEvent) -> int | None:
        """The trace's number for a hook call that was just made."""
        return self._seq_of.get(id(result))

    # -- helpers -----------------------------------------------------------------------------
    def _in_hook(self, plugin_id: str) -> bool:
        return self.session is not None and bool(self.session.in_flight(plugin_id))

    def _any_in_flight(self) -> bool:
        """Another hook call is in flight: this one ran because of one of its API calls."""
        return self.session is not None and bool(self.session.in_flight())

    def _tell(self, kind: str, payload: dict[str, Any]) -> None:
        for listener in list(self.listeners):
            try:
                listener(kind, payload)
            except Exception:
                pass


def _api_error(error: dict[str, Any] | None) -> str | None:
    if not error:
        return None
    return str(error.get("message") or error.get("id") or error)


def _user_in(init: Any) -> str:
    from mmplug.explorer.trace import user_of

    return user_of(init) if init is not None else ""
