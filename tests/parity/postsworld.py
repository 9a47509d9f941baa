"""Helpers of the parity tests of posts, reactions and files: posting, fresh (and archived)
channels, and a server setting changed for one test."""

from __future__ import annotations

import contextlib
import itertools
import json
from collections.abc import Iterator
from typing import Any

from worldhost import Host

from mmplug.protocol import api_channel_post_pb2 as cp
from mmplug.protocol import channel_pb2, post_pb2

_names = itertools.count()


def post(
    host: Host, message: str = "hi", *, user: str = "alice", **fields: Any
) -> cp.CreatePostResponse:
    """CreatePost as the plugin, in off-topic unless ``channel_id`` is given."""
    p = post_pb2.Post(
        channel_id=host.info.channels["off-topic"], user_id=host.user(user), message=message
    )
    for key, value in fields.items():
        if key in ("file_ids",):
            getattr(p, key).extend(value)
        elif key == "props":
            p.props.update(value)
        else:
            setattr(p, key, value)
    return host.api.CreatePost(cp.CreatePostRequest(post=p))


def new_channel(host: Host, *, archived: bool = False) -> str:
    """A fresh open channel of the team (archived when asked)."""
    ch = host.api.CreateChannel(
        cp.CreateChannelRequest(
            channel=channel_pb2.Channel(
                team_id=host.info.teams["acme"],
                name=f"parity-{next(_names)}",
                display_name="Parity",
                type=channel_pb2.CHANNEL_TYPE_OPEN,
                creator_id=host.user("admin"),
            )
        )
    ).channel
    if archived:
        host.api.DeleteChannel(cp.DeleteChannelRequest(channel_id=ch.id))
    return ch.id


@contextlib.contextmanager
def configured(host: Host, section: str, key: str, value: Any) -> Iterator[None]:
    """The server config with ``section.key`` set, for the duration of the block."""
    with host.store.tx() as db:
        before = db.execute("SELECT data FROM config WHERE key='server'").fetchone()[0]
        config = json.loads(before)
        config.setdefault(section, {})[key] = value
        db.execute("UPDATE config SET data=? WHERE key='server'", (json.dumps(config),))
    try:
        yield
    finally:
        with host.store.tx() as db:
            db.execute("UPDATE config SET data=? WHERE key='server'", (before,))
