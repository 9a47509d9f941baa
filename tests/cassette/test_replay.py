"""Record a real session, replay it: passes; change the plugin: fails naming the field;
--update; passes again. Real plugin processes over real gRPC throughout."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from processes import children

from mmplug.cassette import CassetteRecorder, read_cassette, replay_cassette
from mmplug.host.fresh import deterministic_session
from mmplug.host.payloads import build_payload, resolve_hook, scene_from_store

SAMPLE_CALLS: list[tuple[str, dict[str, str]]] = [
    ("ExecuteCommand", {"command": "/parrot hello"}),
    ("MessageWillBePosted", {"message": "a badword"}),
    ("MessageHasBeenPosted", {"message": "counted"}),
]


def record_session(plugin: Path, cassette: Path,
                   calls: list[tuple[str, dict[str, str]]] = SAMPLE_CALLS) -> None:
    """What `mmplug dev --record` does: a recorder on a session, the ``calls`` fired."""
    session = deterministic_session(plugin, python=sys.executable)
    recorder = CassetteRecorder(cassette).attach(session)
    try:
        with session:
            scene = scene_from_store(session.store)
            for hook, kwargs in calls:
                spec = resolve_hook(hook)
                recorder.mark()
                session.fire(hook, build_payload(spec, scene, **kwargs))
    finally:
        recorder.close()
        session.store.close()


def replay_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mmplug.cli.main", "replay", *args, "--python", sys.executable],
        cwd=cwd, capture_output=True, text=True, timeout=60,
        env={"COLUMNS": "200", "NO_COLOR": "1", "PATH": "/usr/bin:/bin"})


def test_record_replay_change_update(parrot: Path) -> None:
    cassette = parrot / "session.jsonl"
    record_session(parrot, cassette)
    recorded = read_cassette(cassette)
    hooks = [e.hook for e in recorded.entries]
    assert hooks[0] == "OnActivate"
    assert "ExecuteCommand" in hooks and "MessageWillBePosted" in hooks
    nested = [e for e in recorded.entries if e.data.get("nested")]
    assert nested, "CreatePost inside /parrot runs MessageWillBePosted: recorded as nested"

    report = replay_cassette(cassette, parrot, python=sys.executable)
    assert report.ok, report.render()
    assert report.calls == len(recorded.entries) - len(nested)

    passing = replay_cli(str(cassette), "--check", cwd=parrot)
    assert passing.returncode == 0, passing.stdout + passing.stderr
    assert "all match" in passing.stdout

    source = parrot / "plugin.py"
    source.write_text(source.read_text().replace('GREETING = "Hello"', 'GREETING = "Howdy"'))
    failing = replay_cli(str(cassette), "--check", cwd=parrot)
    assert failing.returncode == 1
    assert re.search(r"api_calls\[\d+\]\.request\.post\.message", failing.stdout)
    assert '"Hello @alice: hello"' in failing.stdout and '"Howdy @alice: hello"' in failing.stdout
    assert "Traceback" not in failing.stdout + failing.stderr

    ignored = replay_cli(str(cassette), "--check", "--ignore", "message", cwd=parrot)
    assert ignored.returncode == 0, ignored.stdout
    # the same ignore written in the cassette's header holds for every replay of it
    own = parrot / "own-ignore.jsonl"
    lines = cassette.read_text().splitlines()
    head = json.loads(lines[0])
    own.write_text("\n".join([json.dumps({**head, "ignore": [*head.get("ignore", []),
                                                             "message"]}), *lines[1:]]) + "\n")
    assert replay_cli(str(own), "--check", cwd=parrot).returncode == 0

    before = cassette.read_text()
    updated = replay_cli(str(cassette), "--update", cwd=parrot)
    assert updated.returncode == 0 and "rewritten" in updated.stdout
    assert cassette.read_text() != before
    assert "Howdy @alice: hello" in cassette.read_text()
    assert replay_cli(str(cassette), "--check", cwd=parrot).returncode == 0


def test_fire_record_then_replay(parrot: Path) -> None:
    cassette = parrot / "fired.jsonl"
    for args in (["OnActivate"], ["ExecuteCommand", "/parrot hi"], ["ServeHTTP", "/status"]):
        result = subprocess.run(
            [sys.executable, "-m", "mmplug.cli.main", "fire", *args, "--record", str(cassette),
             "--python", sys.executable, "--format", "json"],
            cwd=parrot, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
    lines = cassette.read_text().splitlines()
    assert json.loads(lines[0])["format"] == "mmplug-cassette"
    assert [json.loads(x)["hook"] for x in lines[1:]] == ["OnActivate", "ExecuteCommand",
                                                         "ServeHTTP"]
    before = _children()
    report = replay_cassette(cassette, parrot, python=sys.executable)
    assert report.ok, report.render()
    assert report.calls == 3  # three sessions: the next one's interpreter starts early
    assert _children() == before  # no plugin, no spare left behind


def _children() -> set[int]:
    """This process's live (not zombie) child processes."""
    return children(os.getpid())


def test_replay_refuses_another_plugin_and_bad_cassettes(parrot: Path, tmp_path: Path) -> None:
    cassette = tmp_path / "other.jsonl"
    cassette.write_text(json.dumps({"format": "mmplug-cassette", "version": 1,
                                    "plugin_id": "com.example.other", "world": None}) + "\n")
    result = replay_cli(str(cassette), cwd=parrot)
    assert result.returncode == 2
    assert "records plugin 'com.example.other'" in result.stderr
    cassette.write_text('{"format": "mmplug-cassette", "version": 7, "plugin_id": "x"}\n')
    result = replay_cli(str(cassette), cwd=parrot)
    assert result.returncode == 2 and "version 7 is not supported" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("flags", [["--check", "--update"]])
def test_check_and_update_exclude_each_other(parrot: Path, flags: list[str]) -> None:
    result = replay_cli("missing.jsonl", *flags, cwd=parrot)
    assert result.returncode == 2 and "exclude each other" in result.stderr


def test_a_request_that_is_not_a_valid_message_names_the_line(parrot: Path) -> None:
    cassette = parrot / "bad.jsonl"
    header = {"format": "mmplug-cassette", "version": 1, "plugin_id": "com.example.parrot",
              "world": {"name": "default"}}
    line = {"seq": 1, "hook": "MessageWillBePosted", "request": {"post": {"mesage": "x"}},
            "response": {}, "error": None, "api_calls": [], "logs": []}
    cassette.write_text(json.dumps(header) + "\n" + json.dumps(line) + "\n")
    result = replay_cli(str(cassette), "--check", cwd=parrot)
    assert result.returncode == 2
    assert f"{cassette}:2: (MessageWillBePosted) request" in result.stderr
    assert "mesage" in result.stderr and "Traceback" not in result.stderr
    line["request"] = {"post": {"message": 5}}
    cassette.write_text(json.dumps(header) + "\n" + json.dumps(line) + "\n")
    typed = replay_cli(str(cassette), "--check", cwd=parrot)
    assert typed.returncode == 2 and "field 'post.message' wants a string" in typed.stderr


def test_a_failed_replay_leaves_no_plugin_and_no_spare_behind(parrot: Path) -> None:
    from mmplug.cassette.format import CassetteError

    cassette = parrot / "two.jsonl"
    header = {"format": "mmplug-cassette", "version": 1, "plugin_id": "com.example.parrot",
              "world": {"name": "default"}}
    bad = {"seq": 1, "hook": "MessageWillBePosted", "request": {"post": {"mesage": "x"}},
           "response": {}, "error": None, "api_calls": [], "logs": [], "session_start": True}
    good = dict(bad, seq=2, request={"post": {"message": "x"}})
    cassette.write_text("".join(json.dumps(x) + "\n" for x in (header, bad, good)))
    before = _children()
    with pytest.raises(CassetteError, match=r"two\.jsonl:2:"):  # after the 2nd run's spare started
        replay_cassette(cassette, parrot, python=sys.executable)
    assert _children() == before


CPUS = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1


@pytest.mark.skipif(CPUS < 2, reason="placing on one CPU needs Linux and several CPUs")
def test_replay_runs_the_calls_on_one_cpu_unless_told_otherwise(parrot: Path) -> None:
    from mmplug.cassette.replay import ONE_CPU_FROM

    source = parrot / "plugin.py"
    source.write_text("import os\n" + source.read_text().replace(  # CPUs at the call
        'f"{GREETING} @', 'f"cpus={len(os.sched_getaffinity(0))} @'))
    long_run = parrot / "long.jsonl"
    record_session(parrot, long_run, [("ExecuteCommand", {"command": "/parrot hi"})] * ONE_CPU_FROM)
    assert f"cpus={CPUS} @" in long_run.read_text()  # recorded as the system placed it

    pinned = replay_cli(str(long_run), "--check", cwd=parrot)
    assert pinned.returncode == 1
    assert f'"cpus={CPUS} @alice: hi"' in pinned.stdout and '"cpus=1 @alice: hi"' in pinned.stdout
    anywhere = replay_cli(str(long_run), "--check", "--any-cpu", cwd=parrot)
    assert anywhere.returncode == 0, anywhere.stdout

    short_run = parrot / "short.jsonl"  # one call: not worth pinning, so it matches as recorded
    fired = subprocess.run(
        [sys.executable, "-m", "mmplug.cli.main", "fire", "ExecuteCommand", "/parrot hi",
         "--record", str(short_run), "--python", sys.executable, "--format", "json"],
        cwd=parrot, capture_output=True, text=True, timeout=60)
    assert fired.returncode == 0, fired.stderr
    assert replay_cli(str(short_run), "--check", cwd=parrot).returncode == 0
