"""Helpers of the PluginAPI emulation tests: a small world seeded straight into the store,
and a fake hook dispatcher that records the hooks fired and answers like plugins."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import grpc
from google.protobuf.message import Message

from mmplug.errors import UsageError
from mmplug.host.api import _convert as cv
from mmplug.host.api.server import ApiServer
from mmplug.host.clock import SteppingClock
from mmplug.host.hook_wire import as_read, as_sent
from mmplug.host.store import Store
from mmplug.protocol import api_channel_post_pb2, api_pb2_grpc, channel_pb2, team_pb2, user_pb2
from mmplug.protocol.catalog import API_BY_GO_NAME
from mmplug.protocol.messages import message_class
from mmplug.sdk._core import app_error_of_status, transport_error

PLUGIN_ID = "com.example.tester"
EPOCH_MS = 1_767_225_600_000
Responder = Callable[[Message], Message | None]


@dataclass
class FakeHooks:
    """A HookDispatcher: records every hook fired (as the host made it); plugins answer through
    responders (one that raises is a plugin whose call failed; a UsageError is a plugin the
    session lacks). Like the session, it sends a responder only what the server's gRPC hook
    client sends and reads back only what that client reads (``mmplug.host.hook_wire``)."""

    plugin_ids: list[str] = field(default_factory=lambda: [PLUGIN_ID])
    fired: list[tuple[str, Message, str | None]] = field(default_factory=list)
    responders: dict[tuple[str, str], Responder] = field(default_factory=dict)

    def respond(self, hook: str, answer: Responder | Message, plugin_id: str = PLUGIN_ID) -> None:
        if plugin_id not in self.plugin_ids:
            self.plugin_ids.append(plugin_id)
        fn = answer if callable(answer) else (lambda _req, a=answer: a)
        self.responders[(hook, plugin_id)] = fn

    def fire(
        self, hook: str, request: Message, *, plugin_id: str | None = None,
        failed: list[str] | None = None,
    ) -> list[tuple[str, Message]]:
        copy = type(request)()
        copy.CopyFrom(request)
        self.fired.append((hook, copy, plugin_id))
        answers = []
        for pid in [plugin_id] if plugin_id else list(self.plugin_ids):
            responder = self.responders.get((hook, pid))
            if responder is not None:
                try:
                    response = responder(as_sent(hook, copy))
                except UsageError:
                    raise
                except Exception:
                    if failed is not None:
                        failed.append(pid)
                    continue
                if response is not None:
                    answers.append((pid, as_read(hook, response)))
        return answers

    def named(self, hook: str) -> list[Message]:
        return [req for name, req, _ in self.fired if name == hook]

    def forget_answers(self) -> None:
        """No plugin answers any more, and the plugins :meth:`respond` added are gone."""
        self.responders.clear()
        self.plugin_ids[:] = [PLUGIN_ID]

    def reset(self) -> None:
        self.fired.clear()
        self.forget_answers()


class PluginReads:
    """A PluginAPI stub that answers a failure the way a plugin reads it, whichever way the
    server sends it: a gRPC status the server made of an AppError comes back as the response's
    ``error`` (id, message and the status code its gRPC code stands for, as mmplug's SDK reads
    it; the detailed error and where do not cross that way). ``raw`` is the stub itself."""

    def __init__(self, raw: api_pb2_grpc.PluginAPIStub) -> None:
        self.raw = raw

    def __getattr__(self, rpc: str) -> Callable[..., Any]:
        call = getattr(self.raw, rpc)

        def read(request: Message, **kwargs: Any) -> Any:
            try:
                return call(request, **kwargs)
            except grpc.RpcError as exc:
                if (exc.code() == grpc.StatusCode.UNIMPLEMENTED
                        and app_error_of_status(exc) is None):  # an rpc that is not there
                    raise
                failure = transport_error(exc, rpc)
                response = message_class(API_BY_GO_NAME[rpc].response)()
                response.error.id = failure.error_id
                response.error.message = failure.message
                response.error.status_code = failure.status_code
                return response

        return read


@dataclass
class World:
    store: Store
    server: ApiServer
    api: PluginReads
    hooks: FakeHooks
    users: dict[str, str]
    team_id: str
    channels: dict[str, str]
    emitted: list[tuple[str, dict[str, Any]]]
    _names: Iterator[int] = field(default_factory=itertools.count)

    def unique(self, prefix: str = "c") -> str:
        return f"{prefix}{next(self._names)}"


def add_user(store: Store, username: str, *, roles: str = "system_user", bot: bool = False) -> str:
    with store.tx() as db:
        user = user_pb2.User(
            id=store.new_id(),
            username=username,
            email=f"{username}@example.com",
            roles=roles,
            is_bot=bot,
            create_at=EPOCH_MS,
            update_at=EPOCH_MS,
        )
        db.execute(*cv.insert_sql("users", cv.user_to_row(user)))
    return user.id


def add_team(store: Store, name: str, members: list[str]) -> str:
    with store.tx() as db:
        team = team_pb2.Team(id=store.new_id(), name=name, display_name=name.title())
        db.execute(*cv.insert_sql("teams", cv.team_to_row(team)))
        for uid in members:
            member = team_pb2.TeamMember(team_id=team.id, user_id=uid, roles="team_user")
            db.execute(*cv.insert_sql("team_members", cv.team_member_to_row(member)))
    return team.id


def add_channel(store: Store, team_id: str, name: str, members: list[str], kind: str = "O") -> str:
    ctype = cv.LETTER_CHANNEL_TYPES[kind]
    with store.tx() as db:
        ch = channel_pb2.Channel(
            id=store.new_id(),
            team_id=team_id,
            name=name,
            type=ctype,
            display_name=name.replace("-", " ").title(),
            create_at=EPOCH_MS,
            update_at=EPOCH_MS,
        )
        db.execute(*cv.insert_sql("channels", cv.channel_to_row(ch)))
        for uid in members:
            member = api_channel_post_pb2.ChannelMember(
                channel_id=ch.id,
                user_id=uid,
                roles="channel_user",
                scheme_user=True,
                notify_props={"desktop": "default", "mark_unread": "all"},
            )
            db.execute(*cv.insert_sql("channel_members", cv.channel_member_to_row(member)))
    return ch.id


def seed_small_world(store: Store) -> tuple[dict[str, str], str, dict[str, str]]:
    store.seed_ids("api-tests")
    store.clock = SteppingClock(EPOCH_MS)
    users = {name: add_user(store, name) for name in ("alice", "bob", "carol", "dave")}
    users["admin"] = add_user(store, "admin", roles="system_admin system_user")
    users["gina"] = add_user(store, "gina", roles="system_guest")
    users["outsider"] = add_user(store, "outsider")
    team = add_team(store, "acme", [u for n, u in users.items() if n != "outsider"])
    members = [users[n] for n in ("alice", "bob", "admin")]
    channels = {
        "town-square": add_channel(store, team, "town-square", members),
        "off-topic": add_channel(store, team, "off-topic", members),
        "secret": add_channel(store, team, "secret", [users["admin"]], "P"),
    }
    return users, team, channels
