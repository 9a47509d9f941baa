"""Helpers for the scaffold tests: run the CLI in-process and build local templates."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from scaffold_support import TEMPLATES


@dataclass
class CliResult:
    code: int
    out: str
    err: str


@pytest.fixture
def mmplug(capsys: pytest.CaptureFixture[str]) -> Callable[..., CliResult]:
    """Run ``mmplug <args>`` in this process, as the console script does."""
    from mmplug.cli._errors import run_app
    from mmplug.cli.main import app

    def run(*args: str) -> CliResult:
        capsys.readouterr()
        code = run_app(app, list(args))
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run


@pytest.fixture
def local_template(tmp_path: Path) -> Path:
    """A copy of the minimal template in a directory of its own (editable by the test)."""
    dest = tmp_path / "tpl" / "minimal-copy"
    shutil.copytree(TEMPLATES / "minimal", dest)
    return dest
