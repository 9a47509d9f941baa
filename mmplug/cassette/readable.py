"""Cassette-shaped JSON made readable: ``bytes`` fields that hold UTF-8 text shown as that text.

Protobuf's JSON mapping writes every ``bytes`` field in base64, so a KV value ``{"posts": 3}``
reads ``eyJwb3N0cyI6IDN9``. For people (fire's tables, replay's diffs) a bytes field whose
value decodes to printable UTF-8 text is shown as the text; binary data stays base64. This is
for display only: what is stored, compared and printed with ``--output json`` keeps the mapping.
Which fields are bytes comes from the message types of the hook or API method.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from mmplug.protocol.messages import is_map

_CONTROL = {chr(c) for c in range(32)} - {"\n", "\r", "\t"}


def text_of(value: Any) -> Any:
    """The UTF-8 text in base64 ``value``, or ``value`` itself when it is not text."""
    if not isinstance(value, str) or not value:
        return value
    try:
        raw = base64.b64decode(value, validate=True)
        text = raw.decode("utf-8")
    except (binascii.Error, ValueError):
        return value
    if any(ch in _CONTROL for ch in text):
        return value
    return text


def readable_message(type_name: str | None, data: Any) -> Any:
    """``data`` (a message of type ``type_name`` in protobuf's JSON mapping) with its bytes
    fields decoded where they hold text; unknown types and shapes are returned unchanged."""
    if type_name is None or not isinstance(data, dict):
        return data
    try:
        from mmplug.protocol.messages import message_class

        descriptor = message_class(type_name).DESCRIPTOR
    except (KeyError, ImportError):
        return data
    return _walk(descriptor, data)


def _walk(descriptor: Any, data: dict[str, Any]) -> dict[str, Any]:
    from google.protobuf.descriptor import FieldDescriptor

    out: dict[str, Any] = {}
    for key, value in data.items():
        field = descriptor.fields_by_name.get(key)
        if field is None:
            out[key] = value
        elif field.type == FieldDescriptor.TYPE_BYTES:
            out[key] = [text_of(v) for v in value] if isinstance(value, list) else text_of(value)
        elif field.message_type is not None and not is_map(field) \
                and not field.message_type.full_name.startswith("google.protobuf."):
            sub = field.message_type
            if isinstance(value, list):
                out[key] = [_walk(sub, v) if isinstance(v, dict) else v for v in value]
            else:
                out[key] = _walk(sub, value) if isinstance(value, dict) else value
        else:
            out[key] = value
    return out


def readable_call(call: dict[str, Any]) -> dict[str, Any]:
    """An API call of a cassette line with its request and response readable."""
    from mmplug.protocol.catalog import API_BY_GO_NAME

    spec = API_BY_GO_NAME.get(str(call.get("method")))
    if spec is None:
        return call
    return {**call, "request": readable_message(spec.request, call.get("request")),
            "response": readable_message(spec.response, call.get("response"))}


def readable_entry(entry: dict[str, Any]) -> dict[str, Any]:
    """A cassette line (or the comparable part of one) with every bytes field readable."""
    from mmplug.protocol.catalog import HOOKS_BY_GO_NAME

    out = dict(entry)
    spec = HOOKS_BY_GO_NAME.get(str(entry.get("hook")))
    if spec is not None and not spec.streaming:
        out["request"] = readable_message(spec.request, entry.get("request"))
        out["response"] = readable_message(spec.response, entry.get("response"))
    calls = entry.get("api_calls")
    if isinstance(calls, list):
        out["api_calls"] = [readable_call(c) if isinstance(c, dict) else c for c in calls]
    return out
