"""A test module's plugin session: how long the pytest plugin takes to start one.

    python benchmarks/module_start.py [ROUNDS] [SESSIONS]

With the default scope every test module starts its own session: the plugin's interpreter
(a warm spare, forked from a zygote that has imported grpc and the SDK), its handshake and
health check, Implemented, OnActivate with the plugin's first PluginAPI calls, and the store
as activation left it kept for the module's tests. This times that start, as the pytest plugin
makes it (``mmplug.testing``'s run state, one spare started ahead), for a project made by
``mmplug new -t minimal`` (its OnActivate reads its settings and the server version through
the API and logs a line), SESSIONS sessions in a row per run (default 12) in a fresh process,
each after a pause in which the next spare gets ready as it does while a module's tests run.
The first two sessions (the first spare is a fresh interpreter, the zygote starts with the
second) are left out of each run's median.

With MMPLUG_BENCH_BEFORE set to a copy of another version of mmplug's package (its parent
folder, put first on PYTHONPATH), each round runs that code as well, interleaved: a
before/after comparison. Prints the median start of every run and their medians.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from plugin_tests import trivial_project

PAUSE_S = 0.3  # what a short test module gives the next spare

CHILD = r"""
import json, statistics, sys, tempfile, time
from pathlib import Path

from mmplug.testing import _close, _Run

plugin_dir, count, pause = Path(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])


class Factory:  # pytest's tmp_path_factory, for Python 3.10's copy of the store
    def mktemp(self, name):
        return Path(tempfile.mkdtemp(prefix=name))


run = _Run({"transport": "unix", "private": False})
run.ahead(plugin_dir, sys.executable)
starts = []
try:
    for _ in range(count):
        time.sleep(pause)
        began = time.perf_counter()
        session = run.start(plugin_dir, None, sys.executable, Factory(), ahead=1)
        starts.append(time.perf_counter() - began)
        assert not isinstance(session, str), session
        _close(session)
finally:
    run.close()
print(json.dumps(starts))
"""


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 12
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    before = os.environ.get("MMPLUG_BENCH_BEFORE")
    versions = {"this code": env}
    if before:
        versions["BEFORE"] = dict(env, PYTHONPATH=before)
    work = Path(tempfile.mkdtemp(prefix="mmplug-bench-"))
    try:
        plugin = trivial_project(work, env)
        medians: dict[str, list[float]] = {name: [] for name in versions}
        for _ in range(rounds):
            for name, version_env in versions.items():
                done = subprocess.run([sys.executable, "-c", CHILD, str(plugin), str(count),
                                       str(PAUSE_S)], capture_output=True, text=True,
                                      env=version_env, cwd=work)
                if done.returncode != 0:
                    raise SystemExit(f"{name}: {done.stderr[-2000:]}")
                starts = json.loads(done.stdout.splitlines()[-1])
                medians[name].append(statistics.median(starts[2:] or starts) * 1000)
        print(f"{rounds} runs of {count} sessions, load average {os.getloadavg()[0]:.2f} at "
              "the end; a session's start, median of each run (ms)")
        for name, values in medians.items():
            runs = " ".join(f"{v:5.1f}" for v in values)
            print(f"{name:<10} {statistics.median(values):6.1f}   runs: {runs}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
