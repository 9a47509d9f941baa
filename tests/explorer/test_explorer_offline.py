"""The trace store on its own (memory bounded, the file capped) and `mmplug explore` on a
project's state without a dev session."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from explorer_support import Client

from mmplug.explorer.trace import Entry, TraceStore, now


def test_the_trace_keeps_little_in_memory_and_caps_its_file(tmp_path: Path) -> None:
    trace = TraceStore(tmp_path / "trace.db", keep_rows=500)
    trace.start()
    try:
        for i in range(3000):
            trace.add(Entry("lifecycle", "reload", now(), 0.001, "com.example.x",
                            info={"why": f"save {i}", "outcome": "active"}))
        trace.flush()
        assert trace.pending_count() == 0  # everything went to the file
        listed = trace.list(limit=10)
        assert listed["total"] == 500  # the oldest were dropped
        assert listed["calls"][0]["seq"] == 3000
        found = trace.list(text="SAVE 2999")
        assert [c["seq"] for c in found["calls"]] == [3000]
        assert trace.detail(3000)["info"]["why"] == "save 2999"
        assert trace.detail(1) is None
    finally:
        trace.close()


def _seeded_project(tmp_path: Path, parrot_plugin: Path) -> Path:
    from mmplug.host.session import Session

    with Session([parrot_plugin], python=sys.executable) as session:
        session.fire("MessageWillBePosted", post={"message": "hello"})
    return parrot_plugin


def test_explore_opens_the_state_without_a_dev_session(tmp_path: Path,
                                                       parrot_plugin: Path) -> None:
    from mmplug.explorer.server import open_offline

    project = _seeded_project(tmp_path, parrot_plugin)
    explorer = open_offline(project, port=0)
    explorer.start()
    try:
        client = Client(explorer)
        status = client.get("/api/status")
        assert status["live"] is False and status["plugins"][0]["state"] == "not running"
        users = client.get("/api/tables/users")["users"]
        assert "alice" in [u["username"] for u in users]
        town = next(c["id"] for c in client.get("/api/world")["channels"]
                    if c["name"] == "town-square")
        code, data, _ = client.call("POST", "/api/chat/post",
                                    {"user": "alice", "channel_id": town, "message": "hi"})
        assert code == 409 and "mmplug dev" in data["hint"]
        plugin_id = status["plugins"][0]["id"]
        client.call("PUT", f"/api/kv/{plugin_id}/note", {"value": "kept"})
        assert {"key": "note", "value": "kept"}.items() <= next(
            e for e in client.get(f"/api/kv/{plugin_id}")["entries"] if e["key"] == "note"
        ).items()
    finally:
        explorer.close()
    assert not (project / ".mmplug" / "explorer.json").exists()


@pytest.mark.slow
def test_mmplug_explore_prints_its_url_and_stops_cleanly(tmp_path: Path,
                                                         parrot_plugin: Path) -> None:
    project = _seeded_project(tmp_path, parrot_plugin)
    env = {**os.environ, "NO_COLOR": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "mmplug.cli.main", "explore", str(project),
                             "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("explorer: http://127.0.0.1:") and "?token=" in line
        url = line.split()[1]
        import urllib.request

        base, token = url.split("/?token=")
        request = urllib.request.Request(base + "/api/status",
                                         headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(request, timeout=10) as answer:
            assert answer.status == 200
    finally:
        proc.send_signal(signal.SIGINT)
        err = proc.communicate(timeout=30)[1]
    assert proc.returncode == 0, err
    assert err == "stopped by Ctrl-C; the explorer was closed; nothing was written.\n"


def test_explore_without_state_says_what_to_do(parrot_plugin: Any) -> None:
    env = {**os.environ, "NO_COLOR": "1"}
    done = subprocess.run([sys.executable, "-m", "mmplug.cli.main", "explore",
                           str(parrot_plugin)], capture_output=True, text=True, env=env,
                          timeout=60)
    assert done.returncode == 1 and "no fake-host state" in done.stderr
    assert "mmplug dev" in done.stderr and "Traceback" not in done.stderr
