"""A real SDK plugin under the Session: its API calls hit the emulations, which fire hooks
back into the same plugin (nested calls, no deadlock), all over real gRPC and processes."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from apiworld import seed_small_world
from plugin_projects import write_plugin_project

from mmplug.host.session import Session
from mmplug.host.store import Store
from mmplug.protocol import api_channel_post_pb2 as cp
from mmplug.protocol import api_pb2_grpc, post_pb2
from mmplug.protocol import api_remaining_pb2 as rem

PLUGIN_ID = "com.example.moderator"
PLUGIN = textwrap.dedent("""
    from mmplug.sdk import Plugin, serve


    class Moderator(Plugin):
        def on_activate(self):
            self.bot_id = self.api.ensure_bot_user("modbot", display_name="Moderator")
            self.api.register_command("shout", auto_complete_desc="Say it loud")

        def message_will_be_posted(self, context, post):
            if "spam" in post.message:
                return "no spam"
            post.message = post.message + " (checked)"
            return post

        def execute_command(self, context, args):
            text = args.command.split(" ", 1)[1].upper()
            self.api.create_post(channel_id=args.channel_id, message=text, user_id=self.bot_id)
            return "shouted"


    if __name__ == "__main__":
        serve(Moderator)
""")


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Session, Store, dict]]:
    folder = write_plugin_project(tmp_path_factory.mktemp("moderator"), PLUGIN_ID, PLUGIN,
                                  name="Moderator", runtime=True)
    store = Store.open(":memory:")
    users, team, channels = seed_small_world(store)
    ids = {"users": users, "team": team, "channels": channels}
    with Session([Path(folder)], store=store, python=sys.executable, hook_timeout=20.0) as s:
        yield s, store, ids
    store.close()


@pytest.fixture
def api(running: tuple[Session, Store, dict]) -> Iterator[api_pb2_grpc.PluginAPIStub]:
    session, _, _ = running
    channel = grpc.insecure_channel(session.plugin(PLUGIN_ID).api_target)
    yield api_pb2_grpc.PluginAPIStub(channel)
    channel.close()


def test_activation_made_the_bot_and_registered_the_command(
    running: tuple[Session, Store, dict], api: api_pb2_grpc.PluginAPIStub
) -> None:
    _, store, ids = running
    with store.read() as db:
        bot = db.execute(
            "SELECT u.username, b.owner_id FROM bots b JOIN users u ON u.id=b.user_id"
        ).fetchone()
    assert tuple(bot) == ("modbot", PLUGIN_ID)
    listed = api.ListPluginCommands(rem.ListPluginCommandsRequest(team_id=ids["team"]))
    assert [c.trigger for c in listed.commands] == ["shout"]  # the server keeps no plugin id
    with store.read() as db:
        owners = db.execute("SELECT plugin_id FROM plugin_slash_commands").fetchall()
    assert [r[0] for r in owners] == [PLUGIN_ID]


def test_slash_command_posts_through_the_plugins_own_hook(
    running: tuple[Session, Store, dict], api: api_pb2_grpc.PluginAPIStub
) -> None:
    _, _, ids = running
    channel = ids["channels"]["off-topic"]
    args = rem.CommandArgs(
        user_id=ids["users"]["alice"], channel_id=channel, command="/shout hello there"
    )
    rsp = api.ExecuteSlashCommand(rem.ExecuteSlashCommandRequest(command_args=args))
    assert not rsp.HasField("error"), rsp.error
    assert rsp.response.text == "shouted"
    page = api.GetPostsForChannel(cp.GetPostsForChannelRequest(channel_id=channel, per_page=1))
    newest = page.post_list.posts[page.post_list.order[0]]
    assert newest.message == "HELLO THERE (checked)"


def test_plugin_rejection_reaches_the_caller(
    running: tuple[Session, Store, dict], api: api_pb2_grpc.PluginAPIStub
) -> None:
    _, _, ids = running
    post = post_pb2.Post(
        channel_id=ids["channels"]["off-topic"], user_id=ids["users"]["bob"], message="buy spam now"
    )
    rsp = api.CreatePost(cp.CreatePostRequest(post=post))
    assert rsp.error.id == "Post rejected by plugin. no spam"
