"""Group syncables (a group linked to a team or channel) and the memberships they drive
(all need a license with LDAP groups, as the plugin API checks: 403 without one):
CreateDefaultSyncableMemberships adds group members to auto-add teams/channels,
DeleteGroupConstrainedMemberships removes non-members from group-constrained ones.

As on the server (``server/channels/app/group.go``, ``syncables.go`` and the group store):
a syncable is found whatever its state (deleted ones too) and is answered without its
``scheme_admin`` (the store does not read it back); linking a channel links the group to
the channel's team as well (unless that team is group-constrained: then the group must
already be linked to it); updating a missing syncable is a 500, deleting a deleted one a
400; unlinking a team unlinks every channel of the group. Batch membership changes keep
going past a failure and report it at the end (500) with the rest done.
"""

from __future__ import annotations

import sqlite3

from mmplug.host.api import _hooks
from mmplug.host.api._entities import find_member, get_channel, get_user
from mmplug.host.api._groups import get_group, require_ldap_groups_license
from mmplug.host.api._members import is_guest
from mmplug.host.api._pbjson import dump, load
from mmplug.host.api._registry import ApiContext, ApiFailure, differs, emulates
from mmplug.host.api.channel_members import add_member
from mmplug.host.api.channels import DEFAULT_CHANNEL
from mmplug.host.api.events import server_event
from mmplug.host.api.teams import get_team
from mmplug.host.api.teams_members import add_members, remove_member
from mmplug.host.ids import is_valid_id
from mmplug.protocol import api_remaining_pb2 as rem
from mmplug.protocol import hooks_user_channel_pb2 as huc

TEAM, CHANNEL = "Team", "Channel"
GS = rem.GroupSyncable

differs(
    "UpsertGroupSyncable",
    "The server links a syncable to any well-formed group id, even one no group has; mmplug "
    "needs the group to exist (404 `app.group.no_rows`).",
)
differs(
    "CreateDefaultSyncableMemberships",
    "The server's parameters scope the run by team, channel or user id, which the wire's "
    "scope_teams/scope_channels flags cannot carry; mmplug reads scope_teams as 'teams only' "
    "and scope_channels as 'channels only'.",
)
differs(
    "CreateDefaultSyncableMemberships",
    "Without re_add_removed_members the server skips users who were ever in the channel (its "
    "membership history); mmplug keeps no history and skips only current members.",
)
differs(
    "DeleteGroupConstrainedMemberships",
    "The server posts '@user was removed from the channel.' as system-bot for each channel "
    "membership it removes; mmplug has no system bot and posts nothing.",
)


def _find(db: sqlite3.Connection, group_id: str, syncable_id: str, kind: str) -> GS | None:
    """The syncable in any state (the server's ``getGroupSyncable``); an unknown type has none."""
    row = db.execute(
        "SELECT data FROM group_syncables WHERE group_id=? AND syncable_id=? AND syncable_type=?",
        (group_id, syncable_id, kind),
    ).fetchone()
    return None if row is None else load(GS, row["data"])


def _as_read(gs: GS) -> GS:
    """A single syncable as the server reads it back: without its scheme_admin flag."""
    out = GS()
    out.CopyFrom(gs)
    out.scheme_admin = False
    return out


def _save(db: sqlite3.Connection, gs: GS) -> None:
    db.execute(
        "INSERT INTO group_syncables(group_id, syncable_id, syncable_type, delete_at, "
        "data) VALUES(?,?,?,?,?) ON CONFLICT(group_id, syncable_id, syncable_type) DO "
        "UPDATE SET delete_at=excluded.delete_at, data=excluded.data",
        (gs.group_id, gs.syncable_id, gs.syncable_type, gs.delete_at, dump(gs)),
    )


def _check_ids(gs: GS) -> None:
    """The server's ``GroupSyncable.IsValid``."""
    for name in ("group_id", "syncable_id"):
        if not is_valid_id(getattr(gs, name)):
            raise ApiFailure(
                400,
                f"model.group_syncable.{name}.app_error",
                f"Invalid {name}: a 26-character id is needed.",
                detailed_error=f"{name}={getattr(gs, name)!r}",
                where="GroupSyncable.SyncableIsValid",
            )


def _event(ctx: ApiContext, gs: GS, linked: bool) -> None:
    state = "associated" if linked else "not_associated"
    if gs.syncable_type == TEAM:
        name, scope = f"received_group_{state}_to_team", {"team_id": gs.syncable_id}
    else:
        name, scope = f"received_group_{state}_to_channel", {"channel_id": gs.syncable_id}
    server_event(ctx, name, {"group_id": gs.group_id}, **scope)


def _update_failure(detail: str) -> ApiFailure:
    return ApiFailure(
        500,
        "app.update_error",
        "We encountered an error updating the group syncable.",
        detailed_error=detail,
    )


def _store_update(ctx: ApiContext, db: sqlite3.Connection, gs: GS, old: GS) -> None:
    """The store's ``UpdateGroupSyncable`` on a syncable that exists."""
    _check_ids(gs)
    if gs.delete_at not in (old.delete_at, 0):
        raise _update_failure("DeleteAt should be 0 when updating (use DeleteGroupSyncable)")
    if gs.syncable_type == CHANNEL:
        get_channel(db, gs.syncable_id)
    gs.create_at, gs.update_at = old.create_at, ctx.now()
    _save(db, gs)


def _store_create(ctx: ApiContext, db: sqlite3.Connection, gs: GS) -> None:
    """The store's ``CreateGroupSyncable``: the team or channel must exist."""
    _check_ids(gs)
    if gs.syncable_type not in (TEAM, CHANNEL):
        raise ApiFailure(
            500,
            "app.insert_error",
            "We encountered an error inserting the group syncable.",
            detailed_error=f"invalid GroupSyncableType: {gs.syncable_type!r} (use 'Team' or "
            "'Channel')",
        )
    table = "teams" if gs.syncable_type == TEAM else "channels"
    if db.execute(f"SELECT 1 FROM {table} WHERE id=?", (gs.syncable_id,)).fetchone() is None:
        raise ApiFailure(
            404,
            "store.sql_channel.get.existing.app_error",
            f"Unable to find the existing {gs.syncable_type.lower()}.",
            detailed_error=f"syncable_id={gs.syncable_id}",
        )
    gs.delete_at = 0
    gs.create_at = gs.update_at = ctx.now()
    _save(db, gs)


def _upsert(ctx: ApiContext, db: sqlite3.Connection, gs: GS, linked: list[GS]) -> None:
    """The server's ``UpsertGroupSyncable`` (``linked`` collects the syncables to announce)."""
    old = _find(db, gs.group_id, gs.syncable_id, gs.syncable_type)
    if gs.syncable_type == CHANNEL:
        team = get_team(db, get_channel(db, gs.syncable_id).team_id)
        if team.group_constrained:
            team_link = _find(db, gs.group_id, team.id, TEAM)
            if team_link is None or team_link.delete_at:
                raise ApiFailure(
                    400,
                    "group_not_associated_to_synced_team",
                    "The channel's team is group-constrained and the group is not linked to "
                    "it: link the group to the team first.",
                    detailed_error=f"group_id={gs.group_id} team_id={team.id}",
                )
        else:  # the group follows the channel to its team (auto_add as the channel's)
            _upsert(
                ctx,
                db,
                GS(
                    group_id=gs.group_id,
                    syncable_id=team.id,
                    syncable_type=TEAM,
                    auto_add=gs.auto_add,
                ),
                linked,
            )
    if old is None:
        _check_ids(gs)
        get_group(db, gs.group_id, include_deleted=True)
        _store_create(ctx, db, gs)
    else:
        _store_update(ctx, db, gs, old)
    linked.append(gs)


def _upsert_rpc(ctx: ApiContext, given: GS) -> GS:
    gs = GS()
    gs.CopyFrom(given)
    linked: list[GS] = []
    with ctx.store.tx() as db:
        _upsert(ctx, db, gs, linked)
    for each in linked:
        _event(ctx, each, linked=True)
    return gs


@emulates("GetGroupSyncable")
def get_group_syncable(
    ctx: ApiContext, req: rem.GetGroupSyncableRequest
) -> rem.GetGroupSyncableResponse:
    """The syncable whatever its state (deleted ones too), without its scheme_admin flag;
    none (or an unknown type) is a 404 `app.group.no_rows`."""
    require_ldap_groups_license(ctx)
    with ctx.store.read() as db:
        found = _find(db, req.group_id, req.syncable_id, req.syncable_type)
    if found is None:
        raise ApiFailure(
            404,
            "app.group.no_rows",
            "No matching group syncable found.",
            detailed_error=f"group_id={req.group_id} syncable_id={req.syncable_id} "
            f"type={req.syncable_type!r}",
        )
    return rem.GetGroupSyncableResponse(group_syncable=_as_read(found))


@emulates("GetGroupSyncables")
def get_group_syncables(
    ctx: ApiContext, req: rem.GetGroupSyncablesRequest
) -> rem.GetGroupSyncablesResponse:
    """The group's live links to existing teams (or to channels of existing teams); an
    unknown group or type has none."""
    require_ldap_groups_license(ctx)
    if req.syncable_type == TEAM:
        join = "JOIN teams t ON t.id=s.syncable_id"
    elif req.syncable_type == CHANNEL:
        join = "JOIN channels c ON c.id=s.syncable_id JOIN teams t ON t.id=c.team_id"
    else:
        return rem.GetGroupSyncablesResponse()
    with ctx.store.read() as db:
        rows = db.execute(
            f"SELECT s.data FROM group_syncables s {join} WHERE s.group_id=? AND "
            "s.syncable_type=? AND s.delete_at=0 ORDER BY s.syncable_id",
            (req.group_id, req.syncable_type),
        ).fetchall()
    return rem.GetGroupSyncablesResponse(group_syncables=[load(GS, r["data"]) for r in rows])


@emulates("UpsertGroupSyncable")
def upsert_group_syncable(
    ctx: ApiContext, req: rem.UpsertGroupSyncableRequest
) -> rem.UpsertGroupSyncableResponse:
    require_ldap_groups_license(ctx)
    return rem.UpsertGroupSyncableResponse(group_syncable=_upsert_rpc(ctx, req.group_syncable))


@emulates("UpdateGroupSyncable")
def update_group_syncable(
    ctx: ApiContext, req: rem.UpdateGroupSyncableRequest
) -> rem.UpdateGroupSyncableResponse:
    """With `delete_at` 0 the stored syncable (deleted or not) takes the given flags and is
    live again, with no event; a missing one is a 500 `app.update_error`. Any other
    `delete_at` goes the way of UpsertGroupSyncable."""
    require_ldap_groups_license(ctx)
    if req.group_syncable.delete_at:
        return rem.UpdateGroupSyncableResponse(group_syncable=_upsert_rpc(ctx, req.group_syncable))
    gs = GS()
    gs.CopyFrom(req.group_syncable)
    with ctx.store.tx() as db:
        old = _find(db, gs.group_id, gs.syncable_id, gs.syncable_type)
        if old is None:
            raise _update_failure(
                f"GroupSyncable not found: group_id={gs.group_id} syncable_id={gs.syncable_id} "
                f"type={gs.syncable_type!r}"
            )
        try:
            _store_update(ctx, db, gs, old)
        except ApiFailure as failure:
            if failure.status_code == 400:  # IsValid's AppError comes back as it is
                raise
            raise _update_failure(failure.message) from None
    return rem.UpdateGroupSyncableResponse(group_syncable=gs)


def _delete(ctx: ApiContext, db: sqlite3.Connection, gs: GS) -> None:
    if gs.delete_at:
        raise ApiFailure(
            400,
            "app.group.group_syncable_already_deleted",
            "The group syncable was already deleted.",
            detailed_error=f"<{gs.group_id}, {gs.syncable_id}, {gs.syncable_type}>",
        )
    gs.scheme_admin = False  # the store writes back the flag it never read
    gs.delete_at = gs.update_at = ctx.now()
    _save(db, gs)


@emulates("DeleteGroupSyncable")
def delete_group_syncable(
    ctx: ApiContext, req: rem.DeleteGroupSyncableRequest
) -> rem.DeleteGroupSyncableResponse:
    """Unlinking a team unlinks every channel the group is linked to as well."""
    require_ldap_groups_license(ctx)
    with ctx.store.tx() as db:
        gs = _find(db, req.group_id, req.syncable_id, req.syncable_type)
        if gs is None:
            raise ApiFailure(
                404,
                "app.group.no_rows",
                "No matching group syncable found.",
                detailed_error=f"group_id={req.group_id} syncable_id={req.syncable_id} "
                f"type={req.syncable_type!r}",
            )
        _delete(ctx, db, gs)
        if gs.syncable_type == TEAM:
            rows = db.execute(
                "SELECT s.data FROM group_syncables s JOIN channels c ON c.id=s.syncable_id "
                "JOIN teams t ON t.id=c.team_id WHERE s.group_id=? AND s.syncable_type=? "
                "AND s.delete_at=0",
                (gs.group_id, CHANNEL),
            ).fetchall()
            for row in rows:
                _delete(ctx, db, load(GS, row["data"]))
    _event(ctx, gs, linked=False)
    return rem.DeleteGroupSyncableResponse(group_syncable=gs)


def _to_add(db: sqlite3.Connection, kind: str, since: int, readd: bool) -> list[tuple[str, str]]:
    """(syncable_id, user_id) pairs the server's ``TeamMembersToAdd``/``ChannelMembersToAdd``
    give: members of live groups linked (live, auto-add) to a live team/channel. Without
    ``readd`` only users never on the team (not in the channel) whose membership or link is
    not older than ``since``; with it every pair (adding is idempotent)."""
    owner, table, key = ("teams", "team_members", "team_id")
    if kind == CHANNEL:
        owner, table, key = ("channels", "channel_members", "channel_id")
    sql = (
        "SELECT DISTINCT s.syncable_id, m.user_id FROM group_syncables s "
        "JOIN user_groups g ON g.id=s.group_id AND g.delete_at=0 "
        "JOIN group_members m ON m.group_id=s.group_id AND m.delete_at=0 "
        f"JOIN {owner} o ON o.id=s.syncable_id AND o.delete_at=0 "
        "WHERE s.syncable_type=? AND s.delete_at=0 AND "
        "coalesce(json_extract(s.data, '$.auto_add'), 0)=1"
    )
    args: list[object] = [kind]
    if not readd:
        sql += (
            f" AND NOT EXISTS (SELECT 1 FROM {table} x WHERE x.{key}=s.syncable_id AND "
            "x.user_id=m.user_id) AND (m.create_at>=? OR "
            "CAST(json_extract(s.data, '$.update_at') AS INTEGER)>=?)"
        )
        args += [since, since]
    rows = db.execute(sql + " ORDER BY s.syncable_id, m.user_id", args).fetchall()
    return [(r[0], r[1]) for r in rows]


def _membership_failure(error_id: str, failures: list[str]) -> ApiFailure:
    return ApiFailure(
        500,
        error_id,
        "Some memberships could not be changed; the others were.",
        detailed_error="; ".join(failures),
    )


_SKIPPED = (  # the server logs these and moves on without reporting them
    "api.team.join_user_to_team.allowed_domains.app_error",
    "api.channel.add_user.to.channel.failed.deleted.app_error",
)


@emulates("CreateDefaultSyncableMemberships")
def create_default_syncable_memberships(
    ctx: ApiContext, req: rem.CreateDefaultSyncableMembershipsRequest
) -> rem.CreateDefaultSyncableMembershipsResponse:
    """Teams first, then channels (a user not on a channel's team joins the team first)."""
    require_ldap_groups_license(ctx)
    params = req.params
    both = not params.scope_teams and not params.scope_channels
    failures: list[str] = []
    if both or params.scope_teams:
        with ctx.store.read() as db:
            pending = _to_add(db, TEAM, params.since, params.re_add_removed_members)
        for team_id, user_id in pending:
            try:
                add_members(ctx, team_id, [user_id])
            except ApiFailure as failure:
                if failure.error_id not in _SKIPPED:
                    failures.append(f"team {team_id} user {user_id}: {failure.error_id}")
    if both or params.scope_channels:
        with ctx.store.read() as db:
            pending = _to_add(db, CHANNEL, params.since, params.re_add_removed_members)
        for channel_id, user_id in pending:
            try:
                with ctx.store.read() as db:
                    team_id = get_channel(db, channel_id).team_id
                    on_team = db.execute(
                        "SELECT 1 FROM team_members WHERE team_id=? AND user_id=?",
                        (team_id, user_id),
                    ).fetchone()
                if on_team is None:
                    add_members(ctx, team_id, [user_id])
                add_member(ctx, channel_id, user_id)
            except ApiFailure as failure:
                if failure.error_id not in _SKIPPED:
                    failures.append(f"channel {channel_id} user {user_id}: {failure.error_id}")
    if failures:
        raise _membership_failure("app.group.create_syncable_memberships.error", failures)
    return rem.CreateDefaultSyncableMembershipsResponse()


def _outsiders(db: sqlite3.Connection, kind: str) -> list[tuple[str, str]]:
    """Members (not bots) of live group-constrained teams/channels in none of their groups."""
    table, key = ("team_members", "team_id") if kind == TEAM else ("channel_members", "channel_id")
    owner = "teams" if kind == TEAM else "channels"
    alive = " AND x.delete_at=0" if kind == TEAM else ""
    rows = db.execute(
        f"SELECT x.{key}, x.user_id FROM {table} x JOIN {owner} o ON o.id=x.{key} "
        "JOIN users u ON u.id=x.user_id "
        "WHERE json_extract(o.data, '$.group_constrained')=1 AND o.delete_at=0 AND "
        f"u.is_bot=0{alive} AND NOT EXISTS (SELECT 1 FROM group_syncables s JOIN "
        "group_members m ON m.group_id=s.group_id AND m.delete_at=0 JOIN user_groups g ON "
        f"g.id=s.group_id AND g.delete_at=0 WHERE s.syncable_id=x.{key} AND "
        "s.syncable_type=? AND s.delete_at=0 AND m.user_id=x.user_id) "
        f"ORDER BY x.{key}, x.user_id",
        (kind,),
    ).fetchall()
    return [(r[0], r[1]) for r in rows]


def _remove_from_channel(ctx: ApiContext, channel_id: str, user_id: str) -> None:
    """The server's ``RemoveUserFromChannel`` with no remover."""
    with ctx.store.tx() as db:
        channel = get_channel(db, channel_id)
        user = get_user(db, user_id)
        if channel.name == DEFAULT_CHANNEL and not is_guest(user):
            raise ApiFailure(
                400,
                "api.channel.remove.default.app_error",
                f"Unable to remove a user from the default channel {DEFAULT_CHANNEL}.",
                params={"Channel": DEFAULT_CHANNEL},
            )
        member = find_member(db, channel_id, user_id)
        if member is None:
            return
        db.execute(
            "DELETE FROM channel_members WHERE channel_id=? AND user_id=?", (channel_id, user_id)
        )
    _hooks.fire(
        ctx,
        "UserHasLeftChannel",
        huc.UserHasLeftChannelRequest(context=_hooks.request_context(ctx), channel_member=member),
    )
    server_event(ctx, "user_removed", {"user_id": user_id, "remover_id": ""}, channel_id=channel_id)
    server_event(ctx, "user_removed", {"channel_id": channel_id, "remover_id": ""}, user_id=user_id)


@emulates("DeleteGroupConstrainedMemberships")
def delete_group_constrained_memberships(
    ctx: ApiContext, req: rem.DeleteGroupConstrainedMembershipsRequest
) -> rem.DeleteGroupConstrainedMembershipsResponse:
    """Channels first, then teams; a member the server cannot remove (a non-guest from
    town-square) makes the answer a 500 once the others are removed."""
    require_ldap_groups_license(ctx)
    failures: list[str] = []
    with ctx.store.read() as db:
        channels = _outsiders(db, CHANNEL)
    for channel_id, user_id in channels:
        try:
            _remove_from_channel(ctx, channel_id, user_id)
        except ApiFailure as failure:
            failures.append(f"channel {channel_id} user {user_id}: {failure.error_id}")
    with ctx.store.read() as db:
        teams = _outsiders(db, TEAM)
    for team_id, user_id in teams:
        try:
            remove_member(ctx, team_id, user_id)
        except ApiFailure as failure:
            failures.append(f"team {team_id} user {user_id}: {failure.error_id}")
    if failures:
        raise _membership_failure("app.group.delete_invalid_syncable_memberships.error", failures)
    return rem.DeleteGroupConstrainedMembershipsResponse()
