"""Permission checks from the roles in the store: HasPermissionTo, HasPermissionToTeam,
HasPermissionToChannel, RolesGrantPermission.

As on the server: a user's system roles are ``user.roles``; team and channel roles come from
the membership (its ``roles`` plus the scheme flags); a channel check falls back to the team,
a team check to the system roles. ``system_admin`` has every permission. An unknown user or
membership simply has no permission (false, not an error).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from typing import Any

from mmplug.host.api._registry import ApiContext, differs, emulates
from mmplug.protocol import api_remaining_pb2 as rem
from mmplug.protocol import api_user_team_pb2 as pb

ALL_PERMISSIONS_ROLE = "system_admin"

for _method in ("HasPermissionTo", "HasPermissionToTeam", "HasPermissionToChannel",
                "RolesGrantPermission"):
    differs(
        _method,
        "The server's system_admin role lists every permission the server defines, so a "
        "permission id no role lists (a typo) is false even for an admin; mmplug's "
        "system_admin grants any permission id, defined or not.",
    )
_SCHEME_FLAGS = {
    "team": (
        ("scheme_guest", "team_guest"),
        ("scheme_user", "team_user"),
        ("scheme_admin", "team_admin"),
    ),
    "channel": (
        ("scheme_guest", "channel_guest"),
        ("scheme_user", "channel_user"),
        ("scheme_admin", "channel_admin"),
    ),
}


def roles_grant(db: sqlite3.Connection, roles: Iterable[str], permission: str) -> bool:
    names = sorted(set(roles))
    if ALL_PERMISSIONS_ROLE in names:
        return True
    if not names or not permission:
        return False
    marks = ", ".join("?" for _ in names)
    for row in db.execute(f"SELECT permissions FROM roles WHERE name IN ({marks})", names):
        if permission in json.loads(row["permissions"]):
            return True
    return False


def _member_roles(data: str, kind: str) -> list[str]:
    member: dict[str, Any] = json.loads(data)
    roles = str(member.get("roles", "")).split()
    roles += [role for flag, role in _SCHEME_FLAGS[kind] if member.get(flag)]
    return roles


def system_permission(db: sqlite3.Connection, user_id: str, permission: str) -> bool:
    row = db.execute(
        "SELECT json_extract(data, '$.roles') AS roles FROM users WHERE id=?", (user_id,)
    ).fetchone()
    return row is not None and roles_grant(db, str(row["roles"] or "").split(), permission)


def team_permission(db: sqlite3.Connection, user_id: str, team_id: str, permission: str) -> bool:
    row = db.execute(
        "SELECT data FROM team_members WHERE team_id=? AND user_id=? AND delete_at=0",
        (team_id, user_id),
    ).fetchone()
    if row is not None and roles_grant(db, _member_roles(row["data"], "team"), permission):
        return True
    return system_permission(db, user_id, permission)


def channel_permission(
    db: sqlite3.Connection, user_id: str, channel_id: str, permission: str
) -> bool:
    row = db.execute(
        "SELECT data FROM channel_members WHERE channel_id=? AND user_id=?", (channel_id, user_id)
    ).fetchone()
    if row is not None and roles_grant(db, _member_roles(row["data"], "channel"), permission):
        return True
    channel = db.execute("SELECT team_id FROM channels WHERE id=?", (channel_id,)).fetchone()
    if channel is not None and channel["team_id"]:
        return team_permission(db, user_id, channel["team_id"], permission)
    return system_permission(db, user_id, permission)


def user_can_see(db: sqlite3.Connection, viewer_id: str, other_id: str) -> bool:
    """The server's ``UserCanSeeOtherUser``: oneself, anyone with the system permission
    ``view_members``; otherwise (``GetViewUsersRestrictions``) a member of a team where the
    viewer has ``view_members``, or of a channel the viewer is in."""
    if viewer_id == other_id or system_permission(db, viewer_id, "view_members"):
        return True
    teams = [row[0] for row in db.execute(
        "SELECT team_id FROM team_members WHERE user_id=? AND delete_at=0", (viewer_id,))]
    for team_id in teams:
        if team_permission(db, viewer_id, team_id, "view_members") and db.execute(
            "SELECT 1 FROM team_members WHERE team_id=? AND user_id=? AND delete_at=0",
            (team_id, other_id),
        ).fetchone():
            return True
    shared = db.execute(
        "SELECT 1 FROM channel_members a JOIN channel_members b ON b.channel_id=a.channel_id "
        "WHERE a.user_id=? AND b.user_id=?",
        (viewer_id, other_id),
    ).fetchone()
    return shared is not None


@emulates("HasPermissionTo")
def has_permission_to(
    ctx: ApiContext, req: pb.HasPermissionToRequest
) -> pb.HasPermissionToResponse:
    with ctx.store.read() as db:
        allowed = system_permission(db, req.user_id, req.permission_id)
    return pb.HasPermissionToResponse(has_permission=allowed)


@emulates("HasPermissionToTeam")
def has_permission_to_team(
    ctx: ApiContext, req: pb.HasPermissionToTeamRequest
) -> pb.HasPermissionToTeamResponse:
    with ctx.store.read() as db:
        allowed = bool(req.team_id) and team_permission(
            db, req.user_id, req.team_id, req.permission_id
        )
    return pb.HasPermissionToTeamResponse(has_permission=allowed)


@emulates("HasPermissionToChannel")
def has_permission_to_channel(
    ctx: ApiContext, req: pb.HasPermissionToChannelRequest
) -> pb.HasPermissionToChannelResponse:
    with ctx.store.read() as db:
        allowed = bool(req.channel_id) and channel_permission(
            db, req.user_id, req.channel_id, req.permission_id
        )
    return pb.HasPermissionToChannelResponse(has_permission=allowed)


@emulates("RolesGrantPermission")
def roles_grant_permission(
    ctx: ApiContext, req: rem.RolesGrantPermissionRequest
) -> rem.RolesGrantPermissionResponse:
    with ctx.store.read() as db:
        allowed = roles_grant(db, req.role_names, req.permission_id)
    return rem.RolesGrantPermissionResponse(has_permission=allowed)
