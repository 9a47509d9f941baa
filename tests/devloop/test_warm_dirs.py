"""The warm pool leaves no temporary folders behind, even after its process was SIGKILLed."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from mmplug.host.warm import DIR_PREFIX, WarmPool


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_a_pool_that_never_prepares_a_spare_makes_no_folder() -> None:
    before = set(Path(tempfile.gettempdir()).glob(f"{DIR_PREFIX}*"))
    pool = WarmPool()
    pool.close()
    assert set(Path(tempfile.gettempdir()).glob(f"{DIR_PREFIX}*")) <= before


def test_folders_of_dead_pools_are_swept_by_the_next_pool() -> None:
    stale = Path(tempfile.mkdtemp(prefix=f"{DIR_PREFIX}{_dead_pid()}-"))
    (stale / "go-1-2").write_text("")
    alive = Path(tempfile.mkdtemp(prefix=f"{DIR_PREFIX}{1}-"))  # pid 1 is always alive
    try:
        WarmPool().close()
        assert not stale.exists()
        assert alive.exists()
    finally:
        alive.rmdir()
