"""``import mmplug.sdk`` now against the SDK before it had every rpc as a method (76 hand-written
methods, imported with the package): the generated methods and the entities load on first use,
so importing the SDK must not cost more than it did. Also prints what the first use costs.

    python benchmarks/sdk_import.py [RUNS] [--base REV]

The baseline tree is ``git archive REV mmplug`` in a temporary directory; both run from compiled
bytecode (written once to a private cache, as an installed package has it), alternately, and the
medians are compared.
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


def timed(code: str, cwd: Path, cache: Path) -> float:
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPATH", "GRPC_EXPERIMENTS")}
    env["PYTHONPYCACHEPREFIX"] = str(cache)
    env["PYTHONPATH"] = str(cwd)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], cwd=cwd, env=env, check=True,
                   stdin=subprocess.DEVNULL)
    return time.perf_counter() - start


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
            "+ first use of APIClient (every method)": (
                "import mmplug.sdk; mmplug.sdk.APIClient", REPO),
            "+ first use of mmplug.sdk.model (entities)": ("import mmplug.sdk.model", REPO),
            f"+ first use of APIClient at {args.base}": (
                "import mmplug.sdk; mmplug.sdk.APIClient", base),
        }
        for code, cwd in cases.values():  # compile once, as an installed package is
            timed(code, cwd, cache)
        samples: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(args.runs):
            for name, (code, cwd) in cases.items():
                samples[name].append(timed(code, cwd, cache))
    medians = {name: statistics.median(values) * 1000 for name, values in samples.items()}
    baseline = medians[f"import mmplug.sdk at {args.base} (baseline)"]
    print(f"{args.runs} alternating runs, median wall time of the process "
          f"(load average {os.getloadavg()[0]:.1f})")
    for name, value in medians.items():
        print(f"{name:50s} {value:7.1f} ms   ratio {value / baseline:.2f}")


if __name__ == "__main__":
    main()
