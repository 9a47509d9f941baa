"""Fixtures of the cassette tests: a private copy of the parrot sample plugin."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture()
def parrot(parrot_plugin: Path) -> Path:
    """The shared ``parrot_plugin`` copy under the name these tests use."""
    return parrot_plugin
