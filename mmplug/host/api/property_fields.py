"""Property groups and fields: register/get groups; create, read, update, delete (soft),
search and count fields."""

from __future__ import annotations

import sqlite3

from mmplug.host.api._pbjson import paging
from mmplug.host.api._properties import get_many, get_one, save_field, select, validate_field
from mmplug.host.api._registry import ApiContext, ApiFailure, differs, emulates
from mmplug.protocol import api_remaining_pb2 as rem

Field = rem.PropertyField

differs(
    "CreatePropertyField",
    "Recent servers also enforce field limits, protected fields, access-control permissions "
    "and name conflicts across target levels, and publish property_field_* WebSocket events; "
    "mmplug checks the field's own rules and a unique name per group and target only.",
)
_ORDER = " ORDER BY json_extract(data, '$.create_at'), id"


@emulates("RegisterPropertyGroup")
def register_property_group(
    ctx: ApiContext, req: rem.RegisterPropertyGroupRequest
) -> rem.RegisterPropertyGroupResponse:
    if not req.name:
        raise ApiFailure(
            400, "app.property_group.register.name.app_error", "A property group needs a name."
        )
    with ctx.store.tx() as db:
        row = db.execute("SELECT id FROM property_groups WHERE name=?", (req.name,)).fetchone()
        group_id = row["id"] if row is not None else ctx.new_id()
        if row is None:
            db.execute("INSERT INTO property_groups(id, name) VALUES(?,?)", (group_id, req.name))
    return rem.RegisterPropertyGroupResponse(group=rem.PropertyGroup(id=group_id, name=req.name))


@emulates("GetPropertyGroup")
def get_property_group(
    ctx: ApiContext, req: rem.GetPropertyGroupRequest
) -> rem.GetPropertyGroupResponse:
    with ctx.store.read() as db:
        row = db.execute("SELECT id FROM property_groups WHERE name=?", (req.name,)).fetchone()
    if row is None:
        raise ApiFailure(
            404,
            "app.property_group.get.app_error",
            f"No property group named {req.name!r}; register it first.",
        )
    return rem.GetPropertyGroupResponse(group=rem.PropertyGroup(id=row["id"], name=req.name))


@emulates("CreatePropertyField")
def create_property_field(
    ctx: ApiContext, req: rem.CreatePropertyFieldRequest
) -> rem.CreatePropertyFieldResponse:
    field = Field()
    field.CopyFrom(req.field)
    field.name = field.name.strip()  # the server trims the name for every caller
    validate_field(field)
    with ctx.store.tx() as db:
        field.id = ctx.new_id()
        field.create_at = field.update_at = ctx.now()
        field.delete_at = 0
        save_field(db, field)
    return rem.CreatePropertyFieldResponse(field=field)


@emulates("GetPropertyField")
def get_property_field(
    ctx: ApiContext, req: rem.GetPropertyFieldRequest
) -> rem.GetPropertyFieldResponse:
    with ctx.store.read() as db:
        return rem.GetPropertyFieldResponse(
            field=get_one(db, "field", req.group_id, req.field_id, Field)
        )


@emulates("GetPropertyFields")
def get_property_fields(
    ctx: ApiContext, req: rem.GetPropertyFieldsRequest
) -> rem.GetPropertyFieldsResponse:
    with ctx.store.read() as db:
        found = get_many(db, "field", req.group_id, list(req.ids), Field)
    return rem.GetPropertyFieldsResponse(fields=found)


@emulates("GetPropertyFieldByName")
def get_property_field_by_name(
    ctx: ApiContext, req: rem.GetPropertyFieldByNameRequest
) -> rem.GetPropertyFieldByNameResponse:
    with ctx.store.read() as db:
        found = select(
            db,
            "field",
            "group_id=? AND target_id=? AND name=? AND delete_at=0",
            (req.group_id, req.target_id, req.name),
            Field,
        )
    if not found:
        raise ApiFailure(
            404,
            "app.property.not_found.app_error",
            f"No property field named {req.name!r} in this group/target.",
        )
    return rem.GetPropertyFieldByNameResponse(field=found[0])


def _update(ctx: ApiContext, db: sqlite3.Connection, group_id: str, new: Field) -> Field:
    old = get_one(db, "field", group_id, new.id, Field)
    if old.delete_at:
        raise ApiFailure(
            400,
            "app.property_field.update.deleted.app_error",
            "A deleted property field cannot be updated.",
        )
    field = Field()
    field.CopyFrom(new)
    field.name = field.name.strip()
    field.group_id, field.create_at, field.delete_at = old.group_id, old.create_at, 0
    validate_field(field)
    field.update_at = ctx.now()
    save_field(db, field)
    return field


@emulates("UpdatePropertyField")
def update_property_field(
    ctx: ApiContext, req: rem.UpdatePropertyFieldRequest
) -> rem.UpdatePropertyFieldResponse:
    with ctx.store.tx() as db:
        return rem.UpdatePropertyFieldResponse(field=_update(ctx, db, req.group_id, req.field))


@emulates("UpdatePropertyFields")
def update_property_fields(
    ctx: ApiContext, req: rem.UpdatePropertyFieldsRequest
) -> rem.UpdatePropertyFieldsResponse:
    if not req.fields:
        raise ApiFailure(
            400,
            "app.property_field.invalid_input.app_error",
            "UpdatePropertyFields needs at least one field.",
        )
    with ctx.store.tx() as db:  # all or nothing
        fields = [_update(ctx, db, req.group_id, f) for f in req.fields]
    return rem.UpdatePropertyFieldsResponse(fields=fields)


@emulates("DeletePropertyField")
def delete_property_field(
    ctx: ApiContext, req: rem.DeletePropertyFieldRequest
) -> rem.DeletePropertyFieldResponse:
    with ctx.store.tx() as db:
        field = get_one(db, "field", req.group_id, req.field_id, Field)
        now = ctx.now()
        if not field.delete_at:
            field.delete_at = field.update_at = now
            save_field(db, field)
        # The field's values go with it.
        db.execute(
            "UPDATE property_values SET delete_at=?, data=json_set(data, '$.delete_at', "
            "?) WHERE field_id=? AND delete_at=0",
            (now, str(now), field.id),
        )
    return rem.DeletePropertyFieldResponse()


def _filters(
    group_id: str, include_deleted: bool, target_type: str, target_id: str
) -> tuple[str, list[object]]:
    where, args = "group_id=?", list[object]([group_id])
    if not include_deleted:
        where += " AND delete_at=0"
    if target_type:
        where, args = where + " AND json_extract(data, '$.target_type')=?", [*args, target_type]
    if target_id:
        where, args = where + " AND target_id=?", [*args, target_id]
    return where, args


@emulates("SearchPropertyFields")
def search_property_fields(
    ctx: ApiContext, req: rem.SearchPropertyFieldsRequest
) -> rem.SearchPropertyFieldsResponse:
    opts = req.opts
    limit, offset = paging(opts.page, opts.per_page)
    where, args = _filters(req.group_id, opts.include_deleted, opts.target_type, opts.target_id)
    with ctx.store.read() as db:
        found = select(
            db, "field", where + _ORDER + " LIMIT ? OFFSET ?", (*args, limit, offset), Field
        )
    return rem.SearchPropertyFieldsResponse(fields=found)


def _count(ctx: ApiContext, where: str, args: list[object]) -> int:
    with ctx.store.read() as db:
        return int(
            db.execute(f"SELECT count(*) FROM property_fields WHERE {where}", args).fetchone()[0]
        )


@emulates("CountPropertyFields")
def count_property_fields(
    ctx: ApiContext, req: rem.CountPropertyFieldsRequest
) -> rem.CountPropertyFieldsResponse:
    where, args = _filters(req.group_id, req.include_deleted, "", "")
    return rem.CountPropertyFieldsResponse(count=_count(ctx, where, args))


@emulates("CountPropertyFieldsForTarget")
def count_property_fields_for_target(
    ctx: ApiContext, req: rem.CountPropertyFieldsForTargetRequest
) -> rem.CountPropertyFieldsForTargetResponse:
    where, args = _filters(req.group_id, req.include_deleted, req.target_type, req.target_id)
    return rem.CountPropertyFieldsForTargetResponse(count=_count(ctx, where, args))
