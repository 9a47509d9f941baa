"""Groups over real gRPC: CRUD, lookups, members, syncables and the memberships they drive."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from apiworld import World

from mmplug.protocol import api_channel_post_pb2 as cp
from mmplug.protocol import api_remaining_pb2 as rem
from mmplug.protocol import api_user_team_pb2 as ut
from mmplug.protocol import channel_pb2


@pytest.fixture(autouse=True)
def licensed(world: World) -> Iterator[None]:
    """Group changes need a license with LDAP groups (as on the server)."""
    server = dict(world.store.get_meta("server") or {})
    world.store.set_meta("server", {**server, "license": {"features": {"ldap_groups": True}}})
    yield
    world.store.set_meta("server", server)


def make(world: World, **fields: object) -> rem.CreateGroupResponse:
    name = world.unique("grp-")
    values = {
        "name": name,
        "display_name": name.upper(),
        "source": "custom",
        "allow_reference": True,
        **fields,
    }
    return world.api.CreateGroup(rem.CreateGroupRequest(group=rem.Group(**values)))  # type: ignore[arg-type]


def test_create_and_look_up_a_group(world: World) -> None:
    group = make(world).group
    assert len(group.id) == 26 and group.create_at > 0
    assert world.api.GetGroup(rem.GetGroupRequest(group_id=group.id)).group == group
    by_name = world.api.GetGroupByName(rem.GetGroupByNameRequest(name=group.name))
    assert by_name.group.id == group.id
    ldap = make(world, source="ldap", remote_id="cn=devs", allow_reference=False).group
    by_remote = world.api.GetGroupByRemoteID(
        rem.GetGroupByRemoteIDRequest(remote_id="cn=devs", group_source="ldap")
    )
    assert by_remote.group.id == ldap.id
    ldaps = world.api.GetGroupsBySource(rem.GetGroupsBySourceRequest(group_source="ldap"))
    assert [g.id for g in ldaps.groups] == [ldap.id]


def test_invalid_and_duplicate_groups(world: World) -> None:
    assert make(world, display_name="").error.id == "model.group.display_name.app_error"
    assert make(world, source="smoke").error.id == "model.group.source.app_error"
    assert make(world, name="Bad Name").error.id == "model.group.name.invalid_chars.app_error"
    assert make(world, source="ldap").error.id == "model.group.remote_id.app_error"
    first = make(world).group
    taken = make(world, name=first.name).error  # the server's insert fails: a 500
    assert (taken.status_code, taken.id) == (500, "app.insert_error")
    assert make(world, name="alice").error.id == "app.group.username_conflict"
    missing = world.api.GetGroup(rem.GetGroupRequest(group_id=world.users["alice"]))
    assert missing.error.id == "app.group.no_rows" and missing.error.status_code == 404


def test_update_delete_restore(world: World) -> None:
    group = make(world).group
    group.display_name = "Renamed"
    assert world.api.UpdateGroup(rem.UpdateGroupRequest(group=group)).group.display_name == (
        "Renamed"
    )
    deleted = world.api.DeleteGroup(rem.DeleteGroupRequest(group_id=group.id)).group
    assert deleted.delete_at > 0
    assert world.api.GetGroup(rem.GetGroupRequest(group_id=group.id)).group.delete_at > 0
    listed = world.api.GetGroups(rem.GetGroupsRequest(per_page=200))
    assert group.id not in [g.id for g in listed.groups]
    restored = world.api.RestoreGroup(rem.RestoreGroupRequest(group_id=group.id)).group
    assert restored.delete_at == 0
    again = world.api.RestoreGroup(rem.RestoreGroupRequest(group_id=group.id))
    assert again.error.status_code == 404


def test_members_are_added_listed_and_removed(world: World) -> None:
    group = make(world).group
    rsp = world.api.UpsertGroupMembers(
        rem.UpsertGroupMembersRequest(
            group_id=group.id, user_ids=[world.users["carol"], world.users["dave"]]
        )
    )
    assert len(rsp.group_members) == 2
    users = world.api.GetGroupMemberUsers(
        rem.GetGroupMemberUsersRequest(group_id=group.id, per_page=50)
    )
    assert [u.username for u in users.users] == ["carol", "dave"]
    mine = world.api.GetGroupsForUser(rem.GetGroupsForUserRequest(user_id=world.users["carol"]))
    assert group.id in [g.id for g in mine.groups]
    gone = world.api.DeleteGroupMember(
        rem.DeleteGroupMemberRequest(group_id=group.id, user_id=world.users["carol"])
    )
    assert gone.group_member.delete_at > 0
    users = world.api.GetGroupMemberUsers(
        rem.GetGroupMemberUsersRequest(group_id=group.id, per_page=50)
    )
    assert [u.username for u in users.users] == ["dave"]
    twice = world.api.DeleteGroupMember(
        rem.DeleteGroupMemberRequest(group_id=group.id, user_id=world.users["carol"])
    )
    assert twice.error.status_code == 404


def test_search_groups_by_term(world: World) -> None:
    group = make(world, display_name="Zeppelin Crew").group
    found = world.api.GetGroups(rem.GetGroupsRequest(opts=rem.GroupSearchOpts(q="zeppelin")))
    assert [g.id for g in found.groups] == [group.id]


def test_syncables_link_teams_and_channels(world: World) -> None:
    group = make(world).group
    channel = world.channels["off-topic"]
    gs = rem.GroupSyncable(
        group_id=group.id, syncable_id=channel, syncable_type="Channel", auto_add=True
    )
    made = world.api.UpsertGroupSyncable(rem.UpsertGroupSyncableRequest(group_syncable=gs))
    assert made.group_syncable.create_at > 0
    teams = world.api.GetGroupSyncables(
        rem.GetGroupSyncablesRequest(group_id=group.id, syncable_type="Team")
    )
    assert [s.syncable_id for s in teams.group_syncables] == [world.team_id]
    gs.auto_add = False
    upd = world.api.UpdateGroupSyncable(rem.UpdateGroupSyncableRequest(group_syncable=gs))
    assert not upd.group_syncable.auto_add
    world.api.DeleteGroupSyncable(
        rem.DeleteGroupSyncableRequest(
            group_id=group.id, syncable_id=channel, syncable_type="Channel"
        )
    )
    gone = world.api.GetGroupSyncable(
        rem.GetGroupSyncableRequest(group_id=group.id, syncable_id=channel, syncable_type="Channel")
    )
    assert gone.group_syncable.delete_at > 0  # a deleted link is still found
    left = world.api.GetGroupSyncables(
        rem.GetGroupSyncablesRequest(group_id=group.id, syncable_type="Channel")
    )
    assert list(left.group_syncables) == []
    odd = world.api.GetGroupSyncables(
        rem.GetGroupSyncablesRequest(group_id=group.id, syncable_type="Thing")
    )
    assert not odd.error.id and list(odd.group_syncables) == []


def test_default_memberships_add_group_members_to_auto_add_channels(world: World) -> None:
    ch = world.api.CreateChannel(
        cp.CreateChannelRequest(
            channel=channel_pb2.Channel(
                team_id=world.team_id,
                name=world.unique("synced-"),
                display_name="S",
                type=channel_pb2.CHANNEL_TYPE_OPEN,
            )
        )
    ).channel
    group = make(world).group
    world.api.UpsertGroupMember(
        rem.UpsertGroupMemberRequest(group_id=group.id, user_id=world.users["dave"])
    )
    world.api.UpsertGroupSyncable(
        rem.UpsertGroupSyncableRequest(
            group_syncable=rem.GroupSyncable(
                group_id=group.id, syncable_id=ch.id, syncable_type="Channel", auto_add=True
            )
        )
    )
    world.api.CreateDefaultSyncableMemberships(
        rem.CreateDefaultSyncableMembershipsRequest(
            params=rem.CreateDefaultMembershipParams(scope_channels=True)
        )
    )
    member = world.api.GetChannelMember(
        cp.GetChannelMemberRequest(channel_id=ch.id, user_id=world.users["dave"])
    )
    assert not member.HasField("error")
    (joined,) = world.hooks.named("UserHasJoinedChannel")
    assert joined.channel_member.user_id == world.users["dave"]


def test_constrained_channel_loses_members_outside_its_groups(world: World) -> None:
    ch = world.api.CreateChannel(
        cp.CreateChannelRequest(
            channel=channel_pb2.Channel(
                team_id=world.team_id,
                name=world.unique("constrained-"),
                display_name="C",
                type=channel_pb2.CHANNEL_TYPE_PRIVATE,
            )
        )
    ).channel
    for name in ("alice", "bob"):
        world.api.AddChannelMember(
            cp.AddChannelMemberRequest(channel_id=ch.id, user_id=world.users[name])
        )
    # constrained after they joined: a constrained channel takes only its groups' members
    ch.group_constrained = True
    ch = world.api.UpdateChannel(cp.UpdateChannelRequest(channel=ch)).channel
    group = make(world).group
    world.api.UpsertGroupMember(
        rem.UpsertGroupMemberRequest(group_id=group.id, user_id=world.users["alice"])
    )
    world.api.UpsertGroupSyncable(
        rem.UpsertGroupSyncableRequest(
            group_syncable=rem.GroupSyncable(
                group_id=group.id, syncable_id=ch.id, syncable_type="Channel"
            )
        )
    )
    world.hooks.reset()
    world.api.DeleteGroupConstrainedMemberships(rem.DeleteGroupConstrainedMembershipsRequest())
    members = world.api.GetChannelMembers(
        cp.GetChannelMembersRequest(channel_id=ch.id, per_page=100)
    )
    assert [m.user_id for m in members.channel_members] == [world.users["alice"]]
    (left,) = world.hooks.named("UserHasLeftChannel")
    assert left.channel_member.user_id == world.users["bob"]
    team = world.api.GetTeamMember(
        ut.GetTeamMemberRequest(team_id=world.team_id, user_id=world.users["bob"])
    )
    assert not team.HasField("error")
