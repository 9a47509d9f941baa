"""Environment resolution, version negotiation and listener choice (no processes needed)."""

from __future__ import annotations

from pathlib import Path

import grpc
import pytest
from sdk_support import plugin_env, start_plugin, stop

from mmplug.sdk import _env
from mmplug.sdk._server import ServeError, bind, negotiate_version


def test_resolve_order_argument_variable_default() -> None:
    env = {"X": "from-env", "EMPTY": ""}
    assert _env.resolve("X", "arg", "dflt", env) == "arg"
    assert _env.resolve("X", None, "dflt", env) == "from-env"
    assert _env.resolve("EMPTY", None, "dflt", env) == "dflt"
    assert _env.resolve("MISSING", None, None, env) is None


@pytest.mark.parametrize(
    ("offered", "chosen"), [("1", 1), ("2,1", 1), ("1, 3", 1), ("2", 1), ("", 1), ("x", 1)])
def test_negotiate_version(offered: str, chosen: int) -> None:
    assert negotiate_version({_env.PROTOCOL_VERSIONS: offered}) == chosen


def new_server() -> grpc.Server:
    from concurrent import futures

    return grpc.server(futures.ThreadPoolExecutor(max_workers=1))


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({_env.MIN_PORT: "abc"}, "PLUGIN_MIN_PORT='abc' is not a port number"),
        ({_env.MIN_PORT: "20", _env.MAX_PORT: "10"}, "bad port range"),
        ({_env.UNIX_SOCKET_DIR: "/nonexistent/dir"}, "is not a directory"),
    ],
)
def test_bad_listener_settings_are_named(env: dict[str, str], message: str) -> None:
    server = new_server()
    with pytest.raises(ServeError, match=message):
        bind(server, env, None)
    server.stop(None)


def test_unix_socket_path_is_in_the_directory(tmp_path: Path) -> None:
    server = new_server()
    listener = bind(server, {_env.UNIX_SOCKET_DIR: str(tmp_path)}, None)
    assert listener.network == "unix"
    assert Path(listener.address).parent == tmp_path
    assert listener.handshake(1) == f"1|1|unix|{listener.address}|grpc"
    server.stop(None)


def test_bad_port_setting_exits_1_before_the_handshake() -> None:
    proc, line = start_plugin(env=plugin_env(PLUGIN_MIN_PORT="abc", PLUGIN_MAX_PORT="abc"))
    try:
        assert line == ""
        assert proc.wait(10) == 1
        assert proc.stderr is not None
        assert b"is not a port number" in proc.stderr.read()
    finally:
        stop(proc)
