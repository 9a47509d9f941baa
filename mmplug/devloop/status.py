"""What ``mmplug dev`` shows above the logs: per plugin state, hooks, URL, last reload.

The data (:class:`PluginStatus`, :class:`Reload`) is plain; the CLI renders it
(``render_status`` in :mod:`mmplug.cli._dev_screen`). Nothing here runs the loop.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any


@dataclass
class Reload:
    """One (re)start of a plugin: when, why, how long, and how it ended."""

    why: str
    when: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    duration_s: float = 0.0
    ok: bool = True
    error: str | None = None
    warm: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"why": self.why, "when": self.when.isoformat(), "duration_s": self.duration_s,
                "ok": self.ok, "error": self.error, "warm": self.warm}


@dataclass
class PluginStatus:
    """The dev loop's view of one plugin."""

    id: str
    directory: str
    # starting | active | stuck (a hook ran past its deadline) | failed | crashed | given-up |
    # attached | waiting
    state: str = "starting"
    pid: int = 0
    implemented: list[str] = field(default_factory=list)
    last_reload: Reload | None = None
    problem: str | None = None
    crashes: int = 0
    attached_to: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "directory": self.directory, "state": self.state, "pid": self.pid,
            "implemented": list(self.implemented), "problem": self.problem,
            "crashes": self.crashes, "attached_to": self.attached_to,
            "last_reload": self.last_reload.as_dict() if self.last_reload else None,
        }


def describe_reload(reload: Reload, now: datetime | None = None) -> str:
    """``"12:03:04 (3 s ago) plugin.py changed: 48 ms, warm"``."""
    now = now or datetime.now(timezone.utc)
    ago = max(0, int((now - reload.when).total_seconds()))
    when = reload.when.astimezone().strftime("%H:%M:%S")
    outcome = f"{reload.duration_s * 1000:.0f} ms" + (", warm" if reload.warm else "")
    if not reload.ok:
        outcome = "failed"
    return f"{when} ({ago} s ago) {reload.why}: {outcome}"
