"""A cluster in one host (the `cluster` fixture, 3 nodes): hooks go where the server sends them,
cluster events reach the other nodes, the race detector reports the lost-update pattern with both
traces and stays quiet for compare-and-set, the mutex and the counter, state kept in memory is
caught, and a daily cluster job runs once a day, also when the node running it dies mid-run."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from mmplug.sdk import APIClient, PluginAPIError
from mmplug.testing import PluginHarness

CLUSTER = Path(__file__).resolve().parent.parent / "fixtures" / "cluster_plugin"
# the plugin's line of the naive counter's read (its write is the next line)
NAIVE_READ = 1 + (CLUSTER / "plugin.py").read_text().splitlines().index(
    "            current = int(self.api.kv_get(key) or 0)")


@pytest.fixture(scope="module")
def mmplug_plugin_dir() -> Path:
    return CLUSTER


def _post_many(cluster: PluginHarness, message: str, count: int = 60) -> None:
    alice = cluster.as_user("alice")
    with ThreadPoolExecutor(8) as pool:  # concurrent requests, spread round robin
        list(pool.map(lambda _: alice.post("town-square", message), range(count)))


def test_three_nodes_share_one_store(cluster: PluginHarness) -> None:
    assert cluster.nodes == ["node1", "node2", "node3"]
    assert len({cluster.pid(n) for n in cluster.nodes}) == 3
    seen = [cluster.fire("MessageHasBeenPosted", post={"message": "hello"}).node
            for _ in range(6)]
    assert seen == ["node1", "node2", "node3"] * 2  # round robin
    assert cluster.fire("MessageHasBeenPosted", node=2).node == "node2"


def test_a_calls_logs_and_api_calls_name_their_node(cluster: PluginHarness) -> None:
    result = cluster.fire("MessageHasBeenPosted", post={"message": "counter x"}, node=3)
    assert result.node == "node3"
    assert result.api_calls and {c.node for c in result.api_calls} == {"node3"}
    assert {c.site.split(":")[0] for c in result.api_calls} >= {"plugin.py"}


def test_lifecycle_hooks_go_to_every_node(cluster: PluginHarness) -> None:
    cluster.fire("OnConfigurationChange")
    nodes = [c.node for c in cluster.hook_calls if c.hook == "OnConfigurationChange"]
    assert sorted(nodes) == ["node1", "node2", "node3"]


def test_a_naive_counter_is_reported_with_both_traces(cluster: PluginHarness) -> None:
    _post_many(cluster, "naive hits")
    [finding] = cluster.races()
    assert finding.kind == "lost-update" and finding.key == "hits"
    assert finding.count == 60
    first, second = finding.traces
    assert first.node != second.node  # another node writes it too
    for trace in (first, second):
        assert "MessageHasBeenPosted" in trace.call
        assert [step.split(" ")[0] for step in trace.steps] == ["KVGet", "KVSet"]
        assert f"plugin.py:{NAIVE_READ} (message_has_been_posted)" in trace.steps[0]
        assert f"plugin.py:{NAIVE_READ + 1} (message_has_been_posted)" in trace.steps[1]
    text = finding.describe()
    assert "lost update of KV key 'hits'" in text
    assert "compare-and-set" in text and "Counter" in text and "Mutex" in text
    with pytest.raises(AssertionError, match="lost update of KV key 'hits'"):
        cluster.assert_no_races()


@pytest.mark.parametrize("mode", ["cas", "mutex", "counter"])
def test_safe_counters_are_not_reported_and_lose_nothing(cluster: PluginHarness,
                                                         mode: str) -> None:
    _post_many(cluster, f"{mode} hits")
    assert cluster.kv_get("hits") == b"60"
    cluster.assert_no_races()


def test_a_read_then_write_is_reported_even_when_the_writes_never_interleave(
        cluster: PluginHarness) -> None:
    for node in (1, 2, 3):  # one after the other: no update was lost in this run
        cluster.fire("MessageHasBeenPosted", post={"message": "naive hits"}, node=node)
    assert cluster.kv_get("hits") == b"3"
    [finding] = cluster.races()
    assert not finding.observed
    assert finding.title.startswith("possible lost update of KV key 'hits'")


class HoldAfterRead:
    """A test hook in the host: the first read of ``key`` by ``node`` is answered only once the
    test says so (the observer runs before the answer goes back), so another node's update can
    be made to fall between that read and the write that follows it."""

    def __init__(self, node: str, key: str) -> None:
        self.node, self.key = node, key
        self.reading, self.go_on = threading.Event(), threading.Event()

    def on_api_call(self, call: Any) -> None:
        if (call.node == self.node and call.method == "KVGet" and call.request.key == self.key
                and not self.reading.is_set()):
            self.reading.set()
            self.go_on.wait(30)


def test_a_lost_update_made_to_happen_is_reported_as_seen(cluster: PluginHarness) -> None:
    hold = HoldAfterRead("node1", "hits")
    cluster.session.add_observer(hold)
    try:
        with ThreadPoolExecutor(1) as pool:
            first = pool.submit(cluster.fire, "MessageHasBeenPosted",
                                post={"message": "naive hits"}, node=1)
            assert hold.reading.wait(30)  # node1 has read "hits" (nothing yet)
            cluster.fire("MessageHasBeenPosted", post={"message": "naive hits"}, node=2)
            assert cluster.kv_get("hits") == b"1"  # node2 read and wrote meanwhile
            hold.go_on.set()
            assert first.result(30).error is None
    finally:
        hold.go_on.set()
        cluster.session.remove_observer(hold)
    assert cluster.kv_get("hits") == b"1"  # node1 wrote 1 over it: two posts, one count
    [finding] = cluster.races()
    assert finding.observed and finding.title.startswith("lost update of KV key 'hits'")
    assert {trace.node for trace in finding.traces} == {"node1", "node2"}


def test_a_cluster_event_reaches_every_other_node_and_not_the_sender(
        cluster: PluginHarness) -> None:
    cluster.fire("MessageHasBeenPosted", post={"message": "publish hi"}, node=2)
    cluster.settle()
    received = {k for k in cluster.kv_keys() if k.startswith("event:greeting:")}
    assert received == {f"event:greeting:{cluster.pid(n)}" for n in ("node1", "node3")}
    assert cluster.kv_get(f"event:greeting:{cluster.pid('node1')}") == b"hi"
    events = [c for c in cluster.hook_calls if c.hook == "OnPluginClusterEvent"]
    assert sorted(e.node for e in events) == ["node1", "node3"]


def test_a_cluster_event_to_one_node_and_to_a_node_that_is_not_there(
        cluster: PluginHarness) -> None:
    with APIClient(cluster._on(1).api_target) as api:
        api.publish_plugin_cluster_event("direct", "to three", target_id="node3")
        with pytest.raises(PluginAPIError, match="failed to send message to cluster node"):
            api.publish_plugin_cluster_event("lost", "x", target_id="node9")
    cluster.settle()
    assert [k for k in cluster.kv_keys() if k.startswith("event:direct:")] == [
        f"event:direct:{cluster.pid(3)}"]


def test_state_kept_in_memory_answers_differently_per_node(cluster: PluginHarness) -> None:
    cluster.reload()  # fresh processes: what earlier tests left in their memory is gone
    cluster.assert_consistent(http=("GET", "/memory"))
    cluster.fire("MessageHasBeenPosted", post={"message": "hello"}, node=1)
    finding = cluster.compare(http=("GET", "/memory"))
    assert finding is not None and finding.kind == "divergent-answers"
    assert "nodes answer differently" in finding.title and "memory" in finding.fix
    with pytest.raises(AssertionError, match="nodes answer differently"):
        cluster.assert_consistent(http=("GET", "/memory"))
    # what the KV store holds is the same on every node, whatever the time of the answer
    cluster.assert_consistent(http=("GET", "/stored"))


def test_the_daily_job_runs_once_a_day_across_the_cluster(cluster: PluginHarness) -> None:
    start = cluster.clock.now().date()
    cluster.clock.advance(days=30)
    days = sorted(k for k in cluster.kv_keys() if k.startswith("daily:2"))
    assert len(days) == 31 and days[0] == f"daily:{start.isoformat()}"
    assert all(cluster.kv_get(day) == b"1" for day in days)
    ran_on = {t.key.split("@")[1] for t in cluster.clock.ticks if t.ran}
    assert ran_on <= {"node1", "node2", "node3"}
    cluster.assert_no_races()


def test_the_daily_job_runs_once_also_when_its_node_dies_mid_run(
        cluster: PluginHarness) -> None:
    # whichever node starts tomorrow's run dies right after its first API call of the run
    cluster.kill(on_call="LogInfo",
                 matching=lambda call: call.request.msg == "daily job started")
    cluster.clock.advance(days=1)
    started = [log for log in cluster.logs if log.message == "daily job started"]
    dead = {log.node for log in started[:1]}
    assert [h.state for h in cluster.session.nodes_of(cluster.handle)
            if h.node in dead] == ["crashed"]
    day = cluster.clock.now().date().isoformat()
    assert cluster.kv_get(f"daily:{day}") == b"1"  # another node ran it, once
    assert {log.node for log in started[1:]} and not {log.node for log in started[1:]} & dead
    cluster.clock.advance(days=2)  # the two nodes left go on
    assert all(cluster.kv_get(k) == b"1" for k in cluster.kv_keys() if k.startswith("daily:2"))


@pytest.fixture()
def restarted(cluster: PluginHarness) -> Iterator[PluginHarness]:
    yield cluster


def test_a_killed_node_is_back_in_the_next_test(restarted: PluginHarness) -> None:
    assert all(h.state == "active" for h in restarted.session.nodes_of(restarted.handle))
