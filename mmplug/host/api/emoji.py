"""Custom emoji: list, by id, by name, image. Custom emoji must be enabled
(ServiceSettings.EnableCustomEmoji); :func:`add_emoji` seeds them (no rpc creates one)."""

from __future__ import annotations

import json
import re

from mmplug.host.api._pbjson import dump, load, paging, require_id
from mmplug.host.api._registry import ApiContext, ApiFailure, emulates
from mmplug.host.store import Store
from mmplug.protocol import api_channel_post_pb2 as cp

NAME = re.compile(r"^[a-zA-Z0-9_+-]{1,64}$")
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


def _check_enabled(ctx: ApiContext) -> None:
    with ctx.store.read() as db:
        row = db.execute("SELECT data FROM config WHERE key='server'").fetchone()
    settings = (json.loads(row["data"]) if row else {}).get("ServiceSettings") or {}
    if settings.get("EnableCustomEmoji") is False:
        raise ApiFailure(
            501,
            "api.emoji.disabled.app_error",
            "Custom emoji have been disabled (ServiceSettings.EnableCustomEmoji).",
        )


def _one(ctx: ApiContext, column: str, value: str, error_id: str) -> tuple[cp.Emoji, bytes]:
    _check_enabled(ctx)
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
    if req.sort_by not in ("", "name"):
        raise ApiFailure(
            400,
            "api.emoji.get_list.sort_by.app_error",
            f"Invalid sort_by {req.sort_by!r}: use '' (creation) or 'name'.",
        )
    limit, offset = paging(req.page, req.per_page)
    order = "name" if req.sort_by == "name" else "json_extract(data, '$.create_at'), id"
    with ctx.store.read() as db:
        rows = db.execute(
            f"SELECT data FROM emoji WHERE delete_at=0 ORDER BY {order} LIMIT ? OFFSET ?",
            (limit, offset),
        ).fetchall()
    return cp.GetEmojiListResponse(emojis=[load(cp.Emoji, r["data"]) for r in rows])


@emulates("GetEmoji")
def get_emoji(ctx: ApiContext, req: cp.GetEmojiRequest) -> cp.GetEmojiResponse:
    require_id(req.emoji_id, "emoji_id")
    return cp.GetEmojiResponse(emoji=_one(ctx, "id", req.emoji_id, "app.emoji.get.no_result")[0])


@emulates("GetEmojiByName")
def get_emoji_by_name(ctx: ApiContext, req: cp.GetEmojiByNameRequest) -> cp.GetEmojiByNameResponse:
    emoji = _one(ctx, "name", req.name, "app.emoji.get_by_name.no_result")[0]
    return cp.GetEmojiByNameResponse(emoji=emoji)


@emulates("GetEmojiImage")
def get_emoji_image(ctx: ApiContext, req: cp.GetEmojiImageRequest) -> cp.GetEmojiImageResponse:
    require_id(req.emoji_id, "emoji_id")
    image = _one(ctx, "id", req.emoji_id, "app.emoji.get.no_result")[1]
    kind = next((name for magic, name in _FORMATS if image.startswith(magic)), "")
    return cp.GetEmojiImageResponse(image=image, content_type=kind)
