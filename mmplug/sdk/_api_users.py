"""User and team methods of the API client."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ._api_base import APIBase
from ._convert import entity

if TYPE_CHECKING:
    from mmplug.protocol.api_user_team_pb2 import Status
    from mmplug.protocol.team_pb2 import Team, TeamMember
    from mmplug.protocol.user_pb2 import User


class UsersMixin(APIBase):
    # -- users -----------------------------------------------------------------------------
    def get_user(self, user_id: str) -> User:
        user: User = self._call("GetUser", user_id=user_id).user
        return user

    def get_user_by_username(self, username: str) -> User:
        user: User = self._call("GetUserByUsername", name=username).user
        return user

    def get_user_by_email(self, email: str) -> User:
        user: User = self._call("GetUserByEmail", email=email).user
        return user

    def create_user(self, user: User | Mapping[str, Any] | None = None, **fields: Any) -> User:
        """Create a user from a User, a dict and/or fields (``username=..., email=...``)."""
        created: User = self._call("CreateUser", user=entity("User", user, **fields)).user
        return created

    def update_user(self, user: User | Mapping[str, Any]) -> User:
        updated: User = self._call("UpdateUser", user=entity("User", user)).user
        return updated

    def get_users(self, page: int = 0, per_page: int = 100, **options: Any) -> list[User]:
        """Users matching GetUsers options (``in_team_id=``, ``in_channel_id=``, ...)."""
        return list(self._call("GetUsers", page=page, per_page=per_page, **options).users)

    def get_users_in_team(self, team_id: str, page: int = 0, per_page: int = 100) -> list[User]:
        return self._list("GetUsersInTeam", "users", team_id=team_id, page=page,
                          per_page=per_page)

    def get_users_in_channel(
        self, channel_id: str, sort_by: str = "username", page: int = 0, per_page: int = 100
    ) -> list[User]:
        """Members of a channel, sorted by ``"username"`` or ``"status"``."""
        return self._list("GetUsersInChannel", "users", channel_id=channel_id, sort_by=sort_by,
                          page=page, per_page=per_page)

    def search_users(self, term: str, limit: int = 100, **options: Any) -> list[User]:
        """Users matching ``term`` (username, names, nickname, email), with UserSearchOptions
        filters as keywords (``team_id=``, ``in_channel_id=``, ``allow_inactive=``, ...)."""
        return self._list("SearchUsers", "users", term=term, limit=limit, **options)

    def get_user_status(self, user_id: str) -> Status:
        status: Status = self._field("GetUserStatus", "status", user_id=user_id)
        return status

    def update_user_status(self, user_id: str, status: str) -> Status:
        """Set ``"online"``, ``"away"``, ``"dnd"`` or ``"offline"``; returns the new status."""
        updated: Status = self._field("UpdateUserStatus", "status", user_id=user_id,
                                      status=status)
        return updated

    # -- permissions -----------------------------------------------------------------------
    def has_permission_to(self, user_id: str, permission_id: str) -> bool:
        """Whether the user has a system-wide permission (``"manage_system"``, ...)."""
        return bool(self._field("HasPermissionTo", "has_permission", user_id=user_id,
                                permission_id=permission_id))

    def has_permission_to_team(self, user_id: str, team_id: str, permission_id: str) -> bool:
        return bool(self._field("HasPermissionToTeam", "has_permission", user_id=user_id,
                                team_id=team_id, permission_id=permission_id))

    def has_permission_to_channel(
        self, user_id: str, channel_id: str, permission_id: str
    ) -> bool:
        return bool(self._field("HasPermissionToChannel", "has_permission", user_id=user_id,
                                channel_id=channel_id, permission_id=permission_id))

    # -- teams -----------------------------------------------------------------------------
    def get_team(self, team_id: str) -> Team:
        team: Team = self._call("GetTeam", team_id=team_id).team
        return team

    def get_team_by_name(self, name: str) -> Team:
        team: Team = self._call("GetTeamByName", name=name).team
        return team

    def get_teams(self) -> list[Team]:
        return list(self._call("GetTeams").teams)

    def get_teams_for_user(self, user_id: str) -> list[Team]:
        return self._list("GetTeamsForUser", "teams", user_id=user_id)

    def create_team(self, team: Team | Mapping[str, Any] | None = None, **fields: Any) -> Team:
        created: Team = self._call("CreateTeam", team=entity("Team", team, **fields)).team
        return created

    def get_team_member(self, team_id: str, user_id: str) -> TeamMember:
        member: TeamMember = self._call("GetTeamMember", team_id=team_id, user_id=user_id)\
            .team_member
        return member

    def create_team_member(self, team_id: str, user_id: str) -> TeamMember:
        member: TeamMember = self._call("CreateTeamMember", team_id=team_id, user_id=user_id)\
            .team_member
        return member
