"""Test modules and cassettes across processes: the speed-up on this machine's CPUs.

    python benchmarks/parallel.py [ROUNDS]        (default 5)

- pytest: a project made by ``mmplug new -t minimal`` with 8 test modules of 20 tests that
  each fire a hook through the `plugin` fixture (see plugin_tests.py), run with ``python -m
  pytest -n 0`` (one process, the baseline) and ``-n 2 --dist loadfile`` (pytest-xdist, two
  workers), each with the default scope (a plugin process per module) and with
  ``--mmplug-scope session`` (one per worker); only mmplug's and xdist's pytest plugins are
  loaded.
- replay: a folder of 8 cassettes of the parrot sample plugin (4 of one session with
  OnActivate + 200 MessageWillBePosted calls, 4 of five `mmplug fire --record` sessions), run
  with ``mmplug replay FOLDER --check --jobs 1`` (the baseline) and ``--jobs 2``.
- the physical limit: two Python processes each running the same CPU-bound loop (about one
  second), one after the other (the baseline) and both at once: what two workers can gain on
  this machine under the load of the moment.

Each round runs every case once, in turn; prints the medians and the speed-up (baseline /
parallel).
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from plugin_tests import HOOK, trivial_project, write_suite
from replay_cli import fired
from replay_throughput import PLUGIN, record

ENV = {k: v for k, v in os.environ.items() if k != "PYTEST_ADDOPTS"}
ENV["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"  # as in plugin_tests.py


def timed(args: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True, env=ENV)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)}: {done.stdout[-2000:]}{done.stderr[-2000:]}")
    return elapsed


BUSY = "n = 0\nfor i in range(12_000_000):\n    n += i\n"


def busy(at_once: int) -> list[str]:
    """A shell line running ``at_once`` copies of the busy loop at once, twice in all."""
    one = f"{sys.executable} -c '{BUSY}'"
    if at_once == 1:
        return ["sh", "-c", f"{one} && {one}"]
    return ["sh", "-c", f"{one} & {one} & wait"]


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    work = Path(tempfile.mkdtemp(prefix="mmplug-bench-"))
    try:
        project = trivial_project(work, ENV)
        write_suite(project, HOOK, 160, 20)
        folder = work / "cassettes"
        folder.mkdir()
        for i in range(4):
            record(folder / f"long{i}.jsonl", 200)
            fired(folder / f"fired{i}.jsonl", 5)
        pytest = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                  "-p", "mmplug.testing", "-p", "xdist"]
        replay = [sys.executable, "-m", "mmplug.cli.main", "replay", str(folder), str(PLUGIN),
                  "--check", "--python", sys.executable]
        cases: dict[str, tuple[list[str], Path]] = {
            "pytest, per module, -n 0 (baseline)": ([*pytest, "-n", "0"], project),
            "pytest, per module, -n 2": ([*pytest, "-n", "2", "--dist", "loadfile"], project),
            "pytest, suite-wide, -n 0 (baseline)": (
                [*pytest, "-n", "0", "--mmplug-scope", "session"], project),
            "pytest, suite-wide, -n 2": (
                [*pytest, "-n", "2", "--dist", "loadfile", "--mmplug-scope", "session"],
                project),
            "replay folder, --jobs 1 (baseline)": ([*replay, "--jobs", "1"], work),
            "replay folder, --jobs 2": ([*replay, "--jobs", "2"], work),
            "CPU-bound loop x2, one after the other (baseline)": (busy(1), work),
            "CPU-bound loop x2, at once": (busy(2), work),
        }
        for args, cwd in cases.values():  # bytecode, the world cache
            timed(args, cwd)
        samples: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(rounds):
            for name, (args, cwd) in cases.items():
                samples[name].append(timed(args, cwd))
        print(f"{rounds} rounds, load average {os.getloadavg()[0]:.2f} at the end; "
              f"{len(os.sched_getaffinity(0))} CPUs; medians")
        base = 0.0
        for name, values in samples.items():
            median = statistics.median(values)
            base = median if "baseline" in name else base
            print(f"  {name:<50} {median:6.2f} s  speed-up {base / median:4.2f}  "
                  f"({' '.join(f'{v:.2f}' for v in values)})")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
