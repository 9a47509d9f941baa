"""Property fields and values: validation, rows, lookups, search paging (shared by the
property areas).

Missing fields and values are the server's 404s as its App layer maps the property store's
errors: one id not found is `app.property.not_found.app_error`; some of several field ids not
found is `app.property_field.not_found.app_error`. Lookups by id find deleted items too, and
an empty group id means any group. Errors the store returns without an AppError (a
non-positive search page size, an update of a missing item) are plain 500s.
"""

from __future__ import annotations

import sqlite3
from typing import TypeVar

from google.protobuf import struct_pb2
from google.protobuf.message import Message

from mmplug.host.api._commands import plain_error
from mmplug.host.api._pbjson import dump, load
from mmplug.host.api._registry import ApiFailure
from mmplug.host.ids import is_valid_id
from mmplug.host.store import UniqueConflict, execute_unique
from mmplug.protocol import api_remaining_pb2 as rem

M = TypeVar("M", bound=Message)
FIELD_TYPES = ("text", "select", "multiselect", "date", "user", "multiuser")
NAME_MAX = 255


def invalid(kind: str, field: str, reason: str) -> ApiFailure:
    return ApiFailure(
        400,
        f"model.property_{kind}.is_valid.app_error",
        f"Invalid property {kind}: {field} {reason}.",
        params={"FieldName": field, "Reason": reason},
    )


def _too_long(text: str) -> bool:
    return len(text) > NAME_MAX  # runes, as the server counts them


def validate_field(field: rem.PropertyField) -> None:
    """The server's PropertyField.IsValid, in its order (reasons as its params say them)."""
    if not is_valid_id(field.id):
        raise invalid("field", "id", "invalid id")
    if not is_valid_id(field.group_id):
        raise invalid("field", "group_id", "invalid id")
    if not field.name:
        raise invalid("field", "name", "value cannot be empty")
    for name in ("name", "target_type", "target_id"):
        if _too_long(getattr(field, name)):
            raise invalid("field", name, "value exceeds maximum length")
    if field.type not in FIELD_TYPES:
        raise invalid("field", "type", "unknown value")
    _check_times("field", field)


def validate_value(value: rem.PropertyValue) -> None:
    """The server's PropertyValue.IsValid, in its order."""
    for name in ("id", "target_id"):
        if not is_valid_id(getattr(value, name)):
            raise invalid("value", name, "invalid id")
    if not value.target_type:
        raise invalid("value", "target_type", "value cannot be empty")
    if _too_long(value.target_type):
        raise invalid("value", "target_type", "value exceeds maximum length")
    for name in ("group_id", "field_id"):
        if not is_valid_id(getattr(value, name)):
            raise invalid("value", name, "invalid id")
    _check_times("value", value)


def _check_times(kind: str, item: rem.PropertyField | rem.PropertyValue) -> None:
    for name in ("create_at", "update_at"):
        if not getattr(item, name):
            raise invalid(kind, name, "value cannot be zero")


def sanitize_value(value: rem.PropertyValue) -> None:
    """The server's SanitizePropertyValue, applied to every value a plugin creates, updates or
    upserts: a text value loses its surrounding whitespace; a list of texts loses each
    element's, and its empty elements (other shapes are kept as given)."""
    given = value.value
    kind = given.WhichOneof("kind")
    if kind == "string_value":
        given.string_value = given.string_value.strip()
    elif kind == "list_value" and all(
        v.WhichOneof("kind") in ("string_value", "null_value") for v in given.list_value.values
    ):
        texts = [v.string_value.strip() for v in given.list_value.values]
        del given.list_value.values[:]
        given.list_value.values.extend(struct_pb2.Value(string_value=t) for t in texts if t)


def unique_failure(kind: str, exc: UniqueConflict) -> ApiFailure:
    what = "name for this target" if kind == "field" else "field and target"
    return ApiFailure(
        400,
        f"app.property_{kind}.save.unique.app_error",
        f"A property {kind} with the same {what} already exists.",
        detailed_error=str(exc),
    )


def save_field(db: sqlite3.Connection, field: rem.PropertyField) -> None:
    try:
        execute_unique(
            db,
            "INSERT INTO property_fields(id, group_id, target_id, name, delete_at, data) "
            "VALUES(?,?,?,?,?,?) ON CONFLICT(id) DO UPDATE SET name=excluded.name, "
            "target_id=excluded.target_id, delete_at=excluded.delete_at, "
            "data=excluded.data",
            (field.id, field.group_id, field.target_id, field.name, field.delete_at, dump(field)),
        )
    except UniqueConflict as exc:
        raise unique_failure("field", exc) from None


def save_value(db: sqlite3.Connection, value: rem.PropertyValue) -> None:
    try:
        execute_unique(
            db,
            "INSERT INTO property_values(id, group_id, field_id, target_id, delete_at, "
            "data) VALUES(?,?,?,?,?,?) ON CONFLICT(id) DO UPDATE SET "
            "delete_at=excluded.delete_at, data=excluded.data",
            (
                value.id,
                value.group_id,
                value.field_id,
                value.target_id,
                value.delete_at,
                dump(value),
            ),
        )
    except UniqueConflict as exc:
        raise unique_failure("value", exc) from None


def in_group(group_id: str) -> tuple[str, tuple[object, ...]]:
    """The condition on the group of a query: an empty group id means any group (none)."""
    return (" AND group_id=?", (group_id,)) if group_id else ("", ())


def get_one(db: sqlite3.Connection, kind: str, group_id: str, item_id: str, cls: type[M]) -> M:
    table = "property_fields" if kind == "field" else "property_values"
    in_group = " AND group_id=?" if group_id else ""  # no group id: any group
    row = db.execute(
        f"SELECT data FROM {table} WHERE id=?{in_group}",
        (item_id, group_id) if group_id else (item_id,),
    ).fetchone()
    if row is None:
        raise ApiFailure(
            404,
            "app.property.not_found.app_error",
            f"Unable to find the property {kind}.",
            detailed_error=f"group_id={group_id} id={item_id}",
        )
    return load(cls, row["data"])


def get_many(
    db: sqlite3.Connection, kind: str, group_id: str, ids: list[str], cls: type[M]
) -> list[M]:
    """Every one of ``ids`` (each once), or a 404 when any is missing."""
    try:
        return [get_one(db, kind, group_id, item_id, cls) for item_id in dict.fromkeys(ids)]
    except ApiFailure as failure:
        if kind == "field":
            failure.error_id = "app.property_field.not_found.app_error"
        raise


def select(
    db: sqlite3.Connection, kind: str, where: str, args: tuple[object, ...], cls: type[M]
) -> list[M]:
    table = "property_fields" if kind == "field" else "property_values"
    rows = db.execute(f"SELECT data FROM {table} WHERE {where}", args).fetchall()
    return [load(cls, r["data"]) for r in rows]


def search_page(
    opts: rem.PropertyFieldSearchOpts | rem.PropertyValueSearchOpts, where: str
) -> tuple[int, int]:
    """LIMIT and OFFSET of a property search: `per_page` must be at least 1 (the store's
    check); the page number skips that many pages."""
    if opts.per_page < 1:
        raise plain_error("per page must be positive integer greater than zero", where)
    if opts.page < 0:
        raise plain_error(f"page must not be negative, got {opts.page}", where)
    return opts.per_page, opts.page * opts.per_page


def search_filters(
    group_id: str, include_deleted: bool, target_type: str, target_id: str
) -> tuple[str, list[object]]:
    """The store's search conditions: each filter applies only when given."""
    where, args = "1", list[object]()
    if group_id:
        where, args = where + " AND group_id=?", [*args, group_id]
    if not include_deleted:
        where += " AND delete_at=0"
    if target_type:
        where, args = where + " AND json_extract(data, '$.target_type')=?", [*args, target_type]
    if target_id:
        where, args = where + " AND target_id=?", [*args, target_id]
    return where, args
