"""Hook round trip: a grpcio client calling an SDK plugin process, against the same client
calling a bare grpcio unary echo server process (with the same grpcio I/O as the SDK chooses
for the plugin, mmplug.protocol.grpc_env). Prints per-call medians and ratios.

    python benchmarks/sdk_roundtrip.py [CALLS]
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import grpc

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
SAMPLE = REPO / "tests" / "fixtures" / "sdk_plugins" / "sample_plugin.py"
HOOKS = "/mattermost.pluginapi.v1.PluginHooks"

# The echo server with grpcio's I/O as the SDK chooses it for a plugin process (before grpc is
# imported): with grpc's defaults it would be a slower baseline than the plugin it measures.
ECHO_SERVER = """
import sys
from concurrent import futures
import mmplug.protocol.grpc_env
import grpc
def echo(request, context):
    return request
handler = grpc.unary_unary_rpc_method_handler(echo, lambda b: b, lambda b: b)
server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler("bench.Echo",
                                 {"Echo": handler}),))
port = server.add_insecure_port("127.0.0.1:0")
server.start()
print(f"1|1|tcp|127.0.0.1:{port}|grpc", flush=True)
sys.stdin.read()
"""


def start(args: list[str]) -> tuple[subprocess.Popen[bytes], str]:
    env = dict(os.environ, MATTERMOST_PLUGIN="Securely message teams, anywhere.",
               PYTHONPATH=str(REPO))
    proc = subprocess.Popen([sys.executable, *args], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, stdin=subprocess.PIPE, env=env)
    assert proc.stdout is not None
    address = proc.stdout.readline().decode().split("|")[3]
    return proc, address


def measure(cases: dict[str, Callable[[], Any]], calls: int) -> dict[str, float]:
    """Median µs per call of each case; cases are interleaved so load spikes hit all alike."""
    for call in cases.values():
        for _ in range(min(200, calls)):
            call()  # warm up: connection, thread pool, caches
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(calls):
        for name, call in cases.items():
            start = time.perf_counter()
            call()
            samples[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) * 1e6 for name, values in samples.items()}


def raw(channel: grpc.Channel, method: str) -> Callable[[bytes], bytes]:
    return channel.unary_unary(method, request_serializer=lambda b: b,
                               response_deserializer=lambda b: b)


def main() -> None:
    calls = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    from mmplug.sdk._proto import message_class

    posted = message_class("MessageHasBeenPostedRequest")(post={"id": "p1", "message": "hi"})
    will = message_class("MessageWillBePostedRequest")(post={"message": "a forbidden word"})
    echo_proc, echo_addr = start(["-c", ECHO_SERVER])
    plugin_proc, plugin_addr = start([str(SAMPLE)])
    try:
        with grpc.insecure_channel(echo_addr) as echo, grpc.insecure_channel(plugin_addr) as plug:
            echo_call = raw(echo, "/bench.Echo/Echo")
            impl = raw(plug, f"{HOOKS}/Implemented")
            mwbp = raw(plug, f"{HOOKS}/MessageWillBePosted")
            mhbp = raw(plug, f"{HOOKS}/MessageHasBeenPosted")
            payload = posted.SerializeToString()
            body = will.SerializeToString()
            results = measure({
                "bare grpcio echo (base)": lambda: echo_call(payload),
                "Implemented": lambda: impl(b""),
                "MessageWillBePosted (sync handler)": lambda: mwbp(body),
                "MessageHasBeenPosted (async handler)": lambda: mhbp(payload),
            }, calls)
    finally:
        for proc in (echo_proc, plugin_proc):
            proc.terminate()
            proc.wait(10)
            for stream in (proc.stdin, proc.stdout):
                if stream is not None:
                    stream.close()
    base = results["bare grpcio echo (base)"]
    print(f"calls={calls} per case, median per call")
    for name, value in results.items():
        print(f"{name:40s} {value:8.1f} us   ratio {value / base:.2f}")


if __name__ == "__main__":
    main()
