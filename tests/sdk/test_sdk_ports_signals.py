"""The SDK's port probing leaves no grpc noise, and a debug-mode plugin stops on Ctrl-C."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from sdk_support import plugin_env, start_plugin, stop

from mmplug.host.session import Session

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX process semantics")


def test_a_taken_port_leaves_no_add_port_line_in_the_logs(parrot_plugin: Path) -> None:
    with socket.socket() as busy:
        busy.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # past TIME_WAIT leftovers
        try:
            busy.bind(("127.0.0.1", 10000))  # the first port of the range the host offers
            busy.listen()
            held = True
        except OSError:
            held = False  # listened on by someone else already: just as good
        with Session([parrot_plugin], store=":memory:", python=sys.executable) as session:
            session.drain_output()
            handshake = session.plugin().client.process.handshake  # type: ignore[union-attr]
            lines = [record.raw or record.message for record in session.logs]
    assert handshake is not None
    if held:
        assert handshake.address != "127.0.0.1:10000"
    assert [line for line in lines if "add_port" in line or "Address already in use" in line] \
        == []


def test_ctrl_c_stops_a_plugin_started_with_debug_listen() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = plugin_env(MMPLUG_DEBUG_LISTEN=f"127.0.0.1:{port}")
    del env["MATTERMOST_PLUGIN"]  # started by hand, as for a debugger
    proc, line = start_plugin(env=env)
    try:
        assert line.strip() == f"1|1|tcp|127.0.0.1:{port}|grpc"
        proc.send_signal(signal.SIGINT)
        try:
            code = proc.wait(10)
        except subprocess.TimeoutExpired:
            pytest.fail("the plugin kept running after Ctrl-C (SIGINT)")
        assert code == 0
    finally:
        stop(proc)
