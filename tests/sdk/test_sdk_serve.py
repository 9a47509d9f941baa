"""serve(): the plugin process as go-plugin's host sees it (real subprocesses, real gRPC)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from processes import alive
from sdk_support import SAMPLE, HookCaller, plugin_env, read_line, start_plugin, stop

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX process semantics")


def target(line: str) -> str:
    core, app, network, address, protocol = line.strip().split("|")
    assert (core, app, protocol) == ("1", "1", "grpc")
    return f"127.0.0.1:{address.split(':')[1]}" if network == "tcp" else f"unix:{address}"


def shutdown(channel: grpc.Channel) -> None:
    call = channel.unary_unary("/plugin.GRPCController/Shutdown",
                               request_serializer=lambda b: b, response_deserializer=lambda b: b)
    assert call(b"", timeout=5) == b""


def test_without_cookie_exits_1_with_a_friendly_message() -> None:
    env = plugin_env()
    del env["MATTERMOST_PLUGIN"]
    result = subprocess.run([sys.executable, str(SAMPLE)], env=env, capture_output=True,
                            timeout=30, stdin=subprocess.DEVNULL, check=False)
    assert result.returncode == 1
    assert result.stdout == b""
    assert b"This binary is a plugin" in result.stderr
    assert b"MATTERMOST_PLUGIN" in result.stderr
    assert b"Traceback" not in result.stderr


def test_tcp_handshake_health_hooks_and_graceful_shutdown() -> None:
    proc, line = start_plugin()
    try:
        assert line.startswith("1|1|tcp|127.0.0.1:") and line.endswith("|grpc\n")
        with grpc.insecure_channel(target(line)) as channel:
            health = health_pb2_grpc.HealthStub(channel)
            for service in ("plugin", ""):
                status = health.Check(health_pb2.HealthCheckRequest(service=service), timeout=5)
                assert status.status == health_pb2.HealthCheckResponse.SERVING
            hooks = HookCaller(channel)
            assert list(hooks("Implemented").hooks) == [
                "ExecuteCommand", "MessageHasBeenPosted", "MessageWillBePosted", "OnActivate",
                "ServeHTTP"]
            assert hooks("ExecuteCommand", args={"command": "/x"}).response.text == "you said /x"
            started = time.monotonic()
            shutdown(channel)
        assert proc.wait(30) == 0
        assert time.monotonic() - started < 2.0
        assert proc.stdout is not None and proc.stdout.read() == b""
    finally:
        stop(proc)


def test_logs_reach_stderr_as_hclog_json() -> None:
    proc, line = start_plugin()
    try:
        with grpc.insecure_channel(target(line)) as channel:
            assert not HookCaller(channel)("OnActivate").HasField("error")
            HookCaller(channel)("MessageHasBeenPosted", post={"id": "p7"})
            shutdown(channel)
        proc.wait(30)
        assert proc.stderr is not None
        entries = [json.loads(x) for x in proc.stderr.read().decode().splitlines()
                   if x.startswith("{")]
    finally:
        stop(proc)
    activated = next(e for e in entries if e["@message"] == "activated")
    assert activated["@level"] == "info" and activated["sample"] is True
    posted = next(e for e in entries if e["@message"] == "posted")
    assert posted["post_id"] == "p7"


def test_unix_socket_in_plugin_unix_socket_dir(tmp_path: Path) -> None:
    proc, line = start_plugin(env=plugin_env(PLUGIN_UNIX_SOCKET_DIR=str(tmp_path)))
    try:
        _, _, network, address, _ = line.strip().split("|")
        assert network == "unix"
        assert Path(address).parent == tmp_path
        assert Path(address).stat().st_mode & 0o777 == 0o600  # the plugin's own, beyond the dir
        with grpc.insecure_channel(target(line)) as channel:
            assert "OnActivate" in HookCaller(channel)("Implemented").hooks
            shutdown(channel)
        assert proc.wait(30) == 0
        assert not Path(address).exists()
    finally:
        stop(proc)


def test_port_range_is_honoured() -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        taken = busy.getsockname()[1]
        env = plugin_env(PLUGIN_MIN_PORT=str(taken), PLUGIN_MAX_PORT=str(taken + 1))
        proc, line = start_plugin(env=env)
        try:
            assert line.strip().split("|")[3] == f"127.0.0.1:{taken + 1}"
        finally:
            stop(proc)


def test_sigint_is_ignored_and_sigterm_stops() -> None:
    proc, line = start_plugin()
    try:
        proc.send_signal(signal.SIGINT)
        with grpc.insecure_channel(target(line)) as channel:
            assert HookCaller(channel)("Implemented").hooks  # still serving after SIGINT
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
    finally:
        stop(proc)


def test_exits_when_the_host_goes_away() -> None:
    launcher = (
        "import subprocess, sys, os\n"
        f"p = subprocess.Popen([sys.executable, {str(SAMPLE)!r}], stdout=subprocess.PIPE,"
        " stdin=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
        "sys.stdout.write(str(p.pid) + ' ' + p.stdout.readline().decode())\n"
        "sys.stdout.flush()\n"
        "os._exit(0)\n"
    )
    host = subprocess.Popen([sys.executable, "-c", launcher], env=plugin_env(),
                            stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
    try:
        pid_text, handshake = read_line(host, 15).split(" ", 1)
        assert handshake.startswith("1|1|tcp|")
        host.wait(10)
        pid = int(pid_text)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and alive(pid):
            time.sleep(0.05)
        assert not alive(pid), "plugin outlived its host"
    finally:
        stop(host)


def test_stray_print_after_handshake_goes_to_stderr(tmp_path: Path) -> None:
    script = tmp_path / "printer.py"
    script.write_text(
        "from mmplug.sdk import Plugin, serve\n"
        "class P(Plugin):\n"
        "    def on_activate(self):\n"
        "        print('stray print from a hook')\n"
        "serve(P)\n"
    )
    proc, line = start_plugin(script)
    try:
        with grpc.insecure_channel(target(line)) as channel:
            HookCaller(channel)("OnActivate")
            shutdown(channel)
        proc.wait(30)
        assert proc.stdout is not None and proc.stderr is not None
        assert proc.stdout.read() == b""
        assert b"stray print from a hook" in proc.stderr.read()
    finally:
        stop(proc)


def test_debug_listen_runs_without_cookie() -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = plugin_env(MMPLUG_DEBUG_LISTEN=f"127.0.0.1:{port}")
    del env["MATTERMOST_PLUGIN"]
    proc, line = start_plugin(env=env)
    try:
        assert line.strip() == f"1|1|tcp|127.0.0.1:{port}|grpc"
    finally:
        stop(proc)


@pytest.mark.parametrize("given", ["PORT", ":PORT"])
def test_a_debug_port_without_a_host_binds_loopback(given: str) -> None:
    """grpc would read a bare :PORT as every interface: the debug listener is for a host on
    this machine."""
    import socket

    if not Path("/proc/net/tcp").exists():
        pytest.skip("reads the listeners from /proc")

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = plugin_env(MMPLUG_DEBUG_LISTEN=given.replace("PORT", str(port)))
    del env["MATTERMOST_PLUGIN"]
    proc, line = start_plugin(env=env)
    try:
        assert line.strip() == f"1|1|tcp|127.0.0.1:{port}|grpc"
        bound = [fields[1].rsplit(":", 1)[0]  # the local address of every listener on port
                 for table in ("/proc/net/tcp", "/proc/net/tcp6") if Path(table).exists()
                 for fields in (row.split() for row in Path(table).read_text().splitlines()[1:])
                 if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port]
        assert bound and all(address.strip("0") for address in bound), bound  # no 0.0.0.0/::
    finally:
        stop(proc)


def test_plugin_calls_the_server_back_through_the_api_target() -> None:
    from sdk_fakeapi import api_server

    script = SAMPLE.parent / "api_plugin.py"
    with api_server() as (address, fake):
        proc, line = start_plugin(script, env=plugin_env(MATTERMOST_PLUGIN_API_TARGET=address))
        try:
            with grpc.insecure_channel(target(line)) as channel:
                hooks = HookCaller(channel)
                assert not hooks("OnActivate").HasField("error")
                replies = {word: hooks("ExecuteCommand", args={"command": f"/t {word}"})
                           .response.text for word in ("kv", "user", "teams", "version")}
                shutdown(channel)
            assert proc.wait(30) == 0
        finally:
            stop(proc)
    assert fake.kv == {"activated": b"yes"}
    assert fake.logs == [("info", "activated through the API", {"plugin": "api_plugin"})]
    assert replies == {"kv": "yes", "user": "not found: app.user.missing.app_error",
                       "teams": "teams not emulated", "version": "10.5.0"}


EXIT_STEPS = '''
import atexit, sys, threading, time
from mmplug.sdk import Plugin, serve

OUT = sys.argv[1]
released = threading.Event()


def note(step):
    with open(OUT, "a") as out:
        out.write(step + "\\n")


atexit.register(note, "exit handler registered at import")
left_open = open(OUT + ".open", "w")  # never closed: the teardown flushed such files


def finish_late():
    if released.wait(10):
        time.sleep(0.2)
        note("non-daemon thread")


class P(Plugin):
    def on_activate(self):
        left_open.write("written, never flushed")
        atexit.register(note, "exit handler registered in a hook")
        threading.Thread(target=finish_late, daemon=False).start()
        if "--stuck" in sys.argv:
            threading.Thread(target=threading.Event().wait, daemon=False).start()


try:
    serve(P)
finally:
    note("finally around serve()")
    released.set()
'''


@pytest.mark.parametrize("stuck", [False, True], ids=["orderly", "stuck-thread"])
def test_the_exit_runs_the_plugins_own_steps_in_order(tmp_path: Path, stuck: bool) -> None:
    """The SDK ends the process without the interpreter's teardown (_server._exit): what a
    plugin's code may rely on at exit still happens as in any Python exit, in order; a thread
    that never ends does not keep the process alive past the watchdog."""
    script = tmp_path / "exiting.py"
    script.write_text(EXIT_STEPS)
    out = tmp_path / "steps.txt"
    proc = subprocess.Popen([sys.executable, str(script), str(out), *(["--stuck"] * stuck)],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=plugin_env())
    try:
        line = read_line(proc, 15)
        with grpc.insecure_channel(target(line)) as channel:
            assert not HookCaller(channel)("OnActivate").HasField("error")
            shutdown(channel)
        assert proc.wait(10) == 0
    finally:
        stop(proc)
    steps = out.read_text().splitlines()
    assert Path(f"{out}.open").read_text() == "written, never flushed"
    if stuck:  # the watchdog ends the process while the interpreter waits for the thread
        assert steps == ["finally around serve()", "non-daemon thread"]
    else:
        assert steps == ["finally around serve()", "non-daemon thread",
                         "exit handler registered in a hook",
                         "exit handler registered at import"]
