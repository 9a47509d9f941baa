"""Conversions between protocol messages and Python values, one place per kind."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from google.protobuf import json_format, struct_pb2
from google.protobuf.message import Message

from mmplug.protocol.catalog import HookSpec

from ._entity import Entity
from ._proto import message_class, message_factory
from .errors import InvalidArgumentError, PluginAPIError, error_for_status


def make_app_error(spec: HookSpec, problem: BaseException | str) -> Message:
    """An AppError describing a failed hook (``plugin.<snake_hook>.error``, 500). What went
    wrong is in the detailed error too: the server's gRPC hook client does not read the
    message (the server shows the id and the detailed error)."""
    if isinstance(problem, BaseException):
        text = f"Hook '{spec.go_name}' raised {type(problem).__name__}: {problem}"
    else:
        text = f"Hook '{spec.go_name}' failed: {problem}"
    return message_factory("AppError")(
        id=f"plugin.{spec.py_name}.error", message=text, detailed_error=text, status_code=500,
        where=spec.go_name,
    )


def app_error_to_exception(error: Any, method: str) -> PluginAPIError:
    """The SDK exception for a response's AppError."""
    cls = error_for_status(error.status_code)
    return cls(
        error.status_code,
        error.id,
        error.message,
        error.where or method,
        detailed_error=error.detailed_error,
        method=method,
    )


def dict_to_struct(data: Mapping[str, Any] | None) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    if data:
        struct.update(dict(data))
    return struct


def struct_to_dict(struct: Any) -> dict[str, Any]:
    result: dict[str, Any] = json_format.MessageToDict(struct)
    return result


def to_value(value: Any) -> struct_pb2.Value:
    """A google.protobuf.Value for a Python value (unknown types as their str())."""
    proto = struct_pb2.Value()
    try:
        json_format.ParseDict(value, proto)
    except (json_format.ParseError, TypeError, ValueError):
        proto.string_value = str(value)
    return proto


def key_value_pairs(values: Mapping[str, Any]) -> list[Message]:
    """Log key/values as repeated KeyValuePair."""
    cls = message_factory("KeyValuePair")
    return [cls(key=str(k), value=to_value(v)) for k, v in values.items()]


def entity(
    name: str, value: Entity[Any] | Message | Mapping[str, Any] | None, /, **fields: Any
) -> Message:
    """An entity message (Post, User, ...) from an entity, a message, a dict and/or keyword
    fields. Enum fields also take Mattermost's letters (channel ``type="O"``, team ``type="I"``)."""
    cls = message_class(name)
    result = cls()
    check_fields(name, result, fields)
    if isinstance(value, Entity):
        result.CopyFrom(value.proto)
    elif isinstance(value, Message):
        result.CopyFrom(value)
    elif value is not None:
        try:
            json_format.ParseDict(_enum_labels(result, dict(value)), result)
        except json_format.ParseError as exc:
            raise invalid_fields(name, result, str(exc)) from None
    for key, item in _enum_labels(result, fields).items():
        if item is None:
            continue
        target = getattr(result, key)
        if isinstance(item, Entity):
            item = item.proto
        if isinstance(target, Message):
            if isinstance(item, Mapping):
                json_format.ParseDict(dict(item), target)
            else:
                target.CopyFrom(item)
        elif result.DESCRIPTOR.fields_by_name[key].is_repeated:
            getattr(result, key).extend(list(item))
        else:
            setattr(result, key, item)
    return result


def invalid_fields(where: str, message: Message, problem: str) -> InvalidArgumentError:
    """The error for fields a request or an entity cannot take: what, and the valid names."""
    names = ", ".join(f.name for f in message.DESCRIPTOR.fields) or "none"
    return InvalidArgumentError(0, "", f"{problem} (valid fields of {message.DESCRIPTOR.name}: "
                                f"{names})", where, method=where)


def check_fields(where: str, message: Message, fields: Mapping[str, Any]) -> None:
    """Refuse keyword fields ``message`` does not have (a typo names the valid ones)."""
    unknown = [key for key in fields if key not in message.DESCRIPTOR.fields_by_name]
    if unknown:
        raise invalid_fields(where, message, "unknown field " + ", ".join(map(repr, unknown)))


# Mattermost's one-letter type codes, by the end of our enum labels.
_LETTERS = {"O": "OPEN", "P": "PRIVATE", "D": "DIRECT", "G": "GROUP", "I": "INVITE"}


def _enum_labels(message: Message, values: Mapping[str, Any]) -> dict[str, Any]:
    """``values`` with letter codes or short names (``"O"``, ``"open"``) of enum fields
    replaced by their labels (``"CHANNEL_TYPE_OPEN"``)."""
    result = dict(values)
    for key, item in values.items():
        field = message.DESCRIPTOR.fields_by_name.get(key)
        if field is None or field.enum_type is None or not isinstance(item, str):
            continue
        labels = field.enum_type.values_by_name
        if item in labels:
            continue
        suffix = "_" + _LETTERS.get(item, item).upper()
        found = [label for label in labels if label.endswith(suffix)]
        if len(found) == 1:
            result[key] = found[0]
    return result
