"""Server parity of shared channels: RegisterPluginForSharedChannels,
UnregisterPluginForSharedChannels, ShareChannel, UnshareChannel, InviteRemoteToChannel,
UninviteRemoteFromChannel."""

from __future__ import annotations

import pytest
from parity_channel_world import channel, error
from worldhost import Host

from mmplug.protocol import api_channel_post_pb2 as cp
from mmplug.protocol import api_remaining_pb2 as rem

REMOTE = "server/channels/app/remote_cluster.go"
SERVICE = "server/platform/services/sharedchannel/service_api.go"
MODEL = "server/public/model/shared_channel.go"
GRPC = "server/public/pluginapi/grpc/server: sharedChannelFromProto"


def register(host: Host, plugin_id: str, display_name: str = "Bridge") -> str:
    rsp = host.api.RegisterPluginForSharedChannels(
        rem.RegisterPluginForSharedChannelsRequest(
            opts=rem.RegisterPluginOpts(plugin_id=plugin_id, display_name=display_name)
        )
    )
    assert not rsp.HasField("error"), rsp.error
    return str(rsp.remote_id)


def share(host: Host, channel_id: str, **fields: str) -> rem.ShareChannelResponse:
    sc = rem.SharedChannel(channel_id=channel_id, creator_id=host.user("alice"), **fields)
    return host.api.ShareChannel(rem.ShareChannelRequest(shared_channel=sc))


def invite(
    host: Host, channel_id: str, remote_id: str, *, share_it: bool = False
) -> rem.InviteRemoteToChannelResponse:
    return host.api.InviteRemoteToChannel(
        rem.InviteRemoteToChannelRequest(
            channel_id=channel_id,
            remote_id=remote_id,
            user_id=host.user("alice"),
            share_if_not_shared=share_it,
        )
    )


def is_shared(host: Host, channel_id: str) -> bool:
    return host.api.GetChannel(cp.GetChannelRequest(channel_id=channel_id)).channel.shared


@pytest.mark.parity(
    "RegisterPluginForSharedChannels", f"{REMOTE}: (*App).RegisterPluginForSharedChannels"
)
def test_registering_again_after_unregistering_gives_the_same_remote(host: Host) -> None:
    """A plugin's remote is kept when it unregisters: registering again restores the same id."""
    first = register(host, "com.example.bridge-a")
    host.api.UnregisterPluginForSharedChannels(
        rem.UnregisterPluginForSharedChannelsRequest(plugin_id="com.example.bridge-a")
    )
    assert register(host, "com.example.bridge-a", "Renamed") == first


@pytest.mark.parity(
    "UnregisterPluginForSharedChannels",
    f"{REMOTE}: (*App).UnregisterPluginForSharedChannels; {REMOTE}: (*App).DeleteRemoteCluster",
)
def test_unregistering_unshares_channels_left_without_a_remote(host: Host) -> None:
    """Channels whose only remote was the plugin's are unshared when it unregisters."""
    remote = register(host, "com.example.bridge-b")
    made = channel(host)
    assert not invite(host, made.id, remote, share_it=True).HasField("error")
    assert is_shared(host, made.id)
    host.api.UnregisterPluginForSharedChannels(
        rem.UnregisterPluginForSharedChannelsRequest(plugin_id="com.example.bridge-b")
    )
    assert not is_shared(host, made.id)


@pytest.mark.parity("ShareChannel", f"{SERVICE}: (*Service).ShareChannel")
def test_sharing_takes_the_channel_fields_and_sharing_twice_answers_the_share(host: Host) -> None:
    """An empty share name, display name, purpose and header come from the channel; sharing a
    shared channel again is no error and answers the existing share."""
    made = channel(host, purpose="bridged talk")
    first = share(host, made.id, home="true").shared_channel
    assert (first.share_name, first.share_display_name, first.share_purpose) == (
        made.name,
        made.display_name,
        "bridged talk",
    )
    again = share(host, made.id, home="true", share_display_name="Other")
    assert not again.HasField("error") and again.shared_channel == first


@pytest.mark.parity("ShareChannel", f"{MODEL}: (*SharedChannel).IsValid; {GRPC}")
def test_sharing_needs_home_true_or_a_remote_id(host: Host) -> None:
    """`home` is a string on the wire and only "true" is true: a share neither homed here nor
    on a remote is a 400 `model.channel.is_valid.id.app_error`."""
    made = channel(host)
    assert error(share(host, made.id, home="yes")) == (400, "model.channel.is_valid.id.app_error")
    assert not is_shared(host, made.id)


@pytest.mark.parity("ShareChannel", f"{MODEL}: (*SharedChannel).IsValid")
def test_sharing_needs_a_real_creator_id(host: Host) -> None:
    """A creator that is not an id is a 400 `model.channel.is_valid.creator_id.app_error`."""
    sc = rem.SharedChannel(channel_id=channel(host).id, creator_id="me", home="true")
    rsp = host.api.ShareChannel(rem.ShareChannelRequest(shared_channel=sc))
    assert error(rsp) == (400, "model.channel.is_valid.creator_id.app_error")


@pytest.mark.parity("ShareChannel", f"{MODEL}: (*SharedChannel).IsValid")
def test_sharing_keeps_the_share_name_as_given(host: Host) -> None:
    """The share name is not lower-cased: capitals are a 400
    `model.channel.is_valid.1_or_more.app_error`."""
    rsp = share(host, channel(host).id, home="true", share_name="Bridged")
    assert error(rsp) == (400, "model.channel.is_valid.1_or_more.app_error")


@pytest.mark.parity("UnshareChannel", f"{SERVICE}: (*Service).UnshareChannel")
def test_unshare_reports_whether_there_was_a_share(host: Host) -> None:
    """Unsharing answers `unshared` true once, then false (no error), and clears the channel's
    `shared` flag."""
    made = channel(host)
    share(host, made.id, home="true")
    req = rem.UnshareChannelRequest(channel_id=made.id)
    assert host.api.UnshareChannel(req).unshared
    again = host.api.UnshareChannel(req)
    assert not again.HasField("error") and not again.unshared
    assert not is_shared(host, made.id)


@pytest.mark.parity("InviteRemoteToChannel", f"{SERVICE}: (*Service).InviteRemoteToChannel")
def test_invite_to_an_unshared_channel_is_refused(host: Host) -> None:
    """Inviting to a channel that is not shared (without `share_if_not_shared`) is a 400
    `api.command_share.channel_not_shared.error`."""
    remote = register(host, "com.example.bridge-c")
    rsp = invite(host, channel(host).id, remote)
    assert error(rsp) == (400, "api.command_share.channel_not_shared.error")


@pytest.mark.parity("InviteRemoteToChannel", f"{SERVICE}: (*Service).InviteRemoteToChannel")
def test_invite_of_an_unknown_remote_is_a_500(host: Host) -> None:
    """An unknown remote id is a 500 `api.command_share.remote_id_invalid.error`."""
    made = channel(host)
    share(host, made.id, home="true")
    assert error(invite(host, made.id, host.store.new_id())) == (
        500,
        "api.command_share.remote_id_invalid.error",
    )


@pytest.mark.parity("InviteRemoteToChannel", f"{SERVICE}: (*Service).InviteRemoteToChannel")
def test_inviting_twice_is_no_error(host: Host) -> None:
    """Inviting an invited remote again does nothing and is no error."""
    remote = register(host, "com.example.bridge-d")
    made = channel(host)
    invite(host, made.id, remote, share_it=True)
    assert not invite(host, made.id, remote).HasField("error")


@pytest.mark.parity("UninviteRemoteFromChannel", f"{SERVICE}: (*Service).UninviteRemoteFromChannel")
def test_uninvite_of_a_remote_not_invited_is_a_500(host: Host) -> None:
    """Uninviting a remote that is not invited is a 500
    `api.command_share.channel_remote_id_not_exists`."""
    remote = register(host, "com.example.bridge-e")
    rsp = host.api.UninviteRemoteFromChannel(
        rem.UninviteRemoteFromChannelRequest(channel_id=channel(host).id, remote_id=remote)
    )
    assert error(rsp) == (500, "api.command_share.channel_remote_id_not_exists")


STORE = "server/channels/store/sqlstore/shared_channel_store.go"
APP = "server/channels/app/shared_channel.go"
PLAIN = (500, "grpc.internal")  # a plain Go error: an INTERNAL status, no AppError id


def shared(host: Host) -> rem.SharedChannel:
    rsp = share(host, channel(host).id, home="true")
    assert not rsp.HasField("error"), rsp.error
    return rsp.shared_channel


def update(host: Host, sc: rem.SharedChannel) -> rem.UpdateSharedChannelResponse:
    return host.api.UpdateSharedChannel(rem.UpdateSharedChannelRequest(shared_channel=sc))


@pytest.mark.parity(
    "UpdateSharedChannel",
    f"{STORE}: (SqlSharedChannelStore).Update; {MODEL}: (*SharedChannel).IsValid",
)
def test_update_share_is_checked_as_given(host: Host) -> None:
    """An update is the whole share, checked as it is: without the team id it is a 400
    `model.channel.is_valid.id.app_error`, without `create_at` a 400
    `model.channel.is_valid.create_at.app_error`."""
    sc = shared(host)
    partial = rem.SharedChannel(channel_id=sc.channel_id, share_display_name="Partial")
    assert error(update(host, partial)) == (400, "model.channel.is_valid.id.app_error")
    no_time = rem.SharedChannel()
    no_time.CopyFrom(sc)
    no_time.create_at = 0
    assert error(update(host, no_time)) == (400, "model.channel.is_valid.create_at.app_error")


@pytest.mark.parity("UpdateSharedChannel", f"{STORE}: (SqlSharedChannelStore).Update")
def test_update_share_is_stored_and_answered_as_given(host: Host) -> None:
    """The share is stored and answered exactly as given: `update_at` is not set to now and
    the display name is not cleaned."""
    sc = shared(host)
    sc.update_at, sc.share_display_name = sc.create_at + 10**6, "Bridged\ufeff"
    assert update(host, sc).shared_channel == sc
    assert share(host, sc.channel_id).shared_channel == sc


@pytest.mark.parity(
    "UpdateSharedChannel",
    f"{SERVICE}: (*Service).UpdateSharedChannel; {STORE}: (SqlSharedChannelStore).Update",
)
def test_update_share_of_an_unshared_or_unknown_channel_is_a_plain_error(host: Host) -> None:
    """Updating the share of a channel that is not shared, or does not exist, fails without
    an AppError (a 500)."""
    sc = shared(host)
    sc.channel_id = channel(host).id
    assert error(update(host, sc)) == PLAIN
    sc.channel_id = "c" * 26
    assert error(update(host, sc)) == PLAIN


@pytest.mark.parity(
    "UpdateSharedChannel", f"{SERVICE}: (*Service).notifyClientsForSharedChannelUpdate"
)
def test_update_share_tells_the_team(quiet_host: Host) -> None:
    """After an update the channel's team gets `channel_updated` with the channel id."""
    host = quiet_host
    sc = shared(host)
    host.emitted.clear()
    sc.read_only = True
    assert not update(host, sc).HasField("error")
    (event,) = host.events("channel_updated")
    assert event["broadcast"] == {"team_id": sc.team_id}
    assert event["data"] == {"channel_id": sc.channel_id}


def cursor(host: Host, channel_id: str, remote_id: str, **at: object) -> object:
    return host.api.UpdateSharedChannelCursor(
        rem.UpdateSharedChannelCursorRequest(
            channel_id=channel_id,
            remote_id=remote_id,
            cursor=rem.GetPostsSinceForSyncCursor(**at),  # type: ignore[arg-type]
        )
    )


@pytest.mark.parity(
    "UpdateSharedChannelCursor",
    f"{APP}: (*App).UpdateSharedChannelCursor; {STORE}: (SqlSharedChannelStore).UpdateRemoteCursor",
)
def test_cursor_needs_an_invited_remote_and_a_position(host: Host) -> None:
    """Moving the cursor of a remote not invited to the channel, or to an empty position
    (no time and no post id), fails without an AppError (a 500)."""
    remote = register(host, "com.example.cursor")
    ch = channel(host).id
    assert error(cursor(host, ch, remote, last_post_update_at=5)) == PLAIN
    assert not invite(host, ch, remote, share_it=True).HasField("error")
    assert error(cursor(host, ch, remote)) == PLAIN
    assert not cursor(host, ch, remote, last_post_update_at=1).HasField("error")


@pytest.mark.parity("SyncSharedChannel", f"{APP}: (*App).SyncSharedChannel")
def test_sync_of_an_unshared_or_unknown_channel_is_no_error(quiet_host: Host) -> None:
    """SyncSharedChannel only schedules a sync: a channel that is not shared, or an id that
    is no channel, is no error and sends nothing."""
    host = quiet_host
    for channel_id in (channel(host).id, "nope"):
        rsp = host.api.SyncSharedChannel(rem.SyncSharedChannelRequest(channel_id=channel_id))
        assert not rsp.HasField("error")
    assert host.hooks.named("OnSharedChannelsSyncMsg") == []
