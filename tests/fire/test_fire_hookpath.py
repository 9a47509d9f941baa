"""`mmplug fire` does around the hook what the server does (mmplug.host.hookpath), says so with
the result, and says what works under mmplug but not on a real server (`mmplug check`'s
findings, extension hooks, answers the server ignores)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from plugin_projects import write_plugin_project

Cli = Callable[..., subprocess.CompletedProcess[str]]

EXTENDED = '''
from mmplug.sdk import Plugin, serve


class Extended(Plugin):
    def serve_metrics(self, context, response, request):  # an extension hook
        response.write(b"requests_total 1\\n")

    def messages_will_be_consumed(self, posts):
        return []  # ignored by the server: the posts stay as they are


if __name__ == "__main__":
    serve(Extended)
'''


@pytest.fixture(scope="module")
def bot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from mmplug.scaffold import create_project

    parent = tmp_path_factory.mktemp("fire-bot")
    return create_project("com.example.firebot", template="bot", parent=parent).path


@pytest.fixture(scope="module")
def slash(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from mmplug.scaffold import create_project

    parent = tmp_path_factory.mktemp("fire-slash")
    return create_project("com.example.fireslash", template="slash-command",
                          parent=parent).path


@pytest.fixture()
def extended(tmp_path: Path) -> Path:
    return write_plugin_project(tmp_path / "extended", "com.example.extended", EXTENDED,
                                name="Extended", min_server_version="10.5.0", runtime=True)


def fired(cli: Cli, *args: str, cwd: Path) -> dict[str, object]:
    result = cli("fire", *args, "--format", "json", cwd=cwd)
    assert result.returncode == 0, result.stdout + result.stderr
    data: dict[str, object] = json.loads(result.stdout)
    return data


def test_the_bot_answers_a_mention_in_its_thread_when_fired(cli: Cli, bot: Path) -> None:
    # app.(*App).CreatePost saves the post before MessageHasBeenPosted: the bot's reply
    # with root_id = the post's id is accepted (it was "Invalid RootId" before)
    data = fired(cli, "MessageHasBeenPosted", "-m", "@firebot-bot stats please", cwd=bot)
    [create] = [c for c in data["api_calls"] if c["method"] == "CreatePost"]  # type: ignore[union-attr,index]
    assert create["error"] is None
    assert create["response"]["post"]["root_id"] == data["request"]["post"]["id"]  # type: ignore[index]
    assert [n["kind"] for n in data["host"]] == ["before"]  # type: ignore[union-attr,index]
    text = cli("fire", "MessageHasBeenPosted", "-m", "@firebot-bot hi", cwd=bot).stdout
    assert "before: saved the post" in text and "as the server does before" in text


def test_an_allowed_post_is_saved_and_message_has_been_posted_follows(cli: Cli, bot: Path
                                                                       ) -> None:
    data = fired(cli, "MessageWillBePosted", "-m", "@firebot-bot hi", cwd=bot)
    [after] = data["host"]  # type: ignore[misc]
    assert after["kind"] == "after"
    assert "then MessageHasBeenPosted ran on com.example.firebot" in after["text"]
    blocked = fired(cli, "MessageWillBePosted", "-m", "a badword", cwd=bot)
    assert "saves nothing" in blocked["host"][0]["text"]  # type: ignore[index]


def test_an_in_channel_command_answer_is_posted(cli: Cli, slash: Path) -> None:
    # app.(*App).HandleCommandResponsePost: an in_channel answer becomes the user's post
    data = fired(cli, "ExecuteCommand", "/fireslash announce hello all", cwd=slash)
    [after] = data["host"]  # type: ignore[misc]
    assert after["text"].startswith("posted the answer") and "~town-square as @alice" in \
        after["text"]
    echo = fired(cli, "ExecuteCommand", "/fireslash echo hi", cwd=slash)
    assert "ephemeral post" in echo["host"][0]["text"]  # type: ignore[index]


def test_fire_says_what_mmplug_check_fails_on_before_the_result(cli: Cli,
                                                                extended: Path) -> None:
    text = cli("fire", "MessagesWillBeConsumed", cwd=extended).stdout
    warning = text.index("warning: mmplug check: a real server never calls ServeMetrics")
    assert warning < text.index("✔ completed")
    assert text.count("never calls ServeMetrics on a Python plugin") == 1  # said once
    assert "server: an empty list is ignored" in text
    data = fired(cli, "MessagesWillBeConsumed", cwd=extended)
    [finding] = data["findings"]  # type: ignore[misc]
    assert (finding["kind"], finding["subject"]) == ("extension-hook", "ServeMetrics")
    assert "ignored" in [n["kind"] for n in data["host"]]  # type: ignore[union-attr,index]


def test_a_fired_extension_hook_is_marked_as_such(cli: Cli, extended: Path) -> None:
    data = fired(cli, "ServeMetrics", "GET", "/metrics", cwd=extended)
    assert data["http"]["status"] == 200  # type: ignore[index]
    assert data["http"]["body"] == "requests_total 1\n"  # type: ignore[index]
    [mark] = data["host"]  # type: ignore[misc]
    assert mark == {"kind": "extension", "text": "ServeMetrics — mmplug extension: a real "
                    "server never calls this hook on a Python plugin (the wire contract of "
                    "Python plugins has no such rpc)"}


def test_the_picker_says_the_findings_once(extended: Path) -> None:
    import io
    import sys

    from rich.console import Console

    from mmplug.cli._fire_loop import loop
    from mmplug.fire import FirePlan
    from mmplug.fire.local import LocalTarget

    answers = iter(["MessagesWillBeConsumed", "", "MessagesWillBeConsumed", "", "q"])
    out = io.StringIO()
    with LocalTarget(extended, python=sys.executable) as target:
        fired = loop(target, FirePlan(hook=None), lambda prompt, default: next(answers),
                     Console(file=out, width=300))
    text = out.getvalue()
    assert fired == 2
    assert text.count("never calls ServeMetrics on a Python plugin") == 1
    assert text.count("server: an empty list is ignored") == 2  # about each answer
