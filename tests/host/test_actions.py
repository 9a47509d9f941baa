"""A user acting through the server's own paths (mmplug.host.actions): post, reply, slash
command, react, edit, delete, with the hooks the server runs, on a real plugin process; and a
recorded action replays to the same result."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from plugin_projects import write_plugin_project

from mmplug.host.actions import ActionRefused
from mmplug.testing import PluginHarness

WITNESS = Path(__file__).resolve().parents[1] / "fixtures" / "sdk_plugins" / "witness_plugin.py"
pytestmark = pytest.mark.filterwarnings("ignore::mmplug.testing.MmplugLoadWarning")


def _witness(folder: Path) -> Path:
    return write_plugin_project(folder, "com.example.witness", WITNESS, name="Witness",
                                min_server_version="10.5.0", runtime=True)


@pytest.fixture(scope="module")
def mmplug_plugin_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _witness(tmp_path_factory.mktemp("actions") / "witness")


def hooks(plugin: PluginHarness) -> list[str]:
    return [h.hook for h in plugin.hook_calls]


def seen(plugin: PluginHarness, hook: str) -> Any:
    return plugin.kv_get_json(f"seen:{hook}")


def test_a_post_and_a_reply_run_the_server_hooks_in_order(plugin: PluginHarness) -> None:
    # app.(*App).CreatePost: MessageWillBePosted, the save, MessageHasBeenPosted
    alice = plugin.as_user("alice")
    post = alice.post("town-square", "shout hello")
    assert post.message == "SHOUT HELLO" and post.user_id == plugin.world.user("alice").id
    assert hooks(plugin) == ["MessageWillBePosted", "MessageHasBeenPosted"]
    assert seen(plugin, "MessageHasBeenPosted")["stored"]
    reply = plugin.as_user("@bob").reply(post, "me too")
    assert reply.root_id == post.id and reply.channel_id == post.channel_id
    with pytest.raises(ActionRefused) as refused:
        alice.post("off-topic", "reject me")
    assert refused.value.status_code == 400
    assert refused.value.error_id == "Post rejected by plugin. no thanks"


def test_a_user_cannot_post_in_an_archived_channel(plugin: PluginHarness) -> None:
    plugin.seed("DeleteChannel", channel_id=plugin.world.channel("off-topic").id)
    with pytest.raises(ActionRefused) as refused:
        plugin.as_user("alice").post("off-topic", "hello?")
    assert refused.value.error_id == "api.post.create_post.can_not_post_to_deleted.error"


def test_a_slash_command_runs_the_plugin_and_posts_its_answer(plugin: PluginHarness) -> None:
    # app.(*App).ExecuteCommand, then HandleCommandResponsePost
    alice = plugin.as_user("alice")
    outcome = alice.command("/witness in_channel", channel="off-topic")
    assert outcome.response.text == "answer (in_channel)" and not outcome.ephemeral
    assert outcome.post.channel_id == plugin.world.channel("off-topic").id
    assert [p.message for p in plugin.posts()] == ["answer (in_channel)"]
    private = alice.command("/witness ephemeral")
    assert private.ephemeral and private.post.message == "answer (ephemeral)"
    with pytest.raises(ActionRefused) as refused:
        alice.command("/nobody")
    assert refused.value.status_code == 404


def test_reactions_edits_and_deletes(plugin: PluginHarness) -> None:
    alice = plugin.as_user("alice")
    post = alice.post("town-square", "hello")
    alice.react(post, ":thumbsup:")
    assert seen(plugin, "ReactionHasBeenAdded") == {"emoji": ["thumbsup"]}
    alice.unreact(post, "thumbsup")
    assert seen(plugin, "ReactionHasBeenRemoved") == {"emoji": []}
    edited = alice.edit(post, "hello again")
    assert edited.message == "hello again"
    assert seen(plugin, "MessageHasBeenUpdated") == {"stored": "hello again"}
    with pytest.raises(ActionRefused):
        alice.edit(post, "veto")  # the plugin answers with a rejection reason
    alice.delete(post.id)
    assert seen(plugin, "MessageHasBeenDeleted") == {"gone": True, "delete_at": 0}
    [stored] = [p for p in plugin.posts() if p.id == post.id]
    assert stored.delete_at and stored.props["deleteBy"] == plugin.world.user("alice").id


def test_direct_and_group_channels_go_by_their_labels(plugin: PluginHarness) -> None:
    post = plugin.as_user("bob").post("alice__bob", "just us")
    assert post.channel_id == plugin.world.channel("alice__bob").id


def test_unknown_users_and_channels_are_clear_errors(plugin: PluginHarness) -> None:
    from mmplug.errors import UsageError

    with pytest.raises(UsageError, match="there is no user 'zed'"):
        plugin.as_user("zed")
    with pytest.raises(UsageError, match="there is no channel 'nowhere'"):
        plugin.as_user("alice").post("nowhere", "hi")


def test_a_recorded_action_replays_to_the_same_result(tmp_path: Path) -> None:
    """The first hook of an action is the recorded call; the hooks after it are nested, so
    a replay of that call does the rest again (and does not do it twice)."""
    from mmplug.cassette import CassetteRecorder, read_cassette, replay_cassette
    from mmplug.host.fresh import deterministic_session

    project = _witness(tmp_path / "witness")
    cassette = tmp_path / "actions.jsonl"
    session = deterministic_session(project, python=sys.executable)
    recorder = CassetteRecorder(cassette).attach(session)
    try:
        with session:  # as in `mmplug dev --record`: the recorder marks each call's start
            session.as_user("alice").post("town-square", "hi @witness")
            session.as_user("alice").command("/witness in_channel")
            session.as_user("bob").post("off-topic", "shout")
    finally:
        recorder.close()
        session.store.close()
    entries = read_cassette(cassette).entries
    top = [e.hook for e in entries if not e.data.get("nested")]
    assert top == ["OnActivate", "MessageWillBePosted", "ExecuteCommand",
                   "MessageWillBePosted"]
    assert [e.hook for e in entries if e.data.get("nested")].count("MessageHasBeenPosted") == 4
    report = replay_cassette(cassette, project, python=sys.executable)
    assert report.ok, report.render()
    assert report.calls == 4
    replayed = [e for e in report.entries if e.get("hook") == "MessageWillBePosted"]
    assert replayed[-1]["response"]["modified_post"]["message"] == "SHOUT"
