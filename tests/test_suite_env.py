"""How the suite itself runs: what every test relies on from its environment."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path


def test_a_suite_started_in_the_background_gives_its_children_ctrl_c(repo_root: Path) -> None:
    """A background job inherits an ignored SIGINT; the suite's conftest restores it, so the
    processes the tests start can be interrupted as Ctrl-C would (the pytest-plugin test
    that interrupts a plugin's test run depends on it)."""
    code = (
        "import runpy, signal, subprocess, sys\n"
        f"conftest = runpy.run_path({str(repo_root / 'tests' / 'conftest.py')!r})\n"
        "conftest['pytest_configure'](None)\n"
        "child = ('import signal; '\n"
        "         'print(signal.getsignal(signal.SIGINT) is signal.default_int_handler)')\n"
        "done = subprocess.run([sys.executable, '-c', child], capture_output=True, text=True)\n"
        "print(done.stdout)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    assert result.stdout.strip() == "True", result.stderr
