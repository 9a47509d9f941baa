"""Helpers for the dev loop tests: a tiny SDK plugin project, waiting, orphan checks."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from plugin_projects import write_plugin_project

PLUGIN_ID = "com.example.devtest"

PLUGIN_SOURCE = '''
import json

from mmplug.sdk import Plugin, serve

VERSION = "{version}"

class DevTest(Plugin):
    def on_activate(self):
        count = int(self.api.kv_get("activations") or b"0") + 1
        self.api.kv_set("activations", str(count))
        self.logger.info("activated", extra={{"version": VERSION, "count": count}})
{extra}
    def on_deactivate(self):
        self.logger.info("deactivating", extra={{"version": VERSION}})

    def execute_command(self, context, args):
        if args.command.startswith("/crash"):
            import os
            os._exit(3)
        return {{"response_type": "ephemeral", "text": VERSION}}

    def serve_http(self, context, response, request):
        if request.path == "/activations":
            response.write(self.api.kv_get("activations") or b"")
            return
        if request.path == "/greeting":
            # LoadPluginConfiguration fills in the settings_schema defaults (as the server).
            raw = self.api.call("LoadPluginConfiguration").config_json
            response.write(str(json.loads(raw).get("greeting")).encode())
            return
        response.write(VERSION.encode())

if __name__ == "__main__":
    serve(DevTest)
'''


def write_plugin(directory: Path, version: str = "v1", extra: str = "",
                 plugin_id: str = PLUGIN_ID) -> Path:
    return write_plugin_project(directory, plugin_id, plugin_source(version, extra),
                                name="Dev test")


def plugin_source(version: str, extra: str = "") -> str:
    return PLUGIN_SOURCE.format(version=version, extra=extra)


def write_source(directory: Path, version: str, extra: str = "", atomic: bool = False) -> None:
    text = plugin_source(version, extra)
    target = directory / "plugin.py"
    if atomic:  # what editors do: write a temporary file, then rename it over the original
        temp = directory / ".plugin.py.swp"
        temp.write_text(text)
        os.replace(temp, target)
    else:
        target.write_text(text)


def wait_for(condition: Callable[[], Any], timeout: float = 20.0, what: str = "") -> Any:
    """Poll ``condition`` until it is truthy (the plugin runs in another process)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or condition}")
        time.sleep(0.01)


def start_dev(project: Path, *options: str) -> subprocess.Popen[str]:
    """`mmplug dev` in ``project`` as a user runs it (plain output, any port, a store in
    memory, this interpreter for the plugin), with ``options``; its output in one pipe."""
    return subprocess.Popen(
        [sys.executable, "-m", "mmplug.cli.main", "dev", "--plain", "--port", "0", "--store",
         ":memory:", "--python", sys.executable, *options],
        cwd=project, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def stop_dev(proc: subprocess.Popen[str], timeout: float = 60) -> str:
    """Ctrl-C a :func:`start_dev` session (killed if it does not end in ``timeout`` s); its
    output."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
    try:
        return proc.communicate(timeout=timeout)[0]
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.communicate()[0]


def processes_in(directory: Path) -> list[int]:
    """Pids of live (non-zombie) processes whose working directory is in ``directory``."""
    found = []
    root = str(directory.resolve())
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cwd = os.readlink(entry / "cwd")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if (cwd == root or cwd.startswith(root + os.sep)) and state != "Z":
            found.append(int(entry.name))
    return found


class Events:
    """A DevLoop observer that records reloads and problems and lets tests wait for them."""

    def __init__(self) -> None:
        self.reloads: list[Any] = []
        self.problems: list[str] = []
        self._cond = threading.Condition()

    def on_reload(self, plugin_id: str, reload: Any) -> None:
        with self._cond:
            self.reloads.append(reload)
            self._cond.notify_all()

    def on_problem(self, plugin_id: str, text: str) -> None:
        with self._cond:
            self.problems.append(text)
            self._cond.notify_all()

    def wait(self, condition: Callable[[], bool], timeout: float = 20.0) -> None:
        with self._cond:
            if not self._cond.wait_for(condition, timeout):
                raise AssertionError("timed out waiting for a dev loop event")


def dev_loop(*dirs: Path, **options: Any) -> Any:
    from mmplug.devloop.loop import DevLoop

    options.setdefault("port", 0)
    options.setdefault("store", ":memory:")
    options.setdefault("python", sys.executable)
    return DevLoop(list(dirs), **options)
