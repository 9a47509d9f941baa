"""Processes as the tests look at them (Linux ``/proc``): is one still running, who started it,
what it has said so far."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path


def _stat_fields(pid: int) -> list[str]:
    """The fields of ``/proc/<pid>/stat`` after the command name (which may hold spaces)."""
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().rsplit(")", 1)[1].split()


def alive(pid: int) -> bool:
    """Whether ``pid`` runs: it exists and is not a zombie (one reparented to init, or not
    yet reaped by its parent, is gone for a test's purposes)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    try:
        return _stat_fields(pid)[0] != "Z"
    except OSError:
        return False


def children(pid: int) -> set[int]:
    """The live processes ``pid`` started itself (not theirs), whichever of its threads did;
    a thread or process that ends while they are read is skipped."""
    found: set[int] = set()
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children") as handle:
                found.update(int(child) for child in handle.read().split())
        except OSError:  # the thread ended meanwhile
            continue
    return {child for child in found if alive(child)}


def parent(pid: int) -> int:
    """The pid of the process that started ``pid`` (it must exist)."""
    return int(_stat_fields(pid)[1])


def signal_a_side_thread(pid: int, sig: int) -> None:
    """Deliver ``sig`` to one of ``pid``'s threads other than the main one, as the kernel may
    do with a process's Ctrl-C when the main thread is not the one it picks (x86-64 Linux)."""
    import ctypes

    tids = sorted(int(t.name) for t in Path(f"/proc/{pid}/task").iterdir() if int(t.name) != pid)
    assert tids, "the process has only its main thread"
    libc = ctypes.CDLL(None, use_errno=True)
    assert libc.syscall(234, pid, tids[-1], sig) == 0  # tgkill (x86-64)


def read_until(proc: subprocess.Popen[str], ready: Callable[[str], bool],
               timeout: float = 60.0) -> str:
    """What ``proc`` wrote on its stdout, line by line, up to the line after which ``ready``
    holds for it; fails with what it did write if its stdout ends or ``timeout`` passes first."""
    assert proc.stdout is not None
    seen = ""
    deadline = time.monotonic() + timeout
    while not ready(seen) and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        seen += line
    assert ready(seen), f"the awaited output was not shown:\n{seen}"
    return seen
