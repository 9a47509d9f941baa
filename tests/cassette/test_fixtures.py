"""The sample cassettes in fixtures/cassettes replay cleanly against their plugins."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from mmplug.cassette import read_cassette, replay_cassette

ROOT = Path(__file__).resolve().parents[2]
PLUGINS = {"com.example.parrot": ROOT / "tests" / "fixtures" / "parrot_plugin"}
CASSETTES = sorted((ROOT / "fixtures" / "cassettes").glob("*.jsonl"))


@pytest.mark.parametrize("cassette", CASSETTES, ids=[c.name for c in CASSETTES])
def test_sample_cassette_replays(cassette: Path) -> None:
    plugin = PLUGINS.get(read_cassette(cassette).plugin_id)
    if plugin is None:
        pytest.skip(f"{cassette.name} belongs to a plugin tested elsewhere")
    report = replay_cassette(cassette, plugin, python=sys.executable)
    assert report.ok, report.render()
    assert report.calls >= 4
