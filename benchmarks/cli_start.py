"""How long the CLI takes to start: a few commands that return at once, against `python -c pass`.

    python benchmarks/cli_start.py [RUNS]        (default 15)

Each command runs as a user's shell runs it (the `mmplug` console script next to this Python),
the commands interleaved run by run so load spikes hit all alike; medians of wall time from
spawn to exit. `bundle inspect` of a missing file goes through the parsing of its arguments and
the error path (exit 1); `--help` renders the command's help with rich.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MMPLUG = str(Path(sys.executable).with_name("mmplug"))
CASES = {
    "python -c pass (baseline)": ([sys.executable, "-c", "pass"], 0),
    "mmplug --version": ([MMPLUG, "--version"], 0),
    "mmplug --help": ([MMPLUG, "--help"], 0),
    "mmplug replay --help": ([MMPLUG, "replay", "--help"], 0),
    "mmplug bundle inspect missing.tar.gz": ([MMPLUG, "bundle", "inspect", "missing.tar.gz"], 1),
}


def main(runs: int) -> None:
    import typer

    times: dict[str, list[float]] = {name: [] for name in CASES}
    env = dict(os.environ, COLUMNS="100")
    with tempfile.TemporaryDirectory() as folder:
        for _ in range(runs + 1):  # the first round warms the disk cache and bytecode
            for name, (command, code) in CASES.items():
                started = time.perf_counter()
                done = subprocess.run(command, cwd=folder, env=env, capture_output=True)
                elapsed = time.perf_counter() - started
                assert done.returncode == code, (name, done.returncode, done.stderr[-400:])
                times[name].append(elapsed)
    base = statistics.median(times["python -c pass (baseline)"][1:])
    print(f"median of {runs} runs, spawn to exit (typer {typer.__version__}, "
          f"load average {os.getloadavg()[0]:.1f})")
    for name, values in times.items():
        median = statistics.median(values[1:])
        print(f"  {name:<40} {median * 1000:7.1f} ms  {median / base:5.2f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 15)
