"""Custom emoji: list, by id, by name, image; :func:`add_emoji` seeds them (no rpc creates
one).

As on the server: GetEmoji and GetEmojiByName need custom emoji enabled
(ServiceSettings.EnableCustomEmoji, else 403 ``api.emoji.disabled.app_error``) and a file
store (FileSettings.DriverName, else 403 ``api.emoji.storage.app_error``); GetEmojiList and
GetEmojiImage check neither. An id is not checked for its form: an unknown one is a 404.
GetEmojiList sorts by name for ``sort_by="name"`` and by creation for anything else; it uses
``per_page`` as it is (0 answers nothing) and a negative page or per_page fails as the
server's database does (500).
"""

from __future__ import annotations

import re

from mmplug.host.api._pbjson import dump, load
from mmplug.host.api._registry import ApiContext, ApiFailure, emulates
from mmplug.host.api.config import server_setting
from mmplug.host.store import Store
from mmplug.protocol import api_channel_post_pb2 as cp

# Emoji.IsValid and Reaction.IsValid; \Z, not $: Go's $ does not match before a final "\n".
NAME = re.compile(r"^[a-zA-Z0-9_+-]{1,64}\Z")
_FORMATS = ((b"\x89PNG", "png"), (b"GIF8", "gif"), (b"\xff\xd8\xff", "jpeg"))


def add_emoji(store: Store, name: str, creator_id: str, image: bytes) -> cp.Emoji:
    """Store a custom emoji (for worlds and tests)."""
    if not NAME.match(name):
        raise ValueError(f"invalid emoji name {name!r}: 1-64 letters, digits, '_', '-', '+'")
    emoji = cp.Emoji(id=store.new_id(), name=name, creator_id=creator_id)
    emoji.create_at = emoji.update_at = store.now_ms()
    with store.tx() as db:
        db.execute(
            "INSERT INTO emoji(id, name, data, image) VALUES(?,?,?,?)",
            (emoji.id, name, dump(emoji), image),
        )
    return emoji


def check_custom_emoji_enabled(ctx: ApiContext) -> None:
    """The gate of every custom emoji read (GetEmoji, GetEmojiByName): custom emoji on and a
    file store configured, else 403."""
    with ctx.store.read() as db:
        enabled = server_setting(db, "ServiceSettings", "EnableCustomEmoji", None)
        driver = server_setting(db, "FileSettings", "DriverName", None)
    if enabled is False:
        raise ApiFailure(
            403,
            "api.emoji.disabled.app_error",
            "Custom emoji have been disabled (ServiceSettings.EnableCustomEmoji).",
        )
    if driver == "":
        raise ApiFailure(
            403,
            "api.emoji.storage.app_error",
            "Custom emoji need a file store (FileSettings.DriverName).",
        )


def _one(ctx: ApiContext, column: str, value: str, error_id: str) -> tuple[cp.Emoji, bytes]:
    with ctx.store.read() as db:
        row = db.execute(
            f"SELECT data, image FROM emoji WHERE {column}=? AND delete_at=0", (value,)
        ).fetchone()
    if row is None:
        raise ApiFailure(
            404, error_id, "Unable to find the emoji.", detailed_error=f"{column}={value}"
        )
    return load(cp.Emoji, row["data"]), bytes(row["image"])


@emulates("GetEmojiList")
def get_emoji_list(ctx: ApiContext, req: cp.GetEmojiListRequest) -> cp.GetEmojiListResponse:
    if req.page < 0 or req.per_page < 0:  # the server's database refuses a negative LIMIT
        raise ApiFailure(
            500,
            "app.emoji.get_list.internal_error",
            "Unable to get the emoji: page and per_page must be 0 or more.",
            detailed_error=f"page={req.page} per_page={req.per_page}",
        )
    limit, offset = req.per_page, req.page * req.per_page
    order = "name" if req.sort_by == "name" else "json_extract(data, '$.create_at'), id"
    with ctx.store.read() as db:
        rows = db.execute(
            f"SELECT data FROM emoji WHERE delete_at=0 ORDER BY {order} LIMIT ? OFFSET ?",
            (limit, offset),
        ).fetchall()
    return cp.GetEmojiListResponse(emojis=[load(cp.Emoji, r["data"]) for r in rows])


@emulates("GetEmoji")
def get_emoji(ctx: ApiContext, req: cp.GetEmojiRequest) -> cp.GetEmojiResponse:
    check_custom_emoji_enabled(ctx)
    return cp.GetEmojiResponse(emoji=_one(ctx, "id", req.emoji_id, "app.emoji.get.no_result")[0])


@emulates("GetEmojiByName")
def get_emoji_by_name(ctx: ApiContext, req: cp.GetEmojiByNameRequest) -> cp.GetEmojiByNameResponse:
    check_custom_emoji_enabled(ctx)
    emoji = _one(ctx, "name", req.name, "app.emoji.get_by_name.no_result")[0]
    return cp.GetEmojiByNameResponse(emoji=emoji)


@emulates("GetEmojiImage")
def get_emoji_image(ctx: ApiContext, req: cp.GetEmojiImageRequest) -> cp.GetEmojiImageResponse:
    image = _one(ctx, "id", req.emoji_id, "app.emoji.get.no_result")[1]
    kind = next((name for magic, name in _FORMATS if image.startswith(magic)), "")
    if image[:4] == b"RIFF" and image[8:12] == b"WEBP":
        kind = "webp"
    if not kind:
        raise ApiFailure(
            500,
            "api.emoji.get_image.decode.app_error",
            "Unable to decode the emoji's image (PNG, GIF, JPEG or WebP expected).",
            detailed_error=f"emoji_id={req.emoji_id}",
        )
    return cp.GetEmojiImageResponse(image=image, content_type=kind)
