"""JSON forms of hook results, API calls, log records and errors for the control channel.

Protobuf messages travel as ``{"type": <full name>, "b64": <serialized bytes, base64>}`` so
the client can rebuild the very message class the session used; the binary form costs a few
microseconds where protobuf's JSON mapping costs tens per message. ``{"type", "json"}`` (the
JSON mapping) is still read. In the control channel's binary frames (``raw=True``) messages
are ``{"type", "bytes": <serialized bytes>}``.
"""

from __future__ import annotations

import base64
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from google.protobuf.message import Message

    from mmplug.errors import MmplugError
    from mmplug.host.api import ApiCall
    from mmplug.host.logs import LogRecord
    from mmplug.host.session import HookResult


def message_to_json(message: Message | None, raw: bool = False) -> dict[str, Any] | None:
    if message is None:
        return None
    if raw:
        return {"type": message.DESCRIPTOR.full_name, "bytes": message.SerializeToString()}
    body = base64.b64encode(message.SerializeToString()).decode("ascii")
    return {"type": message.DESCRIPTOR.full_name, "b64": body}


def message_from_json(data: dict[str, Any] | None) -> Message | None:
    from mmplug.protocol.messages import message_class

    if data is None:
        return None
    cls = message_class(str(data["type"]))
    if "bytes" in data:
        return cls.FromString(data["bytes"])
    if "b64" in data:
        return cls.FromString(base64.b64decode(data["b64"]))
    from google.protobuf import json_format

    message = cls()
    json_format.ParseDict(data["json"], message, ignore_unknown_fields=True)
    return message


def log_to_json(record: LogRecord) -> dict[str, Any]:
    data = record.as_dict()
    data["fields"] = {k: _plain(v) for k, v in data["fields"].items()}
    data["raw"] = record.raw
    return data


def log_from_json(data: dict[str, Any]) -> LogRecord:
    from mmplug.host.logs import LogRecord

    return LogRecord(
        level=data["level"], message=data["message"], plugin_id=data.get("plugin_id", ""),
        fields=dict(data.get("fields") or {}), time=datetime.fromisoformat(data["time"]),
        module=data.get("module", ""), source=data.get("source", "stderr"),
        raw=data.get("raw", ""),
    )


def api_call_to_json(call: ApiCall, raw: bool = False) -> dict[str, Any]:
    return {
        "plugin_id": call.plugin_id, "method": call.method,
        "request": message_to_json(call.request, raw),
        "response": message_to_json(call.response, raw),
        "error": call.error, "duration_s": call.duration_s, "emulated": call.emulated,
    }


def api_call_from_json(data: dict[str, Any]) -> ApiCall:
    from mmplug.host.api import ApiCall

    request = message_from_json(data["request"])
    assert request is not None
    return ApiCall(data["plugin_id"], data["method"], request,
                   message_from_json(data["response"]), data["error"], data["duration_s"],
                   data.get("emulated", True))


def result_to_json(result: HookResult, raw: bool = False) -> dict[str, Any]:
    return {
        "hook": result.hook, "plugin_id": result.plugin_id,
        "request": message_to_json(result.request, raw),
        "response": message_to_json(result.response, raw),
        "error": result.error, "duration_s": result.duration_s,
        "api_calls": [api_call_to_json(c, raw) for c in result.api_calls],
        "logs": [log_to_json(r) for r in result.logs],
    }


def result_from_json(data: dict[str, Any]) -> HookResult:
    from mmplug.host.session import HookResult

    request = message_from_json(data["request"])
    assert request is not None
    return HookResult(
        data["hook"], data["plugin_id"], request, message_from_json(data["response"]),
        data["error"], [api_call_from_json(c) for c in data["api_calls"]],
        [log_from_json(r) for r in data["logs"]], data["duration_s"],
    )


def error_to_json(error: MmplugError) -> dict[str, Any]:
    return {"type": type(error).__name__, "message": error.message, "hint": error.hint,
            "details": getattr(error, "details", "")}


def error_from_json(data: dict[str, Any]) -> MmplugError:
    from mmplug import errors

    cls = getattr(errors, str(data.get("type", "")), None)
    if not (isinstance(cls, type) and issubclass(cls, errors.MmplugError)):
        cls = errors.MmplugError
    message = str(data.get("message") or "error")
    hint, details = str(data.get("hint") or ""), str(data.get("details") or "")
    try:
        return cls(message, hint=hint, details=details)
    except TypeError:
        return errors.MmplugError(message, hint=hint, details=details)


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return str(value)
