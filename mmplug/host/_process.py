"""Plugin child processes: own process group, die with us, reaped on exit, exact exit waits.

Every plugin is forked from one long-lived thread with ``PR_SET_PDEATHSIG`` (Linux) so it is
SIGKILLed when the host process dies, even by SIGKILL; it runs in its own session/process
group so a terminal's Ctrl-C reaches only the host, which then stops it in order. Processes
still running at interpreter exit are killed by an ``atexit`` hook, and on SIGTERM/SIGHUP (when
their action is the default) before the host dies.
"""

from __future__ import annotations

import atexit
import ctypes
import os
import queue
import select
import signal
import subprocess
import threading

TYPE_CHECKING = False  # typing, pathlib: imported after a cold fire has started the plugin
if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path
    from typing import Protocol

    class Killable(Protocol):
        def kill(self) -> None: ...


_PR_SET_PDEATHSIG = 1
LIVE: set[Killable] = set()
_SPAWNED: set[subprocess.Popen[bytes]] = set()
_SPAWNED_LOCK = threading.Lock()
_SIGNALS_INSTALLED = False


def _libc_prctl() -> Callable[..., int] | None:
    if not os.uname().sysname == "Linux":
        return None
    try:
        prctl: Callable[..., int] = ctypes.CDLL(None, use_errno=True).prctl
        return prctl
    except (OSError, AttributeError):
        return None


class _Spawner:
    """Forks every plugin from one long-lived thread.

    ``PR_SET_PDEATHSIG`` fires when the *thread* that forked the child ends, not the process,
    so children must not be forked from short-lived threads (a reload from a watcher thread).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._jobs: queue.Queue[tuple[Callable[[], object], queue.Queue[object]]] = queue.Queue()
        self._thread: threading.Thread | None = None

    def run(self, job: Callable[[], object]) -> object:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="mmplug-spawner",
                                                daemon=True)
                self._thread.start()
        answer: queue.Queue[object] = queue.Queue(maxsize=1)
        self._jobs.put((job, answer))
        result = answer.get()
        if isinstance(result, BaseException):
            raise result
        return result

    def _loop(self) -> None:
        while True:
            job, answer = self._jobs.get()
            try:
                answer.put(job())
            except BaseException as exc:  # handed back to the caller
                answer.put(exc)


_SPAWNER = _Spawner()


# Put in every plugin interpreter's command line so that `ps` finds a plugin by its project:
# ``python -X mmplug_plugin_dir=/path/to/project plugin.py``. An -X option that Python does not
# know is kept in ``sys._xoptions`` and nothing else: ``sys.argv`` stays what the server gives.
PROJECT_OPTION = "mmplug_plugin_dir"


def with_project(command: list[str], cwd: Path | str) -> list[str]:
    """``command`` (``[python, ...]``) with the plugin directory shown in its arguments."""
    if len(command) < 1:
        return command
    return [command[0], "-X", f"{PROJECT_OPTION}={os.path.abspath(cwd)}", *command[1:]]


def spawn(command: list[str], *, cwd: Path | str, env: dict[str, str]
          ) -> subprocess.Popen[bytes]:
    """Start ``command`` (a Python interpreter and its arguments, run in the plugin directory
    ``cwd``) in its own process group; on Linux it is killed when we die."""
    prctl = _libc_prctl()
    parent = os.getpid()
    argv = with_project(command, cwd)

    def child_setup() -> None:  # runs in the child between fork and exec
        if prctl is not None:
            prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
            if os.getppid() != parent:  # we died before prctl took effect
                os._exit(1)

    def start() -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            argv,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
            preexec_fn=child_setup,
        )

    _install_signal_cleanup()
    popen = _SPAWNER.run(start)
    assert isinstance(popen, subprocess.Popen)
    with _SPAWNED_LOCK:
        _SPAWNED.add(popen)
    return popen


def alive(pid: int) -> bool:
    """Whether process ``pid`` runs: it exists (someone else's counts) and is not a zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rpartition(")")[2].split()[0] != "Z"
    except OSError:
        return True


def kill_group(popen: subprocess.Popen[bytes]) -> None:
    """SIGKILL the child's process group (it is the group leader) and reap the child."""
    with _SPAWNED_LOCK:
        _SPAWNED.discard(popen)
    try:
        os.killpg(popen.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        popen.kill()
    except (ProcessLookupError, PermissionError):
        pass
    popen.wait()


def kill_now() -> None:
    """SIGKILL every plugin process group still running, at once, from any thread (a second
    Ctrl-C while they are stopped in order); whoever stops them reaps them as before."""
    with _SPAWNED_LOCK:
        pids = [popen.pid for popen in _SPAWNED if popen.returncode is None]
    for pid in pids:
        try:
            os.killpg(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


@atexit.register
def _kill_leftovers() -> None:
    for process in list(LIVE):
        process.kill()
    with _SPAWNED_LOCK:
        leftovers = list(_SPAWNED)
    for popen in leftovers:
        kill_group(popen)


def _install_signal_cleanup() -> None:
    """On SIGTERM/SIGHUP with the default action, kill our children first, then die as before.

    Only from the main thread and only where nobody installed a handler; on Linux the
    death signal covers this anyway, elsewhere this is what keeps plugins from lingering.
    """
    global _SIGNALS_INSTALLED
    if _SIGNALS_INSTALLED or threading.current_thread() is not threading.main_thread():
        return
    _SIGNALS_INSTALLED = True
    for signum in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(signum) == signal.SIG_DFL:
            signal.signal(signum, _die_with_children)


def _die_with_children(signum: int, frame: object) -> None:
    _kill_leftovers()
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


def wait_exit(popen: subprocess.Popen[bytes], timeout: float) -> None:
    """Block until the child exits or ``timeout`` passes; a pidfd wakes us at the exit itself
    (``Popen.wait(timeout)`` polls with sleeps of up to 50 ms)."""
    try:
        pidfd = os.pidfd_open(popen.pid)
    except (AttributeError, OSError):
        try:
            popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pass
        return
    try:
        poller = select.poll()
        poller.register(pidfd, select.POLLIN)
        poller.poll(timeout * 1000)
    finally:
        os.close(pidfd)
