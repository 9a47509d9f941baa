"""`mmplug check` on this project, as CI runs it: what works under mmplug's fake host but not on
a real Mattermost server (a hook a Python plugin never receives, a hook or API method newer than
plugin.json's min_server_version, a manifest the server refuses) fails this test."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_mmplug_check_finds_nothing_that_works_only_under_mmplug():
    done = subprocess.run(
        [sys.executable, "-m", "mmplug.cli.main", "check", str(ROOT), "--python", sys.executable],
        capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
