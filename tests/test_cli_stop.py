"""Ctrl-C as a user presses it: every command ends with one line on stderr that says it was
stopped and what it left, no traceback, and no process of it left running; exit code 130, but
0 for the commands that run until stopped (dev, run, explore: a stop is how they end)."""

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
from processes import alive, read_until, signal_a_side_thread
from pty_terminal import Terminal

pytestmark = pytest.mark.slow

PLAIN = Path(__file__).resolve().parent / "fixtures" / "plain_plugin"
HOOK_PROMPT = r"hook \(number"
EDIT_PROMPT = r"edit \(path"


@pytest.fixture()
def plain(tmp_path: Path) -> Path:
    """A copy of the plain plugin: its MessageWillBePosted sleeps 30 s on the text "slow"."""
    return Path(shutil.copytree(PLAIN, tmp_path / "plain"))


def _descendants(pid: int) -> set[int]:
    """The live processes ``pid`` started (and theirs), in any session."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def ctrl_c(args: list[str], cwd: Path, ready: Callable[[str], bool] | None = None,
           sig: int = signal.SIGINT, to_group: bool = True) -> tuple[int, str, str, float]:
    """Run ``mmplug ARGS`` as a terminal's foreground job, send the job SIGINT (what Ctrl-C
    does; or ``sig``, to mmplug alone unless ``to_group``) once its stdout shows ``ready``,
    else once the plain plugin is in its slow hook (however long a loaded machine takes to
    get there): the exit code, stdout, stderr and how long it took to end. Checks that none
    of its processes is left."""
    env = {k: v for k, v in os.environ.items() if k != "FORCE_COLOR"}
    started = cwd.parent / "slow-hook-started"  # (outside the project: nothing of it changes)
    proc = subprocess.Popen(
        [sys.executable, "-m", "mmplug.cli.main", *args], cwd=cwd, start_new_session=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**env, "NO_COLOR": "1", "COLUMNS": "300", "PLAIN_SLOW_STARTED": str(started)})
    seen = ""
    try:
        if ready is not None:
            seen = read_until(proc, ready)
        else:
            deadline = time.monotonic() + 60
            while not started.exists() and proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.02)
            assert started.exists(), "the plugin never reached its slow hook"
        assert proc.poll() is None, proc.communicate()
        started = _descendants(proc.pid)
        sent = time.monotonic()
        if to_group:
            os.killpg(proc.pid, sig)
        else:
            proc.send_signal(sig)
        out, err = proc.communicate(timeout=30)
        took = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
    deadline = time.monotonic() + 5
    while any(alive(pid) for pid in started) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [pid for pid in started if alive(pid)] == []
    assert "Traceback" not in out + err
    return proc.returncode, seen + out, err, took


def _last_line(err: str) -> str:
    return err.rstrip("\n").splitlines()[-1]


def test_ctrl_c_stops_dev_and_says_where_the_state_stays(plain: Path) -> None:
    """Ctrl-C ends `mmplug dev` as it is meant to end, exit 0, with one line: its plugins
    stopped, nothing left running, and where the state stays."""
    code, out, err, _ = ctrl_c(
        ["dev", str(plain), "--plain", "--port", "0", "--no-explorer", "--python",
         sys.executable], plain, ready=lambda text: "open to other users" in text)
    assert code == 0, out + err
    assert "deactivating" in out  # stopped in order: OnDeactivate ran
    assert _last_line(err) == ("stopped by Ctrl-C; its plugins were stopped and nothing is "
                               "left running; the state stays in .mmplug/state.db.")


def test_ctrl_c_stops_run_with_an_in_memory_store(plain: Path) -> None:
    """`mmplug run` with an in-memory store says its state is gone."""
    code, out, err, _ = ctrl_c(
        ["run", "--store", ":memory:", "--python", sys.executable], plain,
        ready=lambda text: "Press Ctrl-C" in text)
    assert code == 0, out + err
    assert _last_line(err) == ("stopped by Ctrl-C; the plugin was stopped and nothing is left "
                               "running; its in-memory state is gone.")


def test_ctrl_c_during_a_slow_hook_ends_fire_at_once(plain: Path) -> None:
    """Ctrl-C while a fired hook takes its time ends `mmplug fire` without waiting for the
    hook's deadline, and says nothing was kept."""
    code, out, err, took = ctrl_c(
        ["fire", "MessageWillBePosted", "-m", "slow", "--python", sys.executable], plain)
    assert code == 130, out + err
    assert took < 15  # the hook sleeps 30 s
    assert err == "stopped by Ctrl-C; its throw-away session was closed; nothing was kept.\n"


@pytest.mark.parametrize(("sig", "to_group", "by"), [
    (signal.SIGINT, True, "Ctrl-C"), (signal.SIGHUP, False, "SIGHUP"),
    (signal.SIGTERM, False, "SIGTERM")])
def test_a_stop_during_a_replay_leaves_the_cassette_as_it_was(
        plain: Path, sig: int, to_group: bool, by: str) -> None:
    """Ctrl-C in the middle of `mmplug replay --update` leaves the cassette untouched and
    says so; SIGTERM or SIGHUP sent to mmplug alone does the same, with the exit code a shell
    expects of that signal (143, 129)."""
    cassette = plain / "slow.jsonl"
    recorded = subprocess.run(
        [sys.executable, "-m", "mmplug.cli.main", "fire", "MessageWillBePosted", "-m", "hi",
         "--record", str(cassette), "--local", "--python", sys.executable], cwd=plain,
        capture_output=True, text=True, timeout=120)
    assert recorded.returncode == 0, recorded.stderr
    cassette.write_text(cassette.read_text().replace('"message":"hi"', '"message":"slow"'))
    before = cassette.read_bytes()
    code, out, err, took = ctrl_c(
        ["replay", str(cassette), "--update", "--python", sys.executable], plain, sig=sig,
        to_group=to_group)
    assert code == 128 + sig, out + err
    assert took < 15
    assert _last_line(err) == f"stopped by {by}; no cassette was changed."
    assert cassette.read_bytes() == before
    assert sorted(p.name for p in plain.iterdir() if p.name.startswith(".slow")) == []


def test_sigterm_to_fire_alone_ends_it_during_a_slow_hook(plain: Path) -> None:
    """SIGTERM sent to `mmplug fire` while a hook takes its time ends it as Ctrl-C does:
    the plugin is stopped, one line naming the signal, exit 143."""
    code, out, err, took = ctrl_c(
        ["fire", "MessageWillBePosted", "-m", "slow", "--python", sys.executable], plain,
        sig=signal.SIGTERM, to_group=False)
    assert code == 143, out + err
    assert took < 15
    assert err == "stopped by SIGTERM; its throw-away session was closed; nothing was kept.\n"


def test_ctrl_c_ends_the_interactive_picker_at_its_prompt_and_in_a_slow_hook(
        plain: Path) -> None:
    """In `mmplug fire` without a hook, Ctrl-C ends the command as it ends any other, at
    the prompt as while a hook runs (Ctrl-D and q quit as before)."""
    with Terminal("fire", "--python", sys.executable, cwd=plain) as term:
        term.expect(HOOK_PROMPT)
        os.killpg(term.process.pid, signal.SIGINT)
        assert term.wait(30) == 130
        term.expect(r"\nstopped by Ctrl-C; its throw-away session was closed; nothing was "
                    r"kept\.")
        assert "Traceback" not in term.seen
    with Terminal("fire", "--python", sys.executable, cwd=plain) as term:
        term.expect(HOOK_PROMPT)
        term.type("MessageWillBePosted")
        term.expect(EDIT_PROMPT)
        term.type("slow")
        term.expect(EDIT_PROMPT)
        term.type("")
        term.expect("firing MessageWillBePosted")
        time.sleep(1)
        started = time.monotonic()
        os.killpg(term.process.pid, signal.SIGINT)
        assert term.wait(30) == 130
        assert time.monotonic() - started < 15
        term.expect(r"stopped by Ctrl-C; its throw-away session was closed; nothing was kept\.")
        assert "Traceback" not in term.seen


@pytest.mark.skipif(not sys.platform.startswith("linux") or os.uname().machine != "x86_64",
                    reason="sends a signal to one thread with the x86-64 Linux tgkill call")
def test_ctrl_c_that_lands_on_another_thread_ends_the_picker_at_its_prompt(
        plain: Path) -> None:
    """Ctrl-C at the picker's prompt ends it at once whichever of its threads the signal
    lands on (the prompt waited for the next key)."""
    with Terminal("fire", "--python", sys.executable, cwd=plain) as term:
        term.expect(HOOK_PROMPT)
        time.sleep(0.5)  # the prompt waits for a key
        signal_a_side_thread(term.process.pid, signal.SIGINT)
        assert term.wait(15) == 130, term.seen[-3000:]
        term.expect(r"\nstopped by Ctrl-C; its throw-away session was closed; nothing was "
                    r"kept\.")
        assert "Traceback" not in term.seen


def test_sigterm_stops_dev_in_order_with_exit_0(plain: Path) -> None:
    """SIGTERM (a stop another program asks for) ends `mmplug dev` in order, exit 0, with
    the same line naming the signal."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "mmplug.cli.main", "dev", str(plain), "--plain", "--port", "0",
         "--no-explorer", "--store", ":memory:", "--python", sys.executable], cwd=plain,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        read_until(proc, lambda seen: "open to other users" in seen)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert _last_line(err) == ("stopped by SIGTERM; its plugins were stopped and nothing is "
                               "left running; its in-memory state is gone.")


def test_every_command_says_what_a_stop_leaves() -> None:
    """Each command's stop line names what it left, not a generic word."""
    from mmplug.cli._stop import LEFT
    from mmplug.cli.main import COMMAND_MODULES

    assert sorted(name for name in COMMAND_MODULES if name not in LEFT) == []


def test_ctrl_c_again_while_dev_stops_kills_its_plugins_and_keeps_the_state(
        plain: Path) -> None:
    """A second Ctrl-C while `mmplug dev` waits for a plugin's slow OnDeactivate kills the
    plugins at once; no process is left and the state file is whole."""
    env = {k: v for k, v in os.environ.items() if k != "FORCE_COLOR"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "mmplug.cli.main", "dev", str(plain), "--plain", "--port", "0",
         "--no-explorer", "--python", sys.executable], cwd=plain, start_new_session=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**env, "NO_COLOR": "1", "PLAIN_DEACTIVATE_S": "60"})
    try:
        read_until(proc, lambda seen: "open to other users" in seen)
        started = _descendants(proc.pid)
        assert started
        os.killpg(proc.pid, signal.SIGINT)
        read_until(proc, lambda seen: "Ctrl-C again to kill them" in seen)
        time.sleep(0.5)  # OnDeactivate has begun its 60 s
        assert proc.poll() is None
        sent = time.monotonic()
        os.killpg(proc.pid, signal.SIGINT)
        out, err = proc.communicate(timeout=30)
        took = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
    assert took < 10, out + err
    assert proc.returncode == 0, out + err
    assert "stopping: killing the plugins" in out and "Traceback" not in out + err
    assert _last_line(err) == ("stopped by Ctrl-C; its plugins were stopped and nothing is "
                               "left running; the state stays in .mmplug/state.db.")
    assert [pid for pid in started if alive(pid)] == []
    import sqlite3

    with sqlite3.connect(plain / ".mmplug" / "state.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert db.execute("SELECT count(*) FROM users").fetchone()[0] > 0
