"""Small shared helpers of the channel/post/bot/command/file areas.

Entities are stored as protobuf JSON (proto field names) in each row's ``data`` column;
:func:`dump` and :func:`load` are the one way in and out. Paging follows the server: a
``page``/``per_page`` pair becomes ``LIMIT``/``OFFSET``, with the server's default page size.
"""

from __future__ import annotations

import json
from typing import Any, TypeVar

from google.protobuf import json_format
from google.protobuf.message import Message

from mmplug.host.api._registry import ApiFailure
from mmplug.host.ids import is_valid_id

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
