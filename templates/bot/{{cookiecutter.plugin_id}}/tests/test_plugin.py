"""Tests run the real plugin process under mmplug's fake host (see `mmplug.testing`)."""

import pytest

from mmplug.testing import PostRejected

BOT = "{{cookiecutter.__bot_username}}"


def test_creates_its_bot_on_activation(plugin):
    result = plugin.fire("OnActivate")
    assert result.ok, result.error
    assert "EnsureBotUser" in [call.method for call in result.api_calls]
    assert plugin.world.user(BOT).is_bot


def test_blocks_a_message_with_a_blocked_word(plugin):
    alice = plugin.world.user("alice")
    result = plugin.fire("MessageWillBePosted", post={"message": "what a BADWORD",
                                                      "user_id": alice.id})
    assert "Message blocked" in result.response.rejection_reason
    assert plugin.kv_get("stats:blocked") == b"1"


def test_lets_other_messages_through_unchanged(plugin):
    result = plugin.fire("MessageWillBePosted", post={"message": "hello there"})
    assert result.response.rejection_reason == ""
    assert not result.response.HasField("modified_post")


def test_a_user_cannot_post_a_blocked_word(plugin):
    with pytest.raises(PostRejected, match="blocked"):
        plugin.post_as("alice", "town-square", "badword!")
    assert plugin.posts() == []


def test_answers_a_mention_in_the_thread(plugin):
    post = plugin.post_as("alice", "town-square", f"@{BOT} stats please")
    reply = plugin.posts(post.channel_id)[-1]
    assert reply.user_id == plugin.world.user(BOT).id
    assert reply.root_id == post.id
    assert reply.message == "I have seen 1 message(s) and blocked 0."


def test_counts_every_message(plugin):
    for text in ("one", "two", "three"):
        plugin.post_as("bob", "off-topic", text)
    assert plugin.kv_get_json("stats:seen") == 3
