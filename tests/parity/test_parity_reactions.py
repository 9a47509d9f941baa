"""Server parity of reactions: AddReaction, RemoveReaction, GetReactions."""

from __future__ import annotations

import json
from typing import Any

import pytest
from postsworld import configured, new_channel, post
from worldhost import Host

from mmplug.protocol import api_channel_post_pb2 as cp
from mmplug.protocol import post_pb2

SAVE = "server/channels/app/reaction.go: (*App).SaveReactionForPost"
DELETE = "server/channels/app/reaction.go: (*App).DeleteReactionForPost"


def add(
    host: Host, post_id: str, emoji: str = "thumbsup", user_id: str = ""
) -> cp.AddReactionResponse:
    reaction = post_pb2.Reaction(
        post_id=post_id, user_id=user_id or host.user("bob"), emoji_name=emoji
    )
    return host.api.AddReaction(cp.AddReactionRequest(reaction=reaction))


def remove(host: Host, post_id: str, emoji: str = "thumbsup") -> cp.RemoveReactionResponse:
    reaction = post_pb2.Reaction(post_id=post_id, user_id=host.user("bob"), emoji_name=emoji)
    return host.api.RemoveReaction(cp.RemoveReactionRequest(reaction=reaction))


@pytest.mark.parity(("AddReaction", "RemoveReaction"), f"{SAVE}; {DELETE}")
def test_reactions_in_an_archived_channel_are_403(host: Host) -> None:
    """Reacting, or removing a reaction, in an archived channel is a 403 (not 400)
    ``api.reaction.save/delete.archived_channel.app_error``."""
    channel = new_channel(host)
    made = post(host, channel_id=channel).post
    host.api.DeleteChannel(cp.DeleteChannelRequest(channel_id=channel))
    err = add(host, made.id).error
    assert (err.status_code, err.id) == (403, "api.reaction.save.archived_channel.app_error")
    err = remove(host, made.id).error
    assert (err.status_code, err.id) == (403, "api.reaction.delete.archived_channel.app_error")


@pytest.mark.parity(("AddReaction", "RemoveReaction"), f"{SAVE}; (*App).GetSinglePost")
def test_reactions_on_a_missing_or_deleted_post_are_404(host: Host) -> None:
    """A post that does not exist or was deleted is a 404 ``app.post.get.app_error``."""
    gone = post(host).post
    host.api.DeletePost(cp.DeletePostRequest(post_id=gone.id))
    for post_id in (gone.id, host.user("alice")):
        for err in (add(host, post_id).error, remove(host, post_id).error):
            assert (err.status_code, err.id) == (404, "app.post.get.app_error")


@pytest.mark.parity("AddReaction", f"{SAVE}; server/channels/app/emoji.go: (*App).GetEmojiByName")
def test_an_emoji_name_with_colons_is_not_found(host: Host) -> None:
    """``:thumbsup:`` is no emoji's name: a 404 ``app.emoji.get_by_name.no_result`` (a 403
    ``api.emoji.disabled.app_error`` when custom emoji are off, a 403
    ``api.emoji.storage.app_error`` without a file store)."""
    made = post(host).post
    err = add(host, made.id, ":thumbsup:").error
    assert (err.status_code, err.id) == (404, "app.emoji.get_by_name.no_result")
    with configured(host, "ServiceSettings", "EnableCustomEmoji", False):
        err = add(host, made.id, ":thumbsup:").error
    assert (err.status_code, err.id) == (403, "api.emoji.disabled.app_error")
    with configured(host, "FileSettings", "DriverName", ""):
        err = add(host, made.id, ":thumbsup:").error
    assert (err.status_code, err.id) == (403, "api.emoji.storage.app_error")


@pytest.mark.parity("AddReaction", f"{SAVE}; server/public/model/emoji.go: GetSystemEmojiId")
def test_an_emoji_name_ending_in_a_newline_is_not_found(host: Host) -> None:
    """``thumbsup`` followed by a newline is no emoji's name (the server's name checks are
    anchored at the very end): a 404 ``app.emoji.get_by_name.no_result``, nothing saved."""
    made = post(host).post
    err = add(host, made.id, "thumbsup\n").error
    assert (err.status_code, err.id) == (404, "app.emoji.get_by_name.no_result")
    got = host.api.GetReactions(cp.GetReactionsRequest(post_id=made.id))
    assert list(got.reactions) == []


@pytest.mark.parity("AddReaction", "server/public/model/reaction.go: (*Reaction).IsValid")
def test_reaction_user_is_checked_for_form_only(host: Host) -> None:
    """The user id must look like an id (400 ``model.reaction.is_valid.user_id.app_error``)
    but is not looked up: an unknown user's reaction is saved."""
    made = post(host).post
    err = add(host, made.id, user_id="nobody").error
    assert (err.status_code, err.id) == (400, "model.reaction.is_valid.user_id.app_error")
    assert not add(host, made.id, user_id=host.info.channels["off-topic"]).HasField("error")


@pytest.mark.parity("AddReaction", SAVE)
def test_too_many_distinct_emoji_is_400(host: Host) -> None:
    """A new emoji on a post that already has UniqueEmojiReactionLimitPerPost distinct ones is
    a 400 ``app.reaction.save.save.too_many_reactions``; one already there is still fine."""
    made = post(host).post
    with configured(host, "ServiceSettings", "UniqueEmojiReactionLimitPerPost", 2):
        assert not add(host, made.id, "smile").HasField("error")
        assert not add(host, made.id, "tada").HasField("error")
        err = add(host, made.id, "heart").error
        assert (err.status_code, err.id) == (400, "app.reaction.save.save.too_many_reactions")
        other = add(host, made.id, "smile", user_id=host.user("admin"))
        assert not other.HasField("error")


@pytest.mark.parity("AddReaction", "server/channels/store/sqlstore/reaction_store.go: Save")
def test_reacting_again_keeps_the_first_time(host: Host) -> None:
    """The same reaction twice is stored once, with its first create_at."""
    made = post(host).post
    first = add(host, made.id).reaction
    add(host, made.id)
    (stored,) = host.api.GetReactions(cp.GetReactionsRequest(post_id=made.id)).reactions
    assert stored.create_at == first.create_at


@pytest.mark.parity(
    ("AddReaction", "RemoveReaction"),
    "server/channels/store/sqlstore/reaction_store.go: updatePostForReactionsOnInsert/Delete",
)
def test_reactions_move_the_posts_update_at(host: Host) -> None:
    """Adding or removing a reaction sets the post's update_at and has_reactions."""
    made = post(host).post
    add(host, made.id)
    reacted = host.api.GetPost(cp.GetPostRequest(post_id=made.id)).post
    assert reacted.has_reactions and reacted.update_at > made.update_at
    remove(host, made.id)
    cleared = host.api.GetPost(cp.GetPostRequest(post_id=made.id)).post
    assert not cleared.has_reactions and cleared.update_at > reacted.update_at


@pytest.mark.parity("RemoveReaction", DELETE)
def test_removing_an_absent_reaction_still_fires_the_hook(quiet_host: Host) -> None:
    """Removing a reaction that is not there is no error, and ReactionHasBeenRemoved fires."""
    made = post(quiet_host).post
    assert not remove(quiet_host, made.id, "tada").HasField("error")
    (fired,) = quiet_host.hooks.named("ReactionHasBeenRemoved")
    assert fired.reaction.emoji_name == "tada"


@pytest.mark.parity("GetReactions", "server/channels/app/reaction.go: (*App).GetReactionsForPost")
def test_reactions_of_an_unknown_post_are_an_empty_list(host: Host) -> None:
    """GetReactions of a post that does not exist (or a malformed id) is an empty list."""
    for post_id in (host.user("alice"), "nope"):
        rsp = host.api.GetReactions(cp.GetReactionsRequest(post_id=post_id))
        assert not rsp.HasField("error") and list(rsp.reactions) == []


@pytest.mark.parity(
    ("AddReaction", "RemoveReaction"),
    "server/channels/store/sqlstore/reaction_store.go: saveReactionAndUpdatePost, "
    "deleteReactionAndUpdatePost",
)
def test_a_removed_reaction_added_again_keeps_its_first_create_at(host: Host) -> None:
    """Removing a reaction only marks it deleted: adding it again revives it with its first
    create_at and a new update_at."""
    made = post(host).post
    first = add(host, made.id).reaction
    remove(host, made.id)
    assert list(host.api.GetReactions(cp.GetReactionsRequest(post_id=made.id)).reactions) == []
    add(host, made.id)
    (stored,) = host.api.GetReactions(cp.GetReactionsRequest(post_id=made.id)).reactions
    assert stored.create_at == first.create_at
    assert stored.update_at > first.update_at and stored.delete_at == 0


def ws_events(host: Host, name: str) -> list[dict[str, Any]]:
    return [p for k, p in host.emitted if k == "websocket_event" and p["event"] == name]


@pytest.mark.parity(
    ("AddReaction", "RemoveReaction"), "server/channels/app/reaction.go: (*App).sendReactionEvent"
)
def test_reaction_events_carry_the_reaction_as_json_text(host: Host) -> None:
    """``reaction_added`` and ``reaction_removed`` go to the post's channel with the reaction
    as JSON text (every field, times as numbers), which a client decodes itself."""
    made = post(host).post
    added = add(host, made.id).reaction
    remove(host, made.id)
    for name in ("reaction_added", "reaction_removed"):
        event = ws_events(host, name)[-1]
        assert event["broadcast"] == {"channel_id": made.channel_id}
        text = event["data"]["reaction"]
        assert isinstance(text, str)
        reaction = json.loads(text)
        assert list(reaction) == ["user_id", "post_id", "emoji_name", "create_at", "update_at",
                                  "delete_at", "remote_id", "channel_id"]
        assert (reaction["post_id"], reaction["emoji_name"]) == (made.id, "thumbsup")
        assert reaction["remote_id"] == "" and reaction["update_at"] >= added.update_at
    assert json.loads(ws_events(host, "reaction_added")[-1]["data"]["reaction"])[
        "create_at"] == added.create_at
