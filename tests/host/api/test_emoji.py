"""Custom emoji over real gRPC."""

from __future__ import annotations

import pytest
from apiworld import World

from mmplug.host.api.emoji import add_emoji
from mmplug.protocol import api_channel_post_pb2 as cp

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


@pytest.fixture(scope="module")
def emojis(module_world: World) -> dict[str, cp.Emoji]:
    creator = module_world.users["alice"]
    return {n: add_emoji(module_world.store, n, creator, PNG) for n in ("zzz-party", "aaa-cat")}


def test_list_sorted_by_name_or_creation(world: World, emojis: dict[str, cp.Emoji]) -> None:
    by_name = world.api.GetEmojiList(cp.GetEmojiListRequest(sort_by="name", per_page=200))
    names = [e.name for e in by_name.emojis]
    assert names.index("aaa-cat") < names.index("zzz-party")
    by_time = world.api.GetEmojiList(cp.GetEmojiListRequest(per_page=200))
    names = [e.name for e in by_time.emojis]
    assert names.index("zzz-party") < names.index("aaa-cat")
    other = world.api.GetEmojiList(cp.GetEmojiListRequest(sort_by="size", per_page=200))
    assert not other.error.id  # as the server: any other sort is the default order
    assert [e.name for e in other.emojis] == names


def test_get_by_id_name_and_image(world: World, emojis: dict[str, cp.Emoji]) -> None:
    cat = emojis["aaa-cat"]
    assert world.api.GetEmoji(cp.GetEmojiRequest(emoji_id=cat.id)).emoji == cat
    assert world.api.GetEmojiByName(cp.GetEmojiByNameRequest(name="aaa-cat")).emoji.id == cat.id
    image = world.api.GetEmojiImage(cp.GetEmojiImageRequest(emoji_id=cat.id))
    assert image.image == PNG and image.content_type == "png"


def test_unknown_emoji_is_404(world: World, emojis: dict[str, cp.Emoji]) -> None:
    rsp = world.api.GetEmojiByName(cp.GetEmojiByNameRequest(name="smile"))
    assert rsp.error.id == "app.emoji.get_by_name.no_result" and rsp.error.status_code == 404


def test_add_emoji_rejects_bad_names(module_world: World) -> None:
    with pytest.raises(ValueError, match="invalid emoji name"):
        add_emoji(module_world.store, "bad name", module_world.users["alice"], PNG)
