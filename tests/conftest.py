"""Shared test configuration: where the repository and ../shared live."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = (REPO.parent / "shared").resolve()
CONTRACT = SHARED / "reference" / "wire-contract.json"
CONFORMANCE = SHARED / "conformance"


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO


@pytest.fixture(scope="session")
def contract_path() -> Path:
    if not CONTRACT.is_file():
        pytest.skip(f"the wire contract is not here ({CONTRACT}); it lives in ../shared/reference")
    return CONTRACT
