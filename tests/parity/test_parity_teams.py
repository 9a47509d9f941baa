"""Server parity of teams: CreateTeam, GetTeam, GetTeamByName, GetTeams, SearchTeams,
GetTeamsForUser, GetTeamsUnreadForUser, UpdateTeam, DeleteTeam, GetTeamStats and the team
icon methods."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest
from parity_settings import server_setting
from worldhost import Host

from mmplug.host.api import _convert as conv
from mmplug.host.api.users_profile import default_avatar
from mmplug.protocol import api_channel_post_pb2 as cp
from mmplug.protocol import api_user_team_pb2 as pb
from mmplug.protocol import team_pb2

TEAM_APP = "server/channels/app/team.go"
TEAMS_SVC = "server/channels/app/teams/teams.go"
TEAM_MODEL = "server/public/model/team.go"
TEAM_STORE = "server/channels/store/sqlstore/team_store.go"
OPEN, INVITE = team_pb2.TEAM_TYPE_OPEN, team_pb2.TEAM_TYPE_INVITE
_n = itertools.count()


def team_fields(**fields: Any) -> team_pb2.Team:
    name = f"squad-{next(_n)}"
    values: dict[str, Any] = {"name": name, "display_name": name.title(), "type": OPEN}
    values.update(fields)
    return team_pb2.Team(**values)


def create(host: Host, **fields: Any) -> pb.CreateTeamResponse:
    return host.api.CreateTeam(pb.CreateTeamRequest(team=team_fields(**fields)))


def new_team(host: Host, **fields: Any) -> team_pb2.Team:
    rsp = create(host, **fields)
    assert not rsp.error.id, rsp.error
    return rsp.team


def create_error(host: Host, **fields: Any) -> tuple[int, str]:
    err = create(host, **fields).error
    return err.status_code, err.id


def invalid(which: str) -> tuple[int, str]:
    return 400, f"model.team.is_valid.{which}.app_error"


# -- CreateTeam -------------------------------------------------------------------------------
@pytest.mark.parity("CreateTeam", f"{TEAM_MODEL}: (*Team).PreSave, (*Team).IsValid")
def test_create_team_does_not_lower_case_the_name(host: Host) -> None:
    """A name with capitals is refused (400 `model.team.is_valid.characters.app_error`), not
    lower-cased."""
    assert create_error(host, name="Rockets") == invalid("characters")


@pytest.mark.parity("CreateTeam", f"{TEAM_MODEL}: IsValidTeamName; model/utils.go: validAlphaNum")
def test_create_team_name_characters(host: Host) -> None:
    """A name is 2+ of a-z, 0-9 and '-' (or one '__'), starting and ending with a letter or
    digit; anything else is 400 `model.team.is_valid.characters.app_error`."""
    for bad in ("a", "-edge", "edge-", "under_score", "sp ace", "dot.ted"):
        assert create_error(host, name=bad) == invalid("characters"), bad
    for good in ("ab", "a-b-c", "a__b", "9lives"):
        assert new_team(host, name=good).name == good


@pytest.mark.parity("CreateTeam", f"{TEAM_MODEL}: IsReservedTeamName")
def test_create_team_reserved_names_are_prefixes(host: Host) -> None:
    """A name that starts with a reserved word (admin, api, help, login, ...) is 400
    `model.team.is_valid.reserved.app_error`, e.g. ``helpdesk`` and ``apiary``."""
    for bad in ("api", "helpdesk", "apiary", "signup-team", "playbooks2"):
        assert create_error(host, name=bad) == invalid("reserved"), bad


@pytest.mark.parity("CreateTeam", f"{TEAM_MODEL}: (*Team).IsValid")
def test_create_team_name_of_more_than_64_bytes_is_url_error(host: Host) -> None:
    """A name longer than 64 characters is 400 `model.team.is_valid.url.app_error`."""
    assert create_error(host, name="n" * 65) == invalid("url")
    assert new_team(host, name="n" * 64).name == "n" * 64


@pytest.mark.parity("CreateTeam", f"{TEAM_MODEL}: (*Team).IsValid")
def test_create_team_display_name_is_1_to_64_characters_and_not_trimmed(host: Host) -> None:
    """The display name needs 1-64 characters (not bytes; 400 `model.team.is_valid.name.app_error`
    otherwise) and is kept as given, spaces included."""
    assert create_error(host, display_name="") == invalid("name")
    assert create_error(host, display_name="é" * 65) == invalid("name")
    assert new_team(host, display_name="é" * 64).display_name == "é" * 64
    assert new_team(host, display_name="  Padded  ").display_name == "  Padded  "


@pytest.mark.parity("CreateTeam", f"{TEAM_MODEL}: (*Team).PreSave; model/utils.go: SanitizeUnicode")
def test_create_team_drops_bidi_controls_from_texts(host: Host) -> None:
    """Bidi override and byte-order-mark characters are removed from the display name and
    description."""
    team = new_team(host, display_name="Evil\u202eName", description="\ufeffAbout")
    assert (team.display_name, team.description) == ("EvilName", "About")


@pytest.mark.parity("CreateTeam", f"{TEAM_MODEL}: (*Team).syncTypeAndAllowOpenInvite")
def test_create_team_type_follows_allow_open_invite(host: Host) -> None:
    """A team is open only when it allows open invites: an open type without open invites
    becomes invite-only, and an invite-only type turns open invites off."""
    assert new_team(host, type=OPEN).type == INVITE
    opened = new_team(host, type=team_pb2.TEAM_TYPE_UNSPECIFIED, allow_open_invite=True)
    assert (opened.type, opened.allow_open_invite) == (OPEN, True)
    closed = new_team(host, type=INVITE, allow_open_invite=True)
    assert (closed.type, closed.allow_open_invite) == (INVITE, False)


@pytest.mark.parity(
    "CreateTeam", f"{TEAM_STORE}: (SqlTeamStore).Save; {TEAM_APP}: (*App).CreateTeam"
)
def test_create_team_with_an_id_or_a_taken_name_is_save_existing(host: Host) -> None:
    """A team that has an id, or whose name is taken, is 400 `app.team.save.existing.app_error`."""
    assert create_error(host, id="t" * 26) == (400, "app.team.save.existing.app_error")
    assert create_error(host, name="acme") == (400, "app.team.save.existing.app_error")


@pytest.mark.parity("CreateTeam", f"{TEAM_MODEL}: (*Team).IsValid; model/utils.go: IsValidEmail")
def test_create_team_checks_email_and_text_lengths(host: Host) -> None:
    """The email must be a lower-case address; description (255), company name (64) and allowed
    domains (500) have byte limits; each failure is its own 400 id."""
    assert create_error(host, email="Boss@Example.com") == invalid("email")
    assert create_error(host, description="d" * 256) == invalid("description")
    assert create_error(host, company_name="c" * 65) == invalid("company")
    assert create_error(host, allowed_domains="a" * 501) == invalid("domains")
    assert new_team(host, email="boss@example.com").email == "boss@example.com"


@pytest.mark.parity("CreateTeam", f"{TEAMS_SVC}: (*TeamService).CreateTeam, DefaultChannelNames")
def test_create_team_creates_its_default_channels(host: Host) -> None:
    """A new team gets its town-square ("Town Square") and off-topic ("Off-Topic") channels."""
    team = new_team(host)
    for name, display in (("town-square", "Town Square"), ("off-topic", "Off-Topic")):
        ch = host.api.GetChannelByName(
            cp.GetChannelByNameRequest(team_id=team.id, name=name)
        ).channel
        assert ch.display_name == display


@pytest.mark.parity("CreateTeam", f"{TEAMS_SVC}: DefaultChannelNames")
def test_experimental_default_channels_replace_off_topic(host: Host) -> None:
    """With TeamSettings.ExperimentalDefaultChannels set, a new team gets town-square and those
    channels instead of off-topic."""
    with server_setting(host, "TeamSettings", "ExperimentalDefaultChannels", ["lobby"]):
        team = new_team(host)
    names = {
        c.name
        for c in host.api.GetPublicChannelsForTeam(
            cp.GetPublicChannelsForTeamRequest(team_id=team.id, page=0, per_page=10)
        ).channels
    }
    assert names == {"town-square", "lobby"}


# -- lookups ----------------------------------------------------------------------------------
@pytest.mark.parity("GetTeam", f"{TEAM_APP}: (*App).GetTeam")
def test_get_team_of_an_unknown_id_is_404(host: Host) -> None:
    """An unknown team id (or one that is not an id) is 404 `app.team.get.find.app_error`."""
    for team_id in ("t" * 26, "nope"):
        err = host.api.GetTeam(pb.GetTeamRequest(team_id=team_id)).error
        assert (err.status_code, err.id) == (404, "app.team.get.find.app_error")


@pytest.mark.parity("GetTeamByName", f"{TEAM_APP}: (*App).GetTeamByName; {TEAM_STORE}: GetByName")
def test_get_team_by_name_is_exact(host: Host) -> None:
    """The name must match exactly: ``ACME`` does not find ``acme`` (404
    `app.team.get_by_name.missing.app_error`)."""
    err = host.api.GetTeamByName(pb.GetTeamByNameRequest(name="ACME")).error
    assert (err.status_code, err.id) == (404, "app.team.get_by_name.missing.app_error")
    assert host.api.GetTeamByName(pb.GetTeamByNameRequest(name="acme")).team.name == "acme"


@pytest.mark.parity("GetTeams", f"{TEAM_STORE}: (SqlTeamStore).GetAll")
def test_get_teams_lists_archived_teams_by_display_name(host: Host) -> None:
    """GetTeams lists every team, archived ones included, ordered by display name."""
    archived = new_team(host, display_name="Aaa Archived")
    host.api.DeleteTeam(pb.DeleteTeamRequest(team_id=archived.id))
    teams = host.api.GetTeams(pb.GetTeamsRequest()).teams
    assert archived.id in [t.id for t in teams]
    names = [t.display_name for t in teams]
    assert names == sorted(names)


@pytest.mark.parity("SearchTeams", f"{TEAM_STORE}: (SqlTeamStore).teamSearchQuery, SearchAll")
def test_search_teams_matches_inside_name_or_display_name_in_any_case(host: Host) -> None:
    """The term matches anywhere in the name or display name, in any case."""
    team = new_team(host, name=f"xylo-{next(_n)}", display_name="Marimba Band")
    for term in ("YLO", "rimba", "band"):
        found = host.api.SearchTeams(pb.SearchTeamsRequest(term=term)).teams
        assert team.id in [t.id for t in found], term


@pytest.mark.parity("SearchTeams", f"{TEAM_STORE}: (SqlTeamStore).teamSearchQuery")
def test_search_teams_finds_archived_teams(host: Host) -> None:
    """Archived teams are found too (their delete_at is set)."""
    team = new_team(host, display_name="Gone Fishing")
    host.api.DeleteTeam(pb.DeleteTeamRequest(team_id=team.id))
    found = host.api.SearchTeams(pb.SearchTeamsRequest(term="fishing")).teams
    assert [t.delete_at > 0 for t in found if t.id == team.id] == [True]


@pytest.mark.parity("SearchTeams", f"{TEAM_STORE}: (SqlTeamStore).teamSearchQuery")
def test_search_teams_wildcards_are_plain_characters_and_empty_finds_all(host: Host) -> None:
    """'%' and '_' in the term are matched literally; an empty term finds every team."""
    assert host.api.SearchTeams(pb.SearchTeamsRequest(term="%")).teams == []
    everything = host.api.SearchTeams(pb.SearchTeamsRequest(term="")).teams
    assert len(everything) == len(host.api.GetTeams(pb.GetTeamsRequest()).teams)


@pytest.mark.parity("GetTeamsForUser", f"{TEAM_STORE}: (SqlTeamStore).GetTeamsByUserId")
def test_teams_for_user_skip_archived_teams_and_unknown_users_have_none(host: Host) -> None:
    """A user's teams leave out archived teams; an unknown user has none (no error)."""
    team = new_team(host)
    alice = host.user("alice")
    host.api.CreateTeamMember(pb.CreateTeamMemberRequest(team_id=team.id, user_id=alice))
    host.api.DeleteTeam(pb.DeleteTeamRequest(team_id=team.id))
    mine = host.api.GetTeamsForUser(pb.GetTeamsForUserRequest(user_id=alice)).teams
    assert team.id not in [t.id for t in mine] and host.info.teams["acme"] in [t.id for t in mine]
    nobody = host.api.GetTeamsForUser(pb.GetTeamsForUserRequest(user_id="u" * 26))
    assert not nobody.error.id and list(nobody.teams) == []


@pytest.mark.parity(
    "GetTeamsUnreadForUser",
    f"{TEAM_APP}: (*App).GetTeamsUnreadForUser; {TEAM_STORE}: GetChannelUnreadsForAllTeams",
)
def test_team_unreads_skip_messages_of_mention_only_channels(host: Host) -> None:
    """Messages of a channel the user marks unread on mentions only are not counted; its
    mentions are."""
    bob = host.user("bob")
    town, off = host.info.channels["town-square"], host.info.channels["off-topic"]
    with host.store.tx() as db:
        for channel_id, total in ((town, 7), (off, 4)):
            row = db.execute("SELECT * FROM channels WHERE id=?", (channel_id,)).fetchone()
            channel = conv.channel_from_row(row)
            channel.total_msg_count = total
            db.execute(*conv.update_sql("channels", conv.channel_to_row(channel), ["id"]))
            row = db.execute(
                "SELECT * FROM channel_members WHERE channel_id=? AND user_id=?", (channel_id, bob)
            ).fetchone()
            member = conv.channel_member_from_row(row)
            member.msg_count, member.mention_count = 0, 1
            if channel_id == off:
                member.notify_props["mark_unread"] = "mention"
            db.execute(
                *conv.update_sql(
                    "channel_members", conv.channel_member_to_row(member), ["channel_id", "user_id"]
                )
            )
    unreads = host.api.GetTeamsUnreadForUser(pb.GetTeamsUnreadForUserRequest(user_id=bob))
    (acme,) = [u for u in unreads.team_unreads if u.team_id == host.info.teams["acme"]]
    assert (acme.msg_count, acme.mention_count) == (7, 2)


# -- UpdateTeam / DeleteTeam ------------------------------------------------------------------
@pytest.mark.parity("UpdateTeam", f"{TEAMS_SVC}: (*TeamService).UpdateTeam; {TEAM_APP}: UpdateTeam")
def test_update_team_of_an_unknown_team_is_404(host: Host) -> None:
    """Updating an unknown team is 404 `app.team.get.find.app_error`."""
    err = host.api.UpdateTeam(pb.UpdateTeamRequest(team=team_fields(id="t" * 26))).error
    assert (err.status_code, err.id) == (404, "app.team.get.find.app_error")


@pytest.mark.parity("UpdateTeam", f"{TEAMS_SVC}: (*TeamService).UpdateTeam")
def test_update_team_keeps_name_and_email_and_copies_the_rest(host: Host) -> None:
    """Name, email and invite id stay; display name, description, company, allowed domains,
    open invites and the icon time are taken as sent."""
    team = new_team(host, email="owner@example.com", allow_open_invite=True)
    change = team_pb2.Team()
    change.CopyFrom(team)
    change.name, change.email = "renamed", "other@example.com"
    change.display_name, change.company_name = "Renamed", "Co"
    change.last_team_icon_update = 12345
    upd = host.api.UpdateTeam(pb.UpdateTeamRequest(team=change)).team
    assert (upd.name, upd.email, upd.invite_id) == (team.name, team.email, team.invite_id)
    assert (upd.display_name, upd.company_name) == ("Renamed", "Co")
    assert upd.last_team_icon_update == 12345 and upd.update_at >= team.update_at


@pytest.mark.parity(
    "UpdateTeam",
    f"{TEAMS_SVC}: (*TeamService).UpdateTeam; {TEAM_MODEL}: (*Team).syncTypeAndAllowOpenInvite",
)
def test_update_team_can_close_a_team_but_not_reopen_it(host: Host) -> None:
    """Turning open invites off makes an open team invite-only; turning them on again does not
    reopen it (the stored invite-only type wins and turns them off)."""
    team = new_team(host, allow_open_invite=True)
    team.allow_open_invite = False
    closed = host.api.UpdateTeam(pb.UpdateTeamRequest(team=team)).team
    assert (closed.type, closed.allow_open_invite) == (INVITE, False)
    closed.allow_open_invite = True
    still = host.api.UpdateTeam(pb.UpdateTeamRequest(team=closed)).team
    assert (still.type, still.allow_open_invite) == (INVITE, False)


@pytest.mark.parity("UpdateTeam", f"{TEAM_APP}: (*App).sendTeamEvent; {TEAM_MODEL}: Sanitize")
def test_team_events_hide_email_and_invite_id(quiet_host: Host) -> None:
    """The update_team event carries the team without its email and invite id."""
    team = new_team(quiet_host, email="owner@example.com")
    team.display_name = "Shown"
    quiet_host.api.UpdateTeam(pb.UpdateTeamRequest(team=team))
    (event,) = quiet_host.events("update_team")
    shown = json.loads(event["data"]["team"])
    assert shown["display_name"] == "Shown" and not shown.get("email")
    assert not shown.get("invite_id")


@pytest.mark.parity(
    ("UpdateTeam", "DeleteTeam"), f"{TEAM_APP}: (*App).sendTeamEvent; {TEAM_MODEL}: Team"
)
def test_team_events_are_the_servers_json_of_the_team_to_its_members(quiet_host: Host) -> None:
    """`update_team` and `delete_team` go to the team's members with the team as the server's
    JSON text: the type as its letter, times as numbers, unset scheme and policy as null."""
    team = new_team(quiet_host, type=INVITE)
    team.display_name = "Shown"
    updated = quiet_host.api.UpdateTeam(pb.UpdateTeamRequest(team=team)).team
    quiet_host.api.DeleteTeam(pb.DeleteTeamRequest(team_id=team.id))
    (update,) = quiet_host.events("update_team")
    (delete,) = quiet_host.events("delete_team")
    assert update["broadcast"] == delete["broadcast"] == {"team_id": team.id}
    assert json.loads(update["data"]["team"]) == {
        "id": team.id, "create_at": team.create_at, "update_at": updated.update_at,
        "delete_at": 0, "display_name": "Shown", "name": team.name, "description": "",
        "email": "", "type": "I", "company_name": "", "allowed_domains": "", "invite_id": "",
        "allow_open_invite": False, "scheme_id": None, "group_constrained": None,
        "policy_id": None, "cloud_limits_archived": False,
    }
    assert json.loads(delete["data"]["team"])["delete_at"] > 0


@pytest.mark.parity("UpdateTeam", "server/channels/app/teams/utils.go: checkValidDomains")
def test_update_team_allowed_domains_must_be_within_the_servers(host: Host) -> None:
    """With TeamSettings.RestrictCreationToDomains set, a team may only allow those domains
    (400 `api.team.update_restricted_domains.mismatch.app_error`)."""
    team = new_team(host)
    team.allowed_domains = "example.com, evil.org"
    with server_setting(host, "TeamSettings", "RestrictCreationToDomains", "example.com"):
        err = host.api.UpdateTeam(pb.UpdateTeamRequest(team=team)).error
    assert (err.status_code, err.id) == (
        400,
        "api.team.update_restricted_domains.mismatch.app_error",
    )
    assert "evil.org" in err.message


@pytest.mark.parity("DeleteTeam", f"{TEAM_APP}: (*App).SoftDeleteTeam")
def test_delete_team_archives_it_even_twice(quiet_host: Host) -> None:
    """DeleteTeam archives the team (delete_at set, delete_team event); archiving an archived
    team again succeeds; an unknown team is 404 `app.team.get.find.app_error`."""
    team = new_team(quiet_host)
    for _ in range(2):
        assert not quiet_host.api.DeleteTeam(pb.DeleteTeamRequest(team_id=team.id)).error.id
    assert quiet_host.api.GetTeam(pb.GetTeamRequest(team_id=team.id)).team.delete_at > 0
    assert len(quiet_host.events("delete_team")) == 2
    err = quiet_host.api.DeleteTeam(pb.DeleteTeamRequest(team_id="t" * 26)).error
    assert (err.status_code, err.id) == (404, "app.team.get.find.app_error")


# -- GetTeamStats -----------------------------------------------------------------------------
@pytest.mark.parity("GetTeamStats", f"{TEAM_APP}: (*App).GetTeamStats")
def test_team_stats_of_an_unknown_team_are_zero(host: Host) -> None:
    """The team is not looked up: an unknown team has zero members, not a 404."""
    rsp = host.api.GetTeamStats(pb.GetTeamStatsRequest(team_id="t" * 26))
    assert not rsp.error.id
    assert (rsp.team_stats.total_member_count, rsp.team_stats.active_member_count) == (0, 0)


@pytest.mark.parity("GetTeamStats", f"{TEAM_STORE}: GetTotalMemberCount, GetActiveMemberCount")
def test_team_stats_count_current_members_and_active_users(host: Host) -> None:
    """Total counts current members; active leaves out deactivated users; members who left
    count in neither."""
    team = new_team(host)
    alice, bob, admin = host.user("alice"), host.user("bob"), host.user("admin")
    host.api.CreateTeamMembers(
        pb.CreateTeamMembersRequest(team_id=team.id, user_ids=[alice, bob, admin])
    )
    host.api.DeleteTeamMember(pb.DeleteTeamMemberRequest(team_id=team.id, user_id=admin))
    with host.store.tx() as db:
        db.execute("UPDATE users SET delete_at=1 WHERE id=?", (bob,))
    try:
        stats = host.api.GetTeamStats(pb.GetTeamStatsRequest(team_id=team.id)).team_stats
    finally:
        with host.store.tx() as db:
            db.execute("UPDATE users SET delete_at=0 WHERE id=?", (bob,))
    assert (stats.total_member_count, stats.active_member_count) == (2, 1)


# -- icons ------------------------------------------------------------------------------------
@pytest.mark.parity("GetTeamIcon", f"{TEAM_APP}: (*App).GetTeamIcon; plugin_api.go: GetTeamIcon")
def test_get_team_icon_errors(host: Host) -> None:
    """No icon yet is 404 `api.team.get_team_icon.read_file.app_error`; an unknown team is 404
    `app.team.get.find.app_error`."""
    team = new_team(host)
    err = host.api.GetTeamIcon(pb.GetTeamIconRequest(team_id=team.id)).error
    assert (err.status_code, err.id) == (404, "api.team.get_team_icon.read_file.app_error")
    err = host.api.GetTeamIcon(pb.GetTeamIconRequest(team_id="t" * 26)).error
    assert (err.status_code, err.id) == (404, "app.team.get.find.app_error")


@pytest.mark.parity("GetTeamIcon", f"{TEAM_APP}: (*App).GetTeamIcon")
def test_get_team_icon_without_a_file_driver_is_501(host: Host) -> None:
    """With no FileSettings.DriverName the icon cannot be read: 501
    `api.team.get_team_icon.filesettings_no_driver.app_error`."""
    with server_setting(host, "FileSettings", "DriverName", ""):
        err = host.api.GetTeamIcon(pb.GetTeamIconRequest(team_id=host.info.teams["acme"])).error
    assert (err.status_code, err.id) == (
        501,
        "api.team.get_team_icon.filesettings_no_driver.app_error",
    )


@pytest.mark.parity("SetTeamIcon", f"{TEAM_APP}: (*App).SetTeamIconFromFile; plugin_api.go")
def test_set_team_icon_checks_the_team_then_the_image(host: Host) -> None:
    """An unknown team is 404 `app.team.get.find.app_error` (before the image is read); bytes
    that are not an image are 400 `api.team.set_team_icon.decode.app_error`."""
    err = host.api.SetTeamIcon(pb.SetTeamIconRequest(team_id="t" * 26, data=b"junk")).error
    assert (err.status_code, err.id) == (404, "app.team.get.find.app_error")
    team = new_team(host)
    err = host.api.SetTeamIcon(pb.SetTeamIconRequest(team_id=team.id, data=b"junk")).error
    assert (err.status_code, err.id) == (400, "api.team.set_team_icon.decode.app_error")


@pytest.mark.parity("SetTeamIcon", f"{TEAM_APP}: (*App).SetTeamIconFromFile")
def test_set_team_icon_stamps_the_team(quiet_host: Host) -> None:
    """Setting an icon sets last_team_icon_update and update_at to the same time and sends
    update_team."""
    team = new_team(quiet_host)
    quiet_host.api.SetTeamIcon(pb.SetTeamIconRequest(team_id=team.id, data=default_avatar("t")))
    got = quiet_host.api.GetTeam(pb.GetTeamRequest(team_id=team.id)).team
    assert got.last_team_icon_update == got.update_at > 0
    assert quiet_host.events("update_team")


@pytest.mark.parity(
    "RemoveTeamIcon", f"{TEAM_APP}: (*App).RemoveTeamIcon; {TEAM_STORE}: UpdateLastTeamIconUpdate"
)
def test_remove_team_icon_keeps_the_file_and_zeroes_the_times(host: Host) -> None:
    """RemoveTeamIcon sets last_team_icon_update to 0 (and the store writes 0 to update_at
    too) but leaves the icon file: GetTeamIcon still returns it."""
    team = new_team(host)
    png = default_avatar("removed")
    host.api.SetTeamIcon(pb.SetTeamIconRequest(team_id=team.id, data=png))
    assert not host.api.RemoveTeamIcon(pb.RemoveTeamIconRequest(team_id=team.id)).error.id
    got = host.api.GetTeam(pb.GetTeamRequest(team_id=team.id)).team
    assert (got.last_team_icon_update, got.update_at) == (0, 0)
    assert host.api.GetTeamIcon(pb.GetTeamIconRequest(team_id=team.id)).icon == png


@pytest.mark.parity("RemoveTeamIcon", "server/channels/app/plugin_api.go: RemoveTeamIcon")
def test_remove_team_icon_of_an_unknown_team_is_404(host: Host) -> None:
    """Removing the icon of an unknown team is 404 `app.team.get.find.app_error`."""
    err = host.api.RemoveTeamIcon(pb.RemoveTeamIconRequest(team_id="t" * 26)).error
    assert (err.status_code, err.id) == (404, "app.team.get.find.app_error")
