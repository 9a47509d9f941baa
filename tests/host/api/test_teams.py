"""Teams and team members over real gRPC."""

from __future__ import annotations

import itertools
import json

import pytest
from worldhost import Host, start_host

from mmplug.host.api import _convert as conv
from mmplug.host.api.users_profile import default_avatar
from mmplug.protocol import api_kv_config_pb2 as kvc
from mmplug.protocol import api_user_team_pb2 as pb
from mmplug.protocol import team_pb2, user_pb2

OPEN = team_pb2.TEAM_TYPE_OPEN
_n = itertools.count()


pytestmark = pytest.mark.usefixtures("quiet_host")


def error_of(rsp: object) -> tuple[int, str]:
    err = rsp.error  # type: ignore[attr-defined]
    return err.status_code, err.id


def new_team(host: Host, **fields: object) -> team_pb2.Team:
    name = f"team-{next(_n)}"
    values: dict[str, object] = {"name": name, "display_name": name.title(), "type": OPEN}
    values.update(fields)
    rsp = host.api.CreateTeam(pb.CreateTeamRequest(team=team_pb2.Team(**values)))  # type: ignore[arg-type]
    assert not rsp.error.id, rsp.error
    return rsp.team


def new_user(host: Host) -> str:
    name = f"member{next(_n)}"
    user = user_pb2.User(username=name, email=f"{name}@example.com", password="Passw0rd!")
    return host.api.CreateUser(pb.CreateUserRequest(user=user)).user.id


def channel_ids(host: Host, user_id: str, team_id: str) -> set[str]:
    with host.store.read() as db:
        rows = db.execute(
            "SELECT cm.channel_id FROM channel_members cm JOIN channels c "
            "ON c.id=cm.channel_id WHERE cm.user_id=? AND c.team_id=?",
            (user_id, team_id),
        )
        return {r[0] for r in rows}


# -- teams -------------------------------------------------------------------------------
def test_create_team_assigns_id_times_and_invite_id(host: Host) -> None:
    team = new_team(host, name="rockets")
    assert team.name == "rockets" and len(team.id) == 26 and len(team.invite_id) == 26
    assert team.create_at == team.update_at > 0


@pytest.mark.parametrize(
    ("fields", "error_id"),
    [
        ({"display_name": ""}, "model.team.is_valid.name.app_error"),
        ({"name": "-bad-"}, "model.team.is_valid.characters.app_error"),
        ({"name": "a"}, "model.team.is_valid.characters.app_error"),
        ({"name": "Rockets"}, "model.team.is_valid.characters.app_error"),
        ({"name": "x" * 65}, "model.team.is_valid.url.app_error"),
        ({"name": "api"}, "model.team.is_valid.reserved.app_error"),
        ({"name": "acme"}, "app.team.save.existing.app_error"),
        ({"id": "x" * 26}, "app.team.save.existing.app_error"),
    ],
)
def test_create_team_validation(host: Host, fields: dict[str, object], error_id: str) -> None:
    values: dict[str, object] = {"name": f"ok-{next(_n)}", "display_name": "Ok", "type": OPEN}
    values.update(fields)
    rsp = host.api.CreateTeam(pb.CreateTeamRequest(team=team_pb2.Team(**values)))  # type: ignore[arg-type]
    assert error_of(rsp) == (400, error_id)


def test_get_team_by_id_and_name(host: Host) -> None:
    acme = host.info.teams["acme"]
    assert host.api.GetTeam(pb.GetTeamRequest(team_id=acme)).team.name == "acme"
    assert host.api.GetTeamByName(pb.GetTeamByNameRequest(name="acme")).team.id == acme


def test_missing_teams_are_404(host: Host) -> None:
    assert error_of(host.api.GetTeam(pb.GetTeamRequest(team_id="x" * 26))) == (
        404,
        "app.team.get.find.app_error",
    )
    assert error_of(host.api.GetTeamByName(pb.GetTeamByNameRequest(name="nope"))) == (
        404,
        "app.team.get_by_name.missing.app_error",
    )


def test_update_team_changes_display_fields_only(host: Host) -> None:
    team = new_team(host)
    team.display_name, team.description, team.name = "New Name", "About", "hijack"
    rsp = host.api.UpdateTeam(pb.UpdateTeamRequest(team=team))
    assert rsp.team.display_name == "New Name" and rsp.team.description == "About"
    assert rsp.team.name != "hijack"
    assert host.events("update_team")


def test_delete_team_is_soft(host: Host) -> None:
    team = new_team(host, name=f"doomed-{next(_n)}")
    host.api.DeleteTeam(pb.DeleteTeamRequest(team_id=team.id))
    assert host.api.GetTeam(pb.GetTeamRequest(team_id=team.id)).team.delete_at > 0
    listed = {t.id: t.delete_at for t in host.api.GetTeams(pb.GetTeamsRequest()).teams}
    assert listed[team.id] > 0  # GetTeams lists archived teams too, as the server does
    # SearchTeams finds archived teams too, as the server does
    assert [t.id for t in host.api.SearchTeams(pb.SearchTeamsRequest(term="doomed")).teams] == [
        team.id
    ]
    assert host.events("delete_team")


def test_search_teams_by_name_or_display_name(host: Host) -> None:
    new_team(host, name=f"zeta-{next(_n)}", display_name="Omega Squad")
    assert [
        t.display_name for t in host.api.SearchTeams(pb.SearchTeamsRequest(term="zeta")).teams
    ] == ["Omega Squad"]
    assert len(host.api.SearchTeams(pb.SearchTeamsRequest(term="omega")).teams) == 1


def test_teams_for_user(host: Host) -> None:
    teams = host.api.GetTeamsForUser(pb.GetTeamsForUserRequest(user_id=host.user("alice"))).teams
    assert [t.name for t in teams] == ["acme"]


# -- members -----------------------------------------------------------------------------
def test_joining_a_team_joins_its_default_channels_and_fires_the_hook(host: Host) -> None:
    user = new_user(host)
    acme = host.info.teams["acme"]
    rsp = host.api.CreateTeamMember(pb.CreateTeamMemberRequest(team_id=acme, user_id=user))
    assert rsp.team_member.roles == "team_user" and rsp.team_member.scheme_user
    expected = {host.info.channels["town-square"], host.info.channels["off-topic"]}
    assert channel_ids(host, user, acme) == expected
    (req,) = host.hooks.named("UserHasJoinedTeam")
    assert req.team_member.user_id == user  # type: ignore[attr-defined]
    assert host.events("added_to_team")


def test_joining_twice_returns_the_existing_member(host: Host) -> None:
    acme = host.info.teams["acme"]
    rsp = host.api.CreateTeamMember(
        pb.CreateTeamMemberRequest(team_id=acme, user_id=host.user("alice"))
    )
    assert not rsp.error.id and host.hooks.named("UserHasJoinedTeam") == []


def test_join_unknown_team_or_user_is_404(host: Host) -> None:
    acme = host.info.teams["acme"]
    bad_user = pb.CreateTeamMemberRequest(team_id=acme, user_id="x" * 26)
    assert error_of(host.api.CreateTeamMember(bad_user))[0] == 404
    bad_team = pb.CreateTeamMemberRequest(team_id="x" * 26, user_id=host.user("bob"))
    assert error_of(host.api.CreateTeamMember(bad_team))[0] == 404


def test_create_team_members_and_gracefully(host: Host) -> None:
    team = new_team(host)
    users = [new_user(host), new_user(host)]
    rsp = host.api.CreateTeamMembers(
        pb.CreateTeamMembersRequest(
            team_id=team.id, user_ids=users, requestor_id=host.user("admin")
        )
    )
    assert [m.user_id for m in rsp.team_members] == users
    joined = host.hooks.named("UserHasJoinedTeam")
    assert joined[0].actor.username == "admin"  # type: ignore[attr-defined]
    graceful = host.api.CreateTeamMembersGracefully(
        pb.CreateTeamMembersGracefullyRequest(team_id=team.id, user_ids=[new_user(host), "x" * 26])
    )
    ok, bad = graceful.team_members
    assert ok.member.team_id == team.id and not ok.error.id
    assert bad.error.status_code == 404 and bad.user_id == "x" * 26


def test_leaving_a_team_leaves_its_channels_and_can_rejoin(host: Host) -> None:
    user = new_user(host)
    acme = host.info.teams["acme"]
    host.api.CreateTeamMember(pb.CreateTeamMemberRequest(team_id=acme, user_id=user))
    rsp = host.api.DeleteTeamMember(
        pb.DeleteTeamMemberRequest(team_id=acme, user_id=user, requestor_id=host.user("admin"))
    )
    assert not rsp.error.id
    assert channel_ids(host, user, acme) == set()
    (left,) = host.hooks.named("UserHasLeftTeam")
    assert left.actor.username == "admin"  # type: ignore[attr-defined]
    left_member = host.api.GetTeamMember(pb.GetTeamMemberRequest(team_id=acme, user_id=user))
    assert left_member.team_member.delete_at > 0  # the server keeps the left membership
    again = host.api.CreateTeamMember(pb.CreateTeamMemberRequest(team_id=acme, user_id=user))
    assert again.team_member.delete_at == 0


def test_removing_a_non_member_is_400(host: Host) -> None:
    team = new_team(host)
    req = pb.DeleteTeamMemberRequest(team_id=team.id, user_id=host.user("bob"))
    assert error_of(host.api.DeleteTeamMember(req)) == (
        400,
        "api.team.remove_user_from_team.missing.app_error",
    )


def test_team_members_paging_and_for_user(host: Host) -> None:
    team = new_team(host)
    users = sorted(new_user(host) for _ in range(3))
    host.api.CreateTeamMembers(pb.CreateTeamMembersRequest(team_id=team.id, user_ids=users))
    pages = [
        host.api.GetTeamMembers(
            pb.GetTeamMembersRequest(team_id=team.id, page=p, per_page=2)
        ).team_members
        for p in (0, 1)
    ]
    assert [m.user_id for page in pages for m in page] == users
    mine = host.api.GetTeamMembersForUser(
        pb.GetTeamMembersForUserRequest(user_id=users[0], page=0, per_page=10)
    ).team_members
    assert [m.team_id for m in mine] == [team.id]


def test_update_team_member_roles_sets_scheme_flags(host: Host) -> None:
    acme = host.info.teams["acme"]
    req = pb.UpdateTeamMemberRolesRequest(
        team_id=acme, user_id=host.user("bob"), new_roles="team_user team_admin"
    )
    member = host.api.UpdateTeamMemberRoles(req).team_member
    assert member.scheme_admin and member.scheme_user
    assert host.events("memberrole_updated")
    bad = pb.UpdateTeamMemberRolesRequest(
        team_id=acme, user_id=host.user("bob"), new_roles="team_emperor"
    )
    assert error_of(host.api.UpdateTeamMemberRoles(bad)) == (400, "app.role.get_by_name.app_error")
    host.api.UpdateTeamMemberRoles(
        pb.UpdateTeamMemberRolesRequest(
            team_id=acme, user_id=host.user("bob"), new_roles="team_user"
        )
    )


def test_team_stats_count_active_members(host: Host) -> None:
    team = new_team(host)
    users = [new_user(host), new_user(host)]
    host.api.CreateTeamMembers(pb.CreateTeamMembersRequest(team_id=team.id, user_ids=users))
    host.api.UpdateUserActive(pb.UpdateUserActiveRequest(user_id=users[0], active=False))
    stats = host.api.GetTeamStats(pb.GetTeamStatsRequest(team_id=team.id)).team_stats
    assert (stats.total_member_count, stats.active_member_count) == (2, 1)


def test_team_unreads_come_from_channel_counts(host: Host) -> None:
    user = host.user("alice")
    town = host.info.channels["town-square"]
    with host.store.tx() as db:
        row = db.execute("SELECT * FROM channels WHERE id=?", (town,)).fetchone()
        channel = conv.channel_from_row(row)
        channel.total_msg_count = 5
        db.execute(*conv.update_sql("channels", conv.channel_to_row(channel), ["id"]))
        row = db.execute(
            "SELECT * FROM channel_members WHERE channel_id=? AND user_id=?", (town, user)
        ).fetchone()
        member = conv.channel_member_from_row(row)
        member.msg_count, member.mention_count = 2, 1
        db.execute(
            *conv.update_sql(
                "channel_members", conv.channel_member_to_row(member), ["channel_id", "user_id"]
            )
        )
    (unread,) = host.api.GetTeamsUnreadForUser(
        pb.GetTeamsUnreadForUserRequest(user_id=user)
    ).team_unreads
    assert (unread.team_id, unread.msg_count, unread.mention_count) == (
        host.info.teams["acme"],
        3,
        1,
    )


def test_max_users_per_team_is_enforced() -> None:
    with start_host() as h:
        cfg = json.loads(h.api.GetUnsanitizedConfig(kvc.GetUnsanitizedConfigRequest()).config_json)
        cfg["TeamSettings"]["MaxUsersPerTeam"] = 4
        h.api.SaveConfig(kvc.SaveConfigRequest(config_json=json.dumps(cfg).encode()))
        rsp = h.api.CreateTeamMember(
            pb.CreateTeamMemberRequest(team_id=h.info.teams["acme"], user_id=new_user(h))
        )
        assert error_of(rsp) == (
            400,
            "app.team.join_user_to_team.save_member.max_accounts.app_error",
        )


# -- icons -------------------------------------------------------------------------------
def test_team_icon_lifecycle(host: Host) -> None:
    team = new_team(host)
    missing = host.api.GetTeamIcon(pb.GetTeamIconRequest(team_id=team.id))
    assert error_of(missing)[0] == 404
    png = default_avatar("team")
    assert not host.api.SetTeamIcon(pb.SetTeamIconRequest(team_id=team.id, data=png)).error.id
    assert host.api.GetTeamIcon(pb.GetTeamIconRequest(team_id=team.id)).icon == png
    assert host.api.GetTeam(pb.GetTeamRequest(team_id=team.id)).team.last_team_icon_update > 0
    host.api.RemoveTeamIcon(pb.RemoveTeamIconRequest(team_id=team.id))
    # the server only clears last_team_icon_update: the icon file is still there
    assert host.api.GetTeamIcon(pb.GetTeamIconRequest(team_id=team.id)).icon == png
    assert host.api.GetTeam(pb.GetTeamRequest(team_id=team.id)).team.last_team_icon_update == 0


def test_team_icon_must_be_an_image(host: Host) -> None:
    req = pb.SetTeamIconRequest(team_id=host.info.teams["acme"], data=b"<svg/>")
    assert error_of(host.api.SetTeamIcon(req)) == (400, "api.team.set_team_icon.decode.app_error")


def test_team_member_roles_reject_foreign_scheme_roles_and_guest_plus_user(host: Host) -> None:
    acme, bob = host.info.teams["acme"], host.user("bob")
    req = pb.UpdateTeamMemberRolesRequest
    foreign = host.api.UpdateTeamMemberRoles(
        req(team_id=acme, user_id=bob, new_roles="channel_admin")
    )
    assert error_of(foreign) == (400, "api.channel.update_team_member_roles.scheme_role.app_error")
    both = host.api.UpdateTeamMemberRoles(
        req(team_id=acme, user_id=bob, new_roles="team_guest team_user")
    )
    assert error_of(both) == (400, "api.team.update_team_member_roles.guest_and_user.app_error")
    assert (
        host.api.GetTeamMember(pb.GetTeamMemberRequest(team_id=acme, user_id=bob)).team_member.roles
        == "team_user"
    )
