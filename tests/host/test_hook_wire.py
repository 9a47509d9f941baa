"""What crosses the wire to a Python plugin's hooks and back: only what the server's gRPC hook
client copies (server/public/plugin/hooks_grpc_client.go in mattermost/mattermost), on every
path a hook takes (a fired hook, a hook the host runs for a user's post), with a real plugin
process that writes down every field it got.

Each test names the Go converter whose behaviour it pins."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from plugin_projects import write_plugin_project

from mmplug.host.hook_wire import ANSWER_FIELDS, ENTITY_FIELDS, REQUEST_FIELDS, as_sent
from mmplug.protocol.catalog import HOOKS
from mmplug.protocol.messages import message_class
from mmplug.testing import PluginHarness

MIRROR = Path(__file__).resolve().parents[1] / "fixtures" / "sdk_plugins" / "mirror_plugin.py"


@pytest.fixture(scope="module")
def mmplug_plugin_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_plugin_project(tmp_path_factory.mktemp("mirror") / "mirror",
                                "com.example.mirror", MIRROR, name="Mirror",
                                min_server_version="10.5.0", runtime=True)


def got(plugin: PluginHarness, hook: str) -> Any:
    return plugin.kv_get_json(f"got:{hook}")


def test_the_table_covers_every_hook_the_server_calls_and_names_real_fields() -> None:
    upstream = sorted(h.go_name for h in HOOKS if h.upstream and not h.streaming)
    assert sorted(REQUEST_FIELDS) == upstream and sorted(ANSWER_FIELDS) == upstream
    by_name = {h.go_name: h for h in HOOKS}
    for hook, fields in REQUEST_FIELDS.items():
        assert fields <= set(message_class(by_name[hook].request).DESCRIPTOR.fields_by_name)
    for hook, fields in ANSWER_FIELDS.items():
        assert fields <= set(message_class(by_name[hook].response).DESCRIPTOR.fields_by_name)
    for name, fields in ENTITY_FIELDS.items():
        assert fields <= set(message_class(name).DESCRIPTOR.fields_by_name), name


# -- postToProto / postFromProto ------------------------------------------------------------
def test_a_plugin_never_sees_the_props_of_a_post(plugin: PluginHarness) -> None:
    """postToProto: a post's props (and metadata) do not cross, on a fired hook or on the
    hook the host runs for a user's post."""
    result = plugin.fire("MessageWillBePosted", post={"message": "hi", "props": {"k": "v"}})
    request: Any = result.request
    assert request.post.props["k"] == "v"  # the host had it
    sent = got(plugin, "MessageWillBePosted")["post"]
    assert sent["message"] == "hi" and "props" not in sent and "metadata" not in sent
    plugin.post_as("alice", "town-square", "from the web app", props={"k": "v"})
    sent = got(plugin, "MessageHasBeenPosted")["post"]
    assert sent["message"] == "from the web app" and "props" not in sent


def test_a_post_returned_with_props_is_saved_without_them(plugin: PluginHarness) -> None:
    """postFromProto: a post a plugin returns from MessageWillBePosted is saved without the
    props it set, and without the props of the original post."""
    saved = plugin.post_as("alice", "town-square", "please decorate", props={"mine": "yes"})
    assert saved.message == "please decorate (decorated)"
    [stored] = [p for p in plugin.posts() if p.id == saved.id]
    assert "card" not in stored.props and "mine" not in stored.props
    result = plugin.fire("MessageWillBePosted", post={"message": "decorate too"})
    response: Any = result.response
    assert response.modified_post.message == "decorate too (decorated)"
    assert not response.modified_post.props
    assert any("modified_post.props" in n.text for n in result.host if n.kind == "ignored")


def test_the_context_field_of_a_request_is_never_sent(plugin: PluginHarness) -> None:
    """(*hooksGRPCClient).MessageWillBePosted sets only plugin_context and post: the request's
    context stays empty; the host still records the request as it made it."""
    result = plugin.fire("MessageWillBePosted", post={"message": "ctx"})
    assert result.request.context.plugin_id  # type: ignore[attr-defined]
    assert not as_sent("MessageWillBePosted", result.request).HasField("context")


# -- channelToProto --------------------------------------------------------------------------
def test_a_created_channel_arrives_without_its_type(plugin: PluginHarness) -> None:
    """channelToProto: ChannelHasBeenCreated's channel has an empty type (and no props)."""
    plugin.fire("ChannelHasBeenCreated", channel={"name": "wired",
                                                  "type": "CHANNEL_TYPE_PRIVATE",
                                                  "display_name": "Wired"})
    channel = got(plugin, "ChannelHasBeenCreated")["channel"]
    assert channel["name"] == "wired" and "type" not in channel


# -- commandArgsToProto / commandResponseFromProto -------------------------------------------
def test_command_args_carry_only_the_copied_fields(plugin: PluginHarness) -> None:
    """commandArgsToProto: ExecuteCommand's args carry the user, channel, team, root, parent
    and trigger ids, the command and the site URL; not the mention maps or the translator."""
    plugin.fire("ExecuteCommand", args={"command": "/mirror now",
                                        "user_mention": '{"alice": "id1"}',
                                        "channel_mention": '{"town-square": "id2"}'})
    args = got(plugin, "ExecuteCommand")["args"]
    assert args["command"] == "/mirror now" and args["user_id"] and args["channel_id"]
    assert set(args) <= ENTITY_FIELDS["CommandArgs"]
    assert "user_mention" not in args and "channel_mention" not in args


def test_the_type_of_a_command_answer_is_not_read(plugin: PluginHarness) -> None:
    """commandResponseFromProto: the answer's type does not reach the server."""
    result = plugin.fire("ExecuteCommand", args={"command": "/mirror typed"})
    response: Any = result.response
    assert response.response.text == "answered" and response.response.type == ""
    assert any("response.type" in n.text for n in result.host if n.kind == "ignored")


def test_what_the_plugin_does_not_get_is_said_in_the_result(plugin: PluginHarness) -> None:
    """A field the user set that the server's hook client never sends is named in the result
    (postToProto: props); an empty one (the default payload's props) is not."""
    quiet = plugin.fire("MessageWillBePosted", post={"message": "hi"})
    assert not [n for n in quiet.host if "does not send" in n.text]
    result = plugin.fire("MessageWillBePosted", post={"message": "hi", "props": {"k": "v"}})
    (note,) = [n for n in result.host if "does not send" in n.text]
    assert note.kind == "ignored" and "post.props" in note.text
    created = plugin.fire("ChannelHasBeenCreated")  # channelToProto: no type
    assert any("channel.type" in n.text for n in created.host if "does not send" in n.text)
