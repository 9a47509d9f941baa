"""`mmplug replay --check` as a user runs it, with the host and plugin on one CPU and not.

    python benchmarks/replay_cli.py [N] [ROUNDS]        (defaults 1000, 5)

Records OnActivate + N MessageWillBePosted calls of the parrot sample plugin (see
replay_throughput.py), then runs `mmplug replay CASSETTE PLUGIN --check` with `--one-cpu` (the
default) and `--any-cpu`, alternating, ROUNDS times each; prints the median wall time from spawn
to exit and the ratio of the two.
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


def main(n: int, rounds: int) -> None:
    times: dict[str, list[float]] = {flag: [] for flag in FLAGS}
    with tempfile.TemporaryDirectory() as tmp:
        cassette = Path(tmp) / "bench.jsonl"
        record(cassette, n)
        for _ in range(rounds):
            for flag in FLAGS:
                started = time.perf_counter()
                done = subprocess.run(
                    [sys.executable, "-m", "mmplug.cli.main", "replay", str(cassette),
                     str(PLUGIN), "--check", flag, "--python", sys.executable],
                    capture_output=True, text=True)
                times[flag].append(time.perf_counter() - started)
                assert done.returncode == 0, done.stdout + done.stderr
    print(f"mmplug replay --check of {n + 1} calls, median of {rounds} runs each, alternating;"
          f" load average {os.getloadavg()[0]:.1f}")
    base = statistics.median(times["--any-cpu"])
    for flag, values in times.items():
        median = statistics.median(values)
        print(f"  {flag:<10} {median:6.2f} s  ({' '.join(f'{v:.2f}' for v in values)})  "
              f"{median / base:.2f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000,
         int(sys.argv[2]) if len(sys.argv) > 2 else 5)
