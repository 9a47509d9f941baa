"""Server parity of the group rpcs (groups.py, group_syncables.py)."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from test_parity_users import create, error
from worldhost import Host

from mmplug.protocol import api_channel_post_pb2 as cp
from mmplug.protocol import api_remaining_pb2 as rem
from mmplug.protocol import api_user_team_pb2 as pb
from mmplug.protocol import channel_pb2, team_pb2

_n = itertools.count()
GROUP_GO = "server/channels/app/group.go"
PLUGIN_API_GO = "server/channels/app/plugin_api.go"
GROUP_STORE_GO = "server/channels/store/sqlstore/group_store.go"
MODEL_GROUP_GO = "server/public/model/group.go"
OPEN_TEAM = team_pb2.TEAM_TYPE_OPEN


@contextmanager
def licensed(host: Host, sku_short_name: str = "") -> Iterator[None]:
    """A license with LDAP groups (of the SKU given: ``professional``, ...) for the
    duration of the block."""
    server = dict(host.store.get_meta("server") or {})
    license_doc: dict[str, object] = {"features": {"ldap_groups": True}}
    if sku_short_name:
        license_doc["sku_short_name"] = sku_short_name
    host.store.set_meta("server", {**server, "license": license_doc})
    try:
        yield
    finally:
        host.store.set_meta("server", server)


def make(host: Host, **fields: object) -> rem.CreateGroupResponse:
    name = f"crew{next(_n)}"
    values: dict[str, object] = {"name": name, "display_name": name.title(), "source": "custom"}
    values.update(fields)
    with licensed(host):
        return host.api.CreateGroup(rem.CreateGroupRequest(group=rem.Group(**values)))  # type: ignore[arg-type]


def add_members(host: Host, group_id: str, *user_ids: str) -> rem.UpsertGroupMembersResponse:
    with licensed(host):
        return host.api.UpsertGroupMembers(
            rem.UpsertGroupMembersRequest(group_id=group_id, user_ids=list(user_ids))
        )


@pytest.mark.parity(
    ("CreateGroup", "UpsertGroupMember", "GetGroupSyncables"),
    f"{PLUGIN_API_GO}: (*PluginAPI).checkLDAPLicense",
)
def test_group_changes_need_a_license_with_ldap_groups(host: Host) -> None:
    """Without a license that has LDAP groups (a Team Edition server) changing groups and
    reading syncables is a 403 `app.group.license_error`."""
    group = rem.Group(name="nolicense", display_name="No", source="custom")
    assert error(host.api.CreateGroup(rem.CreateGroupRequest(group=group))) == (
        403,
        "app.group.license_error",
    )
    rsp = host.api.GetGroupSyncables(
        rem.GetGroupSyncablesRequest(group_id="x" * 26, syncable_type="Team")
    )
    assert error(rsp) == (403, "app.group.license_error")


@pytest.mark.parity(("GetGroup", "GetGroupByName"), f"{GROUP_STORE_GO}: (*SqlGroupStore).Get")
def test_get_group_finds_deleted_groups_without_a_license(host: Host) -> None:
    """GetGroup and GetGroupByName need no license and find deleted groups too."""
    group = make(host).group
    with licensed(host):
        host.api.DeleteGroup(rem.DeleteGroupRequest(group_id=group.id))
    by_id = host.api.GetGroup(rem.GetGroupRequest(group_id=group.id)).group
    by_name = host.api.GetGroupByName(rem.GetGroupByNameRequest(name=group.name)).group
    assert by_id.delete_at > 0 and by_name.id == group.id


@pytest.mark.parity("GetGroup", f"{GROUP_GO}: (*App).GetGroup")
def test_get_group_of_a_malformed_id_is_404(host: Host) -> None:
    """Any unknown id, malformed or not, is a 404 `app.group.no_rows`."""
    assert error(host.api.GetGroup(rem.GetGroupRequest(group_id="nope"))) == (
        404,
        "app.group.no_rows",
    )


@pytest.mark.parity("GetGroupsForUser", f"{GROUP_STORE_GO}: (*SqlGroupStore).GetByUser")
def test_groups_for_a_user_include_deleted_groups(host: Host) -> None:
    """A user's groups include groups that were deleted (the membership is what counts)."""
    user = create(host)
    group = make(host).group
    add_members(host, group.id, user.id)
    with licensed(host):
        host.api.DeleteGroup(rem.DeleteGroupRequest(group_id=group.id))
    rsp = host.api.GetGroupsForUser(rem.GetGroupsForUserRequest(user_id=user.id))
    assert [g.id for g in rsp.groups] == [group.id]


@pytest.mark.parity(
    "GetGroupMemberUsers", f"{GROUP_STORE_GO}: (*SqlGroupStore).GetMemberUsersSortedPage"
)
def test_group_member_users_are_active_public_profiles(host: Host) -> None:
    """Only active members are listed, as public profiles (no notification settings or auth
    data); an unknown group is an empty list, and `per_page` 0 gives none."""
    active, gone = create(host, "m-active"), create(host, "m-gone")
    group = make(host).group
    add_members(host, group.id, active.id, gone.id)
    host.api.UpdateUserActive(pb.UpdateUserActiveRequest(user_id=gone.id, active=False))
    rsp = host.api.GetGroupMemberUsers(
        rem.GetGroupMemberUsersRequest(group_id=group.id, per_page=10)
    )
    ((user,),) = [rsp.users]
    assert user.id == active.id and dict(user.notify_props) == {} and user.email
    unknown = host.api.GetGroupMemberUsers(
        rem.GetGroupMemberUsersRequest(group_id="x" * 26, per_page=10)
    )
    assert not unknown.error.id and list(unknown.users) == []
    none = host.api.GetGroupMemberUsers(rem.GetGroupMemberUsersRequest(group_id=group.id))
    assert list(none.users) == []


@pytest.mark.parity("CreateGroup", f"{GROUP_GO}: (*App).CreateGroup")
def test_create_group_with_an_id_is_app_group_id(host: Host) -> None:
    """A new group with an id is a 400 `app.group.id.app_error`."""
    assert error(make(host, id="x" * 26)) == (400, "app.group.id.app_error")


@pytest.mark.parity("CreateGroup", f"{GROUP_STORE_GO}: (*SqlGroupStore).Create")
def test_create_group_with_a_taken_name_is_a_500(host: Host) -> None:
    """A name another group has fails in the database: a 500 `app.insert_error`."""
    first = make(host).group
    assert error(make(host, name=first.name)) == (500, "app.insert_error")


@pytest.mark.parity("CreateGroup", f"{MODEL_GROUP_GO}: (*Group).IsValidForCreate")
def test_create_group_rules_for_remote_ids(host: Host) -> None:
    """Plugin groups (`plugin_<id>`) need a remote id; custom groups may have one."""
    rsp = make(host, source="plugin_com.example")
    assert error(rsp) == (400, "model.group.remote_id.app_error")
    assert not make(host, remote_id="ext-1").error.id


@pytest.mark.parity("CreateGroup", f"{MODEL_GROUP_GO}: (*Group).IsValidName")
def test_create_group_reserved_names(host: Host) -> None:
    """`all`, `channel` and `here` are reserved: 400 `model.group.name.reserved_name.app_error`."""
    assert error(make(host, name="here")) == (400, "model.group.name.reserved_name.app_error")


@pytest.mark.parity("CreateGroup", f"{GROUP_GO}: (*App).isUniqueToUsernames")
def test_create_group_named_like_a_user_is_username_conflict(host: Host) -> None:
    """A group named like a user is a 400 `app.group.username_conflict`."""
    assert error(make(host, name="alice")) == (400, "app.group.username_conflict")


@pytest.mark.parity("UpdateGroup", f"{GROUP_STORE_GO}: (*SqlGroupStore).Update")
def test_update_group_may_only_clear_delete_at(host: Host) -> None:
    """UpdateGroup may bring a deleted group back (`delete_at` 0) but not delete one: a 500
    `app.select_error`."""
    group = make(host).group
    with licensed(host):
        deleted = host.api.DeleteGroup(rem.DeleteGroupRequest(group_id=group.id)).group
        deleted.delete_at = 0
        back = host.api.UpdateGroup(rem.UpdateGroupRequest(group=deleted))
        assert not back.error.id and back.group.delete_at == 0
        back.group.delete_at = 5
        refused = host.api.UpdateGroup(rem.UpdateGroupRequest(group=back.group))
    assert error(refused) == (500, "app.select_error")


@pytest.mark.parity(
    "UpsertGroupMember", f"{GROUP_STORE_GO}: (*SqlGroupStore).buildUpsertMembersQuery"
)
def test_upsert_group_member_errors(host: Host) -> None:
    """An unknown group is a 500 `app.update_error`; a deactivated or unknown user is a 400
    `app.group.user_not_found`."""
    gone = create(host)
    host.api.UpdateUserActive(pb.UpdateUserActiveRequest(user_id=gone.id, active=False))
    group = make(host).group
    with licensed(host):
        no_group = host.api.UpsertGroupMember(
            rem.UpsertGroupMemberRequest(group_id="x" * 26, user_id=host.user("bob"))
        )
        no_user = host.api.UpsertGroupMember(
            rem.UpsertGroupMemberRequest(group_id=group.id, user_id=gone.id)
        )
    assert error(no_group) == (500, "app.update_error")
    assert error(no_user) == (400, "app.group.user_not_found")


@pytest.mark.parity("UpsertGroupMember", f"{GROUP_GO}: (*App).publishGroupMemberEvent")
def test_upsert_group_member_tells_the_user(quiet_host: Host) -> None:
    """Adding a member sends them a `group_member_add` WebSocket event."""
    host = quiet_host
    group = make(host).group
    with licensed(host):
        host.api.UpsertGroupMember(
            rem.UpsertGroupMemberRequest(group_id=group.id, user_id=host.user("bob"))
        )
    (event,) = host.events("group_member_add")
    assert event["broadcast"] == {"user_id": host.user("bob")}


@pytest.mark.parity("DeleteGroupMember", f"{GROUP_GO}: (*App).DeleteGroupMember")
def test_delete_group_member_of_a_non_member_is_404(host: Host) -> None:
    """Removing someone who is not a member is a 404 `app.group.no_rows`."""
    group = make(host).group
    with licensed(host):
        rsp = host.api.DeleteGroupMember(
            rem.DeleteGroupMemberRequest(group_id=group.id, user_id=host.user("bob"))
        )
    assert error(rsp) == (404, "app.group.no_rows")


# -- GetGroupsBySource, GetGroups, GetGroupByRemoteID, Delete/RestoreGroup, members -----------


def delete(host: Host, group_id: str) -> rem.DeleteGroupResponse:
    with licensed(host):
        return host.api.DeleteGroup(rem.DeleteGroupRequest(group_id=group_id))


def get_groups(host: Host, **request: object) -> rem.GetGroupsResponse:
    with licensed(host):
        return host.api.GetGroups(rem.GetGroupsRequest(**request))  # type: ignore[arg-type]


@pytest.mark.parity(
    (
        "UpsertGroupMembers",
        "GetGroupByRemoteID",
        "DeleteGroup",
        "RestoreGroup",
        "GetGroups",
        "GetGroupSyncable",
        "UpsertGroupSyncable",
        "UpdateGroupSyncable",
        "DeleteGroupSyncable",
        "CreateDefaultSyncableMemberships",
        "DeleteGroupConstrainedMemberships",
    ),
    f"{PLUGIN_API_GO}: (*PluginAPI).checkLDAPLicense",
)
def test_every_group_change_needs_the_license(host: Host) -> None:
    """Each of these is a 403 `app.group.license_error` on a server without a license that
    has LDAP groups, before anything else is looked at."""
    gid, tid = "g" * 26, "t" * 26
    gs = rem.GroupSyncable(group_id=gid, syncable_id=tid, syncable_type="Team")
    calls = [
        host.api.UpsertGroupMembers(rem.UpsertGroupMembersRequest(group_id=gid)),
        host.api.GetGroupByRemoteID(rem.GetGroupByRemoteIDRequest(remote_id="x")),
        host.api.DeleteGroup(rem.DeleteGroupRequest(group_id=gid)),
        host.api.RestoreGroup(rem.RestoreGroupRequest(group_id=gid)),
        host.api.GetGroups(rem.GetGroupsRequest(per_page=10)),
        host.api.GetGroupSyncable(
            rem.GetGroupSyncableRequest(group_id=gid, syncable_id=tid, syncable_type="Team")
        ),
        host.api.UpsertGroupSyncable(rem.UpsertGroupSyncableRequest(group_syncable=gs)),
        host.api.UpdateGroupSyncable(rem.UpdateGroupSyncableRequest(group_syncable=gs)),
        host.api.DeleteGroupSyncable(
            rem.DeleteGroupSyncableRequest(group_id=gid, syncable_id=tid, syncable_type="Team")
        ),
        host.api.CreateDefaultSyncableMemberships(rem.CreateDefaultSyncableMembershipsRequest()),
        host.api.DeleteGroupConstrainedMemberships(rem.DeleteGroupConstrainedMembershipsRequest()),
    ]
    assert {error(rsp) for rsp in calls} == {(403, "app.group.license_error")}


@pytest.mark.parity(
    "GetGroupsBySource",
    f"{GROUP_GO}: (*App).GetGroupsBySource; {GROUP_STORE_GO}: (*SqlGroupStore).GetAllBySource",
)
def test_groups_by_source_are_its_live_groups_without_a_license(host: Host) -> None:
    """GetGroupsBySource needs no license and lists the live groups of exactly that source
    (deleted ones and other sources left out)."""
    source = f"plugin_by.source{next(_n)}"
    live = make(host, source=source, remote_id="r-live").group
    gone = make(host, source=source, remote_id="r-gone").group
    make(host, source=f"{source}x", remote_id="r-other")
    delete(host, gone.id)
    rsp = host.api.GetGroupsBySource(rem.GetGroupsBySourceRequest(group_source=source))
    assert not rsp.error.id and [g.id for g in rsp.groups] == [live.id]


@pytest.mark.parity("GetGroups", f"{GROUP_STORE_GO}: (*SqlGroupStore).GetGroups")
def test_get_groups_per_page_zero_is_every_group(host: Host) -> None:
    """`per_page` 0 is no limit at all: every matching group comes back in one answer."""
    tag = f"zeroer{next(_n)}"
    for i in range(61):
        make(host, name=f"{tag}-{i:02d}")
    rsp = get_groups(host, opts=rem.GroupSearchOpts(q=tag))
    assert len(rsp.groups) == 61


@pytest.mark.parity("GetGroups", f"{GROUP_STORE_GO}: (*SqlGroupStore).GetGroups")
def test_get_groups_negative_paging_fails_in_the_database(host: Host) -> None:
    """A negative `page` or `per_page` (with `per_page` not 0) is a 500 `app.select_error`."""
    assert error(get_groups(host, page=-1, per_page=5)) == (500, "app.select_error")
    assert error(get_groups(host, page=0, per_page=-5)) == (500, "app.select_error")
    assert not get_groups(host, page=-1, per_page=0).error.id


@pytest.mark.parity(
    "GetGroups",
    f"{GROUP_STORE_GO}: (*SqlGroupStore).GetGroups; "
    "server/public/pluginapi/grpc/server: groupSearchOptsFromProto",
)
def test_get_groups_pages_by_display_name(host: Host) -> None:
    """Groups come by display name, `per_page` at a time from `page` * `per_page`."""
    tag = f"pager{next(_n)}"
    made = [make(host, name=f"{tag}-{c}", display_name=f"{tag} {c}") for c in "cab"]
    by_name = sorted(made, key=lambda r: r.group.display_name)
    second = get_groups(host, page=1, per_page=1, opts=rem.GroupSearchOpts(q=tag))
    assert [g.id for g in second.groups] == [by_name[1].group.id]


@pytest.mark.parity(
    "GetGroups",
    f"{GROUP_STORE_GO}: (*SqlGroupStore).GetGroups; "
    "server/public/pluginapi/grpc/server: groupSearchOptsFromProto",
)
def test_get_groups_never_lists_deleted_groups(host: Host) -> None:
    """`filter_archived` does not reach the server: deleted groups are never listed."""
    tag = f"archive{next(_n)}"
    gone = make(host, name=f"{tag}-a").group
    delete(host, gone.id)
    rsp = get_groups(host, per_page=50, opts=rem.GroupSearchOpts(q=tag, filter_archived=True))
    assert not rsp.error.id and list(rsp.groups) == []


@pytest.mark.parity(
    "GetGroups",
    f"{GROUP_STORE_GO}: (*SqlGroupStore).GetGroups; "
    "server/public/pluginapi/grpc/server: groupSearchOptsFromProto",
)
def test_get_groups_allow_reference_filters_only_when_true(host: Host) -> None:
    """`filter_allow_reference` "true" keeps the mentionable groups only; "false" filters
    nothing."""
    tag = f"mention{next(_n)}"
    yes = make(host, name=f"{tag}-y", allow_reference=True).group
    no = make(host, name=f"{tag}-n").group

    def ids(flag: str) -> set[str]:
        opts = rem.GroupSearchOpts(q=tag, filter_allow_reference=flag)
        return {g.id for g in get_groups(host, per_page=50, opts=opts).groups}

    assert ids("true") == {yes.id}
    assert ids("false") == {yes.id, no.id}


@pytest.mark.parity(
    "GetGroups",
    f"{GROUP_STORE_GO}: (*SqlGroupStore).GetGroups; "
    "server/channels/store/sqlstore/utils.go: sanitizeSearchTerm",
)
def test_get_groups_term_is_literal_and_matches_name_or_display_name(host: Host) -> None:
    """The term matches the name or the display name anywhere, in any case; `%` and `_` in it
    are plain characters."""
    tag = f"lit{next(_n)}"
    under = make(host, name=f"{tag}_x", display_name="Plain").group
    make(host, name=f"{tag}ax", display_name="Other")
    shown = make(host, name=f"{tag}-shown", display_name=f"Big {tag.upper()} Crew").group

    def ids(q: str) -> set[str]:
        return {g.id for g in get_groups(host, per_page=50, opts=rem.GroupSearchOpts(q=q)).groups}

    assert ids(f"{tag}_") == {under.id}
    assert shown.id in ids(f"big {tag}")


@pytest.mark.parity(
    "GetGroups",
    f"{GROUP_STORE_GO}: (*SqlGroupStore).GetGroups; "
    "server/public/pluginapi/grpc/server: groupSearchOptsFromProto",
)
def test_get_groups_filter_has_member_finds_nothing(host: Host) -> None:
    """`filter_has_member` true reaches the server as the user id "true", so no group is
    found, whoever is a member."""
    group = make(host, name=f"member{next(_n)}").group
    add_members(host, group.id, host.user("alice"))
    rsp = get_groups(
        host, per_page=50, opts=rem.GroupSearchOpts(q=group.name, filter_has_member=True)
    )
    assert not rsp.error.id and list(rsp.groups) == []


@pytest.mark.parity(
    "UpsertGroupMembers", f"{GROUP_STORE_GO}: (*SqlGroupStore).buildUpsertMembersQuery"
)
def test_upsert_group_members_needs_distinct_ids(host: Host) -> None:
    """An empty list or a user id given twice fails in the one insert: a 500
    `app.update_error`, and nobody is added."""
    group = make(host).group
    bob = host.user("bob")
    assert error(add_members(host, group.id)) == (500, "app.update_error")
    assert error(add_members(host, group.id, bob, bob)) == (500, "app.update_error")
    rsp = host.api.GetGroupMemberUsers(
        rem.GetGroupMemberUsersRequest(group_id=group.id, per_page=10)
    )
    assert list(rsp.users) == []


@pytest.mark.parity("UpsertGroupMembers", f"{GROUP_GO}: (*App).UpsertGroupMembers")
def test_upsert_group_members_tells_each_member(quiet_host: Host) -> None:
    """Every member added gets a `group_member_add` event; all share one `create_at`."""
    host = quiet_host
    group = make(host).group
    rsp = add_members(host, group.id, host.user("alice"), host.user("bob"))
    assert len({m.create_at for m in rsp.group_members}) == 1
    events = host.events("group_member_add")
    assert [e["broadcast"] for e in events] == [
        {"user_id": host.user("alice")},
        {"user_id": host.user("bob")},
    ]


@pytest.mark.parity("GetGroupByRemoteID", f"{GROUP_STORE_GO}: (*SqlGroupStore).GetByRemoteID")
def test_group_by_remote_id_needs_the_source_and_finds_deleted_groups(host: Host) -> None:
    """The remote id and the source must both match (else a 404 `app.group.no_rows`); a
    deleted group is found too."""
    source = f"plugin_remote.id{next(_n)}"
    group = make(host, source=source, remote_id="ext-42").group
    delete(host, group.id)
    with licensed(host):
        found = host.api.GetGroupByRemoteID(
            rem.GetGroupByRemoteIDRequest(remote_id="ext-42", group_source=source)
        )
        other = host.api.GetGroupByRemoteID(
            rem.GetGroupByRemoteIDRequest(remote_id="ext-42", group_source="custom")
        )
    assert found.group.id == group.id and found.group.delete_at > 0
    assert error(other) == (404, "app.group.no_rows")


@pytest.mark.parity(
    ("DeleteGroup", "RestoreGroup"),
    f"{GROUP_STORE_GO}: (*SqlGroupStore).Delete, (*SqlGroupStore).Restore",
)
def test_delete_and_restore_only_change_state_once(host: Host) -> None:
    """Deleting a deleted group or restoring a live one is a 404 `app.group.no_rows`."""
    group = make(host).group
    with licensed(host):
        live = host.api.RestoreGroup(rem.RestoreGroupRequest(group_id=group.id))
        first = host.api.DeleteGroup(rem.DeleteGroupRequest(group_id=group.id))
        again = host.api.DeleteGroup(rem.DeleteGroupRequest(group_id=group.id))
        back = host.api.RestoreGroup(rem.RestoreGroupRequest(group_id=group.id))
    assert error(live) == (404, "app.group.no_rows")
    assert first.group.delete_at > 0 and error(again) == (404, "app.group.no_rows")
    assert back.group.delete_at == 0 and back.group.update_at >= first.group.delete_at


@pytest.mark.parity(("DeleteGroup", "RestoreGroup"), f"{GROUP_GO}: (*App).DeleteGroup")
def test_delete_group_keeps_members_and_tells_clients(quiet_host: Host) -> None:
    """Deleting a group keeps its members and sends `received_group` with the deleted
    group to everyone."""
    host = quiet_host
    user = create(host)
    group = make(host).group
    add_members(host, group.id, user.id)
    delete(host, group.id)
    (event,) = host.events("received_group")
    assert event["broadcast"] == {} and '"delete_at"' in event["data"]["group"]
    mine = host.api.GetGroupsForUser(rem.GetGroupsForUserRequest(user_id=user.id))
    assert [g.id for g in mine.groups] == [group.id]


@pytest.mark.parity(
    ("UpdateGroup", "DeleteGroup", "RestoreGroup"),
    f"{GROUP_GO}: (*App).UpdateGroup, (*App).DeleteGroup, (*App).RestoreGroup",
)
def test_received_group_carries_the_member_count(quiet_host: Host) -> None:
    """`received_group` (after an update, a delete or a restore) carries the group as JSON
    text with its `member_count`, which clients show next to the group's name."""
    host = quiet_host
    group = make(host).group
    add_members(host, group.id, create(host).id, create(host).id)
    group.display_name = "Renamed"
    with licensed(host):
        host.api.UpdateGroup(rem.UpdateGroupRequest(group=group))
        host.api.DeleteGroup(rem.DeleteGroupRequest(group_id=group.id))
        host.api.RestoreGroup(rem.RestoreGroupRequest(group_id=group.id))
    events = host.events("received_group")
    assert len(events) == 3
    for event in events:
        sent = json.loads(event["data"]["group"])
        assert (sent["id"], sent["member_count"]) == (group.id, 2)


@pytest.mark.parity(
    ("UpdateGroup", "DeleteGroup", "RestoreGroup"),
    f"{GROUP_GO}: (*App).UpdateGroup, (*App).DeleteGroup; {MODEL_GROUP_GO}: Group",
)
def test_received_group_is_the_servers_json_of_the_group(quiet_host: Host) -> None:
    """`received_group` carries the group as the server's JSON text: times as numbers, no
    `name` for a group without one and a `remote_id` of null when it has none."""
    host = quiet_host
    group = make(host).group
    nameless = make(host, name="").group
    group.display_name = "Renamed"
    with licensed(host):
        updated = host.api.UpdateGroup(rem.UpdateGroupRequest(group=group)).group
        deleted = host.api.DeleteGroup(rem.DeleteGroupRequest(group_id=nameless.id)).group
    sent, gone = (json.loads(e["data"]["group"]) for e in host.events("received_group"))
    assert sent == {
        "id": group.id, "name": group.name, "display_name": "Renamed", "description": "",
        "source": "custom", "remote_id": None, "create_at": updated.create_at,
        "update_at": updated.update_at, "delete_at": 0, "has_syncables": False,
        "member_count": 0, "allow_reference": False, "member_ids": None,
    }
    assert "name" not in gone and gone["delete_at"] == deleted.delete_at > 0


@pytest.mark.parity(
    ("UpsertGroupMember", "DeleteGroupMember"), f"{GROUP_GO}: (*App).publishGroupMemberEvent"
)
def test_group_member_events_are_the_servers_json_of_the_membership(quiet_host: Host) -> None:
    """`group_member_add` and `group_member_deleted` go to the member with the membership as
    the server's JSON text, its times as numbers."""
    host = quiet_host
    group, bob = make(host).group, host.user("bob")
    with licensed(host):
        added = host.api.UpsertGroupMember(
            rem.UpsertGroupMemberRequest(group_id=group.id, user_id=bob)
        ).group_member
        removed = host.api.DeleteGroupMember(
            rem.DeleteGroupMemberRequest(group_id=group.id, user_id=bob)
        ).group_member
    (add,) = host.events("group_member_add")
    (gone,) = host.events("group_member_deleted")
    assert json.loads(add["data"]["group_member"]) == {
        "group_id": group.id, "user_id": bob, "create_at": added.create_at, "delete_at": 0,
    }
    assert json.loads(gone["data"]["group_member"]) == {
        "group_id": group.id, "user_id": bob, "create_at": added.create_at,
        "delete_at": removed.delete_at,
    }
    assert removed.delete_at > 0 and gone["broadcast"] == {"user_id": bob}


# -- group syncables ----------------------------------------------------------------------


def link(host: Host, group_id: str, syncable_id: str, kind: str, **fields: object) -> object:
    gs = rem.GroupSyncable(
        group_id=group_id,
        syncable_id=syncable_id,
        syncable_type=kind,
        **fields,  # type: ignore[arg-type]
    )
    with licensed(host):
        return host.api.UpsertGroupSyncable(rem.UpsertGroupSyncableRequest(group_syncable=gs))


def read_link(host: Host, group_id: str, syncable_id: str, kind: str) -> object:
    with licensed(host):
        return host.api.GetGroupSyncable(
            rem.GetGroupSyncableRequest(
                group_id=group_id, syncable_id=syncable_id, syncable_type=kind
            )
        )


def unlink(host: Host, group_id: str, syncable_id: str, kind: str) -> object:
    with licensed(host):
        return host.api.DeleteGroupSyncable(
            rem.DeleteGroupSyncableRequest(
                group_id=group_id, syncable_id=syncable_id, syncable_type=kind
            )
        )


def links(host: Host, group_id: str, kind: str) -> list[rem.GroupSyncable]:
    with licensed(host):
        rsp = host.api.GetGroupSyncables(
            rem.GetGroupSyncablesRequest(group_id=group_id, syncable_type=kind)
        )
    assert not rsp.error.id, rsp.error
    return list(rsp.group_syncables)


def new_team(host: Host, *, constrained: bool = False) -> str:
    name = f"gteam{next(_n)}"
    made = host.api.CreateTeam(
        pb.CreateTeamRequest(team=team_pb2.Team(name=name, display_name=name, type=OPEN_TEAM))
    ).team
    if constrained:
        made.group_constrained = True
        made = host.api.UpdateTeam(pb.UpdateTeamRequest(team=made)).team
        assert made.group_constrained
    return str(made.id)


def team_channel(host: Host, team_id: str, **fields: object) -> str:
    name = f"gchan{next(_n)}"
    ch = channel_pb2.Channel(
        team_id=team_id,
        name=name,
        display_name=name,
        type=channel_pb2.CHANNEL_TYPE_OPEN,
        **fields,  # type: ignore[arg-type]
    )
    rsp = host.api.CreateChannel(cp.CreateChannelRequest(channel=ch))
    assert not rsp.HasField("error"), rsp.error
    return str(rsp.channel.id)


@pytest.mark.parity(
    "GetGroupSyncable",
    f"{GROUP_STORE_GO}: (*SqlGroupStore).getGroupSyncable; {GROUP_GO}: (*App).GetGroupSyncable",
)
def test_get_group_syncable_finds_deleted_links_without_scheme_admin(host: Host) -> None:
    """A link is found after it was deleted, and is answered with `scheme_admin` false (the
    store never reads the flag back)."""
    group, team = make(host).group, new_team(host)
    assert link(host, group.id, team, "Team", scheme_admin=True).group_syncable.scheme_admin
    unlink(host, group.id, team, "Team")
    found = read_link(host, group.id, team, "Team")
    assert found.group_syncable.delete_at > 0 and not found.group_syncable.scheme_admin


@pytest.mark.parity("GetGroupSyncable", f"{GROUP_STORE_GO}: (*SqlGroupStore).GetGroupSyncable")
def test_get_group_syncable_of_an_unknown_type_is_404(host: Host) -> None:
    """No link, or a type other than `Team`/`Channel`, is a 404 `app.group.no_rows`."""
    group = make(host).group
    team = host.info.teams["acme"]
    link(host, group.id, team, "Team")
    assert error(read_link(host, group.id, team, "team")) == (404, "app.group.no_rows")
    assert error(read_link(host, group.id, "t" * 26, "Team")) == (404, "app.group.no_rows")


@pytest.mark.parity(
    "GetGroupSyncables", f"{GROUP_STORE_GO}: (*SqlGroupStore).GetAllGroupSyncablesByGroupId"
)
def test_group_syncables_of_an_unknown_type_or_group_are_none(host: Host) -> None:
    """An unknown group or a type other than `Team`/`Channel` has no links (no error); the
    list keeps the scheme_admin flag."""
    group = make(host).group
    link(host, group.id, new_team(host), "Team", scheme_admin=True)
    assert links(host, group.id, "Thing") == [] and links(host, "g" * 26, "Team") == []
    (team_link,) = links(host, group.id, "Team")
    assert team_link.scheme_admin


@pytest.mark.parity("UpsertGroupSyncable", f"{GROUP_GO}: (*App).UpsertGroupSyncable")
def test_linking_a_channel_links_its_team(quiet_host: Host) -> None:
    """Linking a channel links the group to the channel's team too (auto_add as the
    channel's, scheme_admin off), and both links are announced."""
    host = quiet_host
    group, team = make(host).group, new_team(host)
    channel = team_channel(host, team)
    host.emitted.clear()
    link(host, group.id, channel, "Channel", auto_add=True, scheme_admin=True)
    (team_link,) = links(host, group.id, "Team")
    assert (team_link.syncable_id, team_link.auto_add, team_link.scheme_admin) == (
        team,
        True,
        False,
    )
    assert host.events("received_group_associated_to_team")[0]["broadcast"] == {"team_id": team}
    channel_event = host.events("received_group_associated_to_channel")[0]
    assert channel_event["broadcast"] == {"channel_id": channel}
    assert channel_event["data"] == {"group_id": group.id}


@pytest.mark.parity("UpsertGroupSyncable", f"{GROUP_GO}: (*App).UpsertGroupSyncable")
def test_linking_a_channel_of_a_constrained_team_needs_the_team_link(host: Host) -> None:
    """In a group-constrained team a channel can be linked only to a group already linked
    to the team: otherwise a 400 `group_not_associated_to_synced_team`."""
    group, team = make(host).group, new_team(host, constrained=True)
    channel = team_channel(host, team)
    assert error(link(host, group.id, channel, "Channel")) == (
        400,
        "group_not_associated_to_synced_team",
    )
    link(host, group.id, team, "Team")
    assert not link(host, group.id, channel, "Channel").error.id


@pytest.mark.parity(
    "UpsertGroupSyncable",
    f"{GROUP_GO}: (*App).UpsertGroupSyncable; "
    f"{GROUP_STORE_GO}: (*SqlGroupStore).CreateGroupSyncable; "
    "server/public/model/group_syncable.go: (*GroupSyncable).IsValid",
)
def test_upsert_group_syncable_errors(host: Host) -> None:
    """A malformed id is a 400 `model.group_syncable.<group_id|syncable_id>.app_error`; an
    unknown team a 404 `store.sql_channel.get.existing.app_error`, an unknown channel a 404
    `app.channel.get.existing.app_error`, an unknown type a 500 `app.insert_error`."""
    group = make(host).group
    team = host.info.teams["acme"]
    assert error(link(host, "nope", team, "Team")) == (
        400,
        "model.group_syncable.group_id.app_error",
    )
    assert error(link(host, group.id, "nope", "Team")) == (
        400,
        "model.group_syncable.syncable_id.app_error",
    )
    assert error(link(host, group.id, "t" * 26, "Team")) == (
        404,
        "store.sql_channel.get.existing.app_error",
    )
    assert error(link(host, group.id, "c" * 26, "Channel")) == (
        404,
        "app.channel.get.existing.app_error",
    )
    assert error(link(host, group.id, team, "team")) == (500, "app.insert_error")


@pytest.mark.parity(
    "UpsertGroupSyncable", f"{GROUP_STORE_GO}: (*SqlGroupStore).UpdateGroupSyncable"
)
def test_upserting_a_deleted_link_brings_it_back(host: Host) -> None:
    """Upserting a link that was deleted makes it live again with its first `create_at`."""
    group, team = make(host).group, new_team(host)
    first = link(host, group.id, team, "Team").group_syncable
    unlink(host, group.id, team, "Team")
    again = link(host, group.id, team, "Team").group_syncable
    assert again.delete_at == 0 and again.create_at == first.create_at
    assert [s.syncable_id for s in links(host, group.id, "Team")] == [team]


def update_link(host: Host, gs: rem.GroupSyncable) -> rem.UpdateGroupSyncableResponse:
    with licensed(host):
        return host.api.UpdateGroupSyncable(rem.UpdateGroupSyncableRequest(group_syncable=gs))


@pytest.mark.parity(
    "UpdateGroupSyncable",
    f"{GROUP_GO}: (*App).UpdateGroupSyncable; "
    f"{GROUP_STORE_GO}: (*SqlGroupStore).UpdateGroupSyncable",
)
def test_update_group_syncable_of_a_missing_link_is_a_500(host: Host) -> None:
    """Updating a link that does not exist is a 500 `app.update_error` (not a 404)."""
    group = make(host).group
    gs = rem.GroupSyncable(group_id=group.id, syncable_id="t" * 26, syncable_type="Team")
    assert error(update_link(host, gs)) == (500, "app.update_error")


@pytest.mark.parity(
    "UpdateGroupSyncable", f"{GROUP_STORE_GO}: (*SqlGroupStore).UpdateGroupSyncable"
)
def test_update_group_syncable_revives_a_deleted_link_silently(quiet_host: Host) -> None:
    """With `delete_at` 0 an update brings a deleted link back with the given flags, and
    sends no event."""
    host = quiet_host
    group, team = make(host).group, new_team(host)
    link(host, group.id, team, "Team")
    unlink(host, group.id, team, "Team")
    host.emitted.clear()
    gs = rem.GroupSyncable(group_id=group.id, syncable_id=team, syncable_type="Team", auto_add=True)
    rsp = update_link(host, gs)
    assert not rsp.error.id and rsp.group_syncable.auto_add
    assert [s.syncable_id for s in links(host, group.id, "Team")] == [team]
    assert host.emitted == []


@pytest.mark.parity(
    "UpdateGroupSyncable", f"{GROUP_STORE_GO}: (*SqlGroupStore).UpdateGroupSyncable"
)
def test_update_group_syncable_cannot_set_another_delete_at(host: Host) -> None:
    """A `delete_at` other than 0 or the stored one is a 500 `app.update_error`: links are
    deleted with DeleteGroupSyncable."""
    group, team = make(host).group, new_team(host)
    link(host, group.id, team, "Team")
    gs = rem.GroupSyncable(
        group_id=group.id, syncable_id=team, syncable_type="Team", delete_at=12345
    )
    assert error(update_link(host, gs)) == (500, "app.update_error")


@pytest.mark.parity(
    "DeleteGroupSyncable",
    f"{GROUP_GO}: (*App).DeleteGroupSyncable; "
    f"{GROUP_STORE_GO}: (*SqlGroupStore).DeleteGroupSyncable",
)
def test_delete_group_syncable_twice_is_a_400(host: Host) -> None:
    """Deleting a deleted link is a 400 `app.group.group_syncable_already_deleted`; a link
    that never existed a 404 `app.group.no_rows`."""
    group, team = make(host).group, new_team(host)
    link(host, group.id, team, "Team")
    assert not unlink(host, group.id, team, "Team").error.id
    assert error(unlink(host, group.id, team, "Team")) == (
        400,
        "app.group.group_syncable_already_deleted",
    )
    assert error(unlink(host, group.id, "t" * 26, "Team")) == (404, "app.group.no_rows")


@pytest.mark.parity("DeleteGroupSyncable", f"{GROUP_GO}: (*App).DeleteGroupSyncable")
def test_unlinking_a_team_unlinks_the_groups_channels(quiet_host: Host) -> None:
    """Deleting a group's team link deletes all its channel links as well, and announces the
    team's."""
    host = quiet_host
    group, team = make(host).group, new_team(host)
    link(host, group.id, team_channel(host, team), "Channel")
    host.emitted.clear()
    unlink(host, group.id, team, "Team")
    assert links(host, group.id, "Channel") == []
    (event,) = host.events("received_group_not_associated_to_team")
    assert event["broadcast"] == {"team_id": team}


@pytest.mark.parity("DeleteGroupSyncable", f"{GROUP_GO}: (*App).DeleteGroupSyncable")
def test_unlinking_a_channel_tells_the_channel(quiet_host: Host) -> None:
    """Deleting a group's channel link sends `received_group_not_associated_to_channel` with
    the group id to the channel; the channel links a team unlink deletes send nothing."""
    host = quiet_host
    group, team = make(host).group, new_team(host)
    first, second = team_channel(host, team), team_channel(host, team)
    link(host, group.id, first, "Channel")
    link(host, group.id, second, "Channel")
    host.emitted.clear()
    unlink(host, group.id, first, "Channel")
    unlink(host, group.id, team, "Team")
    (event,) = host.events("received_group_not_associated_to_channel")
    assert event["broadcast"] == {"channel_id": first}
    assert event["data"] == {"group_id": group.id}


# -- memberships driven by syncables -------------------------------------------------------


def default_memberships(host: Host, **params: object) -> object:
    with licensed(host):
        return host.api.CreateDefaultSyncableMemberships(
            rem.CreateDefaultSyncableMembershipsRequest(
                params=rem.CreateDefaultMembershipParams(**params)  # type: ignore[arg-type]
            )
        )


def team_members(host: Host, team_id: str) -> set[str]:
    rsp = host.api.GetTeamMembers(pb.GetTeamMembersRequest(team_id=team_id, per_page=200))
    return {m.user_id for m in rsp.team_members}


def channel_members(host: Host, channel_id: str) -> set[str]:
    rsp = host.api.GetChannelMembers(
        cp.GetChannelMembersRequest(channel_id=channel_id, per_page=200)
    )
    return {m.user_id for m in rsp.channel_members}


@pytest.mark.parity(
    "CreateDefaultSyncableMemberships",
    "server/channels/app/syncables.go: (*App).createDefaultChannelMemberships",
)
def test_default_memberships_put_channel_members_on_the_team_first(host: Host) -> None:
    """A group member who is not on an auto-add channel's team joins the team, then the
    channel."""
    group, team = make(host).group, new_team(host)
    channel = team_channel(host, team)
    user = create(host)
    add_members(host, group.id, user.id)
    link(host, group.id, channel, "Channel", auto_add=True)
    # the team link made with it adds people too: switch it off, only the channel adds
    team_link = rem.GroupSyncable(group_id=group.id, syncable_id=team, syncable_type="Team")
    assert not update_link(host, team_link).error.id
    assert not default_memberships(host).error.id
    assert user.id in team_members(host, team) and user.id in channel_members(host, channel)


@pytest.mark.parity(
    "CreateDefaultSyncableMemberships",
    f"{GROUP_STORE_GO}: (*SqlGroupStore).TeamMembersToAdd",
)
def test_default_memberships_re_add_only_when_asked(host: Host) -> None:
    """Someone who left an auto-add team is added back only with `re_add_removed_members`;
    `since` is then ignored."""
    group, team = make(host).group, new_team(host)
    user = create(host)
    add_members(host, group.id, user.id)
    link(host, group.id, team, "Team", auto_add=True)
    default_memberships(host, scope_teams=True)
    host.api.DeleteTeamMember(pb.DeleteTeamMemberRequest(team_id=team, user_id=user.id))
    default_memberships(host, scope_teams=True)
    assert user.id not in team_members(host, team)
    future = host.store.now_ms() + 10**9
    default_memberships(host, scope_teams=True, re_add_removed_members=True, since=future)
    assert user.id in team_members(host, team)


@pytest.mark.parity(
    "DeleteGroupConstrainedMemberships",
    "server/channels/app/syncables.go: (*App).DeleteGroupConstrainedChannelMemberships; "
    "server/channels/app/channel.go: (*App).RemoveUserFromChannel",
)
def test_constrained_channel_removal_is_by_nobody(quiet_host: Host) -> None:
    """A member of a group-constrained channel in none of its groups is removed by nobody:
    UserHasLeftChannel has no actor and `user_removed` names remover "" (bots stay)."""
    host = quiet_host
    group = make(host).group
    ch = team_channel(host, host.info.teams["acme"])
    host.api.AddChannelMember(cp.AddChannelMemberRequest(channel_id=ch, user_id=host.user("bob")))
    host.api.AddChannelMember(
        cp.AddChannelMemberRequest(channel_id=ch, user_id=host.user("helper-bot"))
    )
    # members from before the constraint (a constrained channel takes only group members)
    constrained = host.api.GetChannel(cp.GetChannelRequest(channel_id=ch)).channel
    constrained.group_constrained = True
    assert not host.api.UpdateChannel(cp.UpdateChannelRequest(channel=constrained)).error.id
    link(host, group.id, ch, "Channel")
    host.hooks.fired.clear()
    host.emitted.clear()
    with licensed(host):
        rsp = host.api.DeleteGroupConstrainedMemberships(
            rem.DeleteGroupConstrainedMembershipsRequest()
        )
    assert not rsp.error.id
    assert host.user("bob") not in channel_members(host, ch)
    assert host.user("helper-bot") in channel_members(host, ch)
    (left,) = host.hooks.named("UserHasLeftChannel")
    assert left.channel_member.user_id == host.user("bob") and not left.HasField("actor")
    removed = host.events("user_removed")
    assert {e["data"]["remover_id"] for e in removed} == {""}
