"""`mmplug replay --check` as a user runs it, with the host and plugin on one CPU and not.

    python benchmarks/replay_cli.py [N] [ROUNDS]        (defaults 1000, 5)

Two cassettes of the parrot sample plugin: one session of OnActivate + N MessageWillBePosted
calls (see replay_throughput.py), and ten `mmplug fire MessageWillBePosted --record` calls,
each its own session (a replay starts ten sessions). Runs `mmplug replay CASSETTE PLUGIN
--check` with `--one-cpu` (the default) and `--any-cpu`, alternating, ROUNDS times each; prints
the median wall time from spawn to exit and the ratio to `--any-cpu`. Set MMPLUG_BENCH_CODE to
a checkout of mmplug to time its code instead (PYTHONPATH), for before/after comparisons.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from replay_throughput import PLUGIN, record

FLAGS = ("--one-cpu", "--any-cpu")


def fired(cassette: Path, calls: int) -> None:
    """``calls`` separate `mmplug fire --record` runs into one cassette."""
    for i in range(calls):
        subprocess.run([sys.executable, "-m", "mmplug.cli.main", "fire", "MessageWillBePosted",
                        str(PLUGIN), "--message", f"m{i}", "--record", str(cassette),
                        "--python", sys.executable], capture_output=True, check=True)


def main(n: int, rounds: int) -> None:
    env = dict(os.environ)
    if os.environ.get("MMPLUG_BENCH_CODE"):
        env["PYTHONPATH"] = os.environ["MMPLUG_BENCH_CODE"]
    with tempfile.TemporaryDirectory() as tmp:
        cassettes = {f"one session, {n + 1} calls": Path(tmp) / "bench.jsonl",
                     "ten fired calls, ten sessions": Path(tmp) / "fired.jsonl"}
        record(cassettes[f"one session, {n + 1} calls"], n)
        fired(cassettes["ten fired calls, ten sessions"], 10)
        times = {(name, flag): [] for name in cassettes for flag in FLAGS}
        for _ in range(rounds):
            for (name, flag), values in times.items():
                started = time.perf_counter()
                done = subprocess.run(
                    [sys.executable, "-m", "mmplug.cli.main", "replay", str(cassettes[name]),
                     str(PLUGIN), "--check", flag, "--python", sys.executable],
                    capture_output=True, text=True, env=env)
                values.append(time.perf_counter() - started)
                assert done.returncode == 0, done.stdout + done.stderr
    print(f"mmplug replay --check, median of {rounds} runs each, alternating; load average "
          f"{os.getloadavg()[0]:.1f}")
    for (name, flag), values in times.items():
        median, base = statistics.median(values), statistics.median(times[name, "--any-cpu"])
        print(f"  {name:<32} {flag:<10} {median:6.2f} s  "
              f"({' '.join(f'{v:.2f}' for v in values)})  {median / base:.2f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000,
         int(sys.argv[2]) if len(sys.argv) > 2 else 5)
