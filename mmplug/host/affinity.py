"""One CPU for a chain of round trips: ``mmplug replay`` runs its host and plugin on one.

A replay is a strict sequence: the host sends a hook call, the plugin answers, the host
compares and sends the next. Every step wakes a thread in the other process, and on a virtual
machine waking one on another CPU is dear: on the two-core machine of docs/benchmarks.md a
one-byte ping-pong between two processes takes 36-40 µs across the CPUs and 10-14 µs on one
(benchmarks/grpc_io.py). With the host's threads and the plugin on the CPU the host runs on,
`mmplug replay --check` of 1,000 small hooks took 3-29 % less time there
(benchmarks/replay_cli.py). Linux only; elsewhere, or with a single allowed CPU, nothing
changes.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
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
def one_cpu(enabled: bool = True) -> Iterator[int | None]:
    """Run the calling thread, and the threads and processes it starts meanwhile, on the CPU it
    is on (the one the system just found free for it); yield that CPU, or None when nothing was
    pinned. On exit the thread's own CPUs are restored; what it started keeps the one CPU."""
    allowed = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else set()
    cpu = current_cpu() if enabled and len(allowed) > 1 else None
    if cpu is None or cpu not in allowed:
        yield None
        return
    os.sched_setaffinity(0, {cpu})
    try:
        yield cpu
    finally:
        os.sched_setaffinity(0, allowed)
