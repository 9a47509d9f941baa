"""A warm spare runs the plugin exactly as a cold `python plugin.py` would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from processes import alive, parent

from mmplug.host._child_env import plugin_env
from mmplug.host._process import kill_group, spawn
from mmplug.host.warm import WarmPool
from mmplug.protocol.grpc_env import OLDER_IO, TRIED_GRPCIO, grpcio_version

PROBE = '''
import json, os, sys
import mmplug.sdk
import helper
print(json.dumps({
    "name": __name__, "file": os.path.basename(__file__), "argv": sys.argv,
    "path0": sys.path[0], "cwd": os.getcwd(), "marker": os.environ.get("PROBE_MARKER"),
    "helper": helper.VALUE, "main_is_module": sys.modules["__main__"].__dict__ is globals(),
    "plugin_modules": sorted(m for m in sys.modules if m.startswith("helper")),
    "grpc_experiments": os.environ.get("GRPC_EXPERIMENTS"),
}), flush=True)
'''


def _run(popen: object) -> dict[str, object]:
    line = popen.stdout.readline()  # type: ignore[attr-defined]
    kill_group(popen)  # type: ignore[arg-type]
    for stream in (popen.stdout, popen.stderr):  # type: ignore[attr-defined]
        stream.close()
    return json.loads(line)  # type: ignore[no-any-return]


def test_warm_start_sees_what_a_cold_start_sees(tmp_path: Path) -> None:
    (tmp_path / "probe.py").write_text(PROBE)
    (tmp_path / "helper.py").write_text("VALUE = 'from the plugin dir'\n")
    command = [sys.executable, "probe.py"]
    env = plugin_env(None, {"PROBE_MARKER": "spare-time"})
    cold = _run(spawn(command, cwd=tmp_path, env=dict(env, PROBE_MARKER="go")))
    pool = WarmPool()
    try:
        pool.prepare(command, cwd=tmp_path, env=env)
        warm = _run(pool.spawn(command, cwd=tmp_path, env=dict(env, PROBE_MARKER="go")))
        assert pool.hits == 1
    finally:
        pool.close()
    # runpy puts the script's absolute path in sys.argv[0] (what __file__ holds either way)
    assert Path(str(warm.pop("argv")[0])) == tmp_path / str(cold.pop("argv")[0])  # type: ignore[index]
    assert warm == cold
    assert cold["name"] == "__main__" and cold["marker"] == "go"
    assert cold["path0"] == str(tmp_path) and cold["main_is_module"] is True
    if grpcio_version() in TRIED_GRPCIO:  # the SDK's choice of grpc I/O, in the spare as well
        assert cold["grpc_experiments"] == OLDER_IO


def test_without_a_spare_it_starts_cold(tmp_path: Path) -> None:
    (tmp_path / "probe.py").write_text(PROBE)
    (tmp_path / "helper.py").write_text("VALUE = 1\n")
    pool = WarmPool()
    try:
        result = _run(pool.spawn([sys.executable, "probe.py"], cwd=tmp_path,
                                 env=plugin_env(None)))
        assert (pool.hits, pool.misses) == (0, 1)
        assert result["helper"] == 1
    finally:
        pool.close()


def test_close_kills_waiting_spares(tmp_path: Path) -> None:
    (tmp_path / "probe.py").write_text(PROBE)
    pool = WarmPool()
    pool.prepare([sys.executable, "probe.py"], cwd=tmp_path, env=plugin_env(None))
    (pid,) = pool.pids()
    pool.close()
    assert not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text()


def test_close_waits_for_a_spare_being_started(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """A spare started on another thread (the next module's, the next reload's) while the
    pool closes is killed before close() returns: nothing of it outlives the pool."""
    import threading

    from mmplug.host import _process

    (tmp_path / "probe.py").write_text(PROBE)
    real_spawn = _process.spawn
    entered, gate = threading.Event(), threading.Event()
    started: list[Any] = []

    def held_spawn(*args: Any, **kwargs: Any) -> Any:  # the pool's spawn, held at a fixed point
        entered.set()
        gate.wait()
        started.append(real_spawn(*args, **kwargs))
        return started[-1]

    monkeypatch.setattr(_process, "spawn", held_spawn)
    pool = WarmPool()
    pool.prepare_async([sys.executable, "probe.py"], cwd=tmp_path, env=plugin_env(None))
    assert entered.wait(10)
    closer = threading.Thread(target=pool.close)
    closer.start()
    closer.join(0.5)
    assert closer.is_alive(), "close() returned while a spare was still being started"
    gate.set()
    closer.join(30)
    assert not closer.is_alive()
    (popen,) = started
    assert popen.poll() is not None  # killed and reaped before close() returned


def test_spares_further_ahead_are_used_oldest_first(tmp_path: Path) -> None:
    """With ``depth`` 2 (the pytest plugin's next two modules), two spares of one command wait;
    asking again starts no third; each launch takes the oldest, and the next launch the other
    one, warm as well."""
    (tmp_path / "probe.py").write_text(PROBE)
    (tmp_path / "helper.py").write_text("VALUE = 2\n")
    command, env = [sys.executable, "probe.py"], plugin_env(None)
    pool = WarmPool()
    try:
        for _ in range(3):
            pool.prepare(command, cwd=tmp_path, env=env, depth=2)
        first, second = pool.pids()
        launched = pool.spawn(command, cwd=tmp_path, env=env)
        assert launched.pid == first and pool.pids() == [second]
        assert _run(launched)["helper"] == 2
        again = pool.spawn(command, cwd=tmp_path, env=env)
        assert again.pid == second and _run(again)["helper"] == 2
        assert (pool.hits, pool.misses) == (2, 0)
    finally:
        pool.close()


def test_a_launch_waits_for_the_spare_being_started(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """A launch asked while its spare is still being started on another thread (the pytest
    plugin asks for the first one during collection) takes that spare instead of starting a
    cold interpreter beside it."""
    import threading

    from mmplug.host import _process

    (tmp_path / "probe.py").write_text(PROBE)
    (tmp_path / "helper.py").write_text("VALUE = 3\n")
    real_spawn = _process.spawn
    entered, gate = threading.Event(), threading.Event()

    def held_spawn(*args: Any, **kwargs: Any) -> Any:  # the spare's start, held a moment
        entered.set()
        gate.wait()
        return real_spawn(*args, **kwargs)

    command, env = [sys.executable, "probe.py"], plugin_env(None)
    pool = WarmPool()
    try:
        monkeypatch.setattr(_process, "spawn", held_spawn)
        pool.prepare_async(command, cwd=tmp_path, env=env)
        assert entered.wait(10)
        monkeypatch.setattr(_process, "spawn", real_spawn)
        threading.Timer(0.3, gate.set).start()
        result = _run(pool.spawn(command, cwd=tmp_path, env=env))
        assert (pool.hits, pool.misses) == (1, 0)
        assert result["helper"] == 3
    finally:
        gate.set()
        pool.close()


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_forked_spares_see_what_a_cold_start_sees(tmp_path: Path) -> None:
    """With ``fork`` (the pytest plugin's pool), a command's first spare starts fresh and the
    next ones are forked from one zygote that did the same imports: each a process of its own
    that runs the plugin as a cold start would."""
    (tmp_path / "probe.py").write_text(PROBE)
    (tmp_path / "helper.py").write_text("VALUE = 'from the plugin dir'\n")
    command = [sys.executable, "probe.py"]
    env = plugin_env(None, {"PROBE_MARKER": "spare-time"})
    cold = _run(spawn(command, cwd=tmp_path, env=dict(env, PROBE_MARKER="go")))
    pool = WarmPool(fork=True)
    try:
        for _ in range(3):
            pool.prepare(command, cwd=tmp_path, env=env, depth=3)
        fresh, *forked = pool.pids()
        zygotes = {parent(pid) for pid in forked}
        assert parent(fresh) == os.getpid() and len(zygotes) == 1 and len(set(forked)) == 2
        (zygote,) = zygotes
        assert parent(zygote) == os.getpid()
        runs = [_run(pool.spawn(command, cwd=tmp_path, env=dict(env, PROBE_MARKER="go")))
                for _ in range(3)]
        assert (pool.hits, pool.misses) == (3, 0)
    finally:
        pool.close()
    assert not alive(zygote), "the zygote outlived the pool"
    for warm in runs:
        assert Path(str(warm.pop("argv")[0])) == tmp_path / "probe.py"  # type: ignore[index]
    cold.pop("argv")
    assert runs == [cold, cold, cold]


EXITING = "import sys\nprint('up', flush=True)\nsys.exit(3)\n"


def test_a_forked_spare_tells_its_exit_code_and_a_dead_zygote_is_not_used(
        tmp_path: Path) -> None:
    """The launcher reads a forked spare as a child process of its own: its stdout, its exit
    code (the zygote reaps it and reports the code). A zygote that dies takes its waiting
    spares with it, and the pool starts fresh spares again."""
    import signal

    (tmp_path / "exiting.py").write_text(EXITING)
    command, env = [sys.executable, "exiting.py"], plugin_env(None)
    pool = WarmPool(fork=True)
    try:
        pool.prepare(command, cwd=tmp_path, env=env, depth=2)
        pool.prepare(command, cwd=tmp_path, env=env, depth=2)
        fresh, forked = pool.pids()
        first = pool.spawn(command, cwd=tmp_path, env=env)
        assert first.pid == fresh and first.wait(30) == 3
        _close(first)
        second = pool.spawn(command, cwd=tmp_path, env=env)
        assert second.pid == forked and second.stdout is not None
        assert second.stdout.readline() == b"up\n"
        assert second.wait(30) == 3 and second.poll() == 3
        _close(second)  # as the launcher stops a process: no error after the exit
        # the next spare is forked again; then the zygote dies
        pool.prepare(command, cwd=tmp_path, env=env, depth=2)
        (waiting,) = pool.pids()
        zygote = parent(waiting)
        os.kill(zygote, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while alive(waiting) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not alive(waiting), "a forked spare outlived its zygote"
        third = pool.spawn(command, cwd=tmp_path, env=env)  # the dead spare: a cold start
        assert isinstance(third, subprocess.Popen) and third.wait(30) == 3  # our own child
        _close(third)
        pool.prepare(command, cwd=tmp_path, env=env, depth=2)  # fresh from now on
        (fresh_again,) = pool.pids()
        assert parent(fresh_again) == os.getpid()
    finally:
        pool.close()


def _close(popen: Any) -> None:
    kill_group(popen)
    for stream in (popen.stdout, popen.stderr):
        stream.close()
