"""Replay throughput: 1,000 small hook calls replayed from a cassette, against bare grpcio.

    python benchmarks/replay_throughput.py [N] [ROUNDS]

Records N MessageWillBePosted calls of the parrot sample plugin (no API calls: a small hook),
then measures, in the same run, each case in a fresh process, the cases interleaved round by
round so load spikes hit them alike:

* baseline: a bare grpcio sequential unary loop, N calls of the same request to the same
  plugin process through a plain stub (no mmplug code on the client side), the processes
  placed by the system as usual; and the same loop with this process and the plugin on one
  CPU, for comparison;
* replay: ``replay_cassette`` of the N calls with comparison (the loop over calls alone, and
  the whole replay with the session's start and stop), its calls on one CPU as ``mmplug
  replay`` runs them (``--one-cpu``, the default), and placed by the system (``--any-cpu``).

Prints calls per second and the ratio of each replay to the bare loop placed as it is (one CPU
against one CPU: the bare loop is faster there, and comparing a pinned replay with an unpinned
loop flattered the replay). Targets: replay >= 2,000 hooks/s and >= 0.6x the baseline.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PLUGIN = REPO / "tests" / "fixtures" / "parrot_plugin"


def record(cassette: Path, n: int) -> None:
    from mmplug.cassette import CassetteRecorder
    from mmplug.host.fresh import deterministic_session
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
    from mmplug.host.fresh import deterministic_session
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


def replay(cassette: Path, one_cpu: bool = False) -> tuple[float, float, int]:
    from mmplug.cassette import replay_cassette

    report = replay_cassette(cassette, PLUGIN, python=sys.executable, one_cpu=one_cpu)
    assert report.ok, report.render()
    return report.calls / report.calls_s, report.calls / report.duration_s, report.calls


def case(name: str, cassette: Path, n: int) -> None:
    """One measurement in this (fresh) process; prints its figures as JSON."""
    from mmplug.host.affinity import one_cpu

    pinned = name.endswith("one CPU")
    if name.startswith("bare"):
        with one_cpu(enabled=pinned):  # the plugin, started inside, inherits the one CPU
            print(json.dumps([bare_loop(n)]))
    else:
        print(json.dumps(replay(cassette, one_cpu=pinned)))  # as `mmplug replay` does


CASES = ("bare, any CPU", "bare, one CPU", "replay, one CPU", "replay, any CPU")


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    figures: dict[str, list[list[float]]] = {name: [] for name in CASES}
    with tempfile.TemporaryDirectory() as tmp:
        cassette = Path(tmp) / "bench.jsonl"
        record(cassette, n)
        for _ in range(rounds):
            for name in CASES:
                done = subprocess.run([sys.executable, __file__, "--case", name, str(cassette),
                                       str(n)], capture_output=True, text=True, check=True)
                figures[name].append(json.loads(done.stdout))

    def median(name: str, index: int = 0) -> float:
        return statistics.median(values[index] for values in figures[name])

    calls = int(figures["replay, one CPU"][0][2])
    print(f"{calls} calls (OnActivate + {n} MessageWillBePosted), median of {rounds} rounds;"
          f" load average {os.getloadavg()[0]:.1f}")
    # Each replay against the bare loop placed as it is: a replay on one CPU against the bare
    # loop on one CPU (the faster baseline), one placed by the system against the same.
    for where in ("one CPU", "any CPU"):
        base = median(f"bare, {where}")
        rows = [(f"bare grpcio sequential unary loop, {where} (baseline)", base),
                (f"replay, {where}: loop over calls", median(f"replay, {where}")),
                (f"replay, {where}: whole (start and stop)", median(f"replay, {where}", 1))]
        for label, rate in rows:
            unit = "calls/s" if label.startswith("bare") else "hooks/s"
            print(f"  {label:<54} {rate:7.0f} {unit}  {rate / base:.2f}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--case"]:
        case(sys.argv[2], Path(sys.argv[3]), int(sys.argv[4]))
    else:
        main()
