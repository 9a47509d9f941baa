"""User groups: create/get/update/delete/restore, lookups, members, as the plugin API and
``server/channels/app/group.go`` do them. Changing groups (and GetGroups, GetGroupByRemoteID)
needs a license with LDAP groups, as on the server: the default world has none (403).
Deleting or restoring a group changes only its state (members and links stay); the group
lists that take no state option show live groups only."""

from __future__ import annotations

import json
import sqlite3

from mmplug.host.api import _convert as conv
from mmplug.host.api._groups import (
    find_group,
    get_group,
    groups_where,
    no_group,
    require_ldap_groups_license,
    save_group,
    validate_group,
)
from mmplug.host.api._pbjson import like_contains, model_dict, model_json
from mmplug.host.api._registry import ApiContext, ApiFailure, emulates
from mmplug.host.api.config import server_settings
from mmplug.host.api.events import WEBSOCKET, capture
from mmplug.host.api.users import public_profile
from mmplug.protocol import api_remaining_pb2 as rem

_ORDER = " ORDER BY json_extract(data, '$.display_name'), id"


def _check_username(db: sqlite3.Connection, group: rem.Group) -> None:
    """The server's ``isUniqueToUsernames``: group names share the @mention namespace."""
    name = group.name.lower()
    if name and db.execute("SELECT 1 FROM users WHERE username=?", (name,)).fetchone():
        raise ApiFailure(
            400,
            "app.group.username_conflict",
            f"A user with the username {group.name!r} already exists; group "
            "names share the @mention namespace with usernames.",
            params={"Username": group.name},
        )


def _group_event(ctx: ApiContext, group: rem.Group) -> None:
    """``received_group`` as UpdateGroup, DeleteGroup and RestoreGroup send it to everyone:
    the group as JSON text with its ``member_count`` (the live members who are live users,
    as the store's GetMemberCount counts them)."""
    with ctx.store.read() as db:
        (count,) = db.execute(
            "SELECT COUNT(*) FROM group_members m JOIN users u ON u.id=m.user_id "
            "WHERE m.group_id=? AND m.delete_at=0 AND u.delete_at=0",
            (group.id,),
        ).fetchone()
    text = json.dumps(group_model(group, int(count)), separators=(",", ":"))
    capture(ctx, WEBSOCKET, {"event": "received_group", "data": {"group": text}, "broadcast": {}})


def group_model(group: rem.Group, member_count: int) -> dict[str, object]:
    """The group as the server's ``json.Marshal`` writes a ``model.Group`` it read back or
    saved: no ``name`` when it has none (a nil pointer the JSON omits), ``remote_id`` null
    when empty, int64 as numbers, ``has_syncables`` false and ``member_ids`` null (the store
    fills neither), ``member_count`` as the server counted it."""
    out = model_dict(group, frozenset({"name"}), remote_id=group.remote_id or None)
    allow_reference = out.pop("allow_reference")
    return {**out, "has_syncables": False, "member_count": member_count,
            "allow_reference": allow_reference, "member_ids": None}


def _member_event(ctx: ApiContext, event: str, member: rem.GroupMember) -> None:
    """The server's ``publishGroupMemberEvent``: the member as JSON text, to that user."""
    capture(
        ctx,
        WEBSOCKET,
        {
            "event": event,
            "data": {"group_member": model_json(member)},
            "broadcast": {"user_id": member.user_id},
        },
    )


@emulates("CreateGroup")
def create_group(ctx: ApiContext, req: rem.CreateGroupRequest) -> rem.CreateGroupResponse:
    require_ldap_groups_license(ctx)
    group = rem.Group()
    group.CopyFrom(req.group)
    with ctx.store.tx() as db:
        _check_username(db, group)
        if group.id:
            raise ApiFailure(400, "app.group.id.app_error", "A new group must not have an id.")
        validate_group(group)
        group.id = ctx.new_id()
        group.create_at = group.update_at = ctx.now()
        save_group(db, group, conflict=(500, "app.insert_error"))
    return rem.CreateGroupResponse(group=group)


@emulates("GetGroup")
def get_group_rpc(ctx: ApiContext, req: rem.GetGroupRequest) -> rem.GetGroupResponse:
    """Any group with that id, deleted ones too; otherwise 404 `app.group.no_rows`."""
    with ctx.store.read() as db:
        return rem.GetGroupResponse(group=get_group(db, req.group_id, include_deleted=True))


@emulates("GetGroupByName")
def get_group_by_name(
    ctx: ApiContext, req: rem.GetGroupByNameRequest
) -> rem.GetGroupByNameResponse:
    with ctx.store.read() as db:
        group = find_group(db, "name=?", (req.name,))  # deleted groups too
    if group is None or not req.name:
        raise no_group(f"name={req.name!r}")
    return rem.GetGroupByNameResponse(group=group)


@emulates("GetGroupByRemoteID")
def get_group_by_remote_id(
    ctx: ApiContext, req: rem.GetGroupByRemoteIDRequest
) -> rem.GetGroupByRemoteIDResponse:
    require_ldap_groups_license(ctx)
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
    """The groups the user is a member of, deleted groups included (as the server's store)."""
    with ctx.store.read() as db:
        found = groups_where(
            db,
            "SELECT g.data FROM user_groups g JOIN group_members m ON m.group_id=g.id "
            "WHERE m.user_id=? AND m.delete_at=0 "
            "ORDER BY json_extract(g.data, '$.display_name'), g.id",
            (req.user_id,),
        )
    return rem.GetGroupsForUserResponse(groups=found)


def _group_page(page: int, per_page: int) -> str:
    """The server's paging of GetGroups: ``per_page`` 0 is no limit at all (every group);
    a negative value reaches the database as a huge unsigned number and fails there."""
    if per_page == 0:
        return ""
    if page < 0 or per_page < 0:
        raise ApiFailure(
            500,
            "app.select_error",
            "We encountered an error finding the groups.",
            detailed_error=f"page={page} per_page={per_page}: out of range for the database",
        )
    return f" LIMIT {per_page} OFFSET {page * per_page}"


@emulates("GetGroups")
def get_groups(ctx: ApiContext, req: rem.GetGroupsRequest) -> rem.GetGroupsResponse:
    """Live groups by display name (the wire carries no ``filter_archived``). The term matches
    name or display name anywhere, any case; ``filter_allow_reference`` filters only when
    "true"; ``filter_has_member`` true reaches the server as the user id "true", so nothing
    matches."""
    require_ldap_groups_license(ctx)
    opts = req.opts
    limit = _group_page(req.page, req.per_page)
    sql = "SELECT data FROM user_groups WHERE delete_at=0"
    args: list[object] = []
    if opts.filter_has_member:
        sql += " AND 0"
    if opts.q:
        like = like_contains(opts.q.lower())
        sql += (
            " AND (lower(name) LIKE ? ESCAPE '\\' OR "
            "lower(json_extract(data, '$.display_name')) LIKE ? ESCAPE '\\')"
        )
        args += [like, like]
    if opts.source:
        sql, args = sql + " AND source=?", [*args, opts.source]
    if opts.filter_allow_reference == "true":
        sql += " AND coalesce(json_extract(data, '$.allow_reference'), 0)=1"
    with ctx.store.read() as db:
        found = groups_where(db, sql + _ORDER + limit, tuple(args))
    return rem.GetGroupsResponse(groups=found)


@emulates("UpdateGroup")
def update_group(ctx: ApiContext, req: rem.UpdateGroupRequest) -> rem.UpdateGroupResponse:
    """The server's ``UpdateGroup``: the fields as given (a deleted group too, and `delete_at`
    may only go back to 0), `create_at` kept."""
    require_ldap_groups_license(ctx)
    with ctx.store.tx() as db:
        group = rem.Group()
        group.CopyFrom(req.group)
        _check_username(db, group)
        old = get_group(db, group.id, include_deleted=True)
        if group.delete_at not in (old.delete_at, 0):
            raise ApiFailure(
                500,
                "app.select_error",
                "DeleteAt should be 0 when updating.",
                detailed_error="use DeleteGroup to delete a group",
            )
        group.create_at, group.update_at = old.create_at, ctx.now()
        validate_group(group)
        save_group(db, group, conflict=(400, "app.custom_group.unique_name"))
    _group_event(ctx, group)
    return rem.UpdateGroupResponse(group=group)


def _set_deleted(ctx: ApiContext, group_id: str, deleted: bool) -> rem.Group:
    require_ldap_groups_license(ctx)
    with ctx.store.tx() as db:
        group = get_group(db, group_id, include_deleted=True)
        if bool(group.delete_at) == deleted:
            raise no_group(f"group_id={group_id} is {'already' if deleted else 'not'} deleted")
        group.delete_at = ctx.now() if deleted else 0
        group.update_at = ctx.now()
        save_group(db, group)
    _group_event(ctx, group)
    return group


@emulates("DeleteGroup")
def delete_group(ctx: ApiContext, req: rem.DeleteGroupRequest) -> rem.DeleteGroupResponse:
    return rem.DeleteGroupResponse(group=_set_deleted(ctx, req.group_id, True))


@emulates("RestoreGroup")
def restore_group(ctx: ApiContext, req: rem.RestoreGroupRequest) -> rem.RestoreGroupResponse:
    return rem.RestoreGroupResponse(group=_set_deleted(ctx, req.group_id, False))


def _upsert_members(ctx: ApiContext, group_id: str, user_ids: list[str]) -> list[rem.GroupMember]:
    """The server's ``buildUpsertMembersQuery``: the group must exist (else a 500), every user
    must be an active user (else a 400); a member again gets a new `create_at`. One insert
    writes them all, so an empty list or a user id given twice fails in the database (500)."""
    require_ldap_groups_license(ctx)
    with ctx.store.tx() as db:  # all or nothing
        if find_group(db, "id=?", (group_id,)) is None:
            raise ApiFailure(
                500,
                "app.update_error",
                "We encountered an error updating the group members.",
                detailed_error=f"group_id={group_id}: no such group",
            )
        for user_id in user_ids:
            if not db.execute(
                "SELECT 1 FROM users WHERE id=? AND delete_at=0", (user_id,)
            ).fetchone():
                raise ApiFailure(
                    400,
                    "app.group.user_not_found",
                    "Unable to find the user.",
                    detailed_error=f"user_id={user_id} (missing or deactivated)",
                    params={"Username": user_id},
                )
        if not user_ids or len(set(user_ids)) < len(user_ids):
            raise ApiFailure(
                500,
                "app.update_error",
                "We encountered an error updating the group members.",
                detailed_error="the insert needs at least one user id, each given once",
            )
        now = ctx.now()
        members = []
        for user_id in user_ids:
            db.execute(
                "INSERT INTO group_members(group_id, user_id, create_at) VALUES(?,?,?) "
                "ON CONFLICT(group_id, user_id) DO UPDATE SET create_at=excluded.create_at, "
                "delete_at=0",
                (group_id, user_id, now),
            )
            members.append(rem.GroupMember(group_id=group_id, user_id=user_id, create_at=now))
    for member in members:
        _member_event(ctx, "group_member_add", member)
    return members


@emulates("UpsertGroupMember")
def upsert_group_member(
    ctx: ApiContext, req: rem.UpsertGroupMemberRequest
) -> rem.UpsertGroupMemberResponse:
    (member,) = _upsert_members(ctx, req.group_id, [req.user_id])
    return rem.UpsertGroupMemberResponse(group_member=member)


@emulates("UpsertGroupMembers")
def upsert_group_members(
    ctx: ApiContext, req: rem.UpsertGroupMembersRequest
) -> rem.UpsertGroupMembersResponse:
    members = _upsert_members(ctx, req.group_id, list(req.user_ids))
    return rem.UpsertGroupMembersResponse(group_members=members)


@emulates("DeleteGroupMember")
def delete_group_member(
    ctx: ApiContext, req: rem.DeleteGroupMemberRequest
) -> rem.DeleteGroupMemberResponse:
    require_ldap_groups_license(ctx)
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
    _member_event(ctx, "group_member_deleted", member)
    return rem.DeleteGroupMemberResponse(group_member=member)


@emulates("GetGroupMemberUsers")
def get_group_member_users(
    ctx: ApiContext, req: rem.GetGroupMemberUsersRequest
) -> rem.GetGroupMemberUsersResponse:
    """Active members by username, as public profiles; an unknown group has no members (no
    error); `per_page` goes to the database as is (0 gives none)."""
    if req.page < 0 or req.per_page < 0:
        raise ApiFailure(
            500,
            "app.select_error",
            "We encountered an error finding the group members.",
            detailed_error=f"page={req.page} per_page={req.per_page}: negative",
        )
    with ctx.store.read() as db:
        rows = db.execute(
            "SELECT u.* FROM users u JOIN group_members m ON m.user_id=u.id "
            "WHERE m.group_id=? AND m.delete_at=0 AND u.delete_at=0 ORDER BY u.username "
            "LIMIT ? OFFSET ?",
            (req.group_id, req.per_page, req.page * req.per_page),
        ).fetchall()
        privacy = server_settings(db, "PrivacySettings")
    users = [public_profile(conv.user_from_row(r), privacy) for r in rows]
    return rem.GetGroupMemberUsersResponse(users=users)
