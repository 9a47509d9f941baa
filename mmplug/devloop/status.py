"""What ``mmplug dev`` shows above the logs: per plugin state, hooks, URL, last reload.

The data (:class:`PluginStatus`, :class:`Reload`) is plain; :func:`render_status` turns it into
a rich renderable. Nothing here runs the loop.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import RenderableType


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
    state: str = "starting"  # starting | active | failed | crashed | given-up | attached | waiting
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


_STATE_STYLE = {"active": "bold green", "attached": "bold green", "starting": "yellow",
                "failed": "bold red", "crashed": "bold red", "given-up": "bold red",
                "stopped": "dim", "waiting": "yellow"}


def describe_reload(reload: Reload, now: datetime | None = None) -> str:
    """``"12:03:04 (3 s ago) plugin.py changed: 48 ms, warm"``."""
    now = now or datetime.now(timezone.utc)
    ago = max(0, int((now - reload.when).total_seconds()))
    when = reload.when.astimezone().strftime("%H:%M:%S")
    outcome = f"{reload.duration_s * 1000:.0f} ms" + (", warm" if reload.warm else "")
    if not reload.ok:
        outcome = "failed"
    return f"{when} ({ago} s ago) {reload.why}: {outcome}"


def render_status(
    plugins: list[PluginStatus], url: str | None, metrics_url: str | None = None,
    now: datetime | None = None, log_path: str | None = None,
    problem_lines: int | None = None, acting: str | None = None, explorer: str | None = None,
) -> RenderableType:
    """A compact table: one block per plugin, then who front door requests are made as and
    where the full log is.

    ``problem_lines`` crops a long problem (a crash with its stderr tail) to that many lines.
    """
    from rich.table import Table
    from rich.text import Text

    table = Table.grid(padding=(0, 1))
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    for status in plugins:
        state = Text(status.state, style=_STATE_STYLE.get(status.state, ""))
        if status.pid:
            state.append(f"  pid {status.pid}", style="dim")
        if status.attached_to:
            state.append(f"  attached to {status.attached_to}", style="dim")
        table.add_row(Text(status.id, style="cyan bold"), state)
        hooks = ", ".join(status.implemented) or "none"
        table.add_row("hooks", Text(hooks, style="dim"))
        if url and "ServeHTTP" in status.implemented:
            table.add_row("http", f"{url}/plugins/{status.id}/")
        if metrics_url and "ServeMetrics" in status.implemented:
            table.add_row("metrics", f"{metrics_url}/plugins/{status.id}/metrics")
        if status.last_reload is not None:
            table.add_row("reload", describe_reload(status.last_reload, now))
        if status.problem:
            table.add_row("problem", Text(_crop(status.problem, problem_lines), style="red"))
    if url and acting:
        who = Text(acting, style="bold" if acting != "anonymous" else "yellow")
        who.append("  (X-Mmplug-User: NAME picks a user per request; see "
                   f"{url}/)", style="dim")
        table.add_row("as", who)
    if explorer:
        table.add_row("explorer", Text(explorer, style="bold"))
    if log_path:
        table.add_row("log", Text(log_path, style="dim"))
    return table


def _crop(text: str, lines: int | None) -> str:
    parts = text.splitlines()
    if lines is None or len(parts) <= lines:
        return text
    return "\n".join(parts[:lines]) + f"\n… {len(parts) - lines} more lines in the log"
