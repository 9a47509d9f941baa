"""Server parity of reading posts: threads, channel pages, since/before/after, search."""

from __future__ import annotations

import pytest
from postsworld import configured, new_channel, post
from worldhost import Host

from mmplug.protocol import api_channel_post_pb2 as cp

PAGE = "server/channels/store/sqlstore/post_store.go: (*SqlPostStore).GetPosts"
AROUND = "server/channels/store/sqlstore/post_store.go: getPostsAround"
SEARCH = "server/channels/store/sqlstore/post_store.go: (*SqlPostStore).search"


def page(
    host: Host, channel: str, page: int = 0, per_page: int = 60
) -> cp.GetPostsForChannelResponse:
    return host.api.GetPostsForChannel(
        cp.GetPostsForChannelRequest(channel_id=channel, page=page, per_page=per_page)
    )


@pytest.mark.parity("GetPostsForChannel", f"{PAGE}; server/channels/app/post.go: GetPostsPage")
def test_posts_of_an_unknown_channel_are_an_empty_list(host: Host) -> None:
    """An unknown channel is no error: the page is empty."""
    rsp = page(host, host.user("bob"))
    assert not rsp.HasField("error") and list(rsp.post_list.order) == []


@pytest.mark.parity("GetPostsForChannel", PAGE)
def test_per_page_zero_is_an_empty_page(host: Host) -> None:
    """per_page 0 is taken as given (no default): the page is empty."""
    channel = new_channel(host)
    post(host, channel_id=channel)
    assert list(page(host, channel, per_page=0).post_list.order) == []


@pytest.mark.parity("GetPostsForChannel", f"{PAGE}; server/channels/app/post.go: GetPostsPage")
def test_per_page_over_1000_is_400(host: Host) -> None:
    """per_page over 1000 is a 400 ``app.post.get_posts.app_error``; 1000 is fine."""
    channel = host.info.channels["off-topic"]
    err = page(host, channel, per_page=1001).error
    assert (err.status_code, err.id) == (400, "app.post.get_posts.app_error")
    assert not page(host, channel, per_page=1000).HasField("error")


@pytest.mark.parity("GetPostsForChannel", f"{PAGE}; server/channels/app/post.go: GetPostsPage")
def test_negative_page_is_500(host: Host) -> None:
    """A negative page or per_page reaches the database and fails: 500
    ``app.post.get_root_posts.app_error``."""
    for p, n in ((-1, 10), (0, -1)):
        err = page(host, host.info.channels["off-topic"], p, n).error
        assert (err.status_code, err.id) == (500, "app.post.get_root_posts.app_error")


@pytest.mark.parity(
    "GetPostsForChannel", "server/channels/store/sqlstore/post_store.go: getParentsPosts"
)
def test_channel_page_brings_the_threads_of_its_replies(host: Host) -> None:
    """A reply on the page brings its whole thread (root and other replies) into ``posts``,
    not into ``order``; a root on the page does not bring its replies."""
    channel = new_channel(host)
    root = post(host, "root", channel_id=channel).post
    replies = [post(host, f"r{i}", channel_id=channel, root_id=root.id).post for i in range(2)]
    newest = page(host, channel, per_page=1).post_list
    assert list(newest.order) == [replies[1].id]
    assert set(newest.posts) == {root.id, replies[0].id, replies[1].id}
    lone = post(host, "lone root", channel_id=channel).post
    post(host, "later", channel_id=channel)
    second = page(host, channel, page=1, per_page=1).post_list
    assert list(second.order) == [lone.id] and set(second.posts) == {lone.id}


@pytest.mark.parity(
    "GetPostThread", "server/channels/store/sqlstore/post_store.go: (*SqlPostStore).Get"
)
def test_thread_lists_the_requested_post_first(host: Host) -> None:
    """The thread's ``order`` starts with the requested post, then the rest of the thread."""
    channel = new_channel(host)
    root = post(host, "root", channel_id=channel).post
    reply = post(host, "reply", channel_id=channel, root_id=root.id).post
    thread = host.api.GetPostThread(cp.GetPostThreadRequest(post_id=reply.id)).post_list
    assert thread.order[0] == reply.id and set(thread.order) == {root.id, reply.id}


@pytest.mark.parity("GetPostThread", "server/channels/app/post.go: (*App).GetPostThread")
def test_thread_of_a_missing_post_is_404(host: Host) -> None:
    """An unknown or deleted post is a 404 ``app.post.get.app_error``."""
    gone = post(host).post
    host.api.DeletePost(cp.DeletePostRequest(post_id=gone.id))
    for post_id in (gone.id, host.user("bob")):
        err = host.api.GetPostThread(cp.GetPostThreadRequest(post_id=post_id)).error
        assert (err.status_code, err.id) == (404, "app.post.get.app_error")


@pytest.mark.parity("GetPostsSince", "server/channels/store/sqlstore/post_store.go: GetPostsSince")
def test_since_includes_deleted_posts_and_ignores_unknown_channels(host: Host) -> None:
    """Posts changed after ``time`` include deleted ones; an unknown channel is an empty
    list, not an error."""
    channel = new_channel(host)
    made = post(host, channel_id=channel).post
    host.api.DeletePost(cp.DeletePostRequest(post_id=made.id))
    since = host.api.GetPostsSince(cp.GetPostsSinceRequest(channel_id=channel, time=0))
    assert since.post_list.posts[made.id].delete_at > 0
    unknown = host.api.GetPostsSince(cp.GetPostsSinceRequest(channel_id=host.user("bob")))
    assert not unknown.HasField("error") and list(unknown.post_list.order) == []


@pytest.mark.parity(("GetPostsBefore", "GetPostsAfter"), AROUND)
def test_paging_around_an_unknown_post_is_empty(host: Host) -> None:
    """Before/after a post that does not exist is an empty list, not a 404."""
    channel = host.info.channels["off-topic"]
    after = host.api.GetPostsAfter(
        cp.GetPostsAfterRequest(channel_id=channel, post_id=host.user("bob"), per_page=10)
    )
    before = host.api.GetPostsBefore(
        cp.GetPostsBeforeRequest(channel_id=channel, post_id=host.user("bob"), per_page=10)
    )
    for rsp in (after, before):
        assert not rsp.HasField("error") and list(rsp.post_list.order) == []


@pytest.mark.parity(("GetPostsBefore", "GetPostsAfter"), AROUND)
def test_negative_paging_around_a_post_is_400(host: Host) -> None:
    """A negative page or per_page is a 400 ``app.post.get_posts_around.get.app_error``."""
    pivot = post(host).post
    err = host.api.GetPostsBefore(
        cp.GetPostsBeforeRequest(channel_id=pivot.channel_id, post_id=pivot.id, page=-1)
    ).error
    assert (err.status_code, err.id) == (400, "app.post.get_posts_around.get.app_error")
    err = host.api.GetPostsAfter(
        cp.GetPostsAfterRequest(channel_id=pivot.channel_id, post_id=pivot.id, per_page=-1)
    ).error
    assert (err.status_code, err.id) == (400, "app.post.get_posts_around.get.app_error")


@pytest.mark.parity("GetPostsAfter", AROUND)
def test_paging_after_a_post_is_newest_first_with_threads(host: Host) -> None:
    """The posts after a post come newest first, with the replies of listed roots in
    ``posts``; per_page 0 is an empty page."""
    channel = new_channel(host)
    first = post(host, "first", channel_id=channel).post
    root = post(host, "root", channel_id=channel).post
    late = post(host, "late", channel_id=channel).post
    reply = post(host, "reply", channel_id=channel, root_id=root.id).post
    got = host.api.GetPostsAfter(
        cp.GetPostsAfterRequest(channel_id=channel, post_id=first.id, per_page=2)
    ).post_list
    assert list(got.order) == [late.id, root.id] and reply.id in got.posts
    none = host.api.GetPostsAfter(cp.GetPostsAfterRequest(channel_id=channel, post_id=first.id))
    assert list(none.post_list.order) == []


@pytest.mark.parity(
    ("GetPostsForChannel", "GetPostsSince", "GetPostsBefore", "GetPostsAfter"),
    "server/channels/store/sqlstore/post_store.go: getRootPosts, GetPostsSince, getPostsAround",
)
def test_only_paging_around_a_post_counts_replies(host: Host) -> None:
    """GetPostsForChannel and GetPostsSince leave reply_count at 0 (the server's store does
    not count replies for them); GetPostsBefore/After give each post its thread's count."""
    channel = new_channel(host)
    root = post(host, "root", channel_id=channel).post
    post(host, "reply", channel_id=channel, root_id=root.id)
    last = post(host, "last", channel_id=channel).post
    since = host.api.GetPostsSince(cp.GetPostsSinceRequest(channel_id=channel, time=0))
    for listed in (page(host, channel).post_list, since.post_list):
        assert {p.reply_count for p in listed.posts.values()} == {0}
    before = host.api.GetPostsBefore(
        cp.GetPostsBeforeRequest(channel_id=channel, post_id=last.id, per_page=10)
    ).post_list
    assert {p.reply_count for p in before.posts.values()} == {1}


def search(host: Host, **params: object) -> list[str]:
    rsp = host.api.SearchPostsInTeam(
        cp.SearchPostsInTeamRequest(
            team_id=host.info.teams["acme"],
            params_list=[cp.SearchParams(**params)],  # type: ignore[arg-type]
        )
    )
    return [p.id for p in rsp.posts]


@pytest.mark.parity("SearchPostsInTeam", SEARCH)
def test_search_skips_system_messages_and_finds_direct_messages(host: Host) -> None:
    """Search finds posts of direct/group channels too, but never ``system_`` posts."""
    dm = post(host, "quokka direct", channel_id=host.info.channels["alice__bob"]).post
    post(host, "quokka system", type="system_generic")
    assert search(host, terms="quokka") == [dm.id]


@pytest.mark.parity("SearchPostsInTeam", "server/channels/app/post.go: (*App).searchPostsInTeam")
def test_search_for_star_or_nothing_finds_nothing(host: Host) -> None:
    """Terms ``*`` are skipped and a search with no terms, users or channels finds nothing."""
    post(host, "anything at all")
    assert search(host, terms="*") == [] and search(host) == []


@pytest.mark.parity("SearchPostsInTeam", f"{SEARCH}; buildSearchPostFilterClause")
def test_search_from_users_are_usernames_of_team_members(host: Host) -> None:
    """``from_users`` are usernames of members of the team; ``from:`` in the terms is not a
    filter here (only the user search parses it)."""
    by_bob = post(host, "wombat news", user="bob").post
    post(host, "wombat other")
    assert search(host, terms="wombat", from_users=["bob"]) == [by_bob.id]
    assert search(host, terms="wombat from:bob") == []


@pytest.mark.parity("SearchPostsInTeam", "server/channels/app/post.go: (*App).SearchPostsInTeam")
def test_search_disabled_is_501(host: Host) -> None:
    """With ServiceSettings.EnablePostSearch off, search is a 501
    ``store.sql_post.search.disabled``."""
    with configured(host, "ServiceSettings", "EnablePostSearch", False):
        rsp = host.api.SearchPostsInTeam(
            cp.SearchPostsInTeamRequest(
                team_id=host.info.teams["acme"], params_list=[cp.SearchParams(terms="x")]
            )
        )
    assert (rsp.error.status_code, rsp.error.id) == (501, "store.sql_post.search.disabled")


@pytest.mark.parity(
    "SearchPostsInTeamForUser",
    "server/channels/store/sqlstore/post_store.go: (*SqlPostStore).SearchPostsForUser",
)
def test_user_search_has_no_later_pages(host: Host) -> None:
    """The database search has no paging: page 0 holds the results whatever per_page says,
    and page 1 is empty."""
    for i in range(3):
        post(host, f"numbat {i}")

    def found(page: int, per_page: int) -> int:
        rsp = host.api.SearchPostsInTeamForUser(
            cp.SearchPostsInTeamForUserRequest(
                team_id=host.info.teams["acme"],
                user_id=host.user("alice"),
                search_params=cp.SearchParameter(terms="numbat", page=page, per_page=per_page),
            )
        )
        return len(rsp.results.order)

    assert (found(0, 1), found(1, 1)) == (3, 0)


@pytest.mark.parity("SearchPostsInTeamForUser", f"{SEARCH}; SearchPostsForUser")
def test_user_search_sees_only_the_users_channels(host: Host) -> None:
    """The user search finds posts only in channels the user belongs to."""
    post(host, "capybara plans", user="admin", channel_id=host.info.channels["secret-plans"])

    def found(user: str) -> int:
        rsp = host.api.SearchPostsInTeamForUser(
            cp.SearchPostsInTeamForUserRequest(
                team_id=host.info.teams["acme"],
                user_id=host.user(user),
                search_params=cp.SearchParameter(terms="capybara"),
            )
        )
        return len(rsp.results.order)

    assert (found("alice"), found("bob")) == (1, 0)
