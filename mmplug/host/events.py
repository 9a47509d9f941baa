"""One hook call as everything observes it: :class:`CallEvent`, and its one serialization.

The session makes one event per hook call (the plugin client starts it, the session adds the
API calls and logs collected meanwhile) and hands it to its observers; the dev loop's front
door makes one per HTTP request it forwards. Every consumer takes this type: what
``Session.fire`` returns, the pytest harness, the cassette recorder, the dev screen's lines
(hook calls and the front door's access log), the control channel (``mmplug fire`` into a
running ``mmplug dev``), ``mmplug fire``'s output and, later, a trace or a race detector.

Its serialization is :meth:`CallEvent.to_dict`: with messages in protobuf's JSON mapping it is
a cassette line (``docs/cassettes.md``) and ``fire --format json``'s document; the control
channel sends the same document with the messages as their serialized bytes (the JSON mapping
costs several times more per message). :meth:`CallEvent.from_dict` reads either back.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from google.protobuf.message import Message

    from mmplug.host.api import ApiCall
    from mmplug.host.logs import LogRecord

# How the messages of an event are written by to_dict: protobuf's JSON mapping (cassettes, fire's
# output), their serialized bytes (the control channel's binary frames) or those in base64 (its
# JSON lines).
Codec = Literal["json", "bytes", "b64"]
FRONT_DOOR = "front door"  # CallEvent.origin of a request through the dev loop's front door
HTTP_HOOKS = ("ServeHTTP", "ServeMetrics")


@dataclass(frozen=True)
class HostNote:
    """One thing the host did (or could not do) around a fired hook, as a sentence."""

    kind: str  # BEFORE, AFTER, REFUSED, EXTENSION, IGNORED or DIFFERS (mmplug.host.hookpath)
    text: str

    def as_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "text": self.text}


@dataclass
class CallEvent:
    """One hook call: what went in, what came back, what the plugin did meanwhile, and when.

    ``request`` of a ServeHTTP (or ServeMetrics) call is a ``ServeHTTPRequest`` holding the
    request's ``init`` (the body is in ``http``). The fields after ``duration_s`` are set by
    whoever knows them; those marked *in memory* are not serialized.
    """

    hook: str
    plugin_id: str
    request: Message
    response: Message | None = None
    error: str | None = None
    api_calls: list[ApiCall] = field(default_factory=list)
    logs: list[LogRecord] = field(default_factory=list)
    duration_s: float = 0.0
    # Which node of the host ran the call ("" for the one host of today).
    node: str = ""
    # ServeHTTP: "status", "headers", the request's and the answer's body (see http_dict).
    http: dict[str, Any] | None = None
    # A call that broke (crash, deadline): what to do about it, the plugin's own words.
    hint: str = ""
    details: str = ""
    # A consequence of another call (CreatePost of a hook in flight -> MessageWillBePosted;
    # the MessageHasBeenPosted after a fired MessageWillBePosted): a replay does not fire it.
    nested: bool = False
    # What the host did around a fired hook as the server does, and what a real server does
    # differently (mmplug.host.hookpath).
    host: list[HostNote] = field(default_factory=list)
    # What the host said while loading the plugin, and what `mmplug check` fails on (its
    # findings as JSON): ``mmplug fire`` shows them with the result.
    warnings: list[str] = field(default_factory=list)
    findings: list[dict[str, str]] = field(default_factory=list)
    # In memory: when the call began (time.time()), the plugin's state after it, where it
    # came from ("" the session; FRONT_DOOR), and of a front door request: who it was made
    # as and the status the client was sent (499: the client went away).
    started_at: float = 0.0
    state: str = ""
    origin: str = ""
    user: str = ""
    status: int = 0
    # In memory: the call's tag, which mmplug's SDK echoes on the API calls it makes meanwhile
    # (several nodes, race tracking: mmplug.host.races)
    tag: str = ""

    @property
    def ok(self) -> bool:
        return self.error is None

    # -- the one serialization ----------------------------------------------------------------
    def to_dict(self, codec: Codec = "json", *, seq: int = 0,
                request: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
        """The event as a document: a cassette line with ``codec="json"`` (``seq``, and the
        recorder's ``at_ms``, ``ids``, ``session_start`` as ``extra``; ``request``: the
        request's JSON when already known, as a replay knows it)."""
        if codec == "json":
            def encode(message: Message | None) -> Any:
                return to_json(message)
        else:
            def encode(message: Message | None) -> Any:
                return encode_message(message, codec)
        if request is None:
            request = encode(self.request) or {}
        data: dict[str, Any] = {
            "seq": seq,
            "hook": self.hook,
            "plugin_id": self.plugin_id,
            "request": request,
            "response": encode(self.response),
            "error": self.error,
            "api_calls": [_api_call_dict(c, encode) for c in self.api_calls],
            "logs": [log_dict(r) for r in self.logs],
            "duration_s": round(self.duration_s, 6),
        }
        for key, value in extra.items():
            if value is not None:
                data[key] = value
        if self.nested:
            data["nested"] = True
        for key in ("node", "hint", "details"):
            value = getattr(self, key)
            if value:
                data[key] = value
        if self.host:
            data["host"] = [note.as_dict() for note in self.host]
        if self.http is not None:
            data["http"] = self.http
        if self.warnings:
            data["warnings"] = list(self.warnings)
        if self.findings:
            data["findings"] = list(self.findings)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CallEvent:
        """The event of a document made by :meth:`to_dict` (any codec). Messages in the JSON
        mapping are parsed into the types the catalog gives the hook and its API calls."""
        from mmplug.host.api import ApiCall
        from mmplug.host.logs import LogRecord
        from mmplug.protocol.catalog import API_BY_GO_NAME, HOOKS_BY_GO_NAME

        hook = str(data["hook"])
        plugin_id = str(data.get("plugin_id") or "")
        spec = HOOKS_BY_GO_NAME.get(hook)
        request = decode_message(data["request"], _request_type(spec))
        assert request is not None
        calls = []
        for call in data.get("api_calls") or ():
            api = API_BY_GO_NAME.get(str(call["method"]))
            types = (api.request, api.response) if api is not None else (None, None)
            call_request = decode_message(call["request"], types[0])
            assert call_request is not None
            calls.append(ApiCall(plugin_id, str(call["method"]), call_request,
                                 decode_message(call.get("response"), types[1]),
                                 call.get("error"), float(call.get("duration_s") or 0.0),
                                 bool(call.get("emulated", True))))
        logs = [LogRecord(level=str(r["level"]), message=str(r["message"]), plugin_id=plugin_id,
                          fields=dict(r.get("fields") or {}), module=str(r.get("module") or ""),
                          source=str(r.get("source") or "stderr"))
                for r in data.get("logs") or ()]
        return cls(hook, plugin_id, request,
                   decode_message(data.get("response"), spec.response if spec else None),
                   data.get("error"), calls, logs, float(data.get("duration_s") or 0.0),
                   node=str(data.get("node") or ""), http=data.get("http"),
                   hint=str(data.get("hint") or ""), details=str(data.get("details") or ""),
                   nested=bool(data.get("nested")),
                   host=[HostNote(str(n.get("kind", "")), str(n.get("text", "")))
                         for n in data.get("host") or ()],
                   warnings=list(data.get("warnings") or ()),
                   findings=list(data.get("findings") or ()))


def http_request(init: Message) -> Message:
    """The ``ServeHTTPRequest`` an event of a ServeHTTP call holds: the request's ``init``."""
    from mmplug.protocol.messages import message_class

    request = message_class("ServeHTTPRequest")()
    request.init.CopyFrom(init)  # type: ignore[attr-defined]
    return request


def _request_type(spec: Any) -> str | None:
    if spec is None:
        return None
    return "ServeHTTPRequest" if spec.streaming else str(spec.request)


# -- messages ---------------------------------------------------------------------------------
def to_json(message: Message | None) -> dict[str, Any] | None:
    """A message in protobuf's JSON mapping (proto field names), or None."""
    from google.protobuf import json_format

    if message is None:
        return None
    return json_format.MessageToDict(message, preserving_proto_field_name=True)


def encode_message(message: Message | None, codec: Codec) -> dict[str, Any] | None:
    """``message`` as ``{"type", "bytes"}`` or ``{"type", "b64"}`` (the control channel),
    or in the JSON mapping with ``codec="json"``."""
    if codec == "json":
        return to_json(message)
    if message is None:
        return None
    data = message.SerializeToString()
    if codec == "bytes":
        return {"type": message.DESCRIPTOR.full_name, "bytes": data}
    return {"type": message.DESCRIPTOR.full_name, "b64": base64.b64encode(data).decode("ascii")}


def decode_message(data: dict[str, Any] | None, type_name: str | None) -> Message | None:
    """A message written by :func:`encode_message` or in the JSON mapping: typed ones carry
    their type (``{"type", "bytes" | "b64" | "json"}``), else ``type_name`` gives it."""
    from mmplug.protocol.messages import message_class

    if data is None:
        return None
    if "type" in data and ("bytes" in data or "b64" in data):
        cls = message_class(str(data["type"]))
        raw = data["bytes"] if "bytes" in data else base64.b64decode(data["b64"])
        return cls.FromString(raw)
    if "type" in data and "json" in data:
        type_name, data = str(data["type"]), data["json"]
    if type_name is None:
        raise ValueError("a message in the JSON mapping needs its type")
    from google.protobuf import json_format

    message = message_class(type_name)()
    json_format.ParseDict(data, message, ignore_unknown_fields=True)
    return message


# -- the parts of a line ----------------------------------------------------------------------
def _api_call_dict(call: ApiCall, encode: Any) -> dict[str, Any]:
    return {
        "method": call.method,
        "request": encode(call.request) or {},
        "response": encode(call.response),
        "error": call.error,
        "duration_s": round(call.duration_s, 6),
        "emulated": call.emulated,
    }


def api_call_dict(call: ApiCall) -> dict[str, Any]:
    """An API call as a cassette line holds it."""
    return _api_call_dict(call, to_json)


def log_dict(record: LogRecord) -> dict[str, Any]:
    """A log record as a cassette line holds it."""
    return {
        "level": record.level,
        "message": record.message,
        "fields": _jsonable(record.fields),
        "module": record.module,
        "source": record.source,
    }


def _jsonable(value: Any) -> Any:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return json.loads(json.dumps(value, default=str))
    return value


def http_dict(status: int, headers: list[tuple[str, str]], body: bytes,
              request_body: bytes = b"") -> dict[str, Any]:
    """The ``http`` part of a ServeHTTP event: the request body and the whole answer.

    A body that is UTF-8 text is kept as text (``body``), anything else as base64
    (``body_b64``); the same for the request body (``request_body``/``request_body_b64``).
    """
    data: dict[str, Any] = {"status": status, "headers": [[k, v] for k, v in headers]}
    data.update(_body("request_body", request_body))
    data.update(_body("body", body))
    return data


def _body(key: str, raw: bytes) -> dict[str, str]:
    try:
        return {key: raw.decode("utf-8")}
    except UnicodeDecodeError:
        return {f"{key}_b64": base64.b64encode(raw).decode()}


def http_body(http: dict[str, Any], key: str = "body") -> bytes:
    """The bytes of ``body`` or ``request_body`` of an ``http`` part."""
    if isinstance(http.get(key), str):
        return str(http[key]).encode("utf-8")
    return base64.b64decode(str(http.get(f"{key}_b64", "")))
