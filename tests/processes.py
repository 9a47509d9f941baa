"""Processes as the tests look at them (Linux ``/proc``): is one still running, who started it."""

from __future__ import annotations

import os


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


def parent(pid: int) -> int:
    """The pid of the process that started ``pid`` (it must exist)."""
    return int(_stat_fields(pid)[1])
