"""Reactions over real gRPC: hooks, has_reactions, validation."""

from __future__ import annotations

from apiworld import World

from mmplug.protocol import api_channel_post_pb2 as cp
from mmplug.protocol import post_pb2


def new_post(world: World) -> str:
    p = post_pb2.Post(
        channel_id=world.channels["off-topic"], user_id=world.users["alice"], message="react to me"
    )
    return world.api.CreatePost(cp.CreatePostRequest(post=p)).post.id


def react(
    world: World, post_id: str, emoji: str = "thumbsup", user: str = "bob"
) -> post_pb2.Reaction:
    return post_pb2.Reaction(post_id=post_id, user_id=world.users[user], emoji_name=emoji)


def test_add_reaction_flags_the_post_and_fires_hook(world: World) -> None:
    pid = new_post(world)
    rsp = world.api.AddReaction(cp.AddReactionRequest(reaction=react(world, pid)))
    assert not rsp.HasField("error") and rsp.reaction.create_at > 0
    assert rsp.reaction.channel_id == world.channels["off-topic"]
    assert world.api.GetPost(cp.GetPostRequest(post_id=pid)).post.has_reactions
    (fired,) = world.hooks.named("ReactionHasBeenAdded")
    assert fired.reaction.emoji_name == "thumbsup"


def test_reactions_are_listed_and_removed(world: World) -> None:
    pid = new_post(world)
    for emoji in ("smile", "tada"):
        world.api.AddReaction(cp.AddReactionRequest(reaction=react(world, pid, emoji)))
    listed = world.api.GetReactions(cp.GetReactionsRequest(post_id=pid)).reactions
    assert [r.emoji_name for r in listed] == ["smile", "tada"]
    for emoji in ("smile", "tada"):
        world.api.RemoveReaction(cp.RemoveReactionRequest(reaction=react(world, pid, emoji)))
    assert world.api.GetReactions(cp.GetReactionsRequest(post_id=pid)).reactions == []
    assert not world.api.GetPost(cp.GetPostRequest(post_id=pid)).post.has_reactions
    assert len(world.hooks.named("ReactionHasBeenRemoved")) == 2


def test_same_reaction_twice_is_stored_once(world: World) -> None:
    pid = new_post(world)
    for _ in range(2):
        world.api.AddReaction(cp.AddReactionRequest(reaction=react(world, pid)))
    assert len(world.api.GetReactions(cp.GetReactionsRequest(post_id=pid)).reactions) == 1


def test_bad_emoji_name_and_unknown_post_are_errors(world: World) -> None:
    pid = new_post(world)
    bad = world.api.AddReaction(cp.AddReactionRequest(reaction=react(world, pid, "no spaces")))
    assert (bad.error.status_code, bad.error.id) == (404, "app.emoji.get_by_name.no_result")
    missing = world.api.AddReaction(
        cp.AddReactionRequest(reaction=react(world, world.users["carol"]))
    )
    assert missing.error.status_code == 404
