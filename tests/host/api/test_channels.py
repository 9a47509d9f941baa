"""Channels over real gRPC: create/read/update/archive, direct and group channels, search."""

from __future__ import annotations

from apiworld import World

from mmplug.protocol import api_channel_post_pb2 as cp
from mmplug.protocol import channel_pb2

OPEN = channel_pb2.CHANNEL_TYPE_OPEN


def create(world: World, name: str, **fields: object) -> cp.CreateChannelResponse:
    ch = channel_pb2.Channel(
        team_id=world.team_id,
        name=name,
        display_name=name.upper(),
        type=OPEN,
        creator_id=world.users["alice"],
    )
    for key, value in fields.items():
        setattr(ch, key, value)
    return world.api.CreateChannel(cp.CreateChannelRequest(channel=ch))


def test_create_channel_assigns_id_and_times_and_fires_hook(world: World) -> None:
    rsp = create(world, "launch-plans")
    assert not rsp.HasField("error")
    assert len(rsp.channel.id) == 26 and rsp.channel.create_at > 0
    assert rsp.channel.update_at == rsp.channel.create_at
    (fired,) = world.hooks.named("ChannelHasBeenCreated")
    assert fired.channel.id == rsp.channel.id


def test_created_channel_can_be_read_back_by_id_and_name(world: World) -> None:
    made = create(world, "readback").channel
    got = world.api.GetChannel(cp.GetChannelRequest(channel_id=made.id)).channel
    assert got == made
    by_name = world.api.GetChannelByName(
        cp.GetChannelByNameRequest(team_id=world.team_id, name="readback")
    )
    assert by_name.channel.id == made.id
    by_team = world.api.GetChannelByNameForTeamName(
        cp.GetChannelByNameForTeamNameRequest(team_name="acme", channel_name="readback")
    )
    assert by_team.channel.id == made.id


def test_duplicate_channel_name_is_rejected(world: World) -> None:
    create(world, "dupe")
    rsp = create(world, "dupe")
    assert rsp.error.status_code == 400
    assert rsp.error.id == "store.sql_channel.save_channel.exists.app_error"


def test_invalid_channel_names_are_rejected(world: World) -> None:
    for bad in ("Upper", "has space", "", "-lead", "dots.no"):
        rsp = create(world, bad, display_name="Valid")
        assert rsp.error.id == "model.channel.is_valid.1_or_more.app_error", bad
    too_long = create(world, "x" * 65, display_name="Valid")
    assert (too_long.error.status_code, too_long.error.id) == (
        500,
        "app.channel.create_channel.internal_error",
    )


def test_display_name_is_trimmed_and_may_be_empty(world: World) -> None:
    rsp = create(world, "nodisplay", display_name="   ")
    assert not rsp.HasField("error") and rsp.channel.display_name == ""


def test_create_does_not_check_the_team(world: World) -> None:
    rsp = create(world, "lost", team_id=world.users["alice"])
    assert not rsp.HasField("error") and rsp.channel.team_id == world.users["alice"]


def test_unknown_channel_is_404(world: World) -> None:
    rsp = world.api.GetChannel(cp.GetChannelRequest(channel_id=world.users["bob"]))
    assert rsp.error.status_code == 404
    assert rsp.error.id == "app.channel.get.existing.app_error"
    rsp2 = world.api.GetChannelByName(
        cp.GetChannelByNameRequest(team_id=world.team_id, name="nope")
    )
    assert rsp2.error.id == "app.channel.get_by_name.missing.app_error"


def test_malformed_id_is_not_found(world: World) -> None:
    rsp = world.api.GetChannel(cp.GetChannelRequest(channel_id="short"))
    assert (rsp.error.status_code, rsp.error.id) == (404, "app.channel.get.existing.app_error")


def test_update_channel_changes_fields_and_update_at(world: World) -> None:
    made = create(world, "to-update").channel
    made.header, made.display_name = "new header", "Renamed"
    rsp = world.api.UpdateChannel(cp.UpdateChannelRequest(channel=made))
    assert not rsp.HasField("error")
    assert rsp.channel.header == "new header" and rsp.channel.update_at > made.update_at
    again = world.api.GetChannel(cp.GetChannelRequest(channel_id=made.id)).channel
    assert again.display_name == "Renamed"


def test_update_to_taken_name_is_rejected(world: World) -> None:
    made = create(world, "update-clash").channel
    made.name = "off-topic"
    rsp = world.api.UpdateChannel(cp.UpdateChannelRequest(channel=made))
    assert (rsp.error.status_code, rsp.error.id) == (400, "app.channel.update.bad_id")


def test_delete_archives_and_hides_from_lookup_by_name(world: World) -> None:
    made = create(world, "to-archive").channel
    assert not world.api.DeleteChannel(cp.DeleteChannelRequest(channel_id=made.id)).HasField(
        "error"
    )
    got = world.api.GetChannel(cp.GetChannelRequest(channel_id=made.id)).channel
    assert got.delete_at > 0
    hidden = world.api.GetChannelByName(
        cp.GetChannelByNameRequest(team_id=world.team_id, name="to-archive")
    )
    assert hidden.error.status_code == 404
    shown = world.api.GetChannelByName(
        cp.GetChannelByNameRequest(team_id=world.team_id, name="to-archive", include_deleted=True)
    )
    assert shown.channel.id == made.id
    twice = world.api.DeleteChannel(cp.DeleteChannelRequest(channel_id=made.id))
    assert twice.error.id == "api.channel.delete_channel.deleted.app_error"


def test_default_channel_cannot_be_archived(world: World) -> None:
    rsp = world.api.DeleteChannel(cp.DeleteChannelRequest(channel_id=world.channels["town-square"]))
    assert rsp.error.id == "api.channel.delete_channel.cannot.app_error"


def test_direct_channel_is_created_once_with_sorted_name(world: World) -> None:
    a, b = world.users["carol"], world.users["dave"]
    first = world.api.GetDirectChannel(cp.GetDirectChannelRequest(user_id_1=a, user_id_2=b))
    assert first.channel.type == channel_pb2.CHANNEL_TYPE_DIRECT
    assert first.channel.name == "__".join(sorted((a, b)))
    second = world.api.GetDirectChannel(cp.GetDirectChannelRequest(user_id_1=b, user_id_2=a))
    assert second.channel.id == first.channel.id
    assert len(world.hooks.named("ChannelHasBeenCreated")) == 1
    members = world.api.GetChannelMembers(
        cp.GetChannelMembersRequest(channel_id=first.channel.id, per_page=10)
    )
    assert {m.user_id for m in members.channel_members} == {a, b}


def test_direct_channel_with_unknown_user_is_400(world: World) -> None:
    rsp = world.api.GetDirectChannel(
        cp.GetDirectChannelRequest(
            user_id_1=world.users["carol"], user_id_2=world.channels["secret"]
        )
    )
    assert (rsp.error.status_code, rsp.error.id) == (
        400,
        "api.channel.create_direct_channel.invalid_user.app_error",
    )


def test_group_channel_needs_three_to_eight_users(world: World) -> None:
    two = [world.users["alice"], world.users["bob"]]
    rsp = world.api.GetGroupChannel(cp.GetGroupChannelRequest(user_ids=two))
    assert rsp.error.id == "api.channel.create_group.bad_size.app_error"
    three = [*two, world.users["carol"]]
    made = world.api.GetGroupChannel(cp.GetGroupChannelRequest(user_ids=three)).channel
    assert made.type == channel_pb2.CHANNEL_TYPE_GROUP and made.display_name == "alice, bob, carol"
    again = world.api.GetGroupChannel(cp.GetGroupChannelRequest(user_ids=three[::-1])).channel
    assert again.id == made.id


def test_public_channels_for_team_excludes_private_and_archived(world: World) -> None:
    rsp = world.api.GetPublicChannelsForTeam(
        cp.GetPublicChannelsForTeamRequest(team_id=world.team_id, per_page=200)
    )
    names = [c.name for c in rsp.channels]
    assert "off-topic" in names and "secret" not in names
    assert all(c.delete_at == 0 for c in rsp.channels)
    page = world.api.GetPublicChannelsForTeam(
        cp.GetPublicChannelsForTeamRequest(team_id=world.team_id, page=0, per_page=1)
    )
    assert len(page.channels) == 1


def test_channels_for_team_for_user_are_the_users_channels(world: World) -> None:
    rsp = world.api.GetChannelsForTeamForUser(
        cp.GetChannelsForTeamForUserRequest(team_id=world.team_id, user_id=world.users["admin"])
    )
    names = {c.name for c in rsp.channels}
    assert {"town-square", "off-topic", "secret"} <= names


def test_search_channels_matches_name_or_display_name(world: World) -> None:
    create(world, "searchable-thing", display_name="Findable Room")
    by_name = world.api.SearchChannels(
        cp.SearchChannelsRequest(team_id=world.team_id, term="searchable")
    )
    assert [c.name for c in by_name.channels] == ["searchable-thing"]
    by_display = world.api.SearchChannels(
        cp.SearchChannelsRequest(team_id=world.team_id, term="findable")
    )
    assert [c.name for c in by_display.channels] == ["searchable-thing"]


def test_channel_stats_count_members(world: World) -> None:
    rsp = world.api.GetChannelStats(
        cp.GetChannelStatsRequest(channel_id=world.channels["town-square"])
    )
    assert rsp.channel_stats.member_count == 3


def test_plugin_can_modify_or_reject_a_channel_update(world: World) -> None:
    from mmplug.protocol import hooks_extra_pb2 as hx

    def shout(req: hx.ChannelWillBeUpdatedRequest) -> hx.ChannelWillBeUpdatedResponse:
        changed = channel_pb2.Channel()
        changed.CopyFrom(req.new_channel)
        changed.header = req.new_channel.header.upper()
        return hx.ChannelWillBeUpdatedResponse(modified_channel=changed)

    made = create(world, "hooked-update").channel
    world.hooks.respond("ChannelWillBeUpdated", shout)
    made.header = "quiet"
    rsp = world.api.UpdateChannel(cp.UpdateChannelRequest(channel=made))
    assert rsp.channel.header == "QUIET"
    (fired,) = world.hooks.named("ChannelWillBeUpdated")
    assert fired.old_channel.header == "" and fired.new_channel.header == "quiet"
    world.hooks.respond(
        "ChannelWillBeUpdated", hx.ChannelWillBeUpdatedResponse(rejection_reason="frozen")
    )
    rejected = world.api.UpdateChannel(cp.UpdateChannelRequest(channel=made))
    assert rejected.error.id == "app.channel.update_channel.rejected_by_plugin"
    assert "frozen" in rejected.error.message


def test_plugin_can_veto_archiving(world: World) -> None:
    from mmplug.protocol import hooks_extra_pb2 as hx

    made = create(world, "kept-alive").channel
    world.hooks.respond(
        "ChannelWillBeArchived", hx.ChannelWillBeArchivedResponse(rejection_reason="needed")
    )
    rsp = world.api.DeleteChannel(cp.DeleteChannelRequest(channel_id=made.id))
    assert rsp.error.id == "app.channel.delete_channel.rejected_by_plugin"
    still = world.api.GetChannel(cp.GetChannelRequest(channel_id=made.id)).channel
    assert still.delete_at == 0


def test_group_channel_with_unknown_user_is_rejected(world: World) -> None:
    ids = [world.users["alice"], world.users["bob"], world.channels["secret"]]
    rsp = world.api.GetGroupChannel(cp.GetGroupChannelRequest(user_ids=ids))
    assert rsp.error.id == "api.channel.create_group.bad_user.app_error"
