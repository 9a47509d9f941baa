"""Permission checks from the world's roles and memberships."""

from __future__ import annotations

from worldhost import Host

from mmplug.protocol import api_remaining_pb2 as rem
from mmplug.protocol import api_user_team_pb2 as pb


def system(host: Host, user: str, permission: str) -> bool:
    req = pb.HasPermissionToRequest(user_id=host.user(user), permission_id=permission)
    return host.api.HasPermissionTo(req).has_permission


def team(host: Host, user: str, permission: str, team_name: str = "acme") -> bool:
    req = pb.HasPermissionToTeamRequest(
        user_id=host.user(user), team_id=host.info.teams[team_name], permission_id=permission
    )
    return host.api.HasPermissionToTeam(req).has_permission


def channel(host: Host, user: str, channel_name: str, permission: str) -> bool:
    req = pb.HasPermissionToChannelRequest(
        user_id=host.user(user),
        channel_id=host.info.channels[channel_name],
        permission_id=permission,
    )
    return host.api.HasPermissionToChannel(req).has_permission


def test_system_admin_has_every_permission(host: Host) -> None:
    assert system(host, "admin", "manage_system")
    assert system(host, "admin", "some_permission_nobody_defined")


def test_system_user_has_only_its_role_permissions(host: Host) -> None:
    assert system(host, "alice", "create_team")
    assert not system(host, "alice", "manage_system")


def test_unknown_user_has_no_permission(host: Host) -> None:
    req = pb.HasPermissionToRequest(user_id="x" * 26, permission_id="create_team")
    rsp = host.api.HasPermissionTo(req)
    assert not rsp.has_permission and not rsp.error.id


def test_team_roles_come_from_membership(host: Host) -> None:
    assert team(host, "alice", "view_team")
    assert not team(host, "alice", "manage_team")
    assert team(host, "admin", "manage_team")


def test_team_check_falls_back_to_system_roles(host: Host) -> None:
    assert team(host, "alice", "create_team")


def test_non_member_has_no_team_permission(host: Host) -> None:
    req = pb.HasPermissionToTeamRequest(
        user_id=host.user("alice"), team_id="x" * 26, permission_id="view_team"
    )
    assert not host.api.HasPermissionToTeam(req).has_permission


def test_channel_roles_come_from_membership(host: Host) -> None:
    assert channel(host, "alice", "secret-plans", "create_post")
    assert not channel(host, "bob", "secret-plans", "read_channel")
    assert channel(host, "admin", "secret-plans", "manage_channel_roles")
    assert not channel(host, "alice", "secret-plans", "manage_channel_roles")


def test_channel_check_falls_back_to_team_then_system(host: Host) -> None:
    assert channel(host, "bob", "secret-plans", "join_public_channels")  # team_user
    assert channel(host, "bob", "secret-plans", "create_team")  # system_user


def test_direct_channel_falls_back_to_system_roles(host: Host) -> None:
    assert channel(host, "alice", "alice__bob", "read_channel")
    assert channel(host, "admin", "alice__bob", "manage_channel_roles")  # system_admin: all
    assert not channel(host, "bob", "admin__alice__bob", "manage_channel_roles")


def test_roles_grant_permission(host: Host) -> None:
    def grants(roles: list[str], permission: str) -> bool:
        req = rem.RolesGrantPermissionRequest(role_names=roles, permission_id=permission)
        return host.api.RolesGrantPermission(req).has_permission

    assert grants(["team_user", "channel_user"], "create_post")
    assert not grants(["team_user"], "manage_system")
    assert grants(["system_admin"], "manage_system")
    assert not grants([], "create_post")
