"""`mmplug dev --nodes 3`: the front door spreads requests over the nodes (X-Mmplug-Node pins
one), the control channel fires into a node and moves the clock, and the race detector's
findings are there when the run ends."""

from __future__ import annotations

import http.client
import json
import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CLUSTER = Path(__file__).resolve().parent.parent / "fixtures" / "cluster_plugin"
PLUGIN = "com.example.cluster"


@pytest.fixture()
def loop(tmp_path: Path) -> Iterator[Any]:
    from mmplug.devloop.loop import DevLoop

    project = tmp_path / "cluster"
    shutil.copytree(CLUSTER, project, ignore=shutil.ignore_patterns(".mmplug", "__pycache__"))
    with DevLoop([project], port=0, store=":memory:", python=sys.executable, watch=False,
                 warm=False, nodes=3, start_time="2026-03-01T10:00Z") as running:
        deadline = time.monotonic() + 60
        while _get(running, "/stored")[0] != 200:  # the nodes start in the background
            assert time.monotonic() < deadline, "the plugin did not come up"
            time.sleep(0.05)
        yield running


def _get(loop: Any, path: str, node: str | None = None) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", loop.front_door.port, timeout=30)
    try:
        conn.request("GET", f"/plugins/{PLUGIN}{path}",
                     headers={"X-Mmplug-Node": node} if node else {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def test_the_front_door_spreads_requests_and_pins_them_on_request(loop: Any) -> None:
    pids = {h.node: h.pid for h in loop.session.all_handles()}
    assert sorted(pids) == ["node1", "node2", "node3"] and len(set(pids.values())) == 3
    seen = [json.loads(_get(loop, "/memory")[1])["requests"] for _ in range(6)]
    assert sorted(seen) == [1, 1, 1, 2, 2, 2]  # each node answered two of the six
    pinned = [json.loads(_get(loop, "/memory", node="2")[1])["requests"] for _ in range(2)]
    assert pinned == [3, 4]  # node2's own count
    status, body = _get(loop, "/memory", node="9")
    assert status == 400 and b"there is no node '9'" in body


def test_the_control_channel_fires_into_a_node_and_moves_the_clock(loop: Any) -> None:
    from mmplug.devloop.control import connect

    with connect(loop.plugin_dirs[0]) as client:
        event = client.fire("MessageHasBeenPosted", plugin_id=PLUGIN, node="3",
                            post={"message": "naive total"})
        assert event.node == "node3" and event.ok
        client.fire("MessageHasBeenPosted", plugin_id=PLUGIN, node="1",
                    post={"message": "naive total"})
        moved = client.clock(advance="2d")
    assert moved["before"].startswith("2026-03-01T10:0")
    assert moved["now"].startswith("2026-03-03T10:0")
    assert [r["job"] for r in moved["ran"]] == ["daily", "daily"]
    assert {r["node"] for r in moved["ran"]} <= {"com.example.cluster@node1",
                                                 "com.example.cluster@node2",
                                                 "com.example.cluster@node3"}
    [finding] = loop.ha_findings()
    assert finding.startswith("possible lost update of KV key 'total'")
