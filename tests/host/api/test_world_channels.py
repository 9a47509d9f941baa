"""The channel/post emulations on the default world: seeded direct and group channels are
found again, seeded members can post, the world bot can be adopted."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from worldhost import Host, start_host

from mmplug.protocol import api_channel_post_pb2 as cp
from mmplug.protocol import api_file_bot_pb2 as fb
from mmplug.protocol import post_pb2


@pytest.fixture(scope="module")
def host() -> Iterator[Host]:
    with start_host() as h:
        yield h


def test_seeded_direct_and_group_channels_are_reused(host: Host) -> None:
    alice, bob, admin = host.user("alice"), host.user("bob"), host.user("admin")
    with host.store.read() as db:
        seeded = {
            r["type"]: r["id"]
            for r in db.execute("SELECT id, type FROM channels WHERE type IN ('D', 'G')")
        }
    dm = host.api.GetDirectChannel(cp.GetDirectChannelRequest(user_id_1=bob, user_id_2=alice))
    assert dm.channel.id == seeded["D"]
    gm = host.api.GetGroupChannel(cp.GetGroupChannelRequest(user_ids=[bob, admin, alice]))
    assert gm.channel.id == seeded["G"]
    assert host.hooks.named("ChannelHasBeenCreated") == []


def test_world_members_post_and_read_back(host: Host) -> None:
    channel = host.info.channels["town-square"]
    post = post_pb2.Post(channel_id=channel, user_id=host.user("alice"), message="hello world")
    made = host.api.CreatePost(cp.CreatePostRequest(post=post)).post
    page = host.api.GetPostsForChannel(cp.GetPostsForChannelRequest(channel_id=channel, per_page=1))
    assert page.post_list.order[0] == made.id


def test_world_bot_is_adopted_by_ensure_bot_user(host: Host) -> None:
    rsp = host.api.EnsureBotUser(fb.EnsureBotUserRequest(bot=fb.Bot(username="helper-bot")))
    assert rsp.bot_user_id == host.user("helper-bot")
    bot = host.api.GetBot(fb.GetBotRequest(bot_user_id=rsp.bot_user_id)).bot
    assert bot.owner_id == host.user("admin")
