"""One ServeHTTP call through a session, with everything a fire or a cassette reports of it.

ServeHTTP is a stream, so the session reports it without a response message; this module
sends the request, reads the whole answer, collects the API calls made meanwhile and returns
them as a :class:`~mmplug.host.session.HookResult` plus the ``http`` part of a cassette line.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mmplug.cassette.format import entry_dict, http_dict

if TYPE_CHECKING:
    from google.protobuf.message import Message

    from mmplug.host.api import ApiCall
    from mmplug.host.logs import LogRecord
    from mmplug.host.session import HookResult, Session


@dataclass
class HttpOutcome:
    result: HookResult
    http: dict[str, Any]
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    @property
    def entry(self) -> dict[str, Any]:
        data = entry_dict(self.result, 0)
        data["http"] = self.http
        return data


class _Gather:
    def __init__(self, plugin_id: str) -> None:
        self.plugin_id = plugin_id
        self.api_calls: list[ApiCall] = []
        self.logs: list[LogRecord] = []
        self._lock = threading.Lock()

    def on_api_call(self, call: ApiCall) -> None:
        if call.plugin_id == self.plugin_id:
            with self._lock:
                self.api_calls.append(call)

    def on_log(self, record: LogRecord) -> None:
        if record.plugin_id == self.plugin_id:
            with self._lock:
                self.logs.append(record)


def call_http(session: Session, init: Message, body: bytes = b"",
              plugin_id: str | None = None) -> HttpOutcome:
    """Send one request to the plugin's ServeHTTP and read the whole answer."""
    from mmplug.host.session import HookResult

    handle = session.plugin(plugin_id)
    headers = [(h.key, v) for h in init.headers for v in h.values]  # type: ignore[attr-defined]
    gather = _Gather(handle.id)
    session.drain_output(handle.id)  # earlier output is not this request's
    session.add_observer(gather)
    started = time.perf_counter()
    try:
        answer = session.serve_http(handle.id, init.method or "GET",  # type: ignore[attr-defined]
                                    init.url or "/", headers, iter([body]))  # type: ignore[attr-defined]
        payload = answer.read()
        session.drain_output(handle.id)  # what it wrote while answering is
    finally:
        session.remove_observer(gather)
    duration = time.perf_counter() - started
    result = HookResult("ServeHTTP", handle.id, _wrap(init), None, None,
                        list(gather.api_calls), list(gather.logs), duration)
    status = int(answer.status)
    return HttpOutcome(result, http_dict(status, list(answer.headers), payload, body), status,
                       list(answer.headers), payload)


def _wrap(init: Message) -> Message:
    """The ServeHTTPRequest a cassette stores as the request (init only; the body is apart)."""
    from mmplug.protocol.messages import message_class

    request = message_class("ServeHTTPRequest")()
    request.init.CopyFrom(init)  # type: ignore[attr-defined]
    return request
