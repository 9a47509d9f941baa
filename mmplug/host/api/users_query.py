"""Reading users: by id, email, username, lists of ids/usernames, team/channel members,
``GetUsers`` with the server's filter options, and ``SearchUsers``.

Every user returned is sanitised (no password hash, no MFA secret).
"""

from __future__ import annotations

import sqlite3
from typing import Any

from mmplug.host.api import _convert as conv
from mmplug.host.api._pbjson import paging
from mmplug.host.api._registry import ApiContext, ApiFailure, emulates
from mmplug.host.api.users import get_user, missing_user
from mmplug.protocol import api_user_team_pb2 as pb
from mmplug.protocol import user_pb2

SEARCH_LIMIT = 100
_SORTS = {
    "": "u.username",
    "username": "u.username",
    "create_at": "CAST(json_extract(u.data, '$.create_at') AS INTEGER) DESC, u.username",
    "last_activity_at": "CAST(json_extract(u.data, '$.last_activity_at') AS INTEGER) DESC, "
    "u.username",
    "status": "CASE json_extract(s.data, '$.status') WHEN 'online' THEN 0 WHEN 'away' THEN 1 "
    "WHEN 'dnd' THEN 2 ELSE 3 END, u.username",
}


def _users(db: sqlite3.Connection, sql: str, args: tuple[Any, ...]) -> list[user_pb2.User]:
    return [conv.sanitize_user(conv.user_from_row(r)) for r in db.execute(sql, args)]


@emulates("GetUser")
def get_user_rpc(ctx: ApiContext, req: pb.GetUserRequest) -> pb.GetUserResponse:
    with ctx.store.read() as db:
        return pb.GetUserResponse(user=conv.sanitize_user(get_user(db, req.user_id)))


@emulates("GetUserByEmail")
def get_user_by_email(ctx: ApiContext, req: pb.GetUserByEmailRequest) -> pb.GetUserByEmailResponse:
    with ctx.store.read() as db:
        users = _users(db, "SELECT * FROM users u WHERE email=?", (req.email.lower(),))
    if not users:
        raise missing_user(what=f"email={req.email!r}")
    return pb.GetUserByEmailResponse(user=users[0])


@emulates("GetUserByUsername")
def get_user_by_username(
    ctx: ApiContext, req: pb.GetUserByUsernameRequest
) -> pb.GetUserByUsernameResponse:
    with ctx.store.read() as db:
        users = _users(db, "SELECT * FROM users u WHERE username=?", (req.name.lower(),))
    if not users:
        raise ApiFailure(
            404,
            "app.user.get_by_username.app_error",
            "Unable to find an existing account matching your username.",
            detailed_error=f"username={req.name!r}",
        )
    return pb.GetUserByUsernameResponse(user=users[0])


def _in_list(column: str, values: list[str]) -> tuple[str, tuple[Any, ...]]:
    marks = ", ".join("?" for _ in values) or "NULL"
    return f"{column} IN ({marks})", tuple(values)


@emulates("GetUsersByIds")
def get_users_by_ids(ctx: ApiContext, req: pb.GetUsersByIdsRequest) -> pb.GetUsersByIdsResponse:
    where, args = _in_list("id", list(req.user_ids))
    with ctx.store.read() as db:
        users = _users(db, f"SELECT * FROM users u WHERE {where} ORDER BY username", args)
    return pb.GetUsersByIdsResponse(users=users)


@emulates("GetUsersByUsernames")
def get_users_by_usernames(
    ctx: ApiContext, req: pb.GetUsersByUsernamesRequest
) -> pb.GetUsersByUsernamesResponse:
    where, args = _in_list("username", [n.lower() for n in req.usernames])
    with ctx.store.read() as db:
        users = _users(db, f"SELECT * FROM users u WHERE {where} ORDER BY username", args)
    return pb.GetUsersByUsernamesResponse(users=users)


@emulates("GetUsersInTeam")
def get_users_in_team(ctx: ApiContext, req: pb.GetUsersInTeamRequest) -> pb.GetUsersInTeamResponse:
    limit, offset = paging(req.page, req.per_page)
    with ctx.store.read() as db:
        users = _users(
            db,
            "SELECT u.* FROM users u JOIN team_members tm ON tm.user_id=u.id "
            "WHERE tm.team_id=? AND tm.delete_at=0 AND u.delete_at=0 "
            "ORDER BY u.username LIMIT ? OFFSET ?",
            (req.team_id, limit, offset),
        )
    return pb.GetUsersInTeamResponse(users=users)


@emulates("GetUsersInChannel")
def get_users_in_channel(
    ctx: ApiContext, req: pb.GetUsersInChannelRequest
) -> pb.GetUsersInChannelResponse:
    if req.sort_by not in ("username", "status"):
        raise ApiFailure(
            400,
            "plugin.api.get_users_in_channel",
            "Unable to get the users, invalid sorting criteria.",
            detailed_error=f"sort_by={req.sort_by!r}: use 'username' or 'status'",
        )
    limit, offset = paging(req.page, req.per_page)
    with ctx.store.read() as db:
        users = _users(
            db,
            "SELECT u.* FROM users u JOIN channel_members cm ON cm.user_id=u.id "
            "LEFT JOIN statuses s ON s.user_id=u.id "
            f"WHERE cm.channel_id=? AND u.delete_at=0 ORDER BY {_SORTS[req.sort_by]} "
            "LIMIT ? OFFSET ?",
            (req.channel_id, limit, offset),
        )
    return pb.GetUsersInChannelResponse(users=users)


def _role_filter(column: str, roles: list[str]) -> tuple[list[str], list[Any]]:
    if not roles:
        return [], []
    parts = [f"(' ' || {column} || ' ') LIKE ?" for _ in roles]
    return [f"({' OR '.join(parts)})"], [f"% {r} %" for r in roles]


def _filters(req: Any) -> tuple[list[str], list[Any]]:
    """SQL conditions for the UserGetOptions / UserSearchOptions fields."""
    where: list[str] = []
    args: list[Any] = []
    if req.in_group_id or req.not_in_group_id or req.group_constrained:
        raise ApiFailure(
            501,
            "mmplug.fake_host.groups_not_emulated",
            "Group filters are not emulated by mmplug's fake host.",
            detailed_error="stub the call, or filter by team/channel instead",
        )
    member = "EXISTS (SELECT 1 FROM {t} WHERE {t}.user_id=u.id AND {t}.{c}=?{d})"
    for value, table, col, negate in (
        (
            req.in_team_id if hasattr(req, "in_team_id") else req.team_id,
            "team_members",
            "team_id",
            False,
        ),
        (req.not_in_team_id, "team_members", "team_id", True),
        (req.in_channel_id, "channel_members", "channel_id", False),
        (req.not_in_channel_id, "channel_members", "channel_id", True),
    ):
        if value:
            deleted = f" AND {table}.delete_at=0" if table == "team_members" else ""
            where.append(("NOT " if negate else "") + member.format(t=table, c=col, d=deleted))
            args.append(value)
    if req.without_team:
        where.append(
            "NOT EXISTS (SELECT 1 FROM team_members t WHERE t.user_id=u.id AND t.delete_at=0)"
        )
    roles = [*req.roles, *([req.role] if req.role else [])]
    sql, values = _role_filter("json_extract(u.data, '$.roles')", roles)
    where += sql
    args += values
    return where, args


@emulates("GetUsers")
def get_users(ctx: ApiContext, req: pb.GetUsersRequest) -> pb.GetUsersResponse:
    if req.sort not in _SORTS or req.sort == "status":
        raise ApiFailure(
            400,
            "api.user.get_users.sort.app_error",
            "Invalid sort option.",
            detailed_error=f"sort={req.sort!r}: use '', 'create_at' or 'last_activity_at'",
        )
    where, args = _filters(req)
    if req.inactive and not req.active:
        where.append("u.delete_at != 0")
    elif req.active and not req.inactive:
        where.append("u.delete_at = 0")
    if req.updated_after:
        where.append("CAST(json_extract(u.data, '$.update_at') AS INTEGER) > ?")
        args.append(req.updated_after)
    limit, offset = paging(req.page, req.per_page)
    cond = " AND ".join(where) or "1"
    with ctx.store.read() as db:
        users = _users(
            db,
            f"SELECT u.* FROM users u WHERE {cond} ORDER BY {_SORTS[req.sort]} LIMIT ? OFFSET ?",
            (*args, limit, offset),
        )
    return pb.GetUsersResponse(users=users)


@emulates("SearchUsers")
def search_users(ctx: ApiContext, req: pb.SearchUsersRequest) -> pb.SearchUsersResponse:
    """Prefix match (case-insensitive) on username, names, nickname and email."""
    term = req.term.strip().lstrip("@").lower()
    where, args = _filters(req)
    if not req.allow_inactive:
        where.append("u.delete_at = 0")
    if term:
        fields = [
            "u.username",
            "json_extract(u.data, '$.first_name')",
            "json_extract(u.data, '$.last_name')",
            "json_extract(u.data, '$.nickname')",
            "u.email",
            "json_extract(u.data, '$.first_name') || ' ' || json_extract(u.data, '$.last_name')",
        ]
        where.append(
            "(" + " OR ".join(f"lower(coalesce({f}, '')) LIKE ? ESCAPE '\\'" for f in fields) + ")"
        )
        like = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        args += [like] * len(fields)
    limit = req.limit if req.limit > 0 else SEARCH_LIMIT
    cond = " AND ".join(where) or "1"
    with ctx.store.read() as db:
        users = _users(
            db,
            f"SELECT u.* FROM users u WHERE {cond} ORDER BY u.username LIMIT ?",
            (*args, limit),
        )
    return pb.SearchUsersResponse(users=users)
