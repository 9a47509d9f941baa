"""Crash policy for the dev loop: notice dead or unhealthy plugins, restart with backoff, give up.

Like the server, a plugin that crashes 3 times within a short window is not restarted again
(the server deactivates it); the next save tries again. Between restarts the delay doubles.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mmplug.host.launcher import PluginProcess
    from mmplug.host.session import PluginHandle

CRASH_LIMIT = 3
CRASH_WINDOW_S = 60.0
BACKOFF_START_S = 0.25
BACKOFF_MAX_S = 4.0
HEALTH_EVERY_S = 2.0
HEALTH_TIMEOUT_S = 2.0  # each ping's
HEALTH_PINGS = 3  # the server's HealthCheckPingFailLimit: pings in a row before a check fails
POLL_EVERY_S = 0.1


@dataclass
class CrashPolicy:
    """Counts crashes of one plugin; says how long to wait before the restart, or to give up."""

    limit: int = CRASH_LIMIT
    window_s: float = CRASH_WINDOW_S
    crashes: deque[float] = field(default_factory=deque)

    def crashed(self, now: float | None = None) -> float | None:
        """Record a crash; the delay before restarting, or None to stop restarting."""
        now = time.monotonic() if now is None else now
        self.crashes.append(now)
        while self.crashes and now - self.crashes[0] > self.window_s:
            self.crashes.popleft()
        if len(self.crashes) >= self.limit:
            return None
        return float(min(BACKOFF_START_S * 2.0 ** (len(self.crashes) - 1), BACKOFF_MAX_S))

    def reset(self) -> None:
        self.crashes.clear()

    @property
    def count(self) -> int:
        return len(self.crashes)


def check_handle(handle: PluginHandle, check_health: bool) -> str | None:
    """What is wrong with a running plugin, or None."""
    client = handle.client
    if handle.state == "crashed" or client is None:
        return "the plugin crashed"
    code = client.process.exit_code()
    if code is not None:
        from mmplug.host.faults import describe_exit

        return f"the plugin process {describe_exit(code)}"
    if check_health:
        return health_check(client.process)
    return None


def health_check(process: PluginProcess) -> str | None:
    """The server's health check of a running plugin (``PerformHealthCheck``,
    server/public/plugin/supervisor.go): up to three pings in a row, and the plugin is healthy
    at the first one answered. go-plugin's ``Ping`` counts only a failed call: an answer of
    any serving status (``NOT_SERVING`` too) is a live plugin. What is wrong, or None."""
    problem = None
    for _ in range(HEALTH_PINGS):
        problem = process.health(HEALTH_TIMEOUT_S)
        if problem is None or problem.code == "ANSWERED":
            return None
    assert problem is not None
    return f"health check failed {HEALTH_PINGS} times in a row: {problem.code}"
