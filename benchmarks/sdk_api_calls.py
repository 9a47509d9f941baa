"""A KVGet through the SDK's typed methods against the raw generated stub, in one run: the sync
method, the async method awaited in an ``async def`` hook (on the SDK's hooks loop), and the
sync method through ``asyncio.to_thread`` in the same hook (what async hooks did before the
async client). Also 100 concurrent calls from one async hook, both ways.

    python benchmarks/sdk_api_calls.py [CALLS] [ROUNDS]

The fake host's PluginAPI server runs in its own process, as the server does for a plugin.
Sequential cases alternate call by call, each taking each place in the order equally often;
medians per call after warm-up.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

HOST = """
import sys
from mmplug.host.api.server import ApiServer
from mmplug.host.store import Store
from mmplug.host.world import load_world, seed_store
store = Store.open(":memory:")
seed_store(store, load_world("default"), deterministic_clock=True)
server = ApiServer(store, "com.example.bench")
server.start()
print(server.address, flush=True)
sys.stdin.read()
server.stop(None)
"""


def start_host(extra: str = "") -> tuple[subprocess.Popen[bytes], str]:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.Popen([sys.executable, "-c", HOST + extra], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, stdin=subprocess.PIPE, env=env)
    assert proc.stdout is not None
    return proc, proc.stdout.readline().decode().strip()


def stop(proc: subprocess.Popen[bytes]) -> None:
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.close()
    proc.wait(10)
    proc.stdout.close()


def measure(cases: dict[str, Callable[[], Any]], calls: int) -> dict[str, float]:
    """Median µs per call of each case, interleaved call by call."""
    for call in cases.values():
        for _ in range(min(200, calls)):
            call()
    samples: dict[str, list[float]] = {name: [] for name in cases}
    names = list(cases)
    for i in range(calls):  # each case takes each place in the order equally often
        for name in names[i % len(names):] + names[:i % len(names)]:
            call = cases[name]
            begin = time.perf_counter()
            call()
            samples[name].append(time.perf_counter() - begin)
    return {name: statistics.median(v) * 1e6 for name, v in samples.items()}


async def ameasure(cases: dict[str, Callable[[], Awaitable[Any]]], calls: int) -> dict[str, float]:
    for call in cases.values():
        for _ in range(min(200, calls)):
            await call()
    samples: dict[str, list[float]] = {name: [] for name in cases}
    names = list(cases)
    for i in range(calls):
        for name in names[i % len(names):] + names[:i % len(names)]:
            call = cases[name]
            begin = time.perf_counter()
            await call()
            samples[name].append(time.perf_counter() - begin)
    return {name: statistics.median(v) * 1e6 for name, v in samples.items()}


async def burst(cases: dict[str, Callable[[], Awaitable[Any]]], rounds: int,
                width: int) -> dict[str, float]:
    """Median ms for ``width`` concurrent calls of each case."""
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(rounds + 2):
        for name, call in cases.items():
            begin = time.perf_counter()
            await asyncio.gather(*(call() for _ in range(width)))
            samples[name].append(time.perf_counter() - begin)
    return {name: statistics.median(v[2:]) * 1e3 for name, v in samples.items()}


def main() -> None:
    calls = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 30
    import grpc

    from mmplug.protocol import api_kv_config_pb2, api_pb2_grpc
    from mmplug.sdk import APIClient, AsyncAPIClient
    from mmplug.sdk._async import LoopRunner

    proc, address = start_host()
    try:
        api = APIClient(address)
        api.kv_set("k", "value")
        with grpc.insecure_channel(address) as channel:
            stub = api_pb2_grpc.PluginAPIStub(channel)
            sync = measure({
                "raw generated stub (baseline)": lambda: stub.KVGet(
                    api_kv_config_pb2.KVGetRequest(key="k"), timeout=30),
                "typed sync api.kv_get": lambda: api.kv_get("k"),
                "generic api.call('KVGet')": lambda: api.call("KVGet", key="k"),
            }, calls)
        runner = LoopRunner()  # the SDK's loop of async def hooks

        async def in_hook() -> tuple[dict[str, float], dict[str, float]]:
            aapi = AsyncAPIClient(address)
            one = await ameasure({
                "sync kv_get via asyncio.to_thread (baseline)":
                    lambda: asyncio.to_thread(api.kv_get, "k"),
                "typed async await api.kv_get": lambda: aapi.kv_get("k"),
            }, calls)
            many = await burst({
                "100 x asyncio.to_thread(kv_get) (baseline)":
                    lambda: asyncio.to_thread(api.kv_get, "k"),
                "100 x await kv_get": lambda: aapi.kv_get("k"),
            }, rounds, 100)
            await aapi.close()
            return one, many

        one, many = runner.call(in_hook)
        runner.close()
        api.close()
    finally:
        stop(proc)
    print(f"KVGet, {calls} calls per case, interleaved, median per call "
          f"(load average {os.getloadavg()[0]:.1f})")
    for table in (sync, one):
        base = next(iter(table.values()))
        for name, value in table.items():
            print(f"  {name:46s} {value:8.1f} us   ratio {value / base:.3f}")
    print(f"100 concurrent KVGets from one async hook, {rounds} rounds, median per batch")
    base = next(iter(many.values()))
    for name, value in many.items():
        print(f"  {name:46s} {value:8.1f} ms   ratio {value / base:.3f}")


if __name__ == "__main__":
    main()
