"""`mmplug dev` and the sessions behind fire, run and the pytest plugin say `mmplug check`'s
findings when they load a plugin: once, and again on a reload only when they changed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from plugin_projects import write_plugin_project

PLUGIN = '''
from mmplug.sdk import Plugin, serve


class Extended(Plugin):
    def channel_will_be_archived(self, context, channel):  # an extension hook
        return None
{more}

if __name__ == "__main__":
    serve(Extended)
'''
MORE = '''
    def user_will_be_updated(self, context, new_user, old_user):  # another one
        return None
'''


def _project(tmp_path: Path, more: str = "") -> Path:
    return write_plugin_project(tmp_path / "extended", "com.example.extended",
                                PLUGIN.format(more=more), name="Extended",
                                min_server_version="10.5.0", runtime=True)


def _said(session: object) -> list[str]:
    from mmplug.host.session import FINDING_NOTICE

    return [r.message for r in session.logs  # type: ignore[attr-defined]
            if r.module == FINDING_NOTICE and r.level == "warn"]


@pytest.mark.parametrize("keep_going", [False, True], ids=["Session", "as-the-dev-loop"])
def test_findings_are_said_once_and_again_when_they_change(tmp_path: Path,
                                                           keep_going: bool) -> None:
    from mmplug.host.session import Session

    project = _project(tmp_path)
    with Session([project], store=":memory:", python=sys.executable,
                 keep_going=keep_going) as session:
        plugin_id = session.plugin().id
        session.reload(plugin_id)  # nothing changed: nothing said again
        assert [s.split(":")[1].strip() for s in _said(session)] == [
            "a real server never calls ChannelWillBeArchived on a Python plugin"]
        _project(tmp_path, MORE)
        time.sleep(0.01)  # a new modification time for the cache key
        session.reload(plugin_id)
        said = _said(session)
    assert len(said) == 3  # the first one, then both after the change
    assert "UserWillBeUpdated" in said[2] and "ChannelWillBeArchived" in said[1]


def test_dev_prints_them_at_start(tmp_path: Path) -> None:
    project = _project(tmp_path)
    env = {k: v for k, v in os.environ.items() if k != "FORCE_COLOR"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "mmplug.cli.main", "dev", "--plain", "--python", sys.executable,
         "--store", ":memory:", "--port", "0"], cwd=project, env={**env, "COLUMNS": "200"},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert proc.stdout is not None
        lines: list[str] = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            lines.append(line)
            if not line or "plugin activated" in line:
                break
    finally:
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=30)
    text = "".join(lines) + rest
    assert text.count("a real server never calls ChannelWillBeArchived") == 1, text
    assert "mmplug check:" in text
