"""What the host does around a fired hook, as the server does around the call (what it has
saved before, what it does with each kind of answer): mmplug.host.hookpath, through the
pytest harness (whose ``plugin.fire`` sends the complete payload ``mmplug fire`` sends) on a
real plugin process that writes down what the store held when each hook came.

Each test names the Go function (mattermost/mattermost, server/channels/app) whose behaviour
it pins."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from plugin_projects import write_plugin_project

from mmplug.host.hookpath import PATHS
from mmplug.protocol.catalog import HOOKS
from mmplug.testing import PluginHarness

# The witness implements extension hooks: the harness warns that a real server never calls them.
pytestmark = pytest.mark.filterwarnings("ignore::mmplug.testing.MmplugLoadWarning")
WITNESS = Path(__file__).resolve().parents[1] / "fixtures" / "sdk_plugins" / "witness_plugin.py"


@pytest.fixture(scope="module")
def mmplug_plugin_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_plugin_project(tmp_path_factory.mktemp("witness") / "witness",
                                "com.example.witness", WITNESS, name="Witness",
                                min_server_version="10.5.0", runtime=True)


def seen(plugin: PluginHarness, hook: str) -> Any:
    return plugin.kv_get_json(f"seen:{hook}")


def live(plugin: PluginHarness) -> list[str]:
    """The messages of the stored posts that are not deleted (an edit keeps the old version
    as a deleted copy)."""
    return [p.message for p in plugin.posts() if not p.delete_at]


def notes(result: Any, kind: str | None = None) -> list[str]:
    return [n.text for n in result.host if kind is None or n.kind == kind]


def test_every_hook_has_its_server_path() -> None:
    assert sorted(PATHS) == sorted(h.go_name for h in HOOKS)
    assert all(p.server for p in PATHS.values())


# -- the payload ---------------------------------------------------------------------------
def test_fire_sends_the_complete_payload_mmplug_fire_sends(plugin: PluginHarness) -> None:
    alice = plugin.world.user("alice")
    result = plugin.fire("MessageHasBeenPosted", post={"message": "hi"})
    post = result.request.post
    assert post.message == "hi"  # the given field, merged into the realistic post
    assert post.id and post.user_id == alice.id and post.create_at > 0
    assert post.channel_id == plugin.world.channel("town-square").id
    bob = plugin.fire("MessageHasBeenPosted", as_user="bob", channel_name="off-topic")
    assert bob.request.post.user_id == plugin.world.user("bob").id
    assert bob.request.post.channel_id == plugin.world.channel("off-topic").id


# -- MessageHasBeenPosted: app.(*App).CreatePost saves the post before the hook --------------
def test_the_post_of_message_has_been_posted_is_stored_first(plugin: PluginHarness) -> None:
    result = plugin.fire("MessageHasBeenPosted", post={"message": "hello @witness"})
    assert seen(plugin, "MessageHasBeenPosted") == {
        "id": result.request.post.id, "stored": True, "message": "hello @witness"}
    [create] = [c for c in result.api_calls if c.method == "CreatePost"]
    assert create.error is None  # the thread reply: its root exists (no "Invalid RootId")
    [reply] = [p for p in plugin.posts() if p.root_id == result.request.post.id]
    assert reply.message == "seen"
    assert any("saved the post" in text for text in notes(result, "before"))
    again = plugin.fire("MessageHasBeenPosted", result.request)  # stored once
    assert not notes(again, "before")


def test_a_post_the_server_could_not_have_saved_is_said(plugin: PluginHarness) -> None:
    result = plugin.fire("MessageHasBeenPosted", post={"channel_id": "x" * 26})
    assert result.ok  # the hook still runs
    [refused] = notes(result, "refused")
    assert "404 app.channel.get.existing.app_error" in refused


# -- MessageWillBePosted: app.(*App).CreatePost after the hook --------------------------------
def test_an_allowed_post_is_saved_and_message_has_been_posted_follows(
        plugin: PluginHarness) -> None:
    result = plugin.fire("MessageWillBePosted", post={"message": "plain"})
    [post] = plugin.posts()
    assert post.message == "plain" and post.id
    assert seen(plugin, "MessageHasBeenPosted") == {"id": post.id, "stored": True,
                                                    "message": "plain"}
    assert [h.hook for h in plugin.hook_calls] == ["MessageWillBePosted",
                                                    "MessageHasBeenPosted"]
    assert plugin.hook_calls[1].nested and not plugin.hook_calls[0].nested
    [after] = notes(result, "after")
    assert post.id in after and "MessageHasBeenPosted ran on com.example.witness" in after


def test_a_modified_post_is_saved_as_the_plugin_returned_it(plugin: PluginHarness) -> None:
    plugin.fire("MessageWillBePosted", post={"message": "shout it"})
    assert [p.message for p in plugin.posts()] == ["SHOUT IT"]


def test_a_rejected_post_is_not_saved(plugin: PluginHarness) -> None:
    result = plugin.fire("MessageWillBePosted", post={"message": "reject me"})
    assert plugin.posts() == [] and seen(plugin, "MessageHasBeenPosted") is None
    assert "'Post rejected by plugin. no thanks'" in notes(result, "after")[0]


def test_a_post_a_user_may_not_make_is_refused_before_the_hook(plugin: PluginHarness) -> None:
    # app.(*App).CreatePost checks the thread root before MessageWillBePosted
    result = plugin.fire("MessageWillBePosted", post={"root_id": "r" * 26})
    assert "api.post.create_post.root_id.app_error" in notes(result, "refused")[0]
    assert plugin.posts() == []


# -- MessageWillBeUpdated / MessageHasBeenUpdated: app.(*App).UpdatePost --------------------
def test_an_allowed_edit_is_saved_and_message_has_been_updated_follows(
        plugin: PluginHarness) -> None:
    result = plugin.fire("MessageWillBeUpdated", new_post={"message": "edited"},
                         old_post={"message": "original"})
    assert seen(plugin, "MessageWillBeUpdated") == {"stored": "original"}
    assert seen(plugin, "MessageHasBeenUpdated") == {"stored": "edited (checked)"}
    assert live(plugin) == ["edited (checked)"]
    assert "saved the edit" in notes(result, "after")[0]


# The server's gRPC hook client, (*hooksGRPCClient).MessageWillBeUpdated, reads the answer:
# a reason rejects, even with a post; no post and no reason hands the new post back.
def test_a_rejection_reason_rejects_the_edit(plugin: PluginHarness) -> None:
    result = plugin.fire("MessageWillBeUpdated", new_post={"message": "veto"},
                         old_post={"message": "original"})
    assert live(plugin) == ["original"]
    assert "'Post rejected by plugin. no edits'" in notes(result, "after")[0]


def test_a_reason_given_with_a_post_rejects_the_edit(plugin: PluginHarness) -> None:
    result = plugin.fire("MessageWillBeUpdated", new_post={"message": "with a reason"},
                         old_post={"message": "original"})
    assert live(plugin) == ["original"]
    assert "'Post rejected by plugin. frozen'" in notes(result, "after")[0]


def test_an_answer_without_a_post_saves_the_edit_as_it_was(plugin: PluginHarness) -> None:
    result = plugin.fire("MessageWillBeUpdated", new_post={"message": "as it is"},
                         old_post={"message": "original"})
    assert live(plugin) == ["as it is"]
    assert seen(plugin, "MessageHasBeenUpdated") == {"stored": "as it is"}
    assert "saved the edit" in notes(result, "after")[0]


def test_the_edit_of_message_has_been_updated_is_stored_first(plugin: PluginHarness) -> None:
    plugin.fire("MessageHasBeenUpdated", new_post={"message": "after"},
                old_post={"message": "before"})
    assert seen(plugin, "MessageHasBeenUpdated") == {"stored": "after"}


def test_message_has_been_updated_carries_the_kept_old_version(plugin: PluginHarness) -> None:
    # app.(*App).UpdatePost takes old_post for the hook after SqlPostStore.Update made it the
    # kept copy: its own id, original_id the edited post's, deleted at the edit
    request = plugin.payload("MessageHasBeenUpdated", new_post={"message": "after"},
                             old_post={"message": "before"})
    kept, edited = request.old_post, request.new_post
    assert kept.original_id == edited.id != kept.id
    assert kept.delete_at == kept.update_at == edited.update_at
    plugin.fire("MessageHasBeenUpdated", request)
    assert seen(plugin, "MessageHasBeenUpdated") == {"stored": "after"}
    stored = {p.id: p for p in plugin.posts()}
    assert (stored[edited.id].message, stored[edited.id].delete_at) == ("after", 0)
    assert (stored[kept.id].message, stored[kept.id].original_id) == ("before", edited.id)
    assert stored[kept.id].delete_at
    assert live(plugin) == ["after"]


def test_an_old_post_without_original_id_is_the_edited_post(plugin: PluginHarness) -> None:
    request = plugin.payload("MessageHasBeenUpdated", new_post={"message": "after"},
                             old_post={"message": "before", "original_id": ""})
    plugin.fire("MessageHasBeenUpdated", request)
    assert seen(plugin, "MessageHasBeenUpdated") == {"stored": "after"}
    (edited,) = [p for p in plugin.posts() if not p.delete_at]
    assert (edited.id, edited.message) == (request.old_post.id, "after")


# -- MessageHasBeenDeleted: app.(*App).DeletePost deletes before CleanUpAfterPostDeletion ----
def test_the_post_of_message_has_been_deleted_is_deleted_first(plugin: PluginHarness) -> None:
    result = plugin.fire("MessageHasBeenDeleted")
    assert seen(plugin, "MessageHasBeenDeleted") == {"gone": True, "delete_at": 0}
    assert "deleted the post" in notes(result, "before")[0]


# -- MessagesWillBeConsumed: app.(*App).applyPostsWillBeConsumedHook --------------------------
def test_an_empty_list_from_messages_will_be_consumed_is_marked_ignored(
        plugin: PluginHarness) -> None:
    request = plugin.payload("MessagesWillBeConsumed")
    request.posts[0].message = "hide"
    hidden = plugin.fire("MessagesWillBeConsumed", request)
    assert seen(plugin, "MessagesWillBeConsumed") == {"stored": [True, True]}
    assert "an empty list is ignored" in notes(hidden, "ignored")[0]
    kept = plugin.fire("MessagesWillBeConsumed")
    assert not notes(kept, "ignored") and "2 returned post(s)" in notes(kept, "after")[0]


# -- reactions: app.(*App).SaveReactionForPost / DeleteReactionForPost ------------------------
def test_reactions_are_stored_and_removed_before_their_hooks(plugin: PluginHarness) -> None:
    added = plugin.fire("ReactionHasBeenAdded")
    assert seen(plugin, "ReactionHasBeenAdded") == {"emoji": ["thumbsup"]}
    assert plugin.posts()[0].has_reactions  # the post it is on was saved for it
    plugin.fire("ReactionHasBeenRemoved", reaction=added.request.reaction)
    assert seen(plugin, "ReactionHasBeenRemoved") == {"emoji": []}


# -- ExecuteCommand: app.(*App).HandleCommandResponse ------------------------------------------
def test_an_in_channel_answer_is_posted_as_the_user(plugin: PluginHarness) -> None:
    alice = plugin.world.user("alice")
    result = plugin.fire("ExecuteCommand", args={"command": "/witness in_channel"})
    [post] = plugin.posts()
    assert (post.message, post.user_id) == ("answer (in_channel)", alice.id)
    assert "posted the answer" in notes(result, "after")[0]


def test_an_ephemeral_answer_goes_to_the_user_alone(plugin: PluginHarness) -> None:
    result = plugin.fire("ExecuteCommand", args={"command": "/witness ephemeral"})
    assert plugin.posts() == []
    assert [p.message for p in plugin.ephemeral_posts()] == [] and any(
        kind == "ephemeral_post" and event["post"]["message"] == "answer (ephemeral)"
        for kind, event in plugin.session.events)
    assert "ephemeral post" in notes(result, "after")[0]


def test_other_answer_types_and_errors_post_nothing(plugin: PluginHarness) -> None:
    other = plugin.fire("ExecuteCommand", args={"command": "/witness other"})
    assert "neither in_channel nor ephemeral" in notes(other, "after")[0]
    failed = plugin.fire("ExecuteCommand", args={"command": "/witness fail"})
    assert "posts nothing" in notes(failed, "after")[0]
    assert plugin.posts() == []


def test_a_command_error_is_named_by_its_id_and_status(plugin: PluginHarness) -> None:
    # hooksGRPCClient.ExecuteCommand: appErrorFromProto (the plugin's message is not read)
    failed = plugin.fire("ExecuteCommand", args={"command": "/witness fail"})
    assert "answers the user 500 plugin.execute_command.error" in notes(failed, "after")[0]
    assert "failing as asked" not in notes(failed, "after")[0]


def test_a_trigger_no_plugin_registered_gets_no_answer_posted(plugin: PluginHarness) -> None:
    result = plugin.fire("ExecuteCommand", args={"command": "/unknown in_channel"})
    assert "no plugin registered /unknown" in notes(result, "refused")[0]
    assert plugin.posts() == []


# -- memberships: AddChannelMember, removeUserFromChannel, postProcessTeamMemberLeave ------------
def test_memberships_change_before_their_hooks(plugin: PluginHarness) -> None:
    bob = plugin.world.user("bob")
    left = plugin.fire("UserHasLeftChannel", as_user="bob", channel_name="off-topic")
    assert seen(plugin, "UserHasLeftChannel") == {"member": False}
    assert "removed @bob from ~off-topic" in notes(left, "before")[0]
    plugin.fire("UserHasJoinedChannel", as_user="bob", channel_name="off-topic")
    assert seen(plugin, "UserHasJoinedChannel") == {"member": True}
    plugin.fire("UserHasLeftTeam", as_user="bob")
    assert seen(plugin, "UserHasLeftTeam") == {"left": True}
    with plugin.session.store.read() as db:
        rows = db.execute("SELECT count(*) FROM channel_members m JOIN channels c ON "
                          "c.id=m.channel_id WHERE m.user_id=? AND c.team_id<>''",
                          (bob.id,)).fetchone()[0]
    assert rows == 0  # leaving the team left its channels too


# -- users: UpdateActive, DoLogin, UpdatePreferences ------------------------------------------
def test_a_deactivated_user_is_deactivated_first(plugin: PluginHarness) -> None:
    plugin.fire("UserHasBeenDeactivated", as_user="bob")
    assert seen(plugin, "UserHasBeenDeactivated") == {"deactivated": True}


def test_log_in_makes_a_session_unless_a_plugin_rejects_it(plugin: PluginHarness) -> None:
    allowed = plugin.fire("UserWillLogIn", as_user="alice")
    assert seen(plugin, "UserHasLoggedIn")["last_login"] > 0  # the follow-up saw the login
    assert "logged @alice in" in notes(allowed, "after")[0]
    rejected = plugin.fire("UserWillLogIn", as_user="bob")
    assert "'Login rejected by plugin: bob may not'" in notes(rejected, "after")[0]
    with plugin.session.store.read() as db:
        users = [r[0] for r in db.execute("SELECT u.username FROM sessions s JOIN users u "
                                          "ON u.id=s.user_id")]
    assert users == ["alice"]


def test_preferences_are_saved_before_their_hook(plugin: PluginHarness) -> None:
    plugin.fire("PreferencesHaveChanged", preferences=[{
        "user_id": plugin.world.user("alice").id, "category": "display_settings",
        "name": "use_military_time", "value": "false"}])
    assert seen(plugin, "PreferencesHaveChanged") == {"value": "false"}


# -- files and notifications: DoUploadFileExpectModification, sendPushNotificationToAllSessions -
def test_an_upload_is_stored_as_the_plugin_changed_it(plugin: PluginHarness) -> None:
    result = plugin.fire("FileWillBeUploaded", file_content=b"quarterly")
    with plugin.session.store.read() as db:
        [content] = [bytes(r[0]) for r in db.execute("SELECT content FROM files WHERE id=?",
                                                     (result.request.file_info.id,))]
    assert content == b"QUARTERLY"
    rejected = plugin.fire("FileWillBeUploaded", file_info={"name": "reject.txt"})
    assert "File rejected by plugin. no files like this" in notes(rejected, "after")[0]


def test_a_push_notification_goes_out_as_the_plugin_changed_it(plugin: PluginHarness) -> None:
    plugin.fire("NotificationWillBePushed")
    [pushed] = [e for kind, e in plugin.session.events if kind == "push_notification"]
    assert pushed["notification"]["message"].startswith("[edited] ")


# -- extension hooks (a real server never calls them on a Python plugin) ---------------------
def test_extension_hooks_are_marked_and_act_like_their_go_hooks(plugin: PluginHarness) -> None:
    vetoed = plugin.fire("ChannelWillBeArchived")  # town-square
    assert any("mmplug extension: a real server never calls this hook" in text
               for text in notes(vetoed, "extension"))
    assert not plugin.world.channel("town-square").delete_at
    plugin.fire("ChannelWillBeArchived", channel_name="off-topic")
    assert plugin.world.channel("off-topic").delete_at > 0
    joined = plugin.fire("ChannelMemberWillBeAdded", as_user="bob", channel_name="secret-plans")
    assert seen(plugin, "UserHasJoinedChannel") == {"member": True}
    assert "added @bob to ~secret-plans" in notes(joined, "after")[0]


# -- configuration: platform.(*PlatformService).SaveConfig ------------------------------------
def test_a_configuration_the_plugin_allows_is_saved_then_every_plugin_is_told(
        plugin: PluginHarness) -> None:
    config = {"TeamSettings": {"SiteName": "Renamed"}}
    result = plugin.fire("ConfigurationWillBeSaved",
                         new_config={"config_json": _b64(config)})
    assert seen(plugin, "OnConfigurationChange") == {"site_name": "Renamed"}
    assert "OnConfigurationChange ran on com.example.witness" in notes(result, "after")[0]
    assert notes(result, "differs")  # the server fills the rest with defaults


def test_a_configuration_the_plugin_rejects_answers_its_app_error(
        plugin: PluginHarness) -> None:
    # platform.(*PlatformService).SaveConfig answers the plugin's AppError as it is
    result = plugin.fire("ConfigurationWillBeSaved",
                         new_config={"config_json": _b64({"TeamSettings": {
                             "SiteName": "Refuse"}})})
    [after] = notes(result, "after")
    assert "rejected" in after and "500 plugin.configuration_will_be_saved.error" in after
    assert "plugin_hook_error" not in after
    config = json.loads(plugin.seed("GetConfig").config_json)
    assert config["TeamSettings"]["SiteName"] != "Refuse"


def test_a_failed_configuration_hook_stops_the_save(plugin: PluginHarness) -> None:
    # platform.(*PlatformService).SaveConfig gets the gRPC client's error and saves nothing
    result = plugin.fire("ConfigurationWillBeSaved",
                         new_config={"config_json": _b64({"TeamSettings": {
                             "SiteName": "Explode"}})})
    assert not result.ok
    assert "app.save_config.plugin_hook_error" in notes(result, "after")[0]
    config = json.loads(plugin.seed("GetConfig").config_json)
    assert config["TeamSettings"]["SiteName"] != "Explode"
    assert seen(plugin, "OnConfigurationChange") != {"site_name": "Explode"}


def _b64(value: Any) -> str:
    import base64

    return base64.b64encode(json.dumps(value).encode()).decode()


# -- an email: app.(*App).sendNotificationEmail --------------------------------------------
def test_an_allowed_email_notification_is_sent_to_its_recipient(plugin: PluginHarness) -> None:
    result = plugin.fire("EmailNotificationWillBeSent")
    notification = json.loads(result.request.email_notification.notification_json)
    recipient = plugin.seed("GetUser", user_id=notification["recipient_id"]).user
    [mail] = [e for kind, e in plugin.session.events if kind == "mail"]
    assert mail["to"] == recipient.email and recipient.username != "alice"
    assert mail["subject"].startswith("[Mattermost] New Mention")
    assert "sent the email notification" in notes(result, "after")[0]


# -- entities the server saved: CreateChannel, createUserOrGuest, JoinUserToTeam ---------------
def test_created_entities_exist_when_their_hooks_come(plugin: PluginHarness) -> None:
    channel = {"id": "c" * 26, "team_id": plugin.world.team("acme").id, "name": "fresh",
               "display_name": "Fresh", "type": "CHANNEL_TYPE_OPEN", "create_at": 1}
    created = plugin.fire("ChannelHasBeenCreated", channel=channel)
    assert seen(plugin, "ChannelHasBeenCreated") == {"name": "fresh"}
    assert "saved the channel ~fresh" in notes(created, "before")[0]
    plugin.fire("UserHasBeenCreated")
    assert seen(plugin, "UserHasBeenCreated") == {"username": "alice"}  # stored already
    plugin.fire("UserHasLeftTeam", as_user="bob")
    joined = plugin.fire("UserHasJoinedTeam", as_user="bob")
    assert seen(plugin, "UserHasJoinedTeam") == {"active": True}
    assert "added @bob to the team acme" in notes(joined, "before")[0]


# -- lifecycle: plugin.(*Environment) ---------------------------------------------------------
def test_a_lifecycle_hook_fired_on_a_running_plugin_is_said_to_be_one_more_call(
        plugin: PluginHarness) -> None:
    result = plugin.fire("OnActivate")
    assert result.ok
    assert "a server calls OnActivate only once, when it activates the plugin" in \
        notes(result, "differs")[0]

