"""`mmplug fire` into a live `mmplug dev` session: the hook call's round trip through the control
channel, against a bare grpcio unary echo call measured in the same run (interleaved).

    python benchmarks/fire_live.py [CALLS]

Starts `mmplug dev` on a copy of the parrot sample plugin (tests/fixtures/parrot_plugin) in a
temporary directory, connects to its control channel the way `mmplug fire` does, and fires
MessageWillBePosted; the baseline is one unary call to a bare grpcio echo server process, both
ends with grpcio's I/O as mmplug chooses it for its own processes (mmplug.protocol.grpc_env).
Prints the median per call and the ratio (goal: <= 1.5x).
"""

from __future__ import annotations

import importlib
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
# The echo baseline (this client and the server process, which inherits the choice) with
# grpcio's I/O as mmplug's dev host and the SDK choose it for themselves: with grpc's defaults
# it would be a slower baseline than what it is compared with.
importlib.import_module("mmplug.protocol.grpc_env")  # before grpc

import grpc  # noqa: E402

PARROT = REPO / "tests" / "fixtures" / "parrot_plugin"
ECHO = """
import sys
from concurrent import futures
import grpc
handler = grpc.unary_unary_rpc_method_handler(lambda r, c: r, lambda b: b, lambda b: b)
server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler("bench.Echo",
                                 {"Echo": handler}),))
port = server.add_insecure_port("127.0.0.1:0")
server.start()
print(port, flush=True)
sys.stdin.read()
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for_dev(project: Path, timeout: float = 30.0):  # type: ignore[no-untyped-def]
    from mmplug.devloop.control import connect

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        client = connect(project, timeout=1.0)
        if client is not None:
            plugins = client.status().get("plugins", [])
            if plugins and plugins[0].get("state") == "active":
                return client
            client.close()
        time.sleep(0.1)
    raise SystemExit("mmplug dev did not come up")


def main(calls: int) -> None:
    from mmplug.protocol import post_pb2  # noqa: F401  (registers the messages)

    work = Path(tempfile.mkdtemp(prefix="mmplug-fire-live-"))
    project = work / "parrot"
    shutil.copytree(PARROT, project)
    dev = subprocess.Popen(
        [sys.executable, "-m", "mmplug.cli.main", "dev", str(project), "--port",
         str(_free_port()), "--python", sys.executable],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    echo = subprocess.Popen([sys.executable, "-c", ECHO], stdout=subprocess.PIPE,
                            stdin=subprocess.PIPE)
    try:
        assert echo.stdout is not None
        port = int(echo.stdout.readline())
        channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        bare = channel.unary_unary("/bench.Echo/Echo")
        payload = b"\x0a\x05hello"
        client = _wait_for_dev(project)
        post = {"message": "hello", "channel_id": "x" * 26, "user_id": "y" * 26}
        samples: dict[str, list[float]] = {"bare grpcio echo (baseline)": [], "fire (live)": []}
        cases = {"bare grpcio echo (baseline)": lambda: bare(payload),
                 "fire (live)": lambda: client.fire("MessageWillBePosted", post=post)}
        for call in cases.values():
            for _ in range(100):
                call()
        for _ in range(calls):
            for name, call in cases.items():
                started = time.perf_counter()
                call()
                samples[name].append(time.perf_counter() - started)
        client.close()
        base = statistics.median(samples["bare grpcio echo (baseline)"])
        print(f"{calls} calls each, interleaved; load average {os.getloadavg()[0]:.1f}")
        for name, values in samples.items():
            median = statistics.median(values)
            print(f"  {name:<30} {median * 1e6:8.0f} µs   ratio {median / base:.2f}")
    finally:
        os.killpg(dev.pid, signal.SIGINT)
        dev.wait(30)
        echo.kill()
        echo.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
