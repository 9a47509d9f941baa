"""Team members: add (one, many, gracefully), get, list (by team, by user), update roles,
remove.

As on the server: joining checks the team's and the server's allowed email domains and
``TeamSettings.MaxUsersPerTeam``, gives a fresh membership (a user who left and comes back
starts over), and joins the team's open default channels (town-square and off-topic, or
``TeamSettings.ExperimentalDefaultChannels``) unless the user is a guest. Leaving keeps the
membership row with ``delete_at`` set: GetTeamMember and GetTeamMembersForUser still return it,
and removing the user again is not an error. UserHasJoinedTeam / UserHasLeftTeam fire after
the change is saved.
"""

from __future__ import annotations

import logging
import sqlite3

from mmplug.host.api import _convert as conv
from mmplug.host.api._entities import find_user
from mmplug.host.api._groups import in_admin_role_group
from mmplug.host.api._hooks import chain, fire, request_context
from mmplug.host.api._registry import ApiContext, ApiFailure, emulates
from mmplug.host.api.channel_members import (
    added_message,
    join_message,
    leave_join_messages,
    system_post,
)
from mmplug.host.api.channels import DEFAULT_CHANNEL, window
from mmplug.host.api.config import server_setting
from mmplug.host.api.events import WEBSOCKET, capture, server_event
from mmplug.host.api.teams import (
    default_channel_names,
    get_team,
    member_roles,
    new_team_member,
    normalize_domains,
)
from mmplug.host.api.users import get_user, save_user
from mmplug.protocol import api_channel_post_pb2 as cp
from mmplug.protocol import api_user_team_pb2 as pb
from mmplug.protocol import hooks_extra_pb2, team_pb2, user_pb2
from mmplug.protocol import hooks_user_channel_pb2 as hooks

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
DEFAULT_MAX_USERS_PER_TEAM = 50
_log = logging.getLogger("mmplug.host.api")

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


def team_member_row(
    db: sqlite3.Connection, team_id: str, user_id: str
) -> team_pb2.TeamMember | None:
    row = db.execute(
        "SELECT * FROM team_members WHERE team_id=? AND user_id=?", (team_id, user_id)
    ).fetchone()
    return None if row is None else conv.team_member_from_row(row)


def find_team_member(db: sqlite3.Connection, team_id: str, user_id: str) -> team_pb2.TeamMember:
    """The membership, also one the user left (its delete_at is set); 404 AppError if the user
    was never a member."""
    member = team_member_row(db, team_id, user_id)
    if member is None:
        raise ApiFailure(
            404,
            "app.team.get_member.missing.app_error",
            "No team member found for that user ID and team ID.",
            detailed_error=f"team_id={team_id} user_id={user_id}",
        )
    return member


def save_team_member(db: sqlite3.Connection, member: team_pb2.TeamMember) -> None:
    db.execute(
        *conv.upsert_sql("team_members", conv.team_member_to_row(member), ["team_id", "user_id"])
    )


def _active_members(db: sqlite3.Connection, team_id: str) -> int:
    count: int = db.execute(
        "SELECT count(*) FROM team_members tm JOIN users u ON u.id=tm.user_id "
        "WHERE tm.team_id=? AND tm.delete_at=0 AND u.delete_at=0",
        (team_id,),
    ).fetchone()[0]
    return count


def _is_guest(user: user_pb2.User) -> bool:
    return "system_guest" in user.roles.split()


def _check_email_allowed(db: sqlite3.Connection, team: team_pb2.Team, user: user_pb2.User) -> None:
    """Every domain restriction (the team's allowed domains and the server's, or for a guest
    the guest accounts' one) must accept the user's email; bots are exempt."""
    if user.is_bot:
        return
    if _is_guest(user):
        restrictions = [
            server_setting(db, "GuestAccountsSettings", "RestrictCreationToDomains", "")
        ]
    else:
        restrictions = [
            team.allowed_domains,
            server_setting(db, "TeamSettings", "RestrictCreationToDomains", ""),
        ]
    email = user.email.lower()
    for restriction in restrictions:
        domains = normalize_domains(restriction or "")
        if domains and not any(email.endswith("@" + d) for d in domains):
            raise ApiFailure(
                400,
                "api.team.join_user_to_team.allowed_domains.app_error",
                "The user's email domain is not allowed in this team (the team's allowed "
                "domains or TeamSettings.RestrictCreationToDomains).",
                detailed_error=f"email={user.email} restriction={restriction!r}",
            )


def _join_default_channels(
    ctx: ApiContext, db: sqlite3.Connection, team_id: str, user_id: str, admin: bool
) -> list[str]:
    """Join the team's open default channels; all of them, in the server's order, the ones
    the user was a member of already included (the server's JoinDefaultChannels ignores the
    failed save and still posts the join message and tells the channel)."""
    names = default_channel_names(db)
    marks = ", ".join("?" for _ in names)
    now = ctx.now()
    rows = db.execute(
        f"SELECT id, name FROM channels WHERE team_id=? AND name IN ({marks}) AND type='O'",
        (team_id, *names),
    ).fetchall()
    joined = []
    for ch in sorted(rows, key=lambda r: names.index(r["name"])):
        channel_member = new_channel_member(ch["id"], user_id, now, admin=admin)
        sql, params = conv.insert_sql("channel_members", conv.channel_member_to_row(channel_member))
        db.execute(sql + " ON CONFLICT(channel_id, user_id) DO NOTHING", params)
        joined.append(ch["id"])
    return joined


def _check_join(
    ctx: ApiContext, db: sqlite3.Connection, team_id: str, user_id: str
) -> tuple[team_pb2.TeamMember | None, team_pb2.TeamMember]:
    """The server's checks before a join: (the current membership if the user is a member
    already, the fresh membership TeamMemberWillBeAdded is asked about)."""
    team = get_team(db, team_id)
    user = get_user(db, user_id)
    _check_email_allowed(db, team, user)
    guest = _is_guest(user)
    # A team admin by the team's email, or (not a guest) by a linked admin group.
    admin = team.email == user.email or (
        not guest and in_admin_role_group(db, user_id, team_id, "Team")
    )
    member = new_team_member(team_id, user_id, ctx.now(), admin=admin, guest=guest)
    existing = team_member_row(db, team_id, user_id)
    if existing is not None and existing.delete_at == 0:
        return existing, member
    if existing is not None and _active_members(db, team_id) >= _max_users(db):
        raise ApiFailure(
            400,
            "app.team.join_user_to_team.max_accounts.app_error",
            "This team has reached the maximum number of allowed accounts. Contact your "
            "System Administrator to set a higher limit (TeamSettings.MaxUsersPerTeam).",
            detailed_error=f"teamId={team_id}",
        )
    return None, member


def _max_users(db: sqlite3.Connection) -> int:
    return int(
        server_setting(db, "TeamSettings", "MaxUsersPerTeam", DEFAULT_MAX_USERS_PER_TEAM)
    )


def _will_be_added(ctx: ApiContext, member: team_pb2.TeamMember) -> team_pb2.TeamMember:
    """TeamMemberWillBeAdded over every plugin, just before the membership is saved: the
    member to save, or the server's 400 when a plugin rejects the join."""
    outcome = chain(
        ctx,
        "TeamMemberWillBeAdded",
        member,
        lambda m: hooks_extra_pb2.TeamMemberWillBeAddedRequest(
            context=request_context(ctx), team_member=m
        ),
        "modified_team_member",
    )
    if outcome.rejected:
        raise ApiFailure(
            400,
            "app.team.join_user_to_team.rejected_by_plugin",
            f"Plugin {outcome.rejected_by} rejected adding the user to the team: "
            f"{outcome.rejection}",
            params={"Reason": outcome.rejection},
            where="JoinUserToTeam",
        )
    return allowed_member(outcome.subject, member.team_id, member.user_id)


def allowed_member(
    given: team_pb2.TeamMember, team_id: str, user_id: str
) -> team_pb2.TeamMember:
    """The membership saved for a TeamMemberWillBeAdded answer: the plugin's flags and
    explicit roles for this team and user, its roles as the store derives them."""
    member = team_pb2.TeamMember()
    member.CopyFrom(given)
    member.team_id, member.user_id, member.delete_at = team_id, user_id, 0
    explicit = [r for r in member.roles.split() if r not in TEAM_SCHEME_ROLES]
    member.roles = member_roles(member, explicit)
    return member


def _save_join(
    ctx: ApiContext, db: sqlite3.Connection, member: team_pb2.TeamMember, requestor_id: str
) -> tuple[team_pb2.TeamMember, bool, list[str]]:
    """Save the allowed membership; returns (member, joined now, the default channels it
    went through)."""
    team_id, user_id = member.team_id, member.user_id
    existing = team_member_row(db, team_id, user_id)
    if existing is not None and existing.delete_at == 0:
        return existing, False, []
    if existing is None and 0 <= _max_users(db) < _active_members(db, team_id) + 1:
        raise ApiFailure(
            400,
            "app.team.join_user_to_team.save_member.max_accounts.app_error",
            "This team has reached the maximum number of allowed accounts. Contact your "
            "System Administrator to set a higher limit (TeamSettings.MaxUsersPerTeam).",
            detailed_error=f"team_id={team_id}",
        )
    save_team_member(db, member)
    user = get_user(db, user_id)
    user.update_at = ctx.now()
    save_user(db, user)
    if _is_guest(user):
        return member, True, []
    if requestor_id and find_user(db, requestor_id) is None:
        # JoinDefaultChannels looks the requestor up first and gives up (the join stands)
        _log.warning(
            "the requestor %s does not exist: %s joins no default channel (as on the server)",
            requestor_id,
            user.username,
        )
        return member, True, []
    # The default channels are administered only by the user whose email is the team's.
    channel_admin = get_team(db, team_id).email == user.email
    return member, True, _join_default_channels(ctx, db, team_id, user_id, channel_admin)


def _join_messages(
    ctx: ApiContext, team_id: str, channel_ids: list[str], user_id: str, requestor_id: str,
    *, messages: bool = True,
) -> None:
    """What JoinDefaultChannels posts in each default channel it went through (unless
    ServiceSettings.ExperimentalEnableDefaultChannelLeaveJoinMessages is off, or not
    ``messages``: the host preparing a fired hook), each followed by the channel's
    user_added event. A failed post is only logged."""
    if not channel_ids:
        return
    with ctx.store.read() as db:
        post = messages and leave_join_messages(db)
        user = get_user(db, user_id)
        requestor = find_user(db, requestor_id) if requestor_id else None
        town_square = {
            r["id"]
            for r in db.execute(
                "SELECT id FROM channels WHERE name=? AND id IN "
                f"({', '.join('?' for _ in channel_ids)})",
                (DEFAULT_CHANNEL, *channel_ids),
            )
        }
    for channel_id in channel_ids:
        if post and channel_id in town_square:
            _team_message(ctx, channel_id, user, requestor)
        elif post and requestor is not None:
            added_message(ctx, channel_id, requestor, user)
        elif post:
            join_message(ctx, channel_id, user)
        data = {"user_id": user_id, "team_id": team_id}
        server_event(ctx, "user_added", data, channel_id=channel_id)


def _team_message(
    ctx: ApiContext, channel_id: str, user: user_pb2.User, requestor: user_pb2.User | None
) -> None:
    """The server's postJoinTeamMessage, or postAddToTeamMessage when someone added the user."""
    if requestor is None:
        system_post(
            ctx,
            channel_id,
            user.id,
            "system_join_team",
            f"{user.username} joined the team.",
            {"username": user.username},
        )
        return
    system_post(
        ctx,
        channel_id,
        requestor.id,
        "system_add_to_team",
        f"{user.username} added to the team by {requestor.username}.",
        {
            "userId": requestor.id,
            "username": requestor.username,
            "addedUserId": user.id,
            "addedUsername": user.username,
        },
    )


def _added_event(ctx: ApiContext, team_id: str, user_id: str) -> None:
    capture(
        ctx,
        WEBSOCKET,
        {
            "event": "added_to_team",
            "data": {"team_id": team_id, "user_id": user_id},
            "broadcast": {"user_id": user_id},
        },
    )


def _joined(ctx: ApiContext, member: team_pb2.TeamMember, actor_id: str = "") -> None:
    request = hooks.UserHasJoinedTeamRequest(context=request_context(ctx), team_member=member)
    if actor_id:
        with ctx.store.read() as db:
            actor = find_user(db, actor_id)
        if actor is not None:  # an unknown requestor is no actor, not an error
            request.actor.CopyFrom(actor)
    fire(ctx, "UserHasJoinedTeam", request)
    _added_event(ctx, member.team_id, member.user_id)


def add_member(
    ctx: ApiContext,
    team_id: str,
    user_id: str,
    actor_id: str = "",
    *,
    hook: bool = True,
    allowed: team_pb2.TeamMember | None = None,
) -> team_pb2.TeamMember:
    """The server's AddUserToTeam: one user; TeamMemberWillBeAdded, then the membership and
    the default channels saved in one transaction, their join messages, UserHasJoinedTeam
    and the event when the user was not already a member. ``allowed``: the membership a
    TeamMemberWillBeAdded already answered for. ``hook=False``: the host doing what the
    server did before a fired UserHasJoinedTeam (no hook, no message)."""
    with ctx.store.read() as db:
        existing, member = _check_join(ctx, db, team_id, user_id)
    if existing is not None:
        return existing
    if allowed is not None:
        member = allowed_member(allowed, team_id, user_id)
    elif hook:
        member = _will_be_added(ctx, member)
    with ctx.store.tx() as db:
        member, joined, channels = _save_join(ctx, db, member, actor_id)
    _join_messages(ctx, team_id, channels, user_id, actor_id, messages=hook)
    if joined and hook:
        _joined(ctx, member, actor_id)
    return member


def add_members(
    ctx: ApiContext, team_id: str, user_ids: list[str], actor_id: str = ""
) -> list[team_pb2.TeamMember]:
    """Adds the users one by one; the first failure stops (the users before it stay added)."""
    members = []
    for user_id in user_ids:
        members.append(add_member(ctx, team_id, user_id, actor_id))
        _added_event(ctx, team_id, user_id)
    return members


@emulates("CreateTeamMember")
def create_team_member(
    ctx: ApiContext, req: pb.CreateTeamMemberRequest
) -> pb.CreateTeamMemberResponse:
    member = add_member(ctx, req.team_id, req.user_id)
    _added_event(ctx, req.team_id, req.user_id)
    return pb.CreateTeamMemberResponse(team_member=member)


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
            member = add_member(ctx, req.team_id, uid, req.requestor_id)
        except ApiFailure as failure:
            error = app_error(failure, "CreateTeamMembersGracefully")
            out.append(pb.TeamMemberWithError(user_id=uid, error=error))
            continue
        _added_event(ctx, req.team_id, uid)
        out.append(pb.TeamMemberWithError(user_id=uid, member=member))
    return pb.CreateTeamMembersGracefullyResponse(team_members=out)


def _removed_events(ctx: ApiContext, team_id: str, user_id: str) -> None:
    data = {"team_id": team_id, "user_id": user_id}
    capture(
        ctx,
        WEBSOCKET,
        {
            "event": "leave_team",
            "data": data,
            "broadcast": {"team_id": team_id, "omit_users": {user_id: True}},
        },
    )
    to_user = {"event": "leave_team", "data": data, "broadcast": {"user_id": user_id}}
    capture(ctx, WEBSOCKET, to_user)


def _leave_message(
    ctx: ApiContext, channel_id: str, user: user_pb2.User, by_self: bool
) -> None:
    """The server's postLeaveTeamMessage (the user left) or postRemoveFromTeamMessage
    (someone else, or nobody named, removed them); both are the user's post."""
    kind, text = "system_leave_team", "{} left the team."
    if not by_self:
        kind, text = "system_remove_from_team", "{} removed from the team."
    system_post(
        ctx, channel_id, user.id, kind, text.format(user.username), {"username": user.username}
    )


def remove_member(
    ctx: ApiContext, team_id: str, user_id: str, requestor_id: str = "", *, hook: bool = True
) -> None:
    """The server's RemoveUserFromTeam: the user leaves the team's channels, the leave
    message is posted in town-square (unless
    ServiceSettings.ExperimentalEnableDefaultChannelLeaveJoinMessages is off; with it on, a
    team without a town-square that is not archived stops the leave there, a 404), the
    membership is left, UserHasLeftTeam runs. ``hook=False``: the host doing what the server
    did before a fired UserHasLeftTeam (no hook, no message)."""
    with ctx.store.tx() as db:
        if db.execute("SELECT 1 FROM teams WHERE id=?", (team_id,)).fetchone() is None:
            raise ApiFailure(
                404,
                "app.team.get_by_invite_id.finding.app_error",
                "Unable to find the existing team.",
                detailed_error=f"team_id={team_id}",
            )
        get_user(db, user_id)
        member = team_member_row(db, team_id, user_id)
        if member is None:
            raise ApiFailure(
                400,
                "api.team.remove_user_from_team.missing.app_error",
                "The user does not appear to be part of this team.",
                detailed_error=f"team_id={team_id} user_id={user_id}",
            )
        db.execute(
            "DELETE FROM channel_members WHERE user_id=? AND channel_id IN "
            "(SELECT id FROM channels WHERE team_id=?)",
            (user_id, team_id),
        )
        town_square = db.execute(
            "SELECT id FROM channels WHERE team_id=? AND name=? AND delete_at=0",
            (team_id, DEFAULT_CHANNEL),
        ).fetchone()
        leave_message = hook and leave_join_messages(db)
        stuck = leave_message and town_square is None
        if not stuck:
            _leave_team(ctx, db, member, team_id, user_id)
    if stuck:  # the channels are left (saved above), the team is not
        raise ApiFailure(
            404,
            "app.channel.get_by_name.missing.app_error",
            f"Unable to find the existing channel: the team has no {DEFAULT_CHANNEL} channel "
            "that is not archived, where leaving posts its message "
            "(ServiceSettings.ExperimentalEnableDefaultChannelLeaveJoinMessages is on). The "
            "user has left the team's channels but is still a member of the team.",
            detailed_error=f"team_id={team_id} name={DEFAULT_CHANNEL}",
            where="LeaveTeam",
        )
    with ctx.store.read() as db:
        user = get_user(db, user_id)
        actor_row = (
            db.execute("SELECT * FROM users WHERE id=?", (requestor_id,)).fetchone()
            if requestor_id
            else None
        )
    if leave_message:
        _leave_message(ctx, town_square["id"], user, requestor_id == user_id)
    _removed_events(ctx, team_id, user_id)
    member.roles = ""  # the member the hook gets has its roles cleared
    request = hooks.UserHasLeftTeamRequest(context=request_context(ctx), team_member=member)
    if actor_row is not None:
        request.actor.CopyFrom(conv.user_from_row(actor_row))
    if hook:
        fire(ctx, "UserHasLeftTeam", request)


def _leave_team(
    ctx: ApiContext, db: sqlite3.Connection, member: team_pb2.TeamMember, team_id: str,
    user_id: str,
) -> None:
    """The membership left, and what the server's postProcessTeamMemberLeave clears."""
    member.delete_at = ctx.now()
    save_team_member(db, member)
    user = get_user(db, user_id)
    user.update_at = ctx.now()
    save_user(db, user)
    db.execute("DELETE FROM sidebar_categories WHERE user_id=? AND team_id=?", (user_id, team_id))
    db.execute("DELETE FROM preferences WHERE user_id=? AND category=?", (user_id, team_id))


@emulates("DeleteTeamMember")
def delete_team_member(
    ctx: ApiContext, req: pb.DeleteTeamMemberRequest
) -> pb.DeleteTeamMemberResponse:
    remove_member(ctx, req.team_id, req.user_id, req.requestor_id)
    return pb.DeleteTeamMemberResponse()


@emulates("GetTeamMember")
def get_team_member(ctx: ApiContext, req: pb.GetTeamMemberRequest) -> pb.GetTeamMemberResponse:
    with ctx.store.read() as db:
        return pb.GetTeamMemberResponse(team_member=find_team_member(db, req.team_id, req.user_id))


def _page(page: int, per_page: int, where: str) -> tuple[int, int]:
    return window(
        page, per_page, "app.team.get_members.app_error", where,
        "We couldn't get the team members.",
    )


@emulates("GetTeamMembers")
def get_team_members(ctx: ApiContext, req: pb.GetTeamMembersRequest) -> pb.GetTeamMembersResponse:
    """A page of the team's current members by user id (an unknown team has none)."""
    limit, offset = _page(req.page, req.per_page, "GetTeamMembers")
    with ctx.store.read() as db:
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
    """A page of the user's memberships, the ones left included."""
    limit, offset = _page(req.page, req.per_page, "GetTeamMembersForUser")
    with ctx.store.read() as db:
        rows = db.execute(
            "SELECT * FROM team_members WHERE user_id=? ORDER BY team_id LIMIT ? OFFSET ?",
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
    existing roles become explicit roles; unknown or foreign scheme roles are a 400, and so is
    making a guest a non-guest or the reverse."""
    was_guest = member.scheme_guest
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
    if flags["scheme_guest"] != was_guest:
        raise ApiFailure(
            400,
            "api.channel.update_team_member_roles.changing_guest_role.app_error",
            "Invalid team member update: You can't add or remove the guest role manually.",
        )
    for flag, value in flags.items():
        setattr(member, flag, value)
    member.roles = member_roles(member, explicit)


@emulates("UpdateTeamMemberRoles")
def update_team_member_roles(
    ctx: ApiContext, req: pb.UpdateTeamMemberRolesRequest
) -> pb.UpdateTeamMemberRolesResponse:
    with ctx.store.tx() as db:
        member = find_team_member(db, req.team_id, req.user_id)
        known = {r["name"] for r in db.execute("SELECT name FROM roles")}
        apply_team_roles(member, req.new_roles.split(), known)
        save_team_member(db, member)
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
