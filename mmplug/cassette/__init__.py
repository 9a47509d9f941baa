"""Cassettes: record hook calls to JSON Lines, replay them, compare the results.

    from mmplug.cassette import CassetteRecorder, replay_cassette

    report = replay_cassette("tests/cassettes/hello.jsonl", plugin_dir=".")
    assert report.ok, report.render()

The format is described in ``docs/cassettes.md``. Importing this package is cheap: each name
imports its module on first use, and the host and gRPC are imported when a replay starts.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mmplug.cassette.format import Cassette, CassetteError, read_cassette, write_cassette
    from mmplug.cassette.recorder import CassetteRecorder
    from mmplug.cassette.replay import Mismatch, ReplayReport, replay_cassette

# Each public name and its module, imported on first use: `mmplug fire --record` imports the
# recorder without the replay machinery.
_HOMES = {
    "Cassette": "format",
    "CassetteError": "format",
    "read_cassette": "format",
    "write_cassette": "format",
    "CassetteRecorder": "recorder",
    "Mismatch": "replay",
    "ReplayReport": "replay",
    "replay_cassette": "replay",
}

__all__ = [
    "Cassette",
    "CassetteError",
    "CassetteRecorder",
    "Mismatch",
    "ReplayReport",
    "read_cassette",
    "replay_cassette",
    "write_cassette",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value
