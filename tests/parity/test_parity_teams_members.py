"""Server parity of team members: CreateTeamMember, CreateTeamMembers,
CreateTeamMembersGracefully, DeleteTeamMember, GetTeamMember, GetTeamMembers,
GetTeamMembersForUser, UpdateTeamMemberRoles."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from parity_channel_world import posts_of
from parity_settings import server_setting
from worldhost import Host

from mmplug.host.api import _convert as conv
from mmplug.host.api._entities import get_channel, save_channel
from mmplug.host.api.teams_members import new_channel_member
from mmplug.host.api.users import get_user, save_user
from mmplug.protocol import api_user_team_pb2 as pb
from mmplug.protocol import hooks_extra_pb2 as hx
from mmplug.protocol import team_pb2, user_pb2

TEAM_APP = "server/channels/app/team.go"
TEAMS_SVC = "server/channels/app/teams/teams.go"
TEAM_STORE = "server/channels/store/sqlstore/team_store.go"
PLUGIN_API = "server/channels/app/plugin_api.go"
_n = itertools.count()


def new_team(host: Host, **fields: Any) -> team_pb2.Team:
    name = f"crew-{next(_n)}"
    values: dict[str, Any] = {"name": name, "display_name": name.title()}
    values.update(fields)
    rsp = host.api.CreateTeam(pb.CreateTeamRequest(team=team_pb2.Team(**values)))
    assert not rsp.error.id, rsp.error
    return rsp.team


def new_user(host: Host, *, roles: str = "", email: str = "") -> str:
    name = f"person{next(_n)}"
    user = user_pb2.User(
        username=name, email=email or f"{name}@example.com", password="Passw0rd!"
    )
    user_id = host.api.CreateUser(pb.CreateUserRequest(user=user)).user.id
    if roles:
        with host.store.tx() as db:
            stored = get_user(db, user_id)
            stored.roles = roles
            save_user(db, stored)
    return user_id


def join(host: Host, team_id: str, user_id: str) -> pb.CreateTeamMemberResponse:
    return host.api.CreateTeamMember(pb.CreateTeamMemberRequest(team_id=team_id, user_id=user_id))


def leave(
    host: Host, team_id: str, user_id: str, requestor: str = ""
) -> pb.DeleteTeamMemberResponse:
    return host.api.DeleteTeamMember(
        pb.DeleteTeamMemberRequest(team_id=team_id, user_id=user_id, requestor_id=requestor)
    )


def error_of(rsp: Any) -> tuple[int, str]:
    return rsp.error.status_code, rsp.error.id


def channel_names(host: Host, user_id: str, team_id: str) -> dict[str, str]:
    """name -> the user's channel roles, for the team's channels the user is in."""
    with host.store.read() as db:
        rows = db.execute(
            "SELECT c.name, json_extract(cm.data, '$.roles') FROM channel_members cm "
            "JOIN channels c ON c.id=cm.channel_id WHERE cm.user_id=? AND c.team_id=?",
            (user_id, team_id),
        )
        return {r[0]: r[1] for r in rows}


# -- CreateTeamMember -------------------------------------------------------------------------
@pytest.mark.parity("CreateTeamMember", f"{TEAM_APP}: (*App).JoinUserToTeam, (*App).AddTeamMember")
def test_joining_makes_a_team_user_in_the_default_channels(quiet_host: Host) -> None:
    """A new member has roles ``team_user``, joins town-square and off-topic, UserHasJoinedTeam
    fires, and two added_to_team events go to the user (one from the join, one from
    AddTeamMember)."""
    team, user = new_team(quiet_host), new_user(quiet_host)
    member = join(quiet_host, team.id, user).team_member
    assert (member.roles, member.scheme_user, member.scheme_admin) == ("team_user", True, False)
    assert set(channel_names(quiet_host, user, team.id)) == {"town-square", "off-topic"}
    assert len(quiet_host.hooks.named("UserHasJoinedTeam")) == 1
    assert len(quiet_host.events("added_to_team")) == 2


@pytest.mark.parity(
    "CreateTeamMember", "server/channels/app/channel.go: (*App).JoinDefaultChannels"
)
def test_joining_tells_each_default_channel(quiet_host: Host) -> None:
    """Joining a team sends `user_added` with the user and team ids to town-square, then to
    off-topic (the default channels the user joins)."""
    team, user = new_team(quiet_host), new_user(quiet_host)
    join(quiet_host, team.id, user)
    with quiet_host.store.read() as db:
        ids = dict(db.execute("SELECT name, id FROM channels WHERE team_id=?", (team.id,)))
    events = quiet_host.events("user_added")
    assert [e["broadcast"] for e in events] == [
        {"channel_id": ids["town-square"]}, {"channel_id": ids["off-topic"]},
    ]
    assert all(e["data"] == {"user_id": user, "team_id": team.id} for e in events)
    join(quiet_host, team.id, user)
    assert len(quiet_host.events("user_added")) == 2


@pytest.mark.parity("CreateTeamMember", f"{TEAMS_SVC}: (*TeamService).JoinUserToTeam")
def test_joining_again_returns_the_member_without_the_hook(quiet_host: Host) -> None:
    """Adding a current member returns the membership; no hook fires, and only AddTeamMember's
    added_to_team event is sent."""
    rsp = join(quiet_host, quiet_host.info.teams["acme"], quiet_host.user("alice"))
    assert not rsp.error.id and rsp.team_member.user_id == quiet_host.user("alice")
    assert quiet_host.hooks.named("UserHasJoinedTeam") == []
    assert len(quiet_host.events("added_to_team")) == 1


@pytest.mark.parity("CreateTeamMember", f"{TEAM_APP}: (*App).AddUserToTeam")
def test_joining_an_unknown_team_or_user_is_404(host: Host) -> None:
    """An unknown team is 404 `app.team.get.find.app_error` (checked first); an unknown user
    is 404 `app.user.missing_account.const`."""
    assert error_of(join(host, "t" * 26, "u" * 26)) == (404, "app.team.get.find.app_error")
    assert error_of(join(host, host.info.teams["acme"], "u" * 26)) == (
        404,
        "app.user.missing_account.const",
    )


@pytest.mark.parity("CreateTeamMember", f"{TEAMS_SVC}: (*TeamService).JoinUserToTeam")
def test_a_guest_joins_as_team_guest_without_default_channels(host: Host) -> None:
    """A guest user becomes a ``team_guest`` member and joins no default channel."""
    team, guest = new_team(host), new_user(host, roles="system_guest")
    member = join(host, team.id, guest).team_member
    assert (member.roles, member.scheme_guest, member.scheme_user) == ("team_guest", True, False)
    assert channel_names(host, guest, team.id) == {}


@pytest.mark.parity(
    "CreateTeamMember", f"{TEAMS_SVC}: (*TeamService).JoinUserToTeam; {TEAM_APP}: JoinUserToTeam"
)
def test_the_user_with_the_teams_email_joins_as_admin(host: Host) -> None:
    """The user whose email is the team's becomes team admin and admin of the default
    channels."""
    owner = new_user(host, email="owner-crew@example.com")
    team = new_team(host, email="owner-crew@example.com")
    member = join(host, team.id, owner).team_member
    assert member.roles == "team_user team_admin" and member.scheme_admin
    assert "channel_admin" in channel_names(host, owner, team.id)["town-square"]


@pytest.mark.parity("CreateTeamMember", "server/channels/app/teams/utils.go: IsTeamEmailAllowed")
def test_joining_checks_the_allowed_email_domains_except_for_bots(host: Host) -> None:
    """A user whose email domain the team does not allow is 400
    `api.team.join_user_to_team.allowed_domains.app_error`; bots are not checked."""
    team = new_team(host, allowed_domains="@corp.example, other.example")
    assert error_of(join(host, team.id, new_user(host))) == (
        400,
        "api.team.join_user_to_team.allowed_domains.app_error",
    )
    assert not join(host, team.id, new_user(host, email="x@corp.example")).error.id
    assert not join(host, team.id, host.user("helper-bot")).error.id


@pytest.mark.parity(
    "CreateTeamMember", f"{TEAMS_SVC}: JoinUserToTeam; {TEAM_STORE}: SaveMultipleMembers"
)
def test_a_full_team_refuses_new_and_returning_members(host: Host) -> None:
    """At TeamSettings.MaxUsersPerTeam a new member is 400
    `app.team.join_user_to_team.save_member.max_accounts.app_error` and a returning one 400
    `app.team.join_user_to_team.max_accounts.app_error`."""
    team = new_team(host)
    first, second, newcomer = new_user(host), new_user(host), new_user(host)
    join(host, team.id, first)
    join(host, team.id, second)
    leave(host, team.id, first)
    join(host, team.id, newcomer)
    with server_setting(host, "TeamSettings", "MaxUsersPerTeam", 2):
        assert error_of(join(host, team.id, new_user(host))) == (
            400,
            "app.team.join_user_to_team.save_member.max_accounts.app_error",
        )
        assert error_of(join(host, team.id, first)) == (
            400,
            "app.team.join_user_to_team.max_accounts.app_error",
        )


@pytest.mark.parity("CreateTeamMember", f"{TEAMS_SVC}: (*TeamService).JoinUserToTeam")
def test_a_returning_member_starts_over(host: Host) -> None:
    """A user who left and is added again gets a fresh membership: new create_at, roles from
    scheme only (earlier explicit roles and admin are gone)."""
    team, user = new_team(host), new_user(host)
    before = join(host, team.id, user).team_member
    host.api.UpdateTeamMemberRoles(
        pb.UpdateTeamMemberRolesRequest(
            team_id=team.id, user_id=user, new_roles="team_user team_admin"
        )
    )
    leave(host, team.id, user)
    back = join(host, team.id, user).team_member
    assert (back.roles, back.delete_at) == ("team_user", 0)
    assert back.create_at > before.create_at


@pytest.mark.parity("CreateTeamMember", f"{TEAM_APP}: (*App).AddUserToTeam")
def test_a_user_can_join_an_archived_team(host: Host) -> None:
    """Joining does not check that the team is archived."""
    team = new_team(host)
    host.api.DeleteTeam(pb.DeleteTeamRequest(team_id=team.id))
    assert not join(host, team.id, new_user(host)).error.id


# -- CreateTeamMembers / Gracefully ------------------------------------------------------------
@pytest.mark.parity("CreateTeamMembers", f"{TEAM_APP}: (*App).AddTeamMembers")
def test_create_team_members_stops_at_the_first_error_keeping_earlier_ones(host: Host) -> None:
    """The users are added in order; the first failure is the call's error, and the users
    added before it stay members."""
    team, ok_user = new_team(host), new_user(host)
    rsp = host.api.CreateTeamMembers(
        pb.CreateTeamMembersRequest(team_id=team.id, user_ids=[ok_user, "u" * 26, new_user(host)])
    )
    assert error_of(rsp) == (404, "app.user.missing_account.const")
    members = host.api.GetTeamMembers(
        pb.GetTeamMembersRequest(team_id=team.id, page=0, per_page=10)
    ).team_members
    assert [m.user_id for m in members] == [ok_user]


@pytest.mark.parity("CreateTeamMembers", f"{TEAM_APP}: (*App).JoinUserToTeam")
def test_the_requestor_is_the_hooks_actor(quiet_host: Host) -> None:
    """The requestor is passed to UserHasJoinedTeam as the actor."""
    team = new_team(quiet_host)
    quiet_host.api.CreateTeamMembers(
        pb.CreateTeamMembersRequest(
            team_id=team.id, user_ids=[new_user(quiet_host)], requestor_id=quiet_host.user("admin")
        )
    )
    (joined,) = quiet_host.hooks.named("UserHasJoinedTeam")
    assert joined.actor.username == "admin"


@pytest.mark.parity("CreateTeamMembersGracefully", f"{TEAM_APP}: (*App).AddTeamMembers")
def test_gracefully_reports_each_users_error_and_adds_the_others(host: Host) -> None:
    """Each user gets either a member or the AppError that stopped it; the others are added."""
    team, ok_user = new_team(host), new_user(host)
    rsp = host.api.CreateTeamMembersGracefully(
        pb.CreateTeamMembersGracefullyRequest(team_id=team.id, user_ids=["u" * 26, ok_user])
    )
    bad, ok = rsp.team_members
    assert (bad.user_id, bad.error.status_code, bad.error.id) == (
        "u" * 26,
        404,
        "app.user.missing_account.const",
    )
    assert ok.member.user_id == ok_user and not ok.error.id


# -- DeleteTeamMember --------------------------------------------------------------------------
@pytest.mark.parity(
    "DeleteTeamMember", f"{TEAM_APP}: (*App).LeaveTeam; {TEAMS_SVC}: RemoveTeamMember"
)
def test_leaving_leaves_the_teams_channels_and_tells_everyone(quiet_host: Host) -> None:
    """The user leaves every channel of the team; leave_team goes to the team (without the
    user) and to the user; UserHasLeftTeam gets the actor and the member with its roles
    cleared."""
    team, user = new_team(quiet_host), new_user(quiet_host)
    join(quiet_host, team.id, user)
    assert not leave(quiet_host, team.id, user, quiet_host.user("admin")).error.id
    assert channel_names(quiet_host, user, team.id) == {}
    broadcasts = [e["broadcast"] for e in quiet_host.events("leave_team")]
    assert broadcasts == [{"team_id": team.id, "omit_users": {user: True}}, {"user_id": user}]
    (left,) = quiet_host.hooks.named("UserHasLeftTeam")
    assert left.actor.username == "admin" and left.team_member.roles == ""
    assert left.team_member.delete_at > 0


@pytest.mark.parity("DeleteTeamMember", f"{TEAM_APP}: (*App).RemoveUserFromTeam, (*App).LeaveTeam")
def test_removing_someone_who_is_not_a_member(host: Host) -> None:
    """A user who never was a member is 400 `api.team.remove_user_from_team.missing.app_error`;
    an unknown team is 404 `app.team.get_by_invite_id.finding.app_error`; an unknown user 404
    `app.user.missing_account.const`."""
    team = new_team(host)
    assert error_of(leave(host, team.id, host.user("bob"))) == (
        400,
        "api.team.remove_user_from_team.missing.app_error",
    )
    assert error_of(leave(host, "t" * 26, host.user("bob"))) == (
        404,
        "app.team.get_by_invite_id.finding.app_error",
    )
    assert error_of(leave(host, team.id, "u" * 26)) == (404, "app.user.missing_account.const")


@pytest.mark.parity("DeleteTeamMember", f"{TEAM_APP}: (*App).LeaveTeam")
def test_removing_a_member_twice_is_not_an_error(quiet_host: Host) -> None:
    """Removing a user who already left succeeds again (and UserHasLeftTeam fires again)."""
    team, user = new_team(quiet_host), new_user(quiet_host)
    join(quiet_host, team.id, user)
    leave(quiet_host, team.id, user)
    assert not leave(quiet_host, team.id, user).error.id
    assert len(quiet_host.hooks.named("UserHasLeftTeam")) == 2


@pytest.mark.parity("DeleteTeamMember", f"{TEAM_APP}: (*App).postProcessTeamMemberLeave")
def test_leaving_drops_the_users_team_preferences(host: Host) -> None:
    """Preferences whose category is the team's id are deleted when the user leaves."""
    team, user = new_team(host), new_user(host)
    join(host, team.id, user)
    with host.store.tx() as db:
        db.execute(
            "INSERT INTO preferences(user_id, category, name, value) VALUES(?,?,?,?)",
            (user, team.id, "last_channel", "x"),
        )
    leave(host, team.id, user)
    with host.store.read() as db:
        kept = db.execute(
            "SELECT count(*) FROM preferences WHERE user_id=? AND category=?", (user, team.id)
        ).fetchone()[0]
    assert kept == 0


# -- reads ------------------------------------------------------------------------------------
@pytest.mark.parity("GetTeamMember", f"{TEAM_APP}: (*App).GetTeamMember; {TEAM_STORE}: GetMember")
def test_get_team_member_returns_a_left_membership(host: Host) -> None:
    """A user who left is still returned (delete_at set); one who never joined is 404
    `app.team.get_member.missing.app_error`."""
    team, user = new_team(host), new_user(host)
    join(host, team.id, user)
    leave(host, team.id, user)
    left = host.api.GetTeamMember(pb.GetTeamMemberRequest(team_id=team.id, user_id=user))
    assert not left.error.id and left.team_member.delete_at > 0
    never = host.api.GetTeamMember(pb.GetTeamMemberRequest(team_id=team.id, user_id="u" * 26))
    assert error_of(never) == (404, "app.team.get_member.missing.app_error")


def members_page(host: Host, team_id: str, page: int, per_page: int) -> pb.GetTeamMembersResponse:
    return host.api.GetTeamMembers(
        pb.GetTeamMembersRequest(team_id=team_id, page=page, per_page=per_page)
    )


@pytest.mark.parity("GetTeamMembers", f"{PLUGIN_API}: GetTeamMembers; {TEAM_STORE}: GetMembers")
def test_get_team_members_pages_exactly(host: Host) -> None:
    """per_page rows from page*per_page, ordered by user id, current members only; per_page 0
    gives none and there is no cap."""
    team = new_team(host)
    users = sorted(new_user(host) for _ in range(3))
    host.api.CreateTeamMembers(pb.CreateTeamMembersRequest(team_id=team.id, user_ids=users))
    leave(host, team.id, users[1])
    current = [users[0], users[2]]
    assert [m.user_id for m in members_page(host, team.id, 0, 1000).team_members] == current
    assert [m.user_id for m in members_page(host, team.id, 1, 1).team_members] == current[1:]
    assert list(members_page(host, team.id, 0, 0).team_members) == []


@pytest.mark.parity("GetTeamMembers", f"{TEAM_APP}: (*App).GetTeamMembers")
def test_get_team_members_of_an_unknown_team_is_empty_and_negative_paging_fails(
    host: Host,
) -> None:
    """An unknown team has no members (no error); a negative page or per_page makes the
    server's query fail: 500 `app.team.get_members.app_error`."""
    rsp = members_page(host, "t" * 26, 0, 10)
    assert not rsp.error.id and list(rsp.team_members) == []
    assert error_of(members_page(host, host.info.teams["acme"], -1, 10)) == (
        500,
        "app.team.get_members.app_error",
    )


@pytest.mark.parity(
    "GetTeamMembersForUser", f"{TEAM_STORE}: (SqlTeamStore).GetTeamsForUserWithPagination"
)
def test_team_members_for_user_include_left_teams(host: Host) -> None:
    """A user's memberships include the teams they left (delete_at set); per_page 0 gives
    none."""
    team, user = new_team(host), new_user(host)
    join(host, team.id, user)
    leave(host, team.id, user)
    rsp = host.api.GetTeamMembersForUser(
        pb.GetTeamMembersForUserRequest(user_id=user, page=0, per_page=10)
    )
    assert [(m.team_id, m.delete_at > 0) for m in rsp.team_members] == [(team.id, True)]
    none = host.api.GetTeamMembersForUser(
        pb.GetTeamMembersForUserRequest(user_id=user, page=0, per_page=0)
    )
    assert list(none.team_members) == []


# -- UpdateTeamMemberRoles --------------------------------------------------------------------
def set_roles(
    host: Host, team_id: str, user_id: str, roles: str
) -> pb.UpdateTeamMemberRolesResponse:
    return host.api.UpdateTeamMemberRoles(
        pb.UpdateTeamMemberRolesRequest(team_id=team_id, user_id=user_id, new_roles=roles)
    )


@pytest.mark.parity("UpdateTeamMemberRoles", f"{TEAM_APP}: (*App).UpdateTeamMemberRoles")
def test_update_roles_turns_scheme_roles_into_flags_after_explicit_roles(quiet_host: Host) -> None:
    """Team scheme roles set the scheme flags; other roles stay explicit and come first in
    ``roles``; the user gets memberrole_updated."""
    team, user = new_team(quiet_host), new_user(quiet_host)
    join(quiet_host, team.id, user)
    with quiet_host.store.tx() as db:
        db.execute("INSERT INTO roles(name, permissions) VALUES('crew_chief', '[]')")
    member = set_roles(quiet_host, team.id, user, "team_admin crew_chief team_user").team_member
    assert member.roles == "crew_chief team_user team_admin"
    assert (member.scheme_user, member.scheme_admin) == (True, True)
    (event,) = quiet_host.events("memberrole_updated")
    assert event["broadcast"] == {"user_id": user}


@pytest.mark.parity("UpdateTeamMemberRoles", f"{TEAM_APP}: (*App).UpdateTeamMemberRoles")
def test_update_roles_refuses_unknown_and_foreign_scheme_roles(host: Host) -> None:
    """An unknown role is 400 `app.role.get_by_name.app_error`; a scheme role of another scope
    (``system_admin``) is 400 `api.channel.update_team_member_roles.scheme_role.app_error`."""
    acme, bob = host.info.teams["acme"], host.user("bob")
    assert error_of(set_roles(host, acme, bob, "team_emperor")) == (
        400,
        "app.role.get_by_name.app_error",
    )
    assert error_of(set_roles(host, acme, bob, "team_user system_admin")) == (
        400,
        "api.channel.update_team_member_roles.scheme_role.app_error",
    )


@pytest.mark.parity("UpdateTeamMemberRoles", f"{TEAM_APP}: (*App).UpdateTeamMemberRoles")
def test_update_roles_cannot_add_or_remove_the_guest_role(host: Host) -> None:
    """Making a member a guest (or a guest not one) is 400
    `api.channel.update_team_member_roles.changing_guest_role.app_error`."""
    acme, bob = host.info.teams["acme"], host.user("bob")
    assert error_of(set_roles(host, acme, bob, "team_guest")) == (
        400,
        "api.channel.update_team_member_roles.changing_guest_role.app_error",
    )


@pytest.mark.parity(
    "UpdateTeamMemberRoles", f"{TEAM_APP}: (*App).UpdateTeamMemberRoles; {TEAM_STORE}: GetMember"
)
def test_update_roles_of_a_non_member_is_404_but_a_left_member_works(host: Host) -> None:
    """A user who never joined is 404 `app.team.get_member.missing.app_error`; a member who
    left can still have roles set."""
    team, user = new_team(host), new_user(host)
    assert error_of(set_roles(host, team.id, user, "team_user")) == (
        404,
        "app.team.get_member.missing.app_error",
    )
    join(host, team.id, user)
    leave(host, team.id, user)
    assert not set_roles(host, team.id, user, "team_user team_admin").error.id


# -- join and leave messages -------------------------------------------------------------------
JOIN_DEFAULTS = "server/channels/app/channel.go: (*App).JoinDefaultChannels"
LEAVE_TEAM = f"{TEAM_APP}: (*App).LeaveTeam"
LEAVE_JOIN = "ExperimentalEnableDefaultChannelLeaveJoinMessages"


def team_posts(host: Host, team_id: str) -> dict[str, list[tuple[str, str]]]:
    """channel name -> (type, message) of its posts, newest first, for the team's channels."""
    with host.store.read() as db:
        ids = dict(db.execute("SELECT name, id FROM channels WHERE team_id=?", (team_id,)))
    return {name: posts_of(host, channel_id) for name, channel_id in ids.items()}


def username(host: Host, user_id: str) -> str:
    with host.store.read() as db:
        return get_user(db, user_id).username


@pytest.mark.parity("CreateTeamMember", f"{JOIN_DEFAULTS}, (*App).postJoinMessageForDefaultChannel")
def test_joining_posts_the_join_messages_in_the_default_channels(quiet_host: Host) -> None:
    """The new member posts 'NAME joined the team.' (`system_join_team`) in town-square and
    'NAME joined the channel.' (`system_join_channel`) in off-topic; plugins get both."""
    team, user = new_team(quiet_host), new_user(quiet_host)
    join(quiet_host, team.id, user)
    name = username(quiet_host, user)
    assert team_posts(quiet_host, team.id) == {
        "town-square": [("system_join_team", f"{name} joined the team.")],
        "off-topic": [("system_join_channel", f"{name} joined the channel.")],
    }
    posted = quiet_host.hooks.named("MessageHasBeenPosted")
    assert [(p.post.user_id, dict(p.post.props)) for p in posted] == [
        (user, {"username": name}),
        (user, {"username": name}),
    ]
    assert len(quiet_host.events("posted")) == 2


@pytest.mark.parity("CreateTeamMember", JOIN_DEFAULTS)
def test_joining_posts_in_a_default_channel_the_user_was_already_in(quiet_host: Host) -> None:
    """A user who was already a member of off-topic (but not of the team) keeps that
    membership, and joining the team still posts 'NAME joined the channel.' there and sends
    the channel `user_added`, as for a channel the user joins."""
    team, user = new_team(quiet_host), new_user(quiet_host)
    with quiet_host.store.tx() as db:
        (off_topic,) = db.execute(
            "SELECT id FROM channels WHERE team_id=? AND name='off-topic'", (team.id,)
        ).fetchone()
        seeded = new_channel_member(off_topic, user, 1, admin=True)
        db.execute(*conv.insert_sql("channel_members", conv.channel_member_to_row(seeded)))
    assert not join(quiet_host, team.id, user).error.id
    name = username(quiet_host, user)
    assert team_posts(quiet_host, team.id)["off-topic"] == [
        ("system_join_channel", f"{name} joined the channel.")]
    added = [e["broadcast"]["channel_id"] for e in quiet_host.events("user_added")]
    assert added[-1] == off_topic
    assert channel_names(quiet_host, user, team.id)["off-topic"] == "channel_user channel_admin"


@pytest.mark.parity(
    ("CreateTeamMembers", "CreateTeamMembersGracefully"),
    f"{JOIN_DEFAULTS}, (*App).postAddToTeamMessage, (*App).PostAddToChannelMessage",
)
def test_joining_by_a_requestor_posts_the_added_messages(quiet_host: Host) -> None:
    """Added by a requestor, the requestor posts 'NAME added to the team by ADMIN.'
    (`system_add_to_team`) in town-square and 'NAME added to the channel by ADMIN.'
    (`system_add_to_channel`) in off-topic, naming both users in the props."""
    team, user, admin = new_team(quiet_host), new_user(quiet_host), quiet_host.user("admin")
    quiet_host.api.CreateTeamMembers(
        pb.CreateTeamMembersRequest(team_id=team.id, user_ids=[user], requestor_id=admin)
    )
    name = username(quiet_host, user)
    assert team_posts(quiet_host, team.id) == {
        "town-square": [("system_add_to_team", f"{name} added to the team by admin.")],
        "off-topic": [("system_add_to_channel", f"{name} added to the channel by admin.")],
    }
    props = {"userId": admin, "username": "admin", "addedUserId": user, "addedUsername": name}
    posted = quiet_host.hooks.named("MessageHasBeenPosted")
    assert [(p.post.user_id, dict(p.post.props)) for p in posted] == [(admin, props)] * 2


@pytest.mark.parity("CreateTeamMembers", JOIN_DEFAULTS)
def test_an_unknown_requestor_leaves_the_user_out_of_the_default_channels(host: Host) -> None:
    """An unknown requestor does not stop the join, but the user joins no default channel
    (and nothing is posted)."""
    team, user = new_team(host), new_user(host)
    rsp = host.api.CreateTeamMembers(
        pb.CreateTeamMembersRequest(team_id=team.id, user_ids=[user], requestor_id="r" * 26)
    )
    assert [m.user_id for m in rsp.team_members] == [user]
    assert channel_names(host, user, team.id) == {}
    assert team_posts(host, team.id) == {"town-square": [], "off-topic": []}


@pytest.mark.parity(
    ("CreateTeamMember", "DeleteTeamMember"), f"{JOIN_DEFAULTS}; {LEAVE_TEAM}"
)
def test_the_leave_join_setting_turns_the_team_messages_off(quiet_host: Host) -> None:
    """With ServiceSettings.ExperimentalEnableDefaultChannelLeaveJoinMessages off, joining and
    leaving a team post nothing; the setting is on unless set off."""
    team, user = new_team(quiet_host), new_user(quiet_host)
    with server_setting(quiet_host, "ServiceSettings", LEAVE_JOIN, False):
        join(quiet_host, team.id, user)
        leave(quiet_host, team.id, user, user)
    assert team_posts(quiet_host, team.id) == {"town-square": [], "off-topic": []}
    assert quiet_host.hooks.named("MessageHasBeenPosted") == []
    join(quiet_host, team.id, user)
    assert [kind for kind, _ in team_posts(quiet_host, team.id)["town-square"]] == [
        "system_join_team"
    ]


@pytest.mark.parity(
    "DeleteTeamMember",
    f"{LEAVE_TEAM}, (*App).postLeaveTeamMessage, (*App).postRemoveFromTeamMessage",
)
def test_leaving_posts_left_or_removed_in_town_square(host: Host) -> None:
    """In town-square the user posts 'NAME left the team.' (`system_leave_team`) when they are
    the requestor, else 'NAME removed from the team.' (`system_remove_from_team`)."""
    team, quitter, removed = new_team(host), new_user(host), new_user(host)
    for user in (quitter, removed):
        join(host, team.id, user)
    leave(host, team.id, quitter, quitter)
    leave(host, team.id, removed, host.user("admin"))
    gone, out = username(host, quitter), username(host, removed)
    assert team_posts(host, team.id)["town-square"][:2] == [
        ("system_remove_from_team", f"{out} removed from the team."),
        ("system_leave_team", f"{gone} left the team."),
    ]


def archive_town_square(host: Host, team_id: str) -> None:
    with host.store.tx() as db:
        (channel_id,) = db.execute(
            "SELECT id FROM channels WHERE team_id=? AND name='town-square'", (team_id,)
        ).fetchone()
        channel = get_channel(db, channel_id)
        channel.delete_at = 1
        save_channel(db, channel)


@pytest.mark.parity("DeleteTeamMember", LEAVE_TEAM)
def test_leaving_a_team_without_town_square_is_404_after_leaving_its_channels(
        quiet_host: Host) -> None:
    """With the leave and join messages on and town-square archived, leaving is a 404
    `app.channel.get_by_name.missing.app_error`: the user has left the team's channels but is
    still a member, and UserHasLeftTeam does not run; with the messages off the leave goes
    through."""
    team, user = new_team(quiet_host), new_user(quiet_host)
    join(quiet_host, team.id, user)
    archive_town_square(quiet_host, team.id)
    assert error_of(leave(quiet_host, team.id, user, user)) == (
        404, "app.channel.get_by_name.missing.app_error")
    assert channel_names(quiet_host, user, team.id) == {}
    member = quiet_host.api.GetTeamMember(pb.GetTeamMemberRequest(team_id=team.id, user_id=user))
    assert member.team_member.delete_at == 0
    assert quiet_host.hooks.named("UserHasLeftTeam") == []
    with server_setting(quiet_host, "ServiceSettings", LEAVE_JOIN, False):
        assert not leave(quiet_host, team.id, user, user).error.id
    assert len(quiet_host.hooks.named("UserHasLeftTeam")) == 1


# -- TeamMemberWillBeAdded ---------------------------------------------------------------------
@pytest.mark.parity(
    ("CreateTeamMember", "CreateTeamMembers"),
    f"{TEAM_APP}: (*App).JoinUserToTeam; {TEAMS_SVC}: (*TeamService).JoinUserToTeam",
)
def test_a_plugin_rejecting_the_team_member_is_a_400(quiet_host: Host) -> None:
    """TeamMemberWillBeAdded runs before the membership is saved; a rejection is a 400
    `app.team.join_user_to_team.rejected_by_plugin` naming the reason, and the user
    joins neither the team nor its channels."""
    team, user = new_team(quiet_host), new_user(quiet_host)
    quiet_host.hooks.respond(
        "TeamMemberWillBeAdded", hx.TeamMemberWillBeAddedResponse(rejection_reason="closed")
    )
    try:
        rsp = join(quiet_host, team.id, user)
    finally:
        quiet_host.hooks.forget_answers()
    assert error_of(rsp) == (400, "app.team.join_user_to_team.rejected_by_plugin")
    assert "closed" in rsp.error.message
    asked = quiet_host.hooks.named("TeamMemberWillBeAdded")
    assert {(a.team_member.team_id, a.team_member.user_id) for a in asked} == {(team.id, user)}
    assert error_of(quiet_host.api.GetTeamMember(
        pb.GetTeamMemberRequest(team_id=team.id, user_id=user)
    ))[0] == 404
    assert channel_names(quiet_host, user, team.id) == {}
    assert quiet_host.hooks.named("UserHasJoinedTeam") == []


@pytest.mark.parity("CreateTeamMember", f"{TEAMS_SVC}: (*TeamService).JoinUserToTeam")
def test_a_plugin_may_change_the_team_member_before_it_is_saved(quiet_host: Host) -> None:
    """The member a plugin's TeamMemberWillBeAdded returns is the one saved: here a team admin."""
    team, user = new_team(quiet_host), new_user(quiet_host)
    promoted = team_pb2.TeamMember(
        team_id=team.id, user_id=user, scheme_user=True, scheme_admin=True
    )
    quiet_host.hooks.respond(
        "TeamMemberWillBeAdded", hx.TeamMemberWillBeAddedResponse(modified_team_member=promoted)
    )
    try:
        member = join(quiet_host, team.id, user).team_member
    finally:
        quiet_host.hooks.forget_answers()
    assert (member.roles, member.scheme_admin) == ("team_user team_admin", True)
    stored = quiet_host.api.GetTeamMember(pb.GetTeamMemberRequest(team_id=team.id, user_id=user))
    assert stored.team_member.roles == "team_user team_admin"
