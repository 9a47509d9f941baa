"""Server parity of what the server's gRPC handlers answer themselves, before the app is asked
(mmplug.host.api._handlers): a request without its message, config JSON the handler cannot
read, and an rpc the handler does not implement."""

from __future__ import annotations

from typing import Any

import grpc
import pytest
from worldhost import Host, status_of

from mmplug.protocol import api_file_bot_pb2 as fb
from mmplug.protocol import api_kv_config_pb2 as kvc
from mmplug.protocol.catalog import API_BY_GO_NAME
from mmplug.protocol.messages import message_class
from mmplug.sdk import APIClient, NotImplementedAPIError

GRPC = "server/public/pluginapi/grpc/server"
HANDLERS = f"{GRPC}/handlers_remaining.go"

# (rpc, the request's other fields, the status's details), as each handler states them
MISSING: list[tuple[str, dict[str, Any], str]] = [
    ("SaveConfig", {}, "config_json is required"),
    ("SavePluginConfig", {}, "config is required"),
    ("RegisterCommand", {}, "command is required"),
    ("ExecuteSlashCommand", {}, "command_args is required"),
    ("CreateCommand", {}, "command is required"),
    ("UpdateCommand", {"command_id": "c" * 26}, "command is required"),
    ("CreateBot", {}, "bot is required"),
    ("PatchBot", {"bot_user_id": "b" * 26}, "patch is required"),
    ("EnsureBotUser", {}, "bot is required"),
    ("CreateOAuthApp", {}, "app is required"),
    ("UpdateOAuthApp", {}, "app is required"),
    ("CreateGroup", {}, "group is required"),
    ("UpsertGroupSyncable", {}, "group_syncable is required"),
    ("UpdateGroupSyncable", {}, "group_syncable is required"),
    ("ShareChannel", {}, "shared_channel is required"),
    ("UpdateSharedChannel", {}, "shared_channel is required"),
    ("CreateUploadSession", {}, "upload_session is required"),
    ("UploadData", {"data": b"x"}, "upload_session is required"),
    ("SendPushNotification", {"user_id": "u" * 26}, "notification is required"),
]
REFUSING = (
    "SaveConfig", "SavePluginConfig", "RegisterCommand", "ExecuteSlashCommand", "CreateCommand",
    "UpdateCommand", "CreateBot", "PatchBot", "EnsureBotUser", "CreateOAuthApp",
    "UpdateOAuthApp", "CreateGroup", "UpsertGroupSyncable", "UpdateGroupSyncable",
    "ShareChannel", "UpdateSharedChannel", "CreateUploadSession", "UploadData",
    "SendPushNotification",
)


def _unsanitized(host: Host) -> bytes:
    return bytes(host.api.raw.GetUnsanitizedConfig(kvc.GetUnsanitizedConfigRequest()).config_json)


@pytest.mark.parity(REFUSING, f"{HANDLERS}: the (*APIServer) handler of each")
@pytest.mark.parametrize(("rpc", "fields", "details"), MISSING, ids=[m[0] for m in MISSING])
def test_a_request_without_its_message_is_refused_before_the_app(
    quiet_host: Host, rpc: str, fields: dict[str, Any], details: str,
) -> None:
    """A request without the message the rpc is about (no bot for CreateBot, no command for
    RegisterCommand, an empty config_json for SaveConfig, ...) fails with INVALID_ARGUMENT
    "<field> is required", no error id, before anything happens (no hook runs)."""
    request = message_class(API_BY_GO_NAME[rpc].request)(**fields)
    failed = status_of(lambda: getattr(quiet_host.api.raw, rpc)(request))
    assert (failed.code(), failed.details()) == (grpc.StatusCode.INVALID_ARGUMENT, details)
    assert quiet_host.hooks.fired == [] and quiet_host.emitted == []


@pytest.mark.parity("CreateBot", f"{HANDLERS}: (*APIServer).CreateBot; "
                                 f"{GRPC}/convert_remaining.go: botFromProto")
def test_an_empty_message_is_not_a_missing_one(host: Host) -> None:
    """An empty bot is not a missing one: it reaches the app, which refuses it with its own
    AppError (an id before the message)."""
    failed = status_of(lambda: host.api.raw.CreateBot(fb.CreateBotRequest(bot=fb.Bot())))
    assert failed.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert failed.details().startswith("model.bot.is_valid.")


@pytest.mark.parity("SaveConfig", f"{HANDLERS}: (*APIServer).SaveConfig")
@pytest.mark.parametrize(("text", "reason"), [
    (b"[1, 2]", "json: cannot unmarshal array into Go value of type model.Config"),
    (b'"config"', "json: cannot unmarshal string into Go value of type model.Config"),
    (b'{"TeamSettings": {"SiteName": "x"', "unexpected end of JSON input"),
    (b"NaN", "invalid character 'N' looking for beginning of value"),
    (b"{x", None),
], ids=["array", "string", "truncated", "nan", "syntax"])
def test_save_config_refuses_json_it_cannot_read(
    host: Host, text: bytes, reason: str | None,
) -> None:
    """Config JSON the handler cannot decode into a configuration (not JSON, or not an
    object) fails with INVALID_ARGUMENT "failed to unmarshal config: <why>", no error id,
    and nothing is saved."""
    before = _unsanitized(host)
    failed = status_of(lambda: host.api.raw.SaveConfig(kvc.SaveConfigRequest(config_json=text)))
    assert failed.code() == grpc.StatusCode.INVALID_ARGUMENT
    prefix, _, why = failed.details().partition("failed to unmarshal config: ")
    assert prefix == "" and why
    if reason is not None:
        assert why == reason
    assert _unsanitized(host) == before


@pytest.mark.parity("GetPluginID", f"{HANDLERS}: (*APIServer).GetPluginID")
def test_get_plugin_id_is_not_implemented(host: Host, api: APIClient) -> None:
    """GetPluginID always fails with UNIMPLEMENTED "GetPluginID not yet implemented" (the
    server's handler does not implement it); the SDK raises NotImplementedAPIError."""
    failed = status_of(lambda: host.api.raw.GetPluginID(kvc.GetPluginIDRequest()))
    assert (failed.code(), failed.details()) == (
        grpc.StatusCode.UNIMPLEMENTED, "GetPluginID not yet implemented")
    with pytest.raises(NotImplementedAPIError) as raised:
        api.get_plugin_id()
    assert raised.value.message == "GetPluginID not yet implemented"
