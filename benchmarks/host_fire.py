"""Cost of the Session's hook pipeline: ``session.fire`` vs a bare gRPC call of the same hook.

Both call MessageWillBePosted on the plain grpcio plugin (tests/fixtures/plain_plugin) over the
same channel, alternating in blocks. The baseline is the generated stub called directly; fire
adds request building from keyword fields, context filling, the per-call collector, the stderr
drain (the plugin logs two lines per call) and observer notification.

    python benchmarks/host_fire.py [CALLS]
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PLUGIN = ROOT / "tests" / "fixtures" / "plain_plugin"
BLOCK = 50


def main() -> None:
    from mmplug.host.session import Session
    from mmplug.host.store import Store
    from mmplug.protocol import hooks_message_pb2, hooks_pb2_grpc, post_pb2

    calls = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    store = Store.open(":memory:")
    with Session([PLUGIN], store=store, python=sys.executable) as session:
        client = session.plugin().client
        assert client is not None
        stub = hooks_pb2_grpc.PluginHooksStub(client.process.channel)
        request = hooks_message_pb2.MessageWillBePostedRequest(post=post_pb2.Post(message="hi"))
        bare: list[float] = []
        fired: list[float] = []
        for _ in range(200):  # warm up both paths
            stub.MessageWillBePosted(request, timeout=30)
            session.fire("MessageWillBePosted", post={"message": "hi"})
        for _ in range(calls // BLOCK):
            for _ in range(BLOCK):
                started = time.perf_counter()
                stub.MessageWillBePosted(request, timeout=30)
                bare.append(time.perf_counter() - started)
            for _ in range(BLOCK):
                started = time.perf_counter()
                session.fire("MessageWillBePosted", post={"message": "hi"})
                fired.append(time.perf_counter() - started)
    store.close()
    base = statistics.median(bare) * 1e6
    mine = statistics.median(fired) * 1e6
    print(f"{len(bare)} calls each, medians (plugin: {PLUGIN.name})")
    print(f"bare stub call (baseline) {base:8.0f} µs  1.00")
    print(f"session.fire              {mine:8.0f} µs  {mine / base:.2f}")


if __name__ == "__main__":
    main()
