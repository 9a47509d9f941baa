"""Server parity of the team member rpcs, second audit: paging as the server's store
converts it, team admins by a linked admin group."""

from __future__ import annotations

import pytest
from test_parity_groups import add_members, licensed, make
from test_parity_teams_members import (
    channel_names,
    error_of,
    join,
    members_page,
    new_team,
    new_user,
)
from worldhost import Host

from mmplug.protocol import api_remaining_pb2 as rem

TEAM_STORE = "server/channels/store/sqlstore/team_store.go"
TEAMS_SVC = "server/channels/app/teams/teams.go"
TEAM_APP = "server/channels/app/team.go"


@pytest.mark.parity("GetTeamMembers", f"{TEAM_STORE}: (SqlTeamStore).GetMembers (uint64 paging)")
def test_get_team_members_negative_page_of_no_rows_is_empty(host: Host) -> None:
    """The offset `page * per_page` and the limit `per_page` go to the database as unsigned
    numbers: a negative page of 0 rows is an empty list (no error), a negative offset a 500
    `app.team.get_members.app_error`."""
    team = host.info.teams["acme"]
    rsp = members_page(host, team, -1, 0)
    assert not rsp.error.id and list(rsp.team_members) == []
    assert error_of(members_page(host, team, -2, 3)) == (500, "app.team.get_members.app_error")


@pytest.mark.parity(
    "CreateTeamMember",
    f"{TEAMS_SVC}: (*TeamService).JoinUserToTeam; {TEAM_APP}: (*App).JoinUserToTeam",
)
def test_a_member_of_an_admin_group_joins_as_team_admin(host: Host) -> None:
    """A user in a group linked to the team with `scheme_admin` becomes a team admin on
    joining (the default channels only make the team's email user their admin); others
    join as plain members."""
    team = new_team(host)
    boss, other = new_user(host), new_user(host)
    admins = make(host).group
    add_members(host, admins.id, boss)
    link = rem.GroupSyncable(
        group_id=admins.id, syncable_id=team.id, syncable_type="Team", scheme_admin=True
    )
    with licensed(host):
        rsp = host.api.UpsertGroupSyncable(rem.UpsertGroupSyncableRequest(group_syncable=link))
    assert not rsp.HasField("error"), rsp.error
    member = join(host, team.id, boss).team_member
    assert member.scheme_admin and member.roles.split() == ["team_user", "team_admin"]
    assert channel_names(host, boss, team.id)["town-square"] == "channel_user"
    plain = join(host, team.id, other).team_member
    assert not plain.scheme_admin and plain.roles == "team_user"
