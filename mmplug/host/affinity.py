"""One CPU for a chain of round trips: ``mmplug replay`` replays calls with its host and the
plugin on one CPU.

A replay is a strict sequence: the host sends a hook call, the plugin answers, the host
compares and sends the next. Every step wakes a thread in the other process, and on a virtual
machine waking one on another CPU is dear: a one-byte ping-pong between two processes takes
several times longer across the CPUs than on one (benchmarks/grpc_io.py; the figures are in
docs/benchmarks.md). The processes' starts are not pinned: they run in parallel (the next
run's plugin interpreter starts while this run replays). Linux only; elsewhere, or with a
single allowed CPU, nothing changes.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager


def current_cpu() -> int | None:
    """The CPU the calling thread runs on (field 39 of Linux's ``/proc/thread-self/stat``)."""
    try:
        with open("/proc/thread-self/stat", "rb") as handle:
            stat = handle.read()
        return int(stat.rsplit(b")", 1)[1].split()[36])  # fields after the name start at 3
    except (OSError, IndexError, ValueError):
        return None


@contextmanager
def one_cpu(pids: Iterable[int] = (), enabled: bool = True) -> Iterator[int | None]:
    """Run every thread of this process and of the processes ``pids`` (and the threads they
    start meanwhile) on the CPU the calling thread is on, for the block; yield that CPU, or
    None when nothing was pinned. On exit all their threads may use this thread's CPUs again."""
    allowed = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else set()
    cpu = current_cpu() if enabled and len(allowed) > 1 else None
    if cpu is None or cpu not in allowed:
        yield None
        return
    processes = [os.getpid(), *pids]
    _pin(processes, {cpu})
    try:
        yield cpu
    finally:
        _pin(processes, allowed)


def _pin(pids: list[int], cpus: set[int]) -> None:
    for pid in pids:
        try:
            tids = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue  # the process is gone
        for tid in tids:
            try:
                os.sched_setaffinity(int(tid), cpus)
            except (OSError, ValueError):
                pass  # the thread ended meanwhile
