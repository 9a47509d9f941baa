"""A hook that hangs inside `mmplug dev`: `fire --hook-timeout` holds when firing into dev, the
dev screen and .mmplug/dev.log say the plugin is stuck, its status says so to the control
channel and to the next `fire`, and a save reloads it."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from devloop_support import (
    PLUGIN_ID,
    processes_in,
    start_dev,
    stop_dev,
    wait_for,
    write_plugin,
    write_source,
)

pytestmark = pytest.mark.slow

SLOW_HOOK = '''
    def message_will_be_posted(self, context, post):
        import time
        time.sleep(float(post.message))
        return None
'''


def _fire(project: Path, seconds: str, *options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mmplug.cli.main", "fire", "MessageWillBePosted", "-m", seconds,
         "--format", "json", *options], cwd=project, capture_output=True, text=True,
        timeout=120)


def _state(project: Path) -> dict[str, object]:
    from mmplug.devloop.control import connect

    client = connect(project)
    assert client is not None
    with client:
        plugin: dict[str, object] = client.status()["plugins"][0]
    return plugin


def test_a_hung_hook_leaves_the_plugin_stuck_until_a_save(tmp_path: Path) -> None:
    project = write_plugin(tmp_path / "p", extra=SLOW_HOOK)
    proc = start_dev(project)  # the dev session's own deadline is the default 30 s
    try:
        wait_for(lambda: (project / ".mmplug" / "dev.json").is_file(), timeout=60,
                 what="the dev session")
        wait_for(lambda: _state(project)["state"] == "active", what="the plugin")
        started = time.monotonic()
        slow = _fire(project, "25", "--hook-timeout", "1")
        assert time.monotonic() - started < 20, "fire's own deadline did not hold in dev"
        assert slow.returncode == 1
        assert "MessageWillBePosted did not answer within 1 s" in slow.stderr
        assert "--hook-timeout" in slow.stderr

        state = _state(project)
        assert state["state"] == "stuck"
        assert "did not answer within 1 s" in str(state["problem"])
        log = (project / ".mmplug" / "dev.log").read_text()
        assert f"✗ {PLUGIN_ID}: stuck: MessageWillBePosted did not answer within 1 s" in log

        quick = _fire(project, "0")  # another call may still answer: it does, with a warning
        assert quick.returncode == 0, quick.stderr
        entry = json.loads(quick.stdout)
        assert entry["ok"] is True
        assert any(f"plugin {PLUGIN_ID} is stuck in the running `mmplug dev`" in warning
                   for warning in entry["warnings"])

        write_source(project, "v2", extra=SLOW_HOOK, atomic=True)  # a save reloads it
        wait_for(lambda: _state(project)["state"] == "active", what="the reload")
        assert "warnings" not in json.loads(_fire(project, "0").stdout)
    finally:
        out = stop_dev(proc)
    assert proc.returncode == 0, out
    assert f"✗ {PLUGIN_ID}: stuck: MessageWillBePosted did not answer within 1 s" in out
    assert processes_in(tmp_path) == []


def test_the_dev_sessions_own_deadline_holds_too(tmp_path: Path) -> None:
    """fire's default deadline (30 s) does not lift a shorter one the dev session was given."""
    project = write_plugin(tmp_path / "p", extra=SLOW_HOOK)
    proc = start_dev(project, "--hook-timeout", "1.5")
    try:
        wait_for(lambda: (project / ".mmplug" / "dev.json").is_file(), timeout=60,
                 what="the dev session")
        slow = _fire(project, "20", "--hook-timeout", "30")
        assert slow.returncode == 1
        assert "did not answer within 1.5 s" in slow.stderr
    finally:
        out = stop_dev(proc)
    assert proc.returncode == 0, out


SLOW_HTTP = '''
from mmplug.sdk import Plugin, serve


class SlowHttp(Plugin):
    def serve_http(self, context, response, request):
        import time
        time.sleep(float(request.path.strip("/") or "0"))
        response.write(b"done")


if __name__ == "__main__":
    serve(SlowHttp)
'''


def test_a_slow_servehttp_marks_the_plugin_stuck_and_fire_gives_up_in_time(
        tmp_path: Path) -> None:
    """The server waits for a ServeHTTP answer as long as the client does, and so does the
    front door (the browser gets its late answer); past the dev session's hook timeout the
    plugin is reported stuck as with any hook, and `fire ServeHTTP --hook-timeout` into dev
    gives up at its own deadline with the hook-timeout fault."""
    import urllib.request

    project = write_plugin(tmp_path / "p")
    (project / "plugin.py").write_text(SLOW_HTTP)
    proc = start_dev(project, "--hook-timeout", "1")
    try:
        wait_for(lambda: (project / ".mmplug" / "dev.json").is_file(), timeout=60,
                 what="the dev session")
        wait_for(lambda: _state(project)["state"] == "active", what="the plugin")
        from mmplug.devloop.control import connect

        client = connect(project)
        assert client is not None
        with client:
            door = str(client.status()["front_door"])
        url = f"{door}/plugins/{PLUGIN_ID}/3"
        with urllib.request.urlopen(url, timeout=30) as reply:  # waits past the timeout
            assert reply.read() == b"done"
        state = _state(project)
        assert state["state"] == "stuck"
        slow = f"ServeHTTP GET /plugins/{PLUGIN_ID}/3 has not answered after 1 s"
        assert slow in str(state["problem"])

        started = time.monotonic()
        fired = subprocess.run(
            [sys.executable, "-m", "mmplug.cli.main", "fire", "ServeHTTP", "GET", "/20",
             "--hook-timeout", "2"], cwd=project, capture_output=True, text=True, timeout=120)
        assert time.monotonic() - started < 15, "fire's deadline did not hold for ServeHTTP"
        assert fired.returncode == 1, fired.stdout + fired.stderr
        assert "ServeHTTP GET /20 did not answer within 2 s" in fired.stderr
        assert "front door" not in fired.stderr  # not "cannot reach the front door"
    finally:
        out = stop_dev(proc)
    assert f"✗ {PLUGIN_ID}: stuck: ServeHTTP GET /plugins/{PLUGIN_ID}/3 has not answered" in out
    assert processes_in(tmp_path) == []
