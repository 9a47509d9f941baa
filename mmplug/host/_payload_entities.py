"""The entity builders behind :mod:`mmplug.host.payloads` (one function per message type).

Each builder returns the entity as a protobuf JSON dict (proto field names). A request is
filled field by field: a builder is looked up by the field's message type, else by the field's
name (scalars such as ``user_id``); ``new_``/``old_`` pairs get an edited and an original
version of the same entity, as the server sends them.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from google.protobuf.descriptor import Descriptor

    from mmplug.host.payloads import Scene

Builder = Callable[["Scene", str], Any]
SITE_URL = "http://localhost:8065"


def _b64(value: Any) -> str:
    """A bytes field in protobuf JSON: base64 of the JSON text of ``value``."""
    return base64.b64encode(json.dumps(value, sort_keys=True).encode()).decode()


def post(scene: Scene, name: str) -> dict[str, Any]:
    """A post by the scene's user in the scene's channel (``new_post``: edited; a posted one
    has an id; the post of MessageWillBePosted has none yet, as on the server)."""
    created = scene.now_ms - 60_000 if name.startswith(("new_", "old_")) else scene.now_ms
    data: dict[str, Any] = {
        "id": scene.new_id(), "create_at": created, "update_at": created,
        "user_id": scene.user_id, "channel_id": scene.channel_id,
        "message": scene.message, "type": "", "props": {},
    }
    if name.startswith("old_"):
        data["message"] = scene.message.rstrip(".") + " (before the edit)"
    if name.startswith("new_"):
        data["update_at"] = data["edit_at"] = scene.now_ms
    return data


def user(scene: Scene, name: str) -> dict[str, Any]:
    data = dict(scene.user)
    if name == "new_user":
        data["position"] = (str(data.get("position", "")) + " (updated)").strip()
        data["update_at"] = scene.now_ms
    return data


def channel(scene: Scene, name: str) -> dict[str, Any]:
    data = dict(scene.channel)
    if name == "new_channel":
        data["header"] = "Updated header"
        data["update_at"] = scene.now_ms
    return data


def channel_member(scene: Scene, name: str) -> dict[str, Any]:
    return {"channel_id": scene.channel_id, "user_id": scene.user_id, "roles": "channel_user",
            "scheme_user": True, "last_viewed_at": scene.now_ms, "last_update_at": scene.now_ms,
            "notify_props": {"desktop": "default", "mark_unread": "all", "push": "default"}}


def team_member(scene: Scene, name: str) -> dict[str, Any]:
    return {"team_id": scene.team_id, "user_id": scene.user_id, "roles": "team_user",
            "scheme_user": True, "create_at": scene.now_ms}


def reaction(scene: Scene, name: str) -> dict[str, Any]:
    return {"user_id": scene.user_id, "post_id": scene.new_id(), "emoji_name": "thumbsup",
            "create_at": scene.now_ms, "update_at": scene.now_ms,
            "channel_id": scene.channel_id}


def file_info(scene: Scene, name: str) -> dict[str, Any]:
    return {"id": scene.new_id(), "creator_id": scene.user_id, "channel_id": scene.channel_id,
            "create_at": scene.now_ms, "update_at": scene.now_ms, "name": "report.txt",
            "extension": "txt", "size": 42, "mime_type": "text/plain"}


def preference(scene: Scene, name: str) -> dict[str, Any]:
    if scene.preferences:
        return dict(scene.preferences[0])
    return {"user_id": scene.user_id, "category": "display_settings",
            "name": "use_military_time", "value": "true"}


def command_args(scene: Scene, name: str) -> dict[str, Any]:
    return {"user_id": scene.user_id, "channel_id": scene.channel_id, "team_id": scene.team_id,
            "root_id": "", "parent_id": "", "trigger_id": scene.new_id(),
            "command": scene.command, "site_url": SITE_URL}


def plugin_context(scene: Scene, name: str) -> dict[str, Any]:
    return {"session_id": scene.new_id(), "ip_address": "127.0.0.1",
            "accept_language": "en-US", "user_agent": "mmplug-fire"}


def push_notification(scene: Scene, name: str) -> dict[str, Any]:
    return {"ack_id": scene.new_id(), "platform": "android", "server_id": scene.new_id(),
            "device_id": "android_rn:" + scene.new_id(), "post_id": scene.new_id(),
            "category": "CAN_REPLY", "message": f"{scene.user.get('username', '')}: "
            f"{scene.message}", "badge": "1", "team_id": scene.team_id,
            "channel_id": scene.channel_id, "sender_id": scene.user_id,
            "sender_name": scene.user.get("username", ""), "version": "v2",
            "channel_name": scene.channel.get("display_name", ""), "type": "message"}


def email_notification(scene: Scene, name: str) -> dict[str, Any]:
    other = scene.other_user
    return {"notification_json": _b64({
        "post_id": scene.new_id(), "channel_id": scene.channel_id, "team_id": scene.team_id,
        "sender_id": scene.user_id, "sender_display_name": scene.user.get("username", ""),
        "recipient_id": other.get("id", ""), "root_id": "", "channel_type": "O",
        "channel_name": scene.channel.get("display_name", ""),
        "team_name": scene.team.get("name", ""), "sender_username":
        scene.user.get("username", ""), "is_direct_message": False, "is_group_message": False,
        "is_thread_reply": False, "is_crt_enabled": True, "use_military_time": False,
        "subject": f"[Mattermost] New Mention in {scene.channel.get('display_name', '')}",
        "title": f"{scene.user.get('username', '')} mentioned you", "message_html":
        f"<p>{scene.message}</p>", "message_text": scene.message,
    })}


def remote_cluster(scene: Scene, name: str) -> dict[str, Any]:
    return {"remote_id": scene.new_id(), "remote_team_id": scene.new_id(),
            "name": "partner", "display_name": "Partner Org",
            "site_url": "https://partner.example.com", "default_team_id": scene.team_id,
            "create_at": scene.now_ms, "last_ping_at": scene.now_ms,
            "topics": "", "creator_id": scene.user_id}


def sync_msg(scene: Scene, name: str) -> dict[str, Any]:
    return {"sync_msg_json": _b64({"id": scene.new_id(), "channel_id": scene.channel_id,
                                   "posts": [post(scene, "post")]})}


def websocket_request(scene: Scene, name: str) -> dict[str, Any]:
    return {"seq": 1, "action": "user_typing",
            "data": {"channel_id": scene.channel_id, "parent_id": ""}}


def cluster_event(scene: Scene, name: str) -> dict[str, Any]:
    return {"id": "cache-invalidate", "data": _b64({"key": "settings"})}


def product_limits(scene: Scene, name: str) -> dict[str, Any]:
    return {"files": {"total_storage": "10737418240"}, "messages": {"history": 10000},
            "teams": {"active": 1}}


def config(scene: Scene, name: str) -> dict[str, Any]:
    return {"config_json": _b64({"ServiceSettings": {"SiteURL": SITE_URL},
                                 "TeamSettings": {"SiteName": "Mattermost"}})}


def saml_assertion(scene: Scene, name: str) -> dict[str, Any]:
    return {"assertion_json": _b64({"NameID": scene.user.get("email", ""), "Values": {
        "Email": {"Name": "Email", "Values": [{"Value": scene.user.get("email", "")}]}}})}


def draft(scene: Scene, name: str) -> dict[str, Any]:
    return {"create_at": scene.now_ms, "update_at": scene.now_ms, "user_id": scene.user_id,
            "channel_id": scene.channel_id, "root_id": "", "message": scene.message,
            "props": {}, "type": ""}


def scheduled_post(scene: Scene, name: str) -> dict[str, Any]:
    return {"draft": draft(scene, "draft"), "id": scene.new_id(),
            "scheduled_at": scene.now_ms + 3_600_000}


def http_init(scene: Scene, name: str) -> dict[str, Any]:
    """A logged-in user's ``GET /`` (the request line is set by ``mmplug fire``'s shortcut)."""
    from google.protobuf import json_format

    from mmplug.host.http_codec import request_init

    init = request_init("GET", "/", [("Mattermost-User-Id", scene.user_id),
                                     ("User-Agent", "mmplug-fire")],
                        context=plugin_context(scene, name))
    return json_format.MessageToDict(init, preserving_proto_field_name=True)


BY_TYPE: dict[str, Builder] = {
    "Post": post, "User": user, "Channel": channel, "ChannelMember": channel_member,
    "TeamMember": team_member, "Reaction": reaction, "FileInfo": file_info,
    "Preference": preference, "CommandArgs": command_args, "PluginContext": plugin_context,
    "PushNotification": push_notification, "EmailNotificationJson": email_notification,
    "RemoteCluster": remote_cluster, "SyncMsgJson": sync_msg,
    "WebSocketRequest": websocket_request, "PluginClusterEvent": cluster_event,
    "ProductLimits": product_limits, "ConfigJson": config,
    "SamlAssertionInfoJson": saml_assertion, "Draft": draft, "ScheduledPost": scheduled_post,
    "ServeHTTPRequestInit": http_init,
    "OnInstallEvent": lambda scene, name: {"user_id": scene.user_id},
}

# The entities whose text is the scene's message (``mmplug fire --message``).
WITH_MESSAGE = frozenset({"Post", "PushNotification", "EmailNotificationJson", "Draft",
                          "ScheduledPost"})

BY_NAME: dict[str, Builder] = {
    "user_id": lambda scene, name: scene.user_id,
    "web_conn_id": lambda scene, name: scene.new_id(),
    "now_time": lambda scene, name: scene.now_ms,
    "batch_size": lambda scene, name: 1000,
    "download_type": lambda scene, name: "file",
    "body_complete": lambda scene, name: True,
    "file_content": lambda scene, name: base64.b64encode(b"Quarterly numbers: 42\n").decode(),
}


def request_dict(hook: str, descriptor: Descriptor, scene: Scene) -> dict[str, Any]:
    """Every field of the request of ``hook`` except ``context`` (the session fills it)."""
    data: dict[str, Any] = {}
    for fd in descriptor.fields:
        if fd.name == "context":
            continue
        type_name = fd.message_type.name if fd.message_type is not None else ""
        builder = BY_TYPE.get(type_name) or BY_NAME.get(fd.name)
        if builder is None:
            continue
        if fd.is_repeated:
            data[fd.name] = [builder(scene, fd.name) for _ in range(2 if type_name == "Post"
                                                                    else 1)]
        else:
            data[fd.name] = builder(scene, fd.name)
    if hook == "MessageWillBePosted":
        created = data["post"]
        created["id"] = ""
        created["pending_post_id"] = f"{scene.user_id}:{scene.now_ms}"
    if hook in ("MessageWillBeUpdated", "MessageHasBeenUpdated"):
        data["new_post"]["id"] = data["old_post"]["id"]
        data["new_post"]["create_at"] = data["old_post"]["create_at"]
    if hook == "MessageHasBeenUpdated":  # the old version as the server's store kept it
        kept = data["old_post"]
        kept["original_id"], kept["id"] = kept["id"], scene.new_id()
        kept["delete_at"] = kept["update_at"] = data["new_post"]["update_at"]
    if hook == "ChannelWillBeArchived":
        data["channel"]["delete_at"] = 0
    if hook == "ChannelWillBeRestored":
        data["channel"]["delete_at"] = scene.now_ms - 86_400_000
    if hook == "UserHasBeenDeactivated":
        data["user"]["delete_at"] = scene.now_ms
    return data
