"""Turning a hook handler's return value into the hook's response message."""

from __future__ import annotations

from typing import Any

from google.protobuf import json_format
from google.protobuf.message import Message

from mmplug.protocol.catalog import HookSpec

from ._convert import make_app_error
from ._entity import Entity
from ._proto import message_class
from .errors import PluginError

LIFECYCLE = frozenset({"OnActivate", "OnDeactivate", "OnConfigurationChange"})


class ReturnTypeError(PluginError, TypeError):
    """A handler returned something its hook cannot carry."""


def build_response(spec: HookSpec, result: Any, request: Message | None = None) -> Any:
    """The response of ``spec`` for a handler that returned ``result``.

    None -> empty response; the response message itself -> as is; an Exception (or, for the
    lifecycle hooks, a non-empty string) -> AppError in ``error``; a tuple -> the response's
    non-error fields in order; anything else -> the single non-error field (for Will* hooks:
    a string is the rejection reason, an entity/dict the modified entity).
    """
    cls = message_class(spec.response)
    response: Any = cls()
    if result is None:
        return _unchanged(response, request)
    if isinstance(result, Entity):
        result = result.proto
    if isinstance(result, cls):
        return result
    fields = [f for f in cls.DESCRIPTOR.fields if f.name != "error"]
    has_error = "error" in cls.DESCRIPTOR.fields_by_name
    if has_error and (
        isinstance(result, BaseException)
        or (spec.go_name in LIFECYCLE and isinstance(result, str) and result)
    ):
        response.error.CopyFrom(make_app_error(spec, result))
        return response
    if spec.go_name in LIFECYCLE and isinstance(result, str):
        return response
    if spec.go_name == "ExecuteCommand" and isinstance(result, str):
        result = {"response_type": "ephemeral", "text": result}
    if isinstance(result, tuple):
        if len(result) > len(fields):
            raise ReturnTypeError(
                f"{spec.go_name} returned a tuple of {len(result)}; "
                f"expected at most ({', '.join(f.name for f in fields)})"
            )
        for field, value in zip(fields, result, strict=False):
            _assign(response, field, value, spec)
        return response
    _assign(response, _pick_field(spec, fields, result), result, spec)
    return response


def _pick_field(spec: HookSpec, fields: list[Any], result: Any) -> Any:
    reason = next((f for f in fields if f.name == "rejection_reason"), None)
    if reason is not None and isinstance(result, str):
        return reason
    candidates = [f for f in fields if f.name != "rejection_reason"] or fields
    if not candidates:
        raise ReturnTypeError(
            f"{spec.go_name} returns nothing, but the handler returned {type(result).__name__}"
        )
    return candidates[0]


def _assign(response: Message, field: Any, value: Any, spec: HookSpec) -> None:
    if value is None:
        return
    if isinstance(value, Entity):
        value = value.proto
    name = field.name
    try:
        if field.message_type is not None and not field.is_repeated:
            target = getattr(response, name)
            if isinstance(value, dict):
                json_format.ParseDict(value, target)
            elif isinstance(value, Message):
                target.CopyFrom(value)
            else:
                raise TypeError(
                    f"expected {field.message_type.name} or dict, got {type(value).__name__}"
                )
        elif field.is_repeated:
            items = list(value)
            container = getattr(response, name)
            if field.message_type is not None:
                for item in items:
                    entry = container.add()
                    if isinstance(item, Entity):
                        item = item.proto
                    if isinstance(item, dict):
                        json_format.ParseDict(item, entry)
                    else:
                        entry.CopyFrom(item)
            else:
                container.extend(items)
        else:
            setattr(response, name, value)
    except (TypeError, ValueError, json_format.ParseError) as exc:
        raise ReturnTypeError(
            f"{spec.go_name} handler returned {type(value).__name__} for '{name}': {exc}"
        ) from exc


def _unchanged(response: Any, request: Message | None) -> Any:
    """None means 'unchanged': response fields that echo a request field (MessagesWillBeConsumed's
    ``posts``) get the request's value, so returning None never drops data."""
    if request is None:
        return response
    for field in response.DESCRIPTOR.fields:
        theirs = request.DESCRIPTOR.fields_by_name.get(field.name)
        if theirs is None or theirs.message_type != field.message_type:
            continue
        if field.is_repeated:
            getattr(response, field.name).extend(getattr(request, field.name))
        elif field.message_type is not None and request.HasField(field.name):
            getattr(response, field.name).CopyFrom(getattr(request, field.name))
    return response
