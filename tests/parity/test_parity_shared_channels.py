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
