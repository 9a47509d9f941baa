"""Session end to end with a plugin written in plain grpcio (no mmplug SDK): real process,
real gRPC both ways, logs per hook call, observers, reload, ServeHTTP, dispatcher, cleanup."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mmplug.errors import MmplugError, PluginLaunchError, UsageError
from mmplug.host.faults import fault_name
from mmplug.host.logs import LogRecord
from mmplug.host.session import HookResult, Session
from mmplug.host.store import Store
from mmplug.protocol import hooks_message_pb2, post_pb2

PLAIN_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "plain_plugin"
PLUGIN_ID = "com.example.plain"


def pid_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


@pytest.fixture
def store() -> Iterator[Store]:
    db = Store.open(":memory:")
    yield db
    db.close()


@pytest.fixture
def session(store: Store) -> Iterator[Session]:
    with Session([PLAIN_DIR], store=store, python=sys.executable, hook_timeout=10.0,
                 env={"PLAIN_CUSTOM": "from-session"}) as s:
        yield s


def serving_record(session: Session) -> LogRecord:
    return next(r for r in session.logs if r.message == "serving")


def test_start_activates_and_lists_implemented_hooks(session: Session) -> None:
    handle = session.plugins[PLUGIN_ID]
    assert handle.state == "active"
    assert handle.implemented == ["OnActivate", "OnDeactivate", "MessageWillBePosted", "ServeHTTP"]
    assert not pid_gone(handle.pid)
    activating = next(r for r in session.logs if r.message == "activating")
    # the server sends OnActivate an empty request (no context)
    assert activating.fields == {"context_sent": False}
    assert activating.module == "plain"
    assert any("'OnTypo', which is not a Mattermost hook" in r.message for r in session.logs)


def test_plugin_sees_the_servers_environment(session: Session) -> None:
    fields = serving_record(session).fields
    assert fields["versions"] == "1"
    assert fields["ports"] == "10000-25000"
    assert fields["custom"] == "from-session"
    assert fields["cwd"] == str(PLAIN_DIR)
    api = session.plugins[PLUGIN_ID].api
    if api is not None:
        assert fields["api_target"] == api.address
        assert fields["api_target"].startswith("127.0.0.1:")


def test_fire_by_any_name_returns_response_logs_and_timing(session: Session) -> None:
    for name in ("MessageWillBePosted", "message_will_be_posted", "messagewillbeposted"):
        result = session.fire(name, post={"message": "hi", "channel_id": "c1"})
        assert result.ok
        assert result.hook == "MessageWillBePosted"
        assert result.response.modified_post.message == "HI"  # type: ignore[union-attr]
        assert result.response.modified_post.channel_id == "c1"  # type: ignore[union-attr]
        assert [(r.level, r.message) for r in result.logs] == [
            ("warn", "got post 'hi'"),
            ("debug", "modified post"),
        ]
        assert result.logs[1].fields == {"length": 2}
        assert 0 < result.duration_s < 5
        assert result.request.context.plugin_id == PLUGIN_ID  # type: ignore[attr-defined]
        assert len(result.request.plugin_context.request_id) == 26  # type: ignore[attr-defined]


def test_fire_with_a_message(session: Session) -> None:
    request = hooks_message_pb2.MessageWillBePostedRequest(post=post_pb2.Post(message="reject"))
    result = session.fire("MessageWillBePosted", request)
    assert result.response.rejection_reason == "no thanks"  # type: ignore[union-attr]


def test_handler_exception_is_data_and_the_plugin_lives_on(session: Session) -> None:
    result = session.fire("MessageWillBePosted", post={"message": "boom"})
    assert not result.ok
    assert result.error is not None and "boom" in result.error
    assert session.fire("MessageWillBePosted", post={"message": "ok"}).ok


def test_api_calls_made_during_a_hook_are_attached_to_it(session: Session) -> None:
    if session.plugins[PLUGIN_ID].api is None:
        pytest.skip("the PluginAPI server is not available")
    result = session.fire("MessageWillBePosted", post={"message": "version"})
    assert [c.method for c in result.api_calls] == ["GetServerVersion"]
    assert result.api_calls[0].plugin_id == PLUGIN_ID


def test_unknown_and_unimplemented_hooks_are_clear_errors(session: Session) -> None:
    with pytest.raises(UsageError, match="not a Mattermost plugin hook"):
        session.fire("MessageWasPostedMaybe")
    with pytest.raises(MmplugError, match="does not implement ExecuteCommand") as caught:
        session.fire("execute_command")
    assert "MessageWillBePosted" in caught.value.hint
    with pytest.raises(UsageError, match="cannot build MessageWillBePostedRequest"):
        session.fire("MessageWillBePosted", postt={"message": "x"})
    with pytest.raises(UsageError, match="serve_http"):
        session.fire("ServeHTTP")


def test_dispatcher_skips_unimplemented_hooks_silently(session: Session) -> None:
    assert session.hooks.fire("ExecuteCommand", _request("ExecuteCommandRequest")) == []
    answers = session.hooks.fire(
        "MessageWillBePosted",
        hooks_message_pb2.MessageWillBePostedRequest(post=post_pb2.Post(message="abc")),
    )
    assert [(pid, r.modified_post.message) for pid, r in answers] == [(PLUGIN_ID, "ABC")]


def _request(name: str) -> object:
    from mmplug.protocol.messages import message_class

    return message_class(name)()


def test_observers_see_hook_calls_and_logs(session: Session) -> None:
    class Recorder:
        def __init__(self) -> None:
            self.calls: list[HookResult] = []
            self.logs: list[LogRecord] = []

        def on_hook_call(self, result: HookResult) -> None:
            self.calls.append(result)

        def on_log(self, record: LogRecord) -> None:
            self.logs.append(record)

    recorder = Recorder()
    session.add_observer(recorder)
    session.fire("MessageWillBePosted", post={"message": "x"})
    assert [c.hook for c in recorder.calls] == ["MessageWillBePosted"]
    assert any(r.message == "modified post" for r in recorder.logs)


def test_serve_http_streams_request_and_response(session: Session) -> None:
    body = [b"a" * 70000, b"b" * 10]
    response = session.serve_http(None, "post", "/hooks/x?y=1", {"X-Test": "1"}, iter(body))
    assert response.status == 201
    assert ("X-Echo-Method", "POST") in response.headers
    assert response.read() == b"/hooks/x?y=1 " + b"a" * 70000 + b"b" * 10


def test_serve_http_answers_as_the_servers_hook_client_writes_them(session: Session) -> None:
    """(*hooksGRPCClient).writeHTTPResponseHeaders (server/public/plugin/hooks_grpc_client.go):
    the answer's header keys come out canonical (Go's Header().Add); a status outside 100..999
    is refused with the server's own plain 500, none of the plugin's headers and body."""
    response = session.serve_http(None, "GET", "/x", {"X-Status": "202"})
    assert response.status == 202 and ("X-Echo-Lower", "1") in response.headers
    refused = session.serve_http(None, "GET", "/x", {"X-Status": "1000"})
    assert (refused.status, refused.read()) == (500, b"Internal Server Error\n")
    assert refused.headers == [("Content-Type", "text/plain; charset=utf-8"),
                               ("X-Content-Type-Options", "nosniff")]
    assert refused.error is not None and "1000" in refused.error


def test_reload_relaunches_and_reactivates(session: Session) -> None:
    old_pid = session.plugins[PLUGIN_ID].pid
    handle = session.reload(PLUGIN_ID)
    assert handle.pid != old_pid
    assert pid_gone(old_pid)
    assert handle.state == "active"
    assert session.fire("MessageWillBePosted", post={"message": "again"}).ok
    assert [r.message for r in session.logs].count("deactivating") == 1


def test_exit_deactivates_and_leaves_no_process(store: Store) -> None:
    with Session([PLAIN_DIR], store=store, python=sys.executable) as s:
        pid = s.plugins[PLUGIN_ID].pid
    assert pid_gone(pid)
    assert s.plugins[PLUGIN_ID].state == "stopped"
    assert s.plugins[PLUGIN_ID].shutdown_problem is None
    assert any(r.message == "deactivating" for r in s.logs)


def test_failed_activation_is_a_launch_error(store: Store) -> None:
    session = Session([PLAIN_DIR], store=store, python=sys.executable,
                      env={"PLAIN_FAIL_ACTIVATE": "1"})
    with pytest.raises(PluginLaunchError) as caught:
        session.start()
    assert fault_name(caught.value) == "activate-failed"
    # what the server shows: the id (it does not read the plugin's message)
    assert "would not activate the plugin: plain.activate" in caught.value.message
    assert "refusing to start" not in caught.value.message
    assert pid_gone(session.plugins[PLUGIN_ID].pid)


def test_an_activation_error_without_an_id_still_fails_activation(store: Store) -> None:
    """The server counts an OnActivate answer whose error is set as a failure, even with an
    empty id; it does not read the message."""
    session = Session([PLAIN_DIR], store=store, python=sys.executable,
                      env={"PLAIN_FAIL_ACTIVATE": "no-id"})
    with pytest.raises(PluginLaunchError) as caught:
        session.start()
    assert fault_name(caught.value) == "activate-failed"
    assert "an AppError with an empty id" in caught.value.message
    assert session.plugins[PLUGIN_ID].state == "stopped"
    assert pid_gone(session.plugins[PLUGIN_ID].pid)


def test_bad_manifest_is_reported_before_anything_starts(tmp_path: Path) -> None:
    (tmp_path / "plugin.json").write_text("{not json")
    with pytest.raises(MmplugError, match="invalid JSON"):
        Session([tmp_path], store=":memory:").start()


def test_interpreter_comes_from_the_plugins_venv(tmp_path: Path) -> None:
    from mmplug.host._child_env import find_python, server_python

    assert find_python(tmp_path, "/x/python") == "/x/python"
    on_path = server_python(tmp_path)  # the server's rule (mmplug may use its own instead)
    assert on_path is not None and on_path.path == (shutil.which("python3")
                                                    or shutil.which("python"))
    venv_python = tmp_path / ".venv" / "bin" / "python3"
    venv_python.parent.mkdir(parents=True)
    venv_python.symlink_to(sys.executable)
    assert find_python(tmp_path) == str(venv_python)
    preferred = tmp_path / "venv" / "bin" / "python"
    preferred.parent.mkdir(parents=True)
    preferred.symlink_to(sys.executable)
    assert find_python(tmp_path) == str(preferred)


HOST_SCRIPT = """
import sys, time
from mmplug.host.session import Session
from mmplug.host.store import Store
s = Session([sys.argv[1]], store=Store.open(":memory:"), python=sys.executable)
s.start()
print(s.plugins["com.example.plain"].pid, flush=True)
time.sleep(60)
"""


@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_plugin_dies_with_a_killed_host(signum: int) -> None:
    host = subprocess.Popen([sys.executable, "-c", HOST_SCRIPT, str(PLAIN_DIR)],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert host.stdout is not None
        pid = int(host.stdout.readline())
        assert not pid_gone(pid)
        host.send_signal(signum)
        assert host.wait() == -signum  # the host still dies of the signal
        deadline = time.monotonic() + 5
        while not pid_gone(pid) and time.monotonic() < deadline:
            time.sleep(0.02)  # polling the kernel, not synchronising with the plugin
        assert pid_gone(pid), "the plugin outlived its SIGKILLed host"
    finally:
        host.kill()
        host.wait()
        if host.stdout is not None:
            host.stdout.close()


def test_stdout_after_the_handshake_is_shown_with_a_warning(session: Session) -> None:
    printed = threading.Event()

    class Watcher:
        def on_log(self, record: LogRecord) -> None:
            if record.source == "stdout" and record.message == "printed by a hook":
                printed.set()

    session.add_observer(Watcher())
    session.fire("MessageWillBePosted", post={"message": "print"})
    assert printed.wait(5), "the printed line never showed up"
    warning = next(r for r in session.logs if "writes to stdout" in r.message)
    assert warning.level == "warn" and warning.source == "host"


def test_default_store_lives_in_the_project_and_fresh_starts_over(tmp_path: Path) -> None:
    from mmplug.errors import StoreError

    project = tmp_path / "plain"
    shutil.copytree(PLAIN_DIR, project)
    database = project / ".mmplug" / "state.db"
    database.parent.mkdir()
    database.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError) as caught:
        Session([project], python=sys.executable).start()
    assert "--fresh" in caught.value.hint
    with Session([project], python=sys.executable, fresh=True) as s:
        assert s.store.path == str(database)
        assert s.plugins["com.example.plain"].state == "active"
    assert database.read_bytes().startswith(b"SQLite format 3")


def test_poll_reports_a_plugin_that_died_on_its_own(store: Store) -> None:
    from mmplug.errors import PluginCrashError

    with Session([PLAIN_DIR], store=store, python=sys.executable) as s:
        s.poll()  # alive: nothing to report
        handle = s.plugins[PLUGIN_ID]
        os.kill(handle.pid, signal.SIGKILL)
        assert handle.client is not None
        handle.client.process.exit_code(wait=5)
        with pytest.raises(PluginCrashError, match="was killed by SIGKILL") as caught:
            s.poll()
        assert handle.state == "crashed"
        assert "activating" in caught.value.details
        with pytest.raises(MmplugError, match="not running"):
            s.fire("MessageWillBePosted", post={"message": "x"})
    assert pid_gone(handle.pid)
