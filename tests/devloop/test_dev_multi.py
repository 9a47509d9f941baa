"""Several plugins in one dev session: hooks reach every plugin, inter-plugin HTTP works."""

from __future__ import annotations

import urllib.request
from pathlib import Path
from typing import Any

import pytest
from devloop_support import dev_loop, processes_in
from plugin_projects import write_plugin_project

pytestmark = pytest.mark.slow

SOURCE = '''
from mmplug.sdk import Plugin, serve

TAG = "{tag}"

class Tagger(Plugin):
    def message_will_be_posted(self, context, post):
        post.message += " [" + TAG + "]"
        return post, ""

    def execute_command(self, context, args):
        _, channel_id, user_id = args.command.split()
        post = self.api.create_post(channel_id=channel_id, message="hi", user_id=user_id)
        return {{"response_type": "ephemeral", "text": post.message}}

    def serve_http(self, context, response, request):
        if request.path == "/ask":
            answer = self.api.call("PluginHTTP", method="GET", url="/com.example.b/hello",
                                   headers={{"Mattermost-Plugin-Id": "forged"}})
            response.write(str(answer.status_code).encode() + b" " + answer.body)
            return
        caller = request.headers.get("Mattermost-Plugin-Id") or "nobody"
        response.write(("hello from " + TAG + " to " + caller).encode())

if __name__ == "__main__":
    serve(Tagger)
'''


def _plugin(directory: Path, tag: str) -> Path:
    return write_plugin_project(directory, f"com.example.{tag}", SOURCE.format(tag=tag),
                                name=tag)


def _get(loop: Any, plugin_id: str, path: str) -> bytes:
    url = f"{loop.front_door.url}/plugins/{plugin_id}{path}"
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read()  # type: ignore[no-any-return]


def test_two_plugins_share_hooks_store_and_http(tmp_path: Path) -> None:
    first, second = _plugin(tmp_path / "a", "a"), _plugin(tmp_path / "b", "b")
    with dev_loop(first, second, watch=False) as loop:
        assert {s.state for s in loop.status.values()} == {"active"}
        assert _get(loop, "com.example.b", "/hello") == b"hello from b to nobody"
        assert _get(loop, "com.example.a", "/ask") == b"200 hello from b to com.example.a"
        with loop.session.store.read() as db:
            channel = db.execute("SELECT id FROM channels WHERE type = 'O' LIMIT 1").fetchone()[0]
            user = db.execute("SELECT id FROM users WHERE username = 'alice'").fetchone()[0]
        result = loop.fire("ExecuteCommand", plugin_id="com.example.a",
                           args={"command": f"/post {channel} {user}"})
        assert result.response.response.text == "hi [a] [b]"  # chained through both plugins
    assert processes_in(tmp_path) == []
