"""``import mmplug.sdk`` now against the SDK before it had every rpc as a method (76 hand-written
methods, imported with the package): the generated methods and the entities load on first use,
so importing the SDK must not cost more than it did. Also prints what the first use costs.

    python benchmarks/sdk_import.py [RUNS] [--base REV]

The baseline tree is ``git archive REV mmplug`` in a temporary directory; both run from compiled
bytecode (written once to a private cache, as an installed package has it), alternately, and the
medians are compared. "Before the first API call" adds the client and the protocol messages the
first call needs (the baseline loaded those messages on that call too).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# The last commit before the generated API client (issue 19): the SDK of "today" for this figure.
BASE_REV = "2aee9f1"
# What a plugin has imported when its first API call goes out: the client, and the messages.
FIRST_CALL = ("import mmplug.sdk; mmplug.sdk.APIClient; "
              "from mmplug.sdk._proto import load_api; load_api()")


def timed(code: str, cwd: Path, cache: Path) -> tuple[float, float]:
    """Wall time and CPU time (user + system) of ``python -c code``."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPATH", "GRPC_EXPERIMENTS")}
    env["PYTHONPYCACHEPREFIX"] = str(cache)
    env["PYTHONPATH"] = str(cwd)
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=cwd, env=env,
                            stdin=subprocess.DEVNULL)
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"{code!r} failed in {cwd}")
    return wall, usage.ru_utime + usage.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="?", type=int, default=20)
    ap.add_argument("--base", default=BASE_REV, help="git revision of the baseline SDK")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "base"
        base.mkdir()
        archive = subprocess.run(["git", "-C", str(REPO), "archive", args.base, "mmplug"],
                                 check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(base)], input=archive, check=True)
        cache = Path(tmp) / "pyc"
        cases = {
            "python -c pass": ("pass", REPO),
            f"import mmplug.sdk at {args.base} (baseline)": ("import mmplug.sdk", base),
            "import mmplug.sdk (now)": ("import mmplug.sdk", REPO),
            f"before the first API call at {args.base}": (FIRST_CALL, base),
            "before the first API call (now: every method, entities)": (FIRST_CALL, REPO),
            "import mmplug.sdk.model (the entities alone)": ("import mmplug.sdk.model", REPO),
        }
        for code, cwd in cases.values():  # compile once, as an installed package is
            timed(code, cwd, cache)
        walls: dict[str, list[float]] = {name: [] for name in cases}
        cpus: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(args.runs):
            for name, (code, cwd) in cases.items():
                wall, cpu = timed(code, cwd, cache)
                walls[name].append(wall)
                cpus[name].append(cpu)
    key = f"import mmplug.sdk at {args.base} (baseline)"
    wall_base, cpu_base = statistics.median(walls[key]), statistics.median(cpus[key])
    print(f"{args.runs} alternating runs, medians of the process's CPU time (user + system) and "
          f"wall time (load average {os.getloadavg()[0]:.1f})")
    for name in cases:
        cpu, wall = statistics.median(cpus[name]), statistics.median(walls[name])
        print(f"{name:56s} cpu {cpu * 1000:6.1f} ms  ratio {cpu / cpu_base:.2f}   "
              f"wall {wall * 1000:6.1f} ms  ratio {wall / wall_base:.2f}")


if __name__ == "__main__":
    main()
