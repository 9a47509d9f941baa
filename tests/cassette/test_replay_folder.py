"""`mmplug replay FOLDER`: every cassette of a folder, several at once in processes of their
own, reported in the cassettes' order; one that cannot be replayed does not stop the others."""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from test_replay import _children, record_session, replay_cli

from mmplug.cassette.batch import cassettes_in, replay_folder
from mmplug.cassette.format import CassetteError


@pytest.fixture()
def folder(parrot: Path) -> Path:
    """Three cassettes of the parrot plugin: a.jsonl, c.jsonl and sub/b.jsonl."""
    cassettes = parrot / "cassettes"
    (cassettes / "sub").mkdir(parents=True)
    record_session(parrot, cassettes / "a.jsonl")
    shutil.copy(cassettes / "a.jsonl", cassettes / "sub" / "b.jsonl")
    record_session(parrot, cassettes / "c.jsonl", [("MessageHasBeenPosted", {"message": "hi"})])
    (cassettes / "notes.txt").write_text("not a cassette")
    return cassettes


def reported(stdout: str) -> list[str]:
    """The cassettes named by the report lines, in the order printed."""
    return [line.split()[1].rstrip(":").split("cassettes/")[-1] for line in stdout.splitlines()
            if line.startswith(("✔", "✗"))]


def test_a_folder_replays_in_parallel_in_order(parrot: Path, folder: Path,
                                               left_in: Callable[[Path], set[int]]) -> None:
    done = replay_cli(str(folder), "--check", "--jobs", "2", cwd=parrot)
    assert done.returncode == 0, done.stdout + done.stderr
    assert left_in(parrot) == set()  # no plugin, and no spare started ahead for the next one
    assert reported(done.stdout) == ["a.jsonl", "c.jsonl", "sub/b.jsonl"]
    assert "3 cassettes, 3 all match" in done.stdout

    source = parrot / "plugin.py"
    source.write_text(source.read_text().replace('GREETING = "Hello"', 'GREETING = "Howdy"'))
    (folder / "other.jsonl").write_text(json.dumps({
        "format": "mmplug-cassette", "version": 1, "plugin_id": "com.example.other",
        "world": None}) + "\n")
    failing = replay_cli(str(folder), "--check", cwd=parrot)
    assert failing.returncode == 2, failing.stdout + failing.stderr  # a cassette not replayed
    assert reported(failing.stdout) == ["a.jsonl", "c.jsonl", "other.jsonl", "sub/b.jsonl"]
    assert "✗ " in failing.stdout and "records plugin 'com.example.other'" in failing.stdout
    assert '"Howdy @alice: hello"' in failing.stdout  # the diff of a and b
    assert "4 cassettes, 1 all match, 2 differ, 1 not replayed" in failing.stdout
    assert "Traceback" not in failing.stdout + failing.stderr

    (folder / "other.jsonl").unlink()
    differing = replay_cli(str(folder), "--check", cwd=parrot)
    assert differing.returncode == 1 and "1 all match, 2 differ" in differing.stdout


def test_in_one_process_too(parrot: Path, folder: Path) -> None:
    before = _children()
    outcomes = list(replay_folder(folder, parrot, jobs=1, python=sys.executable))
    assert _children() == before  # the spare kept from cassette to cassette is gone too
    assert [o.cassette.name for o in outcomes] == ["a.jsonl", "c.jsonl", "b.jsonl"]
    assert all(o.ok for o in outcomes), [o.report.render() for o in outcomes if o.report]


def test_a_folder_replay_stopped_between_cassettes_leaves_nothing(parrot: Path,
                                                                  folder: Path) -> None:
    before = _children()
    outcomes = replay_folder(folder, parrot, jobs=1, python=sys.executable)
    assert next(outcomes).ok
    outcomes.close()  # what Ctrl-C between two cassettes does to the loop
    assert _children() == before


def test_a_folder_without_cassettes_is_a_clear_error(parrot: Path, tmp_path: Path) -> None:
    with pytest.raises(CassetteError, match="no cassettes"):
        cassettes_in(tmp_path)
    done = replay_cli(str(tmp_path), cwd=parrot)
    assert done.returncode == 2 and "no cassettes (.jsonl files) in" in done.stderr
    assert "mmplug fire HOOK --record" in done.stderr
