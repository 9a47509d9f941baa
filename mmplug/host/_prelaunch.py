"""A plugin process started before the host is ready, as go-plugin's client starts it at once.

A cold ``mmplug fire`` imports grpc, protobuf and the API server before it could launch the
plugin, and the plugin's own start is as long again. So the command line's first step (see
:mod:`mmplug.cli._fire_prefetch`) starts the plugin right away, with the go-plugin environment
the launcher would give it and the address the PluginAPI server *will* listen on: a loopback
port held by a placeholder socket (``SO_REUSEPORT``, never listening) until the API server binds
the same port. The plugin imports, serves and prints its handshake while the host starts; the
launcher then adopts the process through :meth:`Prelaunch.spawn` (the session's spawner) and
reads the handshake that is waiting in its stdout.

The plugin only dials the API on its first API call, which comes after the API server is
listening (the host calls no hook before). If the session ends up launching something else (a
different command, directory or environment), the early process is killed and a normal launch
happens instead; an unused early process is killed by :meth:`close`.
"""

from __future__ import annotations

import os
import socket
import subprocess
import threading

from mmplug.host._child_env import plugin_env

TYPE_CHECKING = False  # pathlib is imported after the plugin has been started
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any


def _placeholder() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(("127.0.0.1", 0))
    except BaseException:
        sock.close()
        raise
    return sock


class Prelaunch:
    """One plugin process started early; :meth:`adopt` hands the session what the plugin was
    told (the API address, the socket folder) and makes :meth:`spawn` its spawner."""

    def __init__(self, command: list[str], cwd: Path | str, *, transport: str = "unix",
                 private: bool = False) -> None:
        """Start ``command`` in ``cwd`` now (raises OSError when it cannot be started), as a
        session with this ``transport`` and ``private`` mode would (see
        :class:`~mmplug.host.session.Session`)."""
        from mmplug.host._process import spawn

        self._placeholder: socket.socket | None = None
        self.api_port = 0
        self.api_socket: str | None = None
        self.socket_dir: str | None = None  # the session's, once adopted
        if transport == "unix" or private:
            from mmplug.host._private import socket_dir

            self.socket_dir = socket_dir()
        if private:
            assert self.socket_dir is not None
            self.api_socket = os.path.join(self.socket_dir, "api-1.sock")
            api_target = f"unix:{self.api_socket}"
        else:
            self._placeholder = _placeholder()
            self.api_port = int(self._placeholder.getsockname()[1])
            api_target = f"127.0.0.1:{self.api_port}"
        self.command = list(command)
        self.cwd = os.fspath(cwd)
        self.env = plugin_env(api_target,
                              socket_dir=self.socket_dir if transport == "unix" else None)
        self._lock = threading.Lock()
        self._used = False
        self.hits = 0
        self.misses = 0
        try:
            self.popen: subprocess.Popen[bytes] = spawn(self.command, cwd=self.cwd, env=self.env)
        except BaseException:
            self._release_port()
            self._remove_sockets()
            raise

    def adopt(self, session: Any) -> None:
        """Let ``session`` (not started yet) take over: it launches through :meth:`spawn`,
        listens where the plugin was told the API is, and owns the socket folder."""
        session.spawner = self.spawn
        session.api_port = self.api_port
        session.api_socket = self.api_socket
        if self.socket_dir is not None:
            from pathlib import Path

            session.socket_dir, self.socket_dir = Path(self.socket_dir), None

    def spawn(self, command: list[str], *, cwd: Path, env: dict[str, str]
              ) -> subprocess.Popen[bytes]:
        """The launcher's spawner: the early process when it is what the launcher would start
        (same command, directory and environment), else a fresh one."""
        from mmplug.host._process import spawn

        with self._lock:
            fresh = not self._used
            self._used = True
        self._release_port()  # the API server is bound by now
        same_dir = os.path.normpath(os.fspath(cwd)) == os.path.normpath(self.cwd)
        if fresh and list(command) == self.command and same_dir and env == self.env:
            self.hits += 1
            return self.popen
        self.misses += 1
        if fresh:
            self._kill()
        return spawn(command, cwd=cwd, env=env)

    def close(self) -> None:
        """Kill the early process unless the launcher took it; free the port; remove the
        socket folder unless a session adopted it."""
        with self._lock:
            unused = not self._used
            self._used = True
        self._release_port()
        if unused:
            self._kill()
        self._remove_sockets()

    def _remove_sockets(self) -> None:
        folder, self.socket_dir = self.socket_dir, None
        if folder is not None:
            import shutil

            shutil.rmtree(folder, ignore_errors=True)

    def _kill(self) -> None:
        from mmplug.host._process import kill_group

        kill_group(self.popen)
        for stream in (self.popen.stdout, self.popen.stderr):
            if stream is not None:
                stream.close()

    def _release_port(self) -> None:
        with self._lock:
            sock, self._placeholder = self._placeholder, None
        if sock is not None:
            sock.close()
