"""Channel member defaults and validation (roles, notify props), as the server has them."""

from __future__ import annotations

import sqlite3

from mmplug.host.api._registry import ApiContext, ApiFailure
from mmplug.protocol import api_channel_post_pb2 as cp
from mmplug.protocol import user_pb2

SCHEME_ROLES = ("channel_user", "channel_admin", "channel_guest")
DEFAULT_NOTIFY_PROPS = {
    "desktop": "default",
    "email": "default",
    "push": "default",
    "mark_unread": "all",
    "ignore_channel_mentions": "default",
    "channel_auto_follow_threads": "off",
}
# notify prop -> (allowed values, the server's error id fragment)
_NOTIFY_RULES = {
    "desktop": ({"default", "all", "mention", "none"}, "notify_level"),
    "push": ({"default", "all", "mention", "none"}, "push_level"),
    "email": ({"default", "true", "false"}, "email_value"),
    "mark_unread": ({"all", "mention"}, "unread_level"),
    "ignore_channel_mentions": ({"default", "off", "on"}, "ignore_channel_mentions_value"),
    "channel_auto_follow_threads": ({"on", "off"}, "channel_auto_follow_threads_value"),
}


def scheme_roles(member: cp.ChannelMember, explicit: list[str]) -> str:
    roles = [r for r in explicit if r not in SCHEME_ROLES]
    flags = (
        (member.scheme_guest, "channel_guest"),
        (member.scheme_user, "channel_user"),
        (member.scheme_admin, "channel_admin"),
    )
    return " ".join([name for flag, name in flags if flag] + roles)


def new_member(ctx: ApiContext, channel_id: str, user: user_pb2.User) -> cp.ChannelMember:
    guest = "system_guest" in user.roles.split()
    member = cp.ChannelMember(
        channel_id=channel_id,
        user_id=user.id,
        scheme_guest=guest,
        scheme_user=not guest,
        notify_props=DEFAULT_NOTIFY_PROPS,
        last_update_at=ctx.now(),
    )
    member.roles = scheme_roles(member, [])
    return member


def apply_roles(db: sqlite3.Connection, member: cp.ChannelMember, new_roles: str) -> None:
    """Set ``member``'s roles from a space-separated list, like UpdateChannelMemberRoles."""
    names = new_roles.split()
    for name in names:
        if name in SCHEME_ROLES:
            continue
        if db.execute("SELECT 1 FROM roles WHERE name=?", (name,)).fetchone() is None:
            raise ApiFailure(
                404,
                "app.role.get_by_name.app_error",
                f"Unable to find the role {name!r}.",
                detailed_error=f"new_roles={new_roles!r}",
            )
    if member.scheme_guest:
        if "channel_user" in names or "channel_admin" in names:
            raise ApiFailure(
                400,
                "api.channel.update_channel_member_roles.guest_and_user.app_error",
                "A guest cannot be given the channel_user or channel_admin role.",
            )
    elif "channel_user" not in names:
        raise ApiFailure(
            400,
            "api.channel.update_channel_member_roles.unset_user_scheme.app_error",
            "The channel_user role cannot be removed from a regular member; "
            "include 'channel_user' in the new roles.",
            detailed_error=f"new_roles={new_roles!r}",
        )
    elif "channel_guest" in names:
        raise ApiFailure(
            400,
            "api.channel.update_channel_member_roles.scheme_role.app_error",
            "The channel_guest role cannot be given to a regular member.",
        )
    if not member.scheme_guest:
        member.scheme_admin = "channel_admin" in names
    member.roles = scheme_roles(member, names)


def merge_notify_props(member: cp.ChannelMember, props: dict[str, str]) -> None:
    for key, value in props.items():
        rule = _NOTIFY_RULES.get(key)
        if rule is not None and value not in rule[0]:
            raise ApiFailure(
                400,
                f"model.channel_member.is_valid.{rule[1]}.app_error",
                f"Invalid {key} notify prop {value!r}: use one of {sorted(rule[0])}.",
            )
    member.notify_props.update(props)
