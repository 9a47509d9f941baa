"""The dev loop with real plugin processes: edits, state, bursts, broken code, crashes."""

from __future__ import annotations

import urllib.request
from pathlib import Path

import pytest
from devloop_support import (
    PLUGIN_ID,
    Events,
    dev_loop,
    processes_in,
    wait_for,
    write_plugin,
    write_source,
)
from plugin_projects import write_plugin_project

pytestmark = pytest.mark.slow


def _get(loop: object, path: str) -> bytes:
    url = f"{loop.front_door.url}/plugins/{PLUGIN_ID}{path}"  # type: ignore[attr-defined]
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read()  # type: ignore[no-any-return]


def _command(loop: object) -> str:
    result = loop.fire("ExecuteCommand", args={"command": "/hi"})  # type: ignore[attr-defined]
    return str(result.response.response.text)


def test_an_edit_changes_behaviour_and_state_survives(tmp_path: Path) -> None:
    project = write_plugin(tmp_path / "p")
    events = Events()
    loop = dev_loop(project)
    loop.add_observer(events)
    with loop:
        assert _get(loop, "/") == b"v1"
        write_source(project, "v2", atomic=True)
        events.wait(lambda: any(r.why == "plugin.py changed" for r in events.reloads))
        assert _get(loop, "/") == b"v2"
        assert _command(loop) == "v2"
        assert _get(loop, "/activations") == b"2"  # the store outlived the old process
        reload = events.reloads[-1]
        assert reload.ok and reload.warm
        assert loop.status[PLUGIN_ID].last_reload is reload
    assert processes_in(tmp_path) == []


def test_the_store_survives_dev_runs_unless_fresh(tmp_path: Path) -> None:
    project = write_plugin(tmp_path / "p")
    for expected, fresh in ((b"1", False), (b"2", False), (b"1", True)):
        with dev_loop(project, store=None, fresh=fresh, watch=False) as loop:
            assert _get(loop, "/activations") == expected
    assert (project / ".mmplug" / "state.db").is_file()


def test_a_hundred_saves_end_with_the_latest_code(tmp_path: Path) -> None:
    project = write_plugin(tmp_path / "p")
    events = Events()
    loop = dev_loop(project)
    loop.add_observer(events)
    with loop:
        for index in range(100):
            write_source(project, f"v{index}", atomic=index % 2 == 0)
        wait_for(lambda: _command(loop) == "v99", timeout=30, what="the last version")
        pids = {r for r in processes_in(tmp_path)}
        assert len(pids) <= 2  # the plugin and at most one warm spare
    assert processes_in(tmp_path) == []


def test_a_syntax_error_waits_for_the_fix(tmp_path: Path) -> None:
    project = write_plugin(tmp_path / "p")
    events = Events()
    loop = dev_loop(project)
    loop.add_observer(events)
    with loop:
        (project / "plugin.py").write_text("def broken(:\n")
        events.wait(lambda: any(not r.ok for r in events.reloads))
        failed = [r for r in events.reloads if not r.ok][-1]
        assert "SyntaxError" in (failed.error or "")
        assert loop.status[PLUGIN_ID].state == "failed"
        count = len(events.reloads)
        write_source(project, "v3")
        events.wait(lambda: len(events.reloads) > count and events.reloads[-1].ok)
        assert _get(loop, "/") == b"v3"
    assert processes_in(tmp_path) == []


def test_an_exception_in_on_activate_is_shown_and_the_loop_lives(tmp_path: Path) -> None:
    extra = "        raise RuntimeError('activation exploded')\n"
    project = write_plugin(tmp_path / "p", extra=extra)
    events = Events()
    loop = dev_loop(project)
    loop.add_observer(events)
    with loop:
        assert loop.status[PLUGIN_ID].state == "failed"
        assert "activation exploded" in " ".join(events.problems)
        write_source(project, "v4")
        events.wait(lambda: events.reloads[-1].ok)
        assert _get(loop, "/") == b"v4"


def test_a_crash_in_a_hook_restarts_then_gives_up(tmp_path: Path) -> None:
    from mmplug.errors import PluginCrashError

    project = write_plugin(tmp_path / "p")
    events = Events()
    loop = dev_loop(project, watch=False)
    loop.add_observer(events)
    with loop:
        for crash in (1, 2):
            with pytest.raises(PluginCrashError):
                loop.fire("ExecuteCommand", args={"command": "/crash"})
            events.wait(lambda n=crash: sum(r.why.startswith("restart") for r in events.reloads)
                        >= n)
            assert _command(loop) == "v1"
        with pytest.raises(PluginCrashError):
            loop.fire("ExecuteCommand", args={"command": "/crash"})
        events.wait(lambda: loop.status[PLUGIN_ID].state == "given-up")
        assert "3 times" in (loop.status[PLUGIN_ID].problem or "")
    assert processes_in(tmp_path) == []


def test_a_killed_plugin_is_noticed_and_restarted(tmp_path: Path) -> None:
    import os
    import signal

    project = write_plugin(tmp_path / "p")
    events = Events()
    loop = dev_loop(project, watch=False)
    loop.add_observer(events)
    with loop:
        os.kill(loop.status[PLUGIN_ID].pid, signal.SIGKILL)
        events.wait(lambda: any(r.why.startswith("restart") for r in events.reloads))
        assert _get(loop, "/") == b"v1"


def test_a_changed_manifest_reloads_settings(tmp_path: Path) -> None:
    import json

    project = write_plugin(tmp_path / "p")
    events = Events()
    loop = dev_loop(project)
    loop.add_observer(events)
    with loop:
        assert _get(loop, "/greeting") == b"None"
        manifest = json.loads((project / "plugin.json").read_text())
        manifest["version"] = "0.2.0"
        manifest["settings_schema"] = {"settings": [
            {"key": "greeting", "type": "text", "display_name": "Greeting", "default": "howdy"}]}
        (project / "plugin.json").write_text(json.dumps(manifest))
        events.wait(lambda: any("plugin.json" in r.why for r in events.reloads))
        assert loop.session.plugin(PLUGIN_ID).manifest.version == "0.2.0"
        assert _get(loop, "/greeting") == b"howdy"  # the new setting default applies


def test_the_control_channel_fires_into_the_live_session(tmp_path: Path) -> None:
    from mmplug.devloop.control import connect

    project = write_plugin(tmp_path / "p")
    with dev_loop(project, watch=False) as loop:
        client = connect(project)
        assert client is not None
        with client:
            result = client.fire("ExecuteCommand", args={"command": "/hi"})
            assert result.ok and result.response.response.text == "v1"
            assert result.plugin_id == PLUGIN_ID
            status = client.status()
            assert status["plugins"][0]["state"] == "active"
            assert client.reload()["ok"] is True
        assert loop.status[PLUGIN_ID].last_reload.why.startswith("requested")
    assert connect(project) is None


def test_a_broken_or_renamed_manifest_waits_for_the_fix(tmp_path: Path) -> None:
    import json

    project = write_plugin(tmp_path / "p")
    events = Events()
    loop = dev_loop(project)
    loop.add_observer(events)
    with loop:
        good = (project / "plugin.json").read_text()
        (project / "plugin.json").write_text("{not json")
        events.wait(lambda: any(not r.ok for r in events.reloads))
        manifest = json.loads(good)
        manifest["id"] = "com.example.renamed"
        (project / "plugin.json").write_text(json.dumps(manifest))
        events.wait(lambda: "now says id 'com.example.renamed'" in " ".join(events.problems))
        count = len(events.reloads)
        (project / "plugin.json").write_text(good)
        events.wait(lambda: len(events.reloads) > count and events.reloads[-1].ok)
        assert _get(loop, "/") == b"v1"


FLAKY_HEALTH = '''
import pathlib
import threading

import grpc
from grpc_health.v1 import health, health_pb2

from mmplug.sdk import Plugin, serve

PINGS = pathlib.Path(__file__).with_name("pings")
_count = [0]
_lock = threading.Lock()


def check(self, request, context):
    """The launch's ping is answered; then, over and over, two pings fail and the third is
    answered NOT_SERVING."""
    with _lock:
        _count[0] += 1
        count = _count[0]
    PINGS.write_text(str(count))
    if count == 1:
        return health_pb2.HealthCheckResponse(status=health_pb2.HealthCheckResponse.SERVING)
    if count % 3 != 1:
        context.abort(grpc.StatusCode.UNAVAILABLE, "busy")
    return health_pb2.HealthCheckResponse(status=health_pb2.HealthCheckResponse.NOT_SERVING)


health.HealthServicer.Check = check


class Flaky(Plugin):
    pass


if __name__ == "__main__":
    serve(Flaky)
'''


def test_a_health_check_is_three_pings_and_any_answer_is_alive(tmp_path: Path) -> None:
    """PerformHealthCheck (server/public/plugin/supervisor.go) pings up to
    HealthCheckPingFailLimit (3) times in a row and is satisfied by the first ping answered;
    go-plugin's Ping (GRPCClient.Ping) counts only a failed call, not the status answered. A
    plugin that fails two pings of three and answers NOT_SERVING is kept running."""
    project = write_plugin_project(tmp_path / "p", PLUGIN_ID, FLAKY_HEALTH, name="Flaky")
    events = Events()
    loop = dev_loop(project, watch=False)
    loop.add_observer(events)
    with loop:
        pid = loop.status[PLUGIN_ID].pid
        pings = project / "pings"
        wait_for(lambda: pings.is_file() and int(pings.read_text() or 0) >= 7,
                 timeout=30, what="two health checks of three pings each")
        assert loop.status[PLUGIN_ID].pid == pid and loop.status[PLUGIN_ID].state == "active"
        assert events.problems == []
        assert not any(r.why.startswith("restart") for r in events.reloads)
    assert processes_in(tmp_path) == []


def test_a_hung_plugin_fails_its_health_check_and_is_restarted(tmp_path: Path) -> None:
    import os
    import signal

    project = write_plugin(tmp_path / "p")
    events = Events()
    loop = dev_loop(project, watch=False, hook_timeout=5.0)
    loop.add_observer(events)
    with loop:
        hung = loop.status[PLUGIN_ID].pid
        os.kill(hung, signal.SIGSTOP)  # alive, but answers nothing
        events.wait(lambda: any(r.why.startswith("restart") for r in events.reloads))
        assert any("its health check (failed 3 times in a row" in problem
                   for problem in events.problems), events.problems
        assert loop.status[PLUGIN_ID].pid != hung
        assert _get(loop, "/") == b"v1"
    assert processes_in(tmp_path) == []
