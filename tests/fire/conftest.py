"""Helpers for the fire and replay tests: the parrot sample plugin and running the CLI."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest


@pytest.fixture()
def cli() -> Callable[..., subprocess.CompletedProcess[str]]:
    """``cli("fire", ...)``: the real CLI in a subprocess, plugins under this interpreter."""
    return mmplug


def mmplug(*args: str, cwd: Path | None = None, timeout: float = 60.0
           ) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "mmplug.cli.main", *args]
    if args and args[0] in ("fire", "replay"):
        command += ["--python", sys.executable]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          env={**_env(), "COLUMNS": "200", "NO_COLOR": "1"})


def _env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR",)}
