"""Every broken plugin gives a named, actionable error within the timeout, and leaves no process.

The plugins are one script, ``tests/fixtures/fault_plugins/fault.py``, with the fault chosen
by ``FAULT_MODE``; it writes its pid to a file first so we can check the process is gone.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mmplug.errors import HookTimeoutError, MmplugError, PluginCrashError, PluginLaunchError
from mmplug.host.faults import fault_name
from mmplug.host.session import Session
from mmplug.host.store import Store

FAULT_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "fault_plugins"
START_TIMEOUT = 10.0  # the default; no fault may take it


@pytest.fixture
def store() -> Iterator[Store]:
    db = Store.open(":memory:")
    yield db
    db.close()


def pid_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def start(mode: str, tmp_path: Path, store: Store, **kwargs: object) -> tuple[Session, Path]:
    pid_file = tmp_path / "pid"
    session = Session(
        [FAULT_DIR],
        store=store,
        python=sys.executable,
        start_timeout=kwargs.pop("start_timeout", START_TIMEOUT),  # type: ignore[arg-type]
        env={"FAULT_MODE": mode, "FAULT_PID_FILE": str(pid_file)},
        **kwargs,  # type: ignore[arg-type]
    )
    return session, pid_file


def launch_fails(mode: str, tmp_path: Path, store: Store, **kwargs: object) -> MmplugError:
    session, pid_file = start(mode, tmp_path, store, **kwargs)
    with pytest.raises(PluginLaunchError) as caught:
        session.start()
    assert pid_file.exists(), "the fault plugin never ran"
    assert pid_gone(int(pid_file.read_text())), "the plugin process survived the failed launch"
    return caught.value


HANDSHAKE_FAULTS = [
    # mode, fault name, words the message must contain
    ("bad-line", "not-handshake", ["not a go-plugin handshake", "hello, I am not"]),
    ("short-line", "short-line", ["'1|1|tcp'", "3 fields", "at least 4"]),
    ("exit-early", "exited-early", ["exited with code 3", "could not load plugin configuration"]),
    ("stdout-noise", "stdout-noise", ["INFO starting up...", "before its handshake", "stderr"]),
    ("wrong-core", "bad-core", ["core protocol version '2'", "core version 1"]),
    ("wrong-app", "bad-app", ["app protocol version '99'", "accepts [1]"]),
    ("netrpc", "bad-protocol", ["'netrpc' protocol", "grpc only"]),
    ("four-fields", "bad-protocol", ["no fifth field means netrpc", "|grpc"]),
    ("bad-net", "bad-network", ["network 'udp'", "tcp and unix"]),
    ("dead-port", "dead-port", ["nothing answers there", "bind the port before"]),
    ("exit-after", "exited-after-handshake", ["exited with code 0 right after its handshake"]),
    ("no-health", "no-health", ["health service", "UNIMPLEMENTED", "SERVING"]),
]


@pytest.mark.parametrize(
    ("mode", "name", "words"), HANDSHAKE_FAULTS, ids=[f[0] for f in HANDSHAKE_FAULTS]
)
def test_launch_fault_is_named(
    mode: str, name: str, words: list[str], tmp_path: Path, store: Store
) -> None:
    started = time.monotonic()
    error = launch_fails(mode, tmp_path, store)
    assert time.monotonic() - started < START_TIMEOUT, "a fault must not wait for the timeout"
    assert fault_name(error) == name
    text = error.render()
    assert text.startswith("plugin com.example.faulty: ")
    for word in words:
        assert word in text
    assert "hint: " in text
    assert f"fault plugin starting in mode {mode}" in text or mode in ("no-health",)


def test_hang_times_out_with_the_configured_timeout(tmp_path: Path, store: Store) -> None:
    started = time.monotonic()
    error = launch_fails("hang", tmp_path, store, start_timeout=1.0)
    elapsed = time.monotonic() - started
    assert 1.0 <= elapsed < 6.0
    assert fault_name(error) == "timeout"
    assert "no handshake within 1 s" in error.message
    assert "--start-timeout" in error.hint
    assert "fault plugin starting in mode hang" in error.details


def test_missing_controller_is_reported_at_stop_and_the_process_is_killed(
    tmp_path: Path, store: Store
) -> None:
    session, pid_file = start("no-controller", tmp_path, store)
    with session:
        handle = session.plugin()
        assert handle.state == "active"
        started = time.monotonic()
    assert time.monotonic() - started < 1.9, "no need to wait 2 s for a plugin without controller"
    assert pid_gone(int(pid_file.read_text()))
    problem = handle.shutdown_problem
    assert isinstance(problem, PluginCrashError)
    assert fault_name(problem) == "no-controller"
    assert "plugin.GRPCController/Shutdown" in problem.message
    warnings = [r for r in session.logs if r.level == "warn" and r.source == "host"]
    assert any("GRPCController" in r.message for r in warnings)


def test_hook_that_kills_the_plugin_is_a_crash(tmp_path: Path, store: Store) -> None:
    session, pid_file = start("hook-crash", tmp_path, store)
    with session:
        with pytest.raises(PluginCrashError) as caught:
            session.fire("MessageWillBePosted", post={"message": "hi"})
        assert session.plugin().state == "crashed"
        assert pid_gone(int(pid_file.read_text()))
    error = caught.value
    assert fault_name(error) == "crashed"
    # the plugin's own error leads; how the process ended follows it
    assert error.message == "plugin com.example.faulty: RuntimeError: simulated crash"
    assert error.details.startswith("the plugin process exited with code 9 during "
                                    "MessageWillBePosted")


def test_hook_past_its_deadline_is_a_timeout(tmp_path: Path, store: Store) -> None:
    session, pid_file = start("hook-hang", tmp_path, store, hook_timeout=0.5)
    with session:
        started = time.monotonic()
        with pytest.raises(HookTimeoutError) as caught:
            session.fire("MessageWillBePosted", post={"message": "hi"})
        assert time.monotonic() - started < 5.0
    assert pid_gone(int(pid_file.read_text()))
    assert "did not answer within 0.5 s" in caught.value.message
    assert "--hook-timeout" in caught.value.hint
    assert "about to misbehave" in caught.value.details
