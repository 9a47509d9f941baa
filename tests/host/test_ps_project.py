"""A plugin process is findable by its project path in `ps`, and still sees the argv the
server gives it."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from plugin_projects import write_plugin_project

from mmplug.host.session import Session

SOURCE = '''
import sys
from mmplug.sdk import Plugin, serve


class Argv(Plugin):
    def on_activate(self):
        self.logger.info("argv", extra={"argv": sys.argv})


if __name__ == "__main__":
    serve(Argv)
'''


def plugin(tmp_path: Path) -> Path:
    return write_plugin_project(tmp_path / "my project", "com.example.argv", SOURCE, name="Argv")


def ps_args(pid: int) -> str:
    return subprocess.run(["ps", "-ww", "-o", "args=", "-p", str(pid)], capture_output=True,
                          text=True, check=True).stdout.strip()


def test_ps_shows_the_project_path_of_a_plugin(tmp_path: Path) -> None:
    folder = plugin(tmp_path)
    with Session([folder], store=":memory:", python=sys.executable) as session:
        pid = session.plugin().pid
        args = ps_args(pid)
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        [argv] = [r.fields["argv"] for r in session.logs if r.message == "argv"]
    assert str(folder) in args
    assert f"mmplug_plugin_dir={folder}".encode() in cmdline
    assert argv == ["plugin.py"]  # what `python plugin.py` in the plugin directory gives


def test_warm_started_plugins_show_it_too(tmp_path: Path) -> None:
    from mmplug.devloop.loop import DevLoop

    folder = plugin(tmp_path)
    with DevLoop([folder], port=0, store=":memory:", python=sys.executable,
                 watch=False) as loop:
        assert loop.pool is not None
        deadline = time.monotonic() + 30  # the spare is prepared in the background
        while not loop.pool.pids() and time.monotonic() < deadline:
            time.sleep(0.02)
        loop.reload("com.example.argv")
        status = loop.status["com.example.argv"]
        assert status.last_reload is not None and status.last_reload.warm
        assert str(folder) in ps_args(status.pid)
        spares = loop.pool.pids() if loop.pool is not None else []
        assert all(str(folder) in ps_args(pid) for pid in spares)
