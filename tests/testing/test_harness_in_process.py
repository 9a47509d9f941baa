"""The `plugin` fixture used in this repository's own tests, on a project generated from the
bot template (mmplug ships its test harness and uses it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mmplug.testing import PluginHarness, PostRejected


@pytest.fixture(scope="module")
def mmplug_plugin_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from mmplug.scaffold import create_project

    parent = tmp_path_factory.mktemp("harness")
    return create_project("com.example.harness", template="bot", parent=parent).path


BOT = "harness-bot"


def test_each_test_starts_from_the_activated_store(plugin: PluginHarness) -> None:
    # EnsureBotUser keeps the bot id there; the daily report ran once and keeps its last run
    assert plugin.kv_keys() == ["cron_daily-report", "mmi_botid"]
    assert plugin.world.user(BOT).is_bot  # made by OnActivate, before any test
    plugin.kv_set("stats:seen", "41")
    plugin.post_as("alice", "town-square", "hello")
    assert plugin.kv_get_json("stats:seen") == 42


def test_the_previous_test_left_nothing(plugin: PluginHarness) -> None:
    assert plugin.kv_keys() == ["cron_daily-report", "mmi_botid"] and plugin.posts() == []
    assert plugin.api_calls == [] and plugin.logs == []


def test_rejection_and_reply(plugin: PluginHarness) -> None:
    with pytest.raises(PostRejected) as info:
        plugin.post_as("bob", "off-topic", "badword")
    assert "badword" in info.value.reason
    post = plugin.post_as("bob", "off-topic", f"@{BOT} hi")
    [reply] = [p for p in plugin.posts() if p.root_id == post.id]
    assert reply.message == "I have seen 1 message(s) and blocked 1."
    assert [c.method for c in plugin.calls("CreatePost")] == ["CreatePost"]


def test_settings_reach_the_plugin(plugin: PluginHarness) -> None:
    plugin.configure(blocked_words="sprouts, kale")
    assert plugin.fire("OnConfigurationChange").ok
    result = plugin.fire("MessageWillBePosted", post={"message": "I like kale"})
    assert "'kale'" in result.response.rejection_reason
    assert plugin.fire("MessageWillBePosted", post={"message": "badword"}).response \
        .rejection_reason == ""


def test_settings_of_an_earlier_test_are_undone(plugin: PluginHarness) -> None:
    result = plugin.fire("MessageWillBePosted", post={"message": "badword, not kale"})
    assert "'badword'" in result.response.rejection_reason


def test_stubs_win_over_the_emulation(plugin: PluginHarness) -> None:
    plugin.stub("KVSetWithOptions", {"error": {"id": "app.plugin_store.save.app_error",
                                               "message": "the store is down",
                                               "status_code": 500}})
    result = plugin.fire("MessageWillBePosted", post={"message": "badword"})
    assert "the store is down" in (result.error or "")
    assert [c.method for c in result.api_calls] == ["KVGet", "KVSetWithOptions"]
    # A hook that fails counts as no answer (the server fails open: app.(*App).CreatePost
    # goes on with the post), so the post is saved and MessageHasBeenPosted runs, and fails
    # on the stub the same way.
    assert [p.message for p in plugin.posts()] == ["badword"]
    assert len(plugin.calls("KVSetWithOptions")) == 2
    assert plugin.kv_get("stats:blocked") is None  # the store never saw a write


def test_users_added_for_a_test(plugin: PluginHarness) -> None:
    carol = plugin.add_user("carol", teams=["acme"], channels=["town-square"])
    post = plugin.post_as("carol", "town-square", f"@{BOT} stats")
    assert post.user_id == carol.id
    assert plugin.posts(post.channel_id)[-1].root_id == post.id


def test_reload_gives_a_fresh_process(plugin: PluginHarness) -> None:
    before = plugin.handle.pid
    plugin.reload()
    assert plugin.handle.pid != before
    assert plugin.handle.state == "active"
    assert "MessageWillBePosted" in plugin.implemented
