"""The dev host's malloc settings for relaying large bodies (see mmplug.devloop._memory)."""

from __future__ import annotations

import platform
import subprocess
import sys

import pytest


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt settings are glibc's")
def test_settings_apply_on_glibc() -> None:
    # in a fresh interpreter: the settings are process-wide and meant to precede any thread
    out = subprocess.run(
        [sys.executable, "-c",
         "from mmplug.devloop._memory import tune_for_streaming; print(tune_for_streaming())"],
        capture_output=True, text=True, timeout=60, check=True,
    )
    assert out.stdout.strip() == "True", out.stderr
