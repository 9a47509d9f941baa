"""Sidebar categories: the default Favorites / Channels / Direct Messages of each user and
team (created on first use), custom categories, and moving channels between them."""

from __future__ import annotations

import sqlite3

from mmplug.host.api._entities import get_team, get_user
from mmplug.host.api._pbjson import dump, load, require_id
from mmplug.host.api._registry import ApiContext, ApiFailure, emulates
from mmplug.protocol import api_channel_post_pb2 as cp

Category = cp.SidebarCategoryWithChannels
DEFAULTS = (
    ("favorites", "Favorites"),
    ("channels", "Channels"),
    ("direct_messages", "Direct Messages"),
)
DISPLAY_NAME_MAX = 64


def _rows(db: sqlite3.Connection, user_id: str, team_id: str) -> list[Category]:
    rows = db.execute(
        "SELECT data FROM sidebar_categories WHERE user_id=? AND team_id=? ORDER BY position",
        (user_id, team_id),
    ).fetchall()
    return [load(Category, r["data"]) for r in rows]


def _write(db: sqlite3.Connection, cats: list[Category]) -> None:
    for position, cat in enumerate(cats):
        db.execute(
            "INSERT INTO sidebar_categories(id, user_id, team_id, position, data) "
            "VALUES(?,?,?,?,?) ON CONFLICT(id) DO UPDATE SET position=excluded.position, "
            "data=excluded.data",
            (cat.id, cat.user_id, cat.team_id, position, dump(cat)),
        )


def _ensure(db: sqlite3.Connection, user_id: str, team_id: str) -> list[Category]:
    require_id(user_id, "user_id")
    require_id(team_id, "team_id")
    get_user(db, user_id)
    get_team(db, team_id)
    cats = _rows(db, user_id, team_id)
    if not cats:
        cats = [
            Category(
                id=f"{kind}_{user_id}_{team_id}",
                user_id=user_id,
                team_id=team_id,
                type=kind,
                display_name=name,
            )
            for kind, name in DEFAULTS
        ]
        _write(db, cats)
    return cats


def _filled(db: sqlite3.Connection, cats: list[Category]) -> list[Category]:
    """Put every channel of the user that no category holds into Channels / Direct Messages."""
    if not cats:
        return cats
    user_id, team_id = cats[0].user_id, cats[0].team_id
    placed = {cid for cat in cats for cid in cat.channel_ids}
    rows = db.execute(
        "SELECT c.id, c.type FROM channels c JOIN channel_members m ON "
        "m.channel_id=c.id WHERE m.user_id=? AND c.delete_at=0 AND "
        "(c.team_id=? OR c.team_id='') ORDER BY c.name",
        (user_id, team_id),
    )
    out = [Category() for _ in cats]
    for copy, cat in zip(out, cats, strict=True):
        copy.CopyFrom(cat)
    by_type = {cat.type: cat for cat in out}
    for row in rows.fetchall():
        kind = "direct_messages" if row["type"] in ("D", "G") else "channels"
        if row["id"] not in placed and kind in by_type:
            by_type[kind].channel_ids.append(row["id"])
    return out


def _move(cats: list[Category], target: Category) -> None:
    """Channels live in one category: take ``target``'s channels out of the others."""
    moving = set(target.channel_ids)
    for cat in cats:
        if cat.id != target.id:
            kept = [c for c in cat.channel_ids if c not in moving]
            del cat.channel_ids[:]
            cat.channel_ids.extend(kept)


@emulates("GetChannelSidebarCategories")
def get_categories(
    ctx: ApiContext, req: cp.GetChannelSidebarCategoriesRequest
) -> cp.GetChannelSidebarCategoriesResponse:
    with ctx.store.tx() as db:
        cats = _filled(db, _ensure(db, req.user_id, req.team_id))
    ordered = cp.OrderedSidebarCategories(categories=cats, order=[c.id for c in cats])
    return cp.GetChannelSidebarCategoriesResponse(categories=ordered)


@emulates("CreateChannelSidebarCategory")
def create_category(
    ctx: ApiContext, req: cp.CreateChannelSidebarCategoryRequest
) -> cp.CreateChannelSidebarCategoryResponse:
    new = Category()
    new.CopyFrom(req.new_category)
    if not new.display_name.strip() or len(new.display_name) > DISPLAY_NAME_MAX:
        raise ApiFailure(
            400,
            "model.sidebar.is_valid.display_name.app_error",
            f"A category needs a display name of 1-{DISPLAY_NAME_MAX} characters.",
        )
    with ctx.store.tx() as db:
        cats = _ensure(db, req.user_id, req.team_id)
        new.id, new.user_id, new.team_id, new.type = (
            ctx.new_id(),
            req.user_id,
            req.team_id,
            "custom",
        )
        _move(cats, new)
        cats.insert(1, new)  # below Favorites
        _write(db, cats)
        (filled,) = [c for c in _filled(db, cats) if c.id == new.id]
    return cp.CreateChannelSidebarCategoryResponse(category=filled)


@emulates("UpdateChannelSidebarCategories")
def update_categories(
    ctx: ApiContext, req: cp.UpdateChannelSidebarCategoriesRequest
) -> cp.UpdateChannelSidebarCategoriesResponse:
    with ctx.store.tx() as db:
        cats = _ensure(db, req.user_id, req.team_id)
        by_id = {c.id: c for c in cats}
        for update in req.categories:
            cat = by_id.get(update.id)
            if cat is None:
                raise ApiFailure(
                    400,
                    "app.channel.sidebar_categories.app_error",
                    f"Category {update.id!r} is not one of this user's categories on this team.",
                )
            if cat.type == "custom" and update.display_name:
                cat.display_name = update.display_name
            cat.sorting, cat.muted, cat.collapsed = update.sorting, update.muted, update.collapsed
            del cat.channel_ids[:]
            cat.channel_ids.extend(dict.fromkeys(update.channel_ids))
            _move(cats, cat)
        _write(db, cats)
        wanted = {u.id for u in req.categories}
        result = [c for c in _filled(db, cats) if c.id in wanted]
    return cp.UpdateChannelSidebarCategoriesResponse(categories=result)
