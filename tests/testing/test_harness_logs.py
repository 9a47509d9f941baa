"""`plugin.fire` attributes every log line to the call that wrote it, exactly, under load:
1,200 fires through the `plugin` fixture (each running two hooks) while another thread of the
test process competes for the interpreter."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from plugin_projects import write_plugin_project

from mmplug.testing import PluginHarness

PLUGIN = '''
import sys
from mmplug.sdk import Plugin, serve

REAL_STDOUT = sys.stdout  # serve() points sys.stdout at stderr after the handshake


class Chatty(Plugin):
    def message_will_be_posted(self, context, post):
        REAL_STDOUT.write("stdout will " + post.message + "\\n")
        REAL_STDOUT.flush()
        self.logger.info("will " + post.message)
        print("stderr will " + post.message, file=sys.stderr)
        return post, ""

    def message_has_been_posted(self, context, post):
        self.logger.info("has " + post.message)
        REAL_STDOUT.write("stdout has " + post.message + "\\n")  # the last line before the answer
        REAL_STDOUT.flush()


if __name__ == "__main__":
    serve(Chatty)
'''

TESTS = 4
FIRES = 300  # per test: 1,200 fires, 2,400 hook calls, 6,000 log lines


@pytest.fixture(scope="module")
def mmplug_plugin_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_plugin_project(tmp_path_factory.mktemp("chatty"), "com.example.chatty",
                                PLUGIN, name="Chatty", runtime=True)


@pytest.fixture
def busy_interpreter() -> Iterator[None]:
    """Another thread of this process running Python the whole time: the host's log readers
    must wait for the interpreter between the plugin's write and the host's drain."""
    stop = threading.Event()
    interval = sys.getswitchinterval()
    sys.setswitchinterval(0.0002)  # hand the interpreter over often: many more interleavings

    def spin() -> None:
        while not stop.is_set():
            sum(i * i for i in range(300))
            time.sleep(0)  # and let go of it now and then

    thread = threading.Thread(target=spin, daemon=True)
    thread.start()
    yield
    stop.set()
    thread.join()
    sys.setswitchinterval(interval)


def messages(records: list) -> list[str]:
    return sorted(r.message for r in records if r.source != "host")


@pytest.mark.parametrize("round_", range(TESTS))
def test_every_line_belongs_to_the_call_that_wrote_it(
        plugin: PluginHarness, busy_interpreter: None, round_: int) -> None:
    wrong: list[str] = []
    for i in range(FIRES):
        text = f"#{round_}.{i}"
        result = plugin.fire("MessageWillBePosted", post={"message": text})
        followed = [c for c in plugin.hook_calls[-1:] if c.hook == "MessageHasBeenPosted"]
        got_will, got_has = messages(result.logs), messages(followed[0].logs) if followed else []
        if got_will != [f"stderr will {text}", f"stdout will {text}", f"will {text}"]:
            wrong.append(f"MessageWillBePosted {text}: {got_will}")
        if got_has != [f"has {text}", f"stdout has {text}"]:
            wrong.append(f"MessageHasBeenPosted {text}: {got_has}")
    assert wrong == []
    # nothing lost, nothing from an earlier test: the test's logs are exactly its calls' lines
    assert len([r for r in plugin.logs if r.source != "host"]) == 5 * FIRES
    assert [c.hook for c in plugin.hook_calls] == \
        ["MessageWillBePosted", "MessageHasBeenPosted"] * FIRES
