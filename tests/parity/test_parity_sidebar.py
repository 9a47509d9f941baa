"""Server parity of sidebar categories: GetChannelSidebarCategories,
CreateChannelSidebarCategory, UpdateChannelSidebarCategories."""

from __future__ import annotations

import json

import pytest
from parity_channel_world import channel, error, join, make_user, team
from worldhost import Host

from mmplug.protocol import api_channel_post_pb2 as cp
from mmplug.protocol import api_remaining_pb2 as rem

APP = "server/channels/app/channel_category.go"
STORE = "server/channels/store/sqlstore/channel_store_categories.go"
GET = (
    f"{APP}: (*App).GetSidebarCategoriesForTeamForUser; "
    f"{STORE}: (SqlChannelStore).getSidebarCategoriesT"
)
CREATE = f"{APP}: (*App).CreateSidebarCategory; {STORE}: (SqlChannelStore).CreateSidebarCategory"
UPDATE = (
    f"{APP}: (*App).UpdateSidebarCategories; {STORE}: (SqlChannelStore).UpdateSidebarCategories"
)
Category = cp.SidebarCategoryWithChannels


def categories(host: Host, user_id: str) -> cp.OrderedSidebarCategories:
    rsp = host.api.GetChannelSidebarCategories(
        cp.GetChannelSidebarCategoriesRequest(user_id=user_id, team_id=team(host))
    )
    assert not rsp.HasField("error"), rsp.error
    return rsp.categories


def by_type(host: Host, user_id: str) -> dict[str, Category]:
    return {c.type: c for c in categories(host, user_id).categories if c.type != "custom"}


def create(host: Host, user_id: str, **fields: object) -> cp.CreateChannelSidebarCategoryResponse:
    return host.api.CreateChannelSidebarCategory(
        cp.CreateChannelSidebarCategoryRequest(
            user_id=user_id, team_id=team(host), new_category=Category(**fields)
        )
    )


def update(host: Host, user_id: str, *cats: Category) -> cp.UpdateChannelSidebarCategoriesResponse:
    return host.api.UpdateChannelSidebarCategories(
        cp.UpdateChannelSidebarCategoriesRequest(
            user_id=user_id, team_id=team(host), categories=list(cats)
        )
    )


# -- GetChannelSidebarCategories -------------------------------------------------------------
@pytest.mark.parity(
    "GetChannelSidebarCategories",
    f"{GET}; {STORE}: (SqlChannelStore).CreateInitialSidebarCategories",
)
def test_defaults_are_favorites_channels_direct_messages(host: Host) -> None:
    """A team member starts with Favorites, Channels and Direct Messages, ids
    `<type>_<user>_<team>`."""
    user = make_user(host)
    cats = categories(host, user)
    assert [(c.type, c.display_name) for c in cats.categories] == [
        ("favorites", "Favorites"),
        ("channels", "Channels"),
        ("direct_messages", "Direct Messages"),
    ]
    assert list(cats.order) == [
        f"{t}_{user}_{team(host)}" for t in ("favorites", "channels", "direct_messages")
    ]


@pytest.mark.parity(
    "GetChannelSidebarCategories", f"{STORE}: (SqlChannelStore).createInitialSidebarCategoriesT"
)
def test_direct_messages_start_sorted_by_recency(host: Host) -> None:
    """The Direct Messages category starts sorted by recency (`sorting` 2, the server's
    `recent`); Favorites and Channels start with the default sorting (0)."""
    cats = by_type(host, make_user(host))
    assert {t: c.sorting for t, c in cats.items()} == {
        "favorites": 0, "channels": 0, "direct_messages": 2}


@pytest.mark.parity("GetChannelSidebarCategories", GET)
def test_a_user_outside_the_team_has_no_categories(host: Host) -> None:
    """Off the team (or for an unknown user) the answer is empty, not an error."""
    for user in (make_user(host, in_team=False), make_user(host, left_team=True), "nobody"):
        cats = categories(host, user)
        assert (list(cats.categories), list(cats.order)) == ([], [])


@pytest.mark.parity(
    "GetChannelSidebarCategories", f"{STORE}: (SqlChannelStore).completePopulatingCategoryChannelsT"
)
def test_unplaced_channels_fill_channels_and_direct_messages_by_display_name(host: Host) -> None:
    """Channels no category holds are listed in Channels (this team's) and Direct Messages,
    ordered by display name; archived channels are left out."""
    user = make_user(host)
    late, early, gone = (channel(host, display_name=n) for n in ("Zulu", "Alpha", "Gone"))
    for ch in (late, early, gone):
        join(host, ch.id, user)
    host.api.DeleteChannel(cp.DeleteChannelRequest(channel_id=gone.id))
    direct = host.api.GetDirectChannel(
        cp.GetDirectChannelRequest(user_id_1=user, user_id_2=host.user("bob"))
    ).channel
    cats = by_type(host, user)
    assert list(cats["channels"].channel_ids) == [early.id, late.id]
    assert list(cats["direct_messages"].channel_ids) == [direct.id]
    assert list(cats["favorites"].channel_ids) == []


# -- CreateChannelSidebarCategory ------------------------------------------------------------
@pytest.mark.parity("CreateChannelSidebarCategory", CREATE)
def test_create_places_the_category_after_favorites(host: Host) -> None:
    """A new category comes right after Favorites and takes its channels out of the others."""
    user = make_user(host)
    room = channel(host)
    join(host, room.id, user)
    made = create(host, user, display_name="Work", channel_ids=[room.id]).category
    cats = categories(host, user)
    assert [c.type for c in cats.categories] == [
        "favorites",
        "custom",
        "channels",
        "direct_messages",
    ]
    assert cats.order[1] == made.id and list(made.channel_ids) == [room.id]
    assert room.id not in by_type(host, user)["channels"].channel_ids


@pytest.mark.parity("CreateChannelSidebarCategory", CREATE)
def test_create_takes_no_display_name_check_and_resets_sorting(host: Host) -> None:
    """The category is custom with the given name (even empty) and muted flag; sorting and
    collapsed start at their defaults."""
    made = create(host, make_user(host), display_name="", muted=True, sorting=3, collapsed=True)
    assert not made.HasField("error")
    got = made.category
    assert (got.type, got.display_name, got.muted, got.sorting, got.collapsed) == (
        "custom",
        "",
        True,
        0,
        False,
    )


@pytest.mark.parity("CreateChannelSidebarCategory", CREATE)
def test_create_for_a_user_outside_the_team_is_404(host: Host) -> None:
    """Without categories (the user is not on the team) creating one is a 404
    `app.channel.sidebar_categories.app_error`."""
    rsp = create(host, make_user(host, in_team=False), display_name="Nope")
    assert error(rsp) == (404, "app.channel.sidebar_categories.app_error")


# -- UpdateChannelSidebarCategories ----------------------------------------------------------
@pytest.mark.parity("UpdateChannelSidebarCategories", UPDATE)
def test_update_of_an_unknown_category_is_a_500(host: Host) -> None:
    """An unknown category id is a 500 `app.channel.sidebar_categories.app_error`."""
    rsp = update(host, host.user("alice"), Category(id="no-such-category"))
    assert error(rsp) == (500, "app.channel.sidebar_categories.app_error")


@pytest.mark.parity("UpdateChannelSidebarCategories", UPDATE)
def test_update_keeps_default_names_and_type(host: Host) -> None:
    """Only custom categories can be renamed; the type cannot change."""
    user = make_user(host)
    fav = by_type(host, user)["favorites"]
    fav.display_name, fav.type, fav.collapsed = "Best", "custom", True
    done = update(host, user, fav).categories[0]
    assert (done.display_name, done.type, done.collapsed) == ("Favorites", "favorites", True)


@pytest.mark.parity("UpdateChannelSidebarCategories", UPDATE)
def test_update_moves_channels_between_categories(host: Host) -> None:
    """Putting a channel in Favorites takes it out of Channels."""
    user = make_user(host)
    room = channel(host)
    join(host, room.id, user)
    fav = by_type(host, user)["favorites"]
    fav.channel_ids.append(room.id)
    assert list(update(host, user, fav).categories[0].channel_ids) == [room.id]
    cats = by_type(host, user)
    assert list(cats["favorites"].channel_ids) == [room.id]
    assert room.id not in cats["channels"].channel_ids


@pytest.mark.parity("UpdateChannelSidebarCategories", UPDATE)
def test_update_leaves_the_direct_messages_category_alone(host: Host) -> None:
    """Direct Messages keeps its channels and its muted flag; sorting and collapsed change."""
    user = make_user(host)
    direct = host.api.GetDirectChannel(
        cp.GetDirectChannelRequest(user_id_1=user, user_id_2=host.user("bob"))
    ).channel
    dms = by_type(host, user)["direct_messages"]
    del dms.channel_ids[:]
    dms.muted, dms.collapsed = True, True
    update(host, user, dms)
    again = by_type(host, user)["direct_messages"]
    assert (list(again.channel_ids), again.muted, again.collapsed) == ([direct.id], False, True)


@pytest.mark.parity(
    "UpdateChannelSidebarCategories", f"{APP}: (*App).muteChannelsForUpdatedCategories"
)
def test_muting_a_category_mutes_its_channels(host: Host) -> None:
    """Muting a category sets its channels' `mark_unread` to `mention` for the user; unmuting
    sets it back to `all`."""
    user = make_user(host)
    room = channel(host)
    join(host, room.id, user)
    work = create(host, user, display_name="Muted", channel_ids=[room.id]).category
    work.muted = True
    update(host, user, work)

    def mark_unread() -> str:
        got = host.api.GetChannelMember(
            cp.GetChannelMemberRequest(channel_id=room.id, user_id=user)
        )
        return got.channel_member.notify_props["mark_unread"]

    assert mark_unread() == "mention"
    work.muted = False
    update(host, user, work)
    assert mark_unread() == "all"


def _favorites(host: Host, user_id: str) -> dict[str, str]:
    prefs = host.api.GetPreferencesForUser(rem.GetPreferencesForUserRequest(user_id=user_id))
    return {p.name: p.value for p in prefs.preferences if p.category == "favorite_channel"}


@pytest.mark.parity("UpdateChannelSidebarCategories", UPDATE)
def test_favorites_category_and_favorite_channel_preferences_agree(host: Host) -> None:
    """A channel put in Favorites gets the user's `favorite_channel` preference ("true"), and
    loses it when it moves to another category."""
    user = make_user(host)
    room = channel(host)
    join(host, room.id, user)
    fav = by_type(host, user)["favorites"]
    fav.channel_ids.append(room.id)
    update(host, user, fav)
    assert _favorites(host, user) == {room.id: "true"}
    work = create(host, user, display_name="Work").category
    work.channel_ids.append(room.id)
    update(host, user, work)
    assert _favorites(host, user) == {}


@pytest.mark.parity("CreateChannelSidebarCategory", f"{APP}: (*App).CreateSidebarCategory")
def test_create_tells_the_user_of_the_new_category(quiet_host: Host) -> None:
    """A new category sends `sidebar_category_created` with its `category_id` to the user,
    on that team."""
    user = make_user(quiet_host)
    made = create(quiet_host, user, display_name="Work").category
    (event,) = quiet_host.events("sidebar_category_created")
    assert event["data"] == {"category_id": made.id}
    assert event["broadcast"] == {"team_id": team(quiet_host), "user_id": user}


@pytest.mark.parity("UpdateChannelSidebarCategories", f"{APP}: (*App).UpdateSidebarCategories")
def test_update_event_carries_the_updated_categories(quiet_host: Host) -> None:
    """`sidebar_category_updated` carries the JSON text of the updated categories themselves
    (with their channels), not only their ids."""
    user = make_user(quiet_host)
    room = channel(quiet_host)
    join(quiet_host, room.id, user)
    fav = by_type(quiet_host, user)["favorites"]
    fav.channel_ids.append(room.id)
    update(quiet_host, user, fav)
    (event,) = quiet_host.events("sidebar_category_updated")
    (sent,) = json.loads(event["data"]["updatedCategories"])
    assert (sent["id"], sent["channel_ids"]) == (fav.id, [room.id])


@pytest.mark.parity("UpdateChannelSidebarCategories", UPDATE)
def test_update_event_writes_the_categories_as_the_servers_json(quiet_host: Host) -> None:
    """Each category in `updatedCategories` has every field of the server's model: its
    `sort_order` as a number (ten apart in the user's order), `sorting` by name (`"recent"`),
    `channel_ids` a list (`[]` when empty; `null` for an empty Direct Messages category)."""
    user = make_user(quiet_host)
    cats = by_type(quiet_host, user)
    fav, dms = cats["favorites"], cats["direct_messages"]
    dms.sorting = 2
    update(quiet_host, user, fav, dms)
    (event,) = quiet_host.events("sidebar_category_updated")
    sent = json.loads(event["data"]["updatedCategories"])
    assert sent == [
        {"id": fav.id, "user_id": user, "team_id": team(quiet_host), "sort_order": 0,
         "sorting": "", "type": "favorites", "display_name": "Favorites", "muted": False,
         "collapsed": False, "channel_ids": []},
        {"id": dms.id, "user_id": user, "team_id": team(quiet_host), "sort_order": 20,
         "sorting": "recent", "type": "direct_messages", "display_name": "Direct Messages",
         "muted": False, "collapsed": False, "channel_ids": None},
    ]


@pytest.mark.parity(
    "UpdateChannelSidebarCategories",
    f"{UPDATE}; {STORE}: (SqlChannelStore).completePopulatingCategoryChannelsT",
)
def test_updated_channels_category_answers_its_unplaced_channels_too(host: Host) -> None:
    """The updated Channels category is answered as GetChannelSidebarCategories lists it: the
    user's channels no category holds come first, then the ones it was sent with."""
    user = make_user(host)
    loose, kept = channel(host, display_name="Loose"), channel(host, display_name="Kept")
    for ch in (loose, kept):
        join(host, ch.id, user)
    chans = by_type(host, user)["channels"]
    del chans.channel_ids[:]
    chans.channel_ids.append(kept.id)
    (answered,) = update(host, user, chans).categories
    assert loose.id in answered.channel_ids and answered.channel_ids[-1] == kept.id
    assert list(answered.channel_ids) == list(by_type(host, user)["channels"].channel_ids)


@pytest.mark.parity(
    "UpdateChannelSidebarCategories", f"{APP}: (*App).muteChannelsForUpdatedCategories"
)
def test_muting_the_channels_category_mutes_its_unplaced_channels(host: Host) -> None:
    """Muting the Channels category mutes every channel it lists, also those it holds only
    because no category does."""
    user = make_user(host)
    room = channel(host)
    join(host, room.id, user)
    chans = by_type(host, user)["channels"]
    del chans.channel_ids[:]
    chans.muted = True
    update(host, user, chans)
    got = host.api.GetChannelMember(cp.GetChannelMemberRequest(channel_id=room.id, user_id=user))
    assert got.channel_member.notify_props["mark_unread"] == "mention"


@pytest.mark.parity(
    "UpdateChannelSidebarCategories", f"{APP}: (*App).muteChannelsForUpdatedCategories"
)
def test_a_channel_moved_from_a_category_not_sent_keeps_its_muting(host: Host) -> None:
    """A channel follows its new category's muting only when the category it left is in the
    same update: taken from a muted category that is not sent, it stays muted."""
    user = make_user(host)
    room = channel(host)
    join(host, room.id, user)
    quiet = create(host, user, display_name="Quiet", channel_ids=[room.id]).category
    quiet.muted = True
    update(host, user, quiet)
    fav = by_type(host, user)["favorites"]
    fav.channel_ids.append(room.id)
    update(host, user, fav)
    got = host.api.GetChannelMember(cp.GetChannelMemberRequest(channel_id=room.id, user_id=user))
    assert got.channel_member.notify_props["mark_unread"] == "mention"
