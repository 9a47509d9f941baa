"""The interactive fire loop, driven by scripted answers against a real plugin process."""

from __future__ import annotations

import io
import sys
from pathlib import Path

from rich.console import Console

from mmplug.cassette.target import LocalTarget
from mmplug.cli._fire_input import FirePlan
from mmplug.cli._fire_loop import loop, ordered_hooks


def test_implemented_hooks_come_first() -> None:
    names = [h.go_name for h in ordered_hooks(["ServeHTTP", "ExecuteCommand"])]
    assert names[:2] == ["ExecuteCommand", "ServeHTTP"]
    assert "Implemented" not in names and len(names) == 51


def test_pick_edit_fire_repeat(parrot_plugin: Path) -> None:
    answers = iter([
        "ExecuteCommand", "/parrot from the loop", "",            # hook, command, no edits
        "message_will_be_posted", "fine text", "post.message=badword", "",  # an edit wins
        "NoSuchHook",                                             # an error, the loop goes on
        "?",                                                      # the list again
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
    assert fired == 2
    assert "repeated 13 characters" in text
    assert "rejected: Message blocked" in text
    assert "'NoSuchHook' is not a Mattermost plugin hook" in text
    assert prompts.count("hook (number or name, ? for the list, q to quit)") == 5
    assert text.count("Hooks the plugin implements:") == 2
