"""Cost of the Session's hook pipeline: ``session.fire`` vs a bare gRPC call of the same hook,
and the pytest plugin's ``plugin.fire`` vs ``session.fire``.

All call MessageWillBePosted on the plain grpcio plugin (tests/fixtures/plain_plugin) over the
same channel, alternating in blocks. The baseline is the generated stub called directly; fire
adds request building from keyword fields, context filling, the per-call collector, the stderr
drain (the plugin logs two lines per call) and observer notification. The third case is
``plugin.fire`` of the `plugin` fixture (a ``PluginHarness`` over the same session, with the
pytest plugin's recorder attached), given the same complete request as a fourth case,
``session.fire`` of that request: the harness's own cost per call.

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
    import tempfile

    from mmplug.host.fresh import open_world_store
    from mmplug.host.session import Session
    from mmplug.protocol import hooks_message_pb2, hooks_pb2_grpc, post_pb2
    from mmplug.testing._harness import Activated, PluginHarness, Recorder, SessionState

    calls = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    store = open_world_store()
    with Session([PLUGIN], store=store, python=sys.executable) as session:
        recorder = Recorder()  # as the pytest plugin sets a session up (mmplug.testing)
        session.add_observer(recorder)
        session.__dict__["_mmplug_testing"] = SessionState(
            recorder, Activated(store, lambda: Path(tempfile.mkdtemp())))
        harness = PluginHarness(session)
        harness.reset()
        full = harness.payload("MessageWillBePosted", post={"message": "hi"})
        via_session: list[float] = []
        via_harness: list[float] = []
        client = session.plugin().client
        assert client is not None
        stub = hooks_pb2_grpc.PluginHooksStub(client.process.channel)
        request = hooks_message_pb2.MessageWillBePostedRequest(post=post_pb2.Post(message="hi"))
        bare: list[float] = []
        fired: list[float] = []
        for _ in range(200):  # warm up every path
            stub.MessageWillBePosted(request, timeout=30)
            session.fire("MessageWillBePosted", post={"message": "hi"})
            session.fire("MessageWillBePosted", full)
            harness.fire("MessageWillBePosted", full)
        for _ in range(calls // BLOCK):
            for _ in range(BLOCK):
                started = time.perf_counter()
                stub.MessageWillBePosted(request, timeout=30)
                bare.append(time.perf_counter() - started)
            for _ in range(BLOCK):
                started = time.perf_counter()
                session.fire("MessageWillBePosted", post={"message": "hi"})
                fired.append(time.perf_counter() - started)
            for _ in range(BLOCK):
                started = time.perf_counter()
                session.fire("MessageWillBePosted", full)
                via_session.append(time.perf_counter() - started)
            for _ in range(BLOCK):
                started = time.perf_counter()
                harness.fire("MessageWillBePosted", full)
                via_harness.append(time.perf_counter() - started)
    store.close()
    base = statistics.median(bare) * 1e6
    mine = statistics.median(fired) * 1e6
    print(f"{len(bare)} calls each, medians (plugin: {PLUGIN.name})")
    print(f"bare stub call (baseline) {base:8.0f} µs  1.00")
    print(f"session.fire              {mine:8.0f} µs  {mine / base:.2f}")
    host = statistics.median(via_session) * 1e6
    test = statistics.median(via_harness) * 1e6
    print("the same complete request (a post of the world), each call as the host makes it:")
    print(f"session.fire (baseline)   {host:8.0f} µs  1.00")
    print(f"plugin.fire (harness)     {test:8.0f} µs  {test / host:.2f}")


if __name__ == "__main__":
    main()
