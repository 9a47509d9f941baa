"""Teams: create, get (by id, name), list, search, update, delete (soft), for a user,
unread counts, stats, icons. Team members live in ``teams_members.py``.

As on the server: a new team's name is not lower-cased or trimmed (it must already be a valid
lower-case name), its type follows ``allow_open_invite`` (open only when open invites are
allowed), and it gets its default channels. GetTeams and SearchTeams include archived teams;
GetTeamStats does not check that the team exists; RemoveTeamIcon only clears the team's
``last_team_icon_update`` (and, like the server's store, its ``update_at``): GetTeamIcon still
returns the last icon.
"""

from __future__ import annotations

import re
import sqlite3

from mmplug.host.api import _convert as conv
from mmplug.host.api._registry import ApiContext, ApiFailure, differs, emulates
from mmplug.host.api._text import sanitize_unicode
from mmplug.host.api.config import server_setting
from mmplug.host.api.events import WEBSOCKET, capture
from mmplug.host.api.users_profile import check_image
from mmplug.protocol import api_user_team_pb2 as pb
from mmplug.protocol import channel_pb2, team_pb2

NAME_MIN, NAME_MAX, DISPLAY_MAX, DESCRIPTION_MAX = 2, 64, 64, 255
EMAIL_MAX, COMPANY_MAX, DOMAINS_MAX = 128, 64, 500
_TEAM_NAME = re.compile(r"[a-z0-9]+([a-z\-0-9]+|(__)?)[a-z0-9]+")
# A name starting with one of these is reserved (the server compares prefixes).
RESERVED_TEAM_NAMES = (
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
)
DEFAULT_CHANNEL_DISPLAY_NAMES = {"town-square": "Town Square", "off-topic": "Off-Topic"}

differs(
    "SetTeamIcon",
    "The server decodes the image and stores it as a 128x128 PNG (GetTeamIcon returns that); "
    "mmplug checks that the bytes are an image and stores them as given.",
)


def is_valid_email(email: str) -> bool:
    """Close to the server's IsValidEmail: lower-case, one '@', no display name or spaces."""
    local, _, domain = email.partition("@")
    return (
        email == email.lower()
        and email.count("@") == 1
        and bool(local)
        and bool(domain)
        and not any(c.isspace() or c in "<>()[],;:\"" for c in email)
    )


def new_team_member(
    team_id: str, user_id: str, now: int, *, admin: bool = False, guest: bool = False
) -> team_pb2.TeamMember:
    member = team_pb2.TeamMember(
        team_id=team_id,
        user_id=user_id,
        scheme_guest=guest,
        scheme_user=not guest,
        scheme_admin=admin,
        create_at=now,
    )
    member.roles = member_roles(member, [])
    return member


def member_roles(member: team_pb2.TeamMember, explicit: list[str]) -> str:
    """A member's roles as the server's store shows them: explicit roles, then the roles its
    scheme flags imply (guest, user, admin)."""
    implied = [
        role
        for role, flag in (
            ("team_guest", member.scheme_guest),
            ("team_user", member.scheme_user),
            ("team_admin", member.scheme_admin),
        )
        if flag
    ]
    return " ".join(explicit + [r for r in implied if r not in explicit])


def get_team(db: sqlite3.Connection, team_id: str) -> team_pb2.Team:
    """The team (archived ones too), or the server's 404 ``app.team.get.find.app_error``."""
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


def default_channel_names(db: sqlite3.Connection) -> list[str]:
    """town-square, then off-topic, or instead of off-topic the channels of
    TeamSettings.ExperimentalDefaultChannels."""
    raw = server_setting(db, "TeamSettings", "ExperimentalDefaultChannels", [])
    extra = raw if isinstance(raw, list) else []
    if not extra:
        return ["town-square", "off-topic"]
    names = ["town-square"]
    names += [n for i, n in enumerate(extra) if n not in names and n not in extra[:i]]
    return names


def normalize_domains(domains: str) -> list[str]:
    """The server's reading of a domain list: commas and '@' optional, lower-cased."""
    return domains.replace("@", " ").replace(",", " ").lower().split()


def sync_type(team: team_pb2.Team) -> None:
    """The server keeps type and allow_open_invite in step: an invite-only type closes open
    invites, and without open invites a team is invite-only."""
    if team.type == team_pb2.TEAM_TYPE_INVITE:
        team.allow_open_invite = False
    if team.allow_open_invite:
        team.type = team_pb2.TEAM_TYPE_OPEN
    else:
        team.type = team_pb2.TEAM_TYPE_INVITE


def _sanitize_texts(team: team_pb2.Team) -> None:
    team.name = sanitize_unicode(team.name)
    team.display_name = sanitize_unicode(team.display_name)
    team.description = sanitize_unicode(team.description)
    team.company_name = sanitize_unicode(team.company_name)


def validate_team(team: team_pb2.Team) -> None:
    """The server's Team.IsValid, in its order (name and text lengths in bytes, the display
    name in characters)."""

    def bad(which: str, message: str) -> ApiFailure:
        return ApiFailure(
            400,
            f"model.team.is_valid.{which}.app_error",
            message,
            detailed_error=f"id={team.id}",
            where="Team.IsValid",
        )

    if len(team.email.encode()) > EMAIL_MAX or (team.email and not is_valid_email(team.email)):
        raise bad("email", f"Invalid email {team.email!r}.")
    if not 1 <= len(team.display_name) <= DISPLAY_MAX:
        raise bad("name", f"Invalid name: a display name of 1-{DISPLAY_MAX} characters.")
    if len(team.name.encode()) > NAME_MAX:
        raise bad("url", f"Invalid URL Identifier: at most {NAME_MAX} characters.")
    if len(team.description.encode()) > DESCRIPTION_MAX:
        raise bad("description", f"Invalid description: at most {DESCRIPTION_MAX} characters.")
    if not team.invite_id:
        raise bad("invite_id", "Invalid invite id.")
    if team.name.lower().startswith(RESERVED_TEAM_NAMES):
        raise bad("reserved", f"This URL is unavailable: {team.name!r} is a reserved word.")
    if len(team.name) < NAME_MIN or not _TEAM_NAME.fullmatch(team.name):
        raise bad(
            "characters",
            f"Name {team.name!r} must be {NAME_MIN} or more lowercase alphanumeric characters "
            "(and '-'), starting and ending with a letter or digit.",
        )
    if team.type not in (team_pb2.TEAM_TYPE_OPEN, team_pb2.TEAM_TYPE_INVITE):
        raise bad("type", "Invalid type.")
    if len(team.company_name.encode()) > COMPANY_MAX:
        raise bad("company", f"Invalid company name: at most {COMPANY_MAX} characters.")
    if len(team.allowed_domains.encode()) > DOMAINS_MAX:
        raise bad("domains", f"Invalid allowed domains: at most {DOMAINS_MAX} characters.")


def _teams(db: sqlite3.Connection, sql: str, args: tuple[object, ...] = ()) -> list[team_pb2.Team]:
    return [conv.team_from_row(r) for r in db.execute(sql, args)]


def team_event(ctx: ApiContext, event: str, team: team_pb2.Team) -> None:
    """The server's ``sendTeamEvent``: to the team's members, the team as JSON text without its
    email and invite id (``Team.Sanitize``)."""
    shown = team_pb2.Team()
    shown.CopyFrom(team)
    shown.email = shown.invite_id = ""
    data = {"team": conv.team_json(shown)}
    capture(ctx, WEBSOCKET, {"event": event, "data": data, "broadcast": {"team_id": team.id}})


def _create_default_channels(ctx: ApiContext, db: sqlite3.Connection, team_id: str) -> None:
    now = ctx.now()
    for name in default_channel_names(db):
        channel = channel_pb2.Channel(
            id=ctx.new_id(),
            team_id=team_id,
            name=name,
            display_name=DEFAULT_CHANNEL_DISPLAY_NAMES.get(name, name),
            type=channel_pb2.CHANNEL_TYPE_OPEN,
            create_at=now,
            update_at=now,
        )
        db.execute(*conv.insert_sql("channels", conv.channel_to_row(channel)))


def _save_failed(name: str) -> ApiFailure:
    return ApiFailure(
        400,
        "app.team.save.existing.app_error",
        "A team with that name already exists.",
        detailed_error=f"name={name!r}",
    )


@emulates("CreateTeam")
def create_team(ctx: ApiContext, req: pb.CreateTeamRequest) -> pb.CreateTeamResponse:
    team = team_pb2.Team()
    team.CopyFrom(req.team)
    if team.id:  # the store refuses to save a team that has an id
        raise _save_failed(team.name)
    team.id = ctx.new_id()
    team.create_at = team.update_at = ctx.now()
    team.invite_id = ctx.new_id()
    _sanitize_texts(team)
    sync_type(team)
    validate_team(team)
    with ctx.store.tx() as db:
        if db.execute("SELECT 1 FROM teams WHERE name=?", (team.name,)).fetchone():
            raise _save_failed(team.name)
        db.execute(*conv.insert_sql("teams", conv.team_to_row(team)))
        _create_default_channels(ctx, db, team.id)
    return pb.CreateTeamResponse(team=team)


@emulates("GetTeam")
def get_team_rpc(ctx: ApiContext, req: pb.GetTeamRequest) -> pb.GetTeamResponse:
    with ctx.store.read() as db:
        return pb.GetTeamResponse(team=get_team(db, req.team_id))


@emulates("GetTeamByName")
def get_team_by_name(ctx: ApiContext, req: pb.GetTeamByNameRequest) -> pb.GetTeamByNameResponse:
    """The name must match exactly (the server does not lower-case it)."""
    with ctx.store.read() as db:
        teams = _teams(db, "SELECT * FROM teams WHERE name=?", (req.name,))
    if not teams:
        raise ApiFailure(
            404,
            "app.team.get_by_name.missing.app_error",
            "Unable to find the existing team.",
            detailed_error=f"name={req.name!r}",
        )
    return pb.GetTeamByNameResponse(team=teams[0])


_BY_DISPLAY_NAME = "ORDER BY json_extract(data, '$.display_name'), name"


@emulates("GetTeams")
def get_teams(ctx: ApiContext, req: pb.GetTeamsRequest) -> pb.GetTeamsResponse:
    """Every team, archived ones included (their delete_at is set), by display name."""
    with ctx.store.read() as db:
        teams = _teams(db, f"SELECT * FROM teams {_BY_DISPLAY_NAME}")
    return pb.GetTeamsResponse(teams=teams)


@emulates("SearchTeams")
def search_teams(ctx: ApiContext, req: pb.SearchTeamsRequest) -> pb.SearchTeamsResponse:
    """Teams whose name or display name contains the term (any case; '%' and '_' are plain
    characters), archived ones included, by display name; an empty term finds all."""
    term = req.term.replace("\\", "").replace("%", "\\%").replace("_", "\\_")
    like = f"%{term.lower()}%"
    with ctx.store.read() as db:
        teams = _teams(
            db,
            "SELECT * FROM teams WHERE (lower(name) LIKE ? ESCAPE '\\' OR "
            f"lower(json_extract(data, '$.display_name')) LIKE ? ESCAPE '\\') {_BY_DISPLAY_NAME}",
            (like, like),
        )
    return pb.SearchTeamsResponse(teams=teams)


@emulates("GetTeamsForUser")
def get_teams_for_user(
    ctx: ApiContext, req: pb.GetTeamsForUserRequest
) -> pb.GetTeamsForUserResponse:
    """The user's teams (not archived, membership not left); an unknown user has none."""
    with ctx.store.read() as db:
        teams = _teams(
            db,
            "SELECT t.* FROM teams t JOIN team_members tm ON tm.team_id=t.id "
            "WHERE tm.user_id=? AND tm.delete_at=0 AND t.delete_at=0 ORDER BY t.name",
            (req.user_id,),
        )
    return pb.GetTeamsForUserResponse(teams=teams)


def check_domains(db: sqlite3.Connection, team: team_pb2.Team) -> None:
    """A team's allowed domains must be among TeamSettings.RestrictCreationToDomains (when
    that is set)."""
    valid = normalize_domains(server_setting(db, "TeamSettings", "RestrictCreationToDomains", ""))
    if not valid:
        return
    for domain in normalize_domains(team.allowed_domains):
        if domain not in valid:
            raise ApiFailure(
                400,
                "api.team.update_restricted_domains.mismatch.app_error",
                f"Restricting team to {domain} is not allowed by the system admin "
                "(TeamSettings.RestrictCreationToDomains).",
                params={"Domain": domain},
            )


@emulates("UpdateTeam")
def update_team(ctx: ApiContext, req: pb.UpdateTeamRequest) -> pb.UpdateTeamResponse:
    """Copies display name, description, open invites, company name, allowed domains, icon
    time and group constraint onto the stored team (name, email and ids stay)."""
    new = req.team
    with ctx.store.tx() as db:
        team = get_team(db, new.id)
        check_domains(db, new)
        team.display_name, team.description = new.display_name, new.description
        team.allow_open_invite, team.company_name = new.allow_open_invite, new.company_name
        team.allowed_domains = new.allowed_domains
        team.last_team_icon_update = new.last_team_icon_update
        if new.HasField("group_constrained"):
            team.group_constrained = new.group_constrained
        else:
            team.ClearField("group_constrained")
        _sanitize_texts(team)
        sync_type(team)
        validate_team(team)
        team.update_at = ctx.now()
        save_team(db, team)
    team_event(ctx, "update_team", team)
    return pb.UpdateTeamResponse(team=team)


@emulates("DeleteTeam")
def delete_team(ctx: ApiContext, req: pb.DeleteTeamRequest) -> pb.DeleteTeamResponse:
    """Archives the team (again, if it already is)."""
    with ctx.store.tx() as db:
        team = get_team(db, req.team_id)
        team.delete_at = team.update_at = ctx.now()
        save_team(db, team)
    team_event(ctx, "delete_team", team)
    return pb.DeleteTeamResponse()


@emulates("GetTeamStats")
def get_team_stats(ctx: ApiContext, req: pb.GetTeamStatsRequest) -> pb.GetTeamStatsResponse:
    """Member counts (active: the user is not deactivated); an unknown team has zeros."""
    with ctx.store.read() as db:
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
    """Per team: messages and mentions the user has not read in the team's live channels
    they are a member of; messages of channels set to mark unread on mentions only are not
    counted (their mentions are)."""
    counted = "coalesce(json_extract(cm.data, '$.notify_props.mark_unread'), '') != 'mention'"
    with ctx.store.read() as db:
        rows = db.execute(
            f"SELECT c.team_id AS team_id,"
            f" sum(CASE WHEN {counted} THEN {_num('c', 'total_msg_count')}"
            f" - {_num('cm', 'msg_count')} ELSE 0 END) AS msgs,"
            f" sum({_num('cm', 'mention_count')}) AS mentions,"
            f" sum(CASE WHEN {counted} THEN {_num('c', 'total_msg_count_root')}"
            f" - {_num('cm', 'msg_count_root')} ELSE 0 END) AS msgs_root,"
            f" sum({_num('cm', 'mention_count_root')}) AS mentions_root"
            " FROM channel_members cm JOIN channels c ON c.id=cm.channel_id"
            " WHERE cm.user_id=? AND c.team_id != '' AND c.delete_at=0"
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
        if not server_setting(db, "FileSettings", "DriverName", "local"):
            raise ApiFailure(
                501,
                "api.team.get_team_icon.filesettings_no_driver.app_error",
                "Invalid driver name for file settings (FileSettings.DriverName is empty).",
            )
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
    with ctx.store.read() as db:
        get_team(db, req.team_id)
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
    """Clears last_team_icon_update; the icon file stays (GetTeamIcon still returns it). The
    server's store writes the same 0 to update_at; the event shows the team before that."""
    with ctx.store.tx() as db:
        team = get_team(db, req.team_id)
        shown_update_at = team.update_at
        team.last_team_icon_update = team.update_at = 0
        save_team(db, team)
    team.update_at = shown_update_at
    team_event(ctx, "update_team", team)
    return pb.RemoveTeamIconResponse()
