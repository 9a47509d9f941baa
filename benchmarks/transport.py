"""Cost (or gain) of the private transports on a hook round trip.

Three sessions run the parrot sample plugin (an SDK plugin) side by side: ``--tcp`` (hooks
and PluginAPI on loopback TCP, as under the server: the baseline), the default (hooks on a
unix socket in a private folder, PluginAPI on loopback TCP) and ``--private`` (both on unix
sockets). The calls are interleaved in blocks, so load spikes hit every transport alike:

* a bare generated-stub ``MessageWillBePosted`` over the plugin channel (the hook transport
  alone);
* ``session.fire("MessageWillBePosted")`` (the host's pipeline on top);
* ``session.fire("MessageHasBeenPosted")``, whose handler makes two PluginAPI calls (KVGet,
  KVSet), so the PluginAPI's transport counts too.

    python benchmarks/transport.py [CALLS]
    python benchmarks/transport.py --cold [RUNS]

``--cold`` times whole cold ``mmplug fire MessageWillBePosted`` commands instead, one per
transport in turn (``--tcp``, the default, ``--private``), spawn to exit: what making the private
folder and the plugin's socket adds to a command's start.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PLUGIN = ROOT / "tests" / "fixtures" / "parrot_plugin"
BLOCK = 25
MODES = {"tcp": {"transport": "tcp"}, "unix (default)": {},
         "private": {"private": True}}


def cold(runs: int) -> None:
    import subprocess

    flags = {"tcp": ["--tcp"], "unix (default)": [], "private": ["--private"]}
    script = Path(sys.executable).with_name("mmplug")
    entry = [str(script)] if script.exists() else [sys.executable, "-m", "mmplug.cli.main"]
    times: dict[str, list[float]] = {name: [] for name in flags}
    for run in range(runs + 1):
        for name, extra in flags.items():
            started = time.perf_counter()
            subprocess.run([*entry, "fire", "MessageWillBePosted", str(PLUGIN), "--format",
                            "json", "--python", sys.executable, *extra], check=True,
                           stdout=subprocess.DEVNULL, cwd=ROOT)
            if run:  # the first round warms the caches
                times[name].append(time.perf_counter() - started)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"cold mmplug fire, median of {runs} runs each, spawn to exit, load {load:.1f}")
    base = statistics.median(times["tcp"]) * 1e3
    for name in flags:
        median = statistics.median(times[name]) * 1e3
        print(f"  {name:16} {median:7.1f} ms  {median / base:.2f}")


def main() -> None:
    if sys.argv[1:2] == ["--cold"]:
        cold(int(sys.argv[2]) if len(sys.argv) > 2 else 15)
        return
    from mmplug.host.session import Session
    from mmplug.host.store import Store
    from mmplug.protocol import hooks_message_pb2, hooks_pb2_grpc, post_pb2

    calls = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    stores = {name: Store.open(":memory:") for name in MODES}
    sessions = {name: Session([PLUGIN], store=stores[name], python=sys.executable, **options)
                for name, options in MODES.items()}
    request = hooks_message_pb2.MessageWillBePostedRequest(post=post_pb2.Post(message="hi"))
    cases = ("bare stub MessageWillBePosted", "fire MessageWillBePosted",
             "fire MessageHasBeenPosted (2 API calls)")
    times: dict[tuple[str, str], list[float]] = {(m, c): [] for m in MODES for c in cases}
    try:
        for session in sessions.values():
            session.start()
        stubs = {}
        for name, session in sessions.items():
            client = session.plugin().client
            assert client is not None
            stubs[name] = hooks_pb2_grpc.PluginHooksStub(client.process.channel)

        def one(name: str, case: str) -> None:
            session = sessions[name]
            if case == cases[0]:
                stubs[name].MessageWillBePosted(request, timeout=30)
            elif case == cases[1]:
                session.fire("MessageWillBePosted", post={"message": "hi"})
            else:
                session.fire("MessageHasBeenPosted", post={"message": "hi"})

        for _ in range(100):  # warm up every path
            for name in MODES:
                for case in cases:
                    one(name, case)
        for _ in range(calls // BLOCK):
            for case in cases:
                for name in MODES:
                    for _ in range(BLOCK):
                        started = time.perf_counter()
                        one(name, case)
                        times[(name, case)].append(time.perf_counter() - started)
    finally:
        for session in sessions.values():
            session.close()
        for store in stores.values():
            store.close()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{calls // BLOCK * BLOCK} calls each, medians, load {load:.1f} (plugin: "
          f"{PLUGIN.name})")
    for case in cases:
        base = statistics.median(times[("tcp", case)]) * 1e6
        print(case)
        for name in MODES:
            median = statistics.median(times[(name, case)]) * 1e6
            print(f"  {name:16} {median:8.0f} µs  {median / base:.2f}")


if __name__ == "__main__":
    main()
