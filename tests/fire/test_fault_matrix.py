"""The fault matrix: every broken plugin is named, in the fault's words, within the start
timeout, with a non-zero exit and no process left behind.

The table is the 12 broken plugins of ../shared/conformance (``negative_plugin.py MODE``, the
plugins the genuine go-plugin client refuses) plus a plugin without the health service and one
without ``plugin.GRPCController`` (tests/fixtures/fault_plugins), each fired at with the real
``mmplug fire``. A plugin without a controller works until it is stopped, so the commands that
end with the stop (run, dev, replay, check) are checked to name that fault too.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from plugin_projects import write_plugin_project
from processes import read_until

REPO = Path(__file__).resolve().parents[2]
NEGATIVE = (REPO.parent / "shared" / "conformance" / "pyplugin" / "negative_plugin.py").resolve()
FAULT_PLUGINS = REPO / "tests" / "fixtures" / "fault_plugins"
START_TIMEOUT = 10.0  # the default: no fault may wait for it
HANG_TIMEOUT = 2.0

# (plugin, fault words the error must hold); conformance plugins by their mode
MATRIX: list[tuple[str, list[str]]] = [
    ("bad-line", ["is not a go-plugin handshake", "hello, I am not a go-plugin handshake"]),
    ("short-line", ["'1|1|tcp' has 3 fields; at least 4 are needed"]),
    ("exit-early", ["exited with code 3 before printing its handshake",
                    "fatal: could not load plugin configuration"]),
    ("hang", ["printed no handshake within 2 s", "--start-timeout"]),
    ("stdout-noise", ["printed 'INFO starting up...' on stdout before its handshake"]),
    ("wrong-core", ["core protocol version '2'; the host speaks core version 1"]),
    ("wrong-app", ["app protocol version '99'; Mattermost accepts [1]"]),
    ("netrpc", ["asks for the 'netrpc' protocol", "grpc only"]),
    ("four-fields", ["'netrpc' protocol (no fifth field means netrpc)"]),
    ("bad-net", ["names network 'udp'; only tcp and unix are supported"]),
    ("dead-port", ["in its handshake, but nothing answers there"]),
    ("exit-after", ["exited with code 0 right after its handshake"]),
    ("fixture:no-health", ["does not serve the gRPC health service", "UNIMPLEMENTED"]),
    ("fixture:no-controller", ["does not serve plugin.GRPCController/Shutdown",
                               "plugin failed to exit gracefully"]),
]

pytestmark = pytest.mark.skipif(not NEGATIVE.is_file(),
                                reason=f"../shared/conformance is not here ({NEGATIVE})")


def conformance_plugin(folder: Path, mode: str) -> Path:
    """The conformance harness's broken plugin ``mode`` as a plugin project."""
    return write_plugin_project(
        folder, "com.example.negative",
        "import runpy, sys\n"
        f"sys.argv = [{str(NEGATIVE)!r}, {mode!r}]\n"
        f"runpy.run_path({str(NEGATIVE)!r}, run_name='__main__')\n",
        name="Negative", runtime=True)


def project_for(name: str, tmp_path: Path) -> tuple[Path, dict[str, str]]:
    if name.startswith("fixture:"):
        folder = tmp_path / "faulty"
        shutil.copytree(FAULT_PLUGINS, folder, ignore=shutil.ignore_patterns("__pycache__"))
        return folder, {"FAULT_MODE": name.split(":", 1)[1]}
    return conformance_plugin(tmp_path / name, name), {}


def processes_in(directory: Path) -> list[int]:
    """Live processes working in ``directory`` (plugins run in their project folder)."""
    root = str(directory.resolve())
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cwd = os.readlink(entry / "cwd")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if (cwd == root or cwd.startswith(root + os.sep)) and state != "Z":
            found.append(int(entry.name))
    return found


def mmplug(*args: str, cwd: Path, env: dict[str, str], timeout: float = 120
           ) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k != "FORCE_COLOR"}
    return subprocess.run([sys.executable, "-m", "mmplug.cli.main", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=timeout,
                          env={**base, "COLUMNS": "300", "NO_COLOR": "1", **env})


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="finds processes in /proc")
@pytest.mark.parametrize(("name", "words"), MATRIX, ids=[m[0] for m in MATRIX])
def test_every_broken_plugin_is_named_in_time_and_leaves_nothing(
        tmp_path: Path, name: str, words: list[str]) -> None:
    folder, env = project_for(name, tmp_path)
    timeout = HANG_TIMEOUT if name == "hang" else START_TIMEOUT
    started = time.monotonic()
    done = mmplug("fire", "MessageWillBePosted", str(folder), "--python", sys.executable,
                  "--start-timeout", f"{timeout:g}", cwd=tmp_path, env=env)
    elapsed = time.monotonic() - started
    assert done.returncode == 1, done.stdout + done.stderr
    error = done.stderr
    assert error.startswith("error: plugin com.example."), error
    for word in words:
        assert word in error, error
    assert "hint: " in error and "Traceback" not in error
    if name == "hang":
        assert elapsed >= HANG_TIMEOUT
    else:  # named from what the plugin did, not by waiting for the start timeout
        assert elapsed < START_TIMEOUT, elapsed
    assert processes_in(folder) == [], "a plugin process outlived the command"


# -- a plugin without plugin.GRPCController in the commands that end with its stop ---------
NO_CONTROLLER = "does not serve plugin.GRPCController/Shutdown"


@pytest.fixture()
def no_controller(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    return project_for("fixture:no-controller", tmp_path)


def test_check_names_a_missing_controller(
        tmp_path: Path, no_controller: tuple[Path, dict[str, str]]) -> None:
    folder, env = no_controller
    done = mmplug("check", str(folder), "--python", sys.executable, cwd=tmp_path, env=env)
    assert done.returncode == 1
    assert done.stderr.startswith(f"error: plugin com.example.faulty: the plugin {NO_CONTROLLER}")
    assert processes_in(folder) == []


def test_replay_names_a_missing_controller(
        tmp_path: Path, no_controller: tuple[Path, dict[str, str]]) -> None:
    folder, env = no_controller
    cassette = tmp_path / "calls.jsonl"
    recorded = mmplug("fire", "MessageWillBePosted", str(folder), "--python", sys.executable,
                      "--record", str(cassette), cwd=tmp_path, env=env)
    assert recorded.returncode == 1 and NO_CONTROLLER in recorded.stderr
    assert cassette.is_file()  # the call itself is kept
    done = mmplug("replay", str(cassette), str(folder), "--python", sys.executable,
                  cwd=tmp_path, env=env)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "1 call" in done.stdout  # the report, then the fault
    assert done.stderr.startswith(f"error: plugin com.example.faulty: the plugin {NO_CONTROLLER}")
    assert processes_in(folder) == []


def _until_interrupted(command: list[str], ready: Callable[[str], bool], cwd: Path,
                       env: dict[str, str]) -> tuple[int, str, str]:
    """Run a long-running command, wait until its output says it is up, then Ctrl-C it."""
    base = {k: v for k, v in os.environ.items() if k != "FORCE_COLOR"}
    proc = subprocess.Popen([sys.executable, "-m", "mmplug.cli.main", *command], cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**base, "COLUMNS": "300", "NO_COLOR": "1", **env})
    try:
        seen = read_until(proc, ready)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    return proc.returncode, seen + out, err


def test_run_ends_with_a_missing_controller(
        tmp_path: Path, no_controller: tuple[Path, dict[str, str]]) -> None:
    folder, env = no_controller
    code, out, err = _until_interrupted(
        ["run", str(folder), "--python", sys.executable, "--store", ":memory:"],
        lambda text: "Press Ctrl-C" in text, tmp_path, env)
    assert code == 1, out + err
    assert err.startswith(f"error: plugin com.example.faulty: the plugin {NO_CONTROLLER}")
    assert NO_CONTROLLER not in out  # said once, as the error
    assert processes_in(folder) == []


def test_dev_says_a_missing_controller_at_each_stop_and_ends_with_it(
        tmp_path: Path, no_controller: tuple[Path, dict[str, str]]) -> None:
    folder, env = no_controller
    code, out, err = _until_interrupted(
        ["dev", str(folder), "--plain", "--port", "0", "--python", sys.executable,
         "--store", ":memory:"],
        lambda text: "open to other users" in text, tmp_path, env)
    assert code == 1, out + err
    assert NO_CONTROLLER in out  # on the screen as the plugin stopped
    assert NO_CONTROLLER in (folder / ".mmplug" / "dev.log").read_text()
    assert err.startswith(f"error: plugin com.example.faulty: the plugin {NO_CONTROLLER}")
    assert processes_in(folder) == []
