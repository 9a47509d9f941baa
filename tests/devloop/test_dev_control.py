"""The control channel: socket permissions, round trips, errors, stale and absent sessions."""

from __future__ import annotations

import json
import socket
import stat
from pathlib import Path
from typing import Any

import pytest

from mmplug.devloop.control import ControlServer, connect, pointer_path
from mmplug.errors import MmplugError, UsageError


def _server(directory: Path, **handlers: Any) -> ControlServer:
    def fail(_request: dict[str, Any]) -> Any:
        raise UsageError("no such plugin", hint="try another")

    ops = {"echo": lambda request: request["value"], "fail": fail, **handlers}
    server = ControlServer([directory], ops, {"plugins": ["com.x"]})
    server.start()
    return server


def test_socket_is_owner_only_and_found_through_the_pointer(tmp_path: Path) -> None:
    server = _server(tmp_path)
    try:
        assert server.path is not None
        assert stat.S_IMODE(server.path.stat().st_mode) == 0o600
        assert stat.S_IMODE(pointer_path(tmp_path).stat().st_mode) == 0o600
        client = connect(tmp_path)
        assert client is not None
        with client:
            assert client.request("echo", value={"a": [1, 2]}) == {"a": [1, 2]}
            assert client.info["plugins"] == ["com.x"]
    finally:
        server.close()
    assert not pointer_path(tmp_path).exists()
    assert not (tmp_path / ".mmplug" / "dev.sock").exists()


def test_errors_come_back_as_the_same_exception(tmp_path: Path) -> None:
    server = _server(tmp_path)
    try:
        client = connect(tmp_path)
        assert client is not None
        with client, pytest.raises(UsageError) as caught:
            client.request("fail")
        assert caught.value.message == "no such plugin"
        assert caught.value.hint == "try another"
        with connect(tmp_path) as again, pytest.raises(MmplugError, match="unknown control"):  # type: ignore[union-attr]
            again.request("nope")
    finally:
        server.close()


def test_no_session_means_none(tmp_path: Path) -> None:
    assert connect(tmp_path) is None
    state = tmp_path / ".mmplug"
    state.mkdir()
    (state / "dev.json").write_text(json.dumps({"socket": str(state / "dev.sock"), "pid": 1}))
    assert connect(tmp_path) is None  # a pointer left by a killed session


def test_a_stale_socket_is_replaced_but_a_live_one_refused(tmp_path: Path) -> None:
    state = tmp_path / ".mmplug"
    state.mkdir()
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(str(state / "dev.sock"))
    stale.close()  # the file stays, nobody listens
    server = _server(tmp_path)
    try:
        with pytest.raises(UsageError, match="already running"):
            _server(tmp_path)
    finally:
        server.close()


def test_long_project_paths_get_a_short_socket(tmp_path: Path) -> None:
    deep = tmp_path / ("d" * 60) / ("e" * 60)
    deep.mkdir(parents=True)
    server = _server(deep)
    try:
        assert server.path is not None and len(str(server.path)) < 100
        client = connect(deep)
        assert client is not None
        with client:
            assert client.request("echo", value=1) == 1
    finally:
        server.close()


def _raw_frame(sock: socket.socket, payload: bytes) -> Any:
    import struct

    from mmplug.devloop.control import plain_loads

    sock.sendall(b"\0" + struct.pack(">I", len(payload)) + payload)
    reader = sock.makefile("rb")
    assert reader.read(1) == b"\0"
    (size,) = struct.unpack(">I", reader.read(4))
    return plain_loads(reader.read(size))


def test_binary_frames_and_json_lines_on_one_connection(tmp_path: Path) -> None:
    import pickle

    server = _server(tmp_path, raw=lambda request: {"binary": request["binary"],
                                                    "bytes": b"\x00\xff"},
                     unencodable=lambda request: object())
    try:
        client = connect(tmp_path)
        assert client is not None
        with client:
            assert client.binary  # the pointer says the session reads frames
            assert client.request("echo", value={"a": [1, 2]}) == {"a": [1, 2]}
            assert client.request("raw") == {"binary": True, "bytes": b"\x00\xff"}
            client.binary = False  # as a client that only speaks JSON lines
            assert client.request("echo", value="line") == "line"
            with pytest.raises(MmplugError, match="unencodable answer"):  # bytes are not JSON
                client.request("raw")
            client.binary = True  # a class in an answer: the client refuses to unpickle it
            with pytest.raises(MmplugError, match=r"plain data only, not builtins\.object"):
                client.request("unencodable")
            with pytest.raises(UsageError) as caught:
                client.request("fail")
            assert caught.value.hint == "try another"
        assert server.path is not None
        with socket.socket(socket.AF_UNIX) as sock:  # a frame carrying a class is refused
            sock.connect(str(server.path))
            answer = _raw_frame(sock, pickle.dumps({"op": "echo", "value": Path("/x")}))
        assert answer["ok"] is False
        assert "plain data only" in answer["error"]["message"]
    finally:
        server.close()


def test_a_pointer_without_frames_means_json_lines(tmp_path: Path) -> None:
    server = _server(tmp_path)
    try:
        pointer = pointer_path(tmp_path)
        info = json.loads(pointer.read_text())
        del info["frames"]  # what a session of an earlier version writes
        pointer.write_text(json.dumps(info))
        client = connect(tmp_path)
        assert client is not None
        with client:
            assert not client.binary
            assert client.request("echo", value=[1, "two"]) == [1, "two"]
    finally:
        server.close()
