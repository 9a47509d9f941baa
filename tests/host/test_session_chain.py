"""Several plugins in one session: Will* hooks are chained across them, as on the server."""

from __future__ import annotations

import sys
from pathlib import Path

from plugin_projects import write_plugin_project

from mmplug.host.session import Session
from mmplug.host.world import world_info

PLUGIN = '''
from mmplug.sdk import Plugin, serve

TAG = {tag!r}


class Tagger(Plugin):
    def message_will_be_posted(self, context, post):
        if "forbidden" in post.message and TAG == "b":
            return None, "plugin b says no"
        post.message = post.message + " [" + TAG + "]"
        return post, ""

    def execute_command(self, context, args):
        post = self.api.create_post(channel_id=args.channel_id, user_id=args.user_id,
                                    message=args.command.partition(" ")[2])
        return {{"response_type": "ephemeral", "text": post.message}}


if __name__ == "__main__":
    serve(Tagger)
'''


def _plugin(root: Path, tag: str) -> Path:
    return write_plugin_project(root / tag, f"com.example.tagger-{tag}", PLUGIN.format(tag=tag),
                                name=f"Tagger {tag}", runtime=True)


def _post(session: Session, text: str) -> tuple[str | None, str]:
    info = world_info(session.store)
    result = session.fire("ExecuteCommand", plugin_id="com.example.tagger-a", args={
        "command": f"/tag {text}", "user_id": info.users["alice"],
        "channel_id": info.channels["town-square"], "team_id": info.teams["acme"]})
    return result.error, result.response.response.text if result.response else ""


def test_each_plugin_sees_the_previous_plugins_modification(tmp_path: Path) -> None:
    plugins = [_plugin(tmp_path, "a"), _plugin(tmp_path, "b")]
    with Session(plugins, store=":memory:", python=sys.executable) as session:
        error, text = _post(session, "hello")
    assert error is None
    assert text == "hello [a] [b]"


def test_a_rejection_by_any_plugin_stops_the_post(tmp_path: Path) -> None:
    plugins = [_plugin(tmp_path, "a"), _plugin(tmp_path, "b")]
    with Session(plugins, store=":memory:", python=sys.executable) as session:
        error, _ = _post(session, "forbidden words")
        with session.store.read() as db:
            stored = db.execute("SELECT COUNT(*) FROM posts WHERE data LIKE '%forbidden%'")
            assert stored.fetchone()[0] == 0
    assert error is not None
    assert "plugin b says no" in error
