"""Property fields and values: validation, rows, lookups, search paging (shared by the
property areas).

Missing fields and values are the server's 404s as its App layer maps the property store's
errors: one field not found is `app.property.not_found.app_error`, one value
`app.property_value.not_found.app_error`; some of several field ids not found is
`app.property_field.not_found.app_error`, of several value ids
`app.property.not_found.app_error`. Lookups by id find deleted items too, and an empty group
id means any group. Errors the store returns without an AppError (a
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


def _missing(kind: str, error_id: str, detail: str) -> ApiFailure:
    return ApiFailure(
        404, error_id, f"Unable to find the property {kind}.", detailed_error=detail
    )


def get_one(db: sqlite3.Connection, kind: str, group_id: str, item_id: str, cls: type[M]) -> M:
    """One item by id (deleted ones too), or the App layer's 404: for a field the mapped
    store error `app.property.not_found.app_error`, for a value its own
    `app.property_value.not_found.app_error`."""
    found = get_many(db, kind, group_id, [item_id], cls, one=True)
    return found[0]


def get_many(
    db: sqlite3.Connection,
    kind: str,
    group_id: str,
    ids: list[str],
    cls: type[M],
    *,
    one: bool = False,
) -> list[M]:
    """Every one of ``ids`` (each once; deleted ones too), or a 404 when any is missing:
    `app.property_field.not_found.app_error` for fields, `app.property.not_found.app_error`
    for values (the store's results mismatch as the App layer maps it)."""
    table = "property_fields" if kind == "field" else "property_values"
    group_sql, group_args = in_group(group_id)
    wanted = list(dict.fromkeys(ids))
    rows = {
        r["id"]: r["data"]
        for r in db.execute(
            f"SELECT id, data FROM {table} WHERE id IN ({','.join('?' * len(wanted))})"
            + group_sql,
            (*wanted, *group_args),
        )
    } if wanted else {}
    missing = [i for i in wanted if i not in rows]
    if missing:
        if one:
            error_id = (
                "app.property_value.not_found.app_error"
                if kind == "value"
                else "app.property.not_found.app_error"
            )
        else:
            error_id = (
                "app.property_field.not_found.app_error"
                if kind == "field"
                else "app.property.not_found.app_error"
            )
        detail = f"group_id={group_id} " if group_id else ""
        raise _missing(kind, error_id, detail + "missing: " + ", ".join(missing))
    return [load(cls, rows[i]) for i in wanted]


def check_fields_exist(db: sqlite3.Connection, values: list[rem.PropertyValue]) -> None:
    """The property service's look-up of the fields of values about to be written (before
    any value is validated): each field must exist in some group, deleted or not; a missing
    one is the mapped results mismatch, 404 `app.property.not_found.app_error`."""
    field_ids = list(dict.fromkeys(v.field_id for v in values))
    try:
        get_many(db, "field", "", field_ids, rem.PropertyField)
    except ApiFailure as failure:
        failure.error_id = "app.property.not_found.app_error"
        failure.message = "Unable to find the property field of a value."
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
