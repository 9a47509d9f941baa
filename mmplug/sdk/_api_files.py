"""Hand-written file, event and preference methods (text accepted as bytes, payloads as dicts,
flattened options).

Each function returns a ``Call``; scripts/gen_sdk.py makes it a method of both API clients.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ._convert import dict_to_struct, entity
from ._core import Call, call, handwritten, nothing
from ._entity import to_bytes
from .model import FileInfo, Preference


def _file_info(response: Any) -> FileInfo:
    return FileInfo.from_proto(response.file_info)


# -- files -----------------------------------------------------------------------------------
@handwritten("UploadFile")
def upload_file(data: bytes | str, channel_id: str, filename: str) -> Call[FileInfo]:
    """Store a file in a channel; attach it with ``create_post({"file_ids": [info.id]})``."""
    return call("UploadFile", _file_info, data=to_bytes(data), channel_id=channel_id,
                filename=filename)


# -- events ----------------------------------------------------------------------------------
@handwritten("PublishWebSocketEvent")
def publish_websocket_event(
    event: str,
    payload: Mapping[str, Any] | None = None,
    *,
    user_id: str = "",
    channel_id: str = "",
    team_id: str = "",
    omit_users: Iterable[str] = (),
) -> Call[None]:
    """Send ``custom_<plugin id>_<event>`` to web clients: everyone, or only ``user_id``,
    the members of ``channel_id`` or of ``team_id``."""
    broadcast = entity("WebsocketBroadcast", None, user_id=user_id, channel_id=channel_id,
                       team_id=team_id, omit_users=list(omit_users))
    return call("PublishWebSocketEvent", nothing, event=event, payload=dict_to_struct(payload),
                broadcast=broadcast)


@handwritten("PublishPluginClusterEvent")
def publish_plugin_cluster_event(
    event_id: str,
    data: bytes | str = b"",
    *,
    send_type: str = "reliable",
    target_id: str = "",
) -> Call[None]:
    """Send an event to this plugin on the other cluster nodes (``target_id`` one node, empty
    for all). ``send_type`` does not reach the server: its gRPC API drops it."""
    return call("PublishPluginClusterEvent", nothing,
                event={"id": event_id, "data": to_bytes(data)},
                opts={"send_type": send_type, "target_id": target_id})


# -- preferences -----------------------------------------------------------------------------
@handwritten("UpdatePreferencesForUser")
def update_preferences_for_user(
    user_id: str, preferences: Iterable[Preference | Mapping[str, Any]]
) -> Call[None]:
    """Save preferences (entities or dicts with ``category``, ``name``, ``value``;
    ``user_id`` defaults to the user's)."""
    built: list[Any] = [entity("Preference", p) for p in preferences]
    for preference in built:
        if not preference.user_id:
            preference.user_id = user_id
    return call("UpdatePreferencesForUser", nothing, user_id=user_id, preferences=built)
