"""Reading posts: threads, channel pages, since/after/before a point, and search."""

from __future__ import annotations

import sqlite3

from mmplug.host.api._entities import get_channel, get_post, post_from_row
from mmplug.host.api._pbjson import paging, require_id
from mmplug.host.api._posts import matches_terms, post_list, split_terms, terms_prefilter
from mmplug.host.api._registry import ApiContext, emulates
from mmplug.protocol import api_channel_post_pb2 as cp
from mmplug.protocol import post_pb2

_LIVE = "ephemeral=0 AND delete_at=0"
SINCE_LIMIT = 1000


def _channel_rows(
    db: sqlite3.Connection,
    channel_id: str,
    where: str,
    args: tuple[object, ...],
    order: str,
    limit: int,
    offset: int,
) -> list[sqlite3.Row]:
    sql = (
        f"SELECT * FROM posts WHERE channel_id=? AND {where} ORDER BY create_at {order}, "
        f"id {order} LIMIT ? OFFSET ?"
    )
    return db.execute(sql, (channel_id, *args, limit, offset)).fetchall()


@emulates("GetPostThread")
def get_post_thread(ctx: ApiContext, req: cp.GetPostThreadRequest) -> cp.GetPostThreadResponse:
    require_id(req.post_id, "post_id")
    with ctx.store.read() as db:
        post = get_post(db, req.post_id)
        root_id = post.root_id or post.id
        rows = db.execute(
            f"SELECT * FROM posts WHERE (id=? OR root_id=?) AND {_LIVE} "
            "ORDER BY create_at DESC, id DESC",
            (root_id, root_id),
        ).fetchall()
        return cp.GetPostThreadResponse(post_list=post_list(db, rows))


@emulates("GetPostsForChannel")
def get_posts_for_channel(
    ctx: ApiContext, req: cp.GetPostsForChannelRequest
) -> cp.GetPostsForChannelResponse:
    require_id(req.channel_id, "channel_id")
    limit, offset = paging(req.page, req.per_page)
    with ctx.store.read() as db:
        get_channel(db, req.channel_id)
        rows = _channel_rows(db, req.channel_id, _LIVE, (), "DESC", limit, offset)
        return cp.GetPostsForChannelResponse(post_list=post_list(db, rows))


@emulates("GetPostsSince")
def get_posts_since(ctx: ApiContext, req: cp.GetPostsSinceRequest) -> cp.GetPostsSinceResponse:
    """Posts created, edited or deleted after ``time`` (deleted ones too, so clients can drop
    them), newest first."""
    require_id(req.channel_id, "channel_id")
    with ctx.store.read() as db:
        get_channel(db, req.channel_id)
        rows = _channel_rows(
            db, req.channel_id, "ephemeral=0 AND update_at>?", (req.time,), "DESC", SINCE_LIMIT, 0
        )
        return cp.GetPostsSinceResponse(post_list=post_list(db, rows))


def _around(
    ctx: ApiContext, channel_id: str, post_id: str, page: int, per_page: int, after: bool
) -> post_pb2.PostList:
    require_id(channel_id, "channel_id")
    require_id(post_id, "post_id")
    limit, offset = paging(page, per_page)
    with ctx.store.read() as db:
        get_channel(db, channel_id)
        pivot = get_post(db, post_id)
        where = f"{_LIVE} AND create_at {'>' if after else '<'} ?"
        rows = _channel_rows(
            db, channel_id, where, (pivot.create_at,), "ASC" if after else "DESC", limit, offset
        )
        if after:
            rows.reverse()
        return post_list(db, rows)


@emulates("GetPostsAfter")
def get_posts_after(ctx: ApiContext, req: cp.GetPostsAfterRequest) -> cp.GetPostsAfterResponse:
    found = _around(ctx, req.channel_id, req.post_id, req.page, req.per_page, after=True)
    return cp.GetPostsAfterResponse(post_list=found)


@emulates("GetPostsBefore")
def get_posts_before(ctx: ApiContext, req: cp.GetPostsBeforeRequest) -> cp.GetPostsBeforeResponse:
    found = _around(ctx, req.channel_id, req.post_id, req.page, req.per_page, after=False)
    return cp.GetPostsBeforeResponse(post_list=found)


def _parse_modifiers(terms: list[str]) -> tuple[list[str], list[str], list[str]]:
    """Split ``from:user`` and ``in:channel`` out of the terms, as the server's parser does."""
    words, users, channels = [], [], []
    for term in terms:
        low = term.lower()
        if low.startswith("from:") and len(term) > 5:
            users.append(term[5:].lstrip("@"))
        elif low.startswith(("in:", "channel:")):
            channels.append(term.split(":", 1)[1].lstrip("~"))
        else:
            words.append(term)
    return words, users, channels


def _search_sql(
    team_id: str, params: cp.SearchParams, words: list[str], member_id: str
) -> tuple[str, list[object]]:
    sql = (
        "SELECT p.*, c.name AS channel_name, u.username AS username FROM posts p "
        "JOIN channels c ON c.id=p.channel_id LEFT JOIN users u ON u.id=p.user_id "
        "WHERE p.ephemeral=0 AND p.delete_at=0 AND "
    )
    args: list[object] = []
    if member_id:
        sql += (
            "(c.team_id=? OR c.team_id='') AND EXISTS (SELECT 1 FROM channel_members m "
            "WHERE m.channel_id=c.id AND m.user_id=?)"
        )
        args += [team_id, member_id]
    else:
        sql += "c.team_id=?"
        args.append(team_id)
    if not params.include_deleted_channels:
        sql += " AND c.delete_at=0"
    prefilter, more = terms_prefilter(words, params.is_or_search)
    if prefilter:
        sql, args = f"{sql} AND {prefilter}", [*args, *more]
    return sql + " ORDER BY p.create_at DESC, p.id DESC", args


def search(
    db: sqlite3.Connection, team_id: str, params: cp.SearchParams, member_id: str = ""
) -> list[post_pb2.Post]:
    """Posts of the team's channels (or, with ``member_id``, of that user's channels),
    newest first, one page of them."""
    words, users, channels = _parse_modifiers(split_terms(params.terms))
    users += list(params.from_users)
    channels += list(params.in_channels)
    limit, offset = paging(params.page, params.per_page)
    found: list[post_pb2.Post] = []
    for row in db.execute(*_search_sql(team_id, params, words, member_id)):
        if channels and row["channel_name"] not in channels and row["channel_id"] not in channels:
            continue
        if row["channel_name"] in params.excluded_channels:
            continue
        if (users and row["username"] not in users) or row["username"] in params.excluded_users:
            continue
        post = post_from_row(row)
        if matches_terms(post.message, post.hashtags, words, params.is_or_search):
            found.append(post)
            if len(found) >= offset + limit:
                break
    return found[offset : offset + limit]


@emulates("SearchPostsInTeam")
def search_posts_in_team(
    ctx: ApiContext, req: cp.SearchPostsInTeamRequest
) -> cp.SearchPostsInTeamResponse:
    require_id(req.team_id, "team_id")
    seen: dict[str, post_pb2.Post] = {}
    with ctx.store.read() as db:
        for params in req.params_list:
            for post in search(db, req.team_id, params):
                seen.setdefault(post.id, post)
    ordered = sorted(seen.values(), key=lambda p: (p.create_at, p.id), reverse=True)
    return cp.SearchPostsInTeamResponse(posts=ordered)


@emulates("SearchPostsInTeamForUser")
def search_posts_in_team_for_user(
    ctx: ApiContext, req: cp.SearchPostsInTeamForUserRequest
) -> cp.SearchPostsInTeamForUserResponse:
    require_id(req.user_id, "user_id")
    sp = req.search_params
    params = cp.SearchParams(
        terms=sp.terms,
        is_or_search=sp.is_or_search,
        page=sp.page,
        per_page=sp.per_page,
        include_deleted_channels=sp.include_deleted_channels,
    )
    results = cp.PostSearchResults()
    with ctx.store.read() as db:
        for post in search(db, req.team_id, params, member_id=req.user_id):
            results.order.append(post.id)
            results.posts[post.id].CopyFrom(post)
    return cp.SearchPostsInTeamForUserResponse(results=results)
