"""Session start and stop under mmplug's fake host vs the genuine go-plugin client.

Both launch the same plain grpcio plugin (tests/fixtures/plain_plugin) with the same
interpreter, in alternating runs:

* mmplug: Session start = spawn + handshake + health check + Implemented + OnActivate;
  stop = OnDeactivate + GRPCController/Shutdown + exit (in-memory store, no world seeding,
  so only the host's own work is timed);
* go-plugin v1.0.1 (../shared/conformance gohost): handshake + ping + one Implemented call,
  then Kill() (Shutdown + wait for exit), as its own step timings report them.

    python benchmarks/host_start.py [RUNS]

Prints medians and the ratio mmplug / go-plugin (lower is faster) for start, stop and total.
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PLUGIN = ROOT / "tests" / "fixtures" / "plain_plugin"
CONFORMANCE = ROOT / ".." / "shared" / "conformance"
STEP = re.compile(r"^PASS (handshake|ping|call|shutdown)\s+([\d.]+)ms", re.M)


def gohost_binary() -> Path | None:
    cache = os.environ.get("MM_CONFORMANCE_CACHE") or str(
        Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "mm-conformance"
    )
    binary = Path(cache) / "gohost"
    if not binary.exists() and (CONFORMANCE / "run.sh").exists():
        subprocess.run([str(CONFORMANCE / "run.sh"), "--setup"], check=True)
    return binary if binary.exists() else None


def run_mmplug() -> tuple[float, float]:
    from mmplug.host.session import Session
    from mmplug.host.store import Store

    store = Store.open(":memory:")
    session = Session([PLUGIN], store=store, python=sys.executable)
    started = time.perf_counter()
    session.start()
    ready = time.perf_counter()
    session.close()
    done = time.perf_counter()
    store.close()
    return (ready - started) * 1000, (done - ready) * 1000


def run_gohost(binary: Path) -> tuple[float, float]:
    out = subprocess.run(
        [str(binary), "-method", "/mattermost.pluginapi.v1.PluginHooks/Implemented",
         "-payload-hex", "", "--", sys.executable, "plugin.py"],
        cwd=PLUGIN, capture_output=True, text=True, check=False,
    ).stdout
    steps = {name: float(ms) for name, ms in STEP.findall(out)}
    if "RESULT PASS" not in out or len(steps) != 4:
        raise SystemExit(f"gohost run failed:\n{out}")
    return steps["handshake"] + steps["ping"] + steps["call"], steps["shutdown"]


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    binary = gohost_binary()
    if binary is None:
        raise SystemExit("the go-plugin conformance host is not available (../shared/conformance)")
    run_mmplug()  # warm the import caches of both sides once
    run_gohost(binary)
    ours: list[tuple[float, float]] = []
    theirs: list[tuple[float, float]] = []
    for _ in range(runs):
        ours.append(run_mmplug())
        theirs.append(run_gohost(binary))
    version = sys.version.split()[0]
    print(f"{runs} runs each, medians in ms (plugin: {PLUGIN.name}, python {version})")
    print(f"{'':8} {'mmplug':>9} {'go-plugin':>10} {'ratio':>7}")
    for label, index in (("start", 0), ("stop", 1)):
        mine = statistics.median(r[index] for r in ours)
        base = statistics.median(r[index] for r in theirs)
        print(f"{label:8} {mine:9.1f} {base:10.1f} {mine / base:7.2f}")
    mine = statistics.median(a + b for a, b in ours)
    base = statistics.median(a + b for a, b in theirs)
    print(f"{'total':8} {mine:9.1f} {base:10.1f} {mine / base:7.2f}")


if __name__ == "__main__":
    main()
