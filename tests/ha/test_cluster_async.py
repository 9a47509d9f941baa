"""The cluster helpers of an AsyncPlugin on 3 nodes under load: AsyncMutex and AsyncCounter lose
no update and the detector has nothing to say; the async daily job runs once a day."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from mmplug.testing import PluginHarness

ASYNC = Path(__file__).resolve().parent.parent / "fixtures" / "cluster_async_plugin"


@pytest.fixture(scope="module")
def mmplug_plugin_dir() -> Path:
    return ASYNC


@pytest.mark.parametrize("mode", ["mutex", "counter"])
def test_async_helpers_lose_nothing_on_three_nodes(cluster: PluginHarness, mode: str) -> None:
    alice = cluster.as_user("alice")
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda _: alice.post("town-square", f"{mode} total"), range(90)))
    assert cluster.kv_get("total") == b"90"
    cluster.assert_no_races()


def test_the_async_daily_job_runs_once_a_day_on_three_nodes(cluster: PluginHarness) -> None:
    cluster.clock.advance(days=10)
    days = [k for k in cluster.kv_keys() if k.startswith("daily:")]
    assert len(days) == 11 and all(cluster.kv_get(d) == b"1" for d in days)
