"""Team members: add (one, many, gracefully), get, list (by team, by user), update roles,
remove. Joining a team also joins its default channels (town-square, off-topic and
``TeamSettings.ExperimentalDefaultChannels``); leaving removes the user from the team's
channels. UserHasJoinedTeam / UserHasLeftTeam fire after the change is saved."""

from __future__ import annotations

import json
import sqlite3

from mmplug.host.api import _convert as conv
from mmplug.host.api._hooks import fire, request_context
from mmplug.host.api._pbjson import paging
from mmplug.host.api._registry import ApiContext, ApiFailure, emulates
from mmplug.host.api.events import WEBSOCKET, capture
from mmplug.host.api.teams import get_team, new_team_member
from mmplug.host.api.users import get_user
from mmplug.protocol import api_channel_post_pb2 as cp
from mmplug.protocol import api_user_team_pb2 as pb
from mmplug.protocol import hooks_user_channel_pb2 as hooks
from mmplug.protocol import team_pb2

DEFAULT_CHANNELS = ("town-square", "off-topic")
TEAM_SCHEME_ROLES = {
    "team_user": "scheme_user",
    "team_admin": "scheme_admin",
    "team_guest": "scheme_guest",
}
CHANNEL_NOTIFY_DEFAULTS = {
    "desktop": "default",
    "email": "default",
    "push": "default",
    "mark_unread": "all",
    "ignore_channel_mentions": "default",
    "channel_auto_follow_threads": "off",
}


def new_channel_member(
    channel_id: str, user_id: str, now: int, *, admin: bool = False
) -> cp.ChannelMember:
    return cp.ChannelMember(
        channel_id=channel_id,
        user_id=user_id,
        roles="channel_user channel_admin" if admin else "channel_user",
        last_viewed_at=now,
        last_update_at=now,
        scheme_user=True,
        scheme_admin=admin,
        notify_props=CHANNEL_NOTIFY_DEFAULTS,
    )


def find_team_member(db: sqlite3.Connection, team_id: str, user_id: str) -> team_pb2.TeamMember:
    """The active membership; 404 AppError otherwise."""
    row = db.execute(
        "SELECT * FROM team_members WHERE team_id=? AND user_id=? AND delete_at=0",
        (team_id, user_id),
    ).fetchone()
    if row is None:
        raise ApiFailure(
            404,
            "app.team.get_member.missing.app_error",
            "No team member found for that user ID and team ID.",
            detailed_error=f"team_id={team_id} user_id={user_id}",
        )
    return conv.team_member_from_row(row)


def _max_users(db: sqlite3.Connection) -> int:
    row = db.execute(
        "SELECT json_extract(data, '$.TeamSettings.MaxUsersPerTeam') AS n "
        "FROM config WHERE key='server'"
    ).fetchone()
    return int(row["n"]) if row is not None and row["n"] is not None else 50


def _default_channels(db: sqlite3.Connection) -> list[str]:
    row = db.execute(
        "SELECT json_extract(data, '$.TeamSettings.ExperimentalDefaultChannels') "
        "AS c FROM config WHERE key='server'"
    ).fetchone()
    extra = json.loads(row["c"]) if row is not None and row["c"] else []
    return [*DEFAULT_CHANNELS, *(c for c in extra if c not in DEFAULT_CHANNELS)]


def _join(
    ctx: ApiContext, db: sqlite3.Connection, team_id: str, user_id: str
) -> tuple[team_pb2.TeamMember, bool]:
    """Add or reactivate; returns (member, joined_now)."""
    get_team(db, team_id)
    get_user(db, user_id)
    row = db.execute(
        "SELECT * FROM team_members WHERE team_id=? AND user_id=?", (team_id, user_id)
    ).fetchone()
    if row is not None and row["delete_at"] == 0:
        return conv.team_member_from_row(row), False
    active = db.execute(
        "SELECT count(*) FROM team_members tm JOIN users u ON u.id=tm.user_id "
        "WHERE tm.team_id=? AND tm.delete_at=0 AND u.delete_at=0",
        (team_id,),
    ).fetchone()[0]
    if active >= _max_users(db):
        raise ApiFailure(
            400,
            "app.team.join_user_to_team.max_accounts.app_error",
            "This team has reached the maximum number of allowed accounts.",
            detailed_error="raise TeamSettings.MaxUsersPerTeam in the config",
        )
    now = ctx.now()
    member = new_team_member(team_id, user_id, now)
    if row is not None:
        member = conv.team_member_from_row(row)
        member.delete_at = 0
    db.execute(
        *conv.upsert_sql("team_members", conv.team_member_to_row(member), ["team_id", "user_id"])
    )
    names = _default_channels(db)
    marks = ", ".join("?" for _ in names)
    for ch in db.execute(
        f"SELECT id FROM channels WHERE team_id=? AND name IN ({marks}) AND delete_at=0",
        (team_id, *names),
    ).fetchall():
        channel_member = new_channel_member(ch["id"], user_id, now)
        sql, params = conv.insert_sql("channel_members", conv.channel_member_to_row(channel_member))
        db.execute(sql + " ON CONFLICT(channel_id, user_id) DO NOTHING", params)
    return member, True


def _joined(ctx: ApiContext, member: team_pb2.TeamMember, actor_id: str = "") -> None:
    capture(
        ctx,
        WEBSOCKET,
        {
            "event": "added_to_team",
            "data": {"team_id": member.team_id, "user_id": member.user_id},
            "broadcast": {"user_id": member.user_id},
        },
    )
    request = hooks.UserHasJoinedTeamRequest(context=request_context(ctx), team_member=member)
    if actor_id:
        with ctx.store.read() as db:
            request.actor.CopyFrom(get_user(db, actor_id))
    fire(ctx, "UserHasJoinedTeam", request)


def add_members(
    ctx: ApiContext, team_id: str, user_ids: list[str], actor_id: str = ""
) -> list[team_pb2.TeamMember]:
    with ctx.store.tx() as db:
        results = [_join(ctx, db, team_id, uid) for uid in user_ids]
    for member, joined in results:
        if joined:
            _joined(ctx, member, actor_id)
    return [m for m, _ in results]


@emulates("CreateTeamMember")
def create_team_member(
    ctx: ApiContext, req: pb.CreateTeamMemberRequest
) -> pb.CreateTeamMemberResponse:
    return pb.CreateTeamMemberResponse(team_member=add_members(ctx, req.team_id, [req.user_id])[0])


@emulates("CreateTeamMembers")
def create_team_members(
    ctx: ApiContext, req: pb.CreateTeamMembersRequest
) -> pb.CreateTeamMembersResponse:
    members = add_members(ctx, req.team_id, list(req.user_ids), req.requestor_id)
    return pb.CreateTeamMembersResponse(team_members=members)


@emulates("CreateTeamMembersGracefully")
def create_team_members_gracefully(
    ctx: ApiContext, req: pb.CreateTeamMembersGracefullyRequest
) -> pb.CreateTeamMembersGracefullyResponse:
    from mmplug.host.api.server import app_error

    out = []
    for uid in req.user_ids:
        try:
            member = add_members(ctx, req.team_id, [uid], req.requestor_id)[0]
            out.append(pb.TeamMemberWithError(user_id=uid, member=member))
        except ApiFailure as failure:
            out.append(
                pb.TeamMemberWithError(
                    user_id=uid, error=app_error(failure, "CreateTeamMembersGracefully")
                )
            )
    return pb.CreateTeamMembersGracefullyResponse(team_members=out)


@emulates("DeleteTeamMember")
def delete_team_member(
    ctx: ApiContext, req: pb.DeleteTeamMemberRequest
) -> pb.DeleteTeamMemberResponse:
    with ctx.store.tx() as db:
        member = find_team_member(db, req.team_id, req.user_id)
        member.delete_at = ctx.now()
        db.execute(
            *conv.update_sql(
                "team_members", conv.team_member_to_row(member), ["team_id", "user_id"]
            )
        )
        db.execute(
            "DELETE FROM channel_members WHERE user_id=? AND channel_id IN "
            "(SELECT id FROM channels WHERE team_id=?)",
            (req.user_id, req.team_id),
        )
        actor = get_user(db, req.requestor_id) if req.requestor_id else None
    capture(
        ctx,
        WEBSOCKET,
        {
            "event": "leave_team",
            "data": {"team_id": req.team_id, "user_id": req.user_id},
            "broadcast": {"team_id": req.team_id},
        },
    )
    request = hooks.UserHasLeftTeamRequest(context=request_context(ctx), team_member=member)
    if actor is not None:
        request.actor.CopyFrom(actor)
    fire(ctx, "UserHasLeftTeam", request)
    return pb.DeleteTeamMemberResponse()


@emulates("GetTeamMember")
def get_team_member(ctx: ApiContext, req: pb.GetTeamMemberRequest) -> pb.GetTeamMemberResponse:
    with ctx.store.read() as db:
        return pb.GetTeamMemberResponse(team_member=find_team_member(db, req.team_id, req.user_id))


@emulates("GetTeamMembers")
def get_team_members(ctx: ApiContext, req: pb.GetTeamMembersRequest) -> pb.GetTeamMembersResponse:
    limit, offset = paging(req.page, req.per_page)
    with ctx.store.read() as db:
        get_team(db, req.team_id)
        rows = db.execute(
            "SELECT * FROM team_members WHERE team_id=? AND delete_at=0 "
            "ORDER BY user_id LIMIT ? OFFSET ?",
            (req.team_id, limit, offset),
        )
        members = [conv.team_member_from_row(r) for r in rows]
    return pb.GetTeamMembersResponse(team_members=members)


@emulates("GetTeamMembersForUser")
def get_team_members_for_user(
    ctx: ApiContext, req: pb.GetTeamMembersForUserRequest
) -> pb.GetTeamMembersForUserResponse:
    limit, offset = paging(req.page, req.per_page)
    with ctx.store.read() as db:
        rows = db.execute(
            "SELECT * FROM team_members WHERE user_id=? AND delete_at=0 "
            "ORDER BY team_id LIMIT ? OFFSET ?",
            (req.user_id, limit, offset),
        )
        members = [conv.team_member_from_row(r) for r in rows]
    return pb.GetTeamMembersForUserResponse(team_members=members)


SCHEME_MANAGED_ROLES = {
    f"{scope}_{kind}"
    for scope in ("system", "team", "channel")
    for kind in ("guest", "user", "admin")
}


def apply_team_roles(member: team_pb2.TeamMember, roles: list[str], known: set[str]) -> None:
    """The server's UpdateTeamMemberRoles: team scheme roles become the scheme flags, other
    existing roles become explicit roles; unknown or foreign scheme roles are a 400."""
    explicit: list[str] = []
    flags = dict.fromkeys(TEAM_SCHEME_ROLES.values(), False)
    for name in roles:
        if known and name not in known:
            raise ApiFailure(
                400,
                "app.role.get_by_name.app_error",
                "Unable to get role.",
                detailed_error=f"role_name={name}",
            )
        if name in TEAM_SCHEME_ROLES:
            flags[TEAM_SCHEME_ROLES[name]] = True
        elif name in SCHEME_MANAGED_ROLES:
            raise ApiFailure(
                400,
                "api.channel.update_team_member_roles.scheme_role.app_error",
                "The provided role is managed by a Scheme and therefore cannot be "
                "applied directly to a Team Member.",
                detailed_error=f"role_name={name}",
            )
        else:
            explicit.append(name)
    if flags["scheme_guest"] and flags["scheme_user"]:
        raise ApiFailure(
            400,
            "api.team.update_team_member_roles.guest_and_user.app_error",
            "Invalid team member update: A user must be a guest or a user but not both.",
        )
    for flag, value in flags.items():
        setattr(member, flag, value)
    scheme = [role for role, flag in TEAM_SCHEME_ROLES.items() if flags[flag]]
    member.roles = " ".join(explicit + scheme)


@emulates("UpdateTeamMemberRoles")
def update_team_member_roles(
    ctx: ApiContext, req: pb.UpdateTeamMemberRolesRequest
) -> pb.UpdateTeamMemberRolesResponse:
    with ctx.store.tx() as db:
        member = find_team_member(db, req.team_id, req.user_id)
        known = {r["name"] for r in db.execute("SELECT name FROM roles")}
        apply_team_roles(member, req.new_roles.split(), known)
        db.execute(
            *conv.update_sql(
                "team_members", conv.team_member_to_row(member), ["team_id", "user_id"]
            )
        )
    capture(
        ctx,
        WEBSOCKET,
        {
            "event": "memberrole_updated",
            "data": {"member": conv.to_dict(member)},
            "broadcast": {"user_id": req.user_id},
        },
    )
    return pb.UpdateTeamMemberRolesResponse(team_member=member)
