"""Sidebar categories: the default Favorites / Channels / Direct Messages of each user and
team (created on first use), custom categories, and moving channels between them.

As on the server, a user has categories only on a team they are an active member of
(elsewhere the answer is empty), the Channels and Direct Messages categories also list the
user's channels no category holds (first, by display name), and a category is updated by
its id alone. An update keeps the user's ``favorite_channel`` preferences in step: a
category sent as Favorites makes its channels favorites (and its former ones not), any
other drops the favorite of the channels it is sent with.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable

from mmplug.host.api._entities import find_member, save_member
from mmplug.host.api._pbjson import dump, load, model_dict
from mmplug.host.api._registry import ApiContext, ApiFailure, emulates
from mmplug.host.api.events import server_event
from mmplug.host.api.preferences import store_preferences
from mmplug.protocol import api_channel_post_pb2 as cp
from mmplug.protocol import api_remaining_pb2 as rem

Category = cp.SidebarCategoryWithChannels
DEFAULTS = (
    ("favorites", "Favorites"),
    ("channels", "Channels"),
    ("direct_messages", "Direct Messages"),
)
FILLED = {"channels": ("O", "P"), "direct_messages": ("D", "G")}
FAVORITE = "favorite_channel"  # the preference category of a favorite channel
# A category's sorting: the number the gRPC API carries is the index of the server's name.
SORTINGS = ("", "manual", "recent", "alpha")
SORT_DISTANCE = 10  # model.MinimalSidebarSortDistance: categories' sort orders are this apart


def _failure(status: int, message: str, detail: str) -> ApiFailure:
    return ApiFailure(
        status, "app.channel.sidebar_categories.app_error", message, detailed_error=detail
    )


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


def _in_team(db: sqlite3.Connection, user_id: str, team_id: str) -> bool:
    row = db.execute(
        "SELECT 1 FROM team_members tm JOIN teams t ON t.id=tm.team_id "
        "WHERE tm.user_id=? AND tm.team_id=? AND tm.delete_at=0 "
        "AND coalesce(json_extract(t.data, '$.delete_at'), 0)=0",
        (user_id, team_id),
    ).fetchone()
    return row is not None


def _ensure(db: sqlite3.Connection, user_id: str, team_id: str) -> list[Category]:
    """The user's categories on the team, the defaults made on first use; none off-team."""
    if not _in_team(db, user_id, team_id):
        return []
    cats = _rows(db, user_id, team_id)
    if not cats:
        cats = [
            Category(
                id=f"{kind}_{user_id}_{team_id}",
                user_id=user_id,
                team_id=team_id,
                type=kind,
                display_name=name,
                sorting=SORTINGS.index("recent") if kind == "direct_messages" else 0,
            )
            for kind, name in DEFAULTS
        ]
        _write(db, cats)
    return cats


def _filled(db: sqlite3.Connection, cats: list[Category]) -> list[Category]:
    """Copies of ``cats``; Channels and Direct Messages lead with the user's channels that no
    category holds, by display name."""
    out = [Category() for _ in cats]
    for copy, cat in zip(out, cats, strict=True):
        copy.CopyFrom(cat)
    if not cats:
        return out
    user_id, team_id = cats[0].user_id, cats[0].team_id
    placed = {cid for cat in cats for cid in cat.channel_ids}
    for cat in out:
        types = FILLED.get(cat.type)
        if types is None:
            continue
        sql = (
            "SELECT c.id FROM channels c JOIN channel_members m ON m.channel_id=c.id "
            "WHERE m.user_id=? AND c.delete_at=0 AND c.type IN (?,?)"
        )
        args: tuple[object, ...] = (user_id, *types)
        if cat.type == "channels":
            sql += " AND c.team_id=?"
            args += (team_id,)
        sql += " ORDER BY json_extract(c.data, '$.display_name'), c.name"
        loose = [r["id"] for r in db.execute(sql, args) if r["id"] not in placed]
        explicit = list(cat.channel_ids)
        del cat.channel_ids[:]
        cat.channel_ids.extend(loose + explicit)
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
    given = req.new_category
    with ctx.store.tx() as db:
        cats = _ensure(db, req.user_id, req.team_id)
        if not cats:
            raise _failure(
                404,
                "The user has no sidebar on this team: add them to the team first.",
                f"userId={req.user_id},teamId={req.team_id}",
            )
        new = Category(
            id=ctx.new_id(),
            user_id=req.user_id,
            team_id=req.team_id,
            type="custom",
            display_name=given.display_name,
            muted=given.muted,
            channel_ids=list(given.channel_ids),
        )
        _move(cats, new)
        cats.insert(1 if cats[0].type == "favorites" else 0, new)
        _write(db, cats)
    server_event(
        ctx,
        "sidebar_category_created",
        {"category_id": new.id},
        team_id=req.team_id,
        user_id=req.user_id,
    )
    return cp.CreateChannelSidebarCategoryResponse(category=new)


def _find(db: sqlite3.Connection, category_id: str) -> Category:
    row = db.execute("SELECT data FROM sidebar_categories WHERE id=?", (category_id,)).fetchone()
    if row is None:
        raise _failure(
            500,
            f"There is no sidebar category {category_id!r}: read the ids with "
            "GetChannelSidebarCategories.",
            f"category_id={category_id}",
        )
    return load(Category, row["data"])


def _category_model(db: sqlite3.Connection, cat: Category) -> dict[str, object]:
    """The category as the server's ``json.Marshal`` writes it into ``sidebar_category_updated``:
    its stored ``sort_order`` (a number, ten apart in the user's order), ``sorting`` as its
    name, and ``channel_ids`` a list, except an empty Direct Messages category's ``null``
    (the server's store copies the other categories' channels into a new list)."""
    (position,) = db.execute(
        "SELECT position FROM sidebar_categories WHERE id=?", (cat.id,)
    ).fetchone()
    empty_dms = cat.type == "direct_messages" and not cat.channel_ids
    sorting = SORTINGS[cat.sorting] if 0 <= cat.sorting < len(SORTINGS) else ""
    out = model_dict(cat, sorting=sorting,
                     channel_ids=None if empty_dms else list(cat.channel_ids))
    return {**{k: out[k] for k in ("id", "user_id", "team_id")},
            "sort_order": position * SORT_DISTANCE,
            **{k: v for k, v in out.items() if k not in ("id", "user_id", "team_id")}}


def _mute(db: sqlite3.Connection, user_id: str, channel_ids: list[str], muted: bool) -> None:
    """Muting a category mutes its channels for the user (mark_unread), and the reverse."""
    for channel_id in channel_ids:
        member = find_member(db, channel_id, user_id)
        if member is not None:
            member.notify_props["mark_unread"] = "mention" if muted else "all"
            save_member(db, member)


def _unfavorite(db: sqlite3.Connection, user_id: str, channel_ids: Iterable[str]) -> None:
    for channel_id in channel_ids:
        db.execute(
            "DELETE FROM preferences WHERE user_id=? AND category=? AND name=?",
            (user_id, FAVORITE, channel_id),
        )


def _sync_favorites(
    db: sqlite3.Connection, user_id: str, update: Category, former: Iterable[str]
) -> None:
    """The server's store decides by the type the update is sent with: Favorites replaces
    the favorites of its ``former`` channels with its new ones; any other type unfavorites
    the channels it is sent with."""
    if update.type == "favorites":
        _unfavorite(db, user_id, former)
        store_preferences(
            db,
            [
                rem.Preference(user_id=user_id, category=FAVORITE, name=cid, value="true")
                for cid in update.channel_ids
            ],
        )
    else:
        _unfavorite(db, user_id, update.channel_ids)


def _listed(db: sqlite3.Connection, cat: Category) -> Category:
    """The category as GetChannelSidebarCategories lists it (Channels and Direct Messages
    lead with the channels no category holds)."""
    cats = _filled(db, _rows(db, cat.user_id, cat.team_id))
    return next(c for c in cats if c.id == cat.id)


def _mute_for_update(
    db: sqlite3.Connection, user_id: str, updated: list[Category], originals: list[Category]
) -> None:
    """The server's ``muteChannelsForUpdatedCategories``: a category muted (or unmuted) by the
    update mutes (unmutes) all its channels; a channel moved between two of the updated
    categories follows its new category's flag."""
    mute: list[str] = []
    unmute: list[str] = []
    for new, old in zip(updated, originals, strict=True):
        if new.muted != old.muted:
            (mute if new.muted else unmute).extend(new.channel_ids)
    was_in = {cid: old for old in originals for cid in old.channel_ids}
    now_in = {cid: new for new in updated for cid in new.channel_ids}
    for cid, old in was_in.items():
        moved = now_in.get(cid)
        if moved is not None and moved.id != old.id and moved.muted != old.muted:
            (mute if moved.muted else unmute).append(cid)
    _mute(db, user_id, mute, True)
    _mute(db, user_id, unmute, False)


@emulates("UpdateChannelSidebarCategories")
def update_categories(
    ctx: ApiContext, req: cp.UpdateChannelSidebarCategoriesRequest
) -> cp.UpdateChannelSidebarCategoriesResponse:
    result: list[Category] = []
    originals: list[Category] = []
    with ctx.store.tx() as db:
        for update in req.categories:
            found = _find(db, update.id)
            originals.append(_listed(db, found))
            cats = _rows(db, found.user_id, found.team_id)
            (cat,) = [c for c in cats if c.id == found.id]
            had = list(cat.channel_ids)
            if cat.type == "custom":
                cat.display_name = update.display_name
            cat.sorting, cat.collapsed = update.sorting, update.collapsed
            if cat.type != "direct_messages":
                cat.muted = update.muted
                del cat.channel_ids[:]
                cat.channel_ids.extend(dict.fromkeys(update.channel_ids))
                _move(cats, cat)
            _write(db, cats)
            _sync_favorites(db, cat.user_id, update, had)
            result.append(cat)
        result = [_listed(db, cat) for cat in result]  # once every category is updated
        _mute_for_update(db, req.user_id, result, originals)
        sent = json.dumps([_category_model(db, c) for c in result], separators=(",", ":"))
    server_event(
        ctx,
        "sidebar_category_updated",
        {"updatedCategories": sent},
        team_id=req.team_id,
        user_id=req.user_id,
    )
    return cp.UpdateChannelSidebarCategoriesResponse(categories=result)
