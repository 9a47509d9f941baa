"""What the fake host writes is the developer's alone: `.mmplug/` 0700, the store, its WAL and
shared-memory files, snapshots and dev.log 0600; a `.mmplug/` made by an older mmplug is
tightened; a folder the user named for `--store` keeps its mode. (Who can reach what of a
running session is tests/devloop/test_dev_access.py.)"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mmplug.host.store import Store

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")


def mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def test_a_new_store_is_private_with_its_wal_files(tmp_path: Path) -> None:
    state = tmp_path / "project" / ".mmplug"
    store = Store.open(state / "state.db")
    try:
        store.set_meta("x", 1)  # a write: the WAL and shared-memory files exist now
        assert mode(state) == 0o700
        names = {p.name for p in state.iterdir()}
        assert names >= {"state.db", "state.db-wal", "state.db-shm"}
        for path in state.iterdir():
            assert mode(path) == 0o600, path.name
        snapshot = store.snapshot(state / "snapshots" / "before.db")
        assert mode(snapshot) == 0o600 and mode(snapshot.parent) == 0o700
    finally:
        store.close()


def test_an_older_state_folder_is_tightened_when_used(tmp_path: Path) -> None:
    state = tmp_path / ".mmplug"
    state.mkdir(mode=0o755)
    state.chmod(0o755)
    Store.open(state / "state.db").close()
    (state / "state.db").chmod(0o644)
    store = Store.open(state / "state.db")
    store.close()
    assert mode(state) == 0o700
    assert mode(state / "state.db") == 0o600


def test_a_store_in_a_folder_the_user_named_leaves_the_folder_as_it_is(tmp_path: Path) -> None:
    folder = tmp_path / "shared"
    folder.mkdir()
    folder.chmod(0o755)
    Store.open(folder / "team.db").close()
    assert mode(folder) == 0o755  # the user's folder, the user's choice
    assert mode(folder / "team.db") == 0o600  # the state itself is private anyway
    deeper = tmp_path / "made" / "for" / "it" / "x.db"
    Store.open(deeper).close()
    assert mode(deeper.parent) == 0o700  # folders we make are private


def test_dev_log_and_the_previous_one_are_private(tmp_path: Path) -> None:
    from mmplug.cli._dev_screen import DevLog

    path = tmp_path / ".mmplug" / "dev.log"
    path.parent.mkdir(mode=0o755)
    path.parent.chmod(0o755)
    path.write_text("an older run, world-readable\n")
    path.chmod(0o644)
    log = DevLog(path)
    log.write("hello")
    log.close()
    assert mode(path.parent) == 0o700
    assert mode(path) == 0o600
    assert mode(path.with_name("dev.log.1")) == 0o600


def test_the_plugin_socket_folder_is_private_and_removed_at_close(tmp_path: Path) -> None:
    import sys

    from mmplug.host.session import Session

    parrot = Path(__file__).resolve().parents[1] / "fixtures" / "parrot_plugin"
    with Session([parrot], store=":memory:", python=sys.executable) as session:
        shake = session.plugin().client.process.handshake  # type: ignore[union-attr]
        assert shake is not None and shake.network == "unix"
        folder = session.socket_dir
        assert folder is not None and mode(folder) == 0o700
        assert Path(shake.address).parent == folder
        assert mode(Path(shake.address)) == 0o600  # the SDK's socket, beyond the folder
    assert not folder.exists()


def test_tcp_serves_the_hooks_on_loopback_as_under_the_server() -> None:
    import sys

    from mmplug.host.session import Session

    parrot = Path(__file__).resolve().parents[1] / "fixtures" / "parrot_plugin"
    with Session([parrot], store=":memory:", python=sys.executable, transport="tcp",
                 env={"PLUGIN_UNIX_SOCKET_DIR": "/nonexistent"}) as session:
        shake = session.plugin().client.process.handshake  # type: ignore[union-attr]
        assert shake is not None and shake.network == "tcp"
        assert shake.address.startswith("127.0.0.1:")
        assert session.socket_dir is None
        result = session.fire("MessageHasBeenPosted", post={"message": "hi"})
        assert result.error is None and result.api_calls  # the plugin reached the API too


def test_private_serves_the_plugin_api_on_a_unix_socket() -> None:
    import sys

    from mmplug.host.session import Session

    parrot = Path(__file__).resolve().parents[1] / "fixtures" / "parrot_plugin"
    with Session([parrot], store=":memory:", python=sys.executable, private=True) as session:
        handle = session.plugin()
        assert handle.api_target is not None and handle.api_target.startswith("unix:")
        assert session.socket_dir is not None
        socket_path = Path(handle.api_target[len("unix:"):])
        assert socket_path.parent == session.socket_dir and mode(socket_path) == 0o600
        result = session.fire("MessageHasBeenPosted", post={"message": "hi"})
        assert result.error is None
        assert [c.method for c in result.api_calls] == ["KVGet", "KVSet"]
