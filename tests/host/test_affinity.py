"""one_cpu: every thread of this process and of the given processes runs on one CPU for the
block, and on the CPUs it could use before after it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading

import pytest

from mmplug.host.affinity import current_cpu, one_cpu

CPUS = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else set()
# Reports the CPUs of each of its threads when asked (a line on stdin), with a second thread.
CHILD = """
import json, os, sys, threading
threading.Thread(target=lambda: threading.Event().wait(), daemon=True).start()
for _ in sys.stdin:
    print(json.dumps(sorted({tuple(sorted(os.sched_getaffinity(int(t))))
                             for t in os.listdir("/proc/self/task")})), flush=True)
"""


def _ask(child: subprocess.Popen[str]) -> list[list[int]]:
    assert child.stdin is not None and child.stdout is not None
    child.stdin.write("?\n")
    child.stdin.flush()
    return [list(cpus) for cpus in json.loads(child.stdout.readline())]


@pytest.mark.skipif(len(CPUS) < 2, reason="needs Linux and several CPUs")
def test_this_process_and_the_given_ones_share_one_cpu_for_the_block() -> None:
    child = subprocess.Popen([sys.executable, "-c", CHILD], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
    try:
        assert _ask(child) == [sorted(CPUS)]
        worker = threading.Thread(target=threading.Event().wait, args=(30,), daemon=True)
        worker.start()  # a thread that exists before the block is pinned too
        with one_cpu([child.pid]) as cpu:
            assert cpu in CPUS
            assert os.sched_getaffinity(0) == {cpu}
            assert os.sched_getaffinity(worker.native_id) == {cpu}  # type: ignore[arg-type]
            assert _ask(child) == [[cpu]]  # both of its threads
        assert os.sched_getaffinity(0) == CPUS
        assert os.sched_getaffinity(worker.native_id) == CPUS  # type: ignore[arg-type]
        assert _ask(child) == [sorted(CPUS)]
    finally:
        child.kill()
        child.communicate()  # closes its pipes


def test_disabled_changes_nothing() -> None:
    with one_cpu(enabled=False) as cpu:
        assert cpu is None
        if CPUS:
            assert os.sched_getaffinity(0) == CPUS


@pytest.mark.skipif(not CPUS, reason="Linux only")
def test_current_cpu_is_one_the_thread_may_run_on() -> None:
    assert current_cpu() in CPUS
