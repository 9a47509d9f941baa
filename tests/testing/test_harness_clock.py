"""plugin.clock in the pytest fixture: a test moves the clock (jobs run, KV entries expire) and
the next test starts with the clock where it was after activation."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from mmplug.testing import PluginHarness

CLUSTER = Path(__file__).resolve().parent.parent / "fixtures" / "cluster_plugin"


@pytest.fixture(scope="module")
def mmplug_plugin_dir() -> Path:
    return CLUSTER


def _daily(plugin: PluginHarness) -> list[str]:
    return sorted(k for k in plugin.kv_keys() if k.startswith("daily:2"))


def test_thirty_days_pass_in_a_test(plugin: PluginHarness) -> None:
    today = plugin.clock.now().date()
    assert _daily(plugin) == [f"daily:{today.isoformat()}"]  # run at activation
    plugin.seed("KVSetWithExpiry", key="session", value="eA==", expire_in_seconds=3600)
    assert plugin.kv_get("session") == b"x"
    plugin.clock.advance(days=30)
    assert plugin.clock.now().date() == today + dt.timedelta(days=30)
    assert len(_daily(plugin)) == 31
    assert all(plugin.kv_get_json(key) == 1 for key in _daily(plugin))
    assert plugin.kv_get("session") is None


def test_the_next_test_starts_at_the_time_of_activation(plugin: PluginHarness) -> None:
    now = plugin.clock.now()
    assert abs(now - dt.datetime.now(dt.timezone.utc)) < dt.timedelta(minutes=5)
    assert _daily(plugin) == [f"daily:{now.date().isoformat()}"]
    plugin.clock.advance(days=1)  # the job re-read its restored metadata: it runs once
    assert len(_daily(plugin)) == 2
