"""Cassettes: record hook calls to JSON Lines, replay them, compare the results.

    from mmplug.cassette import CassetteRecorder, replay_cassette

    report = replay_cassette("tests/cassettes/hello.jsonl", plugin_dir=".")
    assert report.ok, report.render()

The format is described in ``docs/cassettes.md``. Importing this package is cheap; the host
and gRPC are imported when a replay starts.
"""

from mmplug.cassette.format import Cassette, CassetteError, read_cassette, write_cassette
from mmplug.cassette.recorder import CassetteRecorder
from mmplug.cassette.replay import Mismatch, ReplayReport, replay_cassette

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
