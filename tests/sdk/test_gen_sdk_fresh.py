"""The SDK's generated files (entities, both clients' methods, the index, the API reference in
docs/sdk.md) are exactly what ``scripts/gen_sdk.py`` writes, and ``mmplug check`` reads the
generated index."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from mmplug.check import sdk_method_rpcs

REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "reference" / "mattermost-api.json"


def test_generated_sdk_is_not_stale(repo_root: Path) -> None:
    if not REFERENCE.is_file():
        pytest.skip(f"the Go API reference is not here ({REFERENCE}); it lives in ../shared")
    result = subprocess.run(
        [sys.executable, str(repo_root / "scripts" / "gen_sdk.py"), "--check"],
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "up to date" in result.stdout


def test_mmplug_check_knows_the_rpc_of_every_method() -> None:
    methods = sdk_method_rpcs()
    assert methods["kv_set_json"] == frozenset({"KVSet"})
    assert methods["iter_users"] == frozenset({"GetUsers"})
    assert methods["get_team_stats"] == frozenset({"GetTeamStats"})
    assert methods["publish_websocket_event"] == methods["publish_web_socket_event"] == frozenset(
        {"PublishWebSocketEvent"})
    assert len(methods) > 236
