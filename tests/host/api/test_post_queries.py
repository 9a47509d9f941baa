"""Reading posts over real gRPC: threads, channel pages, since/after/before, search."""

from __future__ import annotations

import pytest
from apiworld import World

from mmplug.protocol import api_channel_post_pb2 as cp
from mmplug.protocol import channel_pb2, post_pb2


@pytest.fixture
def channel(world: World) -> str:
    ch = world.api.CreateChannel(
        cp.CreateChannelRequest(
            channel=channel_pb2.Channel(
                team_id=world.team_id,
                name=world.unique("q-"),
                display_name="Q",
                type=channel_pb2.CHANNEL_TYPE_OPEN,
            )
        )
    ).channel
    return ch.id


def say(world: World, channel: str, message: str, root: str = "", user: str = "alice") -> str:
    p = post_pb2.Post(channel_id=channel, user_id=world.users[user], message=message, root_id=root)
    return world.api.CreatePost(cp.CreatePostRequest(post=p)).post.id


def test_channel_posts_newest_first_with_paging(world: World, channel: str) -> None:
    ids = [say(world, channel, f"m{i}") for i in range(5)]
    first = world.api.GetPostsForChannel(
        cp.GetPostsForChannelRequest(channel_id=channel, per_page=2)
    ).post_list
    assert list(first.order) == ids[::-1][:2]
    last = world.api.GetPostsForChannel(
        cp.GetPostsForChannelRequest(channel_id=channel, page=2, per_page=2)
    ).post_list
    assert list(last.order) == [ids[0]] and set(last.posts) == {ids[0]}


def test_thread_holds_root_and_replies(world: World, channel: str) -> None:
    root = say(world, channel, "root")
    replies = [say(world, channel, f"r{i}", root=root) for i in range(2)]
    say(world, channel, "unrelated")
    thread = world.api.GetPostThread(cp.GetPostThreadRequest(post_id=replies[0])).post_list
    assert list(thread.order) == [replies[0], root, replies[1]]
    assert thread.posts[root].message == "root"


def test_after_and_before_a_post(world: World, channel: str) -> None:
    ids = [say(world, channel, f"m{i}") for i in range(5)]
    after = world.api.GetPostsAfter(
        cp.GetPostsAfterRequest(channel_id=channel, post_id=ids[1], per_page=2)
    ).post_list
    assert list(after.order) == [ids[3], ids[2]]
    before = world.api.GetPostsBefore(
        cp.GetPostsBeforeRequest(channel_id=channel, post_id=ids[3], per_page=60)
    ).post_list
    assert list(before.order) == [ids[2], ids[1], ids[0]]


def test_since_includes_deleted_posts(world: World, channel: str) -> None:
    old = say(world, channel, "old")
    since = world.api.GetPost(cp.GetPostRequest(post_id=old)).post.create_at
    new = say(world, channel, "new")
    world.api.DeletePost(cp.DeletePostRequest(post_id=old))
    got = world.api.GetPostsSince(cp.GetPostsSinceRequest(channel_id=channel, time=since))
    assert set(got.post_list.order) == {old, new}
    assert got.post_list.posts[old].delete_at > 0


def test_reply_roots_are_included_in_channel_pages(world: World, channel: str) -> None:
    root = say(world, channel, "root")
    for i in range(3):
        say(world, channel, f"r{i}", root=root)
    page = world.api.GetPostsForChannel(
        cp.GetPostsForChannelRequest(channel_id=channel, per_page=1)
    ).post_list
    assert len(page.order) == 1 and root in page.posts
    assert len(page.posts) == 4  # the reply's whole thread comes along


def test_search_in_team_matches_words_hashtags_and_users(world: World, channel: str) -> None:
    hit = say(world, channel, "the zebracorn release is ready #zebra")
    say(world, channel, "unrelated chatter")
    by_bob = say(world, channel, "zebracorn from bob", user="bob")

    def search(terms: str, **kw: object) -> list[str]:
        params = cp.SearchParams(terms=terms, **kw)  # type: ignore[arg-type]
        rsp = world.api.SearchPostsInTeam(
            cp.SearchPostsInTeamRequest(team_id=world.team_id, params_list=[params])
        )
        return [p.id for p in rsp.posts]

    assert search("zebracorn") == [by_bob, hit]
    assert search("zebracorn release") == [hit]
    assert search("#zebra") == [hit]
    assert search("zebrac*") == [by_bob, hit]
    assert search("zebracorn", from_users=["bob"]) == [by_bob]
    assert search("nothing-like-this") == []
    assert search("zebracorn nothing-like-this", is_or_search=True) == [by_bob, hit]
    assert search("zebracorn nothing-like-this") == []
    assert search("ZEBRACORN Release") == [hit]


def test_search_for_user_only_sees_their_channels(world: World) -> None:
    secret = world.channels["secret"]
    say(world, secret, "classified pineapple", user="admin")
    params = cp.SearchParameter(terms="pineapple")
    admin = world.api.SearchPostsInTeamForUser(
        cp.SearchPostsInTeamForUserRequest(
            team_id=world.team_id, user_id=world.users["admin"], search_params=params
        )
    )
    bob = world.api.SearchPostsInTeamForUser(
        cp.SearchPostsInTeamForUserRequest(
            team_id=world.team_id, user_id=world.users["bob"], search_params=params
        )
    )
    assert len(admin.results.order) == 1 and len(bob.results.order) == 0
