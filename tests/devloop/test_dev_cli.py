"""`mmplug dev` as a user runs it: serves, reloads, and Ctrl-C leaves nothing behind."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from devloop_support import PLUGIN_ID, processes_in, wait_for, write_plugin, write_source
from processes import signal_a_side_thread

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str) -> bytes | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.read()  # type: ignore[no-any-return]
    except OSError:
        return None


def test_ctrl_c_deactivates_and_leaves_nothing_behind(tmp_path: Path) -> None:
    project = write_plugin(tmp_path / "p")
    port = _free_port()
    command = [sys.executable, "-m", "mmplug.cli.main", "dev", str(project), "--port", str(port),
               "--python", sys.executable, "--record", "p/dev.jsonl"]  # inside the project
    env = dict(os.environ, COLUMNS="120")
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
                            cwd=tmp_path)
    url = f"http://127.0.0.1:{port}/plugins/{PLUGIN_ID}/"
    try:
        wait_for(lambda: _get(url) == b"v1", what="the front door")
        write_source(project, "v2", atomic=True)
        try:
            wait_for(lambda: _get(url) == b"v2", what="the reload")
        except AssertionError:
            proc.send_signal(signal.SIGINT)
            raise AssertionError(proc.communicate(timeout=30)[0].decode()) from None
        assert (project / ".mmplug" / "dev.sock").exists()
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    text = out.decode()
    assert proc.returncode == 0, text
    assert "plugin.py changed" in text and "nothing is left running" in text
    assert "deactivating version=v2" in text  # Ctrl-C ran OnDeactivate on the new code
    assert "Traceback" not in text
    assert processes_in(tmp_path) == []
    log = (project / ".mmplug" / "dev.log").read_text()  # a pipe gets the file too
    assert "plugin.py changed, reloading" in log and "deactivating version=v2" in log
    recorded = (project / "dev.jsonl").read_text().splitlines()
    assert sum('"hook":"OnActivate"' in line for line in recorded) == 2  # start and reload
    assert any('"hook":"ServeHTTP"' in line for line in recorded)  # front door requests too
    assert not (project / ".mmplug" / "dev.sock").exists()
    assert not (project / ".mmplug" / "dev.json").exists()
    with socket.socket() as sock:  # nobody listens on the port any more (TIME_WAIT is fine)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))
        sock.listen(1)


def test_a_taken_port_is_a_clear_error(tmp_path: Path) -> None:
    project = write_plugin(tmp_path / "p")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "mmplug.cli.main", "dev", str(project), "--port", str(port),
             "--python", sys.executable, "--store", ":memory:"],
            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr + result.stdout
    assert "Traceback" not in result.stderr + result.stdout
    assert processes_in(tmp_path) == []


def test_a_mistyped_directory_is_a_clear_error_and_is_not_created(tmp_path: Path) -> None:
    project = write_plugin(tmp_path / "p")
    for folder, says in ((tmp_path / "typo", "there is no directory"),
                         (tmp_path, "no plugin.json in")):  # a project next to a typo
        result = subprocess.run(
            [sys.executable, "-m", "mmplug.cli.main", "dev", str(project), str(folder),
             "--python", sys.executable], capture_output=True, text=True, timeout=60)
        assert result.returncode == 1
        assert f"error: {says} {folder}" in result.stderr
        assert not (tmp_path / "typo").exists() and not (project / ".mmplug").exists()
    result = subprocess.run([sys.executable, "-m", "mmplug.cli.main", "dev", str(project),
                             "--record", str(project)], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 2 and f"--record: {project} is a directory" in result.stderr
    assert not (project / ".mmplug").exists()


@pytest.mark.parametrize("depth", ["short", "long"])  # long: the socket lives elsewhere
def test_a_second_dev_on_the_same_project_is_refused_before_its_plugin_starts(
    tmp_path: Path, depth: str,
) -> None:
    """A second `mmplug dev` on a project that one already runs says so and stops at once: it
    never activates the plugin on the state the first one holds, nor takes its place."""
    from mmplug.devloop.control import connect

    base = tmp_path / ("d" * 60) / ("e" * 60) if depth == "long" else tmp_path
    project = write_plugin(base / "p")
    port = _free_port()
    first = subprocess.Popen(
        [sys.executable, "-m", "mmplug.cli.main", "dev", str(project), "--port", str(port),
         "--python", sys.executable, "--no-explorer"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    activations = f"http://127.0.0.1:{port}/plugins/{PLUGIN_ID}/activations"
    try:
        wait_for(lambda: _get(activations) == b"1", what="the first dev")
        second = subprocess.Popen(
            [sys.executable, "-m", "mmplug.cli.main", "dev", str(project), "--port",
             str(_free_port()), "--python", sys.executable, "--no-explorer"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            out, _ = second.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            second.send_signal(signal.SIGINT)
            out, _ = second.communicate(timeout=30)
            raise AssertionError(f"the second dev kept running:\n{out}") from None
        assert second.returncode == 2, out
        assert f"error: another `mmplug dev` is already running for {project}" in out
        assert "Traceback" not in out and "activated" not in out, out
        assert _get(activations) == b"1"  # the shared state saw one activation only
        client = connect(project)  # and the first session is still the one found
        assert client is not None
        with client:
            assert client.info["pid"] == first.pid
    finally:
        first.send_signal(signal.SIGINT)
        try:
            first_out = first.communicate(timeout=30)[0].decode()
        finally:
            if first.poll() is None:
                first.kill()
                first.communicate()
    assert "stopped by Ctrl-C; its plugins were stopped and nothing is left running" \
        in first_out, first_out
    assert processes_in(tmp_path) == []


def test_the_clock_refuses_a_time_it_cannot_show_and_keeps_working(tmp_path: Path) -> None:
    """`mmplug clock` refuses a move past the years it can show with a clear error and leaves
    the clock where it was; its last millisecond works."""
    project = write_plugin(tmp_path / "p")
    port = _free_port()
    dev = subprocess.Popen(
        [sys.executable, "-m", "mmplug.cli.main", "dev", str(project), "--port", str(port),
         "--python", sys.executable, "--no-explorer", "--start-time", "2026-03-01"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)

    def clock(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "mmplug.cli.main", "clock", *args,
                               str(project)], capture_output=True, text=True, timeout=60)

    try:
        wait_for(lambda: _get(f"http://127.0.0.1:{port}/plugins/{PLUGIN_ID}/") == b"v1",
                 what="the front door")
        for move in (["--advance", "3000000d"], ["--advance", "9" * 30 + "d"]):
            refused = clock(*move)
            assert refused.returncode == 2, refused.stderr
            assert "Traceback" not in refused.stderr
            assert refused.stderr.startswith("error: "), refused.stderr
            assert "hint: move it by less, or to a time before 9999-01-01" in refused.stderr
        shown = clock()
        assert shown.returncode == 0 and shown.stdout.startswith("clock: 2026-03-01T"), shown
        last = clock("--to", "9998-12-31T23:59:59.999")
        assert last.returncode == 0, last.stderr
        # the clock runs on: it shows the time it was put at, or a few milliseconds later
        assert re.match(r"clock: 2026-03-01T\S+ -> (9998-12-31T23:59:59\.999|9999-01-01T00:00:00"
                        r"(\.\d+)?Z)", last.stdout), last.stdout
        assert clock().returncode == 0
        assert clock("--to", "9999-01-01").returncode == 2
        back = clock("--to", "2026-03-02")
        assert back.returncode == 0 and "-> 2026-03-02T00:00:00" in back.stdout, back
    finally:
        dev.send_signal(signal.SIGINT)
        try:
            dev.communicate(timeout=30)
        finally:
            if dev.poll() is None:
                dev.kill()
                dev.communicate()
    assert processes_in(tmp_path) == []


def test_ctrl_c_stops_dev_in_the_middle_of_a_long_clock_move(tmp_path: Path) -> None:
    """Ctrl-C stops `mmplug dev` even while `mmplug clock` moves it through centuries of a
    daily job; the clock command says the move stopped, without a traceback."""
    import shutil

    project = tmp_path / "cluster"
    shutil.copytree(Path(__file__).resolve().parents[1] / "fixtures" / "cluster_plugin", project)
    port = _free_port()
    dev = subprocess.Popen(
        [sys.executable, "-m", "mmplug.cli.main", "dev", str(project), "--port", str(port),
         "--python", sys.executable, "--no-explorer", "--store", ":memory:"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    clock: subprocess.Popen[str] | None = None
    try:
        wait_for(lambda: _get(f"http://127.0.0.1:{port}/plugins/com.example.cluster/memory"),
                 what="the front door")
        clock = subprocess.Popen(
            [sys.executable, "-m", "mmplug.cli.main", "clock", "--advance", "200000d",
             str(project)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(2)  # the move is under way: a tick a day
        assert clock.poll() is None, clock.communicate()
        dev.send_signal(signal.SIGINT)
        out = dev.communicate(timeout=30)[0].decode()
        clock_err = clock.communicate(timeout=30)[1]
    finally:
        for proc in (dev, clock):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.communicate()
    assert dev.returncode == 0, out
    assert "nothing is left running" in out and "Traceback" not in out
    assert clock.returncode == 1 and clock_err.startswith("error: "), clock_err
    assert "Traceback" not in clock_err
    assert processes_in(tmp_path) == []


@pytest.mark.skipif(not sys.platform.startswith("linux") or os.uname().machine != "x86_64",
                    reason="sends a signal to one thread with the x86-64 Linux tgkill call")
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_stop_signal_that_lands_on_another_thread_still_stops_dev(
    tmp_path: Path, sig: int,
) -> None:
    """Ctrl-C (or SIGTERM) stops `mmplug dev` whichever of its threads the signal lands on."""
    project = write_plugin(tmp_path / "p")
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "mmplug.cli.main", "dev", str(project), "--port", str(port),
         "--python", sys.executable, "--no-explorer"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: _get(f"http://127.0.0.1:{port}/plugins/{PLUGIN_ID}/") == b"v1",
                 what="the front door")
        signal_a_side_thread(proc.pid, sig)
        out = proc.communicate(timeout=30)[0].decode()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, out
    assert f"stopped by {'Ctrl-C' if sig == signal.SIGINT else 'SIGTERM'}; its plugins were " \
        "stopped and nothing is left running" in out
    assert processes_in(tmp_path) == []


def test_sigkill_of_mmplug_dev_takes_the_plugin_and_spare_along(tmp_path: Path) -> None:
    from mmplug.devloop.control import connect

    project = write_plugin(tmp_path / "p")
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "mmplug.cli.main", "dev", str(project), "--port", str(port),
         "--python", sys.executable, "--store", ":memory:"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp_path)
    try:
        wait_for(lambda: _get(f"http://127.0.0.1:{port}/plugins/{PLUGIN_ID}/") == b"v1",
                 what="the front door")
        wait_for(lambda: len(processes_in(project)) == 2, what="the plugin and its warm spare")
    finally:
        proc.kill()
        proc.wait()
    wait_for(lambda: processes_in(tmp_path) == [], timeout=10, what="the children to die")
    assert connect(project) is None  # a stale pointer is not a session


def _set_size(fd: int, rows: int, columns: int) -> None:
    import fcntl
    import struct
    import termios

    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))


def test_on_a_terminal_the_status_is_on_top_and_ctrl_c_leaves_it_readable(
        tmp_path: Path) -> None:
    import pty
    import termios
    import threading

    project = write_plugin(tmp_path / "p")
    port = _free_port()
    master, slave = pty.openpty()
    _set_size(slave, 24, 100)
    echo_before = termios.tcgetattr(slave)[3] & termios.ECHO
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "NO_COLOR")}
    env["TERM"] = "xterm-256color"
    proc = subprocess.Popen(
        [sys.executable, "-m", "mmplug.cli.main", "dev", str(project), "--port", str(port),
         "--python", sys.executable, "--store", ":memory:"],
        stdin=slave, stdout=slave, stderr=slave, env=env, cwd=tmp_path)
    output = bytearray()

    def read() -> None:  # keep draining, or the child blocks on a full terminal
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                return
            if not chunk:
                return
            output.extend(chunk)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    url = f"http://127.0.0.1:{port}/plugins/{PLUGIN_ID}/"
    try:
        wait_for(lambda: _get(url) == b"v1", what="the front door")
        wait_for(lambda: termios.tcgetattr(slave)[3] & termios.ECHO == 0,
                 what="typing not echoed into the screen")
        write_source(project, "v2", atomic=True)
        wait_for(lambda: _get(url) == b"v2", what="the reload")
        wait_for(lambda: "version=v2" in _plain(output), what="the new log line on the screen")
        assert _border_widths(output)[-1] == 100
        _set_size(slave, 24, 70)
        proc.send_signal(signal.SIGWINCH)
        wait_for(lambda: _border_widths(output)[-1] == 70, what="a redraw at 70 columns")
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0
        echo_after = termios.tcgetattr(slave)[3] & termios.ECHO
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(slave)
        reader.join(5)
        os.close(master)
    text = bytes(output).decode(errors="replace")
    final = text.rsplit("\x1b[2K", 1)[-1]  # the last frame, after the erasures before it
    lines = [line.rstrip() for line in _plain(final.encode()).splitlines()]
    top = next(i for i, line in enumerate(lines) if "mmplug dev" in line)
    state = next(i for i, line in enumerate(lines) if PLUGIN_ID in line and "active" in line)
    logged = next(i for i, line in enumerate(lines) if "activated version=v2" in line)
    stopped = next(i for i, line in enumerate(lines) if "nothing is left running" in line)
    assert top < state < logged < stopped  # the status above the logs, still on the terminal
    assert "deactivating version=v2" in "\n".join(lines)  # printed after the final frame
    assert text.rfind("\x1b[?25h") > text.rfind("\x1b[?25l")  # the cursor is shown again
    assert "Traceback" not in text
    assert echo_before and echo_after == echo_before  # typing echoes again
    log = (project / ".mmplug" / "dev.log").read_text()
    for line in ("activated version=v1", "plugin.py changed, reloading",
                 "activated version=v2", "deactivating version=v2", "stopped"):
        assert line in log
    assert processes_in(tmp_path) == []


def _plain(output: bytes | bytearray) -> str:
    """Terminal output without its escape sequences."""
    import re

    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", bytes(output).decode(errors="replace"))


def _border_widths(output: bytes | bytearray) -> list[int]:
    """The widths of the status panel's bottom borders drawn so far."""
    import re

    return [len(match) for match in re.findall(r"╰[─ A-Za-z·\-]*╯", _plain(output))] or [0]


@pytest.mark.parametrize(("option", "says", "hint"), [
    (["--as", "ghost"], "error: --as ghost: no such user in the fake host's store",
     "hint: users: "),
    (["--python", "nowhere/python3"], "error: --python nowhere/python3: there is no such file",
     "hint: give the path of a Python interpreter"),
])
def test_a_wrong_user_or_interpreter_is_refused_before_any_plugin_starts(
    tmp_path: Path, option: list[str], says: str, hint: str,
) -> None:
    """`mmplug dev --as <unknown user>` or `--python <missing file>` stops at once with the
    error, without starting (or waiting on) the plugin."""
    project = write_plugin(tmp_path / "p")
    args = ["--python", sys.executable, *option] if option[0] == "--as" else option
    proc = subprocess.Popen(
        [sys.executable, "-m", "mmplug.cli.main", "dev", str(project), "--port", "0",
         "--store", ":memory:", "--no-explorer", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    try:
        out, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
        raise AssertionError(f"dev kept running:\n{out}{err}") from None
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 2, out + err
    assert says in err and hint in err, err
    assert "activated" not in out + err and "Traceback" not in out + err
    assert processes_in(tmp_path) == []
