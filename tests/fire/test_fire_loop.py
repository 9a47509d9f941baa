"""The interactive fire picker, against a real plugin process: driven through a real
pseudo-terminal as a user types, and by scripted answers for the finer points."""

from __future__ import annotations

import io
import re
import sys
from pathlib import Path

from pty_terminal import Terminal
from rich.console import Console

from mmplug.cli._fire_loop import EDIT_PROMPT, HOOK_PROMPT, loop, matching, ordered_hooks
from mmplug.fire import FirePlan
from mmplug.fire.local import LocalTarget

HOOK = re.escape(HOOK_PROMPT)
EDIT = re.escape(EDIT_PROMPT)


def test_implemented_hooks_come_first() -> None:
    names = [h.go_name for h in ordered_hooks(["ServeHTTP", "ExecuteCommand"])]
    assert names[:2] == ["ExecuteCommand", "ServeHTTP"]
    assert "Implemented" not in names and len(names) == 51


def test_typing_part_of_a_name_filters_the_hooks() -> None:
    specs = ordered_hooks([])
    assert [s.go_name for s in matching("posted", specs)] == [
        "MessageWillBePosted", "MessageHasBeenPosted", "WebSocketMessageHasBeenPosted"]
    assert [s.go_name for s in matching("message_will_be_UPD", specs)] == ["MessageWillBeUpdated"]
    assert matching("nothing-like-it", specs) == []


def test_the_picker_on_a_terminal(parrot_plugin: Path) -> None:
    """Filter by typing, pick, see the payload's fields, a bad edit is refused at once and the
    others stay, fire, and the implemented hooks are back above the next prompt."""
    below = parrot_plugin / "src" / "deeper"  # fire finds the project upward
    below.mkdir(parents=True)
    with Terminal("fire", "--python", sys.executable, cwd=below) as term:
        term.expect(r"Hooks the plugin implements:\n.*1\. OnActivate.*2\. MessageWillBePosted")
        term.expect(HOOK)
        term.type("posted")  # three hooks match: shown, the implemented ones next to the prompt
        listed = term.expect(r"3 hooks match 'posted'(?s:.*?)" + HOOK).group(0)
        assert listed.index("WebSocketMessageHasBeenPosted") < listed.index(
            "implemented by the plugin:") < listed.index("2. MessageWillBePosted")
        term.type("willbeposted")
        fields = term.expect(r"MessageWillBePosted: the payload it will send(?s:.*?)" + EDIT)
        assert re.search(r'post\.message +"Hello from mmplug fire"', fields.group(0))
        assert re.search(r"post\.channel_id +\"\w{26}\"", fields.group(0))
        term.type("post.props.urgent=true")
        term.expect(r'✔ post\.props = \{"urgent": true\}')
        term.expect(EDIT)
        term.type("post.create_at=soon")  # refused when typed
        term.expect(r"✗ .*'post\.create_at' wants an integer, got \"soon\"")
        term.expect(r"that edit was not applied; your edits are kept: post\.props\.urgent")
        term.expect(EDIT)
        term.type("post.mesage=x")
        term.expect(r"✗ post\.mesage: Post has no field (?s:.*)did you mean message or")
        term.expect(EDIT)
        term.type("badword in the text")  # plain text: the post's message
        term.expect(r'✔ post\.message = "badword in the text"')
        term.expect(EDIT)
        term.type("")
        term.expect(r"→ firing MessageWillBePosted with your edits: post\.props\.urgent, "
                    r"post\.message")
        term.expect(r"rejected: Message blocked")
        term.expect(r"Hooks the plugin implements:\n.*1\. OnActivate")
        term.expect(HOOK + r" \[2\]")  # Enter picks the last hook again
        term.type("")
        again = term.expect(r"MessageWillBePosted: the payload it will send(?s:.*?)" + EDIT)
        assert re.search(r'post\.message \* +"badword in the text"', again.group(0))
        term.type("q")
        term.expect(HOOK)
        term.type("q")
        assert term.wait() == 0


def test_scripted_loop_fires_keeps_edits_per_hook_and_survives_errors(
        parrot_plugin: Path) -> None:
    answers = iter([
        "ExecuteCommand", "/parrot from the loop", "",       # plain text: the command
        "2", "fine text", "post.message=badword", "",       # a later edit of a field wins
        "NoSuchHook",                                       # an error, the loop goes on
        "OnDeactivate",                                     # not fired from here
        "999",
        "?",                                                # every hook
        "ServeHTTP", "POST /nowhere", "-", "/status", "",   # `-` drops the edits
        "q",
    ])
    prompts: list[str] = []

    def ask(prompt: str, default: str) -> str:
        prompts.append(prompt)
        return next(answers)

    out = io.StringIO()
    with LocalTarget(parrot_plugin, python=sys.executable) as target:
        fired = loop(target, FirePlan(hook=None), ask, Console(file=out, width=200))
    text = out.getvalue()
    assert fired == 3
    assert "repeated 13 characters" in text
    assert 'args.command = "/parrot from the loop"' in text
    assert "→ firing MessageWillBePosted with your edits: post.message" in text
    assert "rejected: Message blocked" in text
    assert "'NoSuchHook' is not a Mattermost plugin hook" in text
    assert "'OnDeactivate' cannot be fired from here" in text
    assert "there is no hook number 999" in text
    assert "All hooks:" in text and "UserHasBeenCreated" in text
    assert 'init.method = "POST"' in text and 'init.url = "/nowhere"' in text
    assert 'init.url = "/status"' in text and "HTTP 200" in text
    assert prompts.count(HOOK_PROMPT) == 8
    # before every hook prompt, but after "?", whose list ends with the implemented hooks
    assert text.count("Hooks the plugin implements:") == 7
