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
"""

from __future__ import annotations

import errno
import json
import os
import subprocess
import tempfile
import threading
import time
from collections.abc import Mapping
from pathlib import Path

# Runs in the spare: ``python -c BOOT <fifo> <script>``. Kept free of anything but the stdlib
# until the warm imports, and it leaves no names behind in the plugin's ``__main__``. Taking
# the launch's environment, it keeps GRPC_EXPERIMENTS as the SDK chose it when it imported grpc
# here, as a cold start's environment has it. (No comments inside: `ps` shows the script.)
BOOT = r"""
import os, sys
sys.path[0] = os.path.dirname(os.path.abspath(sys.argv[2]))
for _name in sys.argv[3].split(","):
    try:
        __import__(_name)
    except Exception:
        pass
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
_go()
"""
READY_TIMEOUT = 10.0
CLOSE_WAIT_S = 10.0  # the longest close() waits for a spare being started (a fork and exec)

# What a spare imports before it waits: what the SDK's serve() imports for any plugin (grpc's
# I/O chosen first, as the SDK does)...
LEAN_PRELOAD: tuple[str, ...] = (
    "mmplug.protocol.grpc_env", "grpc", "google.protobuf.message", "grpc_health.v1.health",
    "concurrent.futures", "mmplug.sdk", "mmplug.protocol.catalog", "mmplug.sdk._server",
    "mmplug.sdk._hooks", "mmplug.sdk._services", "mmplug.sdk._client", "mmplug.sdk._async",
)
# ...and, for the dev loop's reloads, the generated stubs a plugin may use directly as well.
# A one-off launch (a cold `mmplug fire`) waits for its spare, so it takes the lean list.
DEV_PRELOAD: tuple[str, ...] = (
    *LEAN_PRELOAD, "mmplug.protocol.hooks_pb2_grpc", "mmplug.protocol.api_pb2_grpc",
)


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

    def __init__(self, key: tuple[str, str, str], popen: subprocess.Popen[bytes], fifo: Path,
                 started: float) -> None:
        self.key = key
        self.popen = popen
        self.fifo = fifo
        self.started = started


class WarmPool:
    """Keeps one warm spare per (interpreter, directory, script); see the module docstring."""

    def __init__(self, preload: tuple[str, ...] = DEV_PRELOAD) -> None:
        self._preload = ",".join(preload)
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
            return spare.popen
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


def _key(command: list[str], cwd: Path) -> tuple[str, str, str]:
    return (command[0], str(Path(cwd).resolve()), command[1] if len(command) > 1 else "")


def _discard(spare: _Spare) -> None:
    from mmplug.host._process import kill_group

    kill_group(spare.popen)
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
