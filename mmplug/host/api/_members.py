"""Channel member defaults and validation (roles, notify props), as the server has them."""

from __future__ import annotations

import json
import sqlite3

from mmplug.host.api._registry import ApiContext, ApiFailure
from mmplug.protocol import api_channel_post_pb2 as cp
from mmplug.protocol import user_pb2

SCHEME_ROLES = ("channel_user", "channel_admin", "channel_guest")
# Roles the server manages through permission schemes: they are flags on a membership, not
# explicit roles, and only the channel scheme's three may be given to a channel member.
SCHEME_MANAGED = frozenset(
    f"{scope}_{kind}"
    for scope in ("system", "team", "channel")
    for kind in ("guest", "user", "admin")
)
DEFAULT_NOTIFY_PROPS = {
    "desktop": "default",
    "email": "default",
    "push": "default",
    "mark_unread": "all",
    "ignore_channel_mentions": "default",
    "channel_auto_follow_threads": "off",
}
# The notify props UpdateChannelMemberNotifications keeps; the server drops any other key.
UPDATABLE_NOTIFY_PROPS = (
    "mark_unread",
    "desktop",
    "desktop_sound",
    "desktop_notification_sound",
    "desktop_threads",
    "email",
    "push",
    "push_threads",
    "ignore_channel_mentions",
    "channel_auto_follow_threads",
)
_LEVELS = {"default", "all", "mention", "none"}
# notify prop -> (allowed values, the longest value the server accepts, error id fragment)
_NOTIFY_RULES = {
    "desktop": (_LEVELS, 20, "notify_level"),
    "mark_unread": ({"all", "mention"}, 20, "unread_level"),
    "push": (_LEVELS, 20, "push_level"),
    "email": ({"default", "true", "false"}, 20, "email_value"),
    "ignore_channel_mentions": ({"default", "off", "on"}, 40, "ignore_channel_mentions_value"),
    "channel_auto_follow_threads": ({"on", "off"}, 3, "channel_auto_follow_threads_value"),
}
NOTIFY_PROPS_MAX_RUNES = 800_000


def is_guest(user: user_pb2.User) -> bool:
    return "system_guest" in user.roles.split()


def scheme_roles(member: cp.ChannelMember, explicit: list[str]) -> str:
    roles = [r for r in explicit if r not in SCHEME_ROLES]
    flags = (
        (member.scheme_guest, "channel_guest"),
        (member.scheme_user, "channel_user"),
        (member.scheme_admin, "channel_admin"),
    )
    return " ".join([name for flag, name in flags if flag] + roles)


def new_member(ctx: ApiContext, channel_id: str, user: user_pb2.User) -> cp.ChannelMember:
    guest = is_guest(user)
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
    """Set ``member``'s roles from a space-separated list, like UpdateChannelMemberRoles:
    the channel scheme's roles become flags, other known roles explicit roles."""
    was_guest = member.scheme_guest
    guest = user = admin = False
    explicit: list[str] = []
    for name in new_roles.split():
        known = name in SCHEME_MANAGED  # built into every server
        if not known and db.execute("SELECT 1 FROM roles WHERE name=?", (name,)).fetchone() is None:
            raise ApiFailure(
                400,
                "app.role.get_by_name.app_error",
                f"Unable to find the role {name!r}.",
                detailed_error=f"new_roles={new_roles!r}",
            )
        if name not in SCHEME_MANAGED:
            explicit.append(name)
        elif name == "channel_admin":
            admin = True
        elif name == "channel_user":
            user = True
        elif name == "channel_guest":
            guest = True
        else:
            raise ApiFailure(
                400,
                "api.channel.update_channel_member_roles.scheme_role.app_error",
                f"{name!r} is a scheme role of another scope: a channel member takes "
                "channel_user, channel_admin or channel_guest.",
                detailed_error=f"role_name={name}",
            )
    if user and guest:
        raise ApiFailure(
            400,
            "api.channel.update_channel_member_roles.guest_and_user.app_error",
            "A member cannot be both channel_user and channel_guest.",
        )
    if guest != was_guest:
        raise ApiFailure(
            400,
            "api.channel.update_channel_member_roles.changing_guest_role.app_error",
            "channel_guest follows the user's account: keep it for a guest, leave it out "
            "for anyone else.",
        )
    member.scheme_guest, member.scheme_user, member.scheme_admin = guest, user, admin
    member.roles = scheme_roles(member, explicit)


def check_notify_props(props: dict[str, str], *, allow_missing: bool) -> None:
    """The server's ``IsChannelMemberNotifyPropsValid``."""
    for key, (allowed, longest, fragment) in _NOTIFY_RULES.items():
        required = key in ("desktop", "mark_unread") and not allow_missing
        if key not in props and not required:
            continue
        value = props.get(key, "")
        if len(value) > longest or value not in allowed:
            raise ApiFailure(
                400,
                f"model.channel_member.is_valid.{fragment}.app_error",
                f"Invalid {key} notify prop {value!r}: use one of {sorted(allowed)}.",
                detailed_error=f"{key}={value}",
                where="ChannelMember.IsValid",
            )
    if len(json.dumps(props, ensure_ascii=False)) > NOTIFY_PROPS_MAX_RUNES:
        raise ApiFailure(
            400,
            "model.channel_member.is_valid.notify_props.app_error",
            f"The notify props are limited to {NOTIFY_PROPS_MAX_RUNES} characters of JSON.",
            where="ChannelMember.IsValid",
        )


def merge_notify_props(member: cp.ChannelMember, props: dict[str, str]) -> None:
    check_notify_props(props, allow_missing=True)
    member.notify_props.update(props)
