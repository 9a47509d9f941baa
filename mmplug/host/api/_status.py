"""How a failed PluginAPI call reaches the plugin: in the response's ``error`` field, or as a
gRPC status.

The server's gRPC API server (``server/public/pluginapi/grpc/server/`` in mattermost/mattermost)
does both. The post, KV and file handlers (``api_post.go``, ``api_kv.go``, ``api_file.go``) put
the AppError in the response's ``error`` field and answer normally. Every other handler
(``handlers_user.go``, ``handlers_team.go``, ``handlers_channel.go``,
``handlers_remaining.go``) answers no response at all but a gRPC status (``errors.go``:
``AppErrorToStatus``, ``ErrorToStatus``): the code comes from the AppError's HTTP status, the
details are ``"<error id>: <message>"``, and the AppError's detailed error, where and status
code do not cross. A plain Go error (not an AppError) becomes INTERNAL with the details
``"internal error: <text>"``.

Some rpcs of the wire contract are not served at all (:data:`NOT_SERVED`): the server's
generated service (``generated/go/pluginapiv1/api_grpc.pb.go``, built from the same protos as the
wire contract) has them, but no handler file defines them, so the ``UnimplementedPluginAPIServer``
the API server embeds answers every call with UNIMPLEMENTED ``"method <Name> not implemented"``
(:func:`not_served_details`). That is the newest server code read; a newer branch may serve them.
mmplug emulates them as the Go plugin API behaves, so a plugin can try them (``mmplug check``
warns when a plugin calls one; docs/parity.md lists them), and their failures reach the plugin
as a gRPC status, as the server answers every call of them.

:func:`status_of` is the one rule; the API server applies it at the one place it serves every
call (``ApiServer._call``), to emulations and stubs alike.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mmplug.protocol import common_pb2

# api_post.go, api_kv.go, api_file.go: the AppError goes in the response.
IN_RESPONSE: frozenset[str] = frozenset({
    # api_post.go
    "CreatePost", "AddReaction", "RemoveReaction", "GetReactions", "SendEphemeralPost",
    "UpdateEphemeralPost", "DeleteEphemeralPost", "DeletePost", "GetPostThread", "GetPost",
    "GetPostsSince", "GetPostsAfter", "GetPostsBefore", "GetPostsForChannel", "UpdatePost",
    "SearchPostsInTeam", "SearchPostsInTeamForUser",
    # api_kv.go
    "KVSet", "KVCompareAndSet", "KVCompareAndDelete", "KVSetWithOptions", "KVSetWithExpiry",
    "KVGet", "KVDelete", "KVDeleteAll", "KVList",
    # api_file.go
    "CopyFileInfos", "GetFileInfo", "SetFileSearchableContent", "GetFileInfos", "GetFile",
    "GetFileLink", "ReadFile", "UploadFile",
    # api_server.go (never fail)
    "GetServerVersion", "IsEnterpriseReady",
})

# rpcs of the wire contract no handler of the server's API server implements (the handler files
# handlers_*.go, api_*.go): the generated UnimplementedPluginAPIServer answers every call.
NOT_SERVED: frozenset[str] = frozenset({
    "UpsertGroupMembers", "GetGroupByRemoteID", "UpdateGroup", "RestoreGroup",
    "GetGroupSyncables", "GetGroups", "CreateDefaultSyncableMemberships",
    "DeleteGroupConstrainedMemberships", "InviteRemoteToChannel", "UninviteRemoteFromChannel",
    "CreatePropertyField", "GetPropertyField", "GetPropertyFields", "UpdatePropertyField",
    "DeletePropertyField", "SearchPropertyFields", "CountPropertyFields",
    "CountPropertyFieldsForTarget", "CreatePropertyValue", "GetPropertyValue",
    "GetPropertyValues", "UpdatePropertyValue", "UpsertPropertyValue", "DeletePropertyValue",
    "SearchPropertyValues", "RegisterPropertyGroup", "GetPropertyGroup",
    "GetPropertyFieldByName", "UpdatePropertyFields", "UpdatePropertyValues",
    "UpsertPropertyValues", "DeletePropertyValuesForTarget", "DeletePropertyValuesForField",
    "LogAuditRec", "LogAuditRecWithLevel",
})

# errors.go httpToGRPCCode; any other HTTP status is INTERNAL.
GRPC_CODE_OF_HTTP: dict[int, str] = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    413: "RESOURCE_EXHAUSTED",
    429: "RESOURCE_EXHAUSTED",
    501: "UNIMPLEMENTED",
    503: "UNAVAILABLE",
}

# The id mmplug gives the failures the server reports as a plain Go error, not an AppError.
PLAIN_ERROR_ID = "mmplug.fake_host.plain_error"


def fails_with_status(go_name: str) -> bool:
    """Whether the server reports a failure of ``go_name`` as a gRPC status (else: in the
    response's ``error`` field)."""
    return go_name not in IN_RESPONSE


def not_served_details(go_name: str) -> str:
    """The details of the UNIMPLEMENTED status the server answers every call of a
    :data:`NOT_SERVED` rpc with (grpc-go's generated ``Unimplemented<Service>Server``)."""
    return f"method {go_name} not implemented"


def status_of(error: common_pb2.AppError) -> tuple[str, str]:
    """The gRPC status (code name, details) the server answers for ``error``."""
    if error.id == PLAIN_ERROR_ID:  # ErrorToStatus of a plain error; the message says it all
        return "INTERNAL", error.message
    return GRPC_CODE_OF_HTTP.get(error.status_code, "INTERNAL"), f"{error.id}: {error.message}"
