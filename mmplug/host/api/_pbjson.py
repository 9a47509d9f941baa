"""Small shared helpers of the channel/post/bot/command/file areas.

Entities are stored as protobuf JSON (proto field names) in each row's ``data`` column;
:func:`dump` and :func:`load` are the one way in and out. Paging follows the server: a
``page``/``per_page`` pair becomes ``LIMIT``/``OFFSET``, with the server's default page size.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, TypeVar

from google.protobuf import json_format
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

from mmplug.host.api._registry import ApiFailure
from mmplug.host.ids import is_valid_id
from mmplug.protocol.messages import is_map

M = TypeVar("M", bound=Message)
DEFAULT_PER_PAGE = 60
MAX_PER_PAGE = 200


def dump(msg: Message) -> str:
    """The JSON stored in a row's ``data`` column."""
    return json.dumps(
        json_format.MessageToDict(msg, preserving_proto_field_name=True), sort_keys=True
    )


def load(cls: type[M], data: str | bytes) -> M:
    """The entity stored in a row's ``data`` column."""
    msg = cls()
    json_format.ParseDict(json.loads(data), msg, ignore_unknown_fields=True)
    return msg


def paging(page: int, per_page: int) -> tuple[int, int]:
    """``(limit, offset)`` for a server-style page request (negative values are an error)."""
    if page < 0 or per_page < 0:
        raise ApiFailure(
            400,
            "api.context.invalid_url_param.app_error",
            "Invalid or missing page/per_page parameter in request URL.",
            detailed_error=f"page={page} per_page={per_page}",
        )
    limit = min(per_page or DEFAULT_PER_PAGE, MAX_PER_PAGE)
    return limit, page * limit


def like_contains(term: str) -> str:
    """A ``LIKE ... ESCAPE '\\'`` pattern matching ``term`` anywhere, as the server's store
    builds it (``sanitizeSearchTerm``): backslashes are dropped and ``%``/``_`` are plain
    characters, not wildcards."""
    term = term.replace("\\", "").replace("%", "\\%").replace("_", "\\_")
    return f"%{term}%"


def require_id(value: str, param: str, where: str = "") -> str:
    """Fail like the server's ``c.RequireXxxId()`` when ``value`` is not a 26-character id."""
    if not is_valid_id(value):
        raise ApiFailure(
            400,
            "api.context.invalid_url_param.app_error",
            f"Invalid or missing {param} parameter in request URL.",
            detailed_error=f"{param}={value!r} is not a 26-character id",
            where=where,
            params={"Name": param},
        )
    return value


def to_dict(msg: Message) -> dict[str, Any]:
    return json_format.MessageToDict(msg, preserving_proto_field_name=True)


_INT64 = (FieldDescriptor.TYPE_INT64, FieldDescriptor.TYPE_UINT64, FieldDescriptor.TYPE_SINT64)


def go_json(msg: Message) -> dict[str, Any]:
    """The set fields of the entity as the server's JSON (int64 as numbers, not protobuf's
    strings)."""
    return {field.name: _value(field, value) for field, value in msg.ListFields()}


def model_json(
    msg: Message,
    omitempty: frozenset[str] = frozenset(),
    names: Mapping[str, str] | None = None,
    **replaced: Any,
) -> str:
    """The JSON text the server's ``json.Marshal`` writes for the model ``msg`` stands for,
    as it puts a model into a WebSocket event as text: :func:`model_dict`, compact."""
    return json.dumps(model_dict(msg, omitempty, names, **replaced), separators=(",", ":"))


def model_dict(
    msg: Message,
    omitempty: frozenset[str] = frozenset(),
    names: Mapping[str, str] | None = None,
    **replaced: Any,
) -> dict[str, Any]:
    """The model ``msg`` stands for as the server's ``json.Marshal`` writes it: every field,
    empty ones too, int64 as numbers. An unset optional field (a nil pointer in Go), an unset
    message and an empty list are ``null``; an empty field named in ``omitempty`` is left out.
    ``names`` gives the model's JSON names that differ from the protobuf ones, ``replaced`` the
    values the model writes differently (a channel's type as its letter)."""
    out: dict[str, Any] = {}
    for field in msg.DESCRIPTOR.fields:
        name = field.name
        value = getattr(msg, name)
        unset = not msg.HasField(name) if field.has_presence else not value
        if name in omitempty and unset:
            continue
        if name in replaced:
            out[name] = replaced[name]
        elif field.has_presence and unset:
            out[name] = None
        elif field.is_repeated and not value and not is_map(field):
            out[name] = None
        else:
            out[name] = _value(field, value)
    if names:
        out = {names.get(key, key): value for key, value in out.items()}
    return out


def _value(field: Any, value: Any) -> Any:
    if is_map(field):
        inner = field.message_type.fields_by_name["value"]
        return {k: _single(inner, v) for k, v in value.items()}
    if field.is_repeated:
        return [_single(field, v) for v in value]
    return _single(field, value)


def _single(field: Any, value: Any) -> Any:
    if field.message_type is None:
        return int(value) if field.type in _INT64 else value
    if field.message_type.full_name.startswith("google.protobuf."):
        return _go_numbers(json_format.MessageToDict(value))
    return go_json(value)


# Go's encoder escapes these inside strings, and writes every other letter as it is.
_GO_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026",
               "\u2028": "\\u2028", "\u2029": "\\u2029"}


def go_json_text(value: Any, *, sort_keys: bool = False) -> str:
    """The compact JSON text Go's ``json.Marshal`` writes for a decoded JSON value: letters
    as they are (not ``\\u`` escapes), but ``<``, ``>``, ``&`` and the line and paragraph
    separators escaped; whole float64s without ``.0``. Its length is the server's rune count."""
    text = json.dumps(_go_numbers(value), ensure_ascii=False, separators=(",", ":"),
                      sort_keys=sort_keys)
    return "".join(_GO_ESCAPES.get(c, c) for c in text)


def _go_numbers(value: Any) -> Any:
    """A decoded ``Struct``'s numbers as Go writes its float64s: a whole number without
    ``.0``."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _go_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_go_numbers(v) for v in value]
    return value
