"""A hook request's fields, as the explorer's editor shows them next to a recorded request."""

from __future__ import annotations

from typing import Any

from mmplug.protocol.messages import is_map

_TYPES = {1: "number", 2: "number", 3: "integer", 4: "integer", 5: "integer", 6: "integer",
          7: "integer", 8: "boolean", 9: "string", 12: "bytes (base64)", 13: "integer",
          14: "enum", 15: "integer", 16: "integer", 17: "integer", 18: "integer"}
_FREE = {"google.protobuf.Struct": "object", "google.protobuf.Value": "any",
         "google.protobuf.ListValue": "array"}
MAX_DEPTH = 4


def hook_schema(hook: str) -> dict[str, Any] | None:
    """``{"hook", "request_type", "doc", "fields": [...]}`` of ``hook``'s request, or None."""
    from mmplug.host.payloads import find_hook
    from mmplug.protocol.messages import message_class

    spec = find_hook(hook)
    if spec is None:
        return None
    descriptor = message_class(spec.request).DESCRIPTOR
    return {"hook": spec.go_name, "request_type": descriptor.name, "doc": spec.doc,
            "streaming": spec.streaming, "fields": _fields(descriptor, MAX_DEPTH)}


def _fields(descriptor: Any, depth: int) -> list[dict[str, Any]]:
    out = []
    for fd in descriptor.fields:
        item: dict[str, Any] = {"name": fd.name, "repeated": fd.is_repeated}
        if fd.type == 11:  # a message
            full = fd.message_type.full_name
            if is_map(fd):
                item["type"] = "map"
            elif full in _FREE:
                item["type"] = _FREE[full]
            else:
                item["type"] = fd.message_type.name
                if depth > 1:
                    item["fields"] = _fields(fd.message_type, depth - 1)
        else:
            item["type"] = _TYPES.get(fd.type, "value")
            if fd.type == 14:
                item["values"] = [v.name for v in fd.enum_type.values]
        out.append(item)
    return out
