"""Server parity of custom emoji: GetEmojiList, GetEmoji, GetEmojiByName, GetEmojiImage."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from worldhost import Host

from mmplug.host.api.emoji import add_emoji
from mmplug.protocol import api_channel_post_pb2 as cp
from mmplug.protocol import api_kv_config_pb2 as kvc

APP = "server/channels/app/emoji.go"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
GIF = b"GIF89a" + b"\x00" * 16


@pytest.fixture(scope="module")
def emojis(host: Host) -> dict[str, cp.Emoji]:
    alice = host.user("alice")
    return {
        "zz-party": add_emoji(host.store, "zz-party", alice, GIF),
        "aa-cat": add_emoji(host.store, "aa-cat", alice, PNG),
        "mm-odd": add_emoji(host.store, "mm-odd", alice, b"not an image"),
    }


@pytest.fixture
def emoji_disabled(host: Host) -> Iterator[None]:
    def save(enabled: bool) -> None:
        raw = host.api.GetUnsanitizedConfig(kvc.GetUnsanitizedConfigRequest()).config_json
        config = json.loads(raw)
        config["ServiceSettings"]["EnableCustomEmoji"] = enabled
        rsp = host.api.SaveConfig(kvc.SaveConfigRequest(config_json=json.dumps(config).encode()))
        assert not rsp.error.id

    save(False)
    try:
        yield
    finally:
        save(True)


def _names(rsp: cp.GetEmojiListResponse) -> list[str]:
    assert not rsp.error.id, rsp.error
    return [e.name for e in rsp.emojis]


@pytest.mark.parity("GetEmoji", APP + ": (*App).GetEmoji")
def test_get_emoji_with_a_malformed_id_is_a_404(host: Host, emojis: dict[str, cp.Emoji]) -> None:
    """An id is not checked for its form: a malformed or unknown one is a 404
    `app.emoji.get.no_result`, not a 400."""
    for emoji_id in ("nope", "x" * 26):
        err = host.api.GetEmoji(cp.GetEmojiRequest(emoji_id=emoji_id)).error
        assert (err.status_code, err.id) == (404, "app.emoji.get.no_result")


@pytest.mark.parity("GetEmojiByName", APP + ": (*App).GetEmojiByName")
def test_get_emoji_by_unknown_name_is_a_404(host: Host, emojis: dict[str, cp.Emoji]) -> None:
    """An unknown name is a 404 `app.emoji.get_by_name.no_result`."""
    err = host.api.GetEmojiByName(cp.GetEmojiByNameRequest(name="smile")).error
    assert (err.status_code, err.id) == (404, "app.emoji.get_by_name.no_result")


@pytest.mark.parity(("GetEmoji", "GetEmojiByName"), APP + ": (*App).GetEmoji, GetEmojiByName")
def test_disabled_custom_emoji_is_a_403_for_get_and_by_name(
    host: Host, emojis: dict[str, cp.Emoji], emoji_disabled: None
) -> None:
    """With ServiceSettings.EnableCustomEmoji off, GetEmoji and GetEmojiByName are a 403
    `api.emoji.disabled.app_error`."""
    cat = emojis["aa-cat"]
    for err in (
        host.api.GetEmoji(cp.GetEmojiRequest(emoji_id=cat.id)).error,
        host.api.GetEmojiByName(cp.GetEmojiByNameRequest(name="aa-cat")).error,
    ):
        assert (err.status_code, err.id) == (403, "api.emoji.disabled.app_error")


@pytest.mark.parity(
    ("GetEmojiList", "GetEmojiImage"), APP + ": (*App).GetEmojiList, GetEmojiImage"
)
def test_disabled_custom_emoji_still_lists_and_serves_images(
    host: Host, emojis: dict[str, cp.Emoji], emoji_disabled: None
) -> None:
    """GetEmojiList and GetEmojiImage do not look at EnableCustomEmoji."""
    assert "aa-cat" in _names(host.api.GetEmojiList(cp.GetEmojiListRequest(per_page=100)))
    image = host.api.GetEmojiImage(cp.GetEmojiImageRequest(emoji_id=emojis["aa-cat"].id))
    assert not image.error.id and image.image == PNG


@pytest.mark.parity("GetEmojiList", APP + ": (*App).GetEmojiList")
def test_emoji_list_sorts_by_name_or_else_by_creation(
    host: Host, emojis: dict[str, cp.Emoji]
) -> None:
    """`sort_by="name"` sorts by name; any other value (even an unknown one) is the default
    order, oldest first, and not an error."""
    by_name = _names(host.api.GetEmojiList(cp.GetEmojiListRequest(sort_by="name", per_page=100)))
    assert by_name == sorted(by_name)
    default = _names(host.api.GetEmojiList(cp.GetEmojiListRequest(sort_by="size", per_page=100)))
    assert default.index("zz-party") < default.index("aa-cat")


@pytest.mark.parity("GetEmojiList", APP + ": (*App).GetEmojiList")
def test_emoji_list_per_page_zero_answers_nothing(host: Host, emojis: dict[str, cp.Emoji]) -> None:
    """`per_page` is used as given: 0 answers an empty list (there is no default page size)."""
    assert _names(host.api.GetEmojiList(cp.GetEmojiListRequest(per_page=0))) == []


@pytest.mark.parity("GetEmojiList", APP + ": (*App).GetEmojiList")
def test_emoji_list_negative_page_is_a_500(host: Host, emojis: dict[str, cp.Emoji]) -> None:
    """A negative page or per_page reaches the database, which refuses it: a 500
    `app.emoji.get_list.internal_error`."""
    for page, per_page in ((-1, 10), (0, -1)):
        err = host.api.GetEmojiList(cp.GetEmojiListRequest(page=page, per_page=per_page)).error
        assert (err.status_code, err.id) == (500, "app.emoji.get_list.internal_error")


@pytest.mark.parity("GetEmojiImage", APP + ": (*App).GetEmojiImage")
def test_emoji_image_answers_its_format(host: Host, emojis: dict[str, cp.Emoji]) -> None:
    """GetEmojiImage answers the image bytes and their format name (`png`, `gif`, ...)."""
    image = host.api.GetEmojiImage(cp.GetEmojiImageRequest(emoji_id=emojis["zz-party"].id))
    assert (image.image, image.content_type) == (GIF, "gif")


@pytest.mark.parity("GetEmojiImage", APP + ": (*App).GetEmojiImage")
def test_emoji_image_that_is_not_an_image_is_a_500(
    host: Host, emojis: dict[str, cp.Emoji]
) -> None:
    """Stored bytes that are not a known image format are a 500
    `api.emoji.get_image.decode.app_error`."""
    err = host.api.GetEmojiImage(cp.GetEmojiImageRequest(emoji_id=emojis["mm-odd"].id)).error
    assert (err.status_code, err.id) == (500, "api.emoji.get_image.decode.app_error")
