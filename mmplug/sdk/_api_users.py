"""Hand-written user, team and permission methods (entities from dicts or keyword fields,
search options as keywords, permissions as ``bool``).

Each function returns a ``Call``; scripts/gen_sdk.py makes it a method of both API clients.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._convert import entity
from ._core import Call, call, handwritten
from .model import Status, Team, TeamMember, User


def _user(response: Any) -> User:
    return User.from_proto(response.user)


def _users(response: Any) -> list[User]:
    return [User.from_proto(u) for u in response.users]


def _team(response: Any) -> Team:
    return Team.from_proto(response.team)


def _team_member(response: Any) -> TeamMember:
    return TeamMember.from_proto(response.team_member)


def _status(response: Any) -> Status:
    return Status.from_proto(response.status)


def _allowed(response: Any) -> bool:
    return bool(response.has_permission)


# -- users -----------------------------------------------------------------------------------
@handwritten("GetUserByUsername")
def get_user_by_username(username: str) -> Call[User]:
    """The user called ``username``."""
    return call("GetUserByUsername", _user, name=username)


@handwritten("CreateUser")
def create_user(user: User | Mapping[str, Any] | None = None, **fields: Any) -> Call[User]:
    """Create a user from a User, a dict and/or fields (``username=..., email=...``)."""
    return call("CreateUser", _user, user=entity("User", user, **fields))


@handwritten("GetUsers")
def get_users(page: int = 0, per_page: int = 100, **options: Any) -> Call[list[User]]:
    """Users matching GetUsers options (``in_team_id=``, ``in_channel_id=``, ...)."""
    return call("GetUsers", _users, page=page, per_page=per_page, **options)


@handwritten("GetUsersInTeam")
def get_users_in_team(team_id: str, page: int = 0, per_page: int = 100) -> Call[list[User]]:
    """A page of the team's members, as users."""
    return call("GetUsersInTeam", _users, team_id=team_id, page=page, per_page=per_page)


@handwritten("GetUsersInChannel")
def get_users_in_channel(
    channel_id: str, sort_by: str = "username", page: int = 0, per_page: int = 100
) -> Call[list[User]]:
    """Members of a channel, sorted by ``"username"`` or ``"status"``."""
    return call("GetUsersInChannel", _users, channel_id=channel_id, sort_by=sort_by, page=page,
                per_page=per_page)


@handwritten("SearchUsers")
def search_users(term: str, limit: int = 100, **options: Any) -> Call[list[User]]:
    """Users matching ``term`` (username, names, nickname, email), with UserSearchOptions
    filters as keywords (``team_id=``, ``in_channel_id=``, ``allow_inactive=``, ...)."""
    return call("SearchUsers", _users, term=term, limit=limit, **options)


@handwritten("UpdateUserStatus")
def update_user_status(user_id: str, status: str) -> Call[Status]:
    """Set ``"online"``, ``"away"``, ``"dnd"`` or ``"offline"``; returns the new status."""
    return call("UpdateUserStatus", _status, user_id=user_id, status=status)


# -- permissions -----------------------------------------------------------------------------
@handwritten("HasPermissionTo")
def has_permission_to(user_id: str, permission_id: str) -> Call[bool]:
    """Whether the user has a system-wide permission (``"manage_system"``, ...)."""
    return call("HasPermissionTo", _allowed, user_id=user_id, permission_id=permission_id)


@handwritten("HasPermissionToTeam")
def has_permission_to_team(user_id: str, team_id: str, permission_id: str) -> Call[bool]:
    """Whether the user has a permission in the team."""
    return call("HasPermissionToTeam", _allowed, user_id=user_id, team_id=team_id,
                permission_id=permission_id)


@handwritten("HasPermissionToChannel")
def has_permission_to_channel(user_id: str, channel_id: str, permission_id: str) -> Call[bool]:
    """Whether the user has a permission in the channel."""
    return call("HasPermissionToChannel", _allowed, user_id=user_id, channel_id=channel_id,
                permission_id=permission_id)


# -- teams -----------------------------------------------------------------------------------
@handwritten("CreateTeam")
def create_team(team: Team | Mapping[str, Any] | None = None, **fields: Any) -> Call[Team]:
    """Create a team from a Team, a dict and/or fields (``type="I"`` for invite-only)."""
    return call("CreateTeam", _team, team=entity("Team", team, **fields))


@handwritten("CreateTeamMember")
def create_team_member(team_id: str, user_id: str) -> Call[TeamMember]:
    """Add the user to the team."""
    return call("CreateTeamMember", _team_member, team_id=team_id, user_id=user_id)
