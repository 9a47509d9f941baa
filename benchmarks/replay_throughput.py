"""Replay throughput: 1,000 small hook calls replayed from a cassette, against bare grpcio.

    python benchmarks/replay_throughput.py [N]

Records N MessageWillBePosted calls of the parrot sample plugin (no API calls: a small hook),
then measures, in the same run:

* baseline: a bare grpcio sequential unary loop, N calls of the same request to the same
  plugin process through a plain stub (no mmplug code on the client side);
* replay: ``replay_cassette`` of the N calls with comparison (the loop over calls alone, and
  the whole replay with the session's start and stop).

Prints calls per second and the ratio of replay to the baseline. Targets: replay >= 2,000
hooks/s and >= 0.6x the baseline.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PLUGIN = REPO / "tests" / "fixtures" / "parrot_plugin"


def record(cassette: Path, n: int) -> None:
    from mmplug.cassette import CassetteRecorder
    from mmplug.cassette._session import deterministic_session
    from mmplug.host.payloads import build_payload, resolve_hook, scene_from_store

    session = deterministic_session(PLUGIN, python=sys.executable)
    recorder = CassetteRecorder(cassette).attach(session)
    try:
        with session:
            spec = resolve_hook("MessageWillBePosted")
            request = build_payload(spec, scene_from_store(session.store), message="hi")
            for _ in range(n):
                recorder.mark()
                session.fire("MessageWillBePosted", request)
    finally:
        recorder.close()
        session.store.close()


def bare_loop(n: int) -> float:
    """Calls per second of a plain grpcio stub calling the plugin, sequentially."""
    from mmplug.cassette._session import deterministic_session
    from mmplug.host.payloads import build_payload, resolve_hook, scene_from_store
    from mmplug.protocol import hooks_pb2_grpc

    session = deterministic_session(PLUGIN, python=sys.executable)
    try:
        with session:
            spec = resolve_hook("MessageWillBePosted")
            request = build_payload(spec, scene_from_store(session.store), message="hi")
            handle = session.plugin()
            assert handle.client is not None
            stub = hooks_pb2_grpc.PluginHooksStub(handle.client.process.channel)
            for _ in range(50):
                stub.MessageWillBePosted(request)
            started = time.perf_counter()
            for _ in range(n):
                stub.MessageWillBePosted(request)
            return n / (time.perf_counter() - started)
    finally:
        session.store.close()


def replay(cassette: Path) -> tuple[float, float, int]:
    from mmplug.cassette import replay_cassette

    report = replay_cassette(cassette, PLUGIN, python=sys.executable)
    assert report.ok, report.render()
    return report.calls / report.calls_s, report.calls / report.duration_s, report.calls


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    with tempfile.TemporaryDirectory() as tmp:
        cassette = Path(tmp) / "bench.jsonl"
        record(cassette, n)
        bare, loop, whole = [], [], []
        for _ in range(rounds):  # interleaved, so load spikes hit both alike
            bare.append(bare_loop(n))
            rate, total, calls = replay(cassette)
            loop.append(rate)
            whole.append(total)
    b, r, w = statistics.median(bare), statistics.median(loop), statistics.median(whole)
    print(f"{calls} calls (OnActivate + {n} MessageWillBePosted), median of {rounds} rounds")
    print(f"bare grpcio sequential unary loop (baseline): {b:8.0f} calls/s  1.00")
    print(f"replay, loop over calls (with comparison):    {r:8.0f} hooks/s  {r / b:.2f}")
    print(f"replay, whole (session start and stop):       {w:8.0f} hooks/s  {w / b:.2f}")


if __name__ == "__main__":
    main()
