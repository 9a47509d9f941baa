"""Teams: create, get (by id, name), list, search, update, delete (soft), for a user,
unread counts, stats, icons. Team members live in ``teams_members.py``."""

from __future__ import annotations

import re
import sqlite3

from mmplug.host.api import _convert as conv
from mmplug.host.api._registry import ApiContext, ApiFailure, emulates
from mmplug.host.api.events import WEBSOCKET, capture
from mmplug.host.api.users_profile import check_image
from mmplug.protocol import api_user_team_pb2 as pb
from mmplug.protocol import team_pb2

NAME_MIN, NAME_MAX, DISPLAY_MAX, DESCRIPTION_MAX = 2, 64, 64, 255
_TEAM_NAME = re.compile(r"^[a-z0-9]+([a-z0-9-]*[a-z0-9])?$")
RESERVED_TEAM_NAMES = {
    "admin",
    "api",
    "channel",
    "claim",
    "error",
    "files",
    "help",
    "landing",
    "login",
    "mfa",
    "oauth",
    "plug",
    "plugins",
    "post",
    "signup",
    "boards",
    "playbooks",
}


def new_team_member(
    team_id: str, user_id: str, now: int, *, admin: bool = False
) -> team_pb2.TeamMember:
    return team_pb2.TeamMember(
        team_id=team_id,
        user_id=user_id,
        roles="team_user team_admin" if admin else "team_user",
        scheme_user=True,
        scheme_admin=admin,
        create_at=now,
    )


def get_team(db: sqlite3.Connection, team_id: str) -> team_pb2.Team:
    row = db.execute("SELECT * FROM teams WHERE id=?", (team_id,)).fetchone()
    if row is None:
        raise ApiFailure(
            404,
            "app.team.get.find.app_error",
            "Unable to find the existing team.",
            detailed_error=f"team_id={team_id}",
        )
    return conv.team_from_row(row)


def save_team(db: sqlite3.Connection, team: team_pb2.Team) -> None:
    db.execute(*conv.update_sql("teams", conv.team_to_row(team), ["id"]))


def validate_team(team: team_pb2.Team) -> None:
    def bad(which: str, message: str, detail: str) -> ApiFailure:
        return ApiFailure(
            400, f"model.team.is_valid.{which}.app_error", message, detailed_error=detail
        )

    if not team.display_name or len(team.display_name) > DISPLAY_MAX:
        raise bad("name", "Invalid name.", f"display_name must be 1-{DISPLAY_MAX} characters")
    if not NAME_MIN <= len(team.name) <= NAME_MAX or not _TEAM_NAME.match(team.name):
        raise bad(
            "url",
            "Invalid URL Identifier.",
            f"name={team.name!r}: {NAME_MIN}-{NAME_MAX} characters a-z 0-9 and '-', "
            "not starting or ending with '-'",
        )
    if team.name in RESERVED_TEAM_NAMES:
        raise bad(
            "reserved",
            "This URL is unavailable. Please try another.",
            f"name={team.name!r} is reserved",
        )
    if team.type not in (team_pb2.TEAM_TYPE_OPEN, team_pb2.TEAM_TYPE_INVITE):
        raise bad("type", "Invalid type.", "type must be TEAM_TYPE_OPEN or TEAM_TYPE_INVITE")
    if len(team.description) > DESCRIPTION_MAX:
        raise bad(
            "description",
            "Invalid description.",
            f"description longer than {DESCRIPTION_MAX} characters",
        )
    if team.email and "@" not in team.email:
        raise bad("email", "Invalid email.", f"email={team.email!r}")


def _teams(db: sqlite3.Connection, sql: str, args: tuple[object, ...] = ()) -> list[team_pb2.Team]:
    return [conv.team_from_row(r) for r in db.execute(sql, args)]


def team_event(ctx: ApiContext, event: str, team: team_pb2.Team) -> None:
    capture(
        ctx,
        WEBSOCKET,
        {"event": event, "data": {"team": conv.to_dict(team)}, "broadcast": {"team_id": team.id}},
    )


@emulates("CreateTeam")
def create_team(ctx: ApiContext, req: pb.CreateTeamRequest) -> pb.CreateTeamResponse:
    team = team_pb2.Team()
    team.CopyFrom(req.team)
    if team.id:
        raise ApiFailure(
            400,
            "model.team.is_valid.id.app_error",
            "Invalid Id.",
            detailed_error="leave id empty: the server assigns it",
        )
    team.name = team.name.lower()
    validate_team(team)
    with ctx.store.tx() as db:
        if db.execute("SELECT 1 FROM teams WHERE name=?", (team.name,)).fetchone():
            raise ApiFailure(
                400,
                "app.team.save.existing.app_error",
                "A team with that name already exists.",
                detailed_error=f"name={team.name!r}",
            )
        team.id = ctx.new_id()
        team.create_at = team.update_at = ctx.now()
        team.invite_id = ctx.new_id()
        db.execute(*conv.insert_sql("teams", conv.team_to_row(team)))
    return pb.CreateTeamResponse(team=team)


@emulates("GetTeam")
def get_team_rpc(ctx: ApiContext, req: pb.GetTeamRequest) -> pb.GetTeamResponse:
    with ctx.store.read() as db:
        return pb.GetTeamResponse(team=get_team(db, req.team_id))


@emulates("GetTeamByName")
def get_team_by_name(ctx: ApiContext, req: pb.GetTeamByNameRequest) -> pb.GetTeamByNameResponse:
    with ctx.store.read() as db:
        teams = _teams(db, "SELECT * FROM teams WHERE name=?", (req.name.lower(),))
    if not teams:
        raise ApiFailure(
            404,
            "app.team.get_by_name.missing.app_error",
            "Unable to find the existing team.",
            detailed_error=f"name={req.name!r}",
        )
    return pb.GetTeamByNameResponse(team=teams[0])


@emulates("GetTeams")
def get_teams(ctx: ApiContext, req: pb.GetTeamsRequest) -> pb.GetTeamsResponse:
    """Every team, archived ones included (their delete_at is set), by display name."""
    with ctx.store.read() as db:
        teams = _teams(
            db,
            "SELECT * FROM teams "
            "ORDER BY json_extract(data, '$.display_name'), name",
        )
    return pb.GetTeamsResponse(teams=teams)


@emulates("SearchTeams")
def search_teams(ctx: ApiContext, req: pb.SearchTeamsRequest) -> pb.SearchTeamsResponse:
    like = req.term.strip().lower().replace("%", "").replace("_", "\\_") + "%"
    with ctx.store.read() as db:
        teams = _teams(
            db,
            "SELECT * FROM teams WHERE delete_at=0 AND (name LIKE ? ESCAPE '\\' OR "
            "lower(json_extract(data, '$.display_name')) LIKE ? ESCAPE '\\') ORDER BY name",
            (like, like),
        )
    return pb.SearchTeamsResponse(teams=teams)


@emulates("GetTeamsForUser")
def get_teams_for_user(
    ctx: ApiContext, req: pb.GetTeamsForUserRequest
) -> pb.GetTeamsForUserResponse:
    with ctx.store.read() as db:
        teams = _teams(
            db,
            "SELECT t.* FROM teams t JOIN team_members tm ON tm.team_id=t.id "
            "WHERE tm.user_id=? AND tm.delete_at=0 AND t.delete_at=0 ORDER BY t.name",
            (req.user_id,),
        )
    return pb.GetTeamsForUserResponse(teams=teams)


@emulates("UpdateTeam")
def update_team(ctx: ApiContext, req: pb.UpdateTeamRequest) -> pb.UpdateTeamResponse:
    new = req.team
    with ctx.store.tx() as db:
        team = get_team(db, new.id)
        # The fields the server's UpdateTeam copies; name, type and ids stay.
        team.display_name, team.description = new.display_name, new.description
        team.allow_open_invite, team.company_name = new.allow_open_invite, new.company_name
        team.allowed_domains = new.allowed_domains
        team.last_team_icon_update = new.last_team_icon_update or team.last_team_icon_update
        if new.HasField("group_constrained"):
            team.group_constrained = new.group_constrained
        validate_team(team)
        team.update_at = ctx.now()
        save_team(db, team)
    team_event(ctx, "update_team", team)
    return pb.UpdateTeamResponse(team=team)


@emulates("DeleteTeam")
def delete_team(ctx: ApiContext, req: pb.DeleteTeamRequest) -> pb.DeleteTeamResponse:
    with ctx.store.tx() as db:
        team = get_team(db, req.team_id)
        team.delete_at = team.update_at = ctx.now()
        save_team(db, team)
    team_event(ctx, "delete_team", team)
    return pb.DeleteTeamResponse()


@emulates("GetTeamStats")
def get_team_stats(ctx: ApiContext, req: pb.GetTeamStatsRequest) -> pb.GetTeamStatsResponse:
    with ctx.store.read() as db:
        get_team(db, req.team_id)
        row = db.execute(
            "SELECT count(*) AS total, sum(u.delete_at = 0) AS active FROM team_members tm "
            "JOIN users u ON u.id=tm.user_id WHERE tm.team_id=? AND tm.delete_at=0",
            (req.team_id,),
        ).fetchone()
    stats = pb.TeamStats(
        team_id=req.team_id,
        total_member_count=row["total"] or 0,
        active_member_count=row["active"] or 0,
    )
    return pb.GetTeamStatsResponse(team_stats=stats)


def _num(table: str, field: str) -> str:
    """An int64 field of a row's ``data`` (protobuf JSON writes int64 as a string)."""
    return f"CAST(coalesce(json_extract({table}.data, '$.{field}'), 0) AS INTEGER)"


@emulates("GetTeamsUnreadForUser")
def get_teams_unread_for_user(
    ctx: ApiContext, req: pb.GetTeamsUnreadForUserRequest
) -> pb.GetTeamsUnreadForUserResponse:
    """Per team: messages and mentions the user has not read in its channels."""
    with ctx.store.read() as db:
        rows = db.execute(
            f"SELECT c.team_id AS team_id,"
            f" sum(max({_num('c', 'total_msg_count')} - {_num('cm', 'msg_count')}, 0)) AS msgs,"
            f" sum({_num('cm', 'mention_count')}) AS mentions,"
            f" sum(max({_num('c', 'total_msg_count_root')} - {_num('cm', 'msg_count_root')}, 0))"
            f" AS msgs_root, sum({_num('cm', 'mention_count_root')}) AS mentions_root"
            " FROM channel_members cm JOIN channels c ON c.id=cm.channel_id"
            " JOIN team_members tm ON tm.team_id=c.team_id AND tm.user_id=cm.user_id"
            " WHERE cm.user_id=? AND c.team_id != '' AND tm.delete_at=0 AND c.delete_at=0"
            " GROUP BY c.team_id ORDER BY c.team_id",
            (req.user_id,),
        ).fetchall()
    unread = [
        team_pb2.TeamUnread(
            team_id=r["team_id"],
            msg_count=int(r["msgs"]),
            mention_count=int(r["mentions"]),
            msg_count_root=int(r["msgs_root"]),
            mention_count_root=int(r["mentions_root"]),
        )
        for r in rows
    ]
    return pb.GetTeamsUnreadForUserResponse(team_unreads=unread)


# -- icons -----------------------------------------------------------------------------
@emulates("GetTeamIcon")
def get_team_icon(ctx: ApiContext, req: pb.GetTeamIconRequest) -> pb.GetTeamIconResponse:
    with ctx.store.read() as db:
        get_team(db, req.team_id)
        row = db.execute(
            "SELECT content FROM team_icons WHERE team_id=?", (req.team_id,)
        ).fetchone()
    if row is None:
        raise ApiFailure(
            404,
            "api.team.get_team_icon.read_file.app_error",
            "Unable to read the team icon file.",
            detailed_error=f"team {req.team_id} has no icon; set one with SetTeamIcon",
        )
    return pb.GetTeamIconResponse(icon=bytes(row["content"]))


@emulates("SetTeamIcon")
def set_team_icon(ctx: ApiContext, req: pb.SetTeamIconRequest) -> pb.SetTeamIconResponse:
    check_image(req.data, "api.team.set_team_icon")
    with ctx.store.tx() as db:
        team = get_team(db, req.team_id)
        now = ctx.now()
        db.execute(
            "INSERT OR REPLACE INTO team_icons(team_id, content, updated_at) VALUES(?, ?, ?)",
            (team.id, req.data, now),
        )
        team.last_team_icon_update = team.update_at = now
        save_team(db, team)
    team_event(ctx, "update_team", team)
    return pb.SetTeamIconResponse()


@emulates("RemoveTeamIcon")
def remove_team_icon(ctx: ApiContext, req: pb.RemoveTeamIconRequest) -> pb.RemoveTeamIconResponse:
    with ctx.store.tx() as db:
        team = get_team(db, req.team_id)
        db.execute("DELETE FROM team_icons WHERE team_id=?", (team.id,))
        team.last_team_icon_update = 0
        team.update_at = ctx.now()
        save_team(db, team)
    team_event(ctx, "update_team", team)
    return pb.RemoveTeamIconResponse()
