"""Server parity of permission checks: HasPermissionTo, HasPermissionToTeam,
HasPermissionToChannel, RolesGrantPermission."""

from __future__ import annotations

import pytest
from worldhost import Host

from mmplug.protocol import api_remaining_pb2 as rem
from mmplug.protocol import api_user_team_pb2 as pb

AUTH = "server/channels/app/authorization.go"
UNKNOWN = "x" * 26


def _system(host: Host, user_id: str, permission: str) -> pb.HasPermissionToResponse:
    rsp: pb.HasPermissionToResponse = host.api.HasPermissionTo(
        pb.HasPermissionToRequest(user_id=user_id, permission_id=permission)
    )
    return rsp


def _team(host: Host, user_id: str, team_id: str, permission: str) -> bool:
    rsp = host.api.HasPermissionToTeam(
        pb.HasPermissionToTeamRequest(user_id=user_id, team_id=team_id, permission_id=permission)
    )
    assert not rsp.error.id
    return bool(rsp.has_permission)


def _channel(host: Host, user_id: str, channel_id: str, permission: str) -> bool:
    rsp = host.api.HasPermissionToChannel(
        pb.HasPermissionToChannelRequest(
            user_id=user_id, channel_id=channel_id, permission_id=permission
        )
    )
    assert not rsp.error.id
    return bool(rsp.has_permission)


@pytest.mark.parity("HasPermissionTo", AUTH + ": (*App).HasPermissionTo")
def test_unknown_user_has_no_permission_and_no_error(host: Host) -> None:
    """An unknown user simply has no permission: false, not an error."""
    rsp = _system(host, UNKNOWN, "create_team")
    assert not rsp.has_permission and not rsp.error.id


@pytest.mark.parity("HasPermissionTo", AUTH + ": (*App).HasPermissionTo, RolesGrantPermission")
def test_system_permission_comes_from_the_users_roles(host: Host) -> None:
    """HasPermissionTo checks only the user's system roles."""
    assert _system(host, host.user("alice"), "create_team").has_permission
    assert not _system(host, host.user("alice"), "manage_system").has_permission
    assert not _system(host, host.user("alice"), "view_team").has_permission  # a team role's


@pytest.mark.parity("HasPermissionToTeam", AUTH + ": (*App).HasPermissionToTeam")
def test_team_permission_with_no_team_is_false_even_for_an_admin(host: Host) -> None:
    """An empty team id is always false, before any role is looked at."""
    assert not _team(host, host.user("admin"), "", "manage_system")


@pytest.mark.parity("HasPermissionToTeam", AUTH + ": (*App).HasPermissionToTeam")
def test_team_permission_from_membership_then_system_roles(host: Host) -> None:
    """The team member's roles (scheme_admin gives team_admin) are checked first, then the
    user's system roles."""
    acme = host.info.teams["acme"]
    assert _team(host, host.user("admin"), acme, "manage_team")  # team admin of acme
    assert not _team(host, host.user("alice"), acme, "manage_team")
    assert _team(host, host.user("alice"), acme, "view_team")
    assert _team(host, host.user("alice"), UNKNOWN, "create_team")  # system role, no member


@pytest.mark.parity("HasPermissionToChannel", AUTH + ": (*App).HasPermissionToChannel")
def test_channel_permission_with_no_channel_is_false(host: Host) -> None:
    """An empty channel id is always false, even for a system admin."""
    assert not _channel(host, host.user("admin"), "", "manage_system")


@pytest.mark.parity("HasPermissionToChannel", AUTH + ": (*App).HasPermissionToChannel")
def test_channel_permission_falls_back_to_the_team(host: Host) -> None:
    """A non-member of a team channel still gets what their team roles give."""
    secret = host.info.channels["secret-plans"]
    bob = host.user("bob")  # on the team, not in the private channel
    assert not _channel(host, bob, secret, "create_post")
    assert _channel(host, bob, secret, "view_team")
    assert _channel(host, host.user("alice"), secret, "create_post")  # a member


@pytest.mark.parity("HasPermissionToChannel", AUTH + ": (*App).HasPermissionToChannel")
def test_channel_permission_of_an_unknown_channel_uses_system_roles(host: Host) -> None:
    """For a channel that does not exist, only the user's system roles count."""
    assert _channel(host, host.user("alice"), UNKNOWN, "create_team")
    assert not _channel(host, host.user("alice"), UNKNOWN, "view_team")


@pytest.mark.parity("RolesGrantPermission", AUTH + ": (*App).RolesGrantPermission")
def test_roles_grant_permission_if_any_listed_role_has_it(host: Host) -> None:
    """True when any of the named roles lists the permission; unknown role names are
    ignored, and no role at all grants nothing."""

    def grants(roles: list[str], permission: str) -> bool:
        req = rem.RolesGrantPermissionRequest(role_names=roles, permission_id=permission)
        return bool(host.api.RolesGrantPermission(req).has_permission)

    assert grants(["no_such_role", "team_user"], "view_team")
    assert not grants(["no_such_role"], "view_team")
    assert not grants([], "view_team")
    assert not grants(["team_user"], "manage_team")
