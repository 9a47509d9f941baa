"""`mmplug dev --start-timeout/--hook-timeout`: the limits the failure hints name are options
of dev too, and dev applies them to the plugins it runs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from devloop_support import processes_in, start_dev, stop_dev, wait_for, write_plugin

pytestmark = pytest.mark.slow

SLOW_HOOK = '''
    def message_will_be_posted(self, context, post):
        import time
        time.sleep(float(post.message))
        return None
'''


def _fire(project: Path, seconds: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mmplug.cli.main", "fire", "MessageWillBePosted", "-m", seconds,
         "--format", "json"], cwd=project, capture_output=True, text=True, timeout=60)


def test_dev_applies_its_hook_timeout(tmp_path: Path) -> None:
    project = write_plugin(tmp_path / "p", extra=SLOW_HOOK)
    proc = start_dev(project, "--hook-timeout", "1.5")
    try:
        wait_for(lambda: (project / ".mmplug" / "dev.json").is_file(), timeout=30,
                 what="the dev session")
        quick = _fire(project, "0")  # fired into the running dev session
        assert quick.returncode == 0 and json.loads(quick.stdout)["ok"] is True, quick.stderr
        slow = _fire(project, "20")
        assert slow.returncode == 1
        assert "MessageWillBePosted did not answer within 1.5 s" in slow.stderr
        assert "raise --hook-timeout" in slow.stderr
    finally:
        out = stop_dev(proc, timeout=30)
    assert proc.returncode == 0, out
    assert processes_in(tmp_path) == []


def test_dev_applies_its_start_timeout(tmp_path: Path) -> None:
    project = write_plugin(tmp_path / "p")
    source = project / "plugin.py"
    source.write_text("import time\ntime.sleep(60)\n" + source.read_text())
    proc = start_dev(project, "--start-timeout", "2.5", "--no-warm")
    try:
        wait_for(lambda: (project / ".mmplug" / "dev.log").is_file()
                 and "within 2.5 s" in (project / ".mmplug" / "dev.log").read_text(),
                 timeout=40, what="the start to time out")
    finally:
        out = stop_dev(proc, timeout=30)
    assert "the plugin printed no handshake within 2.5 s" in out
    assert "raise --start-timeout" in out
    assert processes_in(tmp_path) == []


@pytest.mark.parametrize("option", ["--start-timeout", "--hook-timeout"])
def test_dev_refuses_a_timeout_that_is_not_positive(tmp_path: Path, option: str) -> None:
    project = write_plugin(tmp_path / "p")
    done = subprocess.run(
        [sys.executable, "-m", "mmplug.cli.main", "dev", option, "0"], cwd=project,
        capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert f"error: {option} must be a positive number of seconds, not 0" in done.stderr
    assert not (project / ".mmplug").exists()
