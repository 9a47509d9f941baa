"""Property values: create, read, update, upsert (one live value per field and target),
delete (soft), search, and bulk deletes for a target (hard) or a field (soft).

As the server's App layer and property store do it: a text value (or each text of a list)
is stored trimmed; an update writes the value and `delete_at` as given
(its `create_at` must be set; a deleted value may be updated) and answers the value as
given; the field of a value written must exist in some group (a deleted field takes values
too); an upsert answers the stored value (its first id and `create_at`) when the field and
target already have a live one; deleting a value only sets its `delete_at` (again, for one
deleted before); deleting a target's values removes them for good; an empty group id in a
bulk delete or search means any group.
"""

from __future__ import annotations

import sqlite3

from mmplug.host.api._commands import plain_error
from mmplug.host.api._pbjson import load
from mmplug.host.api._properties import (
    check_fields_exist,
    get_many,
    get_one,
    in_group,
    sanitize_value,
    save_value,
    search_filters,
    search_page,
    select,
    validate_value,
)
from mmplug.host.api._registry import ApiContext, ApiFailure, emulates
from mmplug.protocol import api_remaining_pb2 as rem

Value = rem.PropertyValue


def _check_batch(values: list[Value], verb: str) -> None:
    """The App layer's and the property service's checks of a batch to update or upsert
    (``verb``): at least one value (400), and all of one group (a service error the App
    layer answers as a 500)."""
    what, error_id = f"{verb.title()}PropertyValues", f"app.property_value.{verb}_many.app_error"
    if not values:
        raise ApiFailure(
            400,
            "app.property_value.invalid_input.app_error",
            f"{what} needs at least one property value.",
            detailed_error="property values are required",
        )
    groups = list(dict.fromkeys(v.group_id for v in values))
    if len(groups) > 1:
        raise ApiFailure(
            500,
            error_id,
            f"{what}: all values of one call must be of one group; send one call per group.",
            detailed_error=f"{what}: mixed group IDs in batch ({', '.join(groups)})",
        )


def _create(ctx: ApiContext, db: sqlite3.Connection, given: Value) -> Value:
    check_fields_exist(db, [given])
    if given.id:
        raise plain_error(
            f"invalid input: PropertyValue id={given.id!r} (a new value has no id)",
            "CreatePropertyValue",
        )
    value = Value()
    value.CopyFrom(given)
    sanitize_value(value)
    value.id = ctx.new_id()
    value.create_at = value.update_at = ctx.now()
    value.delete_at = 0
    validate_value(value)
    save_value(db, value)
    return value


def _update(ctx: ApiContext, db: sqlite3.Connection, group_id: str, given: Value) -> Value:
    """The store's update of one value: the value and delete_at as given; the answer is the
    value as given, with the new update_at."""
    value = Value()
    value.CopyFrom(given)
    sanitize_value(value)
    value.update_at = ctx.now()
    validate_value(value)
    group_sql, group_args = in_group(group_id)
    row = db.execute(
        "SELECT data FROM property_values WHERE id=?" + group_sql, (value.id, *group_args)
    ).fetchone()
    if row is None:
        raise plain_error(
            f"failed to update, property value {value.id} was not found"
            + (f" in group {group_id}" if group_id else ""),
            "UpdatePropertyValues",
        )
    stored = load(Value, row["data"])
    stored.value.CopyFrom(value.value)
    stored.delete_at, stored.update_at = value.delete_at, value.update_at
    save_value(db, stored)
    return value


def _upsert(ctx: ApiContext, db: sqlite3.Connection, given: Value, now: int) -> Value:
    """The store's upsert: a new value unless the field and target have a live one, which
    then takes the value (and is answered as stored)."""
    value = Value()
    value.CopyFrom(given)
    sanitize_value(value)
    value.id = value.id or ctx.new_id()
    value.create_at = value.create_at or now
    value.update_at = now
    validate_value(value)
    found = select(
        db,
        "value",
        "group_id=? AND target_id=? AND field_id=? AND delete_at=0",
        (value.group_id, value.target_id, value.field_id),
        Value,
    )
    if found:
        stored = found[0]
        stored.value.CopyFrom(value.value)
        stored.update_at, stored.delete_at = now, 0
        save_value(db, stored)
        return stored
    if db.execute("SELECT 1 FROM property_values WHERE id=?", (value.id,)).fetchone():
        raise plain_error(
            f"failed to upsert property value with id: {value.id} (another value has it)",
            "UpsertPropertyValues",
        )
    save_value(db, value)
    return value


@emulates("CreatePropertyValue")
def create_property_value(
    ctx: ApiContext, req: rem.CreatePropertyValueRequest
) -> rem.CreatePropertyValueResponse:
    with ctx.store.tx() as db:
        return rem.CreatePropertyValueResponse(value=_create(ctx, db, req.value))


@emulates("GetPropertyValue")
def get_property_value(
    ctx: ApiContext, req: rem.GetPropertyValueRequest
) -> rem.GetPropertyValueResponse:
    with ctx.store.read() as db:
        return rem.GetPropertyValueResponse(
            value=get_one(db, "value", req.group_id, req.value_id, Value)
        )


@emulates("GetPropertyValues")
def get_property_values(
    ctx: ApiContext, req: rem.GetPropertyValuesRequest
) -> rem.GetPropertyValuesResponse:
    with ctx.store.read() as db:
        found = get_many(db, "value", req.group_id, list(req.ids), Value)
    return rem.GetPropertyValuesResponse(values=found)


@emulates("UpdatePropertyValue")
def update_property_value(
    ctx: ApiContext, req: rem.UpdatePropertyValueRequest
) -> rem.UpdatePropertyValueResponse:
    with ctx.store.tx() as db:
        check_fields_exist(db, [req.value])
        return rem.UpdatePropertyValueResponse(value=_update(ctx, db, req.group_id, req.value))


@emulates("UpdatePropertyValues")
def update_property_values(
    ctx: ApiContext, req: rem.UpdatePropertyValuesRequest
) -> rem.UpdatePropertyValuesResponse:
    _check_batch(list(req.values), "update")
    with ctx.store.tx() as db:  # all or nothing
        check_fields_exist(db, list(req.values))
        values = [_update(ctx, db, req.group_id, v) for v in req.values]
    return rem.UpdatePropertyValuesResponse(values=values)


@emulates("UpsertPropertyValue")
def upsert_property_value(
    ctx: ApiContext, req: rem.UpsertPropertyValueRequest
) -> rem.UpsertPropertyValueResponse:
    with ctx.store.tx() as db:
        check_fields_exist(db, [req.value])
        return rem.UpsertPropertyValueResponse(value=_upsert(ctx, db, req.value, ctx.now()))


@emulates("UpsertPropertyValues")
def upsert_property_values(
    ctx: ApiContext, req: rem.UpsertPropertyValuesRequest
) -> rem.UpsertPropertyValuesResponse:
    """All in one transaction with one update time: one bad value and nothing is written; an
    empty list is 400 and values of several groups a 500 (one call per group)."""
    _check_batch(list(req.values), "upsert")
    now = ctx.now()
    with ctx.store.tx() as db:
        check_fields_exist(db, list(req.values))
        values = [_upsert(ctx, db, v, now) for v in req.values]
    return rem.UpsertPropertyValuesResponse(values=values)


def _soft_delete(ctx: ApiContext, where: str, args: tuple[object, ...]) -> int:
    """Sets `delete_at` (only it, also of values deleted before) of the matching values."""
    now = ctx.now()
    with ctx.store.tx() as db:
        return db.execute(
            "UPDATE property_values SET delete_at=?, data=json_set(data, '$.delete_at', ?) "
            f"WHERE {where}",
            (now, str(now), *args),
        ).rowcount


@emulates("DeletePropertyValue")
def delete_property_value(
    ctx: ApiContext, req: rem.DeletePropertyValueRequest
) -> rem.DeletePropertyValueResponse:
    """An unknown value (in that group) is 404 `app.property_value.not_found.app_error` (the
    App layer reads it first); a value deleted before is deleted again without an error."""
    group_sql, group_args = in_group(req.group_id)
    if not _soft_delete(ctx, "id=?" + group_sql, (req.value_id, *group_args)):
        with ctx.store.read() as db:
            get_one(db, "value", req.group_id, req.value_id, Value)  # raises the 404
    return rem.DeletePropertyValueResponse()


@emulates("DeletePropertyValuesForTarget")
def delete_values_for_target(
    ctx: ApiContext, req: rem.DeletePropertyValuesForTargetRequest
) -> rem.DeletePropertyValuesForTargetResponse:
    """Removes the target's values for good (not a soft delete); both the target type and
    id are needed."""
    if not req.target_type or not req.target_id:
        raise plain_error(
            "invalid input: PropertyValue target type or id empty", "DeletePropertyValuesForTarget"
        )
    group_sql, group_args = in_group(req.group_id)
    with ctx.store.tx() as db:
        db.execute(
            "DELETE FROM property_values WHERE target_id=? AND "
            "json_extract(data, '$.target_type')=?" + group_sql,
            (req.target_id, req.target_type, *group_args),
        )
    return rem.DeletePropertyValuesForTargetResponse()


@emulates("DeletePropertyValuesForField")
def delete_values_for_field(
    ctx: ApiContext, req: rem.DeletePropertyValuesForFieldRequest
) -> rem.DeletePropertyValuesForFieldResponse:
    """Soft-deletes every value of the field; none is no error."""
    group_sql, group_args = in_group(req.group_id)
    _soft_delete(ctx, "field_id=?" + group_sql, (req.field_id, *group_args))
    return rem.DeletePropertyValuesForFieldResponse()


@emulates("SearchPropertyValues")
def search_property_values(
    ctx: ApiContext, req: rem.SearchPropertyValuesRequest
) -> rem.SearchPropertyValuesResponse:
    """Values oldest first (then by id); an empty group, type, target or field id is no
    filter."""
    opts = req.opts
    limit, offset = search_page(opts, "SearchPropertyValues")
    where, args = search_filters(
        req.group_id, opts.include_deleted, opts.target_type, opts.target_id
    )
    if opts.field_id:
        where, args = where + " AND field_id=?", [*args, opts.field_id]
    with ctx.store.read() as db:
        found = select(
            db,
            "value",
            where
            + " ORDER BY CAST(json_extract(data, '$.create_at') AS INTEGER), id LIMIT ? OFFSET ?",
            (*args, limit, offset),
            Value,
        )
    return rem.SearchPropertyValuesResponse(values=found)
