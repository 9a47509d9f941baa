"""Server parity of the channel rpcs, second audit: direct channels under
TeamSettings.RestrictDirectMessage, CreateChannel's trimmed fields, AddChannelMember and
the groups linked to a channel."""

from __future__ import annotations

import pytest
from parity_channel_world import DIRECT, channel, error, join, make_user, setting, team
from test_parity_direct_channels import dm
from test_parity_groups import add_members, licensed, make
from worldhost import Host

from mmplug.protocol import api_channel_post_pb2 as cp
from mmplug.protocol import api_remaining_pb2 as rem
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


def _link(host: Host, group_id: str, channel_id: str, *, admin: bool = False) -> None:
    link = rem.GroupSyncable(
        group_id=group_id, syncable_id=channel_id, syncable_type="Channel", scheme_admin=admin
    )
    with licensed(host):
        rsp = host.api.UpsertGroupSyncable(rem.UpsertGroupSyncableRequest(group_syncable=link))
    assert not rsp.HasField("error"), rsp.error


def _add(host: Host, channel_id: str, user_id: str) -> cp.AddChannelMemberResponse:
    return host.api.AddChannelMember(  # type: ignore[no-any-return]
        cp.AddChannelMemberRequest(channel_id=channel_id, user_id=user_id)
    )


@pytest.mark.parity(
    "AddChannelMember",
    f"{APP}: (*App).addUserToChannel; server/channels/app/group.go: "
    "(*App).FilterNonGroupChannelMembers",
)
def test_a_group_constrained_channel_takes_only_its_groups_members(host: Host) -> None:
    """Adding a user who is in none of a group-constrained channel's linked groups is a 400
    `api.channel.add_members.user_denied` (nobody is added); group members and bots are
    added."""
    room = channel(host)
    insider, outsider = make_user(host), make_user(host)
    bot = make_user(host, bot=True)
    crew = make(host).group
    add_members(host, crew.id, insider)
    _link(host, crew.id, room.id)
    room.group_constrained = True
    assert not host.api.UpdateChannel(cp.UpdateChannelRequest(channel=room)).HasField("error")
    assert error(_add(host, room.id, outsider)) == (400, "api.channel.add_members.user_denied")
    missing = host.api.GetChannelMember(
        cp.GetChannelMemberRequest(channel_id=room.id, user_id=outsider)
    )
    assert missing.error.status_code == 404
    assert _add(host, room.id, insider).channel_member.user_id == insider
    assert _add(host, room.id, bot).channel_member.user_id == bot


@pytest.mark.parity(
    "AddChannelMember",
    f"{APP}: (*App).addUserToChannel; server/channels/app/group.go: "
    "(*App).UserIsInAdminRoleGroup",
)
def test_a_member_of_an_admin_group_joins_as_channel_admin(host: Host) -> None:
    """A user in a group linked to the channel with `scheme_admin` becomes a channel admin
    on joining; other users join as plain members."""
    room = channel(host)
    boss, other = make_user(host), make_user(host)
    admins = make(host).group
    add_members(host, admins.id, boss)
    _link(host, admins.id, room.id, admin=True)
    joined = _add(host, room.id, boss).channel_member
    assert joined.scheme_admin and "channel_admin" in joined.roles.split()
    plain = _add(host, room.id, other).channel_member
    assert not plain.scheme_admin and "channel_admin" not in plain.roles.split()


def _team_member(host: Host, user_id: str) -> pb.GetTeamMemberResponse:
    return host.api.GetTeamMember(  # type: ignore[no-any-return]
        pb.GetTeamMemberRequest(team_id=team(host), user_id=user_id)
    )


@pytest.mark.parity("DeleteChannelMember", f"{APP}: (*App).removeUserFromChannel")
def test_a_guest_leaving_their_last_channel_leaves_the_team(quiet_host: Host) -> None:
    """A guest who leaves their last channel of the team (direct and group channels count as
    channels left) is removed from the team too (UserHasLeftTeam runs); with another channel
    left, the guest stays in the team."""
    host = quiet_host
    first, second = channel(host), channel(host)
    stays, goes = (make_user(host, roles="system_guest") for _ in range(2))
    for guest in (stays, goes):
        join(host, first.id, guest)
    join(host, second.id, stays)
    host.hooks.fired.clear()
    assert not host.api.DeleteChannelMember(
        cp.DeleteChannelMemberRequest(channel_id=first.id, user_id=stays)
    ).HasField("error")
    assert _team_member(host, stays).team_member.delete_at == 0
    assert not host.api.DeleteChannelMember(
        cp.DeleteChannelMemberRequest(channel_id=first.id, user_id=goes)
    ).HasField("error")
    assert _team_member(host, goes).team_member.delete_at > 0
    (left_team,) = host.hooks.named("UserHasLeftTeam")
    assert left_team.team_member.user_id == goes
