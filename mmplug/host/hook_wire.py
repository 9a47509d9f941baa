"""What crosses the wire between the server and a Python plugin's hooks.

The server calls a Python plugin's hooks through its gRPC hook client
(``server/public/plugin/hooks_grpc_client.go``, ``hooksGRPCClient`` in mattermost/mattermost).
That client does not send its model objects as they are: each hook method builds the request
from a few fields (a post's ``props`` and ``metadata`` never cross, a channel's ``type`` does
not either, ...), and reads only some fields of the answer (a returned post comes back without
``props``; a command answer without ``type`` and ``attachments``).

:func:`as_sent` strips a hook request to what the server sends, :func:`as_read` strips an
answer to what the server reads back; the host applies both at the one place it calls a hook
(``Session.invoke``). What the host stores stays complete, as the server's store does.

Hooks the server's gRPC hook client does not call (mmplug's extension hooks) are left as
they are.

:func:`hook_error` reads a hook answer's ``error`` as that client does (``appErrorFromProto``),
for every place the host acts on one.
"""

from __future__ import annotations

import functools
from typing import Any

from google.protobuf.message import Message

from mmplug.host.api._registry import ApiFailure
from mmplug.host.events import HostNote
from mmplug.protocol.messages import is_map

# The fields each converter copies, per protobuf message (names as in mmplug/protocol, which
# are wire-identical with the server's). A message type not listed here crosses whole.
ENTITY_FIELDS: dict[str, frozenset[str]] = {
    # pluginContextToProto
    "PluginContext": frozenset({
        "session_id", "request_id", "ip_address", "accept_language", "user_agent"}),
    # postToProto, postFromProto (the same fields both ways)
    "Post": frozenset({
        "id", "create_at", "update_at", "edit_at", "delete_at", "is_pinned", "user_id",
        "channel_id", "root_id", "original_id", "message", "message_source", "type",
        "hashtags", "file_ids", "pending_post_id", "has_reactions", "reply_count",
        "last_reply_at", "remote_id", "is_following"}),
    # userToProto
    "User": frozenset({
        "id", "create_at", "update_at", "delete_at", "username", "password", "auth_service",
        "auth_data", "email", "email_verified", "nickname", "first_name", "last_name",
        "position", "roles", "allow_marketing", "props", "notify_props",
        "last_password_update", "last_picture_update", "failed_attempts", "locale",
        "timezone", "mfa_active", "mfa_secret", "remote_id", "last_activity_at", "is_bot",
        "bot_description", "bot_last_icon_update", "terms_of_service_id",
        "terms_of_service_create_at", "disable_welcome_email", "last_login"}),
    # channelToProto
    "Channel": frozenset({
        "id", "create_at", "update_at", "delete_at", "team_id", "display_name", "name",
        "header", "purpose", "last_post_at", "total_msg_count", "extra_update_at",
        "creator_id", "scheme_id", "group_constrained", "shared", "total_msg_count_root",
        "policy_id", "last_root_post_at"}),
    # channelMemberToProto
    "ChannelMember": frozenset({
        "channel_id", "user_id", "roles", "last_viewed_at", "msg_count", "mention_count",
        "mention_count_root", "msg_count_root", "notify_props", "last_update_at",
        "scheme_guest", "scheme_user", "scheme_admin", "urgent_mention_count"}),
    # teamMemberToProto
    "TeamMember": frozenset({
        "team_id", "user_id", "roles", "delete_at", "scheme_guest", "scheme_user",
        "scheme_admin", "create_at"}),
    # commandArgsToProto
    "CommandArgs": frozenset({
        "user_id", "channel_id", "team_id", "root_id", "parent_id", "trigger_id", "command",
        "site_url"}),
    # commandResponseFromProto
    "CommandResponse": frozenset({
        "response_type", "text", "username", "channel_id", "icon_url", "goto_location",
        "trigger_id", "skip_slack_parsing", "props"}),
    # webSocketRequestToProto
    "WebSocketRequest": frozenset({"seq", "action", "data"}),
    # fileInfoToProto, fileInfoFromProto
    "FileInfo": frozenset({
        "id", "creator_id", "post_id", "channel_id", "create_at", "update_at", "delete_at",
        "name", "extension", "size", "mime_type", "width", "height", "has_preview_image",
        "mini_preview", "remote_id", "archived"}),
    # reactionToProto
    "Reaction": frozenset({
        "user_id", "post_id", "emoji_name", "create_at", "update_at", "delete_at",
        "remote_id", "channel_id"}),
    # productLimitsToProto (the limits' values are not converted: only empty messages cross)
    "ProductLimits": frozenset({"files", "messages", "teams"}),
    "FilesLimits": frozenset(),
    "MessagesLimits": frozenset(),
    "TeamsLimits": frozenset(),
    # pushNotificationToProto, pushNotificationFromProto
    "PushNotification": frozenset({
        "ack_id", "platform", "server_id", "device_id", "post_id", "category", "sound",
        "message", "badge", "team_id", "channel_id", "root_id", "channel_name", "type",
        "sender_id", "sender_name", "override_username", "override_icon_url",
        "from_webhook", "version"}),
    # preferenceToProto
    "Preference": frozenset({"user_id", "category", "name", "value"}),
    # remoteClusterToProto
    "RemoteCluster": frozenset({
        "remote_id", "remote_team_id", "name", "display_name", "site_url", "create_at",
        "last_ping_at", "token", "remote_token", "topics", "creator_id"}),
    # syncResponseFromProto
    "SyncResponse": frozenset({
        "users_last_update_at", "user_errors", "users_syncd", "posts_last_update_at",
        "post_errors", "reactions_last_update_at", "reaction_errors",
        "acknowledgements_last_update_at", "acknowledgement_errors", "status_errors"}),
    # emailNotificationContentFromProto
    "EmailNotificationContent": frozenset({
        "subject", "title", "sub_title", "message_html", "message_text", "button_text",
        "button_url", "footer_text"}),
    # (*hooksGRPCClient).OnPluginClusterEvent builds it in place
    "PluginClusterEvent": frozenset({"id", "data"}),
    # (*hooksGRPCClient).OnInstall builds it in place
    "OnInstallEvent": frozenset({"user_id"}),
    # (*hooksGRPCClient).GenerateSupportData reads these of each file
    "FileData": frozenset({"filename", "data"}),
}

_CTX_POST = frozenset({"plugin_context", "post"})
_CTX_EDIT = frozenset({"plugin_context", "new_post", "old_post"})
_CTX_USER = frozenset({"plugin_context", "user"})
_CTX_MEMBER = frozenset({"plugin_context", "channel_member", "actor"})
_CTX_TEAM_MEMBER = frozenset({"plugin_context", "team_member", "actor"})
_CTX_REACTION = frozenset({"plugin_context", "reaction"})
_WEB_CONN = frozenset({"web_conn_id", "user_id"})
_NONE: frozenset[str] = frozenset()
_ERROR = frozenset({"error"})
_REJECT_POST = frozenset({"rejection_reason", "modified_post"})

# The request fields each (*hooksGRPCClient).<Hook> method sets: the others (``context``
# always) stay empty on the wire.
REQUEST_FIELDS: dict[str, frozenset[str]] = {
    "Implemented": _NONE,
    "OnActivate": _NONE,
    "OnDeactivate": _NONE,
    "OnConfigurationChange": _NONE,
    "OnInstall": frozenset({"plugin_context", "event"}),
    "OnSendDailyTelemetry": _NONE,
    "RunDataRetention": frozenset({"now_time", "batch_size"}),
    "OnCloudLimitsUpdated": frozenset({"limits"}),
    "ConfigurationWillBeSaved": frozenset({"new_config"}),
    "MessageWillBePosted": _CTX_POST,
    "MessageWillBeUpdated": _CTX_EDIT,
    "MessageHasBeenPosted": _CTX_POST,
    "MessageHasBeenUpdated": _CTX_EDIT,
    "MessagesWillBeConsumed": frozenset({"posts"}),
    "MessageHasBeenDeleted": _CTX_POST,
    "FileWillBeUploaded": frozenset({"plugin_context", "file_info", "file_content"}),
    "ReactionHasBeenAdded": _CTX_REACTION,
    "ReactionHasBeenRemoved": _CTX_REACTION,
    "NotificationWillBePushed": frozenset({"push_notification", "user_id"}),
    "EmailNotificationWillBeSent": frozenset({"email_notification"}),
    "PreferencesHaveChanged": frozenset({"plugin_context", "preferences"}),
    "UserHasBeenCreated": _CTX_USER,
    "UserWillLogIn": _CTX_USER,
    "UserHasLoggedIn": _CTX_USER,
    "UserHasBeenDeactivated": _CTX_USER,
    "OnSAMLLogin": frozenset({"plugin_context", "user", "assertion"}),
    "ChannelHasBeenCreated": frozenset({"plugin_context", "channel"}),
    "UserHasJoinedChannel": _CTX_MEMBER,
    "UserHasLeftChannel": _CTX_MEMBER,
    "UserHasJoinedTeam": _CTX_TEAM_MEMBER,
    "UserHasLeftTeam": _CTX_TEAM_MEMBER,
    "ExecuteCommand": frozenset({"plugin_context", "args"}),
    "OnWebSocketConnect": _WEB_CONN,
    "OnWebSocketDisconnect": _WEB_CONN,
    "WebSocketMessageHasBeenPosted": frozenset({"web_conn_id", "user_id", "request"}),
    "OnPluginClusterEvent": frozenset({"plugin_context", "event"}),
    "OnSharedChannelsSyncMsg": frozenset({"sync_msg", "remote_cluster"}),
    "OnSharedChannelsPing": frozenset({"remote_cluster"}),
    "OnSharedChannelsAttachmentSyncMsg": frozenset({"file_info", "post", "remote_cluster"}),
    "OnSharedChannelsProfileImageSyncMsg": frozenset({"user", "remote_cluster"}),
    "GenerateSupportData": frozenset({"plugin_context"}),
}

# The answer fields each (*hooksGRPCClient).<Hook> method reads: the others (all of them for
# a hook whose answer it ignores) never reach the server.
ANSWER_FIELDS: dict[str, frozenset[str]] = {
    "Implemented": frozenset({"error", "hooks"}),
    "OnActivate": _ERROR,
    "OnDeactivate": _ERROR,
    "OnConfigurationChange": _ERROR,
    "OnInstall": _ERROR,
    "OnSendDailyTelemetry": _NONE,
    "RunDataRetention": frozenset({"error", "deleted_count"}),
    "OnCloudLimitsUpdated": _NONE,
    "ConfigurationWillBeSaved": frozenset({"error", "modified_config"}),
    "MessageWillBePosted": _REJECT_POST,
    "MessageWillBeUpdated": _REJECT_POST,
    "MessageHasBeenPosted": _NONE,
    "MessageHasBeenUpdated": _NONE,
    "MessagesWillBeConsumed": frozenset({"posts"}),
    "MessageHasBeenDeleted": _NONE,
    "FileWillBeUploaded": frozenset({
        "rejection_reason", "modified_content", "modified_file_info"}),
    "ReactionHasBeenAdded": _NONE,
    "ReactionHasBeenRemoved": _NONE,
    "NotificationWillBePushed": frozenset({"rejection_reason", "modified_notification"}),
    "EmailNotificationWillBeSent": frozenset({"rejection_reason", "modified_content"}),
    "PreferencesHaveChanged": _NONE,
    "UserHasBeenCreated": _NONE,
    "UserWillLogIn": frozenset({"rejection_reason"}),
    "UserHasLoggedIn": _NONE,
    "UserHasBeenDeactivated": _NONE,
    "OnSAMLLogin": _ERROR,
    "ChannelHasBeenCreated": _NONE,
    "UserHasJoinedChannel": _NONE,
    "UserHasLeftChannel": _NONE,
    "UserHasJoinedTeam": _NONE,
    "UserHasLeftTeam": _NONE,
    "ExecuteCommand": frozenset({"error", "response"}),
    "OnWebSocketConnect": _NONE,
    "OnWebSocketDisconnect": _NONE,
    "WebSocketMessageHasBeenPosted": _NONE,
    "OnPluginClusterEvent": _NONE,
    "OnSharedChannelsSyncMsg": frozenset({"error", "response"}),
    "OnSharedChannelsPing": frozenset({"healthy"}),
    "OnSharedChannelsAttachmentSyncMsg": _ERROR,
    "OnSharedChannelsProfileImageSyncMsg": _ERROR,
    "GenerateSupportData": frozenset({"error", "files"}),
}


def as_sent(hook: str, request: Message) -> Message:
    """``request`` as the server's gRPC hook client sends it for ``hook`` (Go name): a copy
    with only the fields its method sets, each entity with only the fields its converter
    copies. A hook the server's client does not call comes back as it is."""
    return _stripped(hook, request, "request", REQUEST_FIELDS)


def as_read(hook: str, response: Message) -> Message:
    """``response`` as the server's gRPC hook client reads it for ``hook``: a copy with only
    the fields its method reads, each entity with only the fields its converter copies."""
    return _stripped(hook, response, "response", ANSWER_FIELDS)


def hook_error(response: Message | None) -> ApiFailure | None:
    """The AppError the server builds from a hook's answer, or None when the answer has no
    ``error`` set.

    As ``appErrorFromProto``: an ``error`` that is set counts, even with an empty id; its id,
    where, params, detailed error and status code are kept as given (a status of 0 stays 0:
    each caller decides what it makes of it); the plugin's ``message`` and ``request_id`` are
    not read. The message is the server's translation of the id, which for an id the server
    does not know (a plugin's own) is the id itself."""
    if response is None or "error" not in response.DESCRIPTOR.fields_by_name:
        return None
    if not response.HasField("error"):
        return None
    error: Any = response.error  # type: ignore[attr-defined]
    params: dict[str, Any] = {}
    if error.HasField("params"):
        from google.protobuf import json_format

        params = json_format.MessageToDict(error.params)
    return ApiFailure(int(error.status_code), error.id, error.id,
                      detailed_error=error.detailed_error, where=error.where, params=params)


def error_text(error: ApiFailure) -> str:
    """What the server prints for ``error`` (``(*AppError).Error``: where, message, detailed
    error), or, for an AppError with nothing in it, a sentence saying so."""
    body = error.message
    if error.detailed_error:
        body += (", " if body else "") + error.detailed_error
    if not body:
        body = ("an AppError with an empty id (the server does not read its message, so it "
                "shows nothing)")
    return f"{error.where}: {body}" if error.where else body


def dropped(hook: str, response: Message | None) -> list[str]:
    """The fields of ``response`` (dotted paths) the plugin set that the server does not read."""
    keep = ANSWER_FIELDS.get(hook)
    if response is None or keep is None:
        return []
    return _unread(response, keep, "")


def dropped_note(hook: str, response: Message | None) -> HostNote | None:
    """A note naming what of the plugin's answer never reaches the server, if anything."""
    from mmplug.host.hookpath import IGNORED

    paths = dropped(hook, response)
    if not paths:
        return None
    return HostNote(IGNORED, f"the server's gRPC hook client does not read {', '.join(paths)} "
                             "of the answer: dropped, as on the server")


def unsent(hook: str, request: Message | None) -> list[str]:
    """The fields of ``request`` (dotted paths) holding something that the server's hook
    client never sends: the plugin gets the request without them. ``context`` is left out
    (the host fills it for its own bookkeeping; the server never sets it)."""
    keep = REQUEST_FIELDS.get(hook)
    if request is None or keep is None:
        return []
    return _unread(request, keep | {"context"}, "", skip_empty=True)


def unsent_note(hook: str, request: Message | None) -> HostNote | None:
    """A note naming what of the request never reaches the plugin, if anything."""
    from mmplug.host.hookpath import IGNORED

    paths = unsent(hook, request)
    if not paths:
        return None
    return HostNote(IGNORED, f"the server's gRPC hook client does not send {', '.join(paths)}: "
                             "the plugin got the request without them, as from a real server")


def _unread(message: Any, keep: frozenset[str], prefix: str,
            skip_empty: bool = False) -> list[str]:
    paths: list[str] = []
    for desc, value in message.ListFields():
        path = prefix + desc.name
        if desc.name not in keep:
            if not (skip_empty and desc.message_type is not None and not desc.is_repeated
                    and not value.ByteSize()):
                paths.append(path)
            continue
        sub = desc.message_type
        fields = None if sub is None or is_map(desc) else ENTITY_FIELDS.get(
            sub.name)
        if fields is None:
            continue
        for item in (value if desc.is_repeated else (value,)):
            for found in _unread(item, fields, path + ".", skip_empty):
                if found not in paths:
                    paths.append(found)
    return paths


def _stripped(hook: str, message: Message, side: str,
              per_hook: dict[str, frozenset[str]]) -> Message:
    """``message`` pruned by the API side's mechanism (:func:`mmplug.host.api._wire.pruned`)
    with the table of ``side`` by message type; a hook the server's client does not call
    keeps its message as it is."""
    if hook not in per_hook:
        return message
    from mmplug.host.api._wire import pruned

    # a request always loses its context (the host fills it); an answer is copied only when
    # it holds something the server does not read
    return pruned(message, _by_message(side), {}, look_first=side != "request")


@functools.cache
def _by_message(side: str) -> dict[str, frozenset[str]]:
    """The fields kept per message type: each hook's ``side`` message (its request or its
    response) with the fields its Go method sets or reads, and every entity's."""
    from mmplug.protocol.catalog import HOOKS_BY_GO_NAME
    from mmplug.protocol.messages import message_class

    per_hook = REQUEST_FIELDS if side == "request" else ANSWER_FIELDS
    table = dict(ENTITY_FIELDS)
    for hook, fields in per_hook.items():
        name = getattr(HOOKS_BY_GO_NAME[hook], side)
        table[message_class(name).DESCRIPTOR.name] = fields
    return table
