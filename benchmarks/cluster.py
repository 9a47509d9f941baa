"""A cluster in one host and the clock you control, as ratios to baselines of the same run.

    python benchmarks/cluster.py [ROUNDS] [KV_CALLS]

Three parts, each interleaving its cases so load spikes hit them alike:

* **30 simulated days of a daily cluster job on 3 nodes** (``tests/fixtures/cluster_plugin``:
  a job scheduled with ``mmplug.sdk.cluster.schedule(every=1 day, rounded=True)`` that adds 1
  to ``daily:<date>``): ``session.clock.advance(days=30)`` against ``advance(days=1)`` (the
  baseline), each on a freshly started 3-node session (its start runs the job once, as a
  server's would); and the whole run (start, advance, close) of each. Checks that the 30
  days gave exactly 30 runs, one per day.
* **the cost of a node:** ``Session(nodes=3).start()`` (and ``close()``) against
  ``Session(nodes=1)`` (the baseline), the same SDK plugin.
* **race tracking on a KV call:** a plugin on 3 nodes times ``KVGet`` and ``KVSet`` calls
  inside one hook (``perf_counter`` around each call, in the plugin: what the plugin waits
  for) in a session with race tracking (the default with several nodes) and in one with
  ``Session(track_races=False)`` (the baseline); medians per call. And its floor: a bare
  grpcio ``KVGet`` to the fake host's PluginAPI server without metadata (the baseline) and with
  the one metadata entry that carries a call's tag.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mmplug.host.api.queries import kv_keys, kv_value  # noqa: E402
from mmplug.host.session import Session  # noqa: E402

CLUSTER = ROOT / "tests" / "fixtures" / "cluster_plugin"
START = "2026-01-01T00:00:00Z"

KV_PLUGIN = '''
import json, statistics, time
from mmplug.sdk import Plugin, serve

class KVBench(Plugin):
    def message_will_be_posted(self, context, post):
        """``post.message`` calls of each kind; the medians (us) come back as the rejection."""
        calls = int(post.message)
        got, set_ = [], []
        for i in range(calls):
            began = time.perf_counter()
            self.api.kv_get("k")
            got.append(time.perf_counter() - began)
            began = time.perf_counter()
            self.api.kv_set("k", str(i))
            set_.append(time.perf_counter() - began)
        return None, json.dumps({"KVGet": statistics.median(got) * 1e6,
                                 "KVSet": statistics.median(set_) * 1e6})

if __name__ == "__main__":
    serve(KVBench)
'''


def session(plugin: Path, nodes: int, **options: Any) -> Session:
    return Session([plugin], store=":memory:", python=sys.executable, nodes=nodes,
                   start_time=START, **options)


# -- 30 days of a daily job ----------------------------------------------------------------------
def daily_runs(s: Session) -> dict[str, bytes | None]:
    now = s.clock.now_ms()
    plugin_id = next(iter(s.plugins))
    return {key: kv_value(s.store, plugin_id, key, now=now)
            for key in kv_keys(s.store, plugin_id, now=now) if key.startswith("daily:2")}


def simulated_days(days: int) -> tuple[float, float]:
    """Seconds ``advance(days=...)`` takes on a fresh 3-node session, and the whole run
    (start, advance, close: a test of those days); checks the runs."""
    began = time.perf_counter()
    with session(CLUSTER, 3) as s:
        before = daily_runs(s)
        moving = time.perf_counter()
        s.clock.advance(days=days)
        moved = time.perf_counter() - moving
        after = daily_runs(s)
    total = time.perf_counter() - began
    new = {key: value for key, value in after.items() if key not in before}
    if len(new) != days or set(new.values()) != {b"1"} or len(before) != 1:
        raise SystemExit(f"{days} simulated day(s) gave {len(new)} new run day(s) "
                         f"{sorted(new.items())} (before: {sorted(before.items())})")
    return moved, total


# -- the cost of a node --------------------------------------------------------------------------
def start_stop(nodes: int) -> tuple[float, float]:
    s = session(CLUSTER, nodes)
    began = time.perf_counter()
    s.start()
    started = time.perf_counter()
    s.close()
    return started - began, time.perf_counter() - started


# -- race tracking on a KV call ------------------------------------------------------------------
def kv_call(s: Session, calls: int) -> dict[str, float]:
    event = s.fire("MessageWillBePosted", post={"message": str(calls)}, node=1)
    if event.error:
        raise SystemExit(f"the KV benchmark plugin failed: {event.error}")
    response: Any = event.response
    figures: dict[str, float] = json.loads(response.rejection_reason)
    return figures


def alternate(cases: dict[str, Callable[[], Any]], rounds: int) -> dict[str, list[Any]]:
    """Each case once per round, each taking each place in the order equally often."""
    samples: dict[str, list[Any]] = {name: [] for name in cases}
    names = list(cases)
    for i in range(rounds):
        for name in names[i % len(names):] + names[:i % len(names)]:
            samples[name].append(cases[name]())
    return samples


def table(title: str, samples: dict[str, list[tuple[float, float]]], columns: tuple[str, str],
          baseline: str) -> None:
    """Medians (ms) of each case's two figures and their ratios to the baseline case's."""
    print(f"\n{title}")
    print(f"{'':20} {columns[0]:>10} {'ratio':>7} {columns[1]:>10} {'ratio':>7}")
    base = [statistics.median(s[i] for s in samples[baseline]) for i in (0, 1)]
    for name, values in samples.items():
        got = [statistics.median(s[i] for s in values) for i in (0, 1)]
        label = f"{name} (baseline)" if name == baseline else name
        print(f"{label:20} {got[0] * 1e3:8.1f}ms {got[0] / base[0]:7.2f} "
              f"{got[1] * 1e3:8.1f}ms {got[1] / base[1]:7.2f}")


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    kv_calls = int(sys.argv[2]) if len(sys.argv) > 2 else 500
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, load average {load:.1f}")

    simulated_days(1)  # warm the imports and caches once
    days = alternate({"1 day": lambda: simulated_days(1),
                      "30 days": lambda: simulated_days(30)}, rounds)
    table(f"a daily cluster job on 3 nodes (medians of {rounds} fresh sessions; 30 days: "
          "exactly 30 runs, one per day, checked)", days, ("advance", "whole run"), "1 day")

    start_stop(1)
    starts = alternate({"1 node": lambda: start_stop(1),
                        "3 nodes": lambda: start_stop(3)}, rounds)
    table(f"session start and stop, {CLUSTER.name} (medians of {rounds})", starts,
          ("start", "stop"), "1 node")

    with tempfile.TemporaryDirectory() as folder:
        plugin = Path(folder) / "kvbench"
        plugin.mkdir()
        (plugin / "plugin.py").write_text(KV_PLUGIN)
        (plugin / "plugin.json").write_text(json.dumps({
            "id": "com.example.kvbench", "name": "KV bench", "version": "0.1.0",
            "server": {"executable": "plugin.py", "runtime": "python"}}))
        with session(plugin, 3, track_races=False) as off, session(plugin, 3) as on:
            assert off.races is None and on.races is not None
            kv_call(off, kv_calls)  # warm up both
            kv_call(on, kv_calls)
            runs = alternate({"off": lambda: kv_call(off, kv_calls),
                              "on": lambda: kv_call(on, kv_calls)}, rounds * 4)
            seen = len(on.races.accesses)
    print(f"\na KV call from a hook on 3 nodes, race tracking off / on ({rounds * 4} hook calls "
          f"each of {kv_calls} KVGet + {kv_calls} KVSet; the detector saw {seen} accesses)")
    print(f"{'':10} {'off':>9} {'on':>9} {'ratio':>7} {'paired':>7}")
    for method in ("KVGet", "KVSet"):
        off_us = statistics.median(r[method] for r in runs["off"])
        on_us = statistics.median(r[method] for r in runs["on"])
        # each "on" hook call against the "off" one next to it: drifts of load cancel out
        pairs = zip(runs["on"], runs["off"], strict=True)
        paired = statistics.median(a[method] / b[method] for a, b in pairs)
        print(f"{method:10} {off_us:7.0f}us {on_us:7.0f}us {on_us / off_us:7.2f} {paired:7.2f}")

    tag_floor(rounds * 4, kv_calls)


def tag_floor(rounds: int, calls: int) -> None:
    """What carrying a call's tag costs at the least: a bare grpcio KVGet to the fake host's
    PluginAPI server without metadata and with the one entry the SDK sends (the same channel,
    alternating blocks): the floor under race tracking's cost, with nothing of mmplug's."""
    import grpc

    from mmplug.host.api.server import ApiServer
    from mmplug.host.fresh import open_world_store
    from mmplug.protocol import api_kv_config_pb2 as pb
    from mmplug.protocol.names import API_SERVICE, CALL_HEADER

    store = open_world_store(None)
    server = ApiServer(store, "com.example.kvbench")
    server.start()
    try:
        channel = grpc.insecure_channel(server.address)
        call = channel.unary_unary(f"/{API_SERVICE}/KVGet",
                                   request_serializer=pb.KVGetRequest.SerializeToString,
                                   response_deserializer=pb.KVGetResponse.FromString)
        request = pb.KVGetRequest(key="k")
        tagged = ((CALL_HEADER, "12;plugin.py:10 (message_has_been_posted)"),)
        cases = {"no metadata": None, "the tag": tagged}
        per_call: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(200):
            for metadata in cases.values():
                call(request, metadata=metadata)
        block = max(1, calls // 10)
        for _ in range(rounds):
            for name, metadata in cases.items():
                began = time.perf_counter()
                for _ in range(block):
                    call(request, metadata=metadata)
                per_call[name].append((time.perf_counter() - began) / block * 1e6)
        channel.close()
    finally:
        server.stop()
        store.close()
    base = statistics.median(per_call["no metadata"])
    tag = statistics.median(per_call["the tag"])
    print(f"\nthe floor: a bare grpcio KVGet, without metadata / with the tag "
          f"({rounds} blocks of {block} each)")
    print(f"{'':10} {base:7.0f}us {tag:7.0f}us {tag / base:7.2f}")


if __name__ == "__main__":
    main()
