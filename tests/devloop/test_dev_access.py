"""What another user of the machine can reach of a running `mmplug dev` (docs/security.md).

A probe process switched to another uid (``nobody``) tries every port and unix socket the dev
session and its plugin listen on, found from ``/proc``, and reads every file in ``.mmplug/``.
By default it reaches the front door and the PluginAPI (loopback TCP, as the server gives it)
and nothing else: not the plugin's hooks and Shutdown, not the state, not the log. With
``--private`` it reaches the front door only. File modes do not stop root, so the test needs
root to switch uid (CI runs as root) and is skipped elsewhere.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from devloop_support import processes_in, wait_for

NOBODY = 65534
REPO = Path(__file__).resolve().parents[2]
PARROT = REPO / "tests" / "fixtures" / "parrot_plugin"

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux") or os.geteuid() != 0,
    reason="needs root on Linux to run a probe as another user")

# Run as nobody: try each address and file, say which ones it reached.
PROBE = r"""
import json, socket, sys
todo = json.loads(sys.argv[1])
reached = {"tcp": [], "unix": [], "files": []}
for port in todo["tcp"]:
    with socket.socket() as s:
        s.settimeout(2)
        if s.connect_ex(("127.0.0.1", port)) == 0:
            reached["tcp"].append(port)
for path in todo["unix"]:
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(2)
        try:
            s.connect(path)
        except OSError:
            continue
        reached["unix"].append(path)
for path in todo["files"]:
    try:
        with open(path, "rb") as f:
            f.read(1)
    except OSError:
        continue
    reached["files"].append(path)
print(json.dumps(reached))
"""


def _probe_python() -> str:
    """An interpreter another user may run (ours may live in a folder only root enters)."""
    for candidate in (sys.executable, "/usr/bin/python3", shutil.which("python3") or ""):
        if not candidate:
            continue
        try:
            done = subprocess.run([candidate, "-c", "pass"], user=NOBODY, group=NOBODY,
                                  extra_groups=[], capture_output=True, timeout=30,
                                  cwd="/")
        except OSError:
            continue
        if done.returncode == 0:
            return candidate
    pytest.skip("no Python interpreter the user nobody may run")


def probe(todo: dict[str, list[Any]]) -> dict[str, list[Any]]:
    done = subprocess.run([_probe_python(), "-c", PROBE, json.dumps(todo)], user=NOBODY,
                          group=NOBODY, extra_groups=[], capture_output=True, text=True,
                          timeout=60, cwd="/")
    assert done.returncode == 0, done.stderr
    result: dict[str, list[Any]] = json.loads(done.stdout)
    return result


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    return inodes


def listening(pids: list[int]) -> tuple[set[int], set[str]]:
    """The TCP ports and unix socket paths the processes ``pids`` listen on."""
    inodes = set().union(*(_socket_inodes(pid) for pid in pids))
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and fields[9] in inodes:  # LISTEN
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    paths = set()
    for line in Path("/proc/net/unix").read_text().splitlines()[1:]:
        fields = line.split()
        if len(fields) >= 8 and fields[6] in inodes and int(fields[3], 16) & 0x10000:
            paths.add(fields[7])  # __SO_ACCEPTCON: a listening socket
    return ports, paths


@pytest.fixture()
def shared_project() -> Iterator[Path]:
    """A project in a folder every user may enter (pytest's own tmp folder is 0700, which would
    hide everything and prove nothing)."""
    base = Path(tempfile.mkdtemp(prefix="mmplug-access-"))
    base.chmod(0o755)
    project = base / "parrot"
    shutil.copytree(PARROT, project, ignore=shutil.ignore_patterns(".mmplug", "__pycache__"))
    for folder in (project, *project.rglob("*")):
        folder.chmod(0o755 if folder.is_dir() else 0o644)
    yield project
    shutil.rmtree(base, ignore_errors=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def run_dev(project: Path, *options: str) -> Iterator[dict[str, Any]]:
    port = _free_port()
    command = [sys.executable, "-m", "mmplug.cli.main", "dev", str(project), "--plain",
               "--port", str(port), "--python", sys.executable, *options]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            cwd=project.parent)
    try:
        from mmplug.devloop.control import connect

        def active() -> Any:
            client = connect(project)
            if client is None:
                return None
            with client:
                plugins = client.status()["plugins"]
            return plugins if plugins and plugins[0]["state"] == "active" else None

        plugins = wait_for(active, timeout=60, what="the dev session")
        pointer = project / ".mmplug" / "explorer.json"
        explorer = wait_for(lambda: pointer.is_file() and json.loads(pointer.read_text()),
                            timeout=60, what="the explorer")
        yield {"dev": proc.pid, "plugin": plugins[0]["pid"], "front_door": port,
               "explorer": int(str(explorer["url"]).rsplit(":", 1)[1])}
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            out = proc.communicate(timeout=30)[0].decode()
        except subprocess.TimeoutExpired:
            proc.kill()
            out = proc.communicate()[0].decode()
    assert proc.returncode == 0, out
    assert "Traceback" not in out
    assert processes_in(project) == []


def _state_files(project: Path) -> list[str]:
    state = project / ".mmplug"
    return sorted(str(p) for p in state.iterdir() if p.is_file())


@pytest.mark.parametrize("private", [False, True], ids=["default", "private"])
def test_another_user_reaches_only_what_the_developer_opened(
        shared_project: Path, private: bool) -> None:
    options = ("--private",) if private else ()
    with run_dev(shared_project, *options) as pids:
        ports, paths = listening([pids["dev"], pids["plugin"]])
        files = _state_files(shared_project)
        assert {Path(f).name for f in files} >= {"state.db", "dev.log", "dev.json"}
        control = str(shared_project / "plugin.json")  # readable by all: the probe works
        reached = probe({"tcp": sorted(ports), "unix": sorted(paths),
                         "files": [*files, control]})
        assert pids["front_door"] in reached["tcp"]
        # the front door and the Plugin Explorer (which answers only with its random token,
        # in a 0600 file) are open by design
        by_design = {pids["front_door"], pids["explorer"]}
        if private:
            assert ports == by_design
        else:
            api = ports - by_design
            assert len(api) == 1, ports  # the PluginAPI, as the server has it
        assert reached["tcp"] == sorted(ports)  # loopback is open to every local user
        plugin_sockets = [p for p in paths if "/mmplug-sock-" in p and "/plugin" in p]
        assert plugin_sockets, paths  # the plugin serves its hooks on a unix socket
        assert any(p.endswith("dev.sock") for p in paths)
        if private:
            assert any(p.endswith("api-1.sock") for p in paths)
        assert reached["unix"] == []  # neither the hooks, nor the API, nor the control socket
        assert reached["files"] == [control]  # not the state, its WAL, the log, the pointer
        state = shared_project / ".mmplug"
        assert state.stat().st_mode & 0o777 == 0o700
        for name in files:
            assert Path(name).stat().st_mode & 0o777 == 0o600, name
