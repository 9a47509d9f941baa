"""Logs belong to the hook call that produced them, stdout lines as much as stderr lines."""

from __future__ import annotations

import sys
from pathlib import Path

from plugin_projects import write_plugin_project

from mmplug.host.session import HookResult, Session

PLUGIN = '''
import sys
from mmplug.sdk import Plugin, serve

REAL_STDOUT = sys.stdout  # serve() points sys.stdout at stderr after the handshake


def say(text):
    REAL_STDOUT.write(text + "\\n")
    REAL_STDOUT.flush()


class Chatty(Plugin):
    def on_activate(self):
        say("activated, on stdout")
        print("activated, on stderr", file=sys.stderr)

    def message_has_been_posted(self, context, post):
        say("stdout " + post.message)
        print("stderr " + post.message, file=sys.stderr)
        say("stdout again " + post.message)  # the last thing it writes before answering


if __name__ == "__main__":
    serve(Chatty)
'''

FIRES = 50


def chatty_plugin(tmp_path: Path) -> Path:
    return write_plugin_project(tmp_path / "chatty", "com.example.chatty", PLUGIN,
                                name="Chatty", runtime=True)


class Activations:
    def __init__(self) -> None:
        self.results: list[HookResult] = []

    def on_hook_call(self, result: HookResult) -> None:
        if result.hook == "OnActivate":
            self.results.append(result)


def messages(result: HookResult) -> list[str]:
    """What the plugin wrote during the call (not the host's notes about it)."""
    return [r.message for r in result.logs if r.source != "host"]


def test_every_line_goes_to_the_call_that_wrote_it(tmp_path: Path) -> None:
    activations = Activations()
    session = Session([chatty_plugin(tmp_path)], store=":memory:", python=sys.executable)
    session.add_observer(activations)
    wrong: list[str] = []
    with session:
        for i in range(FIRES):
            if i % 10 == 0 and i:
                session.reload("com.example.chatty")  # a fresh activation before the next fire
            result = session.fire("MessageHasBeenPosted", post={"message": f"#{i}"})
            expected = [f"stdout #{i}", f"stderr #{i}", f"stdout again #{i}"]
            if sorted(messages(result)) != sorted(expected):
                wrong.append(f"fire #{i} got {messages(result)}")
    assert len(activations.results) == FIRES // 10
    for activation in activations.results:
        assert sorted(messages(activation)) == ["activated, on stderr", "activated, on stdout"]
    assert wrong == []
