"""Server parity of the team member rpcs, second audit: paging as the server's store
converts it."""

from __future__ import annotations

import pytest
from test_parity_teams_members import error_of, members_page
from worldhost import Host

TEAM_STORE = "server/channels/store/sqlstore/team_store.go"


@pytest.mark.parity("GetTeamMembers", f"{TEAM_STORE}: (SqlTeamStore).GetMembers (uint64 paging)")
def test_get_team_members_negative_page_of_no_rows_is_empty(host: Host) -> None:
    """The offset `page * per_page` and the limit `per_page` go to the database as unsigned
    numbers: a negative page of 0 rows is an empty list (no error), a negative offset a 500
    `app.team.get_members.app_error`."""
    team = host.info.teams["acme"]
    rsp = members_page(host, team, -1, 0)
    assert not rsp.error.id and list(rsp.team_members) == []
    assert error_of(members_page(host, team, -2, 3)) == (500, "app.team.get_members.app_error")
