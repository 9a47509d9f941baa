"""Group syncables (a group linked to a team or channel) and the memberships they drive
(all need a license with LDAP groups, as the plugin API checks: 403 without one):
CreateDefaultSyncableMemberships adds group members to auto-add teams/channels,
DeleteGroupConstrainedMemberships removes non-members from group-constrained ones."""

from __future__ import annotations

import sqlite3

from mmplug.host.api import _hooks
from mmplug.host.api._entities import get_channel, get_member, get_team
from mmplug.host.api._groups import get_group, no_group, require_ldap_groups_license
from mmplug.host.api._pbjson import dump, load, require_id
from mmplug.host.api._registry import ApiContext, ApiFailure, emulates
from mmplug.host.api.channel_members import add_member
from mmplug.host.api.teams_members import add_members, delete_team_member
from mmplug.protocol import api_remaining_pb2 as rem
from mmplug.protocol import api_user_team_pb2 as ut
from mmplug.protocol import hooks_user_channel_pb2 as huc

TYPES = ("Team", "Channel")


def _check_type(syncable_type: str) -> str:
    if syncable_type not in TYPES:
        raise ApiFailure(
            400,
            "model.group_syncable.syncable_type.app_error",
            f"Invalid syncable type {syncable_type!r}: use 'Team' or 'Channel'.",
        )
    return syncable_type


def _find(
    db: sqlite3.Connection, group_id: str, syncable_id: str, syncable_type: str
) -> rem.GroupSyncable | None:
    row = db.execute(
        "SELECT data FROM group_syncables WHERE group_id=? AND syncable_id=? AND syncable_type=?",
        (group_id, syncable_id, syncable_type),
    ).fetchone()
    return None if row is None else load(rem.GroupSyncable, row["data"])


def _get(
    db: sqlite3.Connection, group_id: str, syncable_id: str, syncable_type: str
) -> rem.GroupSyncable:
    found = _find(db, group_id, syncable_id, _check_type(syncable_type))
    if found is None or found.delete_at:
        raise no_group(f"group_id={group_id} syncable_id={syncable_id} type={syncable_type}")
    return found


def _save(db: sqlite3.Connection, gs: rem.GroupSyncable) -> None:
    db.execute(
        "INSERT INTO group_syncables(group_id, syncable_id, syncable_type, delete_at, "
        "data) VALUES(?,?,?,?,?) ON CONFLICT(group_id, syncable_id, syncable_type) DO "
        "UPDATE SET delete_at=excluded.delete_at, data=excluded.data",
        (gs.group_id, gs.syncable_id, gs.syncable_type, gs.delete_at, dump(gs)),
    )


@emulates("GetGroupSyncable")
def get_group_syncable(
    ctx: ApiContext, req: rem.GetGroupSyncableRequest
) -> rem.GetGroupSyncableResponse:
    require_ldap_groups_license(ctx)
    with ctx.store.read() as db:
        found = _get(db, req.group_id, req.syncable_id, req.syncable_type)
    return rem.GetGroupSyncableResponse(group_syncable=found)


@emulates("GetGroupSyncables")
def get_group_syncables(
    ctx: ApiContext, req: rem.GetGroupSyncablesRequest
) -> rem.GetGroupSyncablesResponse:
    require_ldap_groups_license(ctx)
    _check_type(req.syncable_type)
    with ctx.store.read() as db:
        get_group(db, req.group_id)
        rows = db.execute(
            "SELECT data FROM group_syncables WHERE group_id=? AND "
            "syncable_type=? AND delete_at=0 ORDER BY syncable_id",
            (req.group_id, req.syncable_type),
        ).fetchall()
    return rem.GetGroupSyncablesResponse(
        group_syncables=[load(rem.GroupSyncable, r["data"]) for r in rows]
    )


def _upsert(ctx: ApiContext, db: sqlite3.Connection, gs: rem.GroupSyncable) -> rem.GroupSyncable:
    old = _find(db, gs.group_id, gs.syncable_id, gs.syncable_type)
    now = ctx.now()
    gs.create_at = old.create_at if old is not None else now
    gs.update_at, gs.delete_at = now, 0
    _save(db, gs)
    return gs


@emulates("UpsertGroupSyncable")
def upsert_group_syncable(
    ctx: ApiContext, req: rem.UpsertGroupSyncableRequest
) -> rem.UpsertGroupSyncableResponse:
    require_ldap_groups_license(ctx)
    gs = rem.GroupSyncable()
    gs.CopyFrom(req.group_syncable)
    require_id(gs.group_id, "group_id")
    require_id(gs.syncable_id, "syncable_id")
    _check_type(gs.syncable_type)
    with ctx.store.tx() as db:
        get_group(db, gs.group_id)
        if gs.syncable_type == "Team":
            get_team(db, gs.syncable_id)
        else:  # a channel's group is linked to the channel's team too
            team_id = get_channel(db, gs.syncable_id).team_id
            if team_id and _find(db, gs.group_id, team_id, "Team") is None:
                _upsert(
                    ctx,
                    db,
                    rem.GroupSyncable(
                        group_id=gs.group_id, syncable_id=team_id, syncable_type="Team"
                    ),
                )
        _upsert(ctx, db, gs)
    return rem.UpsertGroupSyncableResponse(group_syncable=gs)


@emulates("UpdateGroupSyncable")
def update_group_syncable(
    ctx: ApiContext, req: rem.UpdateGroupSyncableRequest
) -> rem.UpdateGroupSyncableResponse:
    require_ldap_groups_license(ctx)
    new = req.group_syncable
    with ctx.store.tx() as db:
        gs = _get(db, new.group_id, new.syncable_id, new.syncable_type)
        gs.auto_add, gs.scheme_admin, gs.update_at = new.auto_add, new.scheme_admin, ctx.now()
        _save(db, gs)
    return rem.UpdateGroupSyncableResponse(group_syncable=gs)


@emulates("DeleteGroupSyncable")
def delete_group_syncable(
    ctx: ApiContext, req: rem.DeleteGroupSyncableRequest
) -> rem.DeleteGroupSyncableResponse:
    require_ldap_groups_license(ctx)
    with ctx.store.tx() as db:
        gs = _get(db, req.group_id, req.syncable_id, req.syncable_type)
        gs.delete_at = gs.update_at = ctx.now()
        _save(db, gs)
    return rem.DeleteGroupSyncableResponse(group_syncable=gs)


def _pending(db: sqlite3.Connection, kind: str, since: int, readd: bool) -> list[tuple[str, str]]:
    """(syncable_id, user_id) pairs of auto-add syncables whose group members are missing."""
    if kind == "Team":
        missing = (
            "NOT EXISTS (SELECT 1 FROM team_members tm WHERE tm.team_id=s.syncable_id "
            "AND tm.user_id=m.user_id AND tm.delete_at=0)"
        )
        if not readd:  # someone who left (or was removed) is not added back
            missing += (
                " AND NOT EXISTS (SELECT 1 FROM team_members tm WHERE "
                "tm.team_id=s.syncable_id AND tm.user_id=m.user_id)"
            )
    else:
        missing = (
            "NOT EXISTS (SELECT 1 FROM channel_members cm WHERE "
            "cm.channel_id=s.syncable_id AND cm.user_id=m.user_id)"
        )
    rows = db.execute(
        "SELECT DISTINCT s.syncable_id, m.user_id FROM group_syncables s "
        "JOIN user_groups g ON g.id=s.group_id AND g.delete_at=0 "
        "JOIN group_members m ON m.group_id=s.group_id AND m.delete_at=0 "
        "JOIN users u ON u.id=m.user_id AND u.delete_at=0 "
        "WHERE s.syncable_type=? AND s.delete_at=0 AND "
        "coalesce(json_extract(s.data, '$.auto_add'), 0)=1 AND m.create_at>=? AND "
        + missing
        + " ORDER BY s.syncable_id, m.user_id",
        (kind, since),
    ).fetchall()
    return [(r[0], r[1]) for r in rows]


@emulates("CreateDefaultSyncableMemberships")
def create_default_syncable_memberships(
    ctx: ApiContext, req: rem.CreateDefaultSyncableMembershipsRequest
) -> rem.CreateDefaultSyncableMembershipsResponse:
    require_ldap_groups_license(ctx)
    params = req.params
    both = not params.scope_teams and not params.scope_channels
    if both or params.scope_teams:
        with ctx.store.read() as db:
            pending = _pending(db, "Team", params.since, params.re_add_removed_members)
        for team_id, user_id in pending:
            add_members(ctx, team_id, [user_id])
    if both or params.scope_channels:
        with ctx.store.read() as db:
            pending = _pending(db, "Channel", params.since, params.re_add_removed_members)
        for channel_id, user_id in pending:
            try:
                add_member(ctx, channel_id, user_id)
            except ApiFailure:  # e.g. not on the channel's team: the server skips them too
                continue
    return rem.CreateDefaultSyncableMembershipsResponse()


def _outsiders(db: sqlite3.Connection, kind: str) -> list[tuple[str, str]]:
    """Members (not bots) of group-constrained teams/channels in none of their groups."""
    table, key = (
        ("team_members", "team_id") if kind == "Team" else ("channel_members", "channel_id")
    )
    owner = "teams" if kind == "Team" else "channels"
    alive = " AND x.delete_at=0" if kind == "Team" else ""
    rows = db.execute(
        f"SELECT x.{key}, x.user_id FROM {table} x JOIN {owner} o ON o.id=x.{key} "
        "JOIN users u ON u.id=x.user_id "
        f"WHERE json_extract(o.data, '$.group_constrained')=1 AND u.is_bot=0{alive} AND "
        "NOT EXISTS (SELECT 1 FROM group_syncables s JOIN group_members m ON "
        "m.group_id=s.group_id AND m.delete_at=0 JOIN user_groups g ON g.id=s.group_id AND "
        f"g.delete_at=0 WHERE s.syncable_id=x.{key} AND s.syncable_type=? AND "
        "s.delete_at=0 AND m.user_id=x.user_id)",
        (kind,),
    ).fetchall()
    return [(r[0], r[1]) for r in rows]


@emulates("DeleteGroupConstrainedMemberships")
def delete_group_constrained_memberships(
    ctx: ApiContext, req: rem.DeleteGroupConstrainedMembershipsRequest
) -> rem.DeleteGroupConstrainedMembershipsResponse:
    require_ldap_groups_license(ctx)
    with ctx.store.read() as db:
        teams, channels = _outsiders(db, "Team"), _outsiders(db, "Channel")
    for team_id, user_id in teams:
        delete_team_member(ctx, ut.DeleteTeamMemberRequest(team_id=team_id, user_id=user_id))
    for channel_id, user_id in channels:
        with ctx.store.tx() as db:
            member = get_member(db, channel_id, user_id)
            db.execute(
                "DELETE FROM channel_members WHERE channel_id=? AND user_id=?",
                (channel_id, user_id),
            )
        _hooks.fire(
            ctx,
            "UserHasLeftChannel",
            huc.UserHasLeftChannelRequest(
                context=_hooks.request_context(ctx), channel_member=member
            ),
        )
    return rem.DeleteGroupConstrainedMembershipsResponse()
