"""What the server's gRPC handler of an rpc answers itself, before the app or instead of it.

Each handler of the server's gRPC API server (``server/public/pluginapi/grpc/server/`` in
mattermost/mattermost) converts the request before the app layer sees it. A few refuse the
request on their own, with a gRPC status no AppError made (so it has no error id):

* a request without its message (:data:`REQUIRED`): INVALID_ARGUMENT ``"<field> is required"``.
  The converters (``botFromProto``, ``commandFromProto``, ...) give nil only for a message that
  is not there at all, so an empty message passes to the app; SaveConfig's ``config_json`` is
  required not to be empty;
* a request the handler cannot convert: SaveConfig's config JSON (INVALID_ARGUMENT ``failed to
  unmarshal config: <Go's error>``), PluginHTTP's method or URL (INVALID_ARGUMENT ``failed to
  create request: <Go's error>``); an answer it cannot make is INTERNAL ``failed to ...: ...``.
  The emulation raises :class:`HandlerStatus` for these, as they depend on what it reads;
* an rpc the handler does not implement (:data:`UNIMPLEMENTED`): UNIMPLEMENTED to every call.
  Its emulation answers that (:func:`unimplemented`); a stub still wins over it.

:func:`refusal` is the one rule for the first; the API server applies it at the one place it
serves every call (``ApiServer._call``), before a stub or an emulation is asked, as the
server's handler answers before its app is asked. (How an AppError the app returns travels is
:mod:`mmplug.host.api._status`.)
"""

from __future__ import annotations

from typing import Any

# handlers_remaining.go: the rpcs whose handler refuses a request without this field, as
# (field, the status's details).
REQUIRED: dict[str, tuple[str, str]] = {
    "SaveConfig": ("config_json", "config_json is required"),
    "SavePluginConfig": ("config", "config is required"),
    "RegisterCommand": ("command", "command is required"),
    "ExecuteSlashCommand": ("command_args", "command_args is required"),
    "CreateCommand": ("cmd", "command is required"),
    "UpdateCommand": ("updated_cmd", "command is required"),
    "CreateBot": ("bot", "bot is required"),
    "PatchBot": ("bot_patch", "patch is required"),
    "EnsureBotUser": ("bot", "bot is required"),
    "CreateOAuthApp": ("app", "app is required"),
    "UpdateOAuthApp": ("app", "app is required"),
    "CreateGroup": ("group", "group is required"),
    "UpsertGroupSyncable": ("group_syncable", "group_syncable is required"),
    "UpdateGroupSyncable": ("group_syncable", "group_syncable is required"),
    "ShareChannel": ("shared_channel", "shared_channel is required"),
    "UpdateSharedChannel": ("shared_channel", "shared_channel is required"),
    "CreateUploadSession": ("upload_session", "upload_session is required"),
    "UploadData": ("upload_session", "upload_session is required"),
    "SendPushNotification": ("notification", "notification is required"),
}

# handlers_remaining.go: the rpcs whose handler answers UNIMPLEMENTED to every call, with
# these details.
UNIMPLEMENTED: dict[str, str] = {
    "GetPluginID": "GetPluginID not yet implemented",
}

# What a plugin does instead, for mmplug check and the SDK's docs (one sentence each).
INSTEAD: dict[str, str] = {
    "GetPluginID": (
        "read the id from your plugin.json (the server starts the plugin in its bundle "
        'folder, so json.load(open("plugin.json"))["id"] is it), or keep it as a constant'
    ),
}


class HandlerStatus(Exception):
    """A gRPC status the server's handler answers itself (no AppError, so no error id):
    ``code`` is the status code's name (``INVALID_ARGUMENT``, ``INTERNAL``, ...)."""

    def __init__(self, code: str, details: str) -> None:
        super().__init__(details)
        self.code = code
        self.details = details


def _is_set(request: Any, field: str) -> bool:
    value = getattr(request, field)
    if request.DESCRIPTOR.fields_by_name[field].message_type is not None:
        return bool(request.HasField(field))
    return bool(value)  # a scalar (SaveConfig's bytes): required not to be empty


def unimplemented(go_name: str) -> HandlerStatus:
    """What the server answers every call of an rpc its handler does not implement."""
    return HandlerStatus("UNIMPLEMENTED", UNIMPLEMENTED[go_name])


def refusal(go_name: str, request: Any) -> HandlerStatus | None:
    """The status the server's handler of ``go_name`` answers for ``request`` before its app
    is asked, or None when the app gets the request."""
    required = REQUIRED.get(go_name)
    if required is not None and not _is_set(request, required[0]):
        return HandlerStatus("INVALID_ARGUMENT", required[1])
    return None
