"""Server parity of the group rpcs (groups.py, group_syncables.py)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from test_parity_users import create, error
from worldhost import Host

from mmplug.protocol import api_remaining_pb2 as rem
from mmplug.protocol import api_user_team_pb2 as pb

_n = itertools.count()
GROUP_GO = "server/channels/app/group.go"
PLUGIN_API_GO = "server/channels/app/plugin_api.go"
GROUP_STORE_GO = "server/channels/store/sqlstore/group_store.go"
MODEL_GROUP_GO = "server/public/model/group.go"


@contextmanager
def licensed(host: Host) -> Iterator[None]:
    """A license with LDAP groups for the duration of the block."""
    server = dict(host.store.get_meta("server") or {})
    host.store.set_meta("server", {**server, "license": {"features": {"ldap_groups": True}}})
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
