"""Server parity of how a failed PluginAPI call reaches the plugin: the post, KV and file rpcs
answer the AppError in the response's error field, every other rpc answers a gRPC status made
of it (mmplug.host.api._status), and mmplug's SDK raises the same exception either way."""

from __future__ import annotations

import grpc
import pytest
from worldhost import Host, status_of

from mmplug.host.api._status import NOT_SERVED
from mmplug.protocol import api_channel_post_pb2 as cp
from mmplug.protocol import api_kv_config_pb2 as kvc
from mmplug.protocol import api_remaining_pb2 as rem
from mmplug.protocol import api_user_team_pb2 as pb
from mmplug.protocol import user_pb2
from mmplug.protocol.catalog import API_BY_GO_NAME
from mmplug.protocol.messages import message_class
from mmplug.sdk import (
    APIClient,
    InvalidArgumentError,
    NotFoundError,
    NotImplementedAPIError,
    PermissionDeniedError,
    PluginAPIError,
)

GRPC = "server/public/pluginapi/grpc/server"
TO_STATUS = f"{GRPC}/errors.go: AppErrorToStatus"
# the rpcs of the wire contract the server's API server has no handler for
UNSERVED_RPCS = (
    "UpsertGroupMembers", "GetGroupByRemoteID", "UpdateGroup", "RestoreGroup", "GetGroupSyncables",
    "GetGroups", "CreateDefaultSyncableMemberships", "DeleteGroupConstrainedMemberships",
    "InviteRemoteToChannel", "UninviteRemoteFromChannel", "CreatePropertyField",
    "GetPropertyField", "GetPropertyFields", "UpdatePropertyField", "DeletePropertyField",
    "SearchPropertyFields", "CountPropertyFields", "CountPropertyFieldsForTarget",
    "CreatePropertyValue", "GetPropertyValue", "GetPropertyValues", "UpdatePropertyValue",
    "UpsertPropertyValue", "DeletePropertyValue", "SearchPropertyValues", "RegisterPropertyGroup",
    "GetPropertyGroup", "GetPropertyFieldByName", "UpdatePropertyFields", "UpdatePropertyValues",
    "UpsertPropertyValues", "DeletePropertyValuesForTarget", "DeletePropertyValuesForField",
    "LogAuditRec", "LogAuditRecWithLevel",
)
UNSERVED = ("server/public/pluginapi/grpc/generated/go/pluginapiv1/api_grpc.pb.go: "
            f"UnimplementedPluginAPIServer; {GRPC}/api_server.go: APIServer")
MISSING_USER = ("app.user.missing_account.const", "Unable to find the user.")


@pytest.mark.parity("GetUser", f"{GRPC}/handlers_user.go: (*APIServer).GetUser; {TO_STATUS}")
def test_a_user_rpc_fails_with_a_grpc_status_not_an_error_field(host: Host) -> None:
    """GetUser of an unknown user answers no response but a NOT_FOUND gRPC status whose
    details are "<error id>: <message>"."""
    missing = host.store.new_id()
    failed = status_of(lambda: host.api.raw.GetUser(pb.GetUserRequest(user_id=missing)))
    assert failed.code() == grpc.StatusCode.NOT_FOUND
    error_id, _, message = failed.details().partition(": ")
    assert error_id == MISSING_USER[0] and message


@pytest.mark.parity("GetPost", f"{GRPC}/api_post.go: (*APIServer).GetPost")
def test_a_post_rpc_answers_its_error_in_the_response(host: Host) -> None:
    """GetPost of an unknown post answers normally, with the AppError (status 404) in the
    response's error field."""
    rsp = host.api.raw.GetPost(cp.GetPostRequest(post_id=host.store.new_id()))
    assert rsp.error.status_code == 404 and rsp.error.id and not rsp.HasField("post")


@pytest.mark.parity("KVSet", f"{GRPC}/api_kv.go: (*APIServer).KVSet")
def test_a_kv_rpc_answers_its_error_in_the_response(host: Host) -> None:
    """KVSet with an empty key answers normally, with the AppError in the response's error
    field."""
    rsp = host.api.raw.KVSet(kvc.KVSetRequest(key="", value=b"x"))
    assert rsp.error.id and rsp.error.status_code


@pytest.mark.parity(
    ("CreateUser", "GetLDAPUserAttributes", "GetTeamMember"),
    f"{GRPC}/handlers_user.go, handlers_team.go; {TO_STATUS}",
)
def test_the_status_code_comes_from_the_app_errors_http_status(host: Host) -> None:
    """A 400 is INVALID_ARGUMENT, a 404 NOT_FOUND, a 501 UNIMPLEMENTED (and a 401
    UNAUTHENTICATED, 403 PERMISSION_DENIED, 409 ALREADY_EXISTS, 413 and 429
    RESOURCE_EXHAUSTED, 503 UNAVAILABLE, anything else INTERNAL)."""
    bad = status_of(lambda: host.api.raw.CreateUser(pb.CreateUserRequest(user=user_pb2.User())))
    assert bad.code() == grpc.StatusCode.INVALID_ARGUMENT
    team = next(iter(host.info.teams.values()))
    gone = status_of(lambda: host.api.raw.GetTeamMember(
        pb.GetTeamMemberRequest(team_id=team, user_id=host.store.new_id())))
    assert gone.code() == grpc.StatusCode.NOT_FOUND
    off = status_of(lambda: host.api.raw.GetLDAPUserAttributes(
        pb.GetLDAPUserAttributesRequest(user_id=host.user("alice"), attributes=["cn"])))
    assert off.code() == grpc.StatusCode.UNIMPLEMENTED and ": " in off.details()


@pytest.mark.parity("RegisterCommand", f"{GRPC}/handlers_remaining.go: "
                                       "(*APIServer).RegisterCommand; errors.go: ErrorToStatus")
def test_a_plain_go_error_is_an_internal_status_without_an_id(host: Host) -> None:
    """A plain Go error (RegisterCommand with an empty trigger) is an INTERNAL status whose
    details are "internal error: <text>", with no AppError id."""
    failed = status_of(lambda: host.api.raw.RegisterCommand(
        rem.RegisterCommandRequest(command=rem.Command(trigger=""))))
    assert failed.code() == grpc.StatusCode.INTERNAL
    assert failed.details().startswith("internal error: ")


@pytest.mark.parity("GetUser", f"{GRPC}/handlers_user.go: (*APIServer).GetUser; {TO_STATUS}")
def test_a_stubbed_error_reaches_the_plugin_as_the_server_sends_it(host: Host) -> None:
    """A stub's error for GetUser is a gRPC status too, as the server would send it."""
    host.server.stubs.add(
        "GetUser", {"error": {"id": "my.stub.denied", "message": "no", "status_code": 403}})
    try:
        failed = status_of(lambda: host.api.raw.GetUser(pb.GetUserRequest(user_id="x" * 26)))
    finally:
        host.server.stubs.remove("GetUser")
    assert (failed.code(), failed.details()) == (
        grpc.StatusCode.PERMISSION_DENIED, "my.stub.denied: no")


@pytest.mark.parity(
    ("GetUser", "GetPost"),
    f"{GRPC}/handlers_user.go: (*APIServer).GetUser; {GRPC}/api_post.go: (*APIServer).GetPost",
)
def test_the_sdk_raises_the_same_exception_either_way(host: Host, api: APIClient) -> None:
    """A NOT_FOUND status and a 404 in the error field raise the same NotFoundError: status
    404, the AppError's id and message."""
    with pytest.raises(NotFoundError) as by_status:
        api.get_user(host.store.new_id())
    raw = host.api.raw.GetPost(cp.GetPostRequest(post_id="p" * 26)).error
    with pytest.raises(NotFoundError) as in_response:
        api.get_post("p" * 26)
    assert (by_status.value.status_code, by_status.value.error_id) == (404, MISSING_USER[0])
    assert by_status.value.message and by_status.value.grpc_code == "NOT_FOUND"
    assert (in_response.value.status_code, in_response.value.error_id,
            in_response.value.message) == (404, raw.id, raw.message)
    assert by_status.value.method == "GetUser" and in_response.value.method == "GetPost"


@pytest.mark.parity(("GetUser", "RegisterCommand"), f"{TO_STATUS}; errors.go: ErrorToStatus")
def test_the_sdk_reads_each_status_as_the_same_app_error_in_a_response(
    host: Host, api: APIClient,
) -> None:
    """Whatever the status, the SDK raises the class, status code, id and message the same
    AppError in the response would give; a plain Go error is a PluginAPIError 500 whose
    message is "internal error: <text>"."""
    for status, cls in ((400, InvalidArgumentError), (403, PermissionDeniedError),
                        (501, NotImplementedAPIError), (500, PluginAPIError)):
        host.server.stubs.add(
            "GetUser", {"error": {"id": "my.stub.err", "message": "why", "status_code": status}})
        try:
            with pytest.raises(PluginAPIError) as failed:
                api.get_user("x" * 26)
        finally:
            host.server.stubs.remove("GetUser")
        assert type(failed.value) is cls
        assert (failed.value.status_code, failed.value.error_id, failed.value.message) == (
            status, "my.stub.err", "why")
    with pytest.raises(PluginAPIError) as plain:
        api.register_command(trigger="")
    assert (plain.value.status_code, plain.value.grpc_code) == (500, "INTERNAL")
    assert plain.value.message.startswith("internal error: ")


@pytest.mark.parity(UNSERVED_RPCS, UNSERVED)
@pytest.mark.parametrize("rpc", UNSERVED_RPCS)
def test_a_failure_of_an_rpc_the_server_does_not_serve_is_a_grpc_status(
    host: Host, rpc: str,
) -> None:
    """The server answers every call of an rpc it has no handler for (the property fields and
    values, GetGroups, LogAuditRec, ...) with a gRPC status and no response, so mmplug answers
    a failure of its emulation as a status too, never in the response's error field."""
    assert set(UNSERVED_RPCS) == NOT_SERVED
    host.server.stubs.add(
        rpc, {"error": {"id": "my.stub.gone", "message": "no such thing", "status_code": 404}})
    try:
        request = message_class(API_BY_GO_NAME[rpc].request)()
        failed = status_of(lambda: getattr(host.api.raw, rpc)(request))
    finally:
        host.server.stubs.remove(rpc)
    assert (failed.code(), failed.details()) == (
        grpc.StatusCode.NOT_FOUND, "my.stub.gone: no such thing")


@pytest.mark.parity("GetPropertyField", UNSERVED)
def test_an_emulated_unserved_rpc_fails_as_a_status_the_sdk_reads(
    host: Host, api: APIClient,
) -> None:
    """GetPropertyField of an unknown field answers a NOT_FOUND gRPC status whose details are
    "<error id>: <message>", and the SDK raises NotFoundError with that id and message."""
    group = host.api.raw.RegisterPropertyGroup(rem.RegisterPropertyGroupRequest(name="errs"))
    group_id, missing = group.group.id, host.store.new_id()
    failed = status_of(lambda: host.api.raw.GetPropertyField(
        rem.GetPropertyFieldRequest(group_id=group_id, field_id=missing)))
    assert failed.code() == grpc.StatusCode.NOT_FOUND
    assert failed.details().startswith("app.property.not_found.app_error: ")
    with pytest.raises(NotFoundError) as raised:
        api.get_property_field(group_id, missing)
    assert (raised.value.status_code, raised.value.error_id, raised.value.grpc_code) == (
        404, "app.property.not_found.app_error", "NOT_FOUND")
