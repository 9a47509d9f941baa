"""A plugin written with mmplug.sdk runs under the Session like under the server."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from plugin_projects import write_plugin_project

from mmplug.host.session import Session
from mmplug.host.store import Store

SAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "sdk_plugins" / "sample_plugin.py"


def sample_dir(tmp_path: Path) -> Path:
    if not SAMPLE.exists():
        pytest.skip("the SDK sample plugin is not available")
    return write_plugin_project(tmp_path / "sample", "com.example.sample", SAMPLE,
                                version="1.0.0")


@pytest.fixture
def session(tmp_path: Path) -> Iterator[Session]:
    store = Store.open(":memory:")
    with Session([sample_dir(tmp_path)], store=store, python=sys.executable) as s:
        yield s
    store.close()


def test_sdk_plugin_activates_and_answers_hooks(session: Session) -> None:
    handle = session.plugins["com.example.sample"]
    assert {"OnActivate", "MessageWillBePosted", "ExecuteCommand", "ServeHTTP"} <= set(
        handle.implemented
    )
    activated = next(r for r in session.logs if r.message == "activated")
    assert activated.level == "info"
    rejected = session.fire("MessageWillBePosted", post={"message": "a forbidden word"})
    assert rejected.response.rejection_reason == "forbidden word"  # type: ignore[union-attr]
    allowed = session.fire("MessageWillBePosted", post={"message": "fine"})
    assert allowed.ok and not allowed.response.rejection_reason  # type: ignore[union-attr]
    response = session.serve_http(None, "GET", "/hello")
    assert response.status == 200
    assert b"hello from the sample plugin" in response.read()


def test_sdk_plugin_exits_gracefully(session: Session) -> None:
    pid = session.plugins["com.example.sample"].pid
    session.close()
    assert session.plugins["com.example.sample"].shutdown_problem is None
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_sdk_plugin_over_a_unix_socket(tmp_path: Path) -> None:
    """The default transport: a unix socket in the session's private folder (the host's own
    PLUGIN_UNIX_SOCKET_DIR wins over one in the environment, as go-plugin's variables do)."""
    sockets = tmp_path / "sockets"
    sockets.mkdir()
    store = Store.open(":memory:")
    with Session([sample_dir(tmp_path)], store=store, python=sys.executable,
                 env={"PLUGIN_UNIX_SOCKET_DIR": str(sockets)}) as s:
        client = s.plugins["com.example.sample"].client
        assert client is not None and client.process.handshake is not None
        assert client.process.handshake.network == "unix"
        assert client.process.handshake.address.startswith(f"{s.socket_dir}/")
        assert s.fire("MessageWillBePosted", post={"message": "fine"}).ok
    assert list(sockets.iterdir()) == []
    store.close()
