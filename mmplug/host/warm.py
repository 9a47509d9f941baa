"""Warm spare interpreters: a reload only imports the plugin and handshakes.

A spare is a fresh Python process started ahead of time, with the plugin's interpreter, working
directory, ``sys.path`` and environment, that has already imported grpc, protobuf and the SDK
(not a line of plugin code). It blocks reading a FIFO. On "go" it takes the launch's
environment, working directory and ``sys.argv`` as ``python plugin.py`` would have them and
runs the executable with :mod:`runpy` as ``__main__``. Every launch uses a new process, so the
plugin sees the state of a cold start, minus the import time (one visible difference: runpy
puts the script's absolute path in ``sys.argv[0]``, the path ``__file__`` holds anyway).

The pool plugs into the launcher as its ``spawner``: it answers the launcher's spawn request
with a matching spare when one is ready, and with an ordinary cold spawn otherwise. The dev loop
keeps one for its reloads; :func:`spare_for` starts one for a single launch (``mmplug fire``,
each session of ``mmplug replay``), so that the plugin's imports overlap the host's start.

A pool made with ``fork`` (the pytest plugin's: a plugin process per test module) starts a
command's first spare that way too, and with the second a *zygote*: a process that did the
same imports and forks each further spare in a few milliseconds, where a fresh one spends an
interpreter's start importing grpc (the cost of every module on two cores: docs/benchmarks.md).
A forked spare is as fresh as the others (the zygote never runs plugin code; it has no thread
when it forks), in a session of its own, killed when the zygote dies, which dies with the host;
the launcher reads it through :class:`_Forked` as it reads a child process.
"""

from __future__ import annotations

import errno
import json
import os
import queue
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import cast

# Runs in the spare: ``python -c BOOT <fifo> <script>``. Kept free of anything but the stdlib
# until the warm imports, and it leaves no names behind in the plugin's ``__main__``. Taking
# the launch's environment, it keeps GRPC_EXPERIMENTS as the SDK chose it when it imported grpc
# here, as a cold start's environment has it. (No comments inside: `ps` shows the script.)
_PRELOAD = r"""
import os, sys
sys.path[0] = os.path.dirname(os.path.abspath(sys.argv[2]))
for _name in sys.argv[3].split(","):
    try:
        __import__(_name)
    except Exception:
        pass
"""
_GO = r"""
def _go():
    import json, runpy
    with open(sys.argv[1], "rb") as fifo:
        data = fifo.read()
    if not data:
        os._exit(0)
    go = json.loads(data)
    os.environ.clear()
    os.environ.update(go["env"])
    grpc_env = sys.modules.get("mmplug.protocol.grpc_env")
    if grpc_env is not None and grpc_env.CHOSEN_HERE:
        os.environ.setdefault(grpc_env.EXPERIMENTS_ENV, grpc_env.OLDER_IO)
    os.chdir(go["cwd"])
    script = os.path.join(go["cwd"], go["script"])
    sys.argv = [go["script"], *go["args"]]
    sys.path[0] = os.path.dirname(os.path.abspath(script))
    runpy.run_path(script, run_name="__main__")
"""
BOOT = _PRELOAD + _GO + "_go()\n"
# Runs in a zygote: ``python -c ZYGOTE <socket> <script> <preload>``. After the same imports it
# connects to the pool's socket and forks a spare for each request (the FIFO of its launch, and
# the write ends of its stdout and stderr pipes passed along); each fork leaves the loop as a
# spare in a session of its own, killed when the zygote dies, and goes on as BOOT's spare does.
# The zygote reports each fork and, as it reaps them, each exit.
_SERVE = r"""
def _serve():
    import ctypes, select, signal, socket
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        prctl = None
    me = os.getpid()
    control = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    control.connect(sys.argv[1])
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_r, False)
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    while True:
        try:
            ready = select.select([control, wake_r], [], [])[0]
        except InterruptedError:
            continue
        if wake_r in ready:
            try:
                os.read(wake_r, 512)
            except BlockingIOError:
                pass
            while True:
                try:
                    pid, status = os.waitpid(-1, os.WNOHANG)
                except ChildProcessError:
                    break
                if not pid:
                    break
                control.send(f"exited {pid} {os.waitstatus_to_exitcode(status)}".encode())
        if control not in ready:
            continue
        data, fds, _, _ = socket.recv_fds(control, 4096, 2)
        if not data or len(fds) != 2:
            os._exit(0)
        pid = os.fork()
        if pid:
            for fd in fds:
                os.close(fd)
            control.send(f"spawned {pid}".encode())
            continue
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        os.setsid()
        if prctl is not None:
            prctl(1, signal.SIGKILL, 0, 0, 0)
            if os.getppid() != me:
                os._exit(1)
        control.close()
        os.close(wake_r)
        os.close(wake_w)
        os.dup2(fds[0], 1)
        os.dup2(fds[1], 2)
        os.close(fds[0])
        os.close(fds[1])
        sys.argv[1] = data.decode()
        return
"""
ZYGOTE = _PRELOAD + _GO + _SERVE + "_serve()\n_go()\n"
READY_TIMEOUT = 10.0
CLOSE_WAIT_S = 10.0  # the longest close() waits for a spare being started (a fork and exec)
REPORT_WAIT_S = 1.0  # the longest a forked spare's exit waits for its zygote's report

# What a spare imports before it waits: what the SDK's serve() imports for any plugin (grpc's
# I/O chosen first, as the SDK does; grpc's server, which grpc imports only when one is made;
# every hook's messages), and what its PluginAPI client imports on the first call, which most
# plugins make while they activate (grpc's channel, the API's index)...
LEAN_PRELOAD: tuple[str, ...] = (
    "mmplug.protocol.grpc_env", "grpc", "google.protobuf.message", "grpc_health.v1.health",
    "concurrent.futures", "mmplug.sdk", "mmplug.protocol.catalog", "mmplug.sdk._server",
    "mmplug.sdk._hooks", "mmplug.sdk._services", "mmplug.sdk._client", "mmplug.sdk._async",
    "grpc._server", "mmplug.protocol.hooks_pb2", "grpc._channel", "mmplug.sdk._api_index",
)
# ...and, for the dev loop's reloads, the generated stubs a plugin may use directly as well.
# A one-off launch (a cold `mmplug fire`) waits for its spare, so it takes the lean list.
DEV_PRELOAD: tuple[str, ...] = (
    *LEAN_PRELOAD, "mmplug.protocol.hooks_pb2_grpc", "mmplug.protocol.api_pb2_grpc",
)

# The host's side: what a session imports on its way from its start to its first hook call and
# back (grpc's channel and server, the PluginAPI server and the handlers of the calls nearly
# every plugin makes while it activates, what a fire does around a hook), imported one by one
# as they are first needed, some of them while the plugin waits for the host. A host that waits
# for its plugin's interpreter anyway imports them first (:func:`preload_host`).
HOST_PRELOAD: tuple[str, ...] = (
    "grpc._channel", "grpc._server", "grpc_health.v1.health_pb2_grpc", "mmplug.check",
    "mmplug.host.api.server", "mmplug.host.api.config", "mmplug.host.api.plugins",
    "mmplug.host.api.server_info", "mmplug.host.api.stubs", "mmplug.host.api.queries",
    "mmplug.host.hookpath", "mmplug.host.payloads",
)


def preload_host() -> None:
    """Import :data:`HOST_PRELOAD` (at once when done before): called where a session starts,
    while its plugin's interpreter boots (a spare), so that none of it is left for the calls
    that follow the plugin's handshake."""
    import importlib

    for name in HOST_PRELOAD:
        importlib.import_module(name)


DIR_PREFIX = "mmplug-warm-"


def _rmtree(folder: Path) -> None:
    import shutil

    shutil.rmtree(folder, ignore_errors=True)


def sweep_stale_dirs() -> int:
    """Remove FIFO folders left by pools whose process died without closing them (SIGKILL).

    Folders are named ``mmplug-warm-<pid>-<random>``; one whose pid is gone is stale.
    """
    removed = 0
    for folder in Path(tempfile.gettempdir()).glob(f"{DIR_PREFIX}*-*"):
        pid_text = folder.name[len(DIR_PREFIX):].split("-", 1)[0]
        if not pid_text.isdigit() or not folder.is_dir() or folder.owner() != _me():
            continue
        try:
            os.kill(int(pid_text), 0)
        except ProcessLookupError:
            _rmtree(folder)
            removed += 1
        except OSError:
            continue
    return removed


def _me() -> str:
    import pwd

    return pwd.getpwuid(os.getuid()).pw_name


class _Spare:
    """One waiting interpreter (a plain class: a cold fire imports this module, and the
    dataclasses module is not otherwise imported that early)."""

    __slots__ = ("fifo", "key", "popen", "started")

    def __init__(self, key: tuple[str, str, str], popen: subprocess.Popen[bytes] | _Forked,
                 fifo: Path, started: float) -> None:
        self.key = key
        self.popen = popen
        self.fifo = fifo
        self.started = started


class WarmPool:
    """Keeps one warm spare per (interpreter, directory, script); see the module docstring."""

    def __init__(self, preload: tuple[str, ...] = DEV_PRELOAD, *, fork: bool = False) -> None:
        self._preload = ",".join(preload)
        # with ``fork``, the spares of a key after its first are forked from a zygote of that
        # key (started with the second): for runs that start many (the pytest plugin's modules)
        self._fork = fork
        self._zygotes: dict[tuple[str, str, str], _Zygote] = {}
        self._seen: set[tuple[str, str, str]] = set()  # keys that had a spare
        self._failed: set[tuple[str, str, str]] = set()  # keys whose zygote failed
        self._zygote_lock = threading.Lock()
        self._swept = False  # stale FIFO folders are swept after the first spare is started
        self._dir_path: Path | None = None  # made on the first spare: most pools never need one
        self._spares: dict[tuple[str, str, str], list[_Spare]] = {}  # oldest first
        self._lock = threading.Lock()
        self._closed = False
        # how many spares are being started (prepare() on another thread), by key: close()
        # waits for them, so that none is left running after it returns, and a launch waits
        # for the spare of its key rather than start a cold interpreter beside it
        self._starting: dict[tuple[str, str, str], int] = {}
        self._started = threading.Condition(self._lock)
        self.hits = 0
        self.misses = 0

    # -- the launcher's spawner ------------------------------------------------------------------
    def spawn(
        self, command: list[str], *, cwd: Path, env: dict[str, str]
    ) -> subprocess.Popen[bytes]:
        """Start ``command`` (``[python, script, *args]``): a spare when one is ready."""
        from mmplug.host._process import spawn

        key = _key(command, cwd)
        with self._lock:
            self._started.wait_for(lambda: bool(self._spares.get(key))
                                   or key not in self._starting, timeout=CLOSE_WAIT_S)
            waiting = self._spares.get(key)
            spare = waiting.pop(0) if waiting else None
        if spare is not None and self._go(spare, command, cwd, env):
            self.hits += 1
            return _as_popen(spare.popen)
        self.misses += 1
        return spawn(command, cwd=cwd, env=env)

    def prepare(self, command: list[str], *, cwd: Path, env: Mapping[str, str],
                depth: int = 1) -> None:
        """Start a spare for a later launch of ``command``, unless ``depth`` spares of it are
        waiting or being started already (the launches after the next one each find theirs
        started further ahead: a test run whose modules are shorter than a spare's start)."""

        key = _key(command, cwd)
        with self._lock:
            if self._closed or self._count(key) >= depth:
                return
            self._starting[key] = self._starting.get(key, 0) + 1
        try:
            self._prepare(key, command, cwd, env, depth)
        finally:
            with self._lock:
                self._starting[key] -= 1
                if not self._starting[key]:
                    del self._starting[key]
                self._started.notify_all()

    def _count(self, key: tuple[str, str, str]) -> int:
        """Spares of ``key`` waiting or being started (call with the lock held)."""
        return len(self._spares.get(key, ())) + self._starting.get(key, 0)

    def _prepare(self, key: tuple[str, str, str], command: list[str], cwd: Path,
                 env: Mapping[str, str], depth: int) -> None:
        from mmplug.host._process import spawn

        fifo = self._dir() / f"go-{os.getpid()}-{time.monotonic_ns()}"
        os.mkfifo(fifo, 0o600)
        popen: subprocess.Popen[bytes] | _Forked | None = (
            self._forked(key, command, cwd, env, fifo) if self._fork else None)
        if popen is None:
            boot = [command[0], "-c", BOOT, str(fifo), command[1], self._preload]
            try:
                popen = spawn(boot, cwd=cwd, env=dict(env))
            except OSError:
                fifo.unlink(missing_ok=True)
                return
        self._sweep_once()  # while the spare boots
        spare = _Spare(key, popen, fifo, time.monotonic())
        with self._lock:
            if self._closed or len(self._spares.get(key, ())) >= depth:
                stale: _Spare | None = spare
            else:
                self._spares.setdefault(key, []).append(spare)
                stale = None
        if stale is not None:
            _discard(stale)

    def _forked(self, key: tuple[str, str, str], command: list[str], cwd: Path,
                env: Mapping[str, str], fifo: Path) -> _Forked | None:
        """A spare forked from the zygote of ``key`` (started with the key's second spare), or
        None for a fresh one: the key's first spare, or its zygote failed."""
        with self._zygote_lock:
            if key not in self._seen:
                self._seen.add(key)
                return None
            if key in self._failed or self._closed:
                return None
            zygote = self._zygotes.get(key)
            if zygote is None:
                zygote = _Zygote.start(command, cwd, env, self._dir(), self._preload)
                if zygote is None:
                    self._failed.add(key)
                    return None
                self._zygotes[key] = zygote
        forked = zygote.fork(fifo, [command[0], "-c", "(zygote)", str(fifo), command[1]])
        if forked is None:
            with self._zygote_lock:
                self._failed.add(key)
                if self._zygotes.get(key) is zygote:
                    del self._zygotes[key]
            zygote.close()
        return forked

    def prepare_async(self, command: list[str], *, cwd: Path, env: Mapping[str, str],
                      depth: int = 1) -> None:
        threading.Thread(target=self.prepare, args=(command,),
                         kwargs={"cwd": cwd, "env": env, "depth": depth},
                         name="mmplug-warm", daemon=True).start()

    def pids(self) -> list[int]:
        with self._lock:
            return [s.popen.pid for waiting in self._spares.values() for s in waiting]

    def close(self) -> None:
        """Kill every waiting spare (those still being started too) and remove the FIFOs."""
        with self._lock:
            self._closed = True
            # a spare being started sees the pool closed and is discarded by its starter
            self._started.wait_for(lambda: not self._starting, timeout=CLOSE_WAIT_S)
            spares = [s for waiting in self._spares.values() for s in waiting]
            self._spares.clear()
        for spare in spares:
            _discard(spare)
        with self._zygote_lock:
            zygotes = list(self._zygotes.values())
            self._zygotes.clear()
        for zygote in zygotes:
            zygote.close()
        with self._lock:
            folder, self._dir_path = self._dir_path, None
        if folder is not None:
            _rmtree(folder)
        self._sweep_once()

    def _sweep_once(self) -> None:
        """Sweep the FIFO folders of dead pools, once per pool (after its first spare started,
        or when it closes)."""
        if not self._swept:
            self._swept = True
            sweep_stale_dirs()

    def _dir(self) -> Path:
        with self._lock:
            if self._dir_path is None:
                self._dir_path = Path(tempfile.mkdtemp(prefix=f"{DIR_PREFIX}{os.getpid()}-"))
            return self._dir_path

    # -- internals -----------------------------------------------------------------------------
    def _go(self, spare: _Spare, command: list[str], cwd: Path, env: Mapping[str, str]) -> bool:
        """Hand the launch to ``spare``; False (spare discarded) when it cannot take it."""
        message = json.dumps({"env": dict(env), "cwd": str(cwd), "script": command[1],
                              "args": command[2:]}).encode()
        deadline = time.monotonic() + READY_TIMEOUT
        while spare.popen.poll() is None:
            try:
                fd = os.open(spare.fifo, os.O_WRONLY | os.O_NONBLOCK)
            except OSError as exc:  # ENXIO: the spare is still importing
                if exc.errno != errno.ENXIO or time.monotonic() > deadline:
                    break
                time.sleep(0.002)
                continue
            try:
                os.set_blocking(fd, True)
                os.write(fd, message)
            finally:
                os.close(fd)
            spare.fifo.unlink(missing_ok=True)
            return True
        _discard(spare)
        return False


class _Zygote:
    """A process with the spares' imports done that forks a spare per request (ZYGOTE): a
    spare in a few milliseconds instead of an interpreter's start. Talks to the pool over a
    unix socket (SOCK_SEQPACKET) in the pool's private folder; a reader thread takes its
    reports. Any trouble (it does not connect, a request fails, it dies) makes ``fork`` return
    None and the pool start fresh spares again."""

    def __init__(self, popen: subprocess.Popen[bytes], listener: socket.socket,
                 path: Path) -> None:
        self.popen = popen
        self._listener = listener
        self._path = path
        self._conn: socket.socket | None = None
        self._lock = threading.Lock()  # one request at a time
        self._state = threading.Lock()
        self._spawned: queue.Queue[int | None] = queue.Queue()
        self._children: dict[int, _Forked] = {}
        self._exits: dict[int, int] = {}  # exits reported before their fork was answered
        self._dead = False

    @classmethod
    def start(cls, command: list[str], cwd: Path, env: Mapping[str, str], folder: Path,
              preload: str) -> _Zygote | None:
        from mmplug.host._process import spawn

        path = folder / f"zygote-{time.monotonic_ns()}.sock"
        try:  # (no SOCK_SEQPACKET for unix sockets on macOS: fresh spares there)
            listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        except (OSError, AttributeError):
            return None
        try:
            listener.bind(str(path))
            listener.listen(1)
            popen = spawn([command[0], "-c", ZYGOTE, str(path), command[1], preload], cwd=cwd,
                          env=dict(env))
        except OSError:
            listener.close()
            path.unlink(missing_ok=True)
            return None
        return cls(popen, listener, path)

    def fork(self, fifo: Path, args: list[str]) -> _Forked | None:
        """A new spare waiting on ``fifo``, or None if the zygote cannot make one."""
        with self._lock:
            if self._dead or (self._conn is None and not self._connect()):
                return None
            assert self._conn is not None
            out_r, out_w = os.pipe()
            err_r, err_w = os.pipe()
            try:
                socket.send_fds(self._conn, [str(fifo).encode()], [out_w, err_w])
            except OSError:
                for fd in (out_r, out_w, err_r, err_w):
                    os.close(fd)
                return None
            os.close(out_w)
            os.close(err_w)
            try:
                pid = self._spawned.get(timeout=READY_TIMEOUT)
            except queue.Empty:
                pid = None
            if pid is None:
                os.close(out_r)
                os.close(err_r)
                return None
            child = _Forked(pid, out_r, err_r, args)
            with self._state:
                self._children[pid] = child
                code = self._exits.pop(pid, None)
            if code is not None:
                child.exited(code)
            return child

    def _connect(self) -> bool:
        self._listener.settimeout(0.05)
        deadline = time.monotonic() + READY_TIMEOUT
        while self.popen.poll() is None and time.monotonic() < deadline:
            try:
                self._conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return False
            self._conn.settimeout(None)
            threading.Thread(target=self._read, args=(self._conn,), daemon=True,
                             name=f"mmplug-zygote-{self.popen.pid}").start()
            return True
        return False

    def _read(self, conn: socket.socket) -> None:
        """The zygote's reports: each fork's pid, each reaped child's exit code."""
        while True:
            try:
                message = conn.recv(256)
            except OSError:
                message = b""
            if not message:
                break
            word, _, rest = message.decode().partition(" ")
            if word == "spawned":
                self._spawned.put(int(rest))
            elif word == "exited":
                pid, code = (int(part) for part in rest.split())
                with self._state:
                    child = self._children.pop(pid, None)
                    if child is None:
                        self._exits[pid] = code
                if child is not None:
                    child.exited(code)
        self._gone()

    def _gone(self) -> None:
        """The zygote is gone: its children die with it (their death signal); each is marked
        exited once it has (its code unknown: reported as killed)."""
        self._spawned.put(None)
        with self._state:
            self._dead = True
            orphans = list(self._children.values())
            self._children.clear()
        from mmplug.host._process import alive

        for child in orphans:
            deadline = time.monotonic() + CLOSE_WAIT_S
            while alive(child.pid) and time.monotonic() < deadline:
                time.sleep(0.01)
            child.exited(-signal.SIGKILL)

    def close(self) -> None:
        from mmplug.host._process import kill_group

        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.shutdown(socket.SHUT_RDWR)  # wakes the reader thread
            except OSError:
                pass
            conn.close()
        kill_group(self.popen)
        for stream in (self.popen.stdout, self.popen.stderr):
            if stream is not None:
                stream.close()
        self._listener.close()
        self._path.unlink(missing_ok=True)


class _Forked:
    """A spare forked by a zygote, as the launcher uses a ``subprocess.Popen``: its pid, its
    stdout and stderr, ``poll``/``wait``/``kill``. It is the zygote's child: its exit code is
    the one the zygote reports when it reaps it."""

    def __init__(self, pid: int, out_fd: int, err_fd: int, args: list[str]) -> None:
        self.pid = pid
        self.args = args
        self.stdout = open(out_fd, "rb")
        self.stderr = open(err_fd, "rb")
        self.stdin = None
        self.returncode: int | None = None
        self._done = threading.Event()

    def exited(self, code: int) -> None:
        self.returncode = code
        self._done.set()

    def poll(self) -> int | None:
        from mmplug.host._process import alive

        if self.returncode is None and not alive(self.pid):
            self._settle()
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while (code := self.poll()) is None:
            left = 0.05 if deadline is None else min(0.05, deadline - time.monotonic())
            if left <= 0:
                raise subprocess.TimeoutExpired(self.args, timeout or 0)
            self._done.wait(left)
        return code

    def _settle(self) -> None:
        """It has ended: its zygote reaps it and reports the code at once; a zygote that does
        not (gone or stuck) leaves it reported as killed."""
        if not self._done.wait(REPORT_WAIT_S):
            self.exited(-signal.SIGKILL)

    def kill(self) -> None:
        if self.returncode is None:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


def _key(command: list[str], cwd: Path) -> tuple[str, str, str]:
    return (command[0], str(Path(cwd).resolve()), command[1] if len(command) > 1 else "")


def _as_popen(popen: subprocess.Popen[bytes] | _Forked) -> subprocess.Popen[bytes]:
    """A spare's process as the launcher takes it: a forked one has what the launcher and
    kill_group use of a Popen (pid, stdout, stderr, args, poll, wait, kill)."""
    return cast("subprocess.Popen[bytes]", popen)


def _discard(spare: _Spare) -> None:
    from mmplug.host._process import kill_group

    kill_group(_as_popen(spare.popen))
    for stream in (spare.popen.stdout, spare.popen.stderr):
        if stream is not None:
            stream.close()
    spare.fifo.unlink(missing_ok=True)


def spare_for(plugin_dir: Path, python: str | None) -> WarmPool | None:
    """A pool already starting the plugin's interpreter (grpc and the SDK imported, waiting to
    be told to run the plugin), so that its start overlaps the host's; None when that is not
    possible (the launch then reports a bad manifest or interpreter properly)."""
    pool = WarmPool(LEAN_PRELOAD)
    if not prepare_for(pool, plugin_dir, python):
        pool.close()
        return None
    return pool


def prepare_for(pool: WarmPool, plugin_dir: Path, python: str | None) -> bool:
    """Start a spare of the plugin in ``plugin_dir`` in ``pool`` (none when one is waiting);
    False when the plugin's manifest or interpreter cannot be found (its launch says why)."""
    from mmplug.errors import MmplugError

    try:
        from mmplug.host._child_env import find_python, plugin_env
        from mmplug.manifest import load_manifest

        manifest = load_manifest(plugin_dir)
        interpreter = find_python(manifest.plugin_dir, python)
    except (ImportError, MmplugError):
        return False
    if interpreter is None:
        return False
    pool.prepare([interpreter, manifest.executable], cwd=manifest.plugin_dir,
                 env=plugin_env(None))
    return True
