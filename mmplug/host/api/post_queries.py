"""Reading posts: threads, channel pages, since/after/before a point, and search, as the
server's GetPostThread, GetPostsPage, GetPostsSince, GetPostsBefore/AfterPost and its
database search answer a plugin.

None of the channel queries checks that the channel (or the post to page around) exists:
an unknown one gives an empty list, not an error. Paging values go to the store as given:
``per_page`` 0 is an empty page, not a default.
"""

from __future__ import annotations

import sqlite3

from mmplug.host.api._entities import find_post, post_from_row
from mmplug.host.api._posts import (
    count_replies,
    for_plugin,
    matches_terms,
    post_list,
    setting,
    split_terms,
    terms_prefilter,
)
from mmplug.host.api._registry import ApiContext, ApiFailure, differs, emulates
from mmplug.protocol import api_channel_post_pb2 as cp
from mmplug.protocol import post_pb2

_LIVE = "ephemeral=0 AND delete_at=0"
SINCE_LIMIT = 1000
PAGE_MAX = 1000  # GetPostsForChannel: a larger per_page is refused
SEARCH_LIMIT = 100  # each search returns at most this many posts, newest first

differs(
    "GetPostThread",
    "The server returns the requested post first and the rest of the thread in no promised "
    "order; mmplug lists the rest oldest first.",
)
for _search in ("SearchPostsInTeam", "SearchPostsInTeamForUser"):
    differs(
        _search,
        "The server matches terms with the database's full-text search (stemming, stop "
        "words, punctuation rules, date filters); mmplug matches whole words, word* "
        'prefixes, "quoted phrases" and #hashtags, case-insensitively.',
    )


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
    """The requested post first, then the rest of its live thread (root and replies), each
    with the thread's reply count."""
    with ctx.store.read() as db:
        post = find_post(db, req.post_id) if req.post_id else None
        if post is None:
            raise ApiFailure(
                400 if not req.post_id else 404,
                "app.post.get.app_error",
                f"Unable to get the post {req.post_id!r}: it does not exist or was deleted.",
                detailed_error=f"post_id={req.post_id}",
                where="GetPostThread",
            )
        root_id = post.root_id or post.id
        rows = db.execute(
            f"SELECT * FROM posts WHERE (id=? OR root_id=?) AND id<>? AND {_LIVE} "
            "ORDER BY create_at, id",
            (root_id, root_id, post.id),
        ).fetchall()
        result = post_pb2.PostList(order=[post.id])
        result.posts[post.id].CopyFrom(for_plugin(count_replies(db, post)))
        for row in rows:
            result.order.append(row["id"])
            result.posts[row["id"]].CopyFrom(for_plugin(count_replies(db, post_from_row(row))))
    return cp.GetPostThreadResponse(post_list=result)


@emulates("GetPostsForChannel")
def get_posts_for_channel(
    ctx: ApiContext, req: cp.GetPostsForChannelRequest
) -> cp.GetPostsForChannelResponse:
    """A page of the channel's live posts (replies included), newest first; ``posts`` also
    holds the whole threads of the replies on the page."""
    if req.per_page > PAGE_MAX:
        raise ApiFailure(
            400,
            "app.post.get_posts.app_error",
            f"per_page {req.per_page} is over the limit of {PAGE_MAX}.",
            detailed_error=f"per_page={req.per_page}",
            where="GetPostsPage",
        )
    if req.page < 0 or req.per_page < 0:  # the database refuses a negative LIMIT/OFFSET
        raise ApiFailure(
            500,
            "app.post.get_root_posts.app_error",
            "Unable to get the posts: page and per_page must not be negative.",
            detailed_error=f"page={req.page} per_page={req.per_page}",
            where="GetPostsPage",
        )
    with ctx.store.read() as db:
        rows = _channel_rows(
            db, req.channel_id, _LIVE, (), "DESC", req.per_page, req.page * req.per_page
        )
        return cp.GetPostsForChannelResponse(post_list=post_list(db, rows, threads_of="replies"))


@emulates("GetPostsSince")
def get_posts_since(ctx: ApiContext, req: cp.GetPostsSinceRequest) -> cp.GetPostsSinceResponse:
    """Posts created, edited or deleted after ``time`` (deleted ones and old versions of
    edited ones too, so clients can catch up), newest first, at most 1000."""
    with ctx.store.read() as db:
        rows = db.execute(
            "SELECT * FROM (SELECT * FROM posts WHERE channel_id=? AND ephemeral=0 "
            "AND update_at>? ORDER BY update_at, id LIMIT ?) ORDER BY create_at DESC, id DESC",
            (req.channel_id, req.time, SINCE_LIMIT),
        ).fetchall()
        return cp.GetPostsSinceResponse(post_list=post_list(db, rows))


def _around(
    ctx: ApiContext, channel_id: str, post_id: str, page: int, per_page: int, after: bool
) -> post_pb2.PostList:
    if page < 0 or per_page < 0:
        raise ApiFailure(
            400,
            "app.post.get_posts_around.get.app_error",
            "Unable to get the posts: page and per_page must not be negative.",
            detailed_error=f"page={page} per_page={per_page}",
            where="GetPostsAfterPost" if after else "GetPostsBeforePost",
        )
    with ctx.store.read() as db:
        pivot = db.execute(
            "SELECT create_at FROM posts WHERE id=? AND ephemeral=0", (post_id,)
        ).fetchone()
        if pivot is None:  # the server compares with a missing post's time: nothing matches
            return post_pb2.PostList()
        where = f"{_LIVE} AND create_at {'>' if after else '<'} ?"
        rows = _channel_rows(
            db,
            channel_id,
            where,
            (pivot["create_at"],),
            "ASC" if after else "DESC",
            per_page,
            page * per_page,
        )
        if after:
            rows.reverse()
        return post_list(db, rows, threads_of="all")


@emulates("GetPostsAfter")
def get_posts_after(ctx: ApiContext, req: cp.GetPostsAfterRequest) -> cp.GetPostsAfterResponse:
    found = _around(ctx, req.channel_id, req.post_id, req.page, req.per_page, after=True)
    return cp.GetPostsAfterResponse(post_list=found)


@emulates("GetPostsBefore")
def get_posts_before(ctx: ApiContext, req: cp.GetPostsBeforeRequest) -> cp.GetPostsBeforeResponse:
    found = _around(ctx, req.channel_id, req.post_id, req.page, req.per_page, after=False)
    return cp.GetPostsBeforeResponse(post_list=found)


def _parse_modifiers(terms: list[str]) -> tuple[list[str], list[str], list[str]]:
    """Split ``from:user`` and ``in:channel`` out of the terms, as the server's parser does
    for SearchPostsInTeamForUser (SearchPostsInTeam takes them as separate fields)."""
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
    team_id: str, words: list[str], any_term: bool, member_id: str, include_deleted: bool
) -> tuple[str, list[object]]:
    sql = (
        "SELECT p.*, c.name AS channel_name, u.username AS username FROM posts p "
        "JOIN channels c ON c.id=p.channel_id LEFT JOIN users u ON u.id=p.user_id "
        "WHERE p.ephemeral=0 AND p.delete_at=0 "
        "AND coalesce(json_extract(p.data, '$.type'), '') NOT LIKE 'system\\_%' ESCAPE '\\' "
        "AND (c.team_id=? OR c.team_id='')"
    )
    args: list[object] = [team_id]
    if member_id:
        sql += (
            " AND EXISTS (SELECT 1 FROM channel_members m WHERE m.channel_id=c.id AND m.user_id=?)"
        )
        args.append(member_id)
    if not include_deleted:
        sql += " AND c.delete_at=0"
    prefilter, more = terms_prefilter(words, any_term)
    if prefilter:
        sql, args = f"{sql} AND {prefilter}", [*args, *more]
    return sql + " ORDER BY p.create_at DESC, p.id DESC", args


def _team_usernames(db: sqlite3.Connection, team_id: str, names: list[str]) -> set[str]:
    """The usernames (or ids) among ``names`` of users who belong to the team."""
    found: set[str] = set()
    for name in names:
        row = db.execute(
            "SELECT u.username FROM users u JOIN team_members t ON t.user_id=u.id "
            "WHERE t.team_id=? AND (u.username=? OR u.id=?)",
            (team_id, name.lstrip("@"), name),
        ).fetchone()
        if row is not None:
            found.add(row["username"])
    return found


def search(
    db: sqlite3.Connection,
    team_id: str,
    params: cp.SearchParams,
    *,
    member_id: str = "",
    parse_modifiers: bool = False,
) -> list[post_pb2.Post]:
    """One database search: at most 100 posts (not system messages) of the team's channels
    and of direct/group channels, or, with ``member_id``, of those that user belongs to,
    newest first. Nothing to search for (no terms, users or channels) finds nothing."""
    words = split_terms(params.terms)
    users, channels = list(params.from_users), list(params.in_channels)
    if parse_modifiers:
        words, more_users, more_channels = _parse_modifiers(words)
        users, channels = users + more_users, channels + more_channels
    if not (words or users or channels or params.excluded_channels or params.excluded_users):
        return []
    members = _team_usernames(db, team_id, users) if users else set()
    if users and not members:
        return []
    found: list[post_pb2.Post] = []
    sql = _search_sql(
        team_id, words, params.is_or_search, member_id, params.include_deleted_channels
    )
    for row in db.execute(*sql):
        if channels and row["channel_name"] not in channels and row["channel_id"] not in channels:
            continue
        if row["channel_name"] in params.excluded_channels:
            continue
        if (users and row["username"] not in members) or row["username"] in params.excluded_users:
            continue
        post = post_from_row(row)
        if matches_terms(post.message, post.hashtags, words, params.is_or_search):
            found.append(for_plugin(count_replies(db, post)))
            if len(found) >= SEARCH_LIMIT:
                break
    return found


def _check_search_enabled(ctx: ApiContext, where: str) -> None:
    if not setting(ctx, "ServiceSettings", "EnablePostSearch", True):
        raise ApiFailure(
            501,
            "store.sql_post.search.disabled",
            "Searching posts has been disabled on this server (ServiceSettings.EnablePostSearch).",
            where=where,
        )


@emulates("SearchPostsInTeam")
def search_posts_in_team(
    ctx: ApiContext, req: cp.SearchPostsInTeamRequest
) -> cp.SearchPostsInTeamResponse:
    """Each params' search (terms "*" are skipped) merged, newest first. ``page`` and
    ``per_page`` of the params are not used: the server does not send them."""
    _check_search_enabled(ctx, "SearchPostsInTeam")
    seen: dict[str, post_pb2.Post] = {}
    with ctx.store.read() as db:
        for params in req.params_list:
            if params.terms == "*":
                continue
            for post in search(db, req.team_id, params):
                seen.setdefault(post.id, post)
    ordered = sorted(seen.values(), key=lambda p: (p.create_at, p.id), reverse=True)
    return cp.SearchPostsInTeamResponse(posts=ordered)


@emulates("SearchPostsInTeamForUser")
def search_posts_in_team_for_user(
    ctx: ApiContext, req: cp.SearchPostsInTeamForUserRequest
) -> cp.SearchPostsInTeamForUserResponse:
    """The web app's search as ``user_id``: ``from:`` and ``in:`` in the terms, only channels
    the user belongs to. The database search has no pages: page 0 holds every result (at
    most 100), a later page is empty, and ``per_page`` changes nothing."""
    _check_search_enabled(ctx, "SearchPostsForUser")
    sp = req.search_params
    results = cp.PostSearchResults()
    terms = sp.terms.strip()
    if sp.page > 0 or not terms or terms == "*":
        return cp.SearchPostsInTeamForUserResponse(results=results)
    params = cp.SearchParams(
        terms=terms,
        is_or_search=sp.is_or_search,
        include_deleted_channels=sp.include_deleted_channels,
    )
    with ctx.store.read() as db:
        found = search(db, req.team_id, params, member_id=req.user_id, parse_modifiers=True)
    for post in found:
        results.order.append(post.id)
        results.posts[post.id].CopyFrom(post)
    return cp.SearchPostsInTeamForUserResponse(results=results)
