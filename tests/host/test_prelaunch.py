"""Plugins started early (a cold fire): adopted when the launch matches, killed otherwise, and
never left behind."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from mmplug.host._child_env import plugin_env
from mmplug.host._prelaunch import Prelaunch


def _live(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _script(tmp_path: Path) -> Path:
    script = tmp_path / "plugin.py"
    script.write_text("import sys, time\nprint('ready', flush=True)\ntime.sleep(60)\n")
    return script


def test_the_matching_launch_adopts_the_early_process(tmp_path: Path) -> None:
    _script(tmp_path)
    early = Prelaunch([sys.executable, "plugin.py"], tmp_path)
    assert early.env["MATTERMOST_PLUGIN_API_TARGET"] == f"127.0.0.1:{early.api_port}"
    sockets = str(early.socket_dir)
    assert early.env["PLUGIN_UNIX_SOCKET_DIR"] == sockets
    popen = early.spawn([sys.executable, "plugin.py"], cwd=tmp_path,
                        env=plugin_env(f"127.0.0.1:{early.api_port}", socket_dir=sockets))
    try:
        assert popen is early.popen and early.hits == 1
        assert popen.stdout is not None and popen.stdout.readline() == b"ready\n"
        early.close()  # adopted: close leaves it to the launcher
        assert _live(popen.pid)
    finally:
        popen.kill()
        popen.wait()
    assert not Path(sockets).exists()  # no session adopted the folder: close removed it


def test_a_session_adopts_what_the_early_process_was_told(parrot_plugin: Path) -> None:
    """The cold fire of each transport: the session launches the early process (no second
    start), listens where it told the plugin the API is, and removes its socket folder."""
    from mmplug.host._child_env import find_python
    from mmplug.host.session import Session

    python = find_python(parrot_plugin, sys.executable)
    assert python is not None
    for transport, private in (("unix", False), ("tcp", False), ("unix", True)):
        early = Prelaunch([python, "plugin.py"], parrot_plugin, transport=transport,
                          private=private)
        session = Session([parrot_plugin], store=":memory:", python=sys.executable,
                          transport=transport, private=private)
        early.adopt(session)
        folder = session.socket_dir
        assert (folder is not None) == (transport == "unix" or private)
        with session:
            assert early.hits == 1 and early.misses == 0, transport
            shake = session.plugin().client.process.handshake  # type: ignore[union-attr]
            assert shake is not None and shake.network == transport
            assert session.fire("MessageHasBeenPosted", post={"message": "hi"}).api_calls
        early.close()
        assert folder is None or not folder.exists()


def test_an_unused_early_process_leaves_no_socket_folder(tmp_path: Path) -> None:
    _script(tmp_path)
    early = Prelaunch([sys.executable, "plugin.py"], tmp_path, private=True)
    assert early.socket_dir is not None
    folder = Path(early.socket_dir)
    assert folder.is_dir() and folder.stat().st_mode & 0o777 == 0o700
    assert early.env["MATTERMOST_PLUGIN_API_TARGET"] == f"unix:{folder}/api-1.sock"
    early.close()
    assert not folder.exists()


def test_another_launch_kills_the_early_process(tmp_path: Path) -> None:
    _script(tmp_path)
    early = Prelaunch([sys.executable, "plugin.py"], tmp_path)
    popen = early.spawn([sys.executable, "plugin.py"], cwd=tmp_path,
                        env=plugin_env("127.0.0.1:1"))  # the API server ended up elsewhere
    try:
        assert popen is not early.popen and early.misses == 1
        assert early.popen.poll() is not None
    finally:
        popen.kill()
        popen.wait()


def test_an_unused_early_process_is_killed_and_the_port_freed(tmp_path: Path) -> None:
    import socket

    _script(tmp_path)
    early = Prelaunch([sys.executable, "plugin.py"], tmp_path)
    pid = early.popen.pid
    early.close()
    assert not _live(pid)
    with socket.socket() as sock:  # nothing holds the port any more
        sock.bind(("127.0.0.1", early.api_port))


def test_a_fire_that_fails_before_the_launch_leaves_no_process(parrot_plugin: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mmplug.cli.main", "fire", "MessageWillBePosted",
         str(parrot_plugin), "--set", "post.no_such_field=1", "--python", sys.executable],
        capture_output=True, text=True, timeout=60, cwd=parrot_plugin,
        env={k: v for k, v in os.environ.items() if k != "FORCE_COLOR"})
    assert done.returncode == 2, done.stderr
    assert "no_such_field" in done.stderr
    root = str(parrot_plugin.resolve())
    left = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if os.readlink(entry / "cwd") == root and _live(int(entry.name)):
                    left.append(entry.name)
            except OSError:
                continue
    assert left == []
