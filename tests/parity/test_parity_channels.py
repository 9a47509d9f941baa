"""Server parity of channels: CreateChannel, GetChannel*, GetChannelsForTeamForUser,
GetPublicChannelsForTeam, SearchChannels, GetChannelStats, UpdateChannel, DeleteChannel."""

from __future__ import annotations

import json

import pytest
from parity_channel_world import (
    DIRECT,
    GROUP,
    OPEN,
    PRIVATE,
    channel,
    error,
    join,
    make_user,
    setting,
    team,
    unique,
)
from worldhost import Host

from mmplug.protocol import api_channel_post_pb2 as cp
from mmplug.protocol import channel_pb2

APP = "server/channels/app/channel.go"
STORE = "server/channels/store/sqlstore/channel_store.go"
MODEL = "server/public/model/channel.go"
PLUGIN_API = "server/channels/app/plugin_api.go"
CREATE = f"{APP}: (*App).CreateChannel; {STORE}: (SqlChannelStore).Save"
IS_VALID = f"{MODEL}: (*Channel).IsValid"
UPDATE = f"{APP}: (*App).UpdateChannel; {STORE}: (SqlChannelStore).updateChannelT"


def create(host: Host, **fields: object) -> cp.CreateChannelResponse:
    name = fields.pop("name", None)
    ch = channel_pb2.Channel(
        team_id=team(host),
        name=unique() if name is None else str(name),
        display_name="Room",
        type=OPEN,
    )
    for key, value in fields.items():
        setattr(ch, key, value)
    return host.api.CreateChannel(cp.CreateChannelRequest(channel=ch))


# -- CreateChannel -------------------------------------------------------------------------
@pytest.mark.parity("CreateChannel", f"{APP}: (*App).CreateChannel")
def test_create_trims_the_display_name(host: Host) -> None:
    """Spaces around a new channel's display name are removed."""
    assert create(host, display_name="  Launch Plans \t").channel.display_name == "Launch Plans"


@pytest.mark.parity("CreateChannel", IS_VALID)
def test_create_accepts_an_empty_display_name(host: Host) -> None:
    """A plugin may create a channel without a display name (only the REST API needs one)."""
    rsp = create(host, display_name="")
    assert not rsp.HasField("error") and rsp.channel.display_name == ""


@pytest.mark.parity("CreateChannel", IS_VALID)
def test_create_refuses_a_display_name_over_64_characters(host: Host) -> None:
    """A display name of more than 64 characters is a 400
    `model.channel.is_valid.display_name.app_error`."""
    assert error(create(host, display_name="é" * 65)) == (
        400,
        "model.channel.is_valid.display_name.app_error",
    )
    assert not create(host, display_name="é" * 64).HasField("error")


@pytest.mark.parity("CreateChannel", f"{IS_VALID}; {MODEL}: IsValidChannelIdentifier")
def test_create_refuses_a_name_outside_the_channel_alphabet(host: Host) -> None:
    """A name with capitals, spaces, dots or a leading '-' is a 400
    `model.channel.is_valid.1_or_more.app_error`."""
    for bad in ("Caps", "with space", "dots.no", "-lead", "_lead", ""):
        assert error(create(host, name=bad)) == (400, "model.channel.is_valid.1_or_more.app_error")


@pytest.mark.parity("CreateChannel", f"{MODEL}: IsValidChannelIdentifier")
def test_create_accepts_one_character_and_trailing_dash_names(host: Host) -> None:
    """One character is a valid name, and so is a name ending in '-' or '_'."""
    for good in ("q", unique("trail") + "-", unique("under") + "_"):
        assert create(host, name=good).channel.name == good


@pytest.mark.parity("CreateChannel", CREATE)
def test_create_fails_in_the_database_for_a_name_over_64_characters(host: Host) -> None:
    """The name has no upper bound in validation: 65 characters fail in the database with a 500
    `app.channel.create_channel.internal_error`."""
    assert error(create(host, name="n" * 65)) == (500, "app.channel.create_channel.internal_error")
    assert create(host, name="m" * 64).channel.name == "m" * 64


@pytest.mark.parity("CreateChannel", IS_VALID)
def test_create_refuses_a_name_reserved_for_direct_or_group_channels(host: Host) -> None:
    """An open channel named like a direct (`<id>__<id>`) or group (40 hex) channel is a 400
    `model.channel.is_valid.name.app_error`."""
    alice, bob = host.user("alice"), host.user("bob")
    assert error(create(host, name=f"{alice}__{bob}")) == (
        400,
        "model.channel.is_valid.name.app_error",
    )
    assert error(create(host, name="a" * 40)) == (400, "model.channel.is_valid.name.app_error")


@pytest.mark.parity("CreateChannel", f"{IS_VALID}; server/public/model/utils.go: "
                    "IsValidChannelIdentifier")
def test_create_refuses_a_name_ending_in_a_newline(host: Host) -> None:
    """The name's pattern is anchored at the very end of the text (Go's ``$`` does not match
    before a final newline): ``town\\n`` is a 400 `model.channel.is_valid.1_or_more.app_error`."""
    assert error(create(host, name="town\n")) == (400,
                                                   "model.channel.is_valid.1_or_more.app_error")


@pytest.mark.parity(
    "CreateChannel", f"{IS_VALID}; server/public/pluginapi/grpc/server: channelTypeFromProto"
)
def test_create_without_a_type_is_refused(host: Host) -> None:
    """A channel without a type is a 400 `model.channel.is_valid.type.app_error` (there is no
    default type)."""
    rsp = create(host, type=channel_pb2.CHANNEL_TYPE_UNSPECIFIED)
    assert error(rsp) == (400, "model.channel.is_valid.type.app_error")


@pytest.mark.parity(
    "CreateChannel", f"{STORE}: (SqlChannelStore).Save; {APP}: (*App).CreateChannel"
)
def test_create_refuses_a_direct_channel(host: Host) -> None:
    """Creating a direct channel is a 400 `store.sql_channel.save.direct_channel.app_error` (use
    GetDirectChannel)."""
    rsp = create(host, type=DIRECT)
    assert error(rsp) == (400, "store.sql_channel.save.direct_channel.app_error")


@pytest.mark.parity("CreateChannel", f"{STORE}: (SqlChannelStore).Save")
def test_create_accepts_a_group_type(host: Host) -> None:
    """The store refuses only direct channels: a plugin can create a group-type channel."""
    rsp = create(host, type=GROUP)
    assert not rsp.HasField("error") and rsp.channel.type == GROUP


@pytest.mark.parity("CreateChannel", CREATE)
def test_create_refuses_an_archived_channel(host: Host) -> None:
    """A new channel with `delete_at` set is a 400
    `store.sql_channel.save.archived_channel.app_error`."""
    rsp = create(host, delete_at=1)
    assert error(rsp) == (400, "store.sql_channel.save.archived_channel.app_error")


@pytest.mark.parity("CreateChannel", f"{STORE}: (SqlChannelStore).saveChannelT")
def test_create_refuses_a_channel_that_has_an_id(host: Host) -> None:
    """A new channel with an id is a 400 `store.sql_channel.save_channel.existing.app_error`."""
    rsp = create(host, id=host.store.new_id())
    assert error(rsp) == (400, "store.sql_channel.save_channel.existing.app_error")


@pytest.mark.parity("CreateChannel", f"{STORE}: (SqlChannelStore).saveChannelT")
def test_create_keeps_the_id_of_a_shared_channel(host: Host) -> None:
    """A shared channel may come with its id (shared channel sync), and keeps it."""
    given = host.store.new_id()
    assert create(host, id=given, shared=True).channel.id == given


@pytest.mark.parity("CreateChannel", CREATE)
def test_create_refuses_a_taken_name(host: Host) -> None:
    """A name used in the team is a 400 `store.sql_channel.save_channel.exists.app_error`."""
    assert error(create(host, name="off-topic")) == (
        400,
        "store.sql_channel.save_channel.exists.app_error",
    )


@pytest.mark.parity("CreateChannel", CREATE)
def test_create_does_not_check_the_team(host: Host) -> None:
    """The plugin API does not check that the team exists: the channel is made anyway."""
    rsp = create(host, team_id=host.store.new_id())
    assert not rsp.HasField("error") and len(rsp.channel.id) == 26


@pytest.mark.parity("CreateChannel", IS_VALID)
def test_create_takes_any_creator_id_up_to_26_characters(host: Host) -> None:
    """`creator_id` is not checked to be a user id, only to be at most 26 characters."""
    assert create(host, creator_id="not-a-user").channel.creator_id == "not-a-user"
    assert error(create(host, creator_id="x" * 27)) == (
        400,
        "model.channel.is_valid.creator_id.app_error",
    )


@pytest.mark.parity("CreateChannel", IS_VALID)
def test_create_limits_purpose_and_header(host: Host) -> None:
    """A purpose over 250 or a header over 1024 characters is a 400 of its field."""
    assert error(create(host, purpose="p" * 251)) == (
        400,
        "model.channel.is_valid.purpose.app_error",
    )
    assert error(create(host, header="h" * 1025)) == (
        400,
        "model.channel.is_valid.header.app_error",
    )


@pytest.mark.parity("CreateChannel", f"{MODEL}: (*Channel).PreSave")
def test_create_keeps_a_given_create_at_and_copies_it_to_update_at(host: Host) -> None:
    """A given `create_at` is kept; `update_at` equals it and `extra_update_at` is 0."""
    made = create(host, create_at=1_600_000_000_000, update_at=5, extra_update_at=7).channel
    assert (made.create_at, made.update_at, made.extra_update_at) == (1_600_000_000_000,) * 2 + (0,)


@pytest.mark.parity(
    "CreateChannel", f"{MODEL}: (*Channel).PreSave; server/public/model/utils.go: SanitizeUnicode"
)
def test_create_removes_invisible_characters_from_the_display_name(host: Host) -> None:
    """Bidi controls and other invisible code points are removed from the display name."""
    made = create(host, display_name="Sa\u202efe\ufeff Room").channel
    assert made.display_name == "Safe Room"


@pytest.mark.parity("CreateChannel", f"{STORE}: (SqlChannelStore).saveChannelT")
def test_create_respects_max_channels_per_team(host: Host) -> None:
    """Past TeamSettings.MaxChannelsPerTeam open/private channels, creating is a 400
    `store.sql_channel.save_channel.limit.app_error`."""
    with host.store.read() as db:
        count = db.execute(
            "SELECT count(*) FROM channels WHERE team_id=? AND delete_at=0 AND type IN ('O','P')",
            (team(host),),
        ).fetchone()[0]
    with setting(host, "TeamSettings.MaxChannelsPerTeam", count):
        assert error(create(host)) == (400, "store.sql_channel.save_channel.limit.app_error")
    assert not create(host).HasField("error")


@pytest.mark.parity("CreateChannel", f"{APP}: (*App).CreateChannel")
def test_create_fires_channel_has_been_created(quiet_host: Host) -> None:
    """ChannelHasBeenCreated runs with the new channel."""
    made = create(quiet_host).channel
    (fired,) = quiet_host.hooks.named("ChannelHasBeenCreated")
    assert fired.channel.id == made.id


# -- GetChannel, GetChannelByName, GetChannelByNameForTeamName -----------------------------
@pytest.mark.parity("GetChannel", f"{APP}: (*Server).getChannel")
def test_get_missing_channel_is_404(host: Host) -> None:
    """An unknown channel id is a 404 `app.channel.get.existing.app_error`."""
    rsp = host.api.GetChannel(cp.GetChannelRequest(channel_id=host.store.new_id()))
    assert error(rsp) == (404, "app.channel.get.existing.app_error")


@pytest.mark.parity("GetChannel", f"{APP}: (*Server).getChannel")
def test_get_malformed_channel_id_is_404_too(host: Host) -> None:
    """A malformed id is not checked: it is simply not found (404, not 400)."""
    rsp = host.api.GetChannel(cp.GetChannelRequest(channel_id="not-an-id"))
    assert error(rsp) == (404, "app.channel.get.existing.app_error")


@pytest.mark.parity("GetChannel", f"{APP}: (*Server).getChannel")
def test_get_returns_archived_channels(host: Host) -> None:
    """GetChannel finds archived channels (with their `delete_at`)."""
    made = channel(host)
    host.api.DeleteChannel(cp.DeleteChannelRequest(channel_id=made.id))
    assert host.api.GetChannel(cp.GetChannelRequest(channel_id=made.id)).channel.delete_at > 0


@pytest.mark.parity("GetChannelByName", f"{APP}: (*App).GetChannelByName")
def test_by_name_missing_is_404(host: Host) -> None:
    """An unknown name is a 404 `app.channel.get_by_name.missing.app_error`."""
    rsp = host.api.GetChannelByName(cp.GetChannelByNameRequest(team_id=team(host), name="nope"))
    assert error(rsp) == (404, "app.channel.get_by_name.missing.app_error")


@pytest.mark.parity(
    "GetChannelByName", f"{APP}: (*App).GetChannelByName; {STORE}: (SqlChannelStore).getByName"
)
def test_by_name_sees_archived_channels_only_when_asked(host: Host) -> None:
    """An archived channel is found by name only with `include_deleted`."""
    made = channel(host)
    host.api.DeleteChannel(cp.DeleteChannelRequest(channel_id=made.id))
    hidden = host.api.GetChannelByName(
        cp.GetChannelByNameRequest(team_id=team(host), name=made.name)
    )
    assert error(hidden) == (404, "app.channel.get_by_name.missing.app_error")
    shown = host.api.GetChannelByName(
        cp.GetChannelByNameRequest(team_id=team(host), name=made.name, include_deleted=True)
    )
    assert shown.channel.id == made.id


@pytest.mark.parity("GetChannelByName", f"{STORE}: (SqlChannelStore).getByName")
def test_by_name_finds_direct_channels_from_a_team(host: Host) -> None:
    """Lookups by name in a team also see the direct and group channels (team '')."""
    dm = host.info.channels["alice__bob"]
    with host.store.read() as db:
        name = db.execute("SELECT name FROM channels WHERE id=?", (dm,)).fetchone()["name"]
    rsp = host.api.GetChannelByName(cp.GetChannelByNameRequest(team_id=team(host), name=name))
    assert rsp.channel.id == dm


@pytest.mark.parity("GetChannelByName", f"{STORE}: (SqlChannelStore).getByName")
def test_by_name_without_a_team_looks_in_every_team(host: Host) -> None:
    """An empty team id finds the channel in whichever team has it."""
    rsp = host.api.GetChannelByName(cp.GetChannelByNameRequest(team_id="", name="off-topic"))
    assert rsp.channel.id == host.info.channels["off-topic"]


@pytest.mark.parity("GetChannelByNameForTeamName", f"{APP}: (*App).GetChannelByNameForTeamName")
def test_by_team_name_with_unknown_team_is_404(host: Host) -> None:
    """An unknown team name is a 404 `app.team.get_by_name.missing.app_error`."""
    rsp = host.api.GetChannelByNameForTeamName(
        cp.GetChannelByNameForTeamNameRequest(team_name="nowhere", channel_name="town-square")
    )
    assert error(rsp) == (404, "app.team.get_by_name.missing.app_error")


@pytest.mark.parity("GetChannelByNameForTeamName", f"{APP}: (*App).GetChannelByNameForTeamName")
def test_by_team_name_sees_archived_channels_only_when_asked(host: Host) -> None:
    """An archived channel is found by team and channel name only with `include_deleted`."""
    made = channel(host)
    host.api.DeleteChannel(cp.DeleteChannelRequest(channel_id=made.id))
    req = cp.GetChannelByNameForTeamNameRequest(team_name="acme", channel_name=made.name)
    assert error(host.api.GetChannelByNameForTeamName(req)) == (
        404,
        "app.channel.get_by_name.missing.app_error",
    )
    req.include_deleted = True
    assert host.api.GetChannelByNameForTeamName(req).channel.id == made.id


# -- GetChannelsForTeamForUser ---------------------------------------------------------------
@pytest.mark.parity(
    "GetChannelsForTeamForUser",
    f"{APP}: (*Server).getChannelsForTeamForUser; {STORE}: (SqlChannelStore).GetChannels",
)
def test_channels_for_user_without_channels_is_404(host: Host) -> None:
    """A user in no channel gets a 404 `app.channel.get_channels.not_found.app_error`, not an empty
    list."""
    loner = make_user(host)
    rsp = host.api.GetChannelsForTeamForUser(
        cp.GetChannelsForTeamForUserRequest(team_id=team(host), user_id=loner)
    )
    assert error(rsp) == (404, "app.channel.get_channels.not_found.app_error")


@pytest.mark.parity("GetChannelsForTeamForUser", f"{STORE}: (SqlChannelStore).GetChannels")
def test_channels_for_user_include_direct_and_group_channels_by_display_name(host: Host) -> None:
    """The team's channels and the user's direct/group channels come ordered by display name."""
    rsp = host.api.GetChannelsForTeamForUser(
        cp.GetChannelsForTeamForUserRequest(team_id=team(host), user_id=host.user("bob"))
    )
    ids = [c.id for c in rsp.channels]
    assert {host.info.channels["alice__bob"], host.info.channels["admin__alice__bob"]} <= set(ids)
    names = [c.display_name for c in rsp.channels]
    assert names == sorted(names)


@pytest.mark.parity("GetChannelsForTeamForUser", f"{STORE}: (SqlChannelStore).GetChannels")
def test_channels_for_user_with_empty_team_cover_every_team(host: Host) -> None:
    """An empty team id lists the user's channels on every team."""
    user = make_user(host)
    elsewhere = channel(host, team_id=host.store.new_id())
    with host.store.tx() as db:  # a membership in a channel of another team
        db.execute(
            "INSERT INTO channel_members(channel_id, user_id, data) VALUES(?,?,?)",
            (elsewhere.id, user, f'{{"channel_id": "{elsewhere.id}", "user_id": "{user}"}}'),
        )
    rsp = host.api.GetChannelsForTeamForUser(
        cp.GetChannelsForTeamForUserRequest(team_id="", user_id=user)
    )
    assert [c.id for c in rsp.channels] == [elsewhere.id]


@pytest.mark.parity("GetChannelsForTeamForUser", f"{STORE}: (SqlChannelStore).GetChannels")
def test_channels_for_user_include_archived_only_when_asked(host: Host) -> None:
    """Archived channels are listed only with `include_deleted`."""
    user = make_user(host)
    kept, gone = channel(host), channel(host)
    join(host, kept.id, user)
    join(host, gone.id, user)
    host.api.DeleteChannel(cp.DeleteChannelRequest(channel_id=gone.id))
    req = cp.GetChannelsForTeamForUserRequest(team_id=team(host), user_id=user)
    assert [c.id for c in host.api.GetChannelsForTeamForUser(req).channels] == [kept.id]
    req.include_deleted = True
    assert {c.id for c in host.api.GetChannelsForTeamForUser(req).channels} == {kept.id, gone.id}


# -- GetPublicChannelsForTeam ----------------------------------------------------------------
PUBLIC = (
    f"{PLUGIN_API}: (*PluginAPI).GetPublicChannelsForTeam; "
    f"{STORE}: (SqlChannelStore).GetPublicChannelsForTeam"
)


@pytest.mark.parity("GetPublicChannelsForTeam", PUBLIC)
def test_public_channels_with_per_page_zero_is_an_empty_page(host: Host) -> None:
    """`per_page` 0 is an empty page: there is no default page size."""
    rsp = host.api.GetPublicChannelsForTeam(cp.GetPublicChannelsForTeamRequest(team_id=team(host)))
    assert not rsp.HasField("error") and list(rsp.channels) == []


@pytest.mark.parity("GetPublicChannelsForTeam", PUBLIC)
def test_public_channels_with_negative_paging_is_a_500(host: Host) -> None:
    """A negative `page` or `per_page` fails in the database: 500
    `app.channel.get_public_channels.get.app_error`."""
    for page, per_page in ((-1, 10), (0, -1)):
        rsp = host.api.GetPublicChannelsForTeam(
            cp.GetPublicChannelsForTeamRequest(team_id=team(host), page=page, per_page=per_page)
        )
        assert error(rsp) == (500, "app.channel.get_public_channels.get.app_error")


@pytest.mark.parity("GetPublicChannelsForTeam", PUBLIC)
def test_public_channels_are_open_live_and_by_display_name(host: Host) -> None:
    """Only open, unarchived channels are listed, ordered by display name, paged as asked."""
    rsp = host.api.GetPublicChannelsForTeam(
        cp.GetPublicChannelsForTeamRequest(team_id=team(host), per_page=1000)
    )
    assert all(c.type == OPEN and c.delete_at == 0 for c in rsp.channels)
    assert host.info.channels["secret-plans"] not in {c.id for c in rsp.channels}
    names = [c.display_name for c in rsp.channels]
    assert names == sorted(names)
    second = host.api.GetPublicChannelsForTeam(
        cp.GetPublicChannelsForTeamRequest(team_id=team(host), page=1, per_page=1)
    )
    assert [c.id for c in second.channels] == [rsp.channels[1].id]


@pytest.mark.parity("GetPublicChannelsForTeam", PUBLIC)
def test_public_channels_of_an_unknown_team_is_an_empty_list(host: Host) -> None:
    """An unknown team has no public channels: an empty list, no error."""
    rsp = host.api.GetPublicChannelsForTeam(
        cp.GetPublicChannelsForTeamRequest(team_id="nope", per_page=10)
    )
    assert not rsp.HasField("error") and list(rsp.channels) == []


# -- SearchChannels --------------------------------------------------------------------------
SEARCH = f"{APP}: (*App).SearchChannels; {STORE}: (SqlChannelStore).SearchInTeam"


def search(host: Host, term: str) -> list[str]:
    rsp = host.api.SearchChannels(cp.SearchChannelsRequest(team_id=team(host), term=term))
    assert not rsp.HasField("error"), rsp.error
    return [c.id for c in rsp.channels]


@pytest.mark.parity("SearchChannels", SEARCH)
def test_search_matches_the_purpose(host: Host) -> None:
    """The term is also looked for in the channel's purpose, case-insensitively."""
    made = channel(host, purpose="Where the Zeppelins park")
    assert made.id in search(host, "zeppelin")


@pytest.mark.parity("SearchChannels", f"{SEARCH}; TeamSettings.ExperimentalViewArchivedChannels")
def test_search_lists_archived_channels_when_the_config_shows_them(host: Host) -> None:
    """With TeamSettings.ExperimentalViewArchivedChannels on (the default) archived channels are
    found; off, they are not."""
    made = channel(host, display_name="Quokka Den")
    host.api.DeleteChannel(cp.DeleteChannelRequest(channel_id=made.id))
    assert made.id in search(host, "quokka")
    with setting(host, "TeamSettings.ExperimentalViewArchivedChannels", False):
        assert made.id not in search(host, "quokka")


@pytest.mark.parity("SearchChannels", SEARCH)
def test_search_with_an_empty_term_lists_the_public_channels(host: Host) -> None:
    """An empty (or blank) term matches every open channel of the team, never private ones."""
    found = search(host, "   ")
    assert host.info.channels["off-topic"] in found
    assert host.info.channels["secret-plans"] not in found


@pytest.mark.parity("SearchChannels", SEARCH)
def test_search_stops_at_100_channels(host: Host) -> None:
    """At most 100 channels are returned."""
    for _ in range(101 - len(search(host, ""))):
        channel(host)
    assert len(search(host, "")) == 100


# -- GetChannelStats -------------------------------------------------------------------------
STATS = f"{PLUGIN_API}: (*PluginAPI).GetChannelStats; {APP}: (*App).GetChannelMemberCount"


@pytest.mark.parity("GetChannelStats", STATS)
def test_stats_report_the_member_count_as_guest_count(host: Host) -> None:
    """The plugin API fills `guest_count` with the member count (a server quirk) and leaves the
    pinned post and file counts 0."""
    stats = host.api.GetChannelStats(
        cp.GetChannelStatsRequest(channel_id=host.info.channels["town-square"])
    ).channel_stats
    assert stats.member_count == 4
    assert (stats.guest_count, stats.pinnedpost_count, stats.files_count) == (4, 0, 0)


@pytest.mark.parity("GetChannelStats", STATS)
def test_stats_do_not_count_deactivated_members(host: Host) -> None:
    """Members whose account is deactivated are not counted."""
    made = channel(host)
    join(host, made.id, make_user(host))
    gone = make_user(host)
    join(host, made.id, gone)
    with host.store.tx() as db:
        db.execute("UPDATE users SET delete_at=1 WHERE id=?", (gone,))
    stats = host.api.GetChannelStats(cp.GetChannelStatsRequest(channel_id=made.id))
    assert stats.channel_stats.member_count == 1


@pytest.mark.parity("GetChannelStats", STATS)
def test_stats_of_a_missing_channel_are_zero(host: Host) -> None:
    """An unknown channel has zero members: no error."""
    rsp = host.api.GetChannelStats(cp.GetChannelStatsRequest(channel_id=host.store.new_id()))
    assert not rsp.HasField("error") and rsp.channel_stats.member_count == 0


# -- UpdateChannel ---------------------------------------------------------------------------
def update(host: Host, ch: channel_pb2.Channel) -> cp.UpdateChannelResponse:
    return host.api.UpdateChannel(cp.UpdateChannelRequest(channel=ch))


@pytest.mark.parity("UpdateChannel", f"{APP}: (*App).GetChannel")
def test_update_of_a_missing_channel_is_404(host: Host) -> None:
    """Updating an unknown channel is a 404 `app.channel.get.existing.app_error`."""
    ghost = channel_pb2.Channel(id=host.store.new_id(), name="ghost", type=OPEN, create_at=1)
    assert error(update(host, ghost)) == (404, "app.channel.get.existing.app_error")


@pytest.mark.parity("UpdateChannel", UPDATE)
def test_update_writes_the_channel_as_sent(host: Host) -> None:
    """The whole channel is written: a channel built from scratch has no `create_at` and is a 400
    `model.channel.is_valid.create_at.app_error`."""
    made = channel(host)
    partial = channel_pb2.Channel(id=made.id, name=made.name, type=OPEN, header="new")
    assert error(update(host, partial)) == (400, "model.channel.is_valid.create_at.app_error")


@pytest.mark.parity("UpdateChannel", UPDATE)
def test_update_refuses_a_channel_sent_archived(host: Host) -> None:
    """A channel sent with `delete_at` set is a 400 `app.channel.update.bad_id`."""
    made = channel(host)
    made.delete_at = 5
    assert error(update(host, made)) == (400, "app.channel.update.bad_id")


@pytest.mark.parity("UpdateChannel", UPDATE)
def test_update_of_an_archived_channel_restores_it(host: Host) -> None:
    """An archived channel sent with `delete_at` 0 is saved as active again."""
    made = channel(host)
    host.api.DeleteChannel(cp.DeleteChannelRequest(channel_id=made.id))
    made.header = "back"
    assert update(host, made).channel.delete_at == 0
    again = host.api.GetChannel(cp.GetChannelRequest(channel_id=made.id)).channel
    assert (again.delete_at, again.header) == (0, "back")


@pytest.mark.parity("UpdateChannel", UPDATE)
def test_update_to_a_taken_name_is_bad_id(host: Host) -> None:
    """Renaming to a name used in the team is a 400 `app.channel.update.bad_id`."""
    made = channel(host)
    made.name = "off-topic"
    assert error(update(host, made)) == (400, "app.channel.update.bad_id")


@pytest.mark.parity("UpdateChannel", f"{UPDATE}; {MODEL}: (*Channel).PreUpdate")
def test_update_sets_update_at_and_may_change_the_type(host: Host) -> None:
    """`update_at` becomes now, and the type may change (open to private)."""
    made = channel(host)
    made.type = PRIVATE
    done = update(host, made).channel
    assert done.type == PRIVATE and done.update_at > made.update_at


@pytest.mark.parity("UpdateChannel", f"{UPDATE}; {IS_VALID}")
def test_update_validates_like_create(host: Host) -> None:
    """The channel is validated again: a display name over 64 characters is a 400."""
    made = channel(host)
    made.display_name = "d" * 65
    assert error(update(host, made)) == (400, "model.channel.is_valid.display_name.app_error")


@pytest.mark.parity("UpdateChannel", f"{APP}: (*App).UpdateChannel")
def test_update_publishes_channel_updated(quiet_host: Host) -> None:
    """A `channel_updated` WebSocket event carries the updated channel as JSON text (every
    field, the type as its letter)."""
    made = channel(quiet_host)
    made.purpose = "now with purpose"
    update(quiet_host, made)
    (event,) = quiet_host.events("channel_updated")
    sent = json.loads(event["data"]["channel"])
    assert (sent["id"], sent["purpose"], sent["type"]) == (made.id, "now with purpose", "O")
    assert sent["header"] == "" and isinstance(sent["update_at"], int)


# -- DeleteChannel ---------------------------------------------------------------------------
DELETE = f"{PLUGIN_API}: (*PluginAPI).DeleteChannel; {APP}: (*App).DeleteChannel"


def archive(host: Host, channel_id: str) -> cp.DeleteChannelResponse:
    return host.api.DeleteChannel(cp.DeleteChannelRequest(channel_id=channel_id))


@pytest.mark.parity("DeleteChannel", DELETE)
def test_delete_of_a_missing_channel_is_404(host: Host) -> None:
    """Archiving an unknown channel is a 404 `app.channel.get.existing.app_error`."""
    assert error(archive(host, "bogus")) == (404, "app.channel.get.existing.app_error")


@pytest.mark.parity("DeleteChannel", DELETE)
def test_delete_twice_is_refused(host: Host) -> None:
    """Archiving an archived channel is a 400 `api.channel.delete_channel.deleted.app_error`."""
    made = channel(host)
    archive(host, made.id)
    assert error(archive(host, made.id)) == (400, "api.channel.delete_channel.deleted.app_error")


@pytest.mark.parity("DeleteChannel", DELETE)
def test_town_square_cannot_be_archived(host: Host) -> None:
    """Archiving town-square is a 400 `api.channel.delete_channel.cannot.app_error`."""
    rsp = archive(host, host.info.channels["town-square"])
    assert error(rsp) == (400, "api.channel.delete_channel.cannot.app_error")


@pytest.mark.parity("DeleteChannel", DELETE)
def test_a_plugin_may_archive_a_direct_channel(host: Host) -> None:
    """Only the REST API refuses to archive direct and group channels; a plugin may."""
    dm = host.api.GetDirectChannel(
        cp.GetDirectChannelRequest(user_id_1=make_user(host), user_id_2=host.user("bob"))
    ).channel
    assert not archive(host, dm.id).HasField("error")
    assert host.api.GetChannel(cp.GetChannelRequest(channel_id=dm.id)).channel.delete_at > 0


@pytest.mark.parity("DeleteChannel", f"{DELETE}; {STORE}: (SqlChannelStore).Delete")
def test_delete_sets_delete_at_and_update_at_and_publishes(quiet_host: Host) -> None:
    """Archiving sets `delete_at` = `update_at` = now and publishes `channel_deleted`."""
    made = channel(quiet_host)
    archive(quiet_host, made.id)
    gone = quiet_host.api.GetChannel(cp.GetChannelRequest(channel_id=made.id)).channel
    assert gone.delete_at == gone.update_at > made.update_at
    (event,) = quiet_host.events("channel_deleted")
    assert event["data"] == {"channel_id": made.id, "delete_at": gone.delete_at}


@pytest.mark.parity("DeleteChannel", DELETE)
def test_archiving_tells_the_team_of_a_public_channel_and_the_members_of_a_private_one(
    quiet_host: Host,
) -> None:
    """`channel_deleted` goes to the whole team for a public channel but only to the channel's
    members for a private one, whose existence the rest of the team must not learn."""
    public, private = channel(quiet_host), channel(quiet_host, type=PRIVATE)
    archive(quiet_host, public.id)
    archive(quiet_host, private.id)
    to_team, to_members = quiet_host.events("channel_deleted")
    assert to_team["broadcast"] == {"team_id": public.team_id}
    assert to_members["broadcast"] == {"channel_id": private.id}
