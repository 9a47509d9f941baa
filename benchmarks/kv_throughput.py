#!/usr/bin/env python3
"""KV store over real gRPC on a file-backed store, as ratios to a baseline rpc.

    python benchmarks/kv_throughput.py [calls]

Baseline: LogDebug of an empty line (a PluginAPI rpc that touches no table). The cases are
interleaved call by call so load spikes hit them alike; medians per call. A second part times
the contention scenario of tests/host/api/test_kv.py (8 client processes x N KVCompareAndSet
increments).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import grpc

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mmplug.host.api.server import ApiServer  # noqa: E402
from mmplug.host.store import Store  # noqa: E402
from mmplug.host.world import load_world, seed_store  # noqa: E402
from mmplug.protocol import api_kv_config_pb2 as pb  # noqa: E402
from mmplug.protocol import api_pb2_grpc  # noqa: E402

INCREMENTER = str(ROOT / "tests" / "fixtures" / "kv_incrementer.py")


def main() -> None:
    calls = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    with tempfile.TemporaryDirectory() as folder:
        store = Store.open(Path(folder) / "state.db")
        seed_store(store, load_world("default"))
        server = ApiServer(store, "com.example.bench")
        server.start()
        try:
            with grpc.insecure_channel(server.address) as channel:
                api = api_pb2_grpc.PluginAPIStub(channel)
                single(api, calls)
                contention(api, server.address)
        finally:
            server.stop(None)
            store.close()


def single(api: Any, calls: int) -> None:
    api.KVSet(pb.KVSetRequest(key="k", value=b"0"))
    counter = iter(range(10**9))
    cases: dict[str, Callable[[], Any]] = {
        "LogDebug (baseline)": lambda: api.LogDebug(pb.LogDebugRequest()),
        "KVGet": lambda: api.KVGet(pb.KVGetRequest(key="k")),
        "KVSet": lambda: api.KVSet(pb.KVSetRequest(key="k", value=b"1")),
        "KVCompareAndSet (hit)": lambda: api.KVCompareAndSet(
            pb.KVCompareAndSetRequest(key="k", old_value=b"1", new_value=b"1")
        ),
        "KVSet (new key)": lambda: api.KVSet(pb.KVSetRequest(key=f"n{next(counter)}", value=b"v")),
        "KVList (page of 60)": lambda: api.KVList(pb.KVListRequest(page=0, per_page=60)),
    }
    times: dict[str, list[float]] = {name: [] for name in cases}
    for i in range(calls + 200):
        for name, call in cases.items():
            started = time.perf_counter()
            call()
            if i >= 200:
                times[name].append(time.perf_counter() - started)
    base = statistics.median(times["LogDebug (baseline)"])
    print(f"single client, file-backed store, {calls} calls each (median per call)")
    print(f"{'call':28} {'median':>10} {'ratio':>7}")
    for name, values in times.items():
        med = statistics.median(values)
        print(f"{name:28} {med * 1e6:8.0f}us {med / base:7.2f}")


def contention(api: Any, address: str, workers: int = 8, increments: int = 1000) -> None:
    api.KVSet(pb.KVSetRequest(key="counter", value=b"0"))
    started = time.perf_counter()
    procs = [
        subprocess.Popen([sys.executable, INCREMENTER, address, str(increments)])
        for _ in range(workers)
    ]
    for proc in procs:
        proc.wait()
    elapsed = time.perf_counter() - started
    final = int(api.KVGet(pb.KVGetRequest(key="counter")).value)
    print(
        f"\ncontention: {workers} processes x {increments} CAS increments -> counter {final} "
        f"(expected {workers * increments}) in {elapsed:.1f}s "
        f"({final / elapsed:.0f} increments/s)"
    )


if __name__ == "__main__":
    main()
