"""Files, WebSocket and cluster events, and user preferences."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from ._api_base import APIBase
from ._convert import dict_to_struct, entity, to_bytes

if TYPE_CHECKING:
    from mmplug.protocol.api_remaining_pb2 import Preference
    from mmplug.protocol.file_pb2 import FileInfo


class FilesMixin(APIBase):
    # -- files -----------------------------------------------------------------------------
    def upload_file(self, data: bytes | str, channel_id: str, filename: str) -> FileInfo:
        """Store a file in a channel; attach it with ``create_post({"file_ids": [info.id]})``."""
        info: FileInfo = self._field("UploadFile", "file_info", data=to_bytes(data),
                                     channel_id=channel_id, filename=filename)
        return info

    def get_file(self, file_id: str) -> bytes:
        """The content of a stored file."""
        data: bytes = self._field("GetFile", "data", file_id=file_id)
        return data

    def get_file_info(self, file_id: str) -> FileInfo:
        info: FileInfo = self._field("GetFileInfo", "file_info", file_id=file_id)
        return info

    # -- events ----------------------------------------------------------------------------
    def publish_websocket_event(
        self,
        event: str,
        payload: Mapping[str, Any] | None = None,
        *,
        user_id: str = "",
        channel_id: str = "",
        team_id: str = "",
        omit_users: Iterable[str] = (),
    ) -> None:
        """Send ``custom_<plugin id>_<event>`` to web clients: everyone, or only ``user_id``,
        the members of ``channel_id`` or of ``team_id``."""
        broadcast = entity("WebsocketBroadcast", None, user_id=user_id, channel_id=channel_id,
                           team_id=team_id)
        broadcast.omit_users.extend(omit_users)  # type: ignore[attr-defined]
        self._call("PublishWebSocketEvent", event=event, payload=dict_to_struct(payload),
                   broadcast=broadcast)

    def publish_plugin_cluster_event(
        self,
        event_id: str,
        data: bytes | str = b"",
        *,
        send_type: str = "reliable",
        target_id: str = "",
    ) -> None:
        """Send an event to this plugin on the other cluster nodes (``send_type``
        ``"reliable"`` or ``"best_effort"``; ``target_id`` one node, empty for all)."""
        self._call(
            "PublishPluginClusterEvent",
            event={"id": event_id, "data": to_bytes(data)},
            opts={"send_type": send_type, "target_id": target_id},
        )

    # -- preferences -----------------------------------------------------------------------
    def get_preferences_for_user(self, user_id: str) -> list[Preference]:
        return self._list("GetPreferencesForUser", "preferences", user_id=user_id)

    def update_preferences_for_user(
        self, user_id: str, preferences: Iterable[Preference | Mapping[str, Any]]
    ) -> None:
        """Save preferences (messages or dicts with ``category``, ``name``, ``value``;
        ``user_id`` defaults to the user's)."""
        built = [entity("Preference", p) for p in preferences]
        for preference in built:
            if not preference.user_id:  # type: ignore[attr-defined]
                preference.user_id = user_id  # type: ignore[attr-defined]
        self._call("UpdatePreferencesForUser", user_id=user_id, preferences=built)
