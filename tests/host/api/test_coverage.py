"""docs/api-coverage.md is generated from the catalog and the emulation registry; a stale
document fails here (regenerate with `python scripts/gen_api_coverage.py`)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from mmplug.host.api import emulated
from mmplug.protocol.catalog import API

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = ROOT / "scripts" / "gen_api_coverage.py"


def test_coverage_doc_is_up_to_date() -> None:
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr


def test_coverage_doc_counts_every_rpc() -> None:
    text = (ROOT / "docs" / "api-coverage.md").read_text(encoding="utf-8")
    done = sum(spec.go_name in emulated() for spec in API)
    assert f"**{done} of {len(API)} rpcs emulated**" in text
    for spec in API:
        assert f"| `{spec.go_name}` |" in text


def test_every_emulation_is_a_catalog_rpc() -> None:
    names = {spec.go_name for spec in API}
    assert set(emulated()) <= names


def test_at_least_120_rpcs_are_emulated() -> None:
    assert len(emulated()) >= 120
