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
