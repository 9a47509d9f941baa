"""Server parity of what crosses the PluginAPI's wire: the fields of a request that the
server's gRPC API server hands to its app layer, and the fields of its answer that reach the
plugin (mmplug.host.api._wire)."""

from __future__ import annotations

import pytest
from test_parity_dialogs import _open, _trigger_id
from worldhost import Host

from mmplug.protocol import api_file_bot_pb2 as fb
from mmplug.protocol import api_kv_config_pb2 as kvc
from mmplug.protocol import api_remaining_pb2 as rem
from mmplug.protocol import api_user_team_pb2 as pb

GRPC = "server/public/pluginapi/grpc/server"


@pytest.mark.parity("UploadFile", f"{GRPC}/convert_common.go: appErrorToProto")
def test_an_app_error_reaches_the_plugin_without_its_params(host: Host) -> None:
    """An AppError in an answer has no `params`: the server does not copy them (its message
    already has them filled in)."""
    err = host.api.UploadFile(
        fb.UploadFileRequest(data=b"x", filename="a.txt", channel_id=host.store.new_id())
    ).error
    assert err.id == "api.file.upload_file.incorrect_channelId.app_error"
    assert not err.HasField("params")


@pytest.mark.parity("GetUsers", f"{GRPC}/convert_user.go: userGetOptionsFromProto")
def test_get_users_ignores_updated_after(host: Host) -> None:
    """`updated_after` never reaches the server: GetUsers answers the users updated before it
    too."""
    future = host.store.now_ms() + 10**9
    rsp = host.api.GetUsers(pb.GetUsersRequest(updated_after=future, per_page=200))
    assert host.user("alice") in {u.id for u in rsp.users}


@pytest.mark.parity(
    ("CreateOAuthApp", "GetOAuthApp"),
    f"{GRPC}/convert_remaining.go: oauthAppFromProto, oauthAppToProto",
)
def test_an_oauth_apps_mattermost_app_id_does_not_cross(host: Host) -> None:
    """An OAuth app's `mattermostAppId` is neither stored nor answered (nor checked, however
    long)."""
    app = rem.OAuthApp(
        name="Dashboard", creator_id=host.user("admin"), homepage="https://dash.example.com",
        callback_urls="https://dash.example.com/cb", mattermostAppId="x" * 100,
    )
    rsp = host.api.CreateOAuthApp(rem.CreateOAuthAppRequest(app=app))
    assert not rsp.error.id and rsp.app.id
    assert rsp.app.mattermostAppId == ""
    got = host.api.GetOAuthApp(rem.GetOAuthAppRequest(app_id=rsp.app.id))
    assert got.app.name == "Dashboard" and got.app.mattermostAppId == ""


@pytest.mark.parity(
    ("CreateUploadSession", "GetUploadSession"),
    f"{GRPC}/convert_remaining.go: uploadSessionFromProto, uploadSessionToProto",
)
def test_an_upload_sessions_remote_and_file_ids_do_not_cross(host: Host) -> None:
    """An upload session's `remote_id` and `req_file_id` are neither stored nor answered."""
    us = fb.UploadSession(
        id=host.store.new_id(), type="attachment", user_id=host.user("alice"),
        channel_id=host.info.channels["off-topic"], filename="f.bin", file_size=3,
        remote_id=host.store.new_id(), req_file_id=host.store.new_id(),
    )
    rsp = host.api.CreateUploadSession(fb.CreateUploadSessionRequest(upload_session=us))
    assert not rsp.error.id
    assert (rsp.upload_session.remote_id, rsp.upload_session.req_file_id) == ("", "")
    got = host.api.GetUploadSession(fb.GetUploadSessionRequest(upload_id=us.id))
    assert got.upload_session.filename == "f.bin"
    assert (got.upload_session.remote_id, got.upload_session.req_file_id) == ("", "")


@pytest.mark.parity(
    "OpenInteractiveDialog", f"{GRPC}/convert_remaining.go: dialogElementFromProto"
)
def test_a_dialog_elements_options_do_not_cross(quiet_host: Host) -> None:
    """A dialog element reaches the user without its `options` and `data_source`: a select
    shows no choices."""
    element = rem.DialogElement(
        name="size", type="select", data_source="users",
        options=[rem.DialogElementOption(text="Small", value="s")],
    )
    assert not _open(quiet_host, _trigger_id(quiet_host), elements=[element]).error.id
    kind, event = quiet_host.emitted[-1]
    assert kind == "open_dialog"
    assert event["dialog"]["dialog"]["elements"] == [{"name": "size", "type": "select"}]


@pytest.mark.parity(
    "PublishWebSocketEvent", f"{GRPC}/convert_remaining.go: websocketBroadcastFromProto"
)
def test_a_broadcasts_connection_id_only_omits_that_connection(quiet_host: Host) -> None:
    """A broadcast's `connection_id` only counts with `omit_connection_id` (that connection is
    left out); alone it targets nothing, and `reliable_cluster_send` never reaches the server."""
    alice = quiet_host.user("alice")
    for omit in (False, True):
        broadcast = kvc.WebsocketBroadcast(
            user_id=alice, connection_id="conn1", omit_connection_id=omit,
            reliable_cluster_send=True,
        )
        rsp = quiet_host.api.PublishWebSocketEvent(
            kvc.PublishWebSocketEventRequest(event="ping", broadcast=broadcast)
        )
        assert not rsp.error.id
    sent = [p["broadcast"] for k, p in quiet_host.emitted if k == "websocket_event"]
    assert sent[-2:] == [
        {"user_id": alice},
        {"user_id": alice, "connection_id": "conn1", "omit_connection_id": True},
    ]


@pytest.mark.parity(
    "PublishPluginClusterEvent",
    f"{GRPC}/convert_remaining.go: pluginClusterEventSendOptionsFromProto",
)
def test_a_cluster_events_send_type_never_reaches_the_server(quiet_host: Host) -> None:
    """Only the target node of the send options crosses: the server gets an empty send type
    whether the plugin asked for `reliable` or `best_effort`."""
    for send_type in ("best_effort", "reliable"):
        rsp = quiet_host.api.PublishPluginClusterEvent(rem.PublishPluginClusterEventRequest(
            event=rem.PluginClusterEvent(id="sync", data=b"x"),
            opts=rem.PluginClusterEventSendOptions(send_type=send_type, target_id="node2"),
        ))
        assert not rsp.error.id
    sent = [p for k, p in quiet_host.emitted if k == "cluster_event"]
    assert [(p["send_type"], p["target_id"]) for p in sent] == [("", "node2"), ("", "node2")]
