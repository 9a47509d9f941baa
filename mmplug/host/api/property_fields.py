"""Property groups and fields: register/get groups; create, read, update, delete (soft),
search and count fields.

As the server's App layer, property service and store do it: an update loads the fields
first (a missing one is 404 `app.property_field.not_found.app_error`), writes them as given
(their `create_at` must be set, a deleted field may be updated and its `delete_at` is taken
as given) and answers them as given; deleting a field soft-deletes its values too and is no
error for a field deleted before; searches need a positive `per_page`; an empty group id in
a search or delete means any group. Errors the store returns without an id are 500s.
"""

from __future__ import annotations

import sqlite3

from mmplug.host.api._commands import plain_error
from mmplug.host.api._properties import (
    get_many,
    get_one,
    in_group,
    save_field,
    search_filters,
    search_page,
    select,
    validate_field,
)
from mmplug.host.api._registry import ApiContext, ApiFailure, differs, emulates
from mmplug.protocol import api_remaining_pb2 as rem

Field = rem.PropertyField

differs(
    "CreatePropertyField",
    "Recent servers also enforce field limits, protected fields, access-control permissions "
    "and name conflicts across target levels, and publish property_field_* WebSocket events; "
    "mmplug checks the field's own rules and a unique name per group and target only.",
)
for _name in ("SearchPropertyFields", "SearchPropertyValues"):
    differs(
        _name,
        "The server pages a search with a cursor (create_at, id) that the wire's page number "
        "cannot carry; mmplug skips page x per_page results in the same order.",
    )
_ORDER = " ORDER BY CAST(json_extract(data, '$.create_at') AS INTEGER), id"


@emulates("RegisterPropertyGroup")
def register_property_group(
    ctx: ApiContext, req: rem.RegisterPropertyGroupRequest
) -> rem.RegisterPropertyGroupResponse:
    """Registering a name again answers the group it already has."""
    if not req.name:
        raise plain_error("invalid input: PropertyGroup name is empty", "RegisterPropertyGroup")
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
    """A name never registered is 404 `app.property.not_found.app_error`."""
    with ctx.store.read() as db:
        row = db.execute("SELECT id FROM property_groups WHERE name=?", (req.name,)).fetchone()
    if row is None:
        raise ApiFailure(
            404,
            "app.property.not_found.app_error",
            f"No property group named {req.name!r}; register it first.",
        )
    return rem.GetPropertyGroupResponse(group=rem.PropertyGroup(id=row["id"], name=req.name))


@emulates("CreatePropertyField")
def create_property_field(
    ctx: ApiContext, req: rem.CreatePropertyFieldRequest
) -> rem.CreatePropertyFieldResponse:
    if req.field.id:
        raise plain_error(
            f"invalid input: PropertyField id={req.field.id!r} (a new field has no id)",
            "CreatePropertyField",
        )
    field = Field()
    field.CopyFrom(req.field)
    field.name = field.name.strip()  # the server trims the name for every caller
    field.id = ctx.new_id()
    field.create_at = field.update_at = ctx.now()
    field.delete_at = 0
    validate_field(field)
    with ctx.store.tx() as db:
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
    """The live field of exactly that name (no trimming, any case counts) in the group with
    exactly that target id ("" for fields of no target)."""
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


def _update(
    ctx: ApiContext, db: sqlite3.Connection, group_id: str, given: list[Field]
) -> list[Field]:
    """The App layer's update of fields: names trimmed, every field loaded first (one missing,
    or of another group, is 404 `app.property_field.not_found.app_error` before anything is
    validated), then the store's update, whose answer is the fields as given."""
    fields = []
    for item in given:
        field = Field()
        field.CopyFrom(item)
        field.name = field.name.strip()
        fields.append(field)
    existing = {f.id: f for f in get_many(db, "field", group_id, [f.id for f in fields], Field)}
    now = ctx.now()
    for field in fields:
        field.update_at = now
        validate_field(field)
        stored = Field()
        stored.CopyFrom(field)
        old = existing[field.id]
        stored.group_id, stored.create_at = old.group_id, old.create_at  # the row keeps these
        save_field(db, stored)
    return fields


@emulates("UpdatePropertyField")
def update_property_field(
    ctx: ApiContext, req: rem.UpdatePropertyFieldRequest
) -> rem.UpdatePropertyFieldResponse:
    with ctx.store.tx() as db:
        (field,) = _update(ctx, db, req.group_id, [req.field])
    return rem.UpdatePropertyFieldResponse(field=field)


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
        fields = _update(ctx, db, req.group_id, list(req.fields))
    return rem.UpdatePropertyFieldsResponse(fields=fields)


@emulates("DeletePropertyField")
def delete_property_field(
    ctx: ApiContext, req: rem.DeletePropertyFieldRequest
) -> rem.DeletePropertyFieldResponse:
    """Soft-deletes the field and all its values (only their `delete_at` changes, also for
    ones deleted before); an unknown field is 404 `app.property.not_found.app_error`."""
    group_sql, group_args = in_group(req.group_id)
    with ctx.store.tx() as db:
        if req.group_id:  # the field must be the group's
            get_one(db, "field", req.group_id, req.field_id, Field)
        now = ctx.now()
        db.execute(
            "UPDATE property_values SET delete_at=?, data=json_set(data, '$.delete_at', ?) "
            "WHERE field_id=?" + group_sql,
            (now, str(now), req.field_id, *group_args),
        )
        deleted = db.execute(
            "UPDATE property_fields SET delete_at=?, data=json_set(data, '$.delete_at', ?) "
            "WHERE id=?" + group_sql,
            (now, str(now), req.field_id, *group_args),
        ).rowcount
        if not deleted:
            get_one(db, "field", req.group_id, req.field_id, Field)  # raises the 404
    return rem.DeletePropertyFieldResponse()


@emulates("SearchPropertyFields")
def search_property_fields(
    ctx: ApiContext, req: rem.SearchPropertyFieldsRequest
) -> rem.SearchPropertyFieldsResponse:
    """Fields oldest first (then by id); an empty group, type or target id is no filter."""
    opts = req.opts
    limit, offset = search_page(opts, "SearchPropertyFields")
    where, args = search_filters(
        req.group_id, opts.include_deleted, opts.target_type, opts.target_id
    )
    with ctx.store.read() as db:
        found = select(
            db, "field", where + _ORDER + " LIMIT ? OFFSET ?", (*args, limit, offset), Field
        )
    return rem.SearchPropertyFieldsResponse(fields=found)


def _count(ctx: ApiContext, where: str, args: tuple[object, ...]) -> int:
    with ctx.store.read() as db:
        return int(
            db.execute(f"SELECT count(*) FROM property_fields WHERE {where}", args).fetchone()[0]
        )


def _live(include_deleted: bool) -> str:
    return "" if include_deleted else " AND delete_at=0"


@emulates("CountPropertyFields")
def count_property_fields(
    ctx: ApiContext, req: rem.CountPropertyFieldsRequest
) -> rem.CountPropertyFieldsResponse:
    where = "group_id=?" + _live(req.include_deleted)
    return rem.CountPropertyFieldsResponse(count=_count(ctx, where, (req.group_id,)))


@emulates("CountPropertyFieldsForTarget")
def count_property_fields_for_target(
    ctx: ApiContext, req: rem.CountPropertyFieldsForTargetRequest
) -> rem.CountPropertyFieldsForTargetResponse:
    """Type and target id must match exactly: empty ones count the fields of no target."""
    where = (
        "group_id=? AND coalesce(json_extract(data, '$.target_type'), '')=? AND target_id=?"
        + _live(req.include_deleted)
    )
    args = (req.group_id, req.target_type, req.target_id)
    return rem.CountPropertyFieldsForTargetResponse(count=_count(ctx, where, args))
