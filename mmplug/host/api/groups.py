"""User groups: create/get/update/delete/restore, lookups, members."""

from __future__ import annotations

import sqlite3

from mmplug.host.api import _convert as conv
from mmplug.host.api._entities import get_user
from mmplug.host.api._groups import (
    find_group,
    get_group,
    groups_where,
    no_group,
    save_group,
    validate_group,
)
from mmplug.host.api._pbjson import paging, require_id
from mmplug.host.api._registry import ApiContext, ApiFailure, emulates
from mmplug.protocol import api_remaining_pb2 as rem

_ORDER = " ORDER BY json_extract(data, '$.display_name'), id"


def _check_username(db: sqlite3.Connection, group: rem.Group) -> None:
    if group.name and db.execute("SELECT 1 FROM users WHERE username=?", (group.name,)).fetchone():
        raise ApiFailure(
            400,
            "app.group.username_conflict",
            f"A user with the username {group.name!r} already exists; group "
            "names share the @mention namespace with usernames.",
        )


@emulates("CreateGroup")
def create_group(ctx: ApiContext, req: rem.CreateGroupRequest) -> rem.CreateGroupResponse:
    group = rem.Group()
    group.CopyFrom(req.group)
    if group.id:
        raise ApiFailure(400, "model.group.id.app_error", "A new group must not have an id.")
    validate_group(group)
    with ctx.store.tx() as db:
        _check_username(db, group)
        group.id = ctx.new_id()
        group.create_at = group.update_at = ctx.now()
        group.delete_at = 0
        save_group(db, group)
    return rem.CreateGroupResponse(group=group)


@emulates("GetGroup")
def get_group_rpc(ctx: ApiContext, req: rem.GetGroupRequest) -> rem.GetGroupResponse:
    require_id(req.group_id, "group_id")
    with ctx.store.read() as db:
        return rem.GetGroupResponse(group=get_group(db, req.group_id))


@emulates("GetGroupByName")
def get_group_by_name(
    ctx: ApiContext, req: rem.GetGroupByNameRequest
) -> rem.GetGroupByNameResponse:
    with ctx.store.read() as db:
        group = find_group(db, "name=? AND delete_at=0", (req.name,))
    if group is None or not req.name:
        raise no_group(f"name={req.name!r}")
    return rem.GetGroupByNameResponse(group=group)


@emulates("GetGroupByRemoteID")
def get_group_by_remote_id(
    ctx: ApiContext, req: rem.GetGroupByRemoteIDRequest
) -> rem.GetGroupByRemoteIDResponse:
    with ctx.store.read() as db:
        group = find_group(db, "remote_id=? AND source=?", (req.remote_id, req.group_source))
    if group is None or not req.remote_id:
        raise no_group(f"remote_id={req.remote_id!r} source={req.group_source!r}")
    return rem.GetGroupByRemoteIDResponse(group=group)


@emulates("GetGroupsBySource")
def get_groups_by_source(
    ctx: ApiContext, req: rem.GetGroupsBySourceRequest
) -> rem.GetGroupsBySourceResponse:
    with ctx.store.read() as db:
        found = groups_where(
            db,
            "SELECT data FROM user_groups WHERE source=? AND delete_at=0" + _ORDER,
            (req.group_source,),
        )
    return rem.GetGroupsBySourceResponse(groups=found)


@emulates("GetGroupsForUser")
def get_groups_for_user(
    ctx: ApiContext, req: rem.GetGroupsForUserRequest
) -> rem.GetGroupsForUserResponse:
    require_id(req.user_id, "user_id")
    with ctx.store.read() as db:
        found = groups_where(
            db,
            "SELECT g.data FROM user_groups g JOIN group_members m ON m.group_id=g.id "
            "WHERE m.user_id=? AND m.delete_at=0 AND g.delete_at=0 "
            "ORDER BY json_extract(g.data, '$.display_name'), g.id",
            (req.user_id,),
        )
    return rem.GetGroupsForUserResponse(groups=found)


@emulates("GetGroups")
def get_groups(ctx: ApiContext, req: rem.GetGroupsRequest) -> rem.GetGroupsResponse:
    opts = req.opts
    limit, offset = paging(req.page, req.per_page)
    sql = "SELECT data FROM user_groups WHERE " + (
        "delete_at<>0" if opts.filter_archived else "delete_at=0"
    )
    args: list[object] = []
    if opts.q:
        like = f"%{opts.q.lower()}%"
        sql += " AND (name LIKE ? OR lower(json_extract(data, '$.display_name')) LIKE ?)"
        args += [like, like]
    if opts.source:
        sql, args = sql + " AND source=?", [*args, opts.source]
    if opts.filter_allow_reference in ("true", "false"):
        sql += " AND coalesce(json_extract(data, '$.allow_reference'), 0)=?"
        args.append(int(opts.filter_allow_reference == "true"))
    with ctx.store.read() as db:
        found = groups_where(db, sql + _ORDER + " LIMIT ? OFFSET ?", (*args, limit, offset))
    return rem.GetGroupsResponse(groups=found)


@emulates("UpdateGroup")
def update_group(ctx: ApiContext, req: rem.UpdateGroupRequest) -> rem.UpdateGroupResponse:
    require_id(req.group.id, "group_id")
    with ctx.store.tx() as db:
        old = get_group(db, req.group.id)
        group = rem.Group()
        group.CopyFrom(req.group)
        group.create_at, group.delete_at = old.create_at, old.delete_at
        group.source = group.source or old.source
        validate_group(group)
        if group.name != old.name:
            _check_username(db, group)
        group.update_at = ctx.now()
        save_group(db, group)
    return rem.UpdateGroupResponse(group=group)


def _set_deleted(ctx: ApiContext, group_id: str, deleted: bool) -> rem.Group:
    require_id(group_id, "group_id")
    with ctx.store.tx() as db:
        group = get_group(db, group_id, include_deleted=True)
        if bool(group.delete_at) == deleted:
            raise no_group(f"group_id={group_id} is {'already' if deleted else 'not'} deleted")
        group.delete_at = ctx.now() if deleted else 0
        group.update_at = ctx.now()
        save_group(db, group)
    return group


@emulates("DeleteGroup")
def delete_group(ctx: ApiContext, req: rem.DeleteGroupRequest) -> rem.DeleteGroupResponse:
    return rem.DeleteGroupResponse(group=_set_deleted(ctx, req.group_id, True))


@emulates("RestoreGroup")
def restore_group(ctx: ApiContext, req: rem.RestoreGroupRequest) -> rem.RestoreGroupResponse:
    return rem.RestoreGroupResponse(group=_set_deleted(ctx, req.group_id, False))


def _upsert_member(
    ctx: ApiContext, db: sqlite3.Connection, group_id: str, user_id: str
) -> rem.GroupMember:
    require_id(user_id, "user_id")
    get_user(db, user_id)
    now = ctx.now()
    db.execute(
        "INSERT INTO group_members(group_id, user_id, create_at) VALUES(?,?,?) "
        "ON CONFLICT(group_id, user_id) DO UPDATE SET delete_at=0",
        (group_id, user_id, now),
    )
    row = db.execute(
        "SELECT create_at FROM group_members WHERE group_id=? AND user_id=?", (group_id, user_id)
    ).fetchone()
    return rem.GroupMember(group_id=group_id, user_id=user_id, create_at=row[0])


@emulates("UpsertGroupMember")
def upsert_group_member(
    ctx: ApiContext, req: rem.UpsertGroupMemberRequest
) -> rem.UpsertGroupMemberResponse:
    require_id(req.group_id, "group_id")
    with ctx.store.tx() as db:
        get_group(db, req.group_id)
        member = _upsert_member(ctx, db, req.group_id, req.user_id)
    return rem.UpsertGroupMemberResponse(group_member=member)


@emulates("UpsertGroupMembers")
def upsert_group_members(
    ctx: ApiContext, req: rem.UpsertGroupMembersRequest
) -> rem.UpsertGroupMembersResponse:
    require_id(req.group_id, "group_id")
    with ctx.store.tx() as db:  # all or nothing
        get_group(db, req.group_id)
        members = [
            _upsert_member(ctx, db, req.group_id, uid) for uid in dict.fromkeys(req.user_ids)
        ]
    return rem.UpsertGroupMembersResponse(group_members=members)


@emulates("DeleteGroupMember")
def delete_group_member(
    ctx: ApiContext, req: rem.DeleteGroupMemberRequest
) -> rem.DeleteGroupMemberResponse:
    require_id(req.group_id, "group_id")
    require_id(req.user_id, "user_id")
    with ctx.store.tx() as db:
        row = db.execute(
            "SELECT create_at FROM group_members WHERE group_id=? AND user_id=? AND delete_at=0",
            (req.group_id, req.user_id),
        ).fetchone()
        if row is None:
            raise no_group(f"group_id={req.group_id} user_id={req.user_id} (not a member)")
        now = ctx.now()
        db.execute(
            "UPDATE group_members SET delete_at=? WHERE group_id=? AND user_id=?",
            (now, req.group_id, req.user_id),
        )
    member = rem.GroupMember(
        group_id=req.group_id, user_id=req.user_id, create_at=row[0], delete_at=now
    )
    return rem.DeleteGroupMemberResponse(group_member=member)


@emulates("GetGroupMemberUsers")
def get_group_member_users(
    ctx: ApiContext, req: rem.GetGroupMemberUsersRequest
) -> rem.GetGroupMemberUsersResponse:
    require_id(req.group_id, "group_id")
    limit, offset = paging(req.page, req.per_page)
    with ctx.store.read() as db:
        get_group(db, req.group_id)
        rows = db.execute(
            "SELECT u.* FROM users u JOIN group_members m ON m.user_id=u.id "
            "WHERE m.group_id=? AND m.delete_at=0 ORDER BY u.username "
            "LIMIT ? OFFSET ?",
            (req.group_id, limit, offset),
        ).fetchall()
    users = [conv.sanitize_user(conv.user_from_row(r)) for r in rows]
    return rem.GetGroupMemberUsersResponse(users=users)
