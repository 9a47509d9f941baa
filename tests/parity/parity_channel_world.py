"""Helpers of the channel-area parity tests: users and settings seeded straight into the
host's store (so a test of the channel rpcs depends on no other area's emulation), and
channels made through the real CreateChannel."""

from __future__ import annotations

import contextlib
import itertools
import json
from collections.abc import Iterator
from typing import Any

from worldhost import Host

from mmplug.host.api import _convert as cv
from mmplug.protocol import api_channel_post_pb2 as cp
from mmplug.protocol import channel_pb2, team_pb2, user_pb2

OPEN, PRIVATE = channel_pb2.CHANNEL_TYPE_OPEN, channel_pb2.CHANNEL_TYPE_PRIVATE
DIRECT, GROUP = channel_pb2.CHANNEL_TYPE_DIRECT, channel_pb2.CHANNEL_TYPE_GROUP
_names = itertools.count()


def unique(prefix: str = "chan") -> str:
    return f"{prefix}-{next(_names)}"


def team(host: Host) -> str:
    return host.info.teams["acme"]


def make_user(
    host: Host,
    *,
    roles: str = "system_user",
    in_team: bool = True,
    left_team: bool = False,
    deactivated: bool = False,
    bot: bool = False,
) -> str:
    """A new user (by default an active member of the world's team)."""
    name = unique("user")
    now = host.store.now_ms()
    user = user_pb2.User(
        id=host.store.new_id(),
        username=name,
        email=f"{name}@example.com",
        roles=roles,
        is_bot=bot,
        create_at=now,
        update_at=now,
        delete_at=now if deactivated else 0,
    )
    with host.store.tx() as db:
        db.execute(*cv.insert_sql("users", cv.user_to_row(user)))
        if in_team:
            member = team_pb2.TeamMember(
                team_id=team(host),
                user_id=user.id,
                roles="team_user",
                delete_at=now if left_team else 0,
            )
            db.execute(*cv.insert_sql("team_members", cv.team_member_to_row(member)))
    return user.id


@contextlib.contextmanager
def setting(host: Host, path: str, value: Any) -> Iterator[None]:
    """The server configuration with ``path`` ("TeamSettings.X") set, restored afterwards."""
    json_path = f"$.{path}"
    with host.store.tx() as db:
        before = db.execute(
            "SELECT json_extract(data, ?) AS v FROM config WHERE key='server'", (json_path,)
        ).fetchone()["v"]
        db.execute(
            "UPDATE config SET data=json_set(data, ?, json(?)) WHERE key='server'",
            (json_path, json.dumps(value)),
        )
    try:
        yield
    finally:
        with host.store.tx() as db:
            db.execute(
                "UPDATE config SET data=json_set(data, ?, json(?)) WHERE key='server'",
                (json_path, json.dumps(before)),
            )


def channel(host: Host, **fields: Any) -> channel_pb2.Channel:
    """A new channel of the world's team made by CreateChannel (open unless told)."""
    name = fields.pop("name", None) or unique()
    given: dict[str, Any] = {
        "team_id": team(host),
        "name": name,
        "display_name": name.title(),
        "type": OPEN,
        **fields,
    }
    ch = channel_pb2.Channel(**given)
    rsp = host.api.CreateChannel(cp.CreateChannelRequest(channel=ch))
    assert not rsp.HasField("error"), rsp.error
    return rsp.channel


def join(host: Host, channel_id: str, user_id: str) -> cp.ChannelMember:
    rsp = host.api.AddChannelMember(
        cp.AddChannelMemberRequest(channel_id=channel_id, user_id=user_id)
    )
    assert not rsp.HasField("error"), rsp.error
    return rsp.channel_member


def error(rsp: Any) -> tuple[int, str]:
    return rsp.error.status_code, rsp.error.id


def posts_of(host: Host, channel_id: str) -> list[tuple[str, str]]:
    """(type, message) of the channel's posts, newest first."""
    rsp = host.api.GetPostsForChannel(
        cp.GetPostsForChannelRequest(channel_id=channel_id, per_page=50)
    )
    return [
        (rsp.post_list.posts[i].type, rsp.post_list.posts[i].message) for i in rsp.post_list.order
    ]
