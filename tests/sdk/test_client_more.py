"""The API client's users/teams/channels/posts/files/events/preferences methods against the
fake host's real PluginAPI server (SQLite store seeded with the default world)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from mmplug.host.api.server import ApiServer
from mmplug.host.store import Store
from mmplug.host.world import WorldInfo, load_world, seed_store, world_info
from mmplug.protocol import api_remaining_pb2, channel_pb2, team_pb2
from mmplug.sdk import (
    APIClient,
    InvalidArgumentError,
    NotFoundError,
    PluginAPIError,
)

PLUGIN_ID = "com.example.sdkclient"


@dataclass
class World:
    api: APIClient
    info: WorldInfo
    emitted: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def user(self, name: str) -> str:
        return self.info.users[name]

    def channel(self, name: str) -> str:
        return self.info.channels[name]

    @property
    def team(self) -> str:
        return self.info.teams["acme"]


@pytest.fixture
def world() -> Iterator[World]:
    store = Store.open(":memory:")
    seed_store(store, load_world("default"), deterministic_clock=True)
    emitted: list[tuple[str, dict[str, Any]]] = []
    server = ApiServer(store, PLUGIN_ID, emit=lambda kind, payload: emitted.append((kind, payload)))
    server.start()
    client = APIClient(server.address)
    try:
        yield World(client, world_info(store), emitted)
    finally:
        client.close()
        server.stop(None)
        store.close()


def names(users: list[Any]) -> list[str]:
    return sorted(u.username for u in users)


def test_users_in_team_channel_and_search(world: World) -> None:
    api = world.api
    assert {"admin", "alice", "bob"} <= set(names(api.get_users_in_team(world.team)))
    assert names(api.get_users_in_team(world.team, page=0, per_page=1)) != []
    assert len(api.get_users_in_team(world.team, per_page=1)) == 1
    in_dm = api.get_users_in_channel(world.channel("alice__bob"))
    assert names(in_dm) == ["alice", "bob"]
    assert [u.username for u in api.get_users_in_channel(world.channel("alice__bob"),
                                                          per_page=1)] == ["alice"]
    with pytest.raises(InvalidArgumentError) as info:
        api.get_users_in_channel(world.channel("alice__bob"), sort_by="shoe size")
    assert info.value.status_code == 400
    assert names(api.search_users("alic")) == ["alice"]
    assert names(api.search_users("a", team_id=world.team)) == ["admin", "alice"]
    assert names(api.search_users("a", in_channel_id=world.channel("alice__bob"))) == ["alice"]
    assert api.search_users("nobody-has-this-name") == []


def test_user_status_and_permissions(world: World) -> None:
    api, alice = world.api, world.user("alice")
    updated = api.update_user_status(alice, "dnd")
    assert (updated.user_id, updated.status) == (alice, "dnd")
    assert api.get_user_status(alice).status == "dnd"
    with pytest.raises(InvalidArgumentError):
        api.update_user_status(alice, "sleeping")
    assert api.has_permission_to(world.user("admin"), "manage_system") is True
    assert api.has_permission_to(alice, "manage_system") is False
    assert api.has_permission_to_team(alice, world.team, "view_team") is True
    assert api.has_permission_to_team(alice, world.team, "manage_team") is False
    town = world.channel("town-square")
    assert api.has_permission_to_channel(alice, town, "create_post") is True
    assert api.has_permission_to_channel(alice, town, "manage_channel_roles") is False


def test_teams(world: World) -> None:
    api, alice = world.api, world.user("alice")
    team = api.get_team(world.team)
    assert team.name == "acme"
    assert api.get_team_by_name("acme").id == world.team
    assert [t.name for t in api.get_teams_for_user(alice)] == ["acme"]
    assert api.get_team_member(world.team, alice).user_id == alice
    other = api.create_team(name="beta", display_name="Beta", type="I")
    assert other.type == team_pb2.TEAM_TYPE_INVITE
    member = api.create_team_member(other.id, alice)
    assert (member.team_id, member.user_id) == (other.id, alice)
    assert sorted(t.name for t in api.get_teams_for_user(alice)) == ["acme", "beta"]
    with pytest.raises(NotFoundError):
        api.get_team_by_name("no-such-team")


def test_channels_and_members(world: World) -> None:
    api, alice, bob = world.api, world.user("alice"), world.user("bob")
    created = api.create_channel(team_id=world.team, name="plans-b", display_name="Plans B",
                                 type="O", creator_id=alice)
    assert created.id and created.name == "plans-b"
    with pytest.raises(InvalidArgumentError) as info:
        api.create_channel({"team_id": world.team, "name": "plans-b", "display_name": "Again",
                            "type": "P"})
    assert info.value.error_id == "store.sql_channel.save_channel.exists.app_error"
    private = api.create_channel({"team_id": world.team, "name": "hush", "display_name": "Hush",
                                  "type": "private"})
    assert api.get_channel(private.id).type == channel_pb2.CHANNEL_TYPE_PRIVATE
    api.add_channel_member(created.id, alice)
    api.add_channel_member(created.id, bob)
    members = api.get_channel_members(created.id)
    assert sorted(m.user_id for m in members) == sorted([alice, bob])
    mine = api.get_channels_for_team_for_user(world.team, alice)
    assert "plans-b" in {c.name for c in mine}
    api.delete_channel_member(created.id, bob)
    assert [m.user_id for m in api.get_channel_members(created.id)] == [alice]
    with pytest.raises(NotFoundError):
        api.get_channel_member(created.id, bob)
    ids = [world.user("admin"), alice, bob]
    assert api.get_group_channel(ids).id == world.channel("admin__alice__bob")
    assert api.get_group_channel(iter(reversed(ids))).type == channel_pb2.CHANNEL_TYPE_GROUP
    with pytest.raises(PluginAPIError):
        api.get_group_channel([alice, "z" * 26])


def test_posts_threads_and_reactions(world: World) -> None:
    api, alice, bob = world.api, world.user("alice"), world.user("bob")
    channel = world.channel("off-topic")
    root = api.create_post(channel_id=channel, user_id=alice, message="root")
    reply = api.create_post(channel_id=channel, user_id=bob, message="reply", root_id=root.id)
    other = api.create_post(channel_id=channel, user_id=bob, message="elsewhere")
    thread = api.get_post_thread(root.id)
    assert {p.id for p in thread} == {root.id, reply.id}
    assert api.get_post_thread(reply.id)[0].channel_id == channel
    newest = api.get_posts_for_channel(channel, per_page=2)
    assert [p.id for p in newest] == [other.id, reply.id]
    assert api.get_posts_for_channel(channel, page=1, per_page=2)[0].id == root.id
    api.add_reaction(root.id, "tada", bob)
    api.add_reaction(root.id, "+1", alice)
    assert sorted(r.emoji_name for r in api.get_reactions(root.id)) == ["+1", "tada"]
    api.remove_reaction(root.id, "tada", bob)
    assert [(r.emoji_name, r.user_id) for r in api.get_reactions(root.id)] == [("+1", alice)]
    with pytest.raises(NotFoundError):
        api.get_post_thread("z" * 26)


def test_files(world: World) -> None:
    api, channel = world.api, world.channel("town-square")
    data = bytes(range(256)) * 64
    info = api.upload_file(data, channel, "bytes.bin")
    assert (info.name, info.size, info.channel_id) == ("bytes.bin", len(data), "")
    assert api.get_file(info.id) == data
    assert api.get_file_info(info.id).extension == "bin"
    text = api.upload_file("héllo\n", channel, "note.txt")
    assert api.get_file(text.id) == "héllo\n".encode()
    post = api.create_post({"file_ids": [info.id]}, channel_id=channel,
                           user_id=world.user("alice"), message="attached")
    assert list(api.get_post(post.id).file_ids) == [info.id]
    assert api.get_file_info(info.id).channel_id == channel  # the post's, once attached
    with pytest.raises(NotFoundError):
        api.get_file_info("z" * 26)


def test_websocket_and_cluster_events(world: World) -> None:
    api = world.api
    api.publish_websocket_event("refresh", {"n": 1, "tags": ["a"]}, user_id=world.user("bob"))
    api.publish_websocket_event("hello", channel_id=world.channel("town-square"),
                                omit_users=[world.user("alice")])
    api.publish_plugin_cluster_event("sync", b"\x00\x01", send_type="best_effort")
    api.publish_plugin_cluster_event("sync2", "text")
    kinds = [kind for kind, _ in world.emitted]
    assert kinds == ["websocket_event", "websocket_event", "cluster_event", "cluster_event"]
    first, second = world.emitted[0][1], world.emitted[1][1]
    assert first["event"] == f"custom_{PLUGIN_ID}_refresh"
    assert first["data"] == {"n": 1, "tags": ["a"]}
    assert first["broadcast"]["user_id"] == world.user("bob")
    assert second["broadcast"]["omit_users"] == [world.user("alice")]
    # The server's gRPC API drops the send type: it never reaches the server.
    assert world.emitted[2][1]["send_type"] == world.emitted[3][1]["send_type"] == ""
    # As the server: neither checks the event name or id.
    api.publish_websocket_event("")
    api.publish_plugin_cluster_event("")
    assert world.emitted[4][1]["event"] == f"custom_{PLUGIN_ID}_"
    assert world.emitted[5][1]["id"] == ""


def test_preferences(world: World) -> None:
    api, alice = world.api, world.user("alice")
    before = {(p.category, p.name) for p in api.get_preferences_for_user(alice)}
    api.update_preferences_for_user(alice, [
        {"category": "display_settings", "name": "colorize_usernames", "value": "true"},
        api_remaining_pb2.Preference(user_id=alice, category="mmplug", name="n", value="1"),
    ])
    after = {(p.category, p.name): p for p in api.get_preferences_for_user(alice)}
    assert set(after) - before == {("display_settings", "colorize_usernames"), ("mmplug", "n")}
    assert after[("mmplug", "n")].value == "1"
    assert after[("display_settings", "colorize_usernames")].user_id == alice
