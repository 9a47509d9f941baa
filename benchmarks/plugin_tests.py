"""A plugin author's test suite: tests that fire a hook through the `plugin` fixture against as
many pure-Python tests.

    python benchmarks/plugin_tests.py [ROUNDS] [SIZES...]

A project made by ``mmplug new -t minimal``, its tests replaced by N generated ones (default
sizes 10, 50, 100 and 200), run with ``python -m pytest -q`` in a fresh process as an author
runs it, with mmplug's pytest plugin the only one loaded. The cases, interleaved run by run
within each round so load hits them alike:

- pure: N tests that check the plugin's settings class (no plugin process; the baseline), in
  one module and in modules of 20: each case is compared with the pure suite of its layout;
- hook, one module: N tests in one module, each ``assert plugin.fire("OnDeactivate").ok``;
- hook, modules of 20: the same tests in modules of 20, one plugin process per module (the
  default scope), and with ``--mmplug-scope session`` (one process for the run);
- floor: the physical limit of a hook test here, with no mmplug code: modules of 20 tests
  that each make one bare gRPC round trip to a plain grpcio server in another Python
  process, started by a session fixture;
- floor with a log line: the same, but the server also writes one JSON line to its stderr
  per call, as the template's ``on_deactivate`` logs one, and the test waits until a reader
  thread of the test process has taken that line in (what a host that gives each call its
  own log lines has to do, with nothing of mmplug in it either).

Prints the median wall time of each case and size, ms per test, the marginal ms per test
between the smallest and each larger size, and the ratios to the pure suite and to the two
floors (``+log``: the floor with a log line) of the same size;
then the same from each case's fastest run (the one least disturbed on a shared machine);
then, from one more run of each case at the largest size, the median setup, call and teardown
of a test (pytest's own durations) and the time the run spent in Python's garbage collector.
With MMPLUG_BENCH_BEFORE set to a copy of another version of mmplug's package (its parent
folder, put first on PYTHONPATH), the per-module and suite-wide cases run with that code as
well, in the same rounds: a before/after comparison.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# Only mmplug's pytest plugin, in every case: this venv also holds pytest plugins of mmplug's
# own test suite (hypothesis alone adds ~0.7 s to each start, a baseline heavier than an
# author's that would flatter the ratios).
# Python's default for bytecode too: an environment that sets PYTHONDONTWRITEBYTECODE (this
# machine's does) makes every run compile mmplug's modules again and pytest rewrite every test
# module again, a cost an author's machine does not have (the first, unmeasured run of each
# case fills the caches, for the pure suite too).
ENV = {k: v for k, v in os.environ.items()
       if k not in ("PYTEST_ADDOPTS", "PYTHONDONTWRITEBYTECODE")}
ENV["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
PER_MODULE = 20

PURE = '''
def test_pure_{i}():
    assert Settings.from_config({{"max_length": "{i}", "greeting": "H"}}).max_length == {i}
'''
HOOK = '''
def test_hook_{i}(plugin):
    assert plugin.fire("OnDeactivate").ok
'''
# The physical limit, with nothing of mmplug in it: each test makes one gRPC round trip to
# another Python process, a bare grpcio server started (and waited for) by a session fixture,
# over a unix socket as the hooks travel; the same pytest, the same modules of 20.
FLOOR = '''
def test_floor_{i}(echo):
    assert echo(b"") == b""
'''
FLOOR_LOG = '''
def test_floor_{i}(echo_logged):
    assert echo_logged(b"") == b""
'''
FLOOR_CONFTEST = '''
import subprocess, sys, tempfile
from pathlib import Path

import pytest

SERVER = """
import sys
from concurrent import futures
import grpc
LINE = '{"@level": "info", "@message": "deactivated", "@module": "floor"}'


def call(request, context):
    if len(sys.argv) > 2:
        print(LINE, file=sys.stderr, flush=True)
    return request


handler = grpc.method_handlers_generic_handler(
    "floor.Echo", {"Call": grpc.unary_unary_rpc_method_handler(call)})
server = grpc.server(futures.ThreadPoolExecutor(max_workers=10))
server.add_generic_rpc_handlers((handler,))
server.add_insecure_port(sys.argv[1])
server.start()
print("ready", flush=True)
sys.stdin.read()
"""


@pytest.fixture(scope="session")
def echo():
    import grpc

    address = "unix:" + str(Path(tempfile.mkdtemp()) / "floor.sock")
    process = subprocess.Popen([sys.executable, "-c", SERVER, address], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE)
    assert process.stdout.readline() == b"ready\\n"
    channel = grpc.insecure_channel(address)
    yield channel.unary_unary("/floor.Echo/Call")
    channel.close()
    process.stdin.close()
    process.wait()


@pytest.fixture(scope="session")
def echo_logged():
    import grpc
    import json
    import threading

    address = "unix:" + str(Path(tempfile.mkdtemp()) / "floor.sock")
    process = subprocess.Popen([sys.executable, "-c", SERVER, address, "log"],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    assert process.stdout.readline() == b"ready\\n"
    lines = []
    arrived = threading.Condition()

    def read():  # each line parsed and kept, as a host keeps a call's log records
        for raw in process.stderr:
            record = json.loads(raw)
            with arrived:
                lines.append(record)
                arrived.notify_all()

    threading.Thread(target=read, daemon=True).start()
    channel = grpc.insecure_channel(address)
    stub = channel.unary_unary("/floor.Echo/Call")

    def call(payload):
        seen = len(lines)
        answer = stub(payload)
        with arrived:  # the call's own line, before the next call
            assert arrived.wait_for(lambda: len(lines) > seen, 5)
        return answer

    yield call
    channel.close()
    process.stdin.close()
    process.wait()
'''

# Where a test's time goes: one more, untimed run of each case at the largest size with this
# pytest plugin, which writes the median setup, call and teardown of the tests to a file.
PHASES = '''
import gc, json, os, statistics, time

_durations = {"setup": [], "call": [], "teardown": []}
_gc = {"started": 0.0, "all": 0.0, "full": 0.0}


def _collecting(phase, info):  # the time Python's garbage collector takes, full ones apart
    if phase == "start":
        _gc["started"] = time.perf_counter()
        return
    took = time.perf_counter() - _gc["started"]
    _gc["all"] += took
    if info["generation"] == 2:
        _gc["full"] += took


gc.callbacks.append(_collecting)


def pytest_runtest_logreport(report):
    _durations[report.when].append(report.duration)


def pytest_unconfigure(config):
    with open(os.environ["MMPLUG_BENCH_PHASES"], "w") as out:
        json.dump({**{when: statistics.median(values[1:] or values)  # not the first: the start
                      for when, values in _durations.items() if values},
                   "gc": _gc["all"], "gc_full": _gc["full"]}, out)
'''


def trivial_project(work: Path, env: dict[str, str]) -> Path:
    """A project of mmplug's minimal template, made in ``work`` (what every case runs)."""
    mmplug = str(Path(sys.executable).with_name("mmplug"))
    subprocess.run([mmplug, "new", "com.example.triv", "--no-input", "-t", "minimal",
                    "-o", str(work)], check=True, capture_output=True, env=env)
    return work / "com.example.triv"


def write_suite(root: Path, template: str, count: int, per_module: int) -> None:
    tests = root / "tests"
    shutil.rmtree(tests, ignore_errors=True)
    tests.mkdir()
    header = "from triv.plugin import Settings\n" if "Settings" in template else ""
    if template is FLOOR or template is FLOOR_LOG:
        (tests / "conftest.py").write_text(FLOOR_CONFTEST)
    for start in range(0, count, per_module):
        end = min(count, start + per_module)
        body = "".join(template.format(i=i + 1) for i in range(start, end))
        (tests / f"test_m{start // per_module:02d}.py").write_text(header + body)


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    sizes = [int(a) for a in sys.argv[2:]] or [10, 50, 100, 200]
    work = Path(tempfile.mkdtemp(prefix="mmplug-bench-"))
    try:
        template = trivial_project(work, ENV)
        # (name, test template, tests per module, extra pytest arguments)
        before = os.environ.get("MMPLUG_BENCH_BEFORE")
        cases = [("pure, one module (baseline)", PURE, 10**6, []),
                 (f"pure, modules of {PER_MODULE} (baseline)", PURE, PER_MODULE, []),
                 ("hook, one module", HOOK, 10**6, []),
                 (f"hook, modules of {PER_MODULE}, per module", HOOK, PER_MODULE, []),
                 (f"hook, modules of {PER_MODULE}, suite-wide", HOOK, PER_MODULE,
                  ["--mmplug-scope", "session"]),
                 (f"floor: bare gRPC call, modules of {PER_MODULE}", FLOOR, PER_MODULE, []),
                 (f"floor + log line, modules of {PER_MODULE}", FLOOR_LOG, PER_MODULE, [])]
        if before:
            cases.append((f"hook, modules of {PER_MODULE}, per module, BEFORE", HOOK,
                          PER_MODULE, []))
            cases.append((f"hook, modules of {PER_MODULE}, suite-wide, BEFORE", HOOK,
                          PER_MODULE, ["--mmplug-scope", "session"]))
        projects: dict[tuple[str, int], Path] = {}
        for name, test, per_module, _ in cases:
            for size in sizes:
                root = work / f"p{len(projects)}"
                shutil.copytree(template, root)
                write_suite(root, test, size, per_module)
                projects[name, size] = root
        args = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                "-p", "mmplug.testing"]
        envs = {name: dict(ENV, PYTHONPATH=before) if "BEFORE" in name and before else ENV
                for name, *_ in cases}
        for (name, _size), root in projects.items():  # bytecode, the world cache, once
            subprocess.run(args, cwd=root, capture_output=True, env=envs[name])
        samples: dict[tuple[str, int], list[float]] = {key: [] for key in projects}
        for _ in range(rounds):
            for name, _test, _per, extra in cases:
                for size in sizes:
                    started = time.perf_counter()
                    done = subprocess.run([*args, *extra], cwd=projects[name, size],
                                          capture_output=True, text=True, env=envs[name])
                    samples[name, size].append(time.perf_counter() - started)
                    if done.returncode != 0 or f"{size} passed" not in done.stdout:
                        raise SystemExit(f"{name}, {size}: {done.stdout[-2000:]}"
                                         f"{done.stderr[-2000:]}")
        load = os.getloadavg()[0]
        print(f"{rounds} rounds, load average {load:.2f} at the end; medians")
        print(f"{'case':<40} {'tests':>5} {'wall':>9} {'ms/test':>8} {'marginal':>9} "
              f"{'vs pure':>8} {'vs floor':>8} {'+log':>6} {'min':>8} {'min marg.':>9} "
              f"{'vs pure':>8}")
        first = sizes[0]
        # each case against the pure suite and the floor of its own layout (one module, or
        # modules of 20: every module is collected, imported and set up)
        pure_of = {per: name for name, test, per, _ in cases if test is PURE}
        floor_of = {per: name for name, test, per, _ in cases if test is FLOOR}
        log_floor_of = {per: name for name, test, per, _ in cases if test is FLOOR_LOG}
        for name, _test, per_module, _ in cases:
            for size in sizes:
                wall = statistics.median(samples[name, size]) * 1000
                pure = statistics.median(samples[pure_of[per_module], size]) * 1000
                floor_case = floor_of.get(per_module)
                vs_floor = (f"{wall / (statistics.median(samples[floor_case, size]) * 1000):8.2f}"
                            if floor_case else f"{'':>8}")
                log_case = log_floor_of.get(per_module)
                vs_log = (f"{wall / (statistics.median(samples[log_case, size]) * 1000):6.2f}"
                          if log_case else f"{'':>6}")
                base = statistics.median(samples[name, first]) * 1000
                marginal = f"{(wall - base) / (size - first):7.2f}ms" if size != first else ""
                # the fastest run of each: on a shared machine, the least disturbed by load
                low = min(samples[name, size]) * 1000
                low_pure = min(samples[pure_of[per_module], size]) * 1000
                low_base = min(samples[name, first]) * 1000
                low_marginal = (f"{(low - low_base) / (size - first):7.2f}ms" if size != first
                                else "")
                print(f"{name:<40} {size:>5} {wall:>7.0f}ms {wall / size:>6.2f}ms "
                      f"{marginal:>9} {wall / pure:>8.2f} {vs_floor} {vs_log} {low:>6.0f}ms "
                      f"{low_marginal:>9} "
                      f"{low / low_pure:>8.2f}")
        print(f"\nwhere a test's time goes, {sizes[-1]} tests (medians of one more run; µs): "
              f"setup, call, teardown; the run's garbage collections in all, full ones (ms)")
        for name, _test, _per, extra in cases:
            root = projects[name, sizes[-1]]
            (root / "mmplug_bench_phases.py").write_text(PHASES)
            report = root / "phases.json"
            subprocess.run([*args, *extra, "-p", "mmplug_bench_phases"], cwd=root,
                           capture_output=True, env=dict(envs[name],
                                                         MMPLUG_BENCH_PHASES=str(report)))
            phases = json.loads(report.read_text())
            print(f"{name:<40} " + "  ".join(f"{phases[w] * 1e6:6.0f}" for w in
                                             ("setup", "call", "teardown"))
                  + f"  {phases['gc'] * 1e3:6.1f}  {phases['gc_full'] * 1e3:6.1f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
