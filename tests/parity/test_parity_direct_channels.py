"""Server parity of direct and group channels: GetDirectChannel, GetGroupChannel."""

from __future__ import annotations

import json

import pytest
from parity_channel_world import DIRECT, GROUP, error, make_user, setting
from worldhost import Host

from mmplug.protocol import api_channel_post_pb2 as cp

APP = "server/channels/app/channel.go"
STORE = "server/channels/store/sqlstore/channel_store.go"
MODEL = "server/public/model/channel.go"
DIRECT_SRC = f"{APP}: (*App).GetOrCreateDirectChannel; {APP}: (*App).createDirectChannel"
GROUP_SRC = f"{APP}: (*App).CreateGroupChannel; {APP}: (*App).createGroupChannel"


def dm(host: Host, one: str, two: str) -> cp.GetDirectChannelResponse:
    return host.api.GetDirectChannel(cp.GetDirectChannelRequest(user_id_1=one, user_id_2=two))


def gm(host: Host, ids: list[str]) -> cp.GetGroupChannelResponse:
    return host.api.GetGroupChannel(cp.GetGroupChannelRequest(user_ids=ids))


def member_ids(host: Host, channel_id: str) -> list[str]:
    rsp = host.api.GetChannelMembers(
        cp.GetChannelMembersRequest(channel_id=channel_id, per_page=20)
    )
    return sorted(m.user_id for m in rsp.channel_members)


# -- GetDirectChannel ------------------------------------------------------------------------
@pytest.mark.parity(
    "GetDirectChannel", f"{DIRECT_SRC}; {STORE}: (SqlChannelStore).CreateDirectChannel"
)
def test_direct_channel_is_made_once_with_the_sorted_ids_as_name(quiet_host: Host) -> None:
    """The first call makes `<id>__<id>` (sorted ids, no display name, creator the first user);
    the next call, in either order, returns it."""
    one, two = make_user(quiet_host), make_user(quiet_host)
    made = dm(quiet_host, one, two).channel
    assert (made.type, made.name, made.display_name) == (DIRECT, "__".join(sorted((one, two))), "")
    assert (made.team_id, made.creator_id) == ("", one)
    assert dm(quiet_host, two, one).channel.id == made.id
    assert member_ids(quiet_host, made.id) == sorted((one, two))


@pytest.mark.parity("GetDirectChannel", f"{DIRECT_SRC}; {APP}: (*App).handleCreationEvent")
def test_a_new_direct_channel_fires_the_hook_and_direct_added(quiet_host: Host) -> None:
    """A new direct channel fires ChannelHasBeenCreated and publishes `direct_added`."""
    one, two = make_user(quiet_host), make_user(quiet_host)
    made = dm(quiet_host, one, two).channel
    (fired,) = quiet_host.hooks.named("ChannelHasBeenCreated")
    assert fired.channel.id == made.id
    (event,) = quiet_host.events("direct_added")
    assert event["data"] == {"creator_id": one, "teammate_id": two}


@pytest.mark.parity("GetDirectChannel", f"{APP}: (*App).createDirectChannel")
def test_direct_channel_with_oneself_has_one_member(host: Host) -> None:
    """A user may have a direct channel with themselves: one member, named `<id>__<id>`."""
    me = make_user(host)
    made = dm(host, me, me).channel
    assert made.name == f"{me}__{me}" and member_ids(host, made.id) == [me]


@pytest.mark.parity("GetDirectChannel", f"{APP}: (*App).createDirectChannel")
def test_direct_channel_with_an_unknown_user_is_400(host: Host) -> None:
    """An unknown user (malformed ids too) is a 400
    `api.channel.create_direct_channel.invalid_user.app_error`."""
    for other in (host.store.new_id(), "nobody"):
        assert error(dm(host, host.user("alice"), other)) == (
            400,
            "api.channel.create_direct_channel.invalid_user.app_error",
        )


@pytest.mark.parity("GetDirectChannel", DIRECT_SRC)
def test_direct_channel_with_a_bot_or_a_deactivated_user_is_allowed(host: Host) -> None:
    """Bots and deactivated users can be in a direct channel."""
    alice = host.user("alice")
    assert dm(host, alice, host.user("helper-bot")).channel.type == DIRECT
    assert dm(host, alice, make_user(host, deactivated=True)).channel.type == DIRECT


@pytest.mark.parity("GetDirectChannel", f"{APP}: (*App).GetOrCreateDirectChannel")
def test_restricted_direct_messages_need_a_common_team(host: Host) -> None:
    """With TeamSettings.RestrictDirectMessage "team", two people without a common team get a
    403 `api.channel.create_channel.direct_channel.team_restricted_error`; a bot is exempt."""
    stranger = make_user(host, in_team=False)
    with setting(host, "TeamSettings.RestrictDirectMessage", "team"):
        assert error(dm(host, host.user("alice"), stranger)) == (
            403,
            "api.channel.create_channel.direct_channel.team_restricted_error",
        )
        assert dm(host, host.user("helper-bot"), stranger).channel.type == DIRECT
    assert dm(host, host.user("alice"), stranger).channel.type == DIRECT


# -- GetGroupChannel -------------------------------------------------------------------------
@pytest.mark.parity("GetGroupChannel", GROUP_SRC)
def test_group_needs_three_to_eight_ids(host: Host) -> None:
    """Fewer than 3 or more than 8 ids is a 400 `api.channel.create_group.bad_size.app_error`."""
    users = [make_user(host) for _ in range(9)]
    for ids in (users[:2], users):
        assert error(gm(host, ids)) == (400, "api.channel.create_group.bad_size.app_error")
    assert gm(host, users[:8]).channel.type == GROUP


@pytest.mark.parity("GetGroupChannel", GROUP_SRC)
def test_group_with_a_repeated_id_is_a_bad_user(host: Host) -> None:
    """Ids are not de-duplicated: a repeated id counts towards the size and then is a 400
    `api.channel.create_group.bad_user.app_error`."""
    one, two = make_user(host), make_user(host)
    assert error(gm(host, [one, two, one])) == (400, "api.channel.create_group.bad_user.app_error")


@pytest.mark.parity("GetGroupChannel", GROUP_SRC)
def test_group_with_an_unknown_user_is_a_bad_user(host: Host) -> None:
    """An unknown user is a 400 `api.channel.create_group.bad_user.app_error`."""
    ids = [make_user(host), make_user(host), host.store.new_id()]
    assert error(gm(host, ids)) == (400, "api.channel.create_group.bad_user.app_error")


@pytest.mark.parity("GetGroupChannel", f"{GROUP_SRC}; {MODEL}: GetGroupDisplayNameFromUsers")
def test_group_display_name_is_the_sorted_usernames_cut_to_64(host: Host) -> None:
    """The display name is the sorted usernames joined by ', ', cut to 64 characters; the
    channel has no team and no creator."""
    ids = [make_user(host) for _ in range(8)]
    made = gm(host, ids).channel
    with host.store.read() as db:
        names = sorted(
            r[0]
            for r in db.execute(
                f"SELECT username FROM users WHERE id IN ({','.join('?' * len(ids))})", ids
            )
        )
    assert made.display_name == ", ".join(names)[:64]
    assert (made.team_id, made.creator_id) == ("", "")


@pytest.mark.parity("GetGroupChannel", f"{GROUP_SRC}; {MODEL}: GetGroupNameFromUserIds")
def test_group_is_found_again_in_any_order(host: Host) -> None:
    """The group is named by its member ids, so the same users in another order get it back."""
    ids = [make_user(host) for _ in range(3)]
    made = gm(host, ids).channel
    assert gm(host, ids[::-1]).channel.id == made.id
    assert member_ids(host, made.id) == sorted(ids)


@pytest.mark.parity("GetGroupChannel", f"{APP}: (*App).CreateGroupChannel")
def test_a_new_group_publishes_group_added_without_a_hook(quiet_host: Host) -> None:
    """A new group channel publishes `group_added`; ChannelHasBeenCreated does not run."""
    ids = [make_user(quiet_host) for _ in range(3)]
    gm(quiet_host, ids)
    (event,) = quiet_host.events("group_added")
    assert json.loads(event["data"]["teammate_ids"]) == ids
    assert quiet_host.hooks.named("ChannelHasBeenCreated") == []
