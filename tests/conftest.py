"""Shared test configuration: where the repository and ../shared live."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = (REPO.parent / "shared").resolve()
CONTRACT = SHARED / "reference" / "wire-contract.json"
CONFORMANCE = SHARED / "conformance"
PARROT = REPO / "tests" / "fixtures" / "parrot_plugin"


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO


@pytest.fixture(scope="session")
def contract_path() -> Path:
    if not CONTRACT.is_file():
        pytest.skip(f"the wire contract is not here ({CONTRACT}); it lives in ../shared/reference")
    return CONTRACT


@pytest.fixture()
def parrot_plugin(tmp_path: Path) -> Path:
    """A private copy of the parrot sample plugin (tests may edit it)."""
    target = tmp_path / "parrot"
    shutil.copytree(PARROT, target, ignore=shutil.ignore_patterns(".mmplug", "__pycache__"))
    return target
