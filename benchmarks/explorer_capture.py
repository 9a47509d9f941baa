"""What the Plugin Explorer's trace capture costs a hook round trip into `mmplug dev`, and whether
the dev process's memory stays bounded while calls pile up.

    python benchmarks/explorer_capture.py [CALLS]

Starts two `mmplug dev` sessions of the parrot sample plugin (tests/fixtures/parrot_plugin), one
with the explorer (capturing every call into .mmplug/trace.db) and one with --no-explorer, and
fires MessageWillBePosted into each through the control channel the way `mmplug fire` does,
taking turns call by call. Prints the median round trip of each and the ratio (goal: <= 1.05),
then the explorer session's resident memory after each further batch of calls (goal: flat).
"""

from __future__ import annotations

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
PARROT = REPO / "tests" / "fixtures" / "parrot_plugin"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for_dev(project: Path, timeout: float = 60.0):  # type: ignore[no-untyped-def]
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


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _start(work: Path, name: str, *extra: str) -> tuple[subprocess.Popen[bytes], Path]:
    project = work / name
    shutil.copytree(PARROT, project, ignore=shutil.ignore_patterns(".mmplug", "__pycache__"))
    dev = subprocess.Popen(
        [sys.executable, "-m", "mmplug.cli.main", "dev", str(project), "--port",
         str(_free_port()), "--python", sys.executable, "--store", ":memory:", "--plain",
         *extra],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    return dev, project


def main(calls: int) -> None:
    from mmplug.protocol import post_pb2  # noqa: F401  (registers the messages)

    work = Path(tempfile.mkdtemp(prefix="mmplug-explorer-capture-"))
    on, on_project = _start(work, "with-explorer", "--explorer-port", "0")
    off, off_project = _start(work, "without", "--no-explorer")
    try:
        clients = {"explorer on": _wait_for_dev(on_project),
                   "explorer off (--no-explorer)": _wait_for_dev(off_project)}
        post = {"message": "hello", "channel_id": "x" * 26, "user_id": "y" * 26}
        samples: dict[str, list[float]] = {name: [] for name in clients}
        for client in clients.values():
            for _ in range(200):
                client.fire("MessageWillBePosted", post=post)
        for _ in range(calls):
            for name, client in clients.items():
                started = time.perf_counter()
                client.fire("MessageWillBePosted", post=post)
                samples[name].append(time.perf_counter() - started)
        print(f"{calls} calls each, taking turns; load average {os.getloadavg()[0]:.1f}")
        medians = {name: statistics.median(values) for name, values in samples.items()}
        for name, median in medians.items():
            print(f"  {name:<30} {median * 1e6:8.0f} µs")
        ratio = medians["explorer on"] / medians["explorer off (--no-explorer)"]
        print(f"  ratio on/off: {ratio:.3f} (goal <= 1.05)")
        client = clients["explorer on"]
        print("memory of the explorer's dev process while calls pile up:")
        done = calls + 200
        for _ in range(4):
            for _ in range(5000):
                client.fire("MessageWillBePosted", post=post)
            done += 5000
            time.sleep(0.5)  # one flush of the trace
            print(f"  after {done:>6} calls: {_rss_kib(on.pid) / 1024:6.1f} MiB resident")
        trace = on_project / ".mmplug" / "trace.db"
        print(f"  trace file: {trace.stat().st_size / 1024 / 1024:.1f} MiB on disk")
        for client in clients.values():
            client.close()
    finally:
        for dev in (on, off):
            os.killpg(dev.pid, signal.SIGINT)
            dev.wait(30)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)
