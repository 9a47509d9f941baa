"""Replays fixtures/cassettes/sample.jsonl: recorded hook calls must still give the same
responses, API calls and logs. Record more with `mmplug fire ... --record <file>`, refresh
after an intended change with `mmplug replay <file> --update`."""

import sys
from pathlib import Path

from mmplug.cassette import replay_cassette

ROOT = Path(__file__).resolve().parents[1]


def test_sample_cassette_replays():
    report = replay_cassette(ROOT / "fixtures" / "cassettes" / "sample.jsonl", ROOT,
                             python=sys.executable)
    assert report.ok, report.render()
