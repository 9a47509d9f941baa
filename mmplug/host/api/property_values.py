"""Property values: create, read, update, upsert (one per field and target), delete (soft),
search, and bulk deletes for a target or a field."""

from __future__ import annotations

import sqlite3

from mmplug.host.api._pbjson import paging
from mmplug.host.api._properties import get_many, get_one, save_value, select, validate_value
from mmplug.host.api._registry import ApiContext, ApiFailure, emulates
from mmplug.protocol import api_remaining_pb2 as rem

Value = rem.PropertyValue
Field = rem.PropertyField


def _check_field(db: sqlite3.Connection, value: Value) -> None:
    field = get_one(db, "field", value.group_id, value.field_id, Field)
    if field.delete_at:
        raise ApiFailure(
            400,
            "app.property_value.field_deleted.app_error",
            "The property field of this value has been deleted.",
        )


def _create(ctx: ApiContext, db: sqlite3.Connection, given: Value) -> Value:
    value = Value()
    value.CopyFrom(given)
    validate_value(value)
    _check_field(db, value)
    value.id = ctx.new_id()
    value.create_at = value.update_at = ctx.now()
    value.delete_at = 0
    save_value(db, value)
    return value


def _update(ctx: ApiContext, db: sqlite3.Connection, group_id: str, given: Value) -> Value:
    old = get_one(db, "value", group_id, given.id, Value)
    if old.delete_at:
        raise ApiFailure(
            400,
            "app.property_value.update.deleted.app_error",
            "A deleted property value cannot be updated.",
        )
    old.value.CopyFrom(given.value)
    old.update_at = ctx.now()
    save_value(db, old)
    return old


def _upsert(ctx: ApiContext, db: sqlite3.Connection, given: Value) -> Value:
    validate_value(given)
    found = select(
        db,
        "value",
        "group_id=? AND target_id=? AND field_id=? AND delete_at=0",
        (given.group_id, given.target_id, given.field_id),
        Value,
    )
    if found:
        return _update(ctx, db, given.group_id, Value(id=found[0].id, value=given.value))
    return _create(ctx, db, given)


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
        return rem.UpdatePropertyValueResponse(value=_update(ctx, db, req.group_id, req.value))


@emulates("UpdatePropertyValues")
def update_property_values(
    ctx: ApiContext, req: rem.UpdatePropertyValuesRequest
) -> rem.UpdatePropertyValuesResponse:
    with ctx.store.tx() as db:  # all or nothing
        values = [_update(ctx, db, req.group_id, v) for v in req.values]
    return rem.UpdatePropertyValuesResponse(values=values)


@emulates("UpsertPropertyValue")
def upsert_property_value(
    ctx: ApiContext, req: rem.UpsertPropertyValueRequest
) -> rem.UpsertPropertyValueResponse:
    with ctx.store.tx() as db:
        return rem.UpsertPropertyValueResponse(value=_upsert(ctx, db, req.value))


@emulates("UpsertPropertyValues")
def upsert_property_values(
    ctx: ApiContext, req: rem.UpsertPropertyValuesRequest
) -> rem.UpsertPropertyValuesResponse:
    with ctx.store.tx() as db:
        values = [_upsert(ctx, db, v) for v in req.values]
    return rem.UpsertPropertyValuesResponse(values=values)


def _soft_delete(ctx: ApiContext, where: str, args: tuple[object, ...]) -> int:
    now = ctx.now()
    with ctx.store.tx() as db:
        return db.execute(
            "UPDATE property_values SET delete_at=?, data=json_set(data, '$.delete_at', ?, "
            f"'$.update_at', ?) WHERE delete_at=0 AND {where}",
            (now, str(now), str(now), *args),
        ).rowcount


@emulates("DeletePropertyValue")
def delete_property_value(
    ctx: ApiContext, req: rem.DeletePropertyValueRequest
) -> rem.DeletePropertyValueResponse:
    with ctx.store.read() as db:
        get_one(db, "value", req.group_id, req.value_id, Value)
    _soft_delete(ctx, "id=? AND group_id=?", (req.value_id, req.group_id))
    return rem.DeletePropertyValueResponse()


@emulates("DeletePropertyValuesForTarget")
def delete_values_for_target(
    ctx: ApiContext, req: rem.DeletePropertyValuesForTargetRequest
) -> rem.DeletePropertyValuesForTargetResponse:
    _soft_delete(
        ctx,
        "group_id=? AND target_id=? AND json_extract(data, '$.target_type')=?",
        (req.group_id, req.target_id, req.target_type),
    )
    return rem.DeletePropertyValuesForTargetResponse()


@emulates("DeletePropertyValuesForField")
def delete_values_for_field(
    ctx: ApiContext, req: rem.DeletePropertyValuesForFieldRequest
) -> rem.DeletePropertyValuesForFieldResponse:
    _soft_delete(ctx, "group_id=? AND field_id=?", (req.group_id, req.field_id))
    return rem.DeletePropertyValuesForFieldResponse()


@emulates("SearchPropertyValues")
def search_property_values(
    ctx: ApiContext, req: rem.SearchPropertyValuesRequest
) -> rem.SearchPropertyValuesResponse:
    opts = req.opts
    limit, offset = paging(opts.page, opts.per_page)
    where, args = "group_id=?", [req.group_id]
    if not opts.include_deleted:
        where += " AND delete_at=0"
    for column, wanted in (
        ("json_extract(data, '$.target_type')", opts.target_type),
        ("target_id", opts.target_id),
        ("field_id", opts.field_id),
    ):
        if wanted:
            where, args = f"{where} AND {column}=?", [*args, wanted]
    with ctx.store.read() as db:
        found = select(
            db,
            "value",
            where + " ORDER BY json_extract(data, '$.create_at'), id LIMIT ? OFFSET ?",
            (*args, limit, offset),
            Value,
        )
    return rem.SearchPropertyValuesResponse(values=found)
