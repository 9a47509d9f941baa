"""docs/ha.md tells the truth: its plugin is tests/fixtures/stats_plugin, and the reports it shows
are what the detector says about it."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from mmplug.testing import PluginHarness

REPO = Path(__file__).resolve().parents[2]
STATS = REPO / "tests" / "fixtures" / "stats_plugin"
DOC = (REPO / "docs" / "ha.md").read_text()


@pytest.fixture(scope="module")
def mmplug_plugin_dir() -> Path:
    return STATS


def _block(after: str, kind: str) -> str:
    start = DOC.index(after)
    return re.search(rf"```{kind}\n(.*?)```", DOC[start:], re.S).group(1)  # type: ignore[union-attr]


def _flat(text: str) -> str:
    text = re.sub(r"\b[a-z0-9]{26}\b", "<id>", text)
    text = re.sub(r"\d+(\.\d+)? ms", "<ms>", text)
    text = re.sub(r"\(call \d+\)", "(call <n>)", text)
    text = re.sub(r"read '\d+'|read \(nothing\)|wrote '\d+'", "<value>", text)
    text = re.sub(r"on node\d", "on <node>", text)
    return " ".join(text.split())


def test_the_plugin_shown_is_the_fixture() -> None:
    assert _block("### A real mistake", "python") == (STATS / "plugin.py").read_text()


def test_the_fire_report_shown_is_what_fire_says() -> None:
    shown = _block("On one node, with one hook at a time", "console")
    command = shown.splitlines()[0].removeprefix("$ ").split()
    result = subprocess.run([sys.executable, "-m", "mmplug.cli.main", *command[1:],
                             "--python", sys.executable], cwd=STATS, capture_output=True,
                            text=True, timeout=120, env={"COLUMNS": "100", "NO_COLOR": "1",
                                                         "PATH": "/usr/bin:/bin"})
    assert result.returncode == 1, result.stderr
    expected = shown.split("\n", 1)[1].rsplit("$ echo $?", 1)[0]
    assert _flat(result.stdout) == _flat(expected)


def test_the_memory_report_shown_is_what_the_fixture_says(cluster: PluginHarness) -> None:
    cluster.as_user("alice", node=1).post("town-square", "hello")
    with pytest.raises(AssertionError) as failure:
        cluster.assert_consistent(http=("GET", "/stats"))
    shown = _block("The `seen` count lives in memory", "text")
    assert _flat(f"AssertionError: {failure.value}") == _flat(shown)
