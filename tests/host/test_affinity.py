"""one_cpu: what starts inside runs on the CPU the caller was on; the caller gets its CPUs back."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading

import pytest

from mmplug.host.affinity import current_cpu, one_cpu

CPUS = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else set()
REPORT = "import json, os; print(json.dumps(sorted(os.sched_getaffinity(0))))"


def _child_cpus() -> list[int]:
    done = subprocess.run([sys.executable, "-c", REPORT], capture_output=True, text=True,
                          check=True, timeout=30)
    return list(json.loads(done.stdout))


@pytest.mark.skipif(len(CPUS) < 2, reason="needs Linux and several CPUs")
def test_threads_and_processes_started_inside_share_one_cpu() -> None:
    seen: list[set[int]] = []
    with one_cpu() as cpu:
        assert cpu in CPUS
        assert os.sched_getaffinity(0) == {cpu}
        thread = threading.Thread(target=lambda: seen.append(os.sched_getaffinity(0)))
        thread.start()
        thread.join()
        assert _child_cpus() == [cpu]
    assert seen == [{cpu}]
    assert os.sched_getaffinity(0) == CPUS
    assert _child_cpus() == sorted(CPUS)


def test_disabled_or_single_cpu_changes_nothing() -> None:
    with one_cpu(enabled=False) as cpu:
        assert cpu is None
        assert _child_cpus() == sorted(CPUS)


@pytest.mark.skipif(not CPUS, reason="Linux only")
def test_current_cpu_is_one_the_thread_may_run_on() -> None:
    assert current_cpu() in CPUS
