"""Fixtures of the cassette tests: a private copy of the parrot sample plugin."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

PARROT = Path(__file__).resolve().parents[1] / "fixtures" / "parrot_plugin"


@pytest.fixture()
def parrot(tmp_path: Path) -> Path:
    target = tmp_path / "parrot"
    shutil.copytree(PARROT, target, ignore=shutil.ignore_patterns(".mmplug", "__pycache__"))
    return target
