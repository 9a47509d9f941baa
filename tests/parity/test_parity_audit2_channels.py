"""Server parity of the channel rpcs, second audit: direct channels under
TeamSettings.RestrictDirectMessage, CreateChannel's trimmed fields."""

from __future__ import annotations

import pytest
from parity_channel_world import DIRECT, channel, error, make_user, setting
from test_parity_direct_channels import dm
from worldhost import Host

from mmplug.protocol import api_channel_post_pb2 as cp
from mmplug.protocol import api_user_team_pb2 as pb
from mmplug.protocol import team_pb2

APP = "server/channels/app/channel.go"
TEAM_STORE = "server/channels/store/sqlstore/team_store.go"
RESTRICTED = (403, "api.channel.create_channel.direct_channel.team_restricted_error")


def _archived_team_of(host: Host, *user_ids: str) -> None:
    rsp = host.api.CreateTeam(
        pb.CreateTeamRequest(team=team_pb2.Team(name=f"gone-{user_ids[0][:6]}",
                                                display_name="Gone"))
    )
    assert not rsp.error.id, rsp.error
    for user_id in user_ids:
        added = host.api.CreateTeamMember(
            pb.CreateTeamMemberRequest(team_id=rsp.team.id, user_id=user_id)
        )
        assert not added.error.id, added.error
    assert not host.api.DeleteTeam(pb.DeleteTeamRequest(team_id=rsp.team.id)).error.id


@pytest.mark.parity(
    "GetDirectChannel",
    f"{APP}: (*App).GetOrCreateDirectChannel; "
    f"{TEAM_STORE}: (SqlTeamStore).GetCommonTeamIDsForTwoUsers",
)
def test_restricted_direct_messages_do_not_count_archived_teams(host: Host) -> None:
    """With TeamSettings.RestrictDirectMessage "team", a common team that is archived does
    not count: the direct channel is a 403."""
    one, two = make_user(host, in_team=False), make_user(host, in_team=False)
    _archived_team_of(host, one, two)
    with setting(host, "TeamSettings.RestrictDirectMessage", "team"):
        assert error(dm(host, one, two)) == RESTRICTED


@pytest.mark.parity(
    "GetDirectChannel",
    f"{APP}: (*App).GetOrCreateDirectChannel; "
    f"{TEAM_STORE}: (SqlTeamStore).GetCommonTeamIDsForTwoUsers",
)
def test_restricted_direct_message_with_oneself_needs_a_team(host: Host) -> None:
    """With TeamSettings.RestrictDirectMessage "team", a user in no team cannot open a
    direct channel with themselves (403); a team member can."""
    loner, member = make_user(host, in_team=False), make_user(host)
    with setting(host, "TeamSettings.RestrictDirectMessage", "team"):
        assert error(dm(host, loner, loner)) == RESTRICTED
        assert dm(host, member, member).channel.type == DIRECT


@pytest.mark.parity("CreateChannel", f"{APP}: (*App).CreateChannel")
def test_create_channel_trims_the_default_category_name(host: Host) -> None:
    """Spaces around `default_category_name` are removed, as around the display name, and
    the channel is stored so."""
    made = channel(host, default_category_name="  Projects \t")
    assert made.default_category_name == "Projects"
    got = host.api.GetChannel(cp.GetChannelRequest(channel_id=made.id)).channel
    assert got.default_category_name == "Projects"
