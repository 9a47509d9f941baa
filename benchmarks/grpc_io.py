"""What grpcio's older I/O and one CPU buy on this machine (the figures behind
mmplug/protocol/grpc_env.py and mmplug/host/affinity.py).

    python benchmarks/grpc_io.py [CALLS] [ROUNDS]        (defaults 1000, 5)

1. A one-byte ping-pong between two processes over a socketpair: both placed by the system,
   and both on one CPU — what a thread wake-up on another CPU costs.
2. A bare grpcio echo server (sync, thread pool) in its own process, started with grpc's
   defaults and with GRPC_EXPERIMENTS=-event_engine_listener; one client calls them in turn.
3. The fake host's PluginAPI server (KVGet) in its own process, started with grpcio's older
   client only (what the host chose before) and with the older client and listener (now).

Cases are interleaved round by round; prints medians.
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ECHO = """
import sys
from concurrent import futures
import grpc
handler = grpc.unary_unary_rpc_method_handler(lambda r, c: r, lambda b: b, lambda b: b)
server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler("bench.Echo",
                                 {"Echo": handler}),))
print(server.add_insecure_port("127.0.0.1:0"), flush=True)
server.start()
sys.stdin.read()
"""
API = """
import sys, tempfile
from pathlib import Path
from mmplug.host.api.server import ApiServer
from mmplug.host.store import Store
from mmplug.host.world import load_world, seed_store
store = Store.open(Path(tempfile.mkdtemp()) / "state.db")
seed_store(store, load_world("default"))
server = ApiServer(store, "com.example.bench")
server.start()
print(server.address.rsplit(":", 1)[1], flush=True)
sys.stdin.read()
"""


def ping_pong(calls: int, one_cpu: bool) -> float:
    """Median µs of a one-byte round trip to a forked child over a socketpair."""
    here, there = socket.socketpair()
    cpus = os.sched_getaffinity(0)
    if one_cpu:
        os.sched_setaffinity(0, {min(cpus)})
    pid = os.fork()
    if pid == 0:
        here.close()
        while data := there.recv(16):
            there.sendall(data)
        os._exit(0)
    there.close()
    samples = []
    for i in range(calls + 100):
        started = time.perf_counter()
        here.sendall(b"x")
        here.recv(16)
        if i >= 100:
            samples.append(time.perf_counter() - started)
    here.close()
    os.waitpid(pid, 0)
    os.sched_setaffinity(0, cpus)
    return statistics.median(samples) * 1e6


def server(code: str, experiments: str | None) -> tuple[subprocess.Popen[bytes], int]:
    env = {k: v for k, v in os.environ.items() if k != "GRPC_EXPERIMENTS"}
    if experiments:
        env["GRPC_EXPERIMENTS"] = experiments
    env["PYTHONPATH"] = str(REPO)
    proc = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, env=env)
    assert proc.stdout is not None
    return proc, int(proc.stdout.readline())


def main(calls: int, rounds: int) -> None:
    import grpc

    from mmplug.protocol import api_kv_config_pb2 as kv
    from mmplug.protocol import api_pb2_grpc

    print(f"{calls} calls per case and round, {rounds} rounds, medians; "
          f"load average {os.getloadavg()[0]:.1f}")
    pings = {"placed by the system": [], "both on one CPU": []}
    for _ in range(rounds):
        for name in pings:
            pings[name].append(ping_pong(calls, name != "placed by the system"))
    print("socketpair ping-pong between two processes")
    for name, values in pings.items():
        print(f"  {name:<48} {statistics.median(values):7.1f} µs")

    procs = []
    try:
        cases = {}
        for name, code, experiments in (
                ("echo server, grpc's defaults", ECHO, None),
                ("echo server, -event_engine_listener", ECHO, "-event_engine_listener"),
                ("PluginAPI KVGet, older client only", API, "-event_engine_client"),
                ("PluginAPI KVGet, older client and listener", API,
                 "-event_engine_client,-event_engine_listener")):
            proc, port = server(code, experiments)
            procs.append(proc)
            channel = grpc.insecure_channel(f"127.0.0.1:{port}")
            if code is ECHO:
                echo = channel.unary_unary("/bench.Echo/Echo")
                cases[name] = lambda echo=echo: echo(b"\x0a\x05hello")
            else:
                stub = api_pb2_grpc.PluginAPIStub(channel)
                cases[name] = lambda stub=stub: stub.KVGet(kv.KVGetRequest(key="k"))
        times: dict[str, list[float]] = {name: [] for name in cases}
        for call in cases.values():
            for _ in range(200):
                call()
        for _ in range(rounds):
            for name, call in cases.items():
                started = time.perf_counter()
                for _ in range(calls):
                    call()
                times[name].append((time.perf_counter() - started) / calls * 1e6)
        print("unary calls from this process (grpc's default client) to a server process")
        for name, values in times.items():
            median = statistics.median(values)
            print(f"  {name:<48} {median:7.1f} µs  {1e6 / median:6.0f} calls/s")
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000,
         int(sys.argv[2]) if len(sys.argv) > 2 else 5)
