"""Reading users: by id, email, username, lists of ids/usernames, team/channel members,
``GetUsers`` and ``SearchUsers``, as the server's user store answers them
(``server/channels/store/sqlstore/user_store.go``).

The single-user getters and ``GetUsersByIds`` return the stored user unsanitised; the paged
lists drop the password hash, MFA secret and last login; ``SearchUsers`` and
``GetUsersByUsernames`` answer admin profiles (as the server does for each). Lists include
deactivated users unless the call filters them out. A page size of 0 gives an empty page, as
the server's ``LIMIT 0``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

from mmplug.host.api import _convert as conv
from mmplug.host.api._registry import ApiContext, ApiFailure, differs, emulates
from mmplug.host.api.channels import window
from mmplug.host.api.users import admin_profile, get_user, missing_user, sanitized
from mmplug.protocol import api_user_team_pb2 as pb
from mmplug.protocol import user_pb2

_BY_STATUS = (
    "CASE json_extract(s.data, '$.status') WHEN 'online' THEN 1 WHEN 'away' THEN 2 "
    "WHEN 'dnd' THEN 3 ELSE 4 END, u.username"
)
_ROLES = "json_extract(u.data, '$.roles')"
# Roles the server matches anywhere in the user's roles (system_user must be the only one).
_WILDCARD_ROLES = {
    "system_guest",
    "system_admin",
    "system_user_manager",
    "system_read_only_admin",
    "system_manager",
}

differs(
    "GetUsers",
    "The server ignores the team, channel, group and view-restriction filters here (its "
    "documentation says not all options are supported); mmplug ignores them too, except "
    "view restrictions, which it refuses with 501.",
)
differs(
    "SearchUsers",
    "With Elasticsearch or Bleve enabled the server searches with that engine; mmplug always "
    "searches like the server's database does.",
)


def _users(
    db: sqlite3.Connection,
    sql: str,
    args: tuple[Any, ...],
    clean: Callable[[user_pb2.User], user_pb2.User] = sanitized,
) -> list[user_pb2.User]:
    return [clean(conv.user_from_row(r)) for r in db.execute(sql, args)]


def _unsanitized(user: user_pb2.User) -> user_pb2.User:
    return user


def _page(page: int, per_page: int, where: str) -> tuple[int, int]:
    return window(
        page,
        per_page,
        "app.user.get_profiles.app_error",
        where,
        "We encountered an error while finding user profiles.",
    )


def _role_filters(role: str, roles: list[str]) -> tuple[list[str], list[Any]]:
    """The server's ``applyRoleFilter`` (substring of the roles) and ``applyMultiRoleFilters``
    (``system_user`` exactly; the other system roles anywhere; unknown roles ignored)."""
    where: list[str] = []
    args: list[Any] = []
    if role:
        where.append(f"lower({_ROLES}) LIKE lower(?) ESCAPE '\\'")
        args.append("%" + _escape_like(role) + "%")
    parts: list[str] = []
    if roles and roles[0]:
        for name in roles:
            if name == "system_user":
                parts.append(f"{_ROLES} = ?")
                args.append(name)
            elif name in _WILDCARD_ROLES:
                parts.append(f"lower({_ROLES}) LIKE ?")
                args.append(f"%{name.lower()}%")
    if parts:
        where.append("(" + " OR ".join(parts) + ")")
    return where, args


def _escape_like(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@emulates("GetUser")
def get_user_rpc(ctx: ApiContext, req: pb.GetUserRequest) -> pb.GetUserResponse:
    with ctx.store.read() as db:
        return pb.GetUserResponse(user=get_user(db, req.user_id))


@emulates("GetUserByEmail")
def get_user_by_email(ctx: ApiContext, req: pb.GetUserByEmailRequest) -> pb.GetUserByEmailResponse:
    with ctx.store.read() as db:
        users = _users(
            db, "SELECT * FROM users u WHERE email=?", (req.email.lower(),), _unsanitized
        )
    if not users:
        raise missing_user(what=f"email={req.email}")
    return pb.GetUserByEmailResponse(user=users[0])


@emulates("GetUserByUsername")
def get_user_by_username(
    ctx: ApiContext, req: pb.GetUserByUsernameRequest
) -> pb.GetUserByUsernameResponse:
    with ctx.store.read() as db:
        users = _users(
            db, "SELECT * FROM users u WHERE username=?", (req.name.lower(),), _unsanitized
        )
    if not users:
        raise ApiFailure(
            404,
            "app.user.get_by_username.app_error",
            "Unable to find an existing account matching your username for this team.",
            detailed_error=f"username={req.name}",
        )
    return pb.GetUserByUsernameResponse(user=users[0])


def _in_list(column: str, values: list[str]) -> tuple[str, tuple[Any, ...]]:
    marks = ", ".join("?" for _ in values) or "NULL"
    return f"{column} IN ({marks})", tuple(values)


@emulates("GetUsersByIds")
def get_users_by_ids(ctx: ApiContext, req: pb.GetUsersByIdsRequest) -> pb.GetUsersByIdsResponse:
    """Unknown ids are skipped (never a 404); the ids are matched exactly."""
    where, args = _in_list("id", list(req.user_ids))
    with ctx.store.read() as db:
        users = _users(
            db, f"SELECT * FROM users u WHERE {where} ORDER BY username", args, _unsanitized
        )
    return pb.GetUsersByIdsResponse(users=users)


@emulates("GetUsersByUsernames")
def get_users_by_usernames(
    ctx: ApiContext, req: pb.GetUsersByUsernamesRequest
) -> pb.GetUsersByUsernamesResponse:
    """Unknown names are skipped; names are matched exactly (``Bob`` does not find ``bob``);
    the users come as an admin sees their profiles (the server's ``GetUsersByUsernames``
    with ``asAdmin``)."""
    where, args = _in_list("username", list(req.usernames))
    with ctx.store.read() as db:
        users = _users(
            db, f"SELECT * FROM users u WHERE {where} ORDER BY username", args, admin_profile
        )
    return pb.GetUsersByUsernamesResponse(users=users)


@emulates("GetUsersInTeam")
def get_users_in_team(ctx: ApiContext, req: pb.GetUsersInTeamRequest) -> pb.GetUsersInTeamResponse:
    """Current team members by username, deactivated users included."""
    limit, offset = _page(req.page, req.per_page, "GetUsersInTeam")
    with ctx.store.read() as db:
        users = _users(
            db,
            "SELECT u.* FROM users u JOIN team_members tm ON tm.user_id=u.id "
            "WHERE tm.team_id=? AND tm.delete_at=0 ORDER BY u.username LIMIT ? OFFSET ?",
            (req.team_id, limit, offset),
        )
    return pb.GetUsersInTeamResponse(users=users)


@emulates("GetUsersInChannel")
def get_users_in_channel(
    ctx: ApiContext, req: pb.GetUsersInChannelRequest
) -> pb.GetUsersInChannelResponse:
    """Channel members, deactivated users included, by username or by status (online, away,
    dnd, then the rest)."""
    if req.sort_by not in ("username", "status"):
        raise ApiFailure(
            400,
            "plugin.api.get_users_in_channel",
            "Unable to get the users, invalid sorting criteria.",
            detailed_error=f"sort_by={req.sort_by!r}: use 'username' or 'status'",
        )
    limit, offset = _page(req.page, req.per_page, "GetUsersInChannel")
    order = _BY_STATUS if req.sort_by == "status" else "u.username"
    with ctx.store.read() as db:
        users = _users(
            db,
            "SELECT u.* FROM users u JOIN channel_members cm ON cm.user_id=u.id "
            "LEFT JOIN statuses s ON s.user_id=u.id "
            f"WHERE cm.channel_id=? ORDER BY {order} LIMIT ? OFFSET ?",
            (req.channel_id, limit, offset),
        )
    return pb.GetUsersInChannelResponse(users=users)


@emulates("GetUsers")
def get_users(ctx: ApiContext, req: pb.GetUsersRequest) -> pb.GetUsersResponse:
    """The server's ``GetAllProfiles``: role(s) and active/inactive filter (``updated_after``
    never reaches it: mmplug.host.api._wire); ``sort`` is ``update_at_asc`` or (anything
    else) by username."""
    if req.HasField("view_restrictions"):
        raise ApiFailure(
            501,
            "mmplug.fake_host.view_restrictions_not_emulated",
            "View restrictions are not emulated by mmplug's fake host.",
            detailed_error="leave view_restrictions unset",
        )
    where, args = _role_filters(req.role, list(req.roles))
    if req.inactive:
        where.append("u.delete_at != 0")
    elif req.active:
        where.append("u.delete_at = 0")
    order = (
        "CAST(json_extract(u.data, '$.update_at') AS INTEGER)"
        if req.sort == "update_at_asc"
        else "u.username"
    )
    limit, offset = _page(req.page, req.per_page, "GetUsers")
    cond = " AND ".join(where) or "1"
    with ctx.store.read() as db:
        users = _users(
            db,
            f"SELECT u.* FROM users u WHERE {cond} ORDER BY {order} LIMIT ? OFFSET ?",
            (*args, limit, offset),
        )
    return pb.GetUsersResponse(users=users)


def _search_scope(req: pb.SearchUsersRequest) -> tuple[str, list[Any]]:
    """The one filter the server applies, in its order of precedence (the others are
    ignored): without a team, in/not in a channel, not in a team, in/not in a group, team."""
    if req.without_team:
        return (
            "NOT EXISTS (SELECT 1 FROM team_members t WHERE t.user_id=u.id AND t.delete_at=0)",
            [],
        )
    if req.in_channel_id:
        return (
            "EXISTS (SELECT 1 FROM channel_members c WHERE c.user_id=u.id AND c.channel_id=?)",
            [req.in_channel_id],
        )
    if req.not_in_channel_id:
        sql = "NOT EXISTS (SELECT 1 FROM channel_members c WHERE c.user_id=u.id AND c.channel_id=?)"
        args: list[Any] = [req.not_in_channel_id]
        if req.team_id:
            sql += (
                " AND EXISTS (SELECT 1 FROM team_members t WHERE t.user_id=u.id "
                "AND t.delete_at=0 AND t.team_id=?)"
            )
            args.append(req.team_id)
        return sql, args
    if req.not_in_team_id:
        return (
            "NOT EXISTS (SELECT 1 FROM team_members t WHERE t.user_id=u.id AND t.delete_at=0 "
            "AND t.team_id=?)",
            [req.not_in_team_id],
        )
    if req.in_group_id:
        return (
            "EXISTS (SELECT 1 FROM group_members g WHERE g.user_id=u.id AND g.group_id=? "
            "AND g.delete_at=0)",
            [req.in_group_id],
        )
    if req.not_in_group_id:
        return (
            "NOT EXISTS (SELECT 1 FROM group_members g WHERE g.user_id=u.id AND g.group_id=? "
            "AND g.delete_at=0)",
            [req.not_in_group_id],
        )
    if req.team_id:
        return (
            "EXISTS (SELECT 1 FROM team_members t WHERE t.user_id=u.id AND t.delete_at=0 "
            "AND t.team_id=?)",
            [req.team_id],
        )
    return "1", []


@emulates("SearchUsers")
def search_users(ctx: ApiContext, req: pb.SearchUsersRequest) -> pb.SearchUsersResponse:
    """The server's database search for a plugin: every word of the term (a leading ``@``
    dropped) must occur in the username or nickname (case-insensitive), or be the user's id;
    first and last names and emails are not searched. At most ``limit`` users (0 gives none),
    by username."""
    if req.group_constrained and (req.not_in_channel_id or req.not_in_team_id):
        raise ApiFailure(
            501,
            "mmplug.fake_host.groups_not_emulated",
            "Group-constrained search is not emulated by mmplug's fake host.",
            detailed_error="drop group_constrained",
        )
    scope, args = _search_scope(req)
    where = [scope]
    roles, role_args = _role_filters(req.role, list(req.roles))
    where += roles
    args += role_args
    if not req.allow_inactive:
        where.append("u.delete_at = 0")
    for word in req.term.strip().split():
        word = word.lstrip("@")
        like = "%" + _escape_like(word.replace("*", "")).lower() + "%"
        where.append(
            "(lower(u.username) LIKE ? ESCAPE '\\' OR "
            "lower(coalesce(json_extract(u.data, '$.nickname'), '')) LIKE ? ESCAPE '\\' "
            "OR u.id = ?)"
        )
        args += [like, like, word]
    limit = max(req.limit, 0)
    with ctx.store.read() as db:
        users = _users(
            db,
            f"SELECT u.* FROM users u WHERE {' AND '.join(where)} ORDER BY u.username LIMIT ?",
            (*args, limit),
            admin_profile,
        )
    return pb.SearchUsersResponse(users=users)
