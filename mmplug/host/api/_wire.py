"""What crosses the wire between a Python plugin and the server's PluginAPI.

The server's gRPC API server (``server/public/pluginapi/grpc/server/`` in
mattermost/mattermost) turns each request into the Go model with a converter
(``postFromProto``, ``searchParamsFromProto``, ...) before the app layer sees it, and each
result back into protobuf (``postToProto``, ``appErrorToProto``, ...). Most converters copy
every field of the message; the ones below do not: a field a plugin sets in a request that
its converter does not copy never reaches the app layer, and a field the converter does not
copy from the result never reaches the plugin.

:func:`as_received` strips a request to what the server's app layer gets, :func:`as_answered`
strips an answer to what the plugin gets; the API server applies both at the one place it
serves every call (``ApiServer._call``), so each emulation sees and answers what the server
would. Messages not listed here cross whole.

(The other direction, the server calling a plugin's hooks, is ``mmplug.host.hook_wire``.)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from google.protobuf.message import Message

from mmplug.protocol.messages import is_map

# The fields each ...FromProto converter copies from a request, per protobuf message (names
# as in mmplug/protocol, which are wire-identical with the server's).
REQUEST_FIELDS: dict[str, frozenset[str]] = {
    # userGetOptionsFromProto (GetUsers): updated_after is not copied
    "GetUsersRequest": frozenset({
        "in_team_id", "not_in_team_id", "in_channel_id", "not_in_channel_id", "in_group_id",
        "not_in_group_id", "group_constrained", "without_team", "inactive", "active", "role",
        "roles", "channel_roles", "team_roles", "sort", "page", "per_page",
        "view_restrictions"}),
    # searchParamsFromProto (SearchPostsInTeam): page, per_page and the excluded dates are not
    # copied
    "SearchParams": frozenset({
        "terms", "is_or_search", "time_zone_offset", "include_deleted_channels",
        "in_channels", "excluded_channels", "from_users", "excluded_users", "extensions"}),
    # commandArgsFromProto (ExecuteSlashCommand): t and the mentions are not copied
    "CommandArgs": frozenset({
        "user_id", "channel_id", "team_id", "root_id", "parent_id", "trigger_id", "command",
        "site_url"}),
    # dialogElementFromProto (OpenInteractiveDialog): options and data_source are not copied
    "DialogElement": frozenset({
        "display_name", "name", "type", "subtype", "default", "placeholder", "help_text",
        "optional", "min_length", "max_length"}),
    # oauthAppFromProto (CreateOAuthApp, UpdateOAuthApp)
    "OAuthApp": frozenset({
        "id", "creator_id", "create_at", "update_at", "client_secret", "name", "description",
        "icon_url", "callback_urls", "homepage", "is_trusted"}),
    # uploadSessionFromProto (CreateUploadSession, UploadData)
    "UploadSession": frozenset({
        "id", "type", "create_at", "user_id", "channel_id", "filename", "path", "file_size",
        "file_offset"}),
    # pushNotificationFromProto (SendPushNotification)
    "PushNotification": frozenset({
        "ack_id", "platform", "server_id", "device_id", "post_id", "category", "sound",
        "message", "badge", "team_id", "channel_id", "root_id", "channel_name", "type",
        "sender_id", "sender_name", "override_username", "override_icon_url",
        "from_webhook", "version"}),
    # websocketBroadcastFromProto (PublishWebSocketEvent): connection_id only as the
    # connection to omit (see _omitted_connection)
    "WebsocketBroadcast": frozenset({
        "omit_users", "user_id", "channel_id", "team_id", "connection_id",
        "omit_connection_id"}),
    # pluginClusterEventSendOptionsFromProto (PublishPluginClusterEvent): send_type is not
    # copied (the server always sees an empty send type)
    "PluginClusterEventSendOptions": frozenset({"target_id"}),
}

# The fields each ...ToProto converter copies into an answer.
ANSWER_FIELDS: dict[str, frozenset[str]] = {
    # appErrorToProto: the AppError's params are unexported in Go and never copied
    "AppError": frozenset({
        "id", "message", "detailed_error", "request_id", "status_code", "where"}),
    # oauthAppToProto
    "OAuthApp": REQUEST_FIELDS["OAuthApp"],
    # uploadSessionToProto
    "UploadSession": REQUEST_FIELDS["UploadSession"],
}


def _omitted_connection(broadcast: Any) -> None:
    # websocketBroadcastFromProto sets only OmitConnectionId (to connection_id, when
    # omit_connection_id is set): a connection_id alone targets no connection.
    if not broadcast.omit_connection_id:
        broadcast.ClearField("connection_id")


# Converters that reshape what they copy, per message: applied after the fields are stripped.
RESHAPE: dict[str, Callable[[Any], None]] = {"WebsocketBroadcast": _omitted_connection}


def as_received(request: Message) -> Message:
    """``request`` as the server's app layer gets it: a copy, each message with only the
    fields its converter copies (``request`` itself when nothing of it is dropped)."""
    return pruned(request, REQUEST_FIELDS, RESHAPE)


def as_answered(response: Message) -> Message:
    """``response`` as the plugin gets it: a copy, each message with only the fields its
    converter copies (``response`` itself when nothing of it is dropped)."""
    return pruned(response, ANSWER_FIELDS, {})


def pruned(
    message: Message, table: dict[str, frozenset[str]], reshape: dict[str, Callable[[Any], None]],
    *, look_first: bool = True,
) -> Message:
    """``message`` with each message in it (itself included) holding only the fields
    ``table`` lists for its type (types not listed keep theirs), then reshaped by
    ``reshape``: a copy, or ``message`` itself when nothing would change. The one pruning
    mechanism of both directions (:mod:`mmplug.host.hook_wire` uses it too). Without
    ``look_first``, the copy is made without first looking whether anything would change
    (for messages that nearly always lose something: a walk saved)."""
    if not _reaches(message.DESCRIPTOR, table):
        return message
    if look_first and not _dropping(message, table, reshape):
        return message  # most answers: no copy of what may be a large message
    copy = type(message)()
    copy.CopyFrom(message)
    _prune(copy, table, reshape)
    return copy


def _dropping(
    message: Any, table: dict[str, frozenset[str]], reshape: dict[str, Callable[[Any], None]]
) -> bool:
    """Whether :func:`_prune` would change anything of ``message``."""
    name = message.DESCRIPTOR.name
    if name in reshape:
        return True
    keep = table.get(name)
    for desc, value in message.ListFields():
        if keep is not None and desc.name not in keep:
            return True
        if any(_dropping(item, table, reshape) for item in _held(desc, value, table)):
            return True
    return False


def _held(desc: Any, value: Any, table: dict[str, frozenset[str]]) -> Any:
    """The messages a set field holds that may hold something listed in ``table``."""
    sub = desc.message_type
    if sub is None:
        return ()
    if is_map(desc):
        target = sub.fields_by_name["value"].message_type
        return value.values() if target is not None and _reaches(target, table) else ()
    if not _reaches(sub, table):
        return ()
    return value if desc.is_repeated else (value,)


def _prune(
    message: Any, table: dict[str, frozenset[str]], reshape: dict[str, Callable[[Any], None]]
) -> None:
    name = message.DESCRIPTOR.name
    keep = table.get(name)
    for desc, value in message.ListFields():
        if keep is not None and desc.name not in keep:
            message.ClearField(desc.name)
            continue
        for item in _held(desc, value, table):
            _prune(item, table, reshape)
    if name in reshape:
        reshape[name](message)


_REACHES: dict[tuple[int, str], bool] = {}


def _reaches(desc: Any, table: dict[str, frozenset[str]]) -> bool:
    """Whether a message of type ``desc`` is, or can hold, a message listed in ``table``."""
    key = (id(table), desc.full_name)
    found = _REACHES.get(key)
    if found is None:
        seen: set[str] = set()
        todo = [desc]
        found = False
        while todo and not found:
            current = todo.pop()
            if current.full_name in seen:
                continue
            seen.add(current.full_name)
            found = current.name in table
            todo.extend(f.message_type for f in current.fields if f.message_type is not None)
        _REACHES[key] = found
    return found
